"""mach2's one HTTP client: one shared pool, cached DNS, retries, credentials, ranges.

Every request mach2 makes goes through :class:`Http`: index pages, wheel metadata and files
(:class:`mach2.providers.pypi.client.PyPIClient`), conda repodata
(:mod:`mach2.providers.conda.fetch`) and the wheels ``mach2 patchelf plan URL`` downloads
(:mod:`mach2.net.files`).  One policy for all: connections kept alive and reused, retries with
backoff after connection errors, timeouts and 429/5xx answers, credentials from URLs and
netrc, proxies from the environment, one timeout (connect and each read).  It is shared by the
worker threads of the PyPI client and keeps persistent HTTP/1.1 connections in
one urllib3 ``PoolManager`` (thread-safe; one HTTP/2 client shared by threads crashed in a
trial, see DESIGN §6).  urllib3 rather than httpx: a cold lock is CPU-bound, and urllib3
imports in 80 ms instead of 180 ms (more with trio installed) and needs half the CPU per
request (data-science set, 377 requests: 1.2 s of CPU in HTTP calls with httpx, 0.65 s now).

Why the DNS cache: the name server our machines use drops answers when many lookups are in
flight, and now and then even a single one (2 of 60 in a row, measured); each drop costs the
C library's 5 s timeout.  So every host is looked up once per client, one lookup at a time, and
a lookup that has not answered after :data:`HEDGE_AFTER` seconds is raced by another one (and
so on, the wait doubling), first answer wins.  Every later connection reuses the addresses; TLS
still checks the host name.  When a proxy is configured in the environment (``HTTPS_PROXY``
and friends, ``NO_PROXY`` honoured), requests through it use a plain urllib3 ``ProxyManager``:
the proxy resolves names.  CA certificates: ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, else
certifi's bundle when installed, else the system's.

Reading a wheel's METADATA out of range answers is :mod:`mach2.providers.pypi.remote_zip`'s job.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import netrc as netrc_module
import os
import queue
import random
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import attrs
from attrs import frozen

from mach2.errors import IndexError_, InputError

if TYPE_CHECKING:
    import ssl

    # urllib3 and http.client take 70 ms to import: a run the cache answers never imports them.
    from urllib3 import BaseHTTPResponse, PoolManager

__all__ = [
    "BACKOFF",
    "HEDGE_AFTER",
    "Counters",
    "Http",
    "RangeReply",
    "Response",
    "Sink",
    "split_credentials",
    "status_error",
]

#: Seconds before a DNS lookup that has not answered is raced by another one.
HEDGE_AFTER = 0.3
#: First retry delay in seconds; doubles on every further retry (with jitter).  Tests lower it.
BACKOFF = 0.25
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 10
_UNREACHABLE_HINT = "check the URL / network, or use --offline with a warm cache"
_USER_AGENT = "mach2/0.1"


class Counters:
    """Thread-safe named counters (requests, bytes, cache hits) for benchmark reports."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int] = {}

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0) + amount

    def get(self, name: str) -> int:
        with self._lock:
            return self._values.get(name, 0)


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without ``user:password@``, and the credentials it carried (if any).

    >>> split_credentials("https://me:s3cret@example.org/simple/")
    ('https://example.org/simple/', ('me', 's3cret'))
    """
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (unquote(parts.username), unquote(parts.password or ""))


# -- name resolution ---------------------------------------------------------------------------


class _Resolver:
    """Looks every ``(host, port)`` up once (hedged) and hands out the answer to connections."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self._lock = threading.Lock()
        self._host_locks: dict[tuple[str, int], threading.Lock] = {}
        self._addresses: dict[tuple[str, int], list[str]] = {}

    def addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The host's addresses, looked up on first use.

        :raises OSError: the lookup failed (``socket.gaierror``) or timed out (``TimeoutError``).
        """
        key = (host, port)
        with self._lock:
            host_lock = self._host_locks.setdefault(key, threading.Lock())
        with host_lock:  # one lookup per host at a time; the others wait for its answer
            with self._lock:
                cached = self._addresses.get(key)
            if cached is not None:
                return cached
            addresses = _hedged_lookup(host, port, timeout=timeout or 30.0)
            self.counters.add("dns_lookups")
            with self._lock:
                self._addresses[key] = addresses
            return addresses

    def forget(self, host: str, port: int) -> None:
        """Every address failed: look the host up again next time."""
        with self._lock:
            self._addresses.pop((host, port), None)


def _hedged_lookup(host: str, port: int, *, timeout: float) -> list[str]:
    """``getaddrinfo`` raced against itself: a new attempt every time the wait doubles.

    :raises OSError: what ``getaddrinfo`` raised; ``TimeoutError`` when no attempt answered.
    """
    answers: queue.SimpleQueue[list[str] | Exception] = queue.SimpleQueue()

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            answers.put(list(dict.fromkeys(str(info[4][0]) for info in infos)))
        except Exception as error:  # OSError, or UnicodeError for a name IDNA cannot encode
            answers.put(error)

    deadline = time.monotonic() + timeout
    wait = HEDGE_AFTER
    while True:
        threading.Thread(target=lookup, name=f"dns-{host}", daemon=True).start()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no DNS answer for {host} within {timeout:g} s")
        try:
            answer = answers.get(timeout=min(wait, remaining))
        except queue.Empty:
            wait *= 2
            continue
        if isinstance(answer, OSError):
            raise answer
        if isinstance(answer, Exception):
            raise socket.gaierror(f"cannot look up {host!r}: {answer}") from answer
        return answer


@functools.cache
def _resolving_pool_manager() -> Callable[..., PoolManager]:
    """A urllib3 ``PoolManager`` whose connections get their addresses from a :class:`_Resolver`.

    urllib3's hook for this is the connection's ``_new_conn`` (its own calls ``getaddrinfo``
    on every connect); the classes are made on first use so that importing this module does
    not import urllib3.
    """
    from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
    from urllib3.util.connection import create_connection

    def connect(connection: HTTPConnection, resolver: _Resolver) -> socket.socket:
        """What urllib3's ``_new_conn`` does, with the addresses from ``resolver``."""
        host, port = connection.host.rstrip("."), connection.port
        timeout = connection.timeout if isinstance(connection.timeout, int | float) else None
        try:
            addresses = resolver.addresses(host, port, timeout)
        except TimeoutError as exc:
            raise ConnectTimeoutError(connection, str(exc)) from exc
        except socket.gaierror as exc:
            raise NameResolutionError(connection.host, connection, exc) from exc
        failure: Exception | None = None
        for address in addresses:
            resolver.counters.add("connections")
            try:
                sock = create_connection(
                    (address, port),
                    timeout,
                    source_address=connection.source_address,
                    socket_options=connection.socket_options,
                )
            except TimeoutError as exc:
                failure = ConnectTimeoutError(
                    connection, f"connection to {host} ({address}) timed out after {timeout} s"
                )
                failure.__cause__ = exc
            except OSError as exc:
                failure = NewConnectionError(connection, f"cannot connect to {address}: {exc}")
                failure.__cause__ = exc
            else:
                sys.audit("http.client.connect", connection, connection.host, port)
                return sock
        resolver.forget(host, port)
        assert failure is not None  # getaddrinfo never answers with an empty list
        raise failure

    class _HTTPConnection(HTTPConnection):
        def __init__(self, *args: Any, resolver: _Resolver, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._resolver = resolver

        def _new_conn(self) -> socket.socket:
            return connect(self, self._resolver)

    class _HTTPSConnection(HTTPSConnection):
        def __init__(self, *args: Any, resolver: _Resolver, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._resolver = resolver

        def _new_conn(self) -> socket.socket:
            return connect(self, self._resolver)

    class _HTTPPool(HTTPConnectionPool):
        ConnectionCls = _HTTPConnection

    class _HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _HTTPSConnection

    class ResolvingPoolManager(PoolManager):
        def __init__(self, resolver: _Resolver, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
            self._resolver = resolver

        def _new_pool(
            self,
            scheme: str,
            host: str,
            port: int,
            request_context: dict[str, Any] | None = None,
        ) -> HTTPConnectionPool:
            # The pool hands its unknown keywords to its connections: the resolver.
            context = dict(self.connection_pool_kw if request_context is None else request_context)
            context["resolver"] = self._resolver
            return super()._new_pool(scheme, host, port, context)

    return ResolvingPoolManager


def _ssl_context() -> ssl.SSLContext:
    """What httpx trusted: ``SSL_CERT_FILE``/``SSL_CERT_DIR``, else certifi, else the system."""
    from urllib3.util.ssl_ import create_urllib3_context

    context = create_urllib3_context()
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        try:
            import certifi
        except ImportError:
            context.load_default_certs()
            return context
        cafile = certifi.where()
    context.load_verify_locations(cafile=cafile, capath=capath)
    return context


# -- requests --------------------------------------------------------------------------------


@frozen(eq=False)
class Response:
    """An answer whose body has been read (or streamed: then ``content`` is empty).

    :param url: the URL that answered, after redirects.
    :param headers: case-insensitive.
    :param sha256: :meth:`Http.stream`: the hex digest of the body written to the sink.
    """

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    url: str
    sha256: str | None = None


class Sink(Protocol):
    """Where :meth:`Http.stream` writes a body: a binary file, or anything that can start over."""

    def write(self, data: bytes, /) -> object: ...
    def seek(self, offset: int, /) -> object: ...
    def truncate(self) -> object: ...


@frozen
class RangeReply:
    """The answer to a range request: ``data`` begins at byte ``start`` of a ``size``-byte file."""

    data: bytes
    start: int
    size: int


class Http:
    """A thread-safe HTTP client for index pages and files.

    :param max_connections: requests expected in flight at once (the callers' threads); each
        host's pool holds up to twice as many connections (threads beyond wait for one).
    :param timeout: seconds for connecting and for each read.
    :param retries: how often a request is retried after a connection error, a timeout or a
        429/5xx answer, with exponential backoff; then :class:`~mach2.errors.IndexError_`.
    :param credentials: ``host[:port]`` → ``(user, password)``, e.g. from index URLs.
    :param netrc: a netrc file consulted for hosts without credentials.
    :param counters: where requests and received bytes are counted.
    :param pool: a urllib3 ``PoolManager`` to send every request through instead of this
        client's own (tests; it neither caches DNS nor honours proxies).
    """

    def __init__(
        self,
        *,
        max_connections: int = 16,
        timeout: float = 30.0,
        retries: int = 3,
        credentials: Mapping[str, tuple[str, str]] | None = None,
        netrc: Path | None = None,
        counters: Counters | None = None,
        pool: PoolManager | None = None,
    ) -> None:
        self.counters = counters if counters is not None else Counters()
        self._retries = retries
        self._credentials = dict(credentials or {})
        self._netrc = _read_netrc(netrc) if netrc is not None else None
        self._max_connections = max_connections
        self._timeout = timeout
        self._given = pool
        self._lock = threading.Lock()
        self._direct: PoolManager | None = None
        self._proxies: dict[str, str] | None = None
        self._via_proxy: dict[str, PoolManager] = {}
        self._pool_options: dict[str, Any] = {}

    def add_credentials(self, netloc: str, credentials: tuple[str, str]) -> None:
        """Send ``credentials`` to ``netloc`` (``host[:port]``), e.g. from an index URL."""
        with self._lock:
            self._credentials[netloc] = credentials

    def _manager(self, url: str) -> PoolManager:
        """The pool manager for ``url``, made on first use: a run the cache answers needs none
        (and building the TLS context costs 30-60 ms)."""
        if self._given is not None:
            return self._given
        with self._lock:
            if self._proxies is None:
                import urllib.request

                import urllib3

                self._proxies = urllib.request.getproxies()
                # Pages and files usually live on two hosts (pypi.org, files.pythonhosted.org),
                # one pool each.  block: a thread waits for a connection of its host's pool
                # rather than open one that would be closed after the request.
                self._pool_options = dict(
                    maxsize=2 * self._max_connections,
                    block=True,
                    timeout=urllib3.Timeout(connect=self._timeout, read=self._timeout),
                    retries=False,
                    ssl_context=_ssl_context(),
                )
            proxy = self._proxy_for(url) if self._proxies else None
            if proxy is not None:
                manager = self._via_proxy.get(proxy)
                if manager is None:
                    manager = self._via_proxy[proxy] = _proxy_manager(proxy, self._pool_options)
                return manager
            if self._direct is None:
                resolver = _Resolver(self.counters)
                self._direct = _resolving_pool_manager()(resolver, **self._pool_options)
            return self._direct

    def _proxy_for(self, url: str) -> str | None:
        import urllib.request

        assert self._proxies is not None
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        if not proxy or urllib.request.proxy_bypass(parts.netloc):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def close(self) -> None:
        with self._lock:
            managers = [self._direct, *self._via_proxy.values()]
            self._direct, self._via_proxy = None, {}
        for manager in managers:
            if manager is not None:
                manager.clear()

    # -- requests --------------------------------------------------------------------------

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url`` and read the body; answers other than 429/5xx are returned as they are.

        :raises IndexError_: the server could not be reached, or kept failing, after retries.
        """

        def send() -> Response:
            final, response = self._open(url, headers, preload=True)
            data = response.data
            self.counters.add("bytes", len(data))
            return _response(final, response, data)

        return self._retrying(url, send)

    def get_range(self, url: str, start: int | None, end: int | None) -> RangeReply | None:
        """Bytes ``start..end`` (inclusive) of ``url``; ``start=None`` means the last ``end`` bytes.

        :returns: ``None`` when the server ignores ranges (it answered 200: nothing is read).
        :raises IndexError_: on errors, including 416 (range not satisfiable).
        """
        spec = f"bytes=-{end}" if start is None else f"bytes={start}-{end}"

        def send() -> Response:
            final, response = self._open(url, {"Range": spec}, preload=False)
            try:
                if response.status == 200:  # the whole file follows: drop the connection
                    response.close()
                    data = b""
                else:
                    data = response.read()
                    self.counters.add("bytes", len(data))
            finally:
                response.release_conn()
            return _response(final, response, data)

        response = self._retrying(url, send)
        if response.status_code == 200:
            return None
        if response.status_code != 206:
            raise status_error(url, response)
        first, size = _parse_content_range(url, response.headers.get("Content-Range", ""))
        return RangeReply(response.content, first, size)

    def stream(
        self,
        url: str,
        sink: Sink,
        headers: Mapping[str, str] | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> Response:
        """GET ``url``, writing a 200 answer's body to ``sink``; the answer has its ``sha256``.

        Other answers write nothing and are returned as they are (304, 404: the caller
        decides), 429/5xx after the retries.  A broken transfer is retried from the start
        (``sink`` is truncated first).

        :param progress: called with the bytes received so far after each chunk (1 MiB).
        :raises IndexError_: the server could not be reached, or kept failing, after retries.
        """

        def send() -> Response:
            sink.seek(0)
            sink.truncate()
            digest = hashlib.sha256()
            received = 0
            final, response = self._open(url, headers, preload=False)
            try:
                if response.status == 200:
                    for chunk in response.stream(1 << 20):
                        digest.update(chunk)
                        sink.write(chunk)
                        self.counters.add("bytes", len(chunk))
                        received += len(chunk)
                        if progress is not None:
                            progress(received)
                else:
                    response.drain_conn()
            finally:
                response.release_conn()
            sha256 = digest.hexdigest() if response.status == 200 else None
            return attrs.evolve(_response(final, response, b""), sha256=sha256)

        return self._retrying(url, send)

    def _open(
        self, url: str, headers: Mapping[str, str] | None, *, preload: bool
    ) -> tuple[str, BaseHTTPResponse]:
        """Send a GET, following redirects; the final URL and its (unread unless ``preload``)
        response.  Credentials are looked up for each host the redirects lead to."""
        for _ in range(_MAX_REDIRECTS + 1):
            sent = {"User-Agent": _USER_AGENT, **(headers or {})}
            authorization = self._authorization(url)
            if authorization is not None:
                sent["Authorization"] = authorization
            response = self._manager(url).urlopen(
                "GET",
                url,
                headers=sent,
                redirect=False,
                retries=False,
                preload_content=preload,
            )
            location = response.headers.get("Location")
            if response.status not in _REDIRECT_STATUS or not location:
                return url, response
            response.drain_conn()
            response.release_conn()
            url = urljoin(url, location)
        raise IndexError_(
            f"{url} redirects more than {_MAX_REDIRECTS} times", hint="check the index URL"
        )

    def _retrying(self, url: str, send: Callable[[], Response]) -> Response:
        from urllib3.exceptions import HTTPError, LocationValueError

        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            self.counters.add("requests")
            try:
                response = send()
            except LocationValueError as error:  # a malformed URL: no retry helps
                raise IndexError_(
                    f"cannot reach {url}: {_describe(error)}", hint="check the index URL"
                ) from error
            except HTTPError as error:  # connect/read errors, timeouts, TLS, broken answers
                if last:
                    raise IndexError_(
                        f"cannot reach {url}: {_describe(error)}", hint=_UNREACHABLE_HINT
                    ) from error
                _backoff(attempt, None)
                continue
            if response.status_code in _RETRY_STATUS and not last:
                _backoff(attempt, response.headers.get("Retry-After"))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    def _authorization(self, url: str) -> str | None:
        """The ``Authorization`` header for ``url``'s host (index URL credentials, netrc)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        found = self._credentials.get(netloc) or self._credentials.get(host)
        if found is None and self._netrc is not None:
            entry = self._netrc.authenticators(host)
            if entry is not None:
                found = (entry[0], entry[2] or "")
        if found is None:
            return None
        return "Basic " + base64.b64encode(":".join(found).encode()).decode("ascii")


def _response(url: str, response: BaseHTTPResponse, data: bytes) -> Response:
    return Response(response.status, response.reason or "", response.headers, data, url)


def _proxy_manager(proxy: str, options: Mapping[str, Any]) -> PoolManager:
    """A plain ``ProxyManager`` (``user:password@`` in the proxy URL becomes its credentials)."""
    from urllib3 import ProxyManager
    from urllib3.util import make_headers, parse_url

    auth = parse_url(proxy).auth
    headers = make_headers(proxy_basic_auth=unquote(auth)) if auth else None
    return ProxyManager(proxy, proxy_headers=headers, **options)


def status_error(url: str, response: Response) -> IndexError_:
    """The error for an unexpected HTTP status, with a hint that fits the status."""
    status = f"{response.status_code} {response.reason}".strip()
    if response.status_code in (401, 403):
        hint = "check the credentials for this host (netrc file or user:password@ in the URL)"
    elif response.status_code in _RETRY_STATUS:
        return IndexError_(f"cannot reach {url}: server answered {status}", hint=_UNREACHABLE_HINT)
    else:
        hint = "check the index URL"
    return IndexError_(f"{url} answered {status}", hint=hint)


def _read_netrc(path: Path) -> netrc_module.netrc:
    try:
        return netrc_module.netrc(str(path))
    except (OSError, netrc_module.NetrcParseError) as error:
        raise InputError(
            f"cannot read netrc file {path}: {error}", hint="fix the file or give another one"
        ) from error


def _parse_content_range(url: str, header: str) -> tuple[int, int]:
    # "bytes 100-199/1000"
    try:
        unit, _, rest = header.partition(" ")
        span, _, total = rest.partition("/")
        first = int(span.partition("-")[0])
        if unit != "bytes" or total == "*":
            raise ValueError(header)
        return first, int(total)
    except ValueError:
        raise IndexError_(
            f"{url} answered a range request with Content-Range {header!r}",
            hint="the server's range support is broken; report it to the index operator",
        ) from None


def _describe(error: BaseException) -> str:
    """One line saying what went wrong, without the connection or pool urllib3 puts first."""
    message = getattr(error, "_message", None)  # urllib3 errors naming a connection or pool
    if not isinstance(message, str):
        # ProtocolError("Connection aborted.", OSError(...)), SSLError(ssl.SSLError(...)), ...
        inner = next((a for a in reversed(error.args) if isinstance(a, BaseException)), None)
        if inner is not None:
            return _describe(inner)
        texts = [a for a in error.args if isinstance(a, str)]
        message = texts[-1] if texts else str(error)
    name = type(error).__name__
    text = " ".join(message.split())
    return f"{name}: {text}" if text and text != name else name


def _backoff(attempt: int, retry_after: str | None) -> None:
    delay = BACKOFF * (2**attempt) * (1 + random.random() / 2)
    if retry_after is not None and retry_after.isdigit():
        delay = max(delay, min(float(retry_after), 10.0))
    time.sleep(delay)
