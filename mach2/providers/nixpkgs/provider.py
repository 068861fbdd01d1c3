"""The ``nixpkgs`` provider: nixpkgs' own Python packages, reused as they are (binary cache).

Candidates come from a :class:`~mach2.providers.nixpkgs.index.NixpkgsIndex`, all in memory, so
listing costs nothing.  One candidate per (attribute, version):

- several attributes of one project (``django_4``/``django_5``, ``pytest``/``pytest_4``) each
  give a candidate; when two attributes have the same version (``pytest`` and ``pytest_5``,
  aliases such as ``dateutil``), the *canonical* one is kept: the attribute equal to the
  normalized name or to it with ``-`` → ``_``, else the shortest, then the first in sort order;
- versions that are not PEP 440 are mapped with :func:`coerce_version` (``unstable-2020-01-01``
  → ``0+unstable.20200101``) or, when that fails too, skipped (see :meth:`rejections`).

Dependencies (computed when the resolver reaches a candidate, then memoized): PyPI's metadata
for that version when an injected ``pypi_dependencies(name, version)`` finds it (mach-nix
trusted its PyPI database over nixpkgs too: nixpkgs' lists are not version constraints),
otherwise the dependency attributes nixpkgs declares (as unversioned requirements, plus
``optional-dependencies`` as extras).  :attr:`Dependencies.source` says which: ``pypi``,
``nixpkgs``, or ``unknown`` (an index without dependency lists and no PyPI metadata); the lock
records it as ``dependencies-from`` (:func:`lock_fields`).  A ``pypi_dependencies`` lookup may
cost a metadata fetch; :func:`pypi_dependencies` builds one from the PyPI client.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from attrs import frozen
from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from mach2.model.artifact import DistFile
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.nixpkgs.index import NixpkgsIndex, NixpkgsIndexError, NixpkgsPackage
from mach2.providers.pypi.client import UnknownProject
from mach2.providers.pypi.provider import PackageIndex, sdist_version, wheel_tags

__all__ = [
    "NixpkgsArtifact",
    "NixpkgsProvider",
    "PyPIDependencies",
    "canonical_attr_rank",
    "coerce_version",
    "lock_fields",
    "pypi_dependencies",
    "pypi_source",
]

#: ``(name, version) -> Dependencies | None``: PyPI's metadata for that version, if any.
PyPIDependencies = Callable[[NormalizedName, Version], Dependencies | None]

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_UNSTABLE_DATE = re.compile(r"^(?:unstable-)?(\d{4})-(\d{2})-(\d{2})$")
_RELEASE_AND_REST = re.compile(r"^v?(\d+(?:\.\d+)*)[-_.+]?(.*)$")
_NOT_LOCAL = re.compile(r"[^a-z0-9]+")


def coerce_version(text: str) -> Version | None:
    """nixpkgs' version string as a PEP 440 Version, or None when it cannot be read as one.

    1. PEP 440 as is (``2.22.0``, ``1.0-rc1``);
    2. a snapshot date, ``unstable-YYYY-MM-DD`` or ``YYYY-MM-DD`` (older nixpkgs): version 0
       with a local label, so it sorts below every release and satisfies only unversioned
       requirements (nixpkgs does not say which release the snapshot follows);
    3. a release followed by anything (``0.4.2-unstable-2024-03-01``, ``1.7.7-SNAPSHOT``): the
       release with the rest as a local label (PEP 440's "downstream changes"), so
       ``==0.4.2`` still matches and ``>0.4.2`` does not.

    >>> [str(coerce_version(v)) for v in ("2.22.0", "unstable-2020-01-01",
    ...                                   "0.4.2-unstable-2024-03-01", "1.7.7-SNAPSHOT")]
    ['2.22.0', '0+unstable.20200101', '0.4.2+unstable.20240301', '1.7.7+snapshot']
    >>> coerce_version("latest") is None
    True
    """
    try:
        return Version(text)
    except InvalidVersion:
        pass
    date = _UNSTABLE_DATE.match(text)
    if date:
        return Version(f"0+unstable.{''.join(date.groups())}")
    match = _RELEASE_AND_REST.match(text)
    if match is None:
        return None
    release, rest = match.groups()
    local = _NOT_LOCAL.sub(".", _DATE.sub(r"\1\2\3", rest).lower()).strip(".")
    try:
        return Version(f"{release}+{local}" if local else release)
    except InvalidVersion:
        return None


def canonical_attr_rank(attr: str, name: str) -> tuple[int, int, str]:
    """Sort key: which of several attributes with the same version a candidate points at.

    >>> sorted(["pytest_5", "pytest"], key=lambda a: canonical_attr_rank(a, "pytest"))
    ['pytest', 'pytest_5']
    >>> sorted(["dateutil", "python_dateutil"],
    ...        key=lambda a: canonical_attr_rank(a, "python-dateutil"))
    ['python_dateutil', 'dateutil']
    """
    canonical = attr in (name, name.replace("-", "_"))
    return (0 if canonical else 1, len(attr), attr)


@frozen(kw_only=True, cache_hash=True)
class NixpkgsArtifact:
    """What a nixpkgs candidate points at: one attribute of the Python package set.

    :param attr: the attribute (``django_4``), the one the Nix library reuses.
    :param nixpkgs_version: nixpkgs' version string exactly (maybe not PEP 440), which the
        Nix library compares with ``prev.<attr>.version``.
    :param package: the index entry (its declared dependencies and extras).
    """

    attr: str
    nixpkgs_version: str
    package: NixpkgsPackage = attrs.field(eq=False, repr=False)


class NixpkgsProvider:
    """Candidates from a nixpkgs index for a Target (see the module docstring).

    :param index: the nixpkgs' Python packages (:mod:`mach2.providers.nixpkgs.index`).
    :param target: must use the interpreter the index was made for (same major.minor) when
        the index says which.
    :param pypi_dependencies: finds PyPI's metadata for a version; ``None`` (or a lookup that
        finds nothing) means nixpkgs' declared dependencies are used.
    :raises NixpkgsIndexError: the index is for another Python than the target.
    """

    name = "nixpkgs"

    def __init__(
        self,
        index: NixpkgsIndex,
        target: Target,
        pypi_dependencies: PyPIDependencies | None = None,
    ) -> None:
        if index.python is not None and not _same_minor(index.python, target.python_minor):
            raise NixpkgsIndexError(
                f"the nixpkgs index is for Python {index.python} ({index.python_attr or 'python'}), the target is Python {target.python_minor}",
                hint=f"index python{target.python_minor.replace('.', '')} of that nixpkgs, or lock for --python {'.'.join(index.python.split('.')[:2])}",
            )
        self.index = index
        self.target = target
        self._pypi = pypi_dependencies
        self._candidates: dict[NormalizedName, tuple[Candidate, ...]] = {}
        self._rejected: dict[NormalizedName, dict[str, list[str]]] = {}
        self._dependencies: dict[Candidate, Dependencies] = {}
        self._lock = threading.Lock()

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        found = self._candidates.get(name)
        if found is None:
            found, rejected = self._select(name)
            with self._lock:
                self._candidates[name] = found
                self._rejected[name] = rejected
        return found

    def _select(self, name: NormalizedName) -> tuple[tuple[Candidate, ...], dict[str, list[str]]]:
        best: dict[Version, NixpkgsPackage] = {}
        rejected: dict[str, list[str]] = {}
        for package in self.index.by_name(name):
            version = coerce_version(package.version)
            if version is None:
                reason = "version is not PEP 440 (and not a snapshot date)"
                rejected.setdefault(reason, []).append(f"{package.version} ({package.attr})")
                continue
            current = best.get(version)
            if current is None or canonical_attr_rank(package.attr, name) < canonical_attr_rank(
                current.attr, name
            ):
                best[version] = package
        found = tuple(
            Candidate(
                name=name,
                version=version,
                provider=self.name,
                artifact=NixpkgsArtifact(
                    attr=package.attr, nixpkgs_version=package.version, package=package
                ),
            )
            for version, package in sorted(best.items(), reverse=True)
        )
        return found, rejected

    def rejections(self, name: NormalizedName) -> dict[str, list[str]]:
        """Reason → versions, for attributes of ``name`` that gave no candidate."""
        self.candidates(name)
        return self._rejected.get(name, {})

    def prefetch(self, name: NormalizedName) -> None:
        """Nothing to fetch: the index is in memory."""

    def dependencies(self, candidate: Candidate) -> Dependencies:
        found = self._dependencies.get(candidate)
        if found is None:
            found = self._compute(candidate)
            with self._lock:
                self._dependencies[candidate] = found
        return found

    def dependencies_from(self, candidate: Candidate) -> str:
        """``pypi``, ``nixpkgs`` or ``unknown``: where the candidate's dependencies came from."""
        return self.dependencies(candidate).source

    def _compute(self, candidate: Candidate) -> Dependencies:
        artifact = candidate.artifact
        assert isinstance(artifact, NixpkgsArtifact)
        # A coerced version (local label) is nixpkgs' own: PyPI has no metadata for it.
        if self._pypi is not None and candidate.version.local is None:
            metadata = self._pypi(candidate.name, candidate.version)
            if metadata is not None:
                # nixpkgs built it for the index's interpreter (packages `disabled` for it
                # throw and are not in the index), so its Requires-Python is already met.
                python = metadata.requires_python if self.index.python is None else None
                return attrs.evolve(metadata, requires_python=python, source="pypi")
        return self._declared(artifact.package)

    def _declared(self, package: NixpkgsPackage) -> Dependencies:
        """nixpkgs' dependency attributes as unversioned requirements (unknown attrs dropped)."""
        names = self._names(package.dependencies or (), package.name)
        requires = list(names)
        for extra, dependency_attrs in package.extras.items():
            requires += [
                f'{n} ; extra == "{extra}"' for n in self._names(dependency_attrs, package.name)
            ]
        source = "unknown" if package.dependencies is None else "nixpkgs"
        return Dependencies(
            requires_dist=tuple(requires), provides_extra=tuple(package.extras), source=source
        )

    def _names(self, dependency_attrs: Sequence[str], own: str) -> list[str]:
        names = set()
        for attr in dependency_attrs:
            found = self.index.by_attr(attr)
            if found is not None and found.name != own:
                names.add(found.name)
        return sorted(names)


