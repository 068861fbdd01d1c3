"""PEP 751 ``pylock.toml`` (and ``pylock.<name>.toml``), validated by ``packaging.pylock``.

packaging (a pinned runtime dependency) checks the structure and names the place of an error
(``packages[1].wheels[0].hashes``); this module maps its records to the foreign-lock shape.
Selection is by marker, as PEP 751's installation steps say: ``marker`` (with the
``extras``/``dependency_groups`` sets: empty and ``default-groups`` unless the user asks),
then ``requires-python`` (an error when it does not hold), one entry per package.
``vcs`` (git, at its ``commit-id``), ``directory`` (``editable``, ``subdirectory``) and an
``archive`` given by ``path`` are direct references (``_sources``), paths relative to the
file's directory; a ``directory`` at that directory is the project (``--no-install-project``).
Other version control systems, and wheels or sdists listed by ``path``, are named as not
supported.
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
from mach2.inputs.foreign._sources import at_lock_directory, git_source, local_source
from mach2.inputs.foreign._toml import load
from mach2.inputs.foreign.model import ForeignFile, ForeignLock, ForeignPackage, ForeignSource

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
    base = path.absolute().parent
    packages = tuple(_package(doc.file, base, i, p) for i, p in enumerate(lock.packages))
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


def _package(file: str, base: Path, index: int, package: Package) -> ForeignPackage:
    where = f"packages[{index}]"
    name = canonicalize_name(package.name)
    origin = f"{file}: {where} ({name}" + (f" {package.version})" if package.version else ")")
    unsupported = None
    source: ForeignSource | None = None
    project = False
    wheels: list[ForeignFile] = []
    sdist = None
    if package.vcs is not None:
        vcs = package.vcs
        found = _vcs(base, vcs.type, vcs.url, vcs.path, vcs.commit_id, vcs.subdirectory)
        source, unsupported = (found, None) if isinstance(found, ForeignSource) else (None, found)
    elif package.directory is not None:
        directory = package.directory
        editable = bool(directory.editable)
        written = f"{'editable ' if editable else ''}directory {directory.path}"
        inner = directory.path + (f"/{directory.subdirectory}" if directory.subdirectory else "")
        source = local_source(base, inner, written, editable=editable)
        project = at_lock_directory(base, inner)
    elif package.archive is not None:
        archive = _file(f"{where}.archive", package.archive)
        if package.archive.subdirectory:
            unsupported = f"archive with a subdirectory {archive.url or package.archive.path}"
        elif archive.url is None and package.archive.path is not None:
            source = local_source(
                base, package.archive.path, f"archive {package.archive.path}", hashes=archive.hashes
            )
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
        source=source,
        project=project,
        requires_python=str(package.requires_python) if package.requires_python else None,
        applies={None: marker},
    )


def _vcs(
    base: Path,
    kind: str,
    url: str | None,
    path: str | None,
    commit: str,
    subdirectory: str | None,
) -> ForeignSource | str:
    """A ``vcs`` entry: git at its commit (a local repository by ``path`` as a ``file:``
    URL); other systems named."""
    written = f"{kind} {url or path}@{commit}"
    if kind != "git":
        return written
    repository = url if url is not None else local_source(base, path or ".", written).url
    return git_source(repository, commit, subdirectory, written)


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
