"""Fakes that implement the real provider interfaces over in-memory data.

The resolver core runs on them unchanged (research/aesthetics.md §3.3 rules 2 and 10):

- :class:`FakeProvider` is a :class:`mach2.providers.base.Provider` over a *universe*
  ``{name: {version: Release}}``, for resolver tests that need no files at all;
- :class:`ListingIndex` is a :class:`mach2.providers.pypi.provider.PackageIndex` that only lists
  files (by filename), for tests of which wheels a provider accepts for a Target;
- :func:`resolve_universe` builds the :class:`~mach2.resolve.factory.Factory` and runs
  :func:`~mach2.resolve.resolver.resolve` the way ``lock_input`` does, recording every pin.

Usage::

    universe = {"a": {"1.0": Release(("b>=1",))}, "b": {"1.0": Release(())}}
    outcome = resolve_universe(universe, ["a"])
    assert outcome.versions == {"a": Version("1.0"), "b": Version("1.0")}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs
from attrs import frozen
from packaging.requirements import Requirement as Pep508
from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from mach2.model.artifact import DistFile
from mach2.model.names import PYTHON_IDENTIFIER, normalize
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.order import ProviderOrder
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement
from mach2.resolve.resolver import Resolution, resolve

__all__ = [
    "FakeProvider",
    "ListingIndex",
    "Outcome",
    "Release",
    "Universe",
    "cache_root",
    "resolve_universe",
]


@frozen
class Release:
    """One version of a fake project: its Requires-Dist strings and Requires-Python."""

    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None


Universe = Mapping[str, Mapping[str, Release]]


class FakeProvider:
    """A provider over a universe: every version is one candidate, newest first.

    :param name: the provider kind it stands for (``wheel`` unless a test mixes kinds).
    :param preferred: name → version listed *first* (pip's "keep what is installed",
        ``--upgrade-strategy only-if-needed``); the rest stay newest first.
    """

    def __init__(
        self,
        universe: Universe,
        *,
        name: str = "wheel",
        preferred: Mapping[str, Version] | None = None,
    ) -> None:
        self.name = name
        self._releases: dict[NormalizedName, dict[Version, Release]] = {}
        for project, releases in universe.items():
            found = self._releases.setdefault(normalize(project), {})
            for version, release in releases.items():
                try:
                    found[Version(version)] = release
                except InvalidVersion:
                    continue  # as the PyPI providers do: not PEP 440, not a candidate
        self._preferred = {normalize(k): v for k, v in (preferred or {}).items()}
        self._candidates: dict[NormalizedName, tuple[Candidate, ...]] = {}
        #: candidates whose dependencies the resolver read, in order
        self.read: list[Candidate] = []

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        found = self._candidates.get(name)
        if found is None:
            versions = sorted(self._releases.get(name, {}), reverse=True)
            preferred = self._preferred.get(name)
            if preferred in versions:
                versions.remove(preferred)
                versions.insert(0, preferred)
            found = tuple(
                Candidate(name=name, version=v, provider=self.name, artifact=None) for v in versions
            )
            self._candidates[name] = found
        return found

    def dependencies(self, candidate: Candidate) -> Dependencies:
        self.read.append(candidate)
        release = self._releases[candidate.name][candidate.version]
        return Dependencies(
            requires_dist=release.requires_dist, requires_python=release.requires_python
        )

    def prefetch(self, name: NormalizedName) -> None:
        pass


@frozen(kw_only=True)
class Outcome:
    """What :func:`resolve_universe` found, plus every candidate pinned on the way."""

    resolution: Resolution
    pinned: tuple[Candidate, ...]

    @property
    def versions(self) -> dict[str, Version]:
        """Project name → version, without the interpreter and the extras candidates."""
        return {
            str(c.name): c.version
            for c in self.resolution.mapping.values()
            if not c.extras and c.name != PYTHON_IDENTIFIER
        }


def resolve_universe(
    universe: Universe,
    requested: Iterable[str],
    *,
    target: Target | None = None,
    preferred: Mapping[str, Version] | None = None,
    allow_prereleases: bool = False,
) -> Outcome:
    """Resolve PEP 508 ``requested`` strings against ``universe`` with one fake wheel provider.

    :raises mach2.errors.ResolutionFailed: as the real resolver does.
    """
    provider = FakeProvider(universe, preferred=preferred)
    factory = Factory(
        target=target or Target.from_strings("3.12"),
        order=ProviderOrder.from_mapping({"_default": provider.name}),
        providers={provider.name: provider},
        allow_prereleases=allow_prereleases,
        prefetch_workers=0,
    )
    roots = [Requirement.from_pep508(Pep508(text), origin="test") for text in requested]
    pinned: list[Candidate] = []
    try:
        resolution = resolve(factory, roots, on_pin=pinned.append)
    finally:
        factory.close()
    return Outcome(resolution=resolution, pinned=tuple(pinned))


@frozen
class ListingIndex:
    """A :class:`~mach2.providers.pypi.provider.PackageIndex` that lists files and serves nothing else.

    :param files: project name → filenames on its page (URLs are made up).
    """

    files: Mapping[str, Sequence[str]] = attrs.field(factory=dict)

    def project_files(self, name: NormalizedName) -> tuple[DistFile, ...]:
        return tuple(
            DistFile(filename=f, url=f"https://fake.invalid/files/{f}", sha256="0" * 64)
            for project, filenames in self.files.items()
            if normalize(project) == name
            for f in filenames
        )

    def prefetch_projects(self, names: Iterable[NormalizedName]) -> None:
        pass

    def wheel_metadata(self, file: DistFile) -> bytes:
        raise AssertionError(f"ListingIndex serves no metadata ({file.filename})")

    def prefetch_metadata(self, files: Iterable[DistFile]) -> None:
        pass

    def download(self, file: DistFile) -> Path:
        raise AssertionError(f"ListingIndex serves no files ({file.filename})")


def cache_root() -> Path:
    """The cache shared by live (network) tests: ``$MACH2_TEST_CACHE`` or ``~/.cache/mach2-tests``.

    Kept between runs so that a rerun reads index pages and metadata from disk (a lock with
    a past ``exclude_newer`` needs no request for a cached page).
    """
    base = os.environ.get("MACH2_TEST_CACHE") or Path.home() / ".cache" / "mach2-tests"
    return Path(base) / "resolve"