def _same_minor(full: str, minor: str) -> bool:
    return full == minor or full.startswith(minor + ".")


def lock_fields(candidate: Candidate, dependencies: Dependencies) -> dict[str, Any]:
    """The lock's ``nixpkgs`` object for a nixpkgs candidate (docs/nixpkgs.md, "The lock").

    >>> from mach2.providers.nixpkgs.index import NixpkgsPackage
    >>> package = NixpkgsPackage(attr="requests", name="requests", version="2.22.0")
    >>> candidate = Candidate(name="requests", version=Version("2.22.0"), provider="nixpkgs",
    ...     artifact=NixpkgsArtifact(attr="requests", nixpkgs_version="2.22.0", package=package))
    >>> lock_fields(candidate, Dependencies(requires_dist=(), source="pypi"))
    {'attr': 'requests', 'version': '2.22.0', 'exact': True, 'dependencies-from': 'pypi'}
    """
    artifact = candidate.artifact
    if not isinstance(artifact, NixpkgsArtifact):
        raise TypeError(f"{candidate.describe()} is not a nixpkgs candidate")
    return {
        "attr": artifact.attr,
        "version": artifact.nixpkgs_version,
        # The locked version is the index's version of `attr` (it always is for this
        # provider); the Nix library still compares with the nixpkgs it evaluates.
        "exact": True,
        "dependencies-from": dependencies.source,
    }


