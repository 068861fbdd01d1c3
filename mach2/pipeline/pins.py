"""Stage 3 for a foreign lock: its pins become the resolution (``resolve.resolve_all`` asks here).

A foreign lock (``mach2.inputs.foreign``) already chose every version and file.  Rather than a
second copy of the resolve stage, the same resolver runs over providers that offer only what
the lock pinned: each provider is wrapped so that, for a pinned package, it lists at most one
candidate, the lock's version with the lock's file.  With one candidate per package the
resolver searches nothing; it checks that the pins fit together on the target (every
dependency pinned, at a version that satisfies it), computes the extras in use and the
dependency edges from the files' metadata, and the later stages (build systems, artifacts,
patch plans, the lock) run as for any lock.

* ``wheel``/``sdist``: the lock's files for the target (its wheels ranked by the target's tags;
  its sdist), in the provider order: by default a fitting wheel, else the sdist.  Each file is
  looked up on the index by sha256 or name: the index's record is used (its URL, size,
  metadata); the same name with another sha256 is an :class:`~mach2.errors.ArtifactError`
  (one line, nothing written).  A file the index does not list (another index, a direct URL)
  is downloaded now and checked against the lock's hash.
* ``conda``/``nixpkgs`` (``-p numpy=conda``): the provider's candidates of the pinned version;
  the files are the provider's (the lock's PyPI files cannot be used there), and the lock
  says so in ``why-provider``.  Conda-only packages (``conda:<name>``) are not the foreign
  lock's business: the conda providers resolve them as usual.
* a name the lock does not pin is an error naming who asked for it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
from packaging.requirements import Requirement as Pep508
from packaging.utils import NormalizedName

from mach2.errors import ArtifactError, LockError
from mach2.inputs.foreign.model import ForeignFile, ForeignPackage, Pin, Pins
from mach2.lock.model import LockedPackage
from mach2.model.artifact import DistFile
from mach2.model.names import is_conda_native
from mach2.model.target import Target
from mach2.pipeline.pinned_sources import source_root, why_source
from mach2.providers.base import Candidate, Dependencies, Provider
from mach2.providers.pypi.client import UnknownProject
from mach2.providers.pypi.provider import PackageIndex, sdist_version, wheel_rank, wheel_tags
from mach2.resolve.requirement import Requirement

__all__ = ["NotPinned", "annotate", "pin_roots", "pinned_providers"]


class NotPinned(UnknownProject):
    """A dependency the foreign lock does not pin (the lock is incomplete for the target)."""

    def __init__(
        self, name: NormalizedName, pins: Pins, target: Target, *, chain: str = ""
    ) -> None:
        self.pins = pins
        self.target = target
        super().__init__(name, ())
        asked = f" (required as {chain})" if chain else ""
        self.message = (
            f"{pins.label}: {name!r} is needed on {target.describe()}{asked} but the lock does "
            "not pin it"
        )
        self.hint = "the lock is incomplete for this target: lock again with the tool that wrote it"
        self.args = (self.message,)

    def with_chain(self, chain: str) -> UnknownProject:
        return NotPinned(self.name, self.pins, self.target, chain=chain)


def pin_roots(pins: Pins) -> tuple[Requirement, ...]:
    """Every pinned package as a root ``name[extras]==version``, or ``name[extras] @ URL``
    for a git, directory or local-file entry (``mach2.pipeline.pinned_sources``)."""
    roots = []
    for name, pin in sorted(pins.pins.items()):
        if pin.package.source is not None:
            roots.append(source_root(pin, pin.package.source))
            continue
        extras = f"[{','.join(sorted(pin.extras))}]" if pin.extras else ""
        requirement = Pep508(f"{name}{extras}=={pin.package.version}")
        roots.append(Requirement.from_pep508(requirement, origin=pin.package.origin))
    return tuple(roots)


def pinned_providers(
    pins: Pins, providers: Mapping[str, Provider], index: PackageIndex, target: Target
) -> dict[str, Provider]:
    """Every provider, offering only what ``pins`` pinned."""
    # Entries with a source (git, a directory, a local file) are no index's business.
    index.prefetch_projects(sorted(n for n, p in pins.pins.items() if p.package.source is None))
    wrapped: dict[str, Provider] = {}
    for kind, provider in providers.items():
        if kind in ("wheel", "sdist"):
            wrapped[kind] = _PinnedFiles(kind, provider, index, target, pins)
        else:
            wrapped[kind] = _PinnedVersions(provider, pins, target)
    return wrapped


def annotate(
    packages: dict[str, LockedPackage], pins: Pins, order_rule: Mapping[str, str]
) -> dict[str, LockedPackage]:
    """``why-provider`` of the pinned packages: which lock pinned them, and which file."""
    result = dict(packages)
    name = pins.lock.path.rsplit("/", 1)[-1]  # the lock records no host paths
    for key, package in packages.items():
        pin = pins.pins.get(NormalizedName(key))
        if pin is None or package.build_only:
            continue
        if pin.package.source is not None:
            why = why_source(pin, package.provider, name)
        elif package.provider in ("wheel", "sdist"):
            why = f"{package.provider}: pinned by {name} ({package.artifact.filename})"
        else:
            why = (
                f"{package.provider}: version {pin.package.version} pinned by {name}; "
                f"the files are {package.provider}'s ({order_rule.get(key, '')})"
            )
        result[key] = attrs.evolve(package, why_provider=why)
    return result


def _hash_error(
    package: ForeignPackage, file: ForeignFile, found: str, where: str
) -> ArtifactError:
    return ArtifactError(
        f"{package.origin}: sha256 of {file.filename} is {file.sha256} in the lock but {found} "
        f"{where}",
        hint="the lock was altered or the file replaced: lock again with the tool that wrote it",
    )


class _PinnedFiles:
    """``wheel`` or ``sdist``, offering for each pinned package only the lock's file."""

    def __init__(
        self, kind: str, inner: Provider, index: PackageIndex, target: Target, pins: Pins
    ) -> None:
        self.name = kind
        self._inner = inner
        self._index = index
        self._target = target
        self._pins = pins
        self._tag_rank = target.tag_rank
        self._chosen: dict[NormalizedName, tuple[Candidate, ...]] = {}
        self._rejected: dict[NormalizedName, dict[str, list[str]]] = {}
        self._lock = threading.Lock()

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        found = self._chosen.get(name)
        if found is None:
            pin = self._pins.pins.get(name)
            if pin is None:
                raise NotPinned(name, self._pins, self._target)
            file = self._file(pin)
            version = pin.package.version
            assert version is not None  # entries without one have a source: never asked here
            found = (
                (Candidate(name=name, version=version, provider=self.name, artifact=file),)
                if file is not None
                else ()
            )
            with self._lock:
                self._chosen[name] = found
        return found

    def dependencies(self, candidate: Candidate) -> Dependencies:
        return self._inner.dependencies(candidate)

    def prefetch(self, name: NormalizedName) -> None:
        pin = self._pins.pins.get(name)
        if pin is not None and pin.package.source is None:
            self._inner.prefetch(name)

    def answers_offline(self, name: NormalizedName) -> bool:
        check = getattr(self._inner, "answers_offline", None)
        return bool(check and check(name))

    def prefetch_dependencies(self, candidate: Candidate) -> None:
        ahead = getattr(self._inner, "prefetch_dependencies", None)
        if ahead is not None:
            ahead(candidate)

    def alternatives(self, candidate: Candidate) -> tuple[DistFile, ...]:
        return (candidate.artifact,) if isinstance(candidate.artifact, DistFile) else ()

    def rejections(self, name: NormalizedName) -> dict[str, list[str]]:
        return self._rejected.get(name, {})

    # -- the lock's file for the target ---------------------------------------------------

    def _file(self, pin: Pin) -> DistFile | None:
        package = pin.package
        if package.hashes:  # a hash-pinned requirements file: the index's files by hash
            return self._by_hash(package)
        if self.name == "wheel":
            ranked = sorted(
                (rank, f.filename, f)
                for f in package.wheels
                if (rank := wheel_rank(self._tag_rank, f.filename)) is not None
            )
            if not ranked:
                shown = ", ".join(f.filename for f in package.wheels[:3]) or "none"
                self._note(package, f"no wheel in {self._pins.label} fits the target ({shown})")
                return None
            return self._verified(package, ranked[0][2])
        if package.sdist is None:
            self._note(package, f"{self._pins.label} has no sdist")
            return None
        return self._verified(package, package.sdist)

    def _note(self, package: ForeignPackage, reason: str) -> None:
        with self._lock:
            self._rejected.setdefault(package.name, {}).setdefault(reason, []).append(
                str(package.version)
            )

    def _listing(self, package: ForeignPackage) -> tuple[DistFile, ...]:
        try:
            return self._index.project_files(package.name)
        except UnknownProject:
            return ()

    def _verified(self, package: ForeignPackage, file: ForeignFile) -> DistFile:
        listing = self._listing(package)
        if file.sha256 is not None:
            same_hash = [d for d in listing if d.sha256 == file.sha256]
            if same_hash:
                named = [d for d in same_hash if d.filename.lower() == file.filename.lower()]
                return (named or same_hash)[0]
        same_name = [d for d in listing if d.filename.lower() == file.filename.lower()]
        if same_name and same_name[0].sha256 is not None:
            listed = same_name[0]
            if file.sha256 is not None:
                raise _hash_error(package, file, listed.sha256 or "", f"on {listed.index_url}")
            self._check_hashes(package, file, self._index.download(listed))
            return listed
        url = file.url or (same_name[0].url if same_name else None)
        if url is None:
            raise LockError(
                f"{package.origin}: {file.filename} is not on the index and the lock gives no URL",
                hint="give the index it came from with --index-url (and no --exclude-newer "
                "before the file's upload)",
            )
        # Not listed by the index: the lock's own URL, and its hash checked on the download.
        unchecked = DistFile(filename=file.filename, url=url, sha256=file.sha256, size=file.size)
        try:
            path = self._index.download(unchecked)
        except ArtifactError as error:
            raise ArtifactError(f"{package.origin}: {error.message}", hint=error.hint) from None
        self._check_hashes(package, file, path)
        sha256 = file.sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
        return attrs.evolve(unchecked, sha256=sha256, size=path.stat().st_size, index_url="")

    def _check_hashes(self, package: ForeignPackage, file: ForeignFile, path: Path) -> None:
        """Every hash the lock gives (sha256, sha512, …) against the downloaded bytes."""
        data = path.read_bytes()
        for algorithm, digest in file.hashes.items():
            if algorithm not in hashlib.algorithms_guaranteed:
                continue
            found = hashlib.new(algorithm, data).hexdigest()
            if found != digest:
                raise ArtifactError(
                    f"{package.origin}: {algorithm} of {file.filename} is {digest} in the lock "
                    f"but {found} downloaded",
                    hint="the lock was altered or the file replaced: lock again",
                )

    def _by_hash(self, package: ForeignPackage) -> DistFile | None:
        version = package.version
        listing = self._listing(package)
        of_version = []
        for file in listing:
            if file.is_wheel:
                fields = wheel_tags(file.filename)
                text = fields[0] if fields else None
            else:
                text = sdist_version(file.filename, package.name)
            if text is not None and _same_version(text, version):
                of_version.append(file)
        hashed = [f for f in of_version if f"sha256:{f.sha256}" in package.hashes]
        if (
            of_version
            and not hashed
            and not any(h.split(":", 1)[0] != "sha256" for h in package.hashes)
        ):
            raise ArtifactError(
                f"{package.origin}: none of the {len(package.hashes)} hashes of "
                f"{package.describe()} is the sha256 of a file on the index",
                hint="the file was altered or the files replaced: compile it again",
            )
        if self.name == "wheel":
            ranked = sorted(
                (rank, f.filename, f)
                for f in hashed
                if f.is_wheel and (rank := wheel_rank(self._tag_rank, f.filename)) is not None
            )
            if ranked:
                return ranked[0][2]
            self._note(package, "no hashed wheel fits the target")
            return None
        sdists = sorted(
            (not f.filename.endswith(".tar.gz"), f.filename, f) for f in hashed if not f.is_wheel
        )
        if sdists:
            return sdists[0][2]
        self._note(package, "no hashed sdist")
        return None


def _same_version(text: str, version: object) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text) == version
    except InvalidVersion:
        return False


class _PinnedVersions:
    """``conda``/``nixpkgs``: the provider's own candidates of the pinned version only."""

    def __init__(self, inner: Provider, pins: Pins, target: Target) -> None:
        self._inner = inner
        self._pins = pins
        self._target = target
        self.name = inner.name

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        if is_conda_native(name):
            return self._inner.candidates(name)  # conda's own libraries: not the lock's
        pin = self._pins.pins.get(name)
        if pin is None:
            raise NotPinned(name, self._pins, self._target)
        return [c for c in self._inner.candidates(name) if c.version == pin.package.version]

    def dependencies(self, candidate: Candidate) -> Dependencies:
        return self._inner.dependencies(candidate)

    def prefetch(self, name: NormalizedName) -> None:
        self._inner.prefetch(name)

    def rejections(self, name: NormalizedName) -> dict[str, list[str]]:
        notes = getattr(self._inner, "rejections", None)
        return notes(name) if notes is not None else {}
