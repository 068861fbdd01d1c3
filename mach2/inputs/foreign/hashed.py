"""A hash-pinned requirements file (``pip-compile --generate-hashes``, ``uv pip compile
--generate-hashes``, ``uv export``) is a lock: every line ``name==version`` with ``--hash``es.

pip takes such a file as it is (hash-checking mode: nothing outside it is installed), and so
does mach2: when *every* requirement of the inputs is pinned with ``==`` and carries a hash,
the file is read as a foreign lock instead of being resolved.  A file where only some lines
have hashes is resolved as before, the hashes restricting the files of those lines.

The file names no files, only hashes: the index's files of the pinned version with one of the
hashes are the candidates (``ForeignPackage.hashes``).  Selection is by each line's marker.

A direct reference (``name @ URL``, a path, ``-e``) has no version until its file or checkout
is read, and a local one is recorded relative to the lock: a file with one is resolved, and
the direct-reference provider (``mach2.providers.direct``) checks each reference's ``--hash``
(``pip hash`` values) against its file, as pip does.
"""

from __future__ import annotations

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mach2.inputs.foreign.model import ForeignLock, ForeignPackage
from mach2.inputs.requirements import RequirementEntry, RequirementsInput

__all__ = ["hashed_lock"]


def hashed_lock(requirements: RequirementsInput) -> ForeignLock | None:
    """The inputs as a lock when every requirement is pinned and hashed, else ``None``."""
    entries = requirements.requirements
    if (
        not entries
        or requirements.constraints
        or requirements.conda
        or requirements.channels
        or not all(_pinned(e) for e in entries)
    ):
        return None
    files = [path for path, _ in requirements.files]
    return ForeignLock(
        format="requirements",
        path=files[0] if files else "<requirements>",
        tool="a hash-pinned requirements file",
        packages=tuple(_package(e) for e in entries),
    )


def _pinned(entry: RequirementEntry) -> bool:
    """``name==version`` with ``--hash`` options (a direct reference is not a pin: see the
    module docs)."""
    if entry.editable or entry.requirement.url is not None or not entry.hashes:
        return False
    specifiers = list(entry.requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
        return False
    try:
        Version(specifiers[0].version)
    except InvalidVersion:
        return False
    return True


def _package(entry: RequirementEntry) -> ForeignPackage:
    requirement = entry.requirement
    return ForeignPackage(
        name=canonicalize_name(requirement.name),
        version=Version(next(iter(requirement.specifier)).version),  # checked by _pinned
        origin=entry.origin,
        hashes=frozenset(entry.hashes),
        extras=frozenset(canonicalize_name(e) for e in requirement.extras),
        applies={None: requirement.marker},
    )
