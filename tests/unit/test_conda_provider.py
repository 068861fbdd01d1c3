"""Conda candidates in the shared resolver: identifiers, MatchSpec requirements, constrains,
the target's interpreter and virtual packages, mixed locks, environment.yml, the CLI.

Channels are local directories written into tmp_path (``<dir>/linux-64/repodata.json`` and
``<dir>/noarch/repodata.json``); the conda-forge numpy closure of mamba's test data and the
intel channel are read from tests/data/conda.  PyPI is the fake index of
index_fixture.py, except in the one ``network`` test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from packaging.requirements import Requirement as Pep508
from packaging.utils import NormalizedName
from packaging.version import Version

from mach2.api import LockOptions, lock_input, lock_requirements
from mach2.errors import InputError, ProviderError, ResolutionFailed
from mach2.inputs import read_input
from mach2.lock.model import Lock
from mach2.model.artifact import DistFile
from mach2.model.names import conda_native
from mach2.model.target import Target
from mach2.providers.base import Candidate
from mach2.providers.conda.channels import open_channels, parse_channels
from mach2.providers.conda.errors import EnvironmentYmlError, MissingSha256
from mach2.providers.conda.matchspec import parse_matchspec
from mach2.providers.conda.names import default_map
from mach2.providers.conda.provider import CondaProvider, conda_identifier, native_version
from mach2.providers.conda.repodata import RepodataRecord
from mach2.providers.conda.solve import solve, unmet
from mach2.providers.order import ProviderOrder
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement, absent
from mach2.resolve.resolver import resolve

sys.path.insert(0, str(Path(__file__).parent))
from index_fixture import FakeIndex, lock_with

DATA = Path(__file__).resolve().parents[1] / "data" / "conda"
NUMPY_CLOSURE = DATA / "mamba" / "conda-forge-numpy-linux-64.json"
CONDA_FORGE = "https://conda.anaconda.org/conda-forge"
PY312 = Target.from_strings("3.12", "x86_64-linux")


# -- channels in tmp_path -----------------------------------------------------------------------


def write_channel(
    root: Path, packages: Mapping[str, Mapping[str, Any]], *, base_url: str | None = None
) -> Path:
    """A local channel: ``packages`` (filename → record) split into linux-64 and noarch."""
    for subdir in ("linux-64", "noarch"):
        records = {
            fn: dict(r) for fn, r in packages.items() if r.get("subdir", "linux-64") == subdir
        }
        info: dict[str, str] = {"subdir": subdir}
        if base_url is not None:
            info["base_url"] = f"{base_url}/{subdir}"
        body = {
            "info": info,
            "packages": {fn: r for fn, r in records.items() if fn.endswith(".tar.bz2")},
            "packages.conda": {fn: r for fn, r in records.items() if fn.endswith(".conda")},
        }
        (root / subdir).mkdir(parents=True, exist_ok=True)
        (root / subdir / "repodata.json").write_text(json.dumps(body))
    return root


def record(
    name: str,
    version: str,
    build: str = "h0_0",
    *,
    depends: Iterable[str] = (),
    constrains: Iterable[str] = (),
    build_number: int = 0,
    subdir: str = "linux-64",
    sha256: bool = True,
    **more: Any,
) -> tuple[str, dict[str, Any]]:
    filename = f"{name}-{version}-{build}.conda"
    raw: dict[str, Any] = {
        "name": name, "version": version, "build": build, "build_number": build_number,
        "depends": list(depends), "constrains": list(constrains), "subdir": subdir,
        "md5": "0" * 32, "size": 1000, "timestamp": 1_700_000_000_000, **more,
    }  # fmt: skip
    if sha256:
        raw["sha256"] = f"{len(filename):02x}" * 32
    return filename, raw


def channel(tmp_path: Path, *records: tuple[str, dict[str, Any]], name: str = "local") -> str:
    """``NAME=DIR`` of a channel holding ``records``."""
    return f"{name}={write_channel(tmp_path / name, dict(records))}"


@pytest.fixture(scope="module")
def conda_forge(tmp_path_factory: pytest.TempPathFactory) -> str:
    """mamba's conda-forge numpy closure as a local channel named conda-forge (real URLs)."""
    raw = json.loads(NUMPY_CLOSURE.read_text())
    packages = {
        fn: {**r, "subdir": "linux-64"}  # noarch ones are listed in linux-64 in this file
        for section in ("packages", "packages.conda")
        for fn, r in raw[section].items()
    }
    root = write_channel(
        tmp_path_factory.mktemp("cf") / "conda-forge", packages, base_url=CONDA_FORGE
    )
    return f"conda-forge={root}"


