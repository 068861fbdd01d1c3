"""NixpkgsProvider on a small in-memory index: candidates, versions, dependencies, lock fields."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from mach2.model.artifact import DistFile
from mach2.model.names import normalize
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.nixpkgs.index import NixpkgsIndex, NixpkgsIndexError
from mach2.providers.nixpkgs.provider import (
    NixpkgsArtifact,
    NixpkgsProvider,
    coerce_version,
    lock_fields,
    pypi_dependencies,
    pypi_source,
)
from mach2.providers.pypi.client import UnknownProject

TARGET = Target.from_strings("3.12")


def index(*packages: dict[str, Any], python: str | None = "3.12.8") -> NixpkgsIndex:
    return NixpkgsIndex.from_json(
        {"format": 1, "python": python, "packages": list(packages)}, where="test"
    )


def pkg(
    attr: str, name: str, version: str, deps: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {"attr": attr, "name": name, "version": version, **extra}
    if deps is not None:
        entry["dependencies"] = deps
    return entry


N = normalize


def summary(candidates: Iterable[Candidate]) -> list[tuple[str, str, str]]:
    out = []
    for c in candidates:
        assert isinstance(c.artifact, NixpkgsArtifact)
        out.append((str(c.version), c.artifact.attr, c.artifact.nixpkgs_version))
    return out


def test_several_attributes_are_candidates_newest_first() -> None:
    provider = NixpkgsProvider(
        index(
            pkg("django_4", "django", "4.2.7"),
            pkg("django_5", "Django", "5.0.1"),
            pkg("django", "django", "5.0.1"),  # an alias of django_5: one candidate
        ),
        TARGET,
    )
    candidates = provider.candidates(N("django"))
    assert summary(candidates) == [("5.0.1", "django", "5.0.1"), ("4.2.7", "django_4", "4.2.7")]
    assert all(c.provider == "nixpkgs" and c.name == "django" for c in candidates)
    assert provider.candidates(N("flask")) == ()


@pytest.mark.parametrize(
    ("attrs", "name", "kept"),
    [
        (["pytest_5", "pytest"], "pytest", "pytest"),  # equal to the name
        (["dateutil", "python_dateutil"], "python-dateutil", "python_dateutil"),  # - → _
        (["python-dateutil", "dateutil"], "python-dateutil", "python-dateutil"),
        (["pyyaml_5", "pyyaml5"], "pyyaml", "pyyaml5"),  # else the shortest
        (["b_x", "a_x"], "x", "a_x"),  # then the first in sort order
    ],
)
def test_same_version_keeps_the_canonical_attribute(attrs: list[str], name: str, kept: str) -> None:
    provider = NixpkgsProvider(index(*(pkg(a, name, "1.0") for a in attrs)), TARGET)
    assert summary(provider.candidates(N(name))) == [("1.0", kept, "1.0")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.22.0", "2.22.0"),
        ("1.0-rc1", "1.0rc1"),
        ("2019.11.28", "2019.11.28"),
        ("unstable-2020-01-01", "0+unstable.20200101"),
        ("2019-10-01", "0+unstable.20191001"),
        ("0.4.2-unstable-2024-03-01", "0.4.2+unstable.20240301"),
        ("1.7.7-SNAPSHOT", "1.7.7+snapshot"),
        ("v3.1", "3.1"),
        ("latest", None),
        ("", None),
    ],
)
def test_coerce_version(text: str, expected: str | None) -> None:
    version = coerce_version(text)
    assert (None if version is None else str(version)) == expected


def test_non_pep440_versions_are_tolerated_or_rejected_with_a_reason() -> None:
    provider = NixpkgsProvider(
        index(
            pkg("snowball", "snowballstemmer", "unstable-2020-01-01"),
            pkg("snowball_2", "snowballstemmer", "2.0.0"),
            pkg("weird", "weird", "nightly"),
        ),
        TARGET,
    )
    assert summary(provider.candidates(N("snowballstemmer"))) == [
        ("2.0.0", "snowball_2", "2.0.0"),
        ("0+unstable.20200101", "snowball", "unstable-2020-01-01"),
    ]
    assert provider.candidates(N("weird")) == ()
    assert provider.rejections(N("weird")) == {
        "version is not PEP 440 (and not a snapshot date)": ["nightly (weird)"]
    }


def test_declared_dependencies_and_extras() -> None:
    provider = NixpkgsProvider(
        index(
            pkg(
                "requests",
                "requests",
                "2.22.0",
                ["urllib3", "idna", "gone", "requests"],
                extras={"socks": ["pysocks"]},
            ),
            pkg("urllib3", "urllib3", "1.25.7", []),
            pkg("idna", "idna", "2.8", []),
            pkg("pysocks", "PySocks", "1.7.1", []),
            pkg("pyyaml", "pyyaml", "5.2"),  # no dependency list: unknown
        ),
        TARGET,
    )
    (requests,) = provider.candidates(N("requests"))
    deps = provider.dependencies(requests)
    # Unversioned; an attribute not in the index ("gone") and the package itself are dropped.
    assert deps == Dependencies(
        requires_dist=("idna", "urllib3", 'pysocks ; extra == "socks"'),
        provides_extra=("socks",),
        source="nixpkgs",
    )
    assert provider.dependencies_from(requests) == "nixpkgs"
    (pyyaml,) = provider.candidates(N("pyyaml"))
    assert provider.dependencies(pyyaml) == Dependencies(requires_dist=(), source="unknown")


def test_pypi_metadata_wins_when_it_exists() -> None:
    asked: list[tuple[str, Version]] = []

    def lookup(name: NormalizedName, version: Version) -> Dependencies | None:
        asked.append((name, version))
        if name == "requests":
            return Dependencies(requires_dist=("idna<2.9,>=2.5",), requires_python=">=3.9")
        return None

    provider = NixpkgsProvider(
        index(
            pkg("requests", "requests", "2.22.0", ["idna"]),
            pkg("idna", "idna", "2.8", []),
            pkg("snowball", "snowballstemmer", "unstable-2020-01-01", []),
        ),
        TARGET,
        lookup,
    )
    (requests,) = provider.candidates(N("requests"))
    deps = provider.dependencies(requests)
    # nixpkgs built it for this interpreter: PyPI's Requires-Python is already met.
    assert deps == Dependencies(requires_dist=("idna<2.9,>=2.5",), source="pypi")
    assert provider.dependencies(requests) is deps  # memoized
    (idna,) = provider.candidates(N("idna"))
    assert provider.dependencies(idna).source == "nixpkgs"
    (snowball,) = provider.candidates(N("snowballstemmer"))
    assert provider.dependencies(snowball).source == "nixpkgs"
    # A coerced version is nixpkgs' own: PyPI is not asked about it.
    assert asked == [("requests", Version("2.22.0")), ("idna", Version("2.8"))]


def test_requires_python_is_kept_when_the_index_does_not_name_its_python() -> None:
    def lookup(name: NormalizedName, version: Version) -> Dependencies:
        return Dependencies(requires_dist=(), requires_python=">=3.5")

    provider = NixpkgsProvider(index(pkg("numpy", "numpy", "1.17.4"), python=None), TARGET, lookup)
    (numpy,) = provider.candidates(N("numpy"))
    assert provider.dependencies(numpy).requires_python == ">=3.5"


def test_an_index_for_another_python_is_refused() -> None:
    with pytest.raises(NixpkgsIndexError) as error:
        NixpkgsProvider(index(python="3.11.9"), TARGET)
    assert error.value.message == (
        "the nixpkgs index is for Python 3.11.9 (python), the target is Python 3.12"
    )
    assert error.value.hint == "index python312 of that nixpkgs, or lock for --python 3.11"
    NixpkgsProvider(index(python="3.12"), TARGET)  # a bare minor is fine


def test_lock_fields() -> None:
    provider = NixpkgsProvider(index(pkg("snowball", "snowballstemmer", "2019-10-01", [])), TARGET)
    (candidate,) = provider.candidates(N("snowballstemmer"))
    assert lock_fields(candidate, provider.dependencies(candidate)) == {
        "attr": "snowball",
        "version": "2019-10-01",
        "exact": True,
        "dependencies-from": "nixpkgs",
    }
    wheel = Candidate(name=N("x"), version=Version("1"), provider="wheel", artifact=None)
    with pytest.raises(TypeError):
        lock_fields(wheel, Dependencies(requires_dist=()))


# -- PyPI lookups ----------------------------------------------------------------------------


class FakeIndex:
    """A PackageIndex with a few files; metadata is the filename (to see which was read)."""

    def __init__(self, files: dict[str, list[str]]) -> None:
        self.files = files
        self.read: list[str] = []

    def project_files(self, name: NormalizedName) -> tuple[DistFile, ...]:
        if name not in self.files:
            raise UnknownProject(name, ["https://pypi.org/simple/"])
        return tuple(
            DistFile(
                filename=f,
                url=f"https://files/{f}",
                sha256="0" * 64,
                yanked="bad" if "yanked" in f else None,
            )
            for f in self.files[name]
        )

    def prefetch_projects(self, names: Iterable[NormalizedName]) -> None: ...
    def prefetch_metadata(self, files: Iterable[DistFile]) -> None: ...

    def wheel_metadata(self, file: DistFile) -> bytes:
        self.read.append(file.filename)
        return file.filename.encode()

    def download(self, file: DistFile) -> Path:
        raise AssertionError("no downloads")


def parse(data: bytes) -> Dependencies:
    return Dependencies(requires_dist=(data.decode(),))


def test_pypi_dependencies_reads_one_wheel_of_the_version() -> None:
    fake = FakeIndex(
        {
            "numpy": [
                "numpy-1.17.4-cp38-cp38-manylinux1_x86_64.whl",
                "numpy-1.17.4-cp37-cp37m-win_amd64.whl",
                "numpy-1.17.4.zip",
                "numpy-1.18.0-cp312-cp312-manylinux1_x86_64.whl",
            ],
            "six": [
                "six-1.13.0-py2.py3-none-any.whl",
                "six-1.13.0-cp312-cp312-manylinux1_x86_64.whl",
            ],
            "requests": ["requests-2.22.0.tar.gz", "requests-2.22.0-yanked-py3-none-any.whl"],
            "fit": [
                "fit-1.0-cp37-cp37m-manylinux1_x86_64.whl",
                "fit-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            ],
        }
    )
    lookup = pypi_dependencies(fake, parse, Target.from_strings("3.12"))
    # No wheel for the target: any wheel of the version tells its Requires-Dist.
    assert lookup(N("numpy"), Version("1.17.4")) is not None
    assert fake.read[-1].startswith("numpy-1.17.4-")
    dep = lookup(N("six"), Version("1.13"))  # versions compare as PEP 440
    assert dep == Dependencies(requires_dist=("six-1.13.0-py2.py3-none-any.whl",))
    fit = lookup(N("fit"), Version("1.0"))
    assert fit == Dependencies(requires_dist=("fit-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",))
    assert lookup(N("requests"), Version("2.22.0")) is None  # sdist only (and a yanked wheel)
    assert lookup(N("numpy"), Version("9")) is None
    assert lookup(N("not-on-pypi"), Version("1")) is None


def test_pypi_source_prefers_tar_gz() -> None:
    fake = FakeIndex(
        {"numpy": ["numpy-1.17.4.zip", "numpy-1.17.4.tar.gz", "numpy-1.17.4-py3-none-any.whl"]}
    )
    found = pypi_source(fake, N("numpy"), Version("1.17.4"))
    assert found is not None and found.filename == "numpy-1.17.4.tar.gz"
    assert pypi_source(fake, N("numpy"), Version("2")) is None
    assert pypi_source(fake, N("nope"), Version("2")) is None
