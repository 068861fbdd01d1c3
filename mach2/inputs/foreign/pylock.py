"""PEP 751 ``pylock.toml`` (and ``pylock.<name>.toml``), validated by ``packaging.pylock``.

packaging (a pinned runtime dependency) checks the structure and names the place of an error
(``packages[1].wheels[0].hashes``); this module maps its records to the foreign-lock shape.
Selection is by marker, as PEP 751's installation steps say: ``marker`` (with the
``extras``/``dependency_groups`` sets: empty and ``default-groups`` unless the user asks),
then ``requires-python`` (an error when it does not hold), one entry per package.
``vcs`` and ``directory`` entries and files given by ``path`` are named as not supported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.pylock import (
    Package,
    PackageArchive,
    PackageSdist,
    PackageWheel,
    Pylock,
    PylockUnsupportedVersionError,
    PylockValidationError,
)
from packaging.utils import canonicalize_name

from mach2.errors import InputError
from mach2.inputs.foreign._files import filename_of
from mach2.inputs.foreign._toml import load
from mach2.inputs.foreign.model import ForeignFile, ForeignLock, ForeignPackage

__all__ = ["is_pylock_name", "read_pylock"]


def is_pylock_name(name: str) -> bool:
    """``pylock.toml`` or ``pylock.<name>.toml`` (PEP 751's file names)."""
    if name == "pylock.toml":
        return True
    middle = name.removeprefix("pylock.").removesuffix(".toml")
    return (
        name.startswith("pylock.") and name.endswith(".toml") and bool(middle) and "." not in middle
    )


def read_pylock(path: Path) -> tuple[ForeignLock, str, str]:
    """The lock, its text and sha256.

    :raises InputError: malformed TOML, a PEP 751 rule broken (naming the place), an
        unsupported ``lock-version``.
    """
    doc, text, digest = load(path)
    try:
        lock = Pylock.from_dict(doc.data)
    except PylockUnsupportedVersionError as e:
        raise InputError(
            f"{doc.file}: {e}", hint="mach2 reads pylock lock-version 1.x (PEP 751)"
        ) from e
    except PylockValidationError as e:
        raise InputError(
            f"{doc.file}: not a valid pylock.toml: {e}",
            hint="the file breaks PEP 751: export it again with the tool that wrote it",
        ) from e
    default_groups = frozenset(canonicalize_name(g) for g in lock.default_groups or ())
    groups = frozenset(canonicalize_name(g) for g in lock.dependency_groups or ()) | default_groups
    packages = tuple(_package(doc.file, index, p) for index, p in enumerate(lock.packages))
    indexes = dict.fromkeys(p.index for p in lock.packages if p.index)
    return (
        ForeignLock(
            format="pylock.toml",
            path=doc.file,
            tool=lock.created_by,
            packages=packages,
            requires_python=str(lock.requires_python) if lock.requires_python else None,
            environments=tuple(lock.environments or ()),
            default_groups=frozenset({None, *default_groups}),
            groups=groups,
            extras=frozenset(canonicalize_name(e) for e in lock.extras or ()),
            index_urls=tuple(i for i in indexes if i),
        ),
        text,
        digest,
    )


def _package(file: str, index: int, package: Package) -> ForeignPackage:
    where = f"packages[{index}]"
    name = canonicalize_name(package.name)
    origin = f"{file}: {where} ({name}" + (f" {package.version})" if package.version else ")")
    unsupported = None
    wheels: list[ForeignFile] = []
    sdist = None
    if package.vcs is not None:
        ref = package.vcs.url or package.vcs.path
        unsupported = f"{package.vcs.type} {ref}@{package.vcs.commit_id}"
    elif package.directory is not None:
        editable = "editable " if package.directory.editable else ""
        unsupported = f"{editable}directory {package.directory.path}"
    elif package.archive is not None:
        archive = _file(f"{where}.archive", package.archive)
        if archive.url is None:
            unsupported = f"local file {archive.filename}"
        elif package.archive.subdirectory:
            unsupported = f"archive with a subdirectory {archive.url}"
        elif archive.is_wheel:
            wheels.append(archive)
        else:
            sdist = archive
    else:
        wheels = [_file(f"{where}.wheels[{i}]", w) for i, w in enumerate(package.wheels or ())]
        if package.sdist is not None:
            sdist = _file(f"{where}.sdist", package.sdist)
        local = [f for f in (*wheels, *((sdist,) if sdist else ())) if f.url is None]
        if local:
            unsupported = f"local file {local[0].filename}"
    marker: Marker | None = package.marker
    return ForeignPackage(
        name=name,
        version=package.version,
        origin=origin,
        wheels=tuple(wheels),
        sdist=sdist,
        index=package.index,
        unsupported=unsupported,
        requires_python=str(package.requires_python) if package.requires_python else None,
        applies={None: marker},
    )


def _file(where: str, file: PackageWheel | PackageSdist | PackageArchive) -> ForeignFile:
    url: Any = file.url
    name = getattr(file, "name", None) or filename_of(url or file.path or "")
    return ForeignFile(
        filename=name,
        url=url,
        hashes={k.lower(): v.lower() for k, v in file.hashes.items()},
        size=file.size,
        origin=where,
    )