def closure_without_interpreter() -> dict[str, str]:
    """conda name → filename: numpy's closure walked independently, stopping at python."""
    raw = json.loads(NUMPY_CLOSURE.read_text())
    files = {r["name"]: fn for fn, r in raw["packages"].items()}
    files.update({r["name"]: fn for fn, r in raw["packages.conda"].items()})  # .conda wins
    by_name = {r["name"]: r for s in ("packages", "packages.conda") for r in raw[s].values()}
    found: dict[str, str] = {}
    todo = ["numpy"]
    while todo:
        name = todo.pop()
        if name in found or name in ("python", "python_abi"):
            continue
        found[name] = files[name]
        todo.extend(d.split()[0] for d in by_name[name].get("depends") or ())
    return found


def lock_key(conda_name: str) -> str:
    return str(conda_identifier(conda_name, default_map()))


# -- identifiers and versions -------------------------------------------------------------------


def test_identifiers_pypi_projects_keep_their_name_the_rest_are_conda_only() -> None:
    names = default_map()
    assert conda_identifier("numpy", names) == "numpy"
    assert conda_identifier("pytorch", names) == "torch"
    assert conda_identifier("libgcc-ng", names) == "conda:libgcc-ng"
    assert conda_identifier("_openmp_mutex", names) == "conda:_openmp_mutex"
    assert conda_identifier("surely-not-in-the-map-xyz", names) == "conda:surely-not-in-the-map-xyz"
    # a metapackage's dependency on its own base package is conda-only (no self-dependency)
    parent = NormalizedName("matplotlib")
    assert conda_identifier("matplotlib-base", names) == "matplotlib"
    assert conda_identifier("matplotlib-base", names, parent=parent) == "conda:matplotlib-base"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("13.2.0", "13.2.0"), ("9e", "9+e"), ("1.1.1w", "1.1.1+w"), ("2.8.2_1", "2.8.2+1")],
)
def test_native_versions(text: str, expected: str) -> None:
    assert str(native_version(text)) == expected


# -- requirements of both kinds against candidates of every provider ----------------------------


def _conda_candidate(name: str, version: str, build: str = "py312h0_0") -> Candidate:
    filename, raw = record(name, version, build)
    from mach2.providers.conda.repodata import record_from_json

    rec = record_from_json(filename, raw, channel="cf", subdir="linux-64", base_url="https://x")
    return Candidate(
        name=NormalizedName(name), version=Version(version), provider="conda",
        artifact=rec, variant=f"cf/linux-64/{filename}",
    )  # fmt: skip


def _wheel(name: str, version: str) -> Candidate:
    file = DistFile(filename=f"{name}-{version}-py3-none-any.whl", url="https://x/w", sha256="0")
    return Candidate(
        name=NormalizedName(name), version=Version(version), provider="wheel", artifact=file
    )


def _spec(name: str, text: str, constraint: bool = False) -> Requirement:
    return Requirement.from_matchspec(
        NormalizedName(name), parse_matchspec(text), origin="t", constraint=constraint
    )


def test_matchspec_requirements_against_conda_and_pypi_candidates() -> None:
    conda, wheel = _conda_candidate("numpy", "1.26.4"), _wheel("numpy", "1.26.4")
    assert _spec("numpy", "numpy >=1.22,<2").is_satisfied_by(conda)
    assert _spec("numpy", "numpy >=1.22,<2").is_satisfied_by(wheel)  # version-only: any provider
    assert not _spec("numpy", "numpy >=2").is_satisfied_by(wheel)
    assert _spec("numpy", "numpy 1.26.* py312*").is_satisfied_by(conda)
    assert not _spec("numpy", "numpy 1.26.* py312*").is_satisfied_by(wheel)  # a build: conda only
    assert not _spec("numpy", "conda-forge::numpy").is_satisfied_by(wheel)
    assert not _spec("numpy", "numpy-base >=1").is_satisfied_by(conda)  # another conda package


