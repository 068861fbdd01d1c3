"""A foreign lock's git, directory and local-file entries, built as direct references.

The reader made each such entry's reference (``ForeignSource.url``: the recorded commit, or the
path joined to the lock's directory); here it becomes the root ``name[extras] @ URL``, and
the candidate the direct-reference provider makes from it (``mach2.providers.direct``) is
checked against the lock: the version it reads must be the lock's (a directory changed since
the lock was made is named, not built), and a local file must have the lock's hashes.  The
commit is used as recorded, so the provider fetches it and computes its NAR hash; a commit the
repository does not have fails there, named.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from packaging.requirements import Requirement as Pep508
from packaging.utils import NormalizedName

from mach2.errors import ArtifactError, LockError
from mach2.inputs.foreign.model import ForeignPackage, ForeignSource, Pin, Pins
from mach2.model.artifact import DistFile
from mach2.net.files import local_file
from mach2.providers.base import Candidate
from mach2.providers.direct.git import MissingCommit
from mach2.providers.direct.provider import References
from mach2.resolve.requirement import Requirement

__all__ = ["PinnedReferences", "editable_urls", "source_root", "why_source"]


def source_root(pin: Pin, source: ForeignSource) -> Requirement:
    """``name[extras] @ URL`` for an entry with a source."""
    extras = f"[{','.join(sorted(pin.extras))}]" if pin.extras else ""
    requirement = Pep508(f"{pin.package.name}{extras} @ {source.url}")
    return Requirement.from_pep508(requirement, origin=pin.package.origin)


def editable_urls(pins: Pins) -> tuple[str, ...]:
    """The references installed in development mode in shells."""
    return tuple(
        pin.package.source.url
        for pin in pins.pins.values()
        if pin.package.source is not None and pin.package.source.editable
    )


def why_source(pin: Pin, provider: str, lock_name: str) -> str:
    """``why-provider`` of an entry with a source."""
    source = pin.package.source
    assert source is not None
    if provider == "git":
        return f"git: pinned by {lock_name} (its recorded commit)"
    if provider == "path":
        editable = ", editable" if source.editable else ""
        return f"path: pinned by {lock_name} (a local directory{editable})"
    return f"{provider}: pinned by {lock_name} (a local file)"


class PinnedReferences:
    """The direct references of one lock, checked against the foreign lock's entries."""

    def __init__(self, inner: References, pins: Pins) -> None:
        self._inner = inner
        self._pins = pins

    def candidate(
        self, name: NormalizedName, url: str, *, origin: str, hashes: Collection[str] = ()
    ) -> Candidate:
        """The provider's candidate of ``name @ url``; for the lock's own entry, checked.

        :raises LockError: the directory or checkout has another version than the lock's.
        :raises ArtifactError: a local file's hash is not the lock's.
        :raises GitError: the commit cannot be fetched (:class:`MissingCommit`: the
            repository does not have it, with a hint for a foreign lock).
        """
        pin = self._pins.pins.get(name)
        source = pin.package.source if pin is not None else None
        if pin is None or source is None or url != source.url:
            return self._inner.candidate(name, url, origin=origin, hashes=hashes)
        try:
            candidate = self._inner.candidate(name, url, origin=origin, hashes=hashes)
        except MissingCommit as error:
            raise MissingCommit(
                error.message,
                hint="the lock names a commit the repository does not have (history rewritten?): "
                f"lock again with {self._pins.lock.tool}",
            ) from None
        package = pin.package
        if package.version is not None and candidate.version != package.version:
            raise LockError(
                f"{package.origin}: {source.written} is version {candidate.version}, the lock "
                f"says {package.version}",
                hint=f"it changed since the lock was made: lock again with {self._pins.lock.tool}",
            )
        if source.hashes and isinstance(candidate.artifact, DistFile):
            _check_file(package, source, candidate.artifact)
        return candidate


def _check_file(package: ForeignPackage, source: ForeignSource, file: DistFile) -> None:
    """Every hash the lock gives for a local file, against the file."""
    path = local_file(file.url) if file.url else None
    data = path.read_bytes() if path is not None else b""
    for algorithm, digest in sorted(source.hashes.items()):
        if algorithm == "sha256" and file.sha256 is not None:
            found = file.sha256
        elif algorithm in hashlib.algorithms_guaranteed and path is not None:
            found = hashlib.new(algorithm, data).hexdigest()
        else:
            continue
        if found != digest:
            raise ArtifactError(
                f"{package.origin}: {algorithm} of {file.filename} is {digest} in the lock but "
                f"{found} in {source.written}",
                hint="the file changed since the lock was made: restore it, or lock again "
                "with the tool that wrote the lock",
            )
