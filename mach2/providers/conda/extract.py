"""Unpack conda packages safely, then rewrite their prefix placeholders.

Both formats are read as streams, never unpacked by a third-party tool:

- ``.conda``: a zip holding ``info-<name>.tar.zst`` and ``pkg-<name>.tar.zst``;
- ``.tar.bz2``: one bzip2 tarball.

Every member is checked before it is written, and :func:`extract_package` writes into a
fresh sibling directory that is renamed into place only when the whole package passed, so a
refused package leaves nothing behind.  Refused: absolute names, ``..`` components, symlinks
whose target is absolute or resolves outside the output (lexically and on disk, also through
earlier symlinks), writing through a symlink, hard links to anything outside or not yet
extracted, device files and FIFOs; modes keep only the executable bits.

The member checks and the prefix replacement live in :mod:`mach2.nix.conda_install`, the
standard-library-only script the Nix build runs (one implementation for both); this module adds
the ``zstandard`` decompressor, the all-or-nothing directory and the record helpers.

The sha256 is verified before the archive is opened; a record with only an md5 is an error
(Nix would need the sha256 anyway).

Prefix placeholders: conda-build writes the build prefix into files and lists them in
``info/paths.json`` (``prefix_placeholder``, ``file_mode`` text or binary; older packages use
``info/has_prefix``).  :func:`replace_prefix` puts the real prefix in: text files by plain
substitution, binary files inside each NUL-terminated string, padded with NULs so every offset
stays put (a prefix longer than the placeholder is an error there).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import zstandard

from mach2.nix.conda_install import (
    DEFAULT_PLACEHOLDER,
    PrefixFile,
    extract_into,
    prefix_files,
    replace_prefix,
)
from mach2.providers.conda.errors import HashMismatch, MissingSha256, UnsafeArchive
from mach2.providers.conda.repodata import RepodataRecord

__all__ = [
    "DEFAULT_PLACEHOLDER",
    "PrefixFile",
    "extract_package",
    "extract_record",
    "prefix_files",
    "replace_prefix",
    "require_sha256",
    "verify_sha256",
]


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


# -- formats ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _zstandard(raw: IO[bytes], filename: str) -> Iterator[IO[bytes]]:
    """A ``.tar.zst`` member decompressed with the ``zstandard`` module."""
    try:
        yield zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)
    except zstandard.ZstdError as error:
        raise UnsafeArchive(filename, "", f"corrupt archive ({error})") from None


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
        extract_into(archive, scratch, name, _zstandard)
        os.rename(scratch, dest)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return dest


def extract_record(archive: Path, dest: Path, record: RepodataRecord) -> Path:
    """:func:`extract_package` with the record's hash and file name."""
    return extract_package(archive, dest, sha256=require_sha256(record), filename=record.filename)