def test_pep508_requirements_accept_conda_candidates_by_pep440_version() -> None:
    conda = _conda_candidate("numpy", "1.26.4")
    requirement = Requirement.from_pep508(Pep508("numpy>=1.26,<2"), origin="t")
    assert requirement.is_satisfied_by(conda)
    assert not Requirement.python(">=3.13", origin="t").is_satisfied_by(conda)


def test_absent_satisfies_constraints_only() -> None:
    nothing = absent(NormalizedName("conda:blas"))
    assert _spec("conda:blas", "blas * openblas", constraint=True).is_satisfied_by(nothing)
    assert not _spec("conda:blas", "blas * openblas").is_satisfied_by(nothing)


# -- the conda-forge numpy closure through the shared resolver ----------------------------------


def test_numpy_closure_through_the_shared_resolver(conda_forge: str) -> None:
    lock = lock_with({}, "numpy\n", providers="conda", channels=[conda_forge], patchelf=False)
    expected = closure_without_interpreter()
    assert {k: p.artifact.filename for k, p in lock.packages.items()} == {
        lock_key(n): fn for n, fn in expected.items()
    }
    # the same records as the standalone conda solver
    index = open_channels(parse_channels([conda_forge]), ("linux-64", "noarch"), cache_dir=None)
    solution = solve(["numpy"], index, PY312)
    assert {r.filename for r in solution.records} == set(expected.values())
    numpy = lock.packages["numpy"]
    assert (numpy.name, numpy.version, numpy.provider) == ("numpy", "1.26.4", "conda")
    assert numpy.artifact.to_json() == {
        "kind": "conda",
        "filename": "numpy-1.26.4-py312head63a1_0.conda",
        "url": f"{CONDA_FORGE}/linux-64/numpy-1.26.4-py312head63a1_0.conda",
        "sha256": numpy.artifact.sha256,
        "size": numpy.artifact.size,
        "channel": "conda-forge",
        "subdir": "linux-64",
        "conda-name": "numpy",
        "build": "py312head63a1_0",
        "md5": numpy.artifact.extra["md5"],
    }
    assert numpy.artifact.sha256 and len(numpy.artifact.sha256) == 64
    assert sorted(numpy.dependencies) == [
        "conda:libblas",
        "conda:libcblas",
        "conda:libgcc-ng",
        "conda:liblapack",
        "conda:libstdcxx-ng",
    ]  # not python, python_abi (the target's) nor numpy-base (a constraint)
    gcc = lock.packages["conda:libgcc-ng"]
    assert (gcc.name, gcc.version, gcc.why_provider) == (
        "libgcc-ng", "13.2.0", "conda: conda-only package, from the conda providers conda",
    )  # fmt: skip
    assert "conda:blas" not in lock.packages  # only constrained: absent
    assert lock.roots == ("numpy",)
    assert json.loads(lock.dumps())["packages"]["conda:_openmp_mutex"]["dependencies"] == {
        "conda:_libgcc_mutex": "_libgcc_mutex 0.1 conda_forge",
        "conda:libgomp": "libgomp >=7.5.0",
    }


def test_a_channel_provider_by_name(conda_forge: str) -> None:
    lock = lock_with(
        {}, "numpy\n", providers="conda/conda-forge", channels=[conda_forge], patchelf=False
    )
    assert {p.provider for p in lock.packages.values()} == {"conda/conda-forge"}
    assert set(lock.packages) == {lock_key(n) for n in closure_without_interpreter()}


def test_numpy_for_the_wrong_python_says_why(conda_forge: str) -> None:
    with pytest.raises(ResolutionFailed) as info:
        lock_with({}, "numpy\n", providers="conda", python="3.11", channels=[conda_forge])
    message = str(info.value)
    assert "\n" not in message
    assert "no distribution of numpy" in message and "numpy: not for the target" in message


def test_an_md5_only_record_cannot_be_locked(tmp_path: Path) -> None:
    chan = channel(
        tmp_path, record("libfoo", "1.0", sha256=False), record("foo", "1.0", depends=["libfoo"]),
        name="md5",
    )  # fmt: skip
    assert _resolve(chan, ["foo"]).keys() == {"conda:foo", "conda:libfoo"}  # resolvable
    with pytest.raises(MissingSha256) as info:
        _lock_conda(chan, ["foo"])
    assert str(info.value).startswith("conda package 'libfoo-1.0-h0_0.conda' from channel 'md5'")


