"""What the readers share: hash strings, file names from URLs, and file entries."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from mach2.inputs.foreign._toml import Doc
from mach2.inputs.foreign.model import ForeignFile

__all__ = ["file_from_url", "filename_of", "parse_hash"]

#: Hex digest lengths of the algorithms a lock may name (pip's strong hashes and md5/sha1,
#: which are read but never enough on their own: Nix fetches by sha256).
_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128, "md5": 32, "sha1": 40}
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def parse_hash(doc: Doc, key: str, text: str) -> tuple[str, str]:
    """``sha256:<hex>`` → ``("sha256", hex)`` (lower case)."""
    algorithm, _, digest = text.partition(":")
    algorithm = algorithm.lower()
    return check_hash(doc, key, algorithm, digest)


def check_hash(doc: Doc, key: str, algorithm: str, digest: str) -> tuple[str, str]:
    length = _LENGTHS.get(algorithm)
    if length is None:
        doc.fail(key, f"unknown hash algorithm {algorithm!r}")
    if len(digest) != length or not _HEX.match(digest):
        doc.fail(key, f"malformed {algorithm} digest {digest!r}")
    return algorithm, digest.lower()


def filename_of(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def file_from_url(
    doc: Doc, url: str, hashes: dict[str, str], size: int | None, filename: str | None = None
) -> ForeignFile:
    name = filename or filename_of(url)
    if not name:
        doc.fail("url", f"no file name in {url!r}")
    return ForeignFile(filename=name, url=url, hashes=hashes, size=size, origin=doc.where)