# -- PyPI lookups for nixpkgs candidates -----------------------------------------------------


def _files_of_version(
    index: PackageIndex, name: NormalizedName, version: Version
) -> tuple[list[DistFile], list[DistFile]]:
    wheels: list[DistFile] = []
    sdists: list[DistFile] = []
    for file in index.project_files(name):
        if file.yanked is not None:
            continue
        if file.filename.endswith(".whl"):
            fields = wheel_tags(file.filename)
            text = fields[0] if fields else None
            bucket = wheels
        else:
            text = sdist_version(file.filename, name)
            bucket = sdists
        try:
            if text is not None and Version(text) == version:
                bucket.append(file)
        except InvalidVersion:
            continue
    return wheels, sdists


def pypi_dependencies(
    index: PackageIndex,
    parse_metadata: Callable[[bytes], Dependencies],
    target: Target,
) -> PyPIDependencies:
    """A ``pypi_dependencies`` lookup reading a wheel's METADATA for the version.

    Which wheel does not matter much (Requires-Dist rarely differs between the wheels of one
    version, and markers are evaluated for the target later): a pure ``none-any`` wheel,
    else one whose tags fit the target, else any.  No wheel, or a project PyPI does not
    know, gives None (then nixpkgs' own list is used); network errors propagate, so a lock
    never depends on a flaky connection.  sdists are not read (a PEP 517 build per nixpkgs
    package would cost more than it tells).
    """
    rank = target.tag_rank

    def wheel_rank(file: DistFile) -> tuple[int, int, str]:
        fields = wheel_tags(file.filename)
        assert fields is not None
        _, pythons, abis, platforms = fields
        if abis == "none" and platforms == "any":
            return (0, 0, file.filename)
        best = min(
            (
                rank.get((py, abi, plat), 1 << 30)
                for py in pythons.split(".")
                for abi in abis.split(".")
                for plat in platforms.split(".")
            ),
            default=1 << 30,
        )
        return (1, best, file.filename)

    def lookup(name: NormalizedName, version: Version) -> Dependencies | None:
        try:
            wheels, _ = _files_of_version(index, name, version)
        except UnknownProject:
            return None
        if not wheels:
            return None
        return parse_metadata(index.wheel_metadata(min(wheels, key=wheel_rank)))

    return lookup


def pypi_source(index: PackageIndex, name: NormalizedName, version: Version) -> DistFile | None:
    """PyPI's sdist of ``name`` ``version`` (``.tar.gz`` preferred), or None.

    The lock can carry it for a nixpkgs package, so that the Nix library can override
    ``src`` when the nixpkgs it evaluates has another version (docs/nixpkgs.md).
    """
    try:
        _, sdists = _files_of_version(index, name, version)
    except UnknownProject:
        return None
    if not sdists:
        return None
    return min(sdists, key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename))