def test_intel_numpy_scipy_mkl_for_python_39() -> None:
    """The intel channel (md5 only: resolvable, not lockable) through the shared resolver."""
    target = Target.from_strings("3.9", "x86_64-linux")
    chosen = _resolve(f"intel={DATA / 'intel'}", ["numpy", "scipy", "mkl"], target=target)
    records = [c.artifact for c in chosen.values() if isinstance(c.artifact, RepodataRecord)]
    by_name = {r.name: r for r in records}
    assert {"numpy", "numpy-base", "scipy", "mkl", "mkl_fft", "mkl_random"} <= set(by_name)
    assert "py39" in by_name["numpy"].build and "py39" in by_name["scipy"].build
    assert str(by_name["numpy"].version) == "1.24.3"
    assert "conda:mkl" in chosen and "conda:numpy-base" in chosen and "mkl-fft" in chosen
    assert unmet([*records, *_interpreter(target)]) == ()


# -- helpers for resolutions without a lock -----------------------------------------------------


def _interpreter(target: Target) -> list[RepodataRecord]:
    from mach2.providers.conda.virtual import interpreter_packages, virtual_packages

    return [*interpreter_packages(target), *virtual_packages(target)]


def _resolve(
    chan: str,
    specs: list[str],
    *,
    target: Target = PY312,
    providers: str = "conda",
    names: Any = None,
) -> dict[str, Candidate]:
    from mach2.providers.order import parse_provider_option

    index = open_channels(parse_channels([chan]), ("linux-64", "noarch"), cache_dir=None)
    provider = CondaProvider("conda", index, target, names=names)
    factory = Factory(
        target=target,
        order=ProviderOrder.from_mapping(parse_provider_option(providers)),
        providers={"conda": provider},
        prefetch_workers=0,
    )
    roots = [
        Requirement.from_matchspec(conda_identifier(spec.name, provider.names), spec, origin="test")
        for spec in map(parse_matchspec, specs)
    ]
    resolution = resolve(factory, roots)
    return {i: c for i, c in resolution.mapping.items() if c.provider == "conda"}


def _lock_conda(chan: str, specs: list[str]) -> Lock:
    """Lock ``specs`` as an environment.yml would, through lock_input (no PyPI)."""
    from mach2.inputs import CondaEntry, RequirementsInput

    requirements = RequirementsInput(
        conda=tuple(CondaEntry(spec=parse_matchspec(s), origin="env:1") for s in specs),
    )
    options = LockOptions(target=PY312, providers="conda", channels=[chan], patchelf=False)
    return lock_input(requirements, "", options, index=FakeIndex({}))


# -- conda semantics in the shared resolver -----------------------------------------------------


def test_constrains_bind_only_what_is_installed(tmp_path: Path) -> None:
    chan = channel(
        tmp_path,
        record("liba", "1.0", constrains=["libb <2"]),
        record("libb", "1.5"), record("libb", "2.0"),
        record("libc", "1.0", depends=["libb"]),
    )  # fmt: skip
    only_a = _resolve(chan, ["liba"])
    assert set(only_a) == {"conda:liba"}  # libb is only constrained: not installed
    both = _resolve(chan, ["liba", "libc"])
    assert str(both["conda:libb"].version) == "1.5"  # 2.0 is newer but constrained away
    assert str(_resolve(chan, ["libc"])["conda:libb"].version) == "2.0"


def test_constrains_on_a_pypi_project_apply_to_its_wheel(tmp_path: Path) -> None:
    chan = channel(tmp_path, record("openssl", "3.2.1", constrains=["pyopenssl >=22.1"]))
    index = FakeIndex({"pyopenssl": {"21.0": {}, "23.0": {}}})
    providers = {"_default": "wheel", "conda:openssl": "conda"}
    text = "pyopenssl\n"
    base = _env_lock(tmp_path, index, providers, chan, text, conda=["openssl"])
    assert base.packages["pyopenssl"].version == "23.0"
    with pytest.raises(ResolutionFailed, match="pyopenssl"):
        _env_lock(tmp_path, index, providers, chan, "pyopenssl<23\n", conda=["openssl"])


