"""The on-disk cache of index pages and wheel metadata (whole files: mach2.net.files).

Layout under the cache directory (a format change bumps the ``-v1`` suffix)::

    pages-v2/<host>-<hash>/<name>            an index page: one JSON header line, then its
                                             files as marshal data (see below)
    metadata-v1/<ab>/<key>.metadata          a wheel's METADATA: "sha256=<hex>\\n", then the bytes

Pages are stored parsed, as a list of :data:`FileRow` tuples in :mod:`marshal` format 4
(stable since Python 3.4): loading the 111 pages of the data-science set takes 0.04 s that
way against 0.1-0.2 s for the JSON the index served (27 MB), and unlike pickle it cannot run
code.  JSON and HTML pages end up in the same form.  The header says when the page was fetched,
which lets a run with ``--exclude-newer`` use it without asking the index again, and carries the
validators (ETag, Last-Modified) for revalidation.  Metadata is immutable (keyed by the
wheel's sha256) and never revalidated.

Every write goes to a temporary file in the target directory, then :func:`os.replace`: readers
see the old entry or the new one, never a part of one, even with several processes sharing the
cache.  An entry that still does not read back (bad header, wrong length, undecodable data,
wrong hash) raises :class:`~mach2.errors.CacheError` naming the file: using it silently could
lock wrong data.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeAlias
from urllib.parse import urlsplit

from attrs import frozen

from mach2.atomic import write_atomic
from mach2.errors import CacheError

__all__ = ["Cache", "CachedPage", "FileRow"]

#: One file of an index page: ``(filename, url, sha256, size, upload_time, yanked,
#: requires_python, metadata_sha256)``.  ``upload_time`` is ISO 8601 text as the index gave
#: it; ``yanked`` is ``None`` when the file is not yanked, else the reason (maybe ``""``).
FileRow: TypeAlias = tuple[
    str, str, str | None, int | None, str | None, str | None, str | None, str | None
]

_HINT = "delete it or run with --refresh"
_WRITE_HINT = "check that the cache directory is writable and the disk is not full"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MARSHAL_VERSION = 4


@frozen(kw_only=True)
class CachedPage:
    """An index page as fetched and parsed, with what is needed to reuse or revalidate it.

    :param url: the page's URL after redirects.
    :param fetched: when it was fetched (timezone-aware, UTC).
    :param status: 200, or 404 for a project the index does not know.
    :param etag: the ``ETag`` validator, if the server sent one.
    :param last_modified: the ``Last-Modified`` validator, if the server sent one.
    :param rows: the files it lists.
    :param path: the cache file it was read from (``None`` when it came from the network).
    """

    url: str
    fetched: datetime
    status: int
    etag: str | None = None
    last_modified: str | None = None
    rows: Sequence[FileRow] = ()
    path: Path | None = None


class Cache:
    """Reads and writes cache entries below ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._directories: set[Path] = set()  # made already: saves a syscall per write

    def _directory(self, path: Path) -> Path:
        if path not in self._directories:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise CacheError(f"cannot create {path}: {error}", hint=_WRITE_HINT) from error
            self._directories.add(path)
        return path

    # -- index pages -----------------------------------------------------------------------

    def page_path(self, index_url: str, name: str) -> Path:
        parts = urlsplit(index_url)
        digest = hashlib.sha256(index_url.encode()).hexdigest()[:12]
        host = _UNSAFE.sub("_", parts.netloc) or "local"
        return self.root / "pages-v2" / f"{host}-{digest}" / name

    def read_page(
        self, index_url: str, name: str, *, header_only: bool = False
    ) -> CachedPage | None:
        """The cached page, or ``None`` when there is none.

        :param header_only: read just the header line (cheap): ``rows`` is left empty.
        :raises CacheError: the entry exists but is damaged.
        """
        path = self.page_path(index_url, name)
        try:
            with path.open("rb") as handle:
                header = handle.readline()
                payload = b"" if header_only else handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise CacheError(f"cannot read cache entry {path}: {error}", hint=_HINT) from error
        try:
            meta = json.loads(header)
            rows: list[FileRow] = []
            if not header_only:
                rows = _decode_rows(payload, int(meta["length"]), meta.get("sha256"))
            page = CachedPage(
                url=meta["url"],
                fetched=datetime.fromisoformat(meta["fetched"]),
                status=int(meta["status"]),
                etag=meta.get("etag"),
                last_modified=meta.get("last_modified"),
                rows=rows,
                path=path,
            )
            if page.fetched.tzinfo is None or not header.endswith(b"\n"):
                raise ValueError("bad header")
        except (ValueError, KeyError, TypeError, EOFError) as error:
            raise CacheError(f"corrupt cache entry {path}: {error}", hint=_HINT) from error
        return page

    def write_page(self, index_url: str, name: str, page: CachedPage) -> None:
        payload = marshal.dumps(list(page.rows), _MARSHAL_VERSION)
        meta = {
            "url": page.url,
            "fetched": page.fetched.isoformat(),
            "status": page.status,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "length": len(payload),
            # A flipped byte keeps the length; the digest catches it (a page read back wrong
            # would put a wrong sha256 into a lock).
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
        header = json.dumps(meta, separators=(",", ":")).encode() + b"\n"
        path = self.page_path(index_url, name)
        _write_atomic(self._directory(path.parent), path, header, payload)

    # -- wheel metadata --------------------------------------------------------------------

    def metadata_path(self, key: str) -> Path:
        return self.root / "metadata-v1" / key[:2] / f"{key}.metadata"

    def read_metadata(self, key: str) -> bytes | None:
        """The METADATA bytes cached under ``key`` (a wheel's sha256), or ``None``.

        :raises CacheError: the entry exists but its bytes do not match the hash it was
            written with.
        """
        path = self.metadata_path(key)
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise CacheError(f"cannot read cache entry {path}: {error}", hint=_HINT) from error
        header, _, body = raw.partition(b"\n")
        if header != b"sha256=" + hashlib.sha256(body).hexdigest().encode():
            raise CacheError(
                f"corrupt cache entry {path}: its sha256 does not match its contents", hint=_HINT
            )
        return body

    def write_metadata(self, key: str, data: bytes) -> None:
        header = b"sha256=" + hashlib.sha256(data).hexdigest().encode() + b"\n"
        path = self.metadata_path(key)
        _write_atomic(self._directory(path.parent), path, header, data)


def _decode_rows(payload: bytes, length: int, sha256: str | None) -> list[FileRow]:
    if length != len(payload):
        raise ValueError(f"{len(payload)} bytes of data, the header says {length}")
    if sha256 != hashlib.sha256(payload).hexdigest():
        raise ValueError("its sha256 does not match its contents")
    rows = marshal.loads(payload)
    if not isinstance(rows, list) or any(len(row) != 8 for row in rows):
        raise ValueError("the data is not a list of file rows")
    return rows


def _write_atomic(directory: Path, path: Path, *chunks: bytes) -> None:
    # `directory` may have been removed while we ran: write_atomic makes it again.
    try:
        write_atomic(path, b"".join(chunks))
    except OSError as error:
        raise CacheError(f"cannot write cache entry {path}: {error}", hint=_WRITE_HINT) from error
