"""Download repodata.json with an on-disk cache and HTTP revalidation.

Per subdir URL the cache keeps the decompressed ``repodata.json`` and a ``meta.json`` (URL,
ETag, Last-Modified, sha256, fetch time, whether ``repodata.json.zst`` exists).  A fetch:

1. answers from the cache without a request when offline or younger than ``max_age``;
2. otherwise asks for ``repodata.json.zst`` (conda-forge's is ~8x smaller) with
   ``If-None-Match``/``If-Modified-Since``, falling back to ``repodata.json`` on 404 and
   remembering that;
3. on 304 keeps the cached file; on 200 streams it to a temporary file (decompressing and
   hashing on the way) and renames it into place, so a broken download never replaces a good copy.

Requests go through mach2's one HTTP client (:class:`mach2.net.http.Http`: retries, netrc,
proxies, one timeout).  Repodata is not content-addressed: a channel changes it in place, so it
is cached by URL and revalidated, apart from the download cache of files.

The sha256 recorded here is what :func:`mach2.providers.conda.repodata.load_repodata` keys its index by.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zstandard
from attrs import frozen

from mach2.errors import IndexError_
from mach2.net.http import Http
from mach2.providers.conda.errors import RepodataError

__all__ = ["FetchResult", "RepodataNotFound", "fetch_repodata"]


class RepodataNotFound(RepodataError):
    """The channel has no repodata for this subdir (HTTP 404)."""


@frozen(kw_only=True)
class FetchResult:
    """A repodata.json on disk.

    :param status: ``"downloaded"``, ``"revalidated"`` (304) or ``"cached"`` (no request).
    """

    path: Path
    sha256: str
    url: str
    status: str


def _cache_dir(cache_dir: Path, subdir_url: str) -> Path:
    return cache_dir / "repodata" / hashlib.sha256(subdir_url.encode()).hexdigest()[:32]


def _read_meta(directory: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((directory / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or not (directory / "repodata.json").is_file():
        return None
    return meta


def _write_meta(directory: Path, meta: dict[str, Any]) -> None:
    scratch = directory / f".meta.{os.getpid()}.tmp"
    scratch.write_text(json.dumps(meta, indent=1, sort_keys=True))
    os.replace(scratch, directory / "meta.json")


def fetch_repodata(
    subdir_url: str,
    cache_dir: Path,
    *,
    client: Http,
    max_age: float = 0.0,
    offline: bool = False,
    clock: Callable[[], float] = time.time,
) -> FetchResult:
    """Return the current repodata.json of ``subdir_url`` (``…/conda-forge/linux-64``).

    :param max_age: seconds during which a cached copy is used without asking the server.
    :param offline: never make a request; fail when nothing is cached.
    :raises RepodataNotFound: the server answers 404 for the subdir.
    :raises RepodataError: network failure, other HTTP errors, or offline without a cache.
    """
    base = subdir_url.rstrip("/")
    directory = _cache_dir(cache_dir, base)
    meta = _read_meta(directory)
    cached = directory / "repodata.json"
    if meta is not None and (offline or clock() - float(meta.get("fetched_at", 0)) < max_age):
        return FetchResult(path=cached, sha256=meta["sha256"], url=meta["url"], status="cached")
    if offline:
        raise RepodataError(
            f"{base}/repodata.json", "not in the cache", hint="fetch it once without --offline"
        )
    directory.mkdir(parents=True, exist_ok=True)
    variants = [".zst", ""] if meta is None or meta.get("has_zst") is not False else [""]
    for suffix in variants:
        url = f"{base}/repodata.json{suffix}"
        headers = {}
        if meta is not None and meta.get("url") == url:
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        result = _request(client, url, headers, directory, meta, suffix == ".zst", clock)
        if result is not None:
            return result
    raise RepodataNotFound(f"{base}/repodata.json", "the channel has no such subdir (HTTP 404)")


def _request(
    client: Http,
    url: str,
    headers: dict[str, str],
    directory: Path,
    meta: dict[str, Any] | None,
    zst: bool,
    clock: Callable[[], float],
) -> FetchResult | None:
    """One GET; ``None`` means 404 (try the next variant)."""
    hint = "the cached copy is used with --offline" if meta is not None else None
    fd, scratch = tempfile.mkstemp(dir=directory, prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as out:
            sink = _Decompressing(out, zst)
            try:
                response = client.stream(url, sink, headers)
            except zstandard.ZstdError as error:
                raise RepodataError(url, f"corrupt zstd stream ({error})") from None
            except IndexError_ as error:
                raise RepodataError(url, f"download failed ({error.message})", hint=hint) from None
        if response.status_code == 404:
            if zst and meta is not None:
                _write_meta(directory, {**meta, "has_zst": False})
            return None
        if response.status_code == 304 and meta is not None:
            _write_meta(directory, {**meta, "fetched_at": clock()})
            return FetchResult(
                path=directory / "repodata.json",
                sha256=meta["sha256"],
                url=url,
                status="revalidated",
            )
        if response.status_code != 200:
            raise RepodataError(url, f"HTTP {response.status_code}", hint=hint)
        os.replace(scratch, directory / "repodata.json")
    finally:
        Path(scratch).unlink(missing_ok=True)
    _write_meta(
        directory,
        {
            "url": url,
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "sha256": sink.sha256(),
            "fetched_at": clock(),
            "has_zst": zst,
        },
    )
    return FetchResult(
        path=directory / "repodata.json", sha256=sink.sha256(), url=url, status="downloaded"
    )


class _Decompressing:
    """A sink for :meth:`Http.stream` that writes the decompressed body and hashes it; it
    starts over (new decompressor and hash) when the client retries a broken transfer."""

    def __init__(self, out: Any, zst: bool) -> None:
        self._out = out
        self._zst = zst
        self.seek(0)

    def seek(self, offset: int, /) -> int:
        self._digest = hashlib.sha256()
        self._decompressor = zstandard.ZstdDecompressor().decompressobj() if self._zst else None
        return int(self._out.seek(offset))

    def truncate(self) -> int:
        return int(self._out.truncate())

    def write(self, chunk: bytes, /) -> None:
        data = self._decompressor.decompress(chunk) if self._decompressor is not None else chunk
        self._digest.update(data)
        self._out.write(data)

    def sha256(self) -> str:
        return self._digest.hexdigest()