def _env_lock(
    tmp_path: Path,
    index: FakeIndex,
    providers: str | Mapping[str, str],
    chan: str,
    text: str,
    *,
    conda: Sequence[str] = (),
) -> Lock:
    from mach2.inputs import CondaEntry, parse_requirements

    requirements = parse_requirements(text, origin="requirements.txt")
    entries = tuple(CondaEntry(spec=parse_matchspec(s), origin="env:1") for s in conda)
    requirements = attrs.evolve(requirements, conda=entries)
    options = LockOptions(target=PY312, providers=providers, channels=[chan], patchelf=False)
    return lock_input(requirements, text, options, index=index)


def test_track_features_are_avoided(tmp_path: Path) -> None:
    chan = channel(
        tmp_path,
        record("libx", "1.0", "debug_1", build_number=1, track_features="debug"),
        record("libx", "1.0", "h0_0", build_number=0),
    )
    assert _resolve(chan, ["libx"])["conda:libx"].artifact.build == "h0_0"  # type: ignore[attr-defined]


def test_builds_of_one_version_are_distinct_candidates(tmp_path: Path) -> None:
    """The newest build conflicts; the resolver must reach the older build of the same version."""
    chan = channel(
        tmp_path,
        record("libblas", "3.9.0", "21_mkl", build_number=21, depends=["mkl"]),
        record("libblas", "3.9.0", "13_openblas", build_number=13),
        record("mkl", "2024.0"),
        record("app", "1.0", depends=["libblas", "libblas * *openblas"]),
    )
    chosen = _resolve(chan, ["app"])
    assert chosen["conda:libblas"].artifact.build == "13_openblas"  # type: ignore[attr-defined]
    assert "conda:mkl" not in chosen


def test_virtual_packages_come_from_the_target(tmp_path: Path) -> None:
    chan = channel(
        tmp_path,
        record("libg", "2.0", "new", depends=["__glibc >=2.50"]),
        record("libg", "1.0", "old", depends=["__glibc >=2.17", "__unix", "__linux"]),
        record("cudalib", "1.0", depends=["__cuda >=12"]),
        record("maclib", "1.0", depends=["__osx >=11"]),
    )
    assert str(_resolve(chan, ["libg"])["conda:libg"].version) == "1.0"
    with pytest.raises(ResolutionFailed, match="cudalib: not for the target"):
        _resolve(chan, ["cudalib"])
    with pytest.raises(ResolutionFailed, match="maclib"):
        _resolve(chan, ["maclib"])
    index = open_channels(parse_channels([chan]), ("linux-64", "noarch"), cache_dir=None)
    provider = CondaProvider("conda", index, PY312, cuda="12.2")
    assert [str(c.version) for c in provider.candidates(conda_native("cudalib"))] == ["1.0"]


def test_exclude_newer_drops_later_builds(tmp_path: Path) -> None:
    chan = channel(
        tmp_path,
        record("liby", "1.0", timestamp=1_600_000_000_000),
        record("liby", "2.0", timestamp=1_800_000_000_000),
    )
    index = open_channels(parse_channels([chan]), ("linux-64", "noarch"), cache_dir=None)
    cutoff = datetime(2025, 1, 1, tzinfo=UTC)
    provider = CondaProvider("conda", index, PY312, exclude_newer=cutoff)
    assert [str(c.version) for c in provider.candidates(conda_native("liby"))] == ["1.0"]
    assert provider.rejections(conda_native("liby")) == {
        "liby: built after exclude-newer": ["2.0 h0_0"]
    }


# -- mixed locks: conda and PyPI in one resolution ----------------------------------------------


def _pypi_world() -> FakeIndex:
    linux = ["cp312-cp312-manylinux_2_17_x86_64"]
    return FakeIndex(
        {
            "pandas": {"2.2.0": {"deps": ["numpy>=1.26", "python-dateutil>=2.8.2"],
                                 "wheels": linux}},
            "numpy": {"1.26.4": {"wheels": linux}, "2.1.0": {"wheels": linux}},
            "python-dateutil": {"2.9.0": {"deps": ["six>=1.5"]}},
            "six": {"1.16.0": {}},
            "urllib3": {"1.26.18": {}, "2.2.1": {}, "3.0.0": {}},
            "idna": {"3.6": {}},
        }
    )  # fmt: skip


