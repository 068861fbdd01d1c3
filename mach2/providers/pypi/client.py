"""The PyPI simple API: project pages (PEP 691 JSON, PEP 503 HTML) and wheel metadata.

:class:`PyPIClient` is the resolver's only way to PyPI (or any index speaking the simple API).
Its costs, measured against pypi.org as reached from our machines (DESIGN §6):

- A project page is one request but can be big (numpy's lists 4,400 files in 1.9 MB, served
  without gzip; the data-science set's 111 pages are 27 MB with 62,000 files).  It is parsed
  once into plain tuples (:mod:`mach2.providers.pypi.pages`), cached in that form
  (:mod:`mach2.providers.pypi.cache`) and turned into :class:`~mach2.model.artifact.DistFile` records
  in one pass (~2 µs per file).  A warm run with ``exclude_newer`` reads all 111 pages from the
  cache in about 0.2 s, without a request.
- A wheel's METADATA costs one request when the index advertises ``<wheel>.metadata`` (PEP
  658), else one or two HTTP range requests on the wheel's zip directory (as uv does), and a
  probe for an unadvertised ``.metadata`` then a whole download only when the server ignores
  ranges.  Metadata is cached on disk by the wheel's sha256, forever.
- Requests run on a pool of worker threads sharing one HTTP client, so the resolver should
  :meth:`~PyPIClient.prefetch_projects` / :meth:`~PyPIClient.prefetch_metadata` whatever it will
  probably need, then ask for it with the blocking calls.  A blocking call for something not
  started yet runs in the calling thread instead of queueing behind the prefetches.

Use::

    with PyPIClient(cache_dir=cache / "pypi", exclude_newer=cutoff) as pypi:
        pypi.prefetch_projects([normalize("numpy"), normalize("pandas")])
        files = pypi.project_files(normalize("numpy"))      # blocks; memoized
        wheel = pick_a_wheel(files)                          # the provider's job
        metadata = pypi.wheel_metadata(wheel)                # METADATA bytes
        print(pypi.stats.requests)
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Generic, NoReturn, TypeVar
from urllib.parse import urlsplit

import attrs
from attrs import frozen

from mach2.errors import ArtifactError, CacheError, IndexError_, Mach2Error
from mach2.model.artifact import DistFile
from mach2.model.names import NormalizedName
from mach2.net.files import FileStore
from mach2.net.http import (
    Counters,
    Http,
    Response,
    split_credentials,
    status_error,
)
from mach2.providers.pypi.cache import Cache, CachedPage, FileRow
from mach2.providers.pypi.pages import PageError, ProjectListing, parse_page, pick_metadata
from mach2.providers.pypi.remote_zip import ZIP_TAIL, ZipReadError, read_zip_member

if TYPE_CHECKING:
    from urllib3 import PoolManager

__all__ = [
    "DEFAULT_INDEX_URL",
    "FetchStats",
    "PyPIClient",
    "UnknownProject",
]

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
#: PEP 691 content negotiation: JSON preferred, HTML accepted (what pip sends).
_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
)
_OFFLINE_HINT = "run once without --offline to fill the cache"
_T = TypeVar("_T")
_K = TypeVar("_K")


class UnknownProject(Mach2Error):
    """No configured index knows the project (every index answered 404)."""

    def __init__(self, name: NormalizedName, index_urls: Sequence[str], *, chain: str = "") -> None:
        self.name = name
        self.index_urls = tuple(index_urls)
        where = " or ".join(self.index_urls)
        asked = f" (required as {chain})" if chain else ""
        super().__init__(
            f"no package named {name!r} on {where}{asked}",
            hint="check the spelling and the index URLs",
        )

    def with_chain(self, chain: str) -> UnknownProject:
        """The same error saying who asked for the project (the resolver knows, not the index)."""
        return UnknownProject(self.name, self.index_urls, chain=chain)


@frozen(kw_only=True)
class FetchStats:
    """What a :class:`PyPIClient` did so far (for benchmark reports, not for decisions).

    :param requests: HTTP requests sent, retries included.
    :param bytes: response body bytes received.
    :param dns_lookups: host name lookups (once per host, see :mod:`mach2.net.http`).
    :param connections: TCP connections opened (kept alive and reused between requests).
    :param pages_fetched: index pages downloaded (status 200 or 404).
    :param pages_not_modified: cached pages the index confirmed (304).
    :param pages_cached: pages answered from the cache without a request.
    :param metadata_cached: wheel metadata answered from the cache.
    :param metadata_files: metadata read from ``<wheel>.metadata`` (PEP 658).
    :param metadata_ranges: metadata read with range requests on the wheel.
    :param metadata_downloads: metadata read from a whole downloaded wheel.
    :param downloads: files downloaded.
    :param downloads_cached: files answered from the cache.
    """

    requests: int
    bytes: int
    dns_lookups: int
    connections: int
    pages_fetched: int
    pages_not_modified: int
    pages_cached: int
    metadata_cached: int
    metadata_files: int
    metadata_ranges: int
    metadata_downloads: int
    downloads: int
    downloads_cached: int


class _Task(Generic[_T]):
    """A computation run once, by whichever thread gets to it first.

    A pool worker runs it when it was prefetched; a caller that needs it before a worker picked
    it up runs it itself rather than wait behind the queue.  Errors are kept and re-raised to
    every caller.
    """

    def __init__(self, function: Callable[[], _T]) -> None:
        self._function = function
        self._claim = threading.Lock()
        self._done = threading.Event()
        self._result: _T | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        if not self._claim.acquire(blocking=False):
            return
        try:
            self._result = self._function()
        except BaseException as error:
            self._error = error
        finally:
            self._done.set()

    def result(self) -> _T:
        self.run()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]  # set when no error was recorded


class PyPIClient:
    """Project files and wheel metadata from PEP 503/691 indexes, cached on disk.

    :param index_urls: simple-API base URLs, tried in order.  ``user:password@`` in a URL is
        used for requests to that host and removed from every URL the client hands out.
    :param cache_dir: where pages, metadata and files are cached; ``None`` keeps them in a
        temporary directory that :meth:`close` removes.
    :param exclude_newer: hide files uploaded after this moment (PEP 700 ``upload-time``;
        naive datetimes are taken as UTC).  Files an index lists without an upload time (HTML
        pages have none) are kept: there is no date to judge them by.  A cached page fetched
        after this moment is used without asking the index again: whatever changed since can
        only be files that are filtered out anyway (or yank flags, which then stay as cached).
    :param netrc: a netrc file with credentials for private indexes (read once; a missing or
        malformed file raises :class:`~mach2.errors.InputError`).
    :param max_connections: worker threads, so requests in flight; the connection pool holds
        twice as many, so that the page host and the file host do not evict each other's.
    :param timeout: seconds for connecting and for each read.
    :param retries: retries after connection errors, timeouts and 429/5xx answers.
    :param offline: use only the cache; anything missing raises :class:`IndexError_`.
    :param refresh: ignore cached pages (and replace damaged cache entries instead of
        raising :class:`CacheError`).
    :param pool: a urllib3 ``PoolManager`` to send requests through instead of the client's
        own (tests; see :class:`~mach2.net.http.Http`).
    :param http: an HTTP client shared with other sources (the lock pipeline's); the index
        URLs' credentials are added to it, and it is not closed by :meth:`close`.  Then
        ``netrc``, ``max_connections``, ``timeout``, ``retries`` and ``pool`` are its own.
    :param files: the download cache shared with other sources; default
        ``<cache_dir>/files-v1``.
    """

    def __init__(
        self,
        *,
        index_urls: Sequence[str] = (DEFAULT_INDEX_URL,),
        cache_dir: Path | None,
        exclude_newer: datetime | None = None,
        netrc: Path | None = None,
        max_connections: int = 16,
        timeout: float = 30.0,
        retries: int = 3,
        offline: bool = False,
        refresh: bool = False,
        pool: PoolManager | None = None,
        http: Http | None = None,
        files: FileStore | None = None,
    ) -> None:
        if not index_urls:
            raise ValueError("index_urls is empty")
        credentials: dict[str, tuple[str, str]] = {}
        self.index_urls: tuple[str, ...] = ()
        for raw in index_urls:
            clean, userinfo = split_credentials(raw if raw.endswith("/") else raw + "/")
            self.index_urls += (clean,)
            if userinfo is not None:
                credentials[urlsplit(clean).netloc] = userinfo
        if exclude_newer is not None and exclude_newer.tzinfo is None:
            exclude_newer = exclude_newer.replace(tzinfo=UTC)
        self.exclude_newer = exclude_newer
        self.offline = offline
        self.refresh = refresh
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        if cache_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="mach2-cache-")
            cache_dir = Path(self._temporary.name)
        self._cache = Cache(cache_dir)
        self._files = files if files is not None else FileStore(cache_dir / "files-v1")
        self._own_http = http is None
        if http is None:
            http = Http(
                max_connections=max_connections,
                timeout=timeout,
                retries=retries,
                credentials=credentials,
                netrc=netrc,
                counters=Counters(),
                pool=pool,
            )
        else:
            for netloc, userinfo in credentials.items():
                http.add_credentials(netloc, userinfo)
        self._http = http
        self._counters = http.counters
        self._pool = ThreadPoolExecutor(max_connections, thread_name_prefix="mach2-pypi")
        self._lock = threading.Lock()
        self._projects: dict[NormalizedName, _Task[ProjectListing]] = {}
        # Fetched pages are written to the cache by one thread of its own, while the resolver
        # runs: hashing and writing release the GIL, so they take the second core rather
        # than time at the end (the data-science set's 20 MB: ~60 ms).
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="mach2-cache-write")
        self._writes: list[Future[None]] = []
        self._writes_lock = threading.Lock()
        self._metadata: dict[DistFile, _Task[bytes]] = {}
        self._downloads: dict[DistFile, _Task[Path]] = {}

    # -- public API ------------------------------------------------------------------------

    def project_files(self, name: NormalizedName) -> tuple[DistFile, ...]:
        """Every file of project ``name``, as the first index that knows the project lists it.

        Like uv's default ``first-index`` strategy, indexes are asked in order and the first
        one that does not answer 404 provides *all* files; later indexes are not mixed in (so a
        project on an earlier index cannot be shadowed by a namesake on a later one).  Files uploaded after ``exclude_newer``
        are already removed.  Blocks until the page is there; memoized.

        :raises UnknownProject: every index answered 404.
        :raises IndexError_: an index could not be reached (or, offline, the page is not cached).
        :raises CacheError: the cached page is damaged.
        """
        return self._listed(name, None)

    def project_files_matching(
        self, name: NormalizedName, accept: Callable[[str], bool]
    ) -> tuple[DistFile, ...]:
        """:meth:`project_files`, only those whose filename ``accept`` takes.

        A big page lists thousands of files for other platforms; filtering on the filename
        before making records is most of what a warm resolve saves.
        """
        return self._listed(name, accept)

    def _listed(
        self, name: NormalizedName, accept: Callable[[str], bool] | None
    ) -> tuple[DistFile, ...]:
        listing = self._task(self._projects, name, self._load_project).result()
        try:
            return listing.files(accept)
        except (ValueError, TypeError) as error:
            self._unreadable(listing.page, error)

    def prefetch_projects(self, names: Iterable[NormalizedName]) -> None:
        """Start fetching these projects' pages in the background; returns at once.

        Pages the cache answers without a request are left for :meth:`project_files` to read
        when (and if) asked: reading them in workers only contends for the GIL.
        """
        for name in names:
            if name not in self._projects and not self._answered_by_cache(name):
                self._prefetch(self._projects, name, self._load_project)

    def wheel_metadata(self, file: DistFile) -> bytes:
        """The ``METADATA`` file of the wheel ``file`` (bytes as in the wheel).

        :raises ValueError: ``file`` is not a wheel.
        :raises ArtifactError: what the index served does not match its hash or is no wheel.
        :raises IndexError_: the index could not be reached (or, offline, nothing is cached).
        :raises CacheError: the cached metadata is damaged.
        """
        if not file.is_wheel:
            raise ValueError(f"not a wheel: {file.filename!r}")
        return self._task(self._metadata, file, self._load_metadata).result()

    def prefetch_metadata(self, files: Iterable[DistFile]) -> None:
        """Start fetching these wheels' metadata in the background; returns at once.

        Files that are no wheels, and wheels whose metadata is cached, are skipped.
        """
        for file in files:
            if (
                file.is_wheel
                and file not in self._metadata
                and not self._cache.metadata_path(_metadata_key(file)).exists()
            ):
                self._prefetch(self._metadata, file, self._load_metadata)

    def download(self, file: DistFile) -> Path:
        """The whole file in the cache, verified against its sha256; returns its path.

        Stored in the shared download cache (:class:`~mach2.net.files.FileStore`, by sha256)
        and never downloaded twice.  A file the
        index gives no sha256 for is stored under the hash of what was downloaded (and cannot be
        found offline).

        :raises ArtifactError: the downloaded bytes do not match the index's sha256.
        :raises IndexError_: the file could not be fetched (or, offline, is not cached).
        :raises CacheError: the cached file has the wrong size.
        """
        return self._task(self._downloads, file, self._load_download).result()

    @property
    def stats(self) -> FetchStats:
        """Counters of requests, bytes and cache hits so far."""
        names = [field.name for field in attrs.fields(FetchStats)]
        return FetchStats(**{name: self._counters.get(name) for name in names})

    def flush(self) -> None:
        """Wait until the pages fetched so far are in the cache (``close`` does it too).

        :raises CacheError: a page could not be written.
        """
        with self._writes_lock:
            writes, self._writes = self._writes, []
        for write in writes:
            write.result()  # a CacheError surfaces here

    def close(self) -> None:
        """Stop the workers (dropping queued prefetches), write the fetched pages to the cache,
        close connections, remove temp files."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            self.flush()
        finally:
            self._writer.shutdown(wait=True)
            if self._own_http:
                self._http.close()
            if self._temporary is not None:
                self._temporary.cleanup()

    def __enter__(self) -> PyPIClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- memoized tasks ----------------------------------------------------------------------

    def _task(self, tasks: dict[_K, _Task[_T]], key: _K, load: Callable[[_K], _T]) -> _Task[_T]:
        with self._lock:
            task = tasks.get(key)
            if task is None:
                task = tasks[key] = _Task(lambda: load(key))
            return task

    def _prefetch(self, tasks: dict[_K, _Task[_T]], key: _K, load: Callable[[_K], _T]) -> None:
        with self._lock:
            if key in tasks:
                return
            task = tasks[key] = _Task(lambda: load(key))
        self._pool.submit(task.run)

    # -- project pages -----------------------------------------------------------------------

    def _load_project(self, name: NormalizedName) -> ProjectListing:
        for index_url in self.index_urls:
            page = self._page(index_url, name)
            if page.status == 200:
                return ProjectListing(page, index_url, self.exclude_newer)
        raise UnknownProject(name, self.index_urls)

    def _page(self, index_url: str, name: NormalizedName) -> CachedPage:
        """The page from the cache, revalidated, or fetched (and cached), as the options say."""
        url = f"{index_url}{name}/"
        head = None if self.refresh else self._cache.read_page(index_url, name, header_only=True)
        if head is not None and (self.offline or self._fresh_enough(head)):
            self._counters.add("pages_cached")
            return self._cache.read_page(index_url, name) or head
        if self.offline:
            raise IndexError_(f"{url} is not in the cache (offline)", hint=_OFFLINE_HINT)
        headers = {"Accept": _ACCEPT}
        if head is not None and head.etag:
            headers["If-None-Match"] = head.etag
        if head is not None and head.last_modified:
            headers["If-Modified-Since"] = head.last_modified
        started = datetime.now(UTC)
        response = self._http.get(url, headers)
        cached = None
        if response.status_code == 304 and head is not None:
            cached = self._cache.read_page(index_url, name)
        if cached is not None:
            self._counters.add("pages_not_modified")
            page = attrs.evolve(cached, fetched=started, path=None)
        elif response.status_code in (200, 404, 410):
            self._counters.add("pages_fetched")
            page = CachedPage(
                url=str(response.url),
                fetched=started,
                status=200 if response.status_code == 200 else 404,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                rows=self._parse(response) if response.status_code == 200 else (),
            )
        else:
            raise status_error(url, response)
        with self._writes_lock:
            self._writes.append(self._writer.submit(self._cache.write_page, index_url, name, page))
        return page

    def _fresh_enough(self, page: CachedPage) -> bool:
        """Fetched after ``exclude_newer``: whatever changed since is filtered out anyway."""
        return self.exclude_newer is not None and page.fetched > self.exclude_newer

    def answers_offline(self, name: NormalizedName) -> bool:
        """Whether the project's page comes from the cache without a request (warm runs)."""
        return self._answered_by_cache(name)

    def _answered_by_cache(self, name: NormalizedName) -> bool:
        """Whether :meth:`_load_project` will not touch the network (so need not be prefetched)."""
        if self.refresh or not (self.offline or self.exclude_newer):
            return False
        for index_url in self.index_urls:
            try:
                head = self._cache.read_page(index_url, name, header_only=True)
            except CacheError:
                return False  # let the worker raise it where the caller sees it
            if head is None or not (self.offline or self._fresh_enough(head)):
                return False
            if head.status == 200:
                return True
        return True

    def _parse(self, response: Response) -> list[FileRow]:
        try:
            return parse_page(
                response.content, response.headers.get("Content-Type", ""), str(response.url)
            )
        except PageError as error:
            raise IndexError_(
                f"{response.url} answered a page mach2 cannot read: {error}",
                hint="check that the URL is a PEP 503/691 simple index",
            ) from error

    def _unreadable(self, page: CachedPage, error: Exception) -> NoReturn:
        if page.path is None:
            raise IndexError_(
                f"{page.url} lists a file mach2 cannot read: {error}",
                hint="report it to the index operator",
            ) from error
        raise CacheError(
            f"corrupt cache entry {page.path}: {error}", hint="delete it or run with --refresh"
        ) from error

    # -- wheel metadata ----------------------------------------------------------------------

    def _load_metadata(self, file: DistFile) -> bytes:
        key = _metadata_key(file)
        try:
            cached = self._cache.read_metadata(key)
        except CacheError:
            if not self.refresh:
                raise
            cached = None
        if cached is not None:
            self._counters.add("metadata_cached")
            return cached
        data = self._offline_metadata(file) if self.offline else self._fetch_metadata(file)
        self._cache.write_metadata(key, data)
        return data

    def _offline_metadata(self, file: DistFile) -> bytes:
        wheel = None
        if file.sha256 is not None:
            wheel = self._files.cached(file.sha256, file.filename, file.size)
        if wheel is None:
            raise IndexError_(
                f"metadata of {file.url} is not in the cache (offline)", hint=_OFFLINE_HINT
            )
        return _metadata_from_wheel(file, wheel)

    def _fetch_metadata(self, file: DistFile) -> bytes:
        """The advertised ``.metadata`` file, else range requests, else the whole wheel.

        An index that does not advertise a wheel's metadata file may still have one (the
        index here lacks it for ~30% of wheels): probing for it costs a request per wheel, and
        a missing one answers 404 after ~150 ms here, on the resolver's path.  Range requests
        answer in one request (two when METADATA is not in the zip's tail), as in uv, so the
        probe comes only when the server ignores ranges, before downloading the wheel.
        """
        stored = None if file.sha256 is None else self._files.cached(file.sha256, file.filename)
        if stored is not None or file.url.lower().startswith("file:"):
            # A local wheel, or one downloaded already (a direct reference, hash-checked).
            return _metadata_from_wheel(file, stored or self.download(file))
        if file.metadata_sha256 is not None:
            data = self._metadata_file(file) or self._metadata_by_range(file)
        else:
            data = self._metadata_by_range(file) or self._metadata_file(file)
        if data is None:
            data = _metadata_from_wheel(file, self.download(file))
            self._counters.add("metadata_downloads")
        return data

    def _metadata_file(self, file: DistFile) -> bytes | None:
        """``<wheel url>.metadata`` (PEP 658), whether or not the index advertises it."""
        url = file.url + ".metadata"
        response = self._http.get(url)
        if response.status_code in (403, 404, 410):  # 403: object stores answer it for absent keys
            return None
        if response.status_code != 200:
            raise status_error(url, response)
        data = response.content
        if file.metadata_sha256 and hashlib.sha256(data).hexdigest() != file.metadata_sha256:
            raise ArtifactError(
                f"{url} does not match the sha256 the index gives for it",
                hint="retry later; if it persists, report it to the index operator",
            )
        self._counters.add("metadata_files")
        return data

    def _metadata_by_range(self, file: DistFile) -> bytes | None:
        """METADATA read via range requests on the wheel's zip directory (``None``: no ranges)."""
        tail = self._http.get_range(file.url, None, ZIP_TAIL)
        if tail is None or tail.start + len(tail.data) != tail.size:
            return None  # ranges ignored, or not the tail we asked for: download it

        def fetch(start: int, end: int) -> bytes:
            reply = self._http.get_range(file.url, start, end - 1)
            if reply is None or reply.start != start or len(reply.data) != end - start:
                raise ZipReadError(f"bad answer to range {start}-{end - 1}")
            return reply.data

        try:
            data = read_zip_member(
                tail.data, tail.size, fetch, lambda names: pick_metadata(file.filename, names)
            )
        except ZipReadError:
            return None  # odd zip or odd server: the whole download below settles it
        self._counters.add("metadata_ranges")
        return data

    # -- downloads ---------------------------------------------------------------------------

    def _load_download(self, file: DistFile) -> Path:
        return self._files.fetch(
            self._http,
            file.url,
            file.filename,
            sha256=file.sha256,
            size=file.size,
            offline=self.offline,
            refresh=self.refresh,
        )


def _metadata_key(file: DistFile) -> str:
    """Metadata is cached by the wheel's sha256 (by its URL's when the index gives none)."""
    return file.sha256 or "url-" + hashlib.sha256(file.url.encode()).hexdigest()


def _metadata_from_wheel(file: DistFile, path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            name = pick_metadata(file.filename, archive.namelist())
            if name is None:
                raise ArtifactError(
                    f"{file.url} has no .dist-info/METADATA",
                    hint="pin another version of it",
                )
            return archive.read(name)
    except (zipfile.BadZipFile, OSError, io.UnsupportedOperation) as error:
        raise ArtifactError(
            f"{file.url} is not a readable wheel: {error}", hint="pin another version of it"
        ) from error
