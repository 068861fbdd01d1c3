"""The NAR hash of a directory: what Nix checks for a fetched source tree.

Nix hashes a directory as the sha256 of its NAR serialisation (``nix-hash --type sha256``,
``outputHashMode = "recursive"``): the fixed-output hash of ``fetchgit`` and the ``narHash`` of
``builtins.fetchGit``.  mach2 computes it at lock time without Nix, so a lock can be made on a
machine without Nix and the Nix side only checks.

The format (Eelco Dolstra's thesis, §5.2.1, and Nix's ``src/libutil/archive.cc``): every
string is its length as a little-endian 64-bit integer followed by its bytes, padded with
zeros to a multiple of 8.  A node is ``( type regular [executable ""] contents <bytes> )``,
``( type symlink target <target> )`` or ``( type directory entry ( name <n> node <node> )
... )`` with the entries sorted by name (bytes).  Only the owner's execute bit is kept; times,
owners and other modes are not part of it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path
from typing import Protocol

__all__ = ["nar_sha256", "sri_sha256"]

_CHUNK = 1 << 20


class _Sink(Protocol):
    def update(self, data: bytes, /) -> None: ...


def _string(sink: _Sink, data: bytes) -> None:
    sink.update(len(data).to_bytes(8, "little"))
    sink.update(data)
    if len(data) % 8:
        sink.update(b"\0" * (8 - len(data) % 8))


def _file(sink: _Sink, path: str, size: int) -> None:
    """``contents`` of a regular file, streamed (its length is written first)."""
    sink.update(size.to_bytes(8, "little"))
    written = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sink.update(chunk)
            written += len(chunk)
    if written != size:
        raise OSError(f"{path} changed while it was hashed")
    if size % 8:
        sink.update(b"\0" * (8 - size % 8))


def _node(sink: _Sink, path: str) -> None:
    info = os.lstat(path)
    _string(sink, b"(")
    _string(sink, b"type")
    if stat.S_ISLNK(info.st_mode):
        _string(sink, b"symlink")
        _string(sink, b"target")
        _string(sink, os.fsencode(os.readlink(path)))
    elif stat.S_ISDIR(info.st_mode):
        _string(sink, b"directory")
        for name in sorted(os.fsencode(n) for n in os.listdir(path)):
            _string(sink, b"entry")
            _string(sink, b"(")
            _string(sink, b"name")
            _string(sink, name)
            _string(sink, b"node")
            _node(sink, os.path.join(path, os.fsdecode(name)))
            _string(sink, b")")
    elif stat.S_ISREG(info.st_mode):
        _string(sink, b"regular")
        if info.st_mode & stat.S_IXUSR:
            _string(sink, b"executable")
            _string(sink, b"")
        _string(sink, b"contents")
        _file(sink, path, info.st_size)
    else:
        raise OSError(f"{path}: not a file, directory or symbolic link (Nix cannot store it)")
    _string(sink, b")")


def nar_sha256(path: Path) -> bytes:
    """The sha256 digest of the NAR serialisation of ``path`` (a file, directory or link).

    :raises OSError: ``path`` holds something Nix cannot store (a device, a socket) or cannot
        be read.
    """
    sink = hashlib.sha256()
    _string(sink, b"nix-archive-1")
    _node(sink, os.fspath(path))
    return sink.digest()


def sri_sha256(digest: bytes) -> str:
    """A sha256 digest in SRI form, as Nix prints and takes ``narHash`` and ``hash``.

    >>> sri_sha256(bytes(32))
    'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
    """
    return "sha256-" + base64.b64encode(digest).decode("ascii")
