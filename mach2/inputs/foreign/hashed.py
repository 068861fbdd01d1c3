"""A hash-pinned requirements file (``pip-compile --generate-hashes``, ``uv pip compile
--generate-hashes``, ``uv export``) is a lock: every line ``name==version`` with ``--hash``es.

pip takes such a file as it is (hash-checking mode: nothing outside it is installed), and so
does mach2: when *every* requirement of the inputs is pinned with ``==`` and carries a hash,
the file is read as a foreign lock instead of being resolved.  A file where only some lines
have hashes is resolved as before, the hashes restricting the files of those lines.

The file names no files, only hashes: the index's files of the pinned version with one of the
hashes are the candidates (``ForeignPackage.hashes``); ``name @ URL --hash`` lines name their
file.  Selection is by each line's marker.
"""

from __future__ import annotations

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mach2.inputs.foreign._files import filename_of
from mach2.inputs.foreign.model import ForeignFile, ForeignLock, ForeignPackage
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
    """``name==version`` (or ``name @ url``) with ``--hash`` options.

    A URL's own ``#sha256=`` does not count: pip's hash-checking mode starts with ``--hash``,
    and ``name @ url#sha256=…`` alone is a direct reference whose dependencies are resolved.
    """
    url = entry.requirement.url
    fragment = url.split("#", 1)[1].lower() if url and "#" in url else ""
    if entry.editable or not any(h.split(":", 1)[1] not in fragment for h in entry.hashes):
        return False
    if url is not None:
        return True
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
    name = canonicalize_name(requirement.name)
    hashes = frozenset(entry.hashes)
    wheels: tuple[ForeignFile, ...] = ()
    sdist = None
    version: Version | None = None
    if requirement.url is not None:
        url = requirement.url.split("#", 1)[0]
        by_algorithm = dict(h.split(":", 1) for h in sorted(hashes))
        file = ForeignFile(
            filename=filename_of(url), url=url, hashes=by_algorithm, origin=entry.origin
        )
        wheels, sdist = ((file,), None) if file.is_wheel else ((), file)
    else:
        version = Version(next(iter(requirement.specifier)).version)  # checked by _pinned
    return ForeignPackage(
        name=name,
        version=version,
        origin=entry.origin,
        wheels=wheels,
        sdist=sdist,
        hashes=frozenset() if requirement.url is not None else hashes,
        extras=frozenset(canonicalize_name(e) for e in requirement.extras),
        applies={None: requirement.marker},
    )
