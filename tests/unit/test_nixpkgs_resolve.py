"""Resolving with ``nixpkgs`` first, offline: a real 2020 nixpkgs index + a fake wheel provider.

nixpkgs' versions are taken as far as the requirements allow, and only a package nixpkgs
cannot satisfy falls back to a wheel (DESIGN.md §3, issue 6 "Done when").  The index holds
the names and versions of pynixify's dump of nixpkgs python3Packages (Python 3.7 era) that
these tests look up (tests/data/nixpkgs/PROVENANCE.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement as Pep508
from packaging.utils import NormalizedName
from packaging.version import Version

from mach2.lock.build import why_provider
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.nixpkgs.index import read_index
from mach2.providers.nixpkgs.provider import NixpkgsArtifact, NixpkgsProvider
from mach2.providers.order import ProviderOrder
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement
from mach2.resolve.resolver import Resolution, resolve

NIXPKGS_2020 = Path(__file__).resolve().parents[1] / "data" / "nixpkgs" / "index-2020.json"

TARGET = Target.from_strings("3.8")

# Requires-Dist of the real requests-2.22.0 wheel (what PyPI's metadata says).
REQUESTS_2_22_0 = (
    "chardet (<3.1.0,>=3.0.2)",
    "idna (<2.9,>=2.5)",
    "urllib3 (!=1.25.0,!=1.25.1,<1.26,>=1.21.1)",
    "certifi (>=2017.4.17)",
    "pyOpenSSL (>=0.14) ; extra == 'security'",
    'win-inet-pton ; (sys_platform == "win32" and python_version == "2.7") and extra == \'socks\'',
)


class FakeWheels:
    """A ``wheel`` provider with a few versions per project (newest first)."""

    name = "wheel"

    def __init__(self, projects: dict[str, dict[str, tuple[str, ...]]]) -> None:
        self.projects = projects
        self.asked: list[str] = []

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        self.asked.append(name)
        versions = sorted(self.projects.get(name, {}), key=Version, reverse=True)
        return [
            Candidate(name=name, version=Version(v), provider="wheel", artifact=f"{name}-{v}.whl")
            for v in versions
        ]

    def dependencies(self, candidate: Candidate) -> Dependencies:
        return Dependencies(requires_dist=self.projects[candidate.name][str(candidate.version)])

    def prefetch(self, name: NormalizedName) -> None: ...


WHEELS = FakeWheels(
    {
        "numpy": {"2.1.0": (), "1.26.4": ()},
        "requests": {"2.32.3": ("urllib3<3,>=1.21.1", "idna<4,>=2.5", "certifi>=2017.4.17")},
        "urllib3": {"2.2.3": ()},
        "idna": {"3.10": ()},
        "certifi": {"2024.8.30": ()},
        "chardet": {"5.2.0": ()},
    }
)


def pypi_metadata(name: NormalizedName, version: Version) -> Dependencies | None:
    """PyPI's metadata for a version, as far as this test knows it."""
    if (name, str(version)) == ("requests", "2.22.0"):
        return Dependencies(requires_dist=REQUESTS_2_22_0, requires_python=">=2.7, !=3.0.*")
    if (name, str(version)) == ("numpy", "1.17.4"):
        return Dependencies(requires_dist=(), requires_python=">=3.5")
    return None


def run(*requirements: str, order: str = "nixpkgs,wheel") -> tuple[Factory, Resolution]:
    nixpkgs = NixpkgsProvider(read_index(NIXPKGS_2020), TARGET, pypi_metadata)
    factory = Factory(
        target=TARGET,
        order=ProviderOrder.from_mapping({"_default": order}),
        providers={"nixpkgs": nixpkgs, "wheel": WHEELS},
        prefetch_workers=0,
    )
    roots = [Requirement.from_pep508(Pep508(r), origin="test") for r in requirements]
    return factory, resolve(factory, roots)


def chosen(resolution: Resolution) -> dict[str, tuple[str, str]]:
    return {
        ident: (str(c.version), c.provider)
        for ident, c in resolution.mapping.items()
        if c.provider != "python"
    }


def test_requests_numpy_come_from_nixpkgs() -> None:
    factory, resolution = run("requests", "numpy")
    assert chosen(resolution) == {
        "requests": ("2.22.0", "nixpkgs"),
        "numpy": ("1.17.4", "nixpkgs"),
        # requests' dependencies (from PyPI's metadata for 2.22.0) fit nixpkgs' versions.
        "chardet": ("3.0.4", "nixpkgs"),
        "idna": ("2.8", "nixpkgs"),
        "urllib3": ("1.25.7", "nixpkgs"),
        "certifi": ("2019.9.11", "nixpkgs"),
    }
    requests = resolution.mapping["requests"]
    assert isinstance(requests.artifact, NixpkgsArtifact)
    assert (requests.artifact.attr, requests.artifact.nixpkgs_version) == ("requests", "2.22.0")
    nixpkgs = factory.providers["nixpkgs"]
    assert isinstance(nixpkgs, NixpkgsProvider)
    assert nixpkgs.dependencies_from(requests) == "pypi"
    assert nixpkgs.dependencies_from(resolution.mapping["idna"]) == "unknown"
    assert (
        why_provider(factory, requests)
        == "nixpkgs is first for requests in your _default=nixpkgs,wheel"
    )


def test_a_requirement_nixpkgs_cannot_meet_falls_back_for_that_package_only() -> None:
    factory, resolution = run("requests", "numpy>=2")
    assert chosen(resolution) == {
        "requests": ("2.22.0", "nixpkgs"),
        "numpy": ("2.1.0", "wheel"),
        "chardet": ("3.0.4", "nixpkgs"),
        "idna": ("2.8", "nixpkgs"),
        "urllib3": ("1.25.7", "nixpkgs"),
        "certifi": ("2019.9.11", "nixpkgs"),
    }
    assert why_provider(factory, resolution.mapping["numpy"]) == (
        "wheel after nixpkgs in your _default=nixpkgs,wheel: "
        "no nixpkgs candidate of numpy fits the requirements"
    )


def test_a_dependency_pin_nixpkgs_cannot_meet_falls_back_too() -> None:
    _, resolution = run("requests", "idna>=3")
    assert chosen(resolution)["idna"] == ("3.10", "wheel")
    # requests 2.22.0 needs idna<2.9, so requests moves to a wheel as well; the rest stays.
    assert chosen(resolution)["requests"] == ("2.32.3", "wheel")
    assert chosen(resolution)["certifi"] == ("2019.9.11", "nixpkgs")


def test_attributes_of_one_project() -> None:
    _, resolution = run("django<2.2", "pytest")
    django, pytest_ = resolution.mapping["django"], resolution.mapping["pytest"]
    assert isinstance(django.artifact, NixpkgsArtifact)
    assert isinstance(pytest_.artifact, NixpkgsArtifact)
    assert (str(django.version), django.artifact.attr) == ("2.1.14", "django_2_1")
    # pytest and pytest_5 are both 5.2.4: the canonical attribute is kept.
    assert (str(pytest_.version), pytest_.artifact.attr) == ("5.2.4", "pytest")
    _, resolution = run("pytest<5")
    artifact = resolution.mapping["pytest"].artifact
    assert isinstance(artifact, NixpkgsArtifact) and artifact.attr == "pytest_4"


def test_wheel_first_still_prefers_wheels() -> None:
    _, resolution = run("requests", "numpy", order="wheel,nixpkgs")
    assert chosen(resolution)["numpy"] == ("2.1.0", "wheel")
    assert chosen(resolution)["requests"] == ("2.32.3", "wheel")
