"""Unpack conda packages safely, then rewrite their prefix placeholders.

Both formats are read as streams, never unpacked by a third-party tool:

- ``.conda``: a zip holding ``info-<name>.tar.zst`` and ``pkg-<name>.tar.zst``;
- ``.tar.bz2``: one bzip2 tarball.

Every member is checked before anything is written, and :func:`extract_package` writes into a
fresh sibling directory that is renamed into place only when the whole package passed, so a
refused package leaves nothing behind.  Refused: absolute names, ``..`` components, symlinks
whose target is absolute or resolves outside the output, hard links to anything outside or not
yet extracted, device files and FIFOs.  ``tarfile.data_filter`` then runs as a second line
(it also resolves links already on disk and clears setuid bits).

The sha256 is verified before the archive is opened; a record with only an md5 is an error
(Nix would need the sha256 anyway).

Prefix placeholders: conda-build writes the build prefix into files and lists them in
``info/paths.json`` (``prefix_placeholder``, ``file_mode`` text or binary; older packages use
``info/has_prefix``).  :func:`replace_prefix` puts the real prefix in: text files by plain
substitution, binary files inside each NUL-terminated string, padded with NULs so every offset
stays put (a prefix longer than the placeholder is an error there).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Final

import zstandard
from attrs import frozen

from mach2.conda.errors import HashMismatch, MissingSha256, PrefixError, UnsafeArchive
from mach2.conda.repodata import RepodataRecord

__all__ = [
    "PrefixFile",
    "extract_package",
    "extract_record",
    "prefix_files",
    "replace_prefix",
    "require_sha256",
    "verify_sha256",
]

#: conda-build's placeholder when ``info/has_prefix`` gives none.
DEFAULT_PLACEHOLDER: Final = "/opt/anaconda1anaconda2anaconda3"


def require_sha256(record: RepodataRecord) -> str:
    """The record's sha256, or :class:`MissingSha256` (md5-only channels cannot be locked)."""
    if not record.sha256:
        raise MissingSha256(record.filename, record.channel)
    return record.sha256


def verify_sha256(archive: Path, expected: str, *, filename: str | None = None) -> None:
    """Raise :class:`HashMismatch` unless ``archive`` hashes to ``expected``."""
    digest = hashlib.sha256()
    with archive.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != expected.lower():
        raise HashMismatch(filename or archive.name, expected.lower(), digest.hexdigest())


# -- member checks ----------------------------------------------------------------------------


