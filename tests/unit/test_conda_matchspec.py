"""conda MatchSpec and VersionSpec: parsing and matching (cases from conda's own tests)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

from mach2.providers.conda.errors import InvalidMatchSpec
from mach2.providers.conda.matchspec import MatchSpec, VersionSpec, parse_matchspec
from mach2.providers.conda.version import VersionOrder

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "conda"))
from conda_fixtures import DATA, rec

# conda tests/models/test_match_spec.py::test_match_1, against numpy-1.7.1-py27_0
MATCH_NUMPY_171 = [
    ("numpy 1.7*", True), ("numpy 1.7.1", True), ("numpy 1.7", False), ("numpy 1.5*", False),
    ("numpy >=1.5", True), ("numpy >=1.5,<2", True), ("numpy >=1.8,<1.9", False),
    ("numpy >1.5,<2,!=1.7.1", False), ("numpy >1.8,<2|==1.7", False),
    ("numpy >1.8,<2|>=1.7.1", True), ("numpy >=1.8|1.7*", True), ("numpy ==1.7", False),
    ("numpy >=1.5,>1.6", True), ("numpy ==1.7.1", True), ("numpy ==1.7.1.0", True),
    ("numpy==1.7.1.0.0", True), ("numpy >=1,*.7.*", True), ("numpy *.7.*,>=1", True),
    ("numpy >=1,*.8.*", False), ("numpy >=2,*.7.*", False), ("numpy 1.6*|1.7*", True),
    ("numpy 1.6*|1.8*", False), ("numpy 1.6.2|1.7*", True), ("numpy 1.6.2|1.7.1", True),
    ("numpy 1.6.2|1.7.0", False), ("numpy 1.7.1 py27_0", True), ("numpy 1.7.1 py26_0", False),
    ("numpy >1.7.1a", True), ("python", False),
    # the '=' forms of the conda command line
    ("numpy=1.7", True), ("numpy =1.7", True), ("numpy=1.7=py27_0", False),
    ("numpy=1.7.1=py27_0", True), ("numpy=1.7.1=py27*", True), ("numpy==1.7", False),
    ("numpy=1", True), ("numpy=1.71", False), ("numpy ~=1.7", True), ("numpy ~=1.7.2", False),
    ("numpy !=1.7.*", False), ("numpy !=1.6.*", True), ("numpy 1.7.*", True),
    ("numpy (>=1.8|<1.7.2),!=1.7.0", True), ("numpy (>=1.8|<1.7.1),!=1.7.0", False),
    # build strings, build numbers, brackets
    ("numpy * py27*", True), ("numpy * *_0", True), ("numpy * py3*", False),
    ("numpy[build=py27_0]", True), ("numpy[build=py2*]", True), ("numpy[build=mkl]", False),
    ("numpy[version='>=1.7']", True), ('numpy[version=">=1.8"]', False),
    ("numpy[build_number=0]", True), ("numpy[build_number='>=1']", False),
    ("numpy >=1.7 [build=py27_0]", True), ("numpy[build=py27_0] >=1.8", False),
    ("numpy[version='1.7.*', build='py27_0']", True),
    ("numpy[build=^py2[0-9]_0$]", True), ("numpy 1.7.1 ^py3.*$", False),
    ("numpy[md5=cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd]", True), (f"numpy[sha256={'ab' * 32}]", True),
    ("numpy[sha256=00]", False), ("numpy[fn=numpy-1.7.1-py27_0.conda]", True),
    # channels and subdirs
    ("conda-forge::numpy", True), ("defaults::numpy", False), ("conda-forge::numpy >=1.7", True),
    ("conda-forge/linux-64::numpy", True), ("conda-forge/osx-64::numpy", False),
    ("numpy[channel=conda-forge]", True), ("numpy[subdir=linux-64]", True),
    ("https://conda.anaconda.org/conda-forge::numpy", True), ("*[build=py27_0]", True),
    ("num*", True), ("numpy  >= 1.5 , < 2  # a comment", True), ("numpy >=1.5 if __unix", True),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "expected"), MATCH_NUMPY_171, ids=[s for s, _ in MATCH_NUMPY_171])
def test_match_numpy_171(spec: str, expected: bool) -> None:
    assert MatchSpec.parse(spec).matches(rec()) is expected


# conda tests/models/test_version.py::test_match against version 1.7.1
VERSION_171 = [
    ("1.7.*", True), ("1.7.1", True), ("1.7.0", False), ("1.7", False), ("1.5.*", False),
    (">=1.5", True), ("!=1.5", True), ("!=1.7.1", False), ("==1.7.1", True), ("==1.7", False),
    ("==1.7.2", False), ("==1.7.1.0", True), ("1.7.*|1.8.*", True), (">1.7,<1.8", True),
    (">1.7.1,<1.8", False), ("^1.7.1$", True), (r"^1\.7\.1$", True), (r"^1\.7\.[0-9]+$", True),
    (r"^1\.8.*$", False), (r"^1\.[5-8]\.1$", True), (r"^[^1].*$", False),
    (r"^[0-9+]+\.[0-9+]+\.[0-9]+$", True), ("^$", False), ("^.*$", True), ("1.7.*|^0.*$", True),
    ("1.6.*|^0.*$", False), ("1.6.*|^0.*$|1.7.1", True), ("^0.*$|1.7.1", True),
    (r"1.6.*|^.*\.7\.1$|0.7.1", True), ("*", True), ("1.*.1", True), ("1.5.*|>1.7,<1.8", True),
    ("1.5.*|>1.7,<1.7.1", False), (">=1.7.*", True), ("<1.7.*", False), ("1.7*", True),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "expected"), VERSION_171, ids=[s for s, _ in VERSION_171])
def test_version_spec(spec: str, expected: bool) -> None:
    assert VersionSpec.parse(spec).match(VersionOrder.parse("1.7.1")) is expected


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("~=1.10", "1.11.0", True),
        ("~=1.10.0", "1.11.0", False),
        ("~=3.3.2", "3.4.0", False),
        ("~=3.3.2", "3.3.1", False),
        ("~=3.3.2", "3.3.2.0", True),
        ("~=3.3.2", "3.3.3", True),
        ("~=3.3.2|==2.2", "2.2.0", True),
        ("~=3.3.2|==2.2", "3.3.3", True),
        ("~=3.3.2|==2.2", "2.2.1", False),
        ("1.2", "1.2.0", True),
        ("1.2*", "1.20", False),
        ("1.2.*", "1.2rc1", True),  # conda: a pre-release of 1.2 starts with 1.2
        ("1.2.*", "1.2.0rc1", True),
        (">=3.12,<3.13.0a0", "3.12.1", True),
        (">=3.12,<3.13.0a0", "3.13.0rc1", False),
        (">=3.12,<3.13.0a0", "3.13.0a0", False),
        ("<0a0", "0.0.1", False),
        ("!=1.2.*", "1.2.5", False),
        ("!=1.2.*", "1.3", True),
    ],
)
def test_version_spec_more(spec: str, version: str, expected: bool) -> None:
    assert VersionSpec.parse(spec).match(VersionOrder.parse(version)) is expected


def test_parse_fields() -> None:
    spec = parse_matchspec("conda-forge/linux-64::python_abi 3.12.* *_cp312")
    assert (spec.name, spec.channel, spec.subdir) == ("python_abi", "conda-forge", "linux-64")
    assert str(spec.version) == "3.12.*" and str(spec.build) == "*_cp312"
    assert str(spec) == "conda-forge/linux-64::python_abi 3.12.* *_cp312"
    assert parse_matchspec("numpy=1.2").version == VersionSpec.parse("1.2*")
    assert parse_matchspec("numpy==1.2").version == VersionSpec.parse("1.2")
    assert parse_matchspec("numpy=1.2=py39_0").build == parse_matchspec("x * py39_0").build
    assert parse_matchspec("NumPy").name == "numpy"
    assert parse_matchspec("blas * mkl").is_simple is False
    assert parse_matchspec("numpy *").is_simple and parse_matchspec("numpy").is_simple
    assert parse_matchspec("numpy") is parse_matchspec("numpy")  # cached


def test_track_features_and_build_number_specs() -> None:
    featured = rec(track_features=("mkl", "debug"), build_number=3)
    assert parse_matchspec("numpy[track_features=mkl]").matches(featured)
    assert not parse_matchspec("numpy[track_features=nomkl]").matches(featured)
    assert parse_matchspec("numpy[build_number='>=3']").matches(featured)
    assert not parse_matchspec("numpy[build_number='!=3']").matches(featured)
    assert parse_matchspec("numpy[build_number=*]").matches(featured)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "   # only a comment",
        "numpy >=",
        "numpy ==",
        "numpy[foo=bar]",
        "numpy[build=]",
        "numpy[]",
        "numpy 1..2",
        "numpy >=1,(<2",
        "numpy ~=1.2.*",
        "numpy 1.2$",
        "mkl@",
        "https://example.org/linux-64/numpy-1.0-0.conda",
        "numpy[build_number=abc]",
        ">=1.2",
    ],
)
def test_invalid(spec: str) -> None:
    with pytest.raises(InvalidMatchSpec) as info:
        parse_matchspec(spec)
    assert repr(spec) in str(info.value) and "\n" not in str(info.value)


def test_every_depends_string_of_real_channels_parses() -> None:
    """mach-nix's test_parse_all_conda_reqs: every depends/constrains string must parse.

    The strings are all the distinct ones of nine real channel files (intel, free, conda's
    test indexes, conda-forge, pytorch; tests/data/conda/PROVENANCE.md)."""
    strings = gzip.decompress((DATA / "matchspecs" / "depends-strings.txt.gz").read_bytes())
    lines = strings.decode().splitlines()
    assert len(lines) == len(set(lines)) > 7_000
    for text in lines:
        spec = parse_matchspec(text)
        assert spec.name and spec.name == spec.name.strip(), text
