"""The two PyPI providers: ``wheel`` (binary wheels) and ``sdist`` (source distributions).

Both read the same index pages through a :class:`PackageIndex` (``mach2.providers.pypi.client`` is
the real one).  Listing is cheap and done on filename strings first: a page like numpy's has
thousands of files and only those whose platform tag can match the Target are parsed
further.  Dependencies cost a metadata fetch per wheel (PEP 658 file, range request or
download) and, for an sdist, a download plus possibly a PEP 517 metadata build.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from mach2.model.artifact import DistFile
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies

__all__ = [
    "PackageIndex",
    "SdistProvider",
    "WheelProvider",
    "sdist_version",
    "wheel_rank",
    "wheel_tags",
]

_UNRANKED = 1 << 30


_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz")


class PackageIndex(Protocol):
    """The part of the PyPI client the providers use (``mach2.providers.pypi.client.PyPIClient``)."""

    def project_files(self, name: NormalizedName) -> tuple[DistFile, ...]: ...
    def prefetch_projects(self, names: Iterable[NormalizedName]) -> None: ...
    def wheel_metadata(self, file: DistFile) -> bytes: ...
    def prefetch_metadata(self, files: Iterable[DistFile]) -> None: ...
    def download(self, file: DistFile) -> Path: ...


def wheel_tags(filename: str) -> tuple[str, str, str, str] | None:
    """``(version, python, abi, platform)`` tag fields of a wheel filename, or None if malformed.

    >>> wheel_tags("numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    ('2.1.0', 'cp312', 'cp312', 'manylinux_2_17_x86_64.manylinux2014_x86_64')
    """
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return None
    return parts[1], parts[-3], parts[-2], parts[-1]


def sdist_version(filename: str, name: NormalizedName) -> str | None:
    """The version part of an sdist filename whose name part normalizes to ``name``.

    Old sdists keep the project's own spelling (``python-dateutil-2.8.2.tar.gz``), new ones
    the normalized one (``python_dateutil-2.9.0.tar.gz``): try each dash as the separator.

    >>> sdist_version("Python-Dateutil-2.8.2.tar.gz", "python-dateutil")
    '2.8.2'
    """
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            break
    else:
        return None
    # Fast path: the name part has the name's length (true unless separators were doubled).
    head = stem[: len(name)]
    if (
        stem[len(name) : len(name) + 1] == "-"
        and head.lower().replace("_", "-").replace(".", "-") == name
    ):
        return stem[len(name) + 1 :] or None
    position = stem.find("-")
    while position != -1:
        if canonicalize_name(stem[:position]) == name:
            return stem[position + 1 :] or None
        position = stem.find("-", position + 1)
    return None


def wheel_rank(tag_rank: Mapping[tuple[str, str, str], int], filename: str) -> int | None:
    """The rank (0 best) of a wheel for a target's ``tag_rank``, or None if it does not fit.

    >>> wheel_rank({("py3", "none", "any"): 7}, "six-1.16.0-py2.py3-none-any.whl")
    7
    """
    fields = wheel_tags(filename) if filename.endswith(".whl") else None
    if fields is None:
        return None
    return _tags_rank(tag_rank, *fields[1:])


def _tags_rank(
    tag_rank: Mapping[tuple[str, str, str], int], pythons: str, abis: str, platforms: str
) -> int | None:
    """:func:`wheel_rank` of a wheel's (compressed) tag fields."""
    rank = min(
        (
            tag_rank.get((py, abi, plat), _UNRANKED)
            for py in pythons.split(".")
            for abi in abis.split(".")
            for plat in platforms.split(".")
        ),
        default=_UNRANKED,
    )
    return None if rank == _UNRANKED else rank


class _VersionCache:
    """Parses each version string once per run (``Version()`` is the hot spot on big pages)."""

    def __init__(self) -> None:
        self._parsed: dict[str, Version | None] = {}

    def __call__(self, text: str) -> Version | None:
        try:
            return self._parsed[text]
        except KeyError:
            try:
                version: Version | None = Version(text)
            except InvalidVersion:
                version = None
            self._parsed[text] = version
            return version


class _RequiresPythonCheck:
    def __init__(self, target: Target) -> None:
        self._python = target.python_version
        self._cache: dict[str, bool] = {}

    def __call__(self, text: str | None) -> bool:
        if not text:
            return True
        try:
            return self._cache[text]
        except KeyError:
            try:
                ok = SpecifierSet(text).contains(self._python, prereleases=True)
            except InvalidSpecifier:
                ok = True  # pip ignores an unparseable Requires-Python as well
            self._cache[text] = ok
            return ok


class _PyPIProvider:
    """What wheels and sdists share: the page, version parsing, rejection notes, memo."""

    name: str

    def __init__(self, index: PackageIndex, target: Target) -> None:
        self.index = index
        self.target = target
        self._version = _VersionCache()
        self._requires_python = _RequiresPythonCheck(target)
        self._candidates: dict[NormalizedName, tuple[Candidate, ...]] = {}
        self._rejected: dict[NormalizedName, dict[str, list[str]]] = {}
        self._dependencies: dict[Candidate, Dependencies] = {}
        self._yanked: dict[NormalizedName, tuple[Candidate, ...]] = {}
        self._alternatives: dict[tuple[NormalizedName, Version], tuple[DistFile, ...]] = {}
        self._lock = threading.Lock()

    def prefetch(self, name: NormalizedName) -> None:
        self.index.prefetch_projects([name])

    def answers_offline(self, name: NormalizedName) -> bool:
        """Whether listing ``name`` needs no request (then crawling ahead would only cost CPU)."""
        check = getattr(self.index, "answers_offline", None)
        return bool(check and check(name))

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        found = self._candidates.get(name)
        if found is None:
            files = self._files(name)
            # Why files were unusable is only needed to explain a failure: not noted here.
            found = self._select(name, files, None, yanked=False)
            yanked_files = [f for f in files if f.yanked is not None]
            yanked = self._select(name, yanked_files, None, yanked=True) if yanked_files else ()
            with self._lock:
                self._candidates[name] = found
                self._yanked[name] = yanked
        return found

    def _files(self, name: NormalizedName) -> Sequence[DistFile]:
        """The project's files this provider could use, by filename (all, if the index can't)."""
        matching = getattr(self.index, "project_files_matching", None)
        if matching is None:
            return self.index.project_files(name)
        return matching(name, self._may_use)  # type: ignore[no-any-return]

    def _may_use(self, filename: str) -> bool:
        """A cheap test on the filename alone; :meth:`_rank` decides for real."""
        return True

    def yanked(self, name: NormalizedName) -> Sequence[Candidate]:
        """Candidates made of yanked files only (PEP 592: for exact pins, as a last resort)."""
        self.candidates(name)
        return self._yanked.get(name, ())

    def alternatives(self, candidate: Candidate) -> tuple[DistFile, ...]:
        """Every usable file of the candidate's version, best first (``--hash`` may pick one)."""
        return self._alternatives.get((candidate.name, candidate.version), ())

    def rejections(self, name: NormalizedName) -> dict[str, list[str]]:
        """Reason → versions, for files of ``name`` this provider could not use."""
        found = self._rejected.get(name)
        if found is None:
            found = {}
            self._select(name, self.index.project_files(name), found, yanked=False)
            self._rejected[name] = found
        return found

    def _select(
        self,
        name: NormalizedName,
        files: Sequence[DistFile],
        rejected: dict[str, list[str]] | None,
        *,
        yanked: bool,
    ) -> tuple[Candidate, ...]:
        """One candidate per version, its artifact the best-ranked usable file."""
        ranked: dict[Version, list[tuple[int, str, DistFile]]] = {}
        for file in files:
            found = self._rank(name, file, rejected, yanked=yanked)
            if found is not None:
                version, rank = found
                ranked.setdefault(version, []).append((rank, file.filename, file))
        candidates = []
        for version in sorted(ranked, reverse=True):
            files_of = ranked[version]
            if len(files_of) > 1:
                files_of.sort(key=lambda t: t[:2])
            usable = tuple(file for _, _, file in files_of)
            if not yanked:
                self._alternatives[(name, version)] = usable
            candidates.append(
                Candidate(name=name, version=version, provider=self.name, artifact=usable[0])
            )
        return tuple(candidates)

    def _rank(
        self,
        name: NormalizedName,
        file: DistFile,
        rejected: dict[str, list[str]] | None,
        *,
        yanked: bool,
    ) -> tuple[Version, int] | None:
        """The file's version and rank (0 best), or None (noted in ``rejected``) if unusable."""
        raise NotImplementedError

    def _usable(
        self,
        file: DistFile,
        version_text: str,
        rejected: dict[str, list[str]] | None,
        *,
        yanked: bool,
    ) -> Version | None:
        """Checks every kind of file shares: yanked (per pass), Requires-Python, the version."""
        if (file.yanked is not None) != yanked:
            if not yanked:
                self._note(rejected, "yanked", version_text)
            return None
        if not self._requires_python(file.requires_python):
            self._note(rejected, f"requires Python {file.requires_python}", version_text)
            return None
        return self._version(version_text)

    def _note(self, rejected: dict[str, list[str]] | None, reason: str, version: str) -> None:
        if rejected is None:
            return
        versions = rejected.setdefault(reason, [])
        if version not in versions:
            versions.append(version)

    def _memo(self, candidate: Candidate, compute: Callable[[], Dependencies]) -> Dependencies:
        found = self._dependencies.get(candidate)
        if found is None:
            found = compute()
            with self._lock:
                self._dependencies[candidate] = found
        return found


class WheelProvider(_PyPIProvider):
    """Binary wheels: per version, the file whose tag ranks best for the Target."""

    name = "wheel"

    def __init__(
        self,
        index: PackageIndex,
        target: Target,
        parse_metadata: Callable[[bytes], Dependencies],
    ) -> None:
        super().__init__(index, target)
        self._parse_metadata = parse_metadata
        self._tag_rank = target.tag_rank
        self._platforms = frozenset(target.platform_tags) | {"any"}
        # A cold lock tests ~60,000 filenames (the data-science set) that carry ~100 distinct
        # platform fields and ~200 distinct tag triples: each is judged once, then looked up
        # (listing them all: 112 → 69 ms of CPU).  Shared by threads: a race only
        # computes the same answer twice.
        self._platform_fits: dict[str, bool] = {}
        self._tag_fits: dict[tuple[str, str, str], int | str] = {}

    def _may_use(self, filename: str) -> bool:
        if not filename.endswith(".whl"):
            return False
        platforms = filename[:-4].rpartition("-")[2]
        fits = self._platform_fits.get(platforms)
        if fits is None:
            fits = any(p in self._platforms for p in platforms.split("."))
            self._platform_fits[platforms] = fits
        return fits

    def _tag_fit(self, pythons: str, abis: str, platforms: str) -> int | str:
        """The rank of a wheel with these tag fields, or why it cannot be used."""
        key = (pythons, abis, platforms)
        fit = self._tag_fits.get(key)
        if fit is None:
            if not any(p in self._platforms for p in platforms.split(".")):
                fit = "no wheel for the target platform"
            else:
                rank = _tags_rank(self._tag_rank, pythons, abis, platforms)
                fit = "no wheel for the target Python" if rank is None else rank
            self._tag_fits[key] = fit
        return fit

    def _rank(
        self,
        name: NormalizedName,
        file: DistFile,
        rejected: dict[str, list[str]] | None,
        *,
        yanked: bool,
    ) -> tuple[Version, int] | None:
        filename = file.filename
        fields = wheel_tags(filename) if filename.endswith(".whl") else None
        if fields is None:
            return None
        version_text, pythons, abis, platforms = fields
        rank = self._tag_fit(pythons, abis, platforms)
        if isinstance(rank, str):
            self._note(rejected, rank, version_text)
            return None
        version = self._usable(file, version_text, rejected, yanked=yanked)
        return None if version is None else (version, rank)

    def dependencies(self, candidate: Candidate) -> Dependencies:
        file = candidate.artifact
        assert isinstance(file, DistFile)
        return self._memo(candidate, lambda: self._parse_metadata(self.index.wheel_metadata(file)))

    def prefetch_dependencies(self, candidate: Candidate) -> None:
        assert isinstance(candidate.artifact, DistFile)
        self.index.prefetch_metadata([candidate.artifact])


class SdistProvider(_PyPIProvider):
    """Source distributions: one per version (``.tar.gz`` preferred over other archives)."""

    name = "sdist"

    def __init__(
        self,
        index: PackageIndex,
        target: Target,
        read_metadata: Callable[[Path, DistFile], Dependencies],
    ) -> None:
        super().__init__(index, target)
        self._read_metadata = read_metadata

    def _may_use(self, filename: str) -> bool:
        return not filename.endswith(".whl")

    def _rank(
        self,
        name: NormalizedName,
        file: DistFile,
        rejected: dict[str, list[str]] | None,
        *,
        yanked: bool,
    ) -> tuple[Version, int] | None:
        if file.filename.endswith(".whl"):
            return None
        version_text = sdist_version(file.filename, name)
        if version_text is None:
            return None
        version = self._usable(file, version_text, rejected, yanked=yanked)
        # .tar.gz is the standard format (PEP 625); other archives only when it is missing.
        return None if version is None else (version, 0 if file.filename.endswith(".tar.gz") else 1)

    def dependencies(self, candidate: Candidate) -> Dependencies:
        file = candidate.artifact
        assert isinstance(file, DistFile)
        return self._memo(candidate, lambda: self._read_metadata(self.index.download(file), file))