class _Checker:
    """Refuses unsafe members of one package; remembers what was extracted for hard links."""

    def __init__(self, filename: str, dest: Path) -> None:
        self.filename = filename
        self.dest = dest
        self.seen: set[str] = set()

    def refuse(self, member: str, reason: str) -> UnsafeArchive:
        return UnsafeArchive(self.filename, member, reason)

    def inside(self, name: str) -> str:
        """``name`` normalized, or an error when it is absolute or climbs out."""
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise self.refuse(name, "absolute path")
        if ".." in PurePosixPath(name.replace("\\", "/")).parts:
            raise self.refuse(name, "path contains '..'")
        normalized = posixpath.normpath(name)
        if normalized in ("", "."):
            raise self.refuse(name, "empty path")
        return normalized

    def __call__(self, member: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
        name = self.inside(member.name)
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise self.refuse(member.name, "device file, FIFO or other special file")
        if member.issym():
            target = member.linkname
            if target.startswith("/") or not target:
                raise self.refuse(member.name, f"symlink to absolute path {target!r}")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
            if resolved == ".." or resolved.startswith("../"):
                raise self.refuse(member.name, f"symlink {target!r} points outside the package")
        if member.islnk():
            target = self.inside(member.linkname)
            if target not in self.seen:
                raise self.refuse(
                    member.name, f"hard link to {member.linkname!r}, not extracted before it"
                )
        try:
            filtered = tarfile.data_filter(member, path)
        except tarfile.FilterError as error:
            raise self.refuse(member.name, str(error)) from None
        self.seen.add(name)
        return filtered


# -- formats ----------------------------------------------------------------------------------


def _conda_tars(archive: Path, filename: str) -> Iterator[IO[bytes]]:
    """The decompressed info and pkg tar streams of a ``.conda`` zip, one after the other."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise UnsafeArchive(filename, "", "not a .conda (zip) file") from None
    with zf:
        names = zf.namelist()
        info = [n for n in names if n.startswith("info-") and n.endswith(".tar.zst")]
        pkg = [n for n in names if n.startswith("pkg-") and n.endswith(".tar.zst")]
        if len(info) != 1 or len(pkg) != 1:
            raise UnsafeArchive(
                filename, ",".join(names), "expected one info- and one pkg- tarball"
            )
        for name in (info[0], pkg[0]):
            with zf.open(name) as raw:
                yield zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)


def _extract_stream(stream: IO[bytes], dest: Path, checker: _Checker, mode: str) -> None:
    try:
        with tarfile.open(fileobj=stream, mode=mode) as tar:  # type: ignore[call-overload]
            tar.errorlevel = 2
            tar.extractall(dest, filter=checker)
    except (tarfile.TarError, zstandard.ZstdError, EOFError, OSError) as error:
        if isinstance(error, UnsafeArchive):
            raise
        raise UnsafeArchive(checker.filename, "", f"corrupt archive ({error})") from None


def extract_package(
    archive: Path, dest: Path, *, sha256: str | None, filename: str | None = None
) -> Path:
    """Verify and unpack a conda package into ``dest`` (which must not exist yet).

    :param filename: the package's file name (``numpy-1.26.4-….conda``) when ``archive`` is
        named otherwise (a Nix store path); it decides the format and names it in errors.
    :raises MissingSha256: ``sha256`` is ``None``.
    :raises HashMismatch: the file is not the one the record describes.
    :raises UnsafeArchive: a member would escape ``dest`` or is a special file.
    """
    name = filename or archive.name
    if sha256 is None:
        raise MissingSha256(name, "?")
    verify_sha256(archive, sha256, filename=name)
    if dest.exists():
        raise UnsafeArchive(name, str(dest), "the output directory exists already")
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.partial-"))
    try:
        checker = _Checker(name, scratch)
        if name.endswith(".conda"):
            for stream in _conda_tars(archive, name):
                _extract_stream(stream, scratch, checker, "r|")
        elif name.endswith(".tar.bz2"):
            with archive.open("rb") as raw:
                _extract_stream(raw, scratch, checker, "r|bz2")
        else:
            raise UnsafeArchive(name, "", "not a .conda or .tar.bz2 file")
        os.rename(scratch, dest)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return dest


def extract_record(archive: Path, dest: Path, record: RepodataRecord) -> Path:
    """:func:`extract_package` with the record's hash and file name."""
    return extract_package(archive, dest, sha256=require_sha256(record), filename=record.filename)


# -- prefix placeholders ----------------------------------------------------------------------


@frozen
class PrefixFile:
    """A file with the build prefix in it: relative path, placeholder, ``text`` or ``binary``."""

    path: str
    placeholder: str
    mode: str


def prefix_files(root: Path) -> tuple[PrefixFile, ...]:
    """The files of an unpacked package that carry a prefix placeholder."""
    paths_json = root / "info" / "paths.json"
    if paths_json.is_file():
        data = json.loads(paths_json.read_text(encoding="utf-8"))
        return tuple(
            PrefixFile(entry["_path"], entry["prefix_placeholder"], entry.get("file_mode", "text"))
            for entry in data.get("paths", ())
            if entry.get("prefix_placeholder")
        )
    has_prefix = root / "info" / "has_prefix"
    if not has_prefix.is_file():
        return ()
    found = []
    for line in has_prefix.read_text(encoding="utf-8").splitlines():
        fields = _split_has_prefix(line)
        if len(fields) == 1:
            found.append(PrefixFile(fields[0], DEFAULT_PLACEHOLDER, "text"))
        elif len(fields) == 3:
            found.append(PrefixFile(fields[2], fields[0], fields[1]))
    return tuple(found)


def _split_has_prefix(line: str) -> list[str]:
    """``placeholder mode path`` (fields may be double-quoted) or just ``path``."""
    return [a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', line)]


def _binary_replace(data: bytes, old: bytes, new: bytes, path: str) -> bytes:
    if len(new) > len(old):
        raise PrefixError(path, f"binary placeholder is {len(old)} bytes, prefix {len(new)}")

    def pad(match: re.Match[bytes]) -> bytes:
        text = match.group()
        return text.replace(old, new) + b"\0" * ((len(old) - len(new)) * text.count(old))

    result = re.sub(re.escape(old) + rb"[^\0]*?\0", pad, data)
    if len(result) != len(data):
        raise PrefixError(path, "replacement changed the file size")
    return result


def replace_prefix(root: Path, prefix: str) -> tuple[str, ...]:
    """Write ``prefix`` over the placeholders of an unpacked package; return the paths changed.

    :raises PrefixError: a listed path escapes ``root`` or is a symlink, or a binary
        placeholder is shorter than ``prefix``.
    """
    changed = []
    base = root.resolve()
    new = prefix.encode()
    for entry in prefix_files(root):
        target = root / entry.path
        if ".." in PurePosixPath(entry.path).parts or entry.path.startswith("/"):
            raise PrefixError(entry.path, "path outside the package")
        if target.is_symlink() or not target.resolve().is_relative_to(base):
            raise PrefixError(entry.path, "refusing to rewrite through a symlink")
        if not target.is_file():
            continue
        data = target.read_bytes()
        old = entry.placeholder.encode()
        if entry.mode == "binary":
            updated = _binary_replace(data, old, new, entry.path)
        else:
            updated = data.replace(old, new)
        if updated != data:
            _rewrite(target, updated)
            changed.append(entry.path)
    return tuple(changed)


def _rewrite(target: Path, data: bytes) -> None:
    """Replace the file (not its hard-link siblings), keeping its mode."""
    mode = target.stat().st_mode
    fd, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(scratch, mode & 0o7777)
    os.replace(scratch, target)
