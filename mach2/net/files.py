"""The one download cache: files by sha256, whatever source they came from.

Layout under its root (``<cache dir>/files-v1``; a format change bumps the suffix)::

    <ab>/<sha256>/<filename>      a whole file, verified against its sha256 when stored
    urls/<sha256 of the URL>      the sha256 of what a URL served, for URLs that carry none
                                  (only :meth:`FileStore.fetch_url` uses them)

PyPI files (wheels and sdists the lock downloads for metadata, hashes and patch plans) and the
wheels ``mach2 patchelf plan URL`` inspects share it, so a wheel is downloaded once for both.
Conda packages are fetched by Nix, not by mach2; conda repodata is revalidated by URL, not
addressed by content (``mach2.providers.conda.fetch`` keeps it).

A file is written to a temporary name in the root, checked, then renamed into place: readers
see it whole or not at all, even with several processes sharing the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from mach2.atomic import write_atomic
from mach2.errors import ArtifactError, CacheError, IndexError_
from mach2.net.http import Http, status_error

__all__ = ["FileStore", "HashMismatch", "sha256_fragment"]

_HINT = "delete it or run with --refresh"
_WRITE_HINT = "check that the cache directory is writable and the disk is not full"
_OFFLINE_HINT = "run once without --offline to fill the cache"


def sha256_fragment(url: str) -> str | None:
    """The hex digest of a ``#sha256=…`` URL fragment, if any.

    >>> sha256_fragment("https://example.org/a.whl#sha256=AB12")
    'ab12'
    """
    fragment = urlsplit(url).fragment
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "sha256" and value:
            return value.lower()
    return None


#: ``on_progress("download", filename, bytes so far, size or None)`` while a file downloads
#: (mach2.pipeline.options.ProgressCallback's shape).
DownloadProgress = Callable[[str, str, int, int | None], None]


class HashMismatch(ArtifactError):
    """What a URL served does not have the sha256 it was expected to have."""

    def __init__(self, url: str, actual: str, expected: str) -> None:
        super().__init__(
            f"{url} has sha256 {actual}, the index says {expected}",
            hint="retry; if it persists, the index or a proxy serves a wrong file",
        )
        self.url = url
        self.actual = actual
        self.expected = expected


def local_file(url: str) -> Path | None:
    """The path of a ``file:`` URL (``file:///abs``, or ``file:rel`` relative to the current
    directory), ``None`` for other URLs.

    >>> local_file("file:///srv/a%20b.whl")
    PosixPath('/srv/a b.whl')
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        return None
    if parts.netloc not in ("", "localhost"):
        raise IndexError_(f"{url}: file URLs on another host are not supported", hint="mount it")
    return Path(unquote(parts.path))