def test_mixed_lock_numpy_from_conda_the_rest_from_pypi(conda_forge: str) -> None:
    lock = lock_with(
        _pypi_world(), "pandas\n", providers={"_default": "wheel,sdist", "numpy": "conda"},
        channels=[conda_forge], patchelf=False,
    )  # fmt: skip
    providers = {k: p.provider for k, p in lock.packages.items()}
    assert providers.pop("numpy") == "conda"
    assert {k: v for k, v in providers.items() if not k.startswith("conda:")} == {
        "pandas": "wheel", "python-dateutil": "wheel", "six": "wheel",
    }  # fmt: skip
    natives = {k for k in providers if k.startswith("conda:")}
    assert natives == {lock_key(n) for n in closure_without_interpreter()} - {"numpy"}
    assert lock.packages["numpy"].version == "1.26.4"  # not PyPI's 2.1.0: the order says conda
    assert (
        lock.packages["numpy"].why_provider == "conda is first for numpy in your entry numpy=conda"
    )
    assert lock.packages["pandas"].dependencies["numpy"] == "numpy>=1.26"
    assert lock.providers == {"_default": ("wheel", "sdist"), "numpy": ("conda",)}


def test_mixed_lock_conda_first_falls_back_to_pypi(conda_forge: str) -> None:
    """``conda,wheel``: a PEP 508 pin conda cannot meet takes the wheel."""
    lock = lock_with(
        _pypi_world(), "numpy>=2\n", providers="conda,wheel", channels=[conda_forge],
        patchelf=False,
    )  # fmt: skip
    assert set(lock.packages) == {"numpy"}
    numpy = lock.packages["numpy"]
    assert (numpy.provider, numpy.version) == ("wheel", "2.1.0")
    assert numpy.why_provider.startswith("wheel after conda")


def test_a_conda_package_takes_its_python_dependencies_from_pypi(tmp_path: Path) -> None:
    chan = channel(
        tmp_path,
        record("requests", "2.31.0", "pyhd8ed1ab_0", subdir="noarch", noarch="python",
               depends=["python >=3.7", "urllib3 >=1.21.1,<3", "idna >=2.5,<4"]),
    )  # fmt: skip
    lock = lock_with(
        _pypi_world(), "requests\n", providers={"_default": "wheel", "requests": "conda"},
        channels=[chan], patchelf=False,
    )  # fmt: skip
    assert {k: (p.provider, p.version) for k, p in lock.packages.items()} == {
        "requests": ("conda", "2.31.0"),
        "urllib3": ("wheel", "2.2.1"),
        "idna": ("wheel", "3.6"),
    }  # urllib3 3.0.0 is excluded by the conda spec <3
    assert lock.packages["requests"].artifact.extra["noarch"] == "python"
    assert lock.packages["requests"].dependencies == {
        "idna": "idna >=2.5,<4", "urllib3": "urllib3 >=1.21.1,<3",
    }  # fmt: skip


def test_extras_never_come_from_conda(conda_forge: str) -> None:
    index = FakeIndex({"numpy": {"1.26.4": {"deps": ["six ; extra == 'x'"]}}, "six": {"1.0": {}}})
    lock = lock_with(
        index, "numpy[x]\n", providers="conda,wheel", channels=[conda_forge], patchelf=False
    )
    assert lock.packages["numpy"].provider == "wheel" and "six" in lock.packages


def test_conda_without_a_channel_is_a_clear_error(conda_forge: str) -> None:
    with pytest.raises(ProviderError) as info:
        lock_with({"a": {"1.0": {}}}, "a\n", providers="wheel,conda")
    assert str(info.value) == (
        "provider 'conda' (asked for _default) is not available "
        "(name the channel with --channel NAME=URL_OR_DIR)"
    )
    with pytest.raises(ProviderError, match="'conda/other'"):
        lock_with({"a": {"1.0": {}}}, "a\n", providers="conda/other", channels=[conda_forge])
    with pytest.raises(InputError, match="conda channel 'x': has no repodata for linux-64, noarch"):
        lock_with({"a": {"1.0": {}}}, "a\n", providers="conda", channels=["x=/nonexistent"])


