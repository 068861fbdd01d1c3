"""Source archives (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.zip``) read and extracted safely.

An sdist comes from an index, so its archive is untrusted input: a member named
``../../.bashrc``, a link pointing out of the tree, or a file written through such a link
would write outside the directory it is extracted to.  :class:`SdistArchive` checks every member
before anything is read and raises :class:`~mach2.errors.ArtifactError` for unsafe or corrupt
archives.  It is kept apart from :mod:`mach2.providers.pypi.sdist` (which decides what to read and
when to build) so that these rules sit in one place, small enough to review on their own.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mach2.errors import ArtifactError

__all__ = ["SdistArchive"]

_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".zip")
_DRIVE = re.compile(r"[A-Za-z]:")


class SdistArchive:
    """An sdist archive whose members were all checked to stay inside it.

    The rules, checked before anything is read: (1) no absolute names and no ``..`` in names
    or hard-link targets; (2) symbolic links point inside the archive; (3) no member or
    hard-link target lies under a symbolic link, and none replaces one (writing through a
    link is how a lexically clean name escapes); (4) only files, directories and links.
    Extraction also uses tarfile's ``data`` filter when the interpreter has it (3.11.4+).
    """

    def __init__(self, path: Path, archive: tarfile.TarFile | zipfile.ZipFile) -> None:
        self.path = path
        self._archive = archive
        members: dict[str, Any] = {}
        links: set[str] = set()
        if isinstance(archive, tarfile.TarFile):
            for member in archive:
                name = _safe_tar_name(member, path.name)
                if name in links or (member.issym() and name in members):
                    raise _unsafe(path.name, f"member {member.name!r} replaces a link")
                members[name] = member
                if member.issym():
                    links.add(name)
        else:
            members = {_safe_name(i.filename, path.name): i for i in archive.infolist()}
        hard_link_targets = [
            posixpath.normpath(m.linkname) for m in members.values() if _is_hard_link(m)
        ]
        for name in [*members, *hard_link_targets]:
            parts = name.split("/")
            for i in range(1, len(parts)):
                if "/".join(parts[:i]) in links:
                    raise _unsafe(path.name, f"member {name!r} lies under a link")
        members.pop(".", None)
        self._members = members
        self.root = _common_root(members)

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[SdistArchive]:
        if not path.name.endswith(_ARCHIVE_SUFFIXES):
            raise ArtifactError(
                f"{path.name}: not an sdist archive",
                hint=f"mach2 reads sdists ending in {', '.join(_ARCHIVE_SUFFIXES)}",
            )
        with _reading(path):
            # Closed by the `with archive` below, outside `_reading`: errors of the caller's
            # code in the `with` body must not turn into "cannot read the archive".
            is_zip = path.name.endswith(".zip")
            archive = zipfile.ZipFile(path) if is_zip else tarfile.open(path)  # noqa: SIM115
        with archive:
            with _reading(path):
                opened = cls(path, archive)
            yield opened

    def read(self, name: str) -> bytes | None:
        """The top-level file ``name`` (``PKG-INFO``, ``pyproject.toml``), if there is one."""
        member = self._members.get(posixpath.join(self.root, name))
        if member is None:
            return None
        with _reading(self.path):
            if isinstance(self._archive, tarfile.TarFile):
                stream = self._archive.extractfile(member)
                return None if stream is None else stream.read()
            return self._archive.read(member)

    def extract(self, dest: Path) -> Path:
        """Extract everything under ``dest``; returns the source tree's directory."""
        dest.mkdir(parents=True)
        with _reading(self.path):
            if not isinstance(self._archive, tarfile.TarFile):
                self._archive.extractall(dest)
            elif hasattr(tarfile, "data_filter"):  # Python 3.11.4+; a second line of defence
                self._archive.extractall(dest, filter="data")
            else:
                self._archive.extractall(dest)
        return dest / self.root


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn the many ways a corrupt archive fails into one :class:`ArtifactError`."""
    try:
        yield
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, KeyError, OSError) as e:
        raise ArtifactError(
            f"{path.name}: cannot read the archive ({e})",
            hint="delete the file so it is downloaded again",
        ) from e


def _safe_tar_name(member: tarfile.TarInfo, sdist: str) -> str:
    name = _safe_name(member.name, sdist)
    if member.issym():
        target = member.linkname
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
            raise _unsafe(sdist, f"link {member.name!r} -> {target!r} points outside the sdist")
    elif member.islnk():
        _safe_name(member.linkname, sdist)
    elif not (member.isfile() or member.isdir()):
        raise _unsafe(sdist, f"member {member.name!r} is a device or pipe")
    return name


def _safe_name(name: str, sdist: str) -> str:
    """The member's normalized relative path; unsafe names raise :class:`ArtifactError`."""
    plain = name.replace("\\", "/")
    if plain.startswith("/") or _DRIVE.match(plain) or ".." in plain.split("/"):
        raise _unsafe(sdist, f"member {name!r} points outside the sdist")
    return posixpath.normpath(plain)


def _is_hard_link(member: object) -> bool:
    return isinstance(member, tarfile.TarInfo) and member.islnk()


def _unsafe(sdist: str, what: str) -> ArtifactError:
    return ArtifactError(
        f"{sdist}: {what}; refusing to read it",
        hint="the archive is malformed or malicious; use another version or provider",
    )


def _common_root(members: Mapping[str, object]) -> str:
    """``name-1.0`` when every member lives in that one directory (the sdist norm), else ``""``."""
    tops = {name.split("/", 1)[0] for name in members}
    if len(tops) == 1:
        (top,) = tops
        if any("/" in name for name in members):
            return top
    return ""