class FileStore:
    """Files by sha256 under ``root`` (created on first write).

    ``file:`` URLs are local files: copied into the store (and hashed) instead of downloaded,
    so a local wheel or sdist is read and checked like any other.

    :param on_progress: told of the bytes of each download as they arrive (a 2.5 GB wheel
        takes minutes).
    """

    def __init__(self, root: Path, *, on_progress: DownloadProgress | None = None) -> None:
        self.root = root
        self.on_progress = on_progress

    def path(self, sha256: str, filename: str) -> Path:
        return self.root / sha256[:2] / sha256 / filename

    def cached(self, sha256: str, filename: str, size: int | None = None) -> Path | None:
        """The stored file, or ``None``; files were verified when stored.

        :raises CacheError: the stored file does not have the expected size.
        """
        path = self.path(sha256, filename)
        try:
            actual = path.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
        if size is not None and actual != size:
            raise CacheError(
                f"corrupt cache entry {path}: {actual} bytes, expected {size}", hint=_HINT
            )
        return path

    def fetch(
        self,
        http: Http,
        url: str,
        filename: str,
        *,
        sha256: str | None = None,
        size: int | None = None,
        offline: bool = False,
        refresh: bool = False,
    ) -> Path:
        """The file ``url`` serves, from the store or downloaded (and verified) into it.

        A file without a known ``sha256`` is always downloaded (a URL may change what it
        serves) and stored under the hash of what came.  ``http.counters`` count
        ``downloads`` and ``downloads_cached``.

        :param refresh: replace a damaged entry instead of raising :class:`CacheError`.
        :raises ArtifactError: the downloaded bytes do not match ``sha256``.
        :raises IndexError_: the file could not be fetched (or, offline, is not stored).
        :raises CacheError: the stored file has the wrong size, or the store is not writable.
        """
        if sha256 is not None:
            try:
                path = self.cached(sha256, filename, size)
            except CacheError:
                if not refresh:
                    raise
                path = None
            if path is not None:
                http.counters.add("downloads_cached")
                return path
        local = local_file(url)
        if local is not None:
            return self._copy_local(http, url, local, filename, sha256)
        if offline:
            raise IndexError_(f"{url} is not in the cache (offline)", hint=_OFFLINE_HINT)
        with self._new_file() as (handle, temporary):
            try:
                report = self.on_progress
                response = http.stream(
                    url,
                    handle,
                    progress=None
                    if report is None
                    else lambda received: report("download", filename, received, size),
                )
                handle.flush()
            except OSError as error:  # writing the file, not the network (that is IndexError_)
                raise CacheError(f"cannot write {temporary}: {error}", hint=_WRITE_HINT) from error
            if response.status_code != 200 or response.sha256 is None:
                raise status_error(url, response)
            digest = response.sha256
            if sha256 is not None and digest != sha256:
                raise HashMismatch(url, digest, sha256)
            http.counters.add("downloads")
            return self._store(temporary, digest, filename)

    def _copy_local(
        self, http: Http, url: str, source: Path, filename: str, sha256: str | None
    ) -> Path:
        """A local file copied into the store, hashed while it is copied."""
        with self._new_file() as (handle, temporary):
            digest = hashlib.sha256()
            try:
                with source.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
                        handle.write(chunk)
                handle.flush()
            except FileNotFoundError:
                raise IndexError_(
                    f"no such file {str(source)!r} ({url})", hint="check the path"
                ) from None
            except IsADirectoryError:
                raise IndexError_(f"{str(source)!r} is a directory, not a file ({url})") from None
            except OSError as error:
                raise IndexError_(f"cannot read {str(source)!r}: {error.strerror}") from error
            actual = digest.hexdigest()
            if sha256 is not None and actual != sha256:
                raise HashMismatch(url, actual, sha256)
            http.counters.add("downloads")
            return self._store(temporary, actual, filename)

    def fetch_url(self, http: Http, url: str, *, sha256: str | None = None) -> Path:
        """The file at ``url`` (its name is the URL's last segment), downloaded at most once.

        The expected hash is ``sha256``, else the URL's ``#sha256=`` fragment, else what the
        URL served the last time (every URL fetched is remembered under ``urls/``): a URL
        without any is fetched once, then found in the store.

        :raises ArtifactError: the download does not match the expected digest.
        """
        expected = (sha256 or sha256_fragment(url) or "").lower() or None
        bare = url.split("#", 1)[0]
        filename = unquote(posixpath.basename(urlsplit(bare).path)) or "download"
        memo = self.root / "urls" / hashlib.sha256(bare.encode()).hexdigest()
        remembered = None
        with contextlib.suppress(OSError):
            remembered = memo.read_text().strip() or None
        expected = expected or remembered
        try:
            path = self.fetch(http, bare, filename, sha256=expected)
        except ArtifactError as error:
            raise ArtifactError(
                f"{filename!r} from {url!r}: {error.message}, expected {expected}",
                hint="the file changed on the server or the hash is wrong",
            ) from None
        if remembered != path.parent.name:
            try:
                write_atomic(memo, (path.parent.name + "\n").encode())
            except OSError as error:
                raise CacheError(f"cannot write {memo}: {error}", hint=_WRITE_HINT) from error
        return path

    @contextlib.contextmanager
    def _new_file(self) -> Iterator[tuple[IO[bytes], Path]]:
        """A temporary file to download into; removed at exit unless :meth:`_store` took it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
            os.fchmod(fd, 0o644)
        except OSError as error:
            raise CacheError(f"cannot write to {self.root}: {error}", hint=_WRITE_HINT) from error
        path = Path(name)
        try:
            with os.fdopen(fd, "w+b") as handle:
                yield handle, path
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _store(self, temporary: Path, sha256: str, filename: str) -> Path:
        """Move a verified temporary file to its place; return that place."""
        target = self.path(sha256, filename)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        except OSError as error:
            raise CacheError(f"cannot write {target}: {error}", hint=_WRITE_HINT) from error
        return target