def test_the_channels_are_part_of_the_input_hash(conda_forge: str, tmp_path: Path) -> None:
    plain = lock_with({"six": {"1.0": {}}}, "six\n", patchelf=False)
    with_channel = lock_with({"six": {"1.0": {}}}, "six\n", channels=[conda_forge], patchelf=False)
    assert plain.inputs.hash != with_channel.inputs.hash
    assert with_channel.packages["six"].provider == "wheel"  # a channel alone changes no order


# -- environment.yml ----------------------------------------------------------------------------


ENVIRONMENT = """\
name: analysis
channels:
  - {channel}
dependencies:
  - python=3.12
  - numpy>=1.26
  - libgcc-ng  # [linux]
  - appnope  # [osx]
  - pip:
    - pandas>=2
    - six  # [osx]
"""


def test_environment_yml_with_a_pip_section(conda_forge: str, tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(ENVIRONMENT.format(channel=conda_forge))
    requirements = read_input(path)
    assert requirements.channels == (conda_forge,)
    assert [e.origin for e in requirements.conda] == [f"{path}:{n}" for n in (5, 6, 7, 8)]
    assert [e.origin for e in requirements.requirements] == [f"{path}:10", f"{path}:11"]
    assert requirements.files[0][0] == path.as_posix()
    options = LockOptions(target=PY312, patchelf=False)  # no -p: conda first, then PyPI
    lock = lock_input(requirements, path.read_text(), options, index=_pypi_world())
    providers = {k: p.provider for k, p in lock.packages.items() if not k.startswith("conda:")}
    assert providers == {
        "numpy": "conda",
        "pandas": "wheel",
        "python-dateutil": "wheel",
        "six": "wheel",
    }  # six: from python-dateutil, not from the osx-only line
    assert "conda:libgcc-ng" in lock.packages and "appnope" not in lock.packages
    assert sorted(lock.roots) == ["conda:libgcc-ng", "numpy", "pandas"]
    assert lock.providers["_default"] == ("conda", "wheel", "sdist", "nixpkgs")


def test_environment_yml_python_must_fit_the_target(conda_forge: str, tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(f"channels: [{conda_forge}]\ndependencies:\n  - python=3.11\n  - numpy\n")
    with pytest.raises(InputError) as info:
        lock_requirements([path], LockOptions(target=PY312, patchelf=False))
    assert str(info.value).startswith(f"{path}:3: 'python=3.11' does not fit the target")


def test_environment_yml_without_channels(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text("dependencies:\n  - numpy\n")
    with pytest.raises(InputError, match=r"environment.yml:2: conda package 'numpy' but no conda"):
        lock_requirements([path], LockOptions(target=PY312, patchelf=False))


def test_environment_yml_selector_on_a_pip_option_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text("dependencies:\n  - pip:\n    - --pre  # [linux]\n")
    with pytest.raises(InputError, match=r"environment\.yml:3: a selector on the pip option line"):
        read_input(path)


def test_environment_yml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text("dependencies:\n  - numpy >=1.2 [foo=&bar\n")
    with pytest.raises(EnvironmentYmlError) as info:
        read_input(path)
    assert str(info.value).startswith(f"{path}:2: ")


# -- the CLI ------------------------------------------------------------------------------------


def _mach2(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "mach2"
    command = [str(script)] if script.exists() else [shutil.which("mach2") or "mach2"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )


def test_cli_lock_an_environment_yml_with_a_channel(conda_forge: str, tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("dependencies:\n  - numpy\n")
    result = _mach2(
        tmp_path, "lock", "-r", "environment.yml", "-p", "conda", "--channel", conda_forge,
        "--python", "3.12", "--system", "x86_64-linux", "--no-patchelf",
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lock = json.loads((tmp_path / "mach2.lock").read_text())
    assert set(lock["packages"]) == {lock_key(n) for n in closure_without_interpreter()}
    assert lock["packages"]["numpy"]["artifact"]["kind"] == "conda"
    why = _mach2(tmp_path, "why", "conda:_openmp_mutex")
    assert why.returncode == 0, why.stderr
    assert why.stdout.startswith("_openmp_mutex 4.5 from conda\n")


def test_cli_conda_provider_without_a_channel(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    result = _mach2(
        tmp_path, "lock", "-r", "requirements.txt", "-p", "wheel,conda", "--offline",
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: provider 'conda' (asked for _default) is not available")
    assert "Traceback" not in result.stderr and not (tmp_path / "mach2.lock").exists()


# -- real PyPI ----------------------------------------------------------------------------------


@pytest.mark.network
def test_pandas_from_pypi_with_numpy_from_conda(conda_forge: str, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pandas\n")
    options = LockOptions(
        target=PY312,
        providers={"_default": "wheel,sdist", "numpy": "conda"},
        channels=[conda_forge],
        exclude_newer=datetime(2026, 11, 1, tzinfo=UTC),
        cache_dir=tmp_path / "cache",
        patchelf=False,
    )
    lock = lock_requirements([requirements], options)
    assert lock.packages["numpy"].provider == "conda"
    assert lock.packages["numpy"].version == "1.26.4"
    assert lock.packages["pandas"].provider == "wheel"
    others = {p.provider for k, p in lock.packages.items() if k != "numpy"}
    assert others == {"wheel", "conda"}
    assert {k for k, p in lock.packages.items() if p.provider == "conda"} == {
        lock_key(n) for n in closure_without_interpreter()
    }


def test_which_channels_serve_conda_only_packages(tmp_path: Path) -> None:
    """``numpy = conda/b`` takes numpy's libraries from b first; ``conda:<name>`` entries win."""
    a = channel(tmp_path, record("libx", "2.0"), record("liby", "2.0"), name="a")
    b = channel(
        tmp_path,
        record("numpy", "1.26.4", "py312_0", depends=["libx", "liby"]),
        record("libx", "1.0"), record("liby", "1.0"),
        name="b",
    )  # fmt: skip
    index = FakeIndex({})
    lock = lock_with(
        index, "numpy\n", providers={"_default": "conda/a,wheel", "numpy": "conda/b"},
        channels=[a, b], patchelf=False,
    )  # fmt: skip
    assert {k: (p.provider, p.version) for k, p in lock.packages.items()} == {
        "numpy": ("conda/b", "1.26.4"),
        "conda:libx": ("conda/a", "2.0"),  # conda/a is named first (in _default)
        "conda:liby": ("conda/a", "2.0"),
    }
    lock = lock_with(
        index, "numpy\n", patchelf=False, channels=[a, b],
        providers="_default=wheel;numpy=conda/b;conda:libx=conda/b",
    )  # fmt: skip
    assert {k: (p.provider, p.version) for k, p in lock.packages.items()} == {
        "numpy": ("conda/b", "1.26.4"),
        "conda:libx": ("conda/b", "1.0"),  # its own entry
        "conda:liby": ("conda/b", "1.0"),  # the only conda provider the order names
    }
    assert lock.packages["conda:libx"].artifact.extra["channel"] == "b"


def test_a_command_line_channel_mirrors_the_environment_file_s(tmp_path: Path) -> None:
    # environment.yml names conda-forge; `--channel conda-forge=./cf` points it at a local
    # mirror (conda's channel_alias habit): the command line's channel of that name wins.
    path = tmp_path / "environment.yml"
    path.write_text("channels:\n  - conda-forge\n  - nodefaults\ndependencies:\n  - zlib\n")
    mirror = channel(tmp_path, record("zlib", "1.3.1", "h0"), name="conda-forge")
    assert mirror == f"conda-forge={tmp_path / 'conda-forge'}"
    options = LockOptions(target=PY312, patchelf=False, channels=(mirror,), offline=True)
    lock = lock_requirements([path], options)
    artifact = lock.packages["conda:zlib"].artifact
    assert artifact.url == (tmp_path / "conda-forge" / "linux-64" / artifact.filename).as_uri()
    assert lock.packages["conda:zlib"].provider == "conda"


def test_two_channels_of_one_name_is_an_error_that_says_how(tmp_path: Path) -> None:
    from mach2.providers.conda.errors import ChannelError

    with pytest.raises(ChannelError) as info:
        parse_channels(["x=https://a.example/x", "x=https://b.example/x"])
    assert info.value.hint is not None
    assert "NAME=URL_OR_DIR" in info.value.hint and "--channel" in info.value.hint
