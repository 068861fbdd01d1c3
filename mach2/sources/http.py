"""HTTP for package indexes: one shared client, cached DNS, retries, credentials, zip ranges.

Every request mach2 makes to an index goes through :class:`Http`.  It is shared by the worker
threads of :class:`mach2.sources.pypi.PyPIClient` and keeps a small pool of persistent HTTP/1.1
connections (one shared HTTP/2 client crashed under threads in a trial, see DESIGN §6).

Why the DNS cache: the name server our machines use drops answers when many lookups are in
flight, and now and then even a single one (2 of 60 in a row, measured); each drop costs the
C library's 5 s timeout.  So every host is looked up once per client, one lookup at a time, and
a lookup that has not answered after :data:`HEDGE_AFTER` seconds is raced by another one (and
so on, the wait doubling), first answer wins.  Every later connection reuses the addresses; TLS
still checks the host name.  When a proxy is configured in the environment (``HTTPS_PROXY``
and friends, read by httpx like the CA settings ``SSL_CERT_FILE``/``SSL_CERT_DIR``), the proxy
resolves names and httpx's own transport is used instead.

:func:`read_zip_member` reads one member of a remote zip (a wheel's METADATA) from the file's
tail plus one or two more range requests, the way uv does when an index has no PEP 658 files.
"""

from __future__ import annotations

import hashlib
import netrc as netrc_module
import queue
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from attrs import frozen

from mach2.errors import IndexError_, InputError

if TYPE_CHECKING:
    import httpcore
    import httpx

    _NetworkBackend = httpcore.NetworkBackend
else:
    # httpx and httpcore (which pulls in trio when installed) take 0.2 s to import: a run the
    # cache answers never imports them.  At run time the backend is duck-typed.
    _NetworkBackend = object

__all__ = [
    "BACKOFF",
    "HEDGE_AFTER",
    "ZIP_TAIL",
    "Counters",
    "Http",
    "RangeReply",
    "ZipReadError",
    "read_zip_member",
    "split_credentials",
    "status_error",
]

#: Seconds before a DNS lookup that has not answered is raced by another one.
HEDGE_AFTER = 0.3
#: First retry delay in seconds; doubles on every further retry (with jitter).  Tests lower it.
BACKOFF = 0.25
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
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


class _CachedDNSBackend(_NetworkBackend):
    """Network backend that looks every host up once (hedged) and connects to the answer."""

    def __init__(self, inner: httpcore.NetworkBackend, counters: Counters) -> None:
        self._inner = inner
        self._counters = counters
        self._lock = threading.Lock()
        self._host_locks: dict[tuple[str, int], threading.Lock] = {}
        self._addresses: dict[tuple[str, int], list[str]] = {}

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        import httpcore

        key = (host, port)
        addresses = self._resolve(key, timeout)
        error: Exception | None = None
        for address in addresses:
            self._counters.add("connections")
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        with self._lock:  # every address failed: look the host up again next time
            self._addresses.pop(key, None)
        assert error is not None  # getaddrinfo never answers with an empty list
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)

    def _resolve(self, key: tuple[str, int], timeout: float | None) -> list[str]:
        with self._lock:
            host_lock = self._host_locks.setdefault(key, threading.Lock())
        with host_lock:  # one lookup per host at a time; the others wait for its answer
            with self._lock:
                cached = self._addresses.get(key)
            if cached is not None:
                return cached
            addresses = _hedged_lookup(*key, timeout=timeout or 30.0)
            self._counters.add("dns_lookups")
            with self._lock:
                self._addresses[key] = addresses
            return addresses


def _hedged_lookup(host: str, port: int, *, timeout: float) -> list[str]:
    """``getaddrinfo`` raced against itself: a new attempt every time the wait doubles."""
    import httpcore

    answers: queue.SimpleQueue[list[str] | OSError] = queue.SimpleQueue()

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            answers.put(list(dict.fromkeys(str(info[4][0]) for info in infos)))
        except OSError as error:
            answers.put(error)

    deadline = time.monotonic() + timeout
    wait = HEDGE_AFTER
    while True:
        threading.Thread(target=lookup, name=f"dns-{host}", daemon=True).start()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise httpcore.ConnectTimeout(f"no DNS answer for {host} within {timeout:g} s")
        try:
            answer = answers.get(timeout=min(wait, remaining))
        except queue.Empty:
            wait *= 2
            continue
        if isinstance(answer, OSError):
            raise httpcore.ConnectError(f"cannot resolve {host}: {answer}") from answer
        return answer


def _transport(limits: httpx.Limits, counters: Counters) -> httpx.HTTPTransport:
    """httpx's transport with its connection pool rebuilt around :class:`_CachedDNSBackend`.

    httpx 0.28 offers no public hook for name resolution; replacing ``_pool`` (built the same
    way httpx builds it) is the smallest change.  httpx is pinned; a unit test catches a change
    (it counts DNS lookups).
    """
    import httpcore
    import httpx

    context = httpx.create_ssl_context(trust_env=True)
    transport = httpx.HTTPTransport(verify=context, limits=limits)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=_CachedDNSBackend(httpcore.SyncBackend(), counters),
    )
    return transport


@frozen
class RangeReply:
    """The answer to a range request: ``data`` begins at byte ``start`` of a ``size``-byte file."""

    data: bytes
    start: int
    size: int


class Http:
    """A thread-safe HTTP client for index pages and files.

    :param max_connections: requests expected in flight at once (the callers' threads); the
        pool holds up to twice as many connections, for two hosts.
    :param timeout: seconds for connecting and for each read.
    :param retries: how often a request is retried after a connection error, a timeout or a
        429/5xx answer, with exponential backoff; then :class:`~mach2.errors.IndexError_`.
    :param credentials: ``host[:port]`` → ``(user, password)``, e.g. from index URLs.
    :param netrc: a netrc file consulted for hosts without credentials.
    :param counters: where requests and received bytes are counted.
    :param transport: an httpx transport to use instead of the network (tests).
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
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.counters = counters if counters is not None else Counters()
        self._retries = retries
        self._credentials = dict(credentials or {})
        self._netrc = _read_netrc(netrc) if netrc is not None else None
        self._max_connections = max_connections
        self._timeout = timeout
        self._transport = transport
        self._client_lock = threading.Lock()
        self._client_instance: httpx.Client | None = None

    @property
    def _client(self) -> httpx.Client:
        """The shared httpx client, made on first use: a run the cache answers needs none
        (and building its TLS context costs 30-60 ms)."""
        import httpx

        with self._client_lock:
            if self._client_instance is None:
                # Pages and files usually live on two hosts (pypi.org, files.pythonhosted.org):
                # room for both keeps one host's idle connections from being closed to open
                # the other's (measured: 46 connections opened for 266 requests, 26 with this).
                limits = httpx.Limits(
                    max_connections=2 * self._max_connections,
                    max_keepalive_connections=2 * self._max_connections,
                )
                transport = self._transport
                import urllib.request  # only when a request is made: it loads http.client, ssl

                if transport is None and not urllib.request.getproxies():
                    transport = _transport(limits, self.counters)
                self._client_instance = httpx.Client(
                    transport=transport,
                    limits=limits,
                    timeout=httpx.Timeout(self._timeout),
                    follow_redirects=True,
                    headers={"User-Agent": _USER_AGENT},
                )
            return self._client_instance

    def close(self) -> None:
        with self._client_lock:
            if self._client_instance is not None:
                self._client_instance.close()
                self._client_instance = None

    # -- requests --------------------------------------------------------------------------

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """GET ``url`` and read the body; answers other than 429/5xx are returned as they are.

        :raises IndexError_: the server could not be reached, or kept failing, after retries.
        """

        def send() -> httpx.Response:
            response = self._client.get(url, headers=headers, auth=self._auth(url))
            self.counters.add("bytes", len(response.content))
            return response

        return self._retrying(url, send)

    def get_range(self, url: str, start: int | None, end: int | None) -> RangeReply | None:
        """Bytes ``start..end`` (inclusive) of ``url``; ``start=None`` means the last ``end`` bytes.

        :returns: ``None`` when the server ignores ranges (it answered 200: nothing is read).
        :raises IndexError_: on errors, including 416 (range not satisfiable).
        """
        spec = f"bytes=-{end}" if start is None else f"bytes={start}-{end}"

        def send() -> httpx.Response:
            request = self._client.build_request("GET", url, headers={"Range": spec})
            response = self._client.send(request, auth=self._auth(url), stream=True)
            if response.status_code == 206:
                response.read()
                self.counters.add("bytes", len(response.content))
            else:
                response.close()
            return response

        response = self._retrying(url, send)
        if response.status_code == 200:
            return None
        if response.status_code != 206:
            raise status_error(url, response)
        first, size = _parse_content_range(url, response.headers.get("Content-Range", ""))
        return RangeReply(response.content, first, size)

    def stream(self, url: str, sink: IO[bytes]) -> str:
        """Write the body of ``url`` to ``sink``; return its sha256 hex digest.

        A broken transfer is retried from the start (``sink`` is truncated first).
        """

        digests: list[str] = []

        def send() -> httpx.Response:
            sink.seek(0)
            sink.truncate()
            digest = hashlib.sha256()
            with self._client.stream("GET", url, auth=self._auth(url)) as response:
                if response.status_code == 200:
                    for chunk in response.iter_bytes(1 << 20):
                        digest.update(chunk)
                        sink.write(chunk)
                        self.counters.add("bytes", len(chunk))
                digests.append(digest.hexdigest())
                return response

        response = self._retrying(url, send)
        if response.status_code != 200:
            raise status_error(url, response)
        return digests[-1]

    def _retrying(self, url: str, send: Callable[[], httpx.Response]) -> httpx.Response:
        import httpx

        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            self.counters.add("requests")
            try:
                response = send()
            except httpx.TransportError as error:  # connect/read errors and timeouts
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

    def _auth(self, url: str) -> httpx.BasicAuth | None:
        import httpx

        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        found = self._credentials.get(netloc) or self._credentials.get(host)
        if found is None and self._netrc is not None:
            entry = self._netrc.authenticators(host)
            if entry is not None:
                found = (entry[0], entry[2] or "")
        return None if found is None else httpx.BasicAuth(*found)


def status_error(url: str, response: httpx.Response) -> IndexError_:
    """The error for an unexpected HTTP status, with a hint that fits the status."""
    status = f"{response.status_code} {response.reason_phrase}".strip()
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


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text


def _backoff(attempt: int, retry_after: str | None) -> None:
    delay = BACKOFF * (2**attempt) * (1 + random.random() / 2)
    if retry_after is not None and retry_after.isdigit():
        delay = max(delay, min(float(retry_after), 10.0))
    time.sleep(delay)


# -- zip members over range requests ---------------------------------------------------------

#: Bytes fetched from the end of a zip first: the end-of-central-directory record, the
#: central directory of most wheels and, as wheels store ``.dist-info`` last, often the member.
ZIP_TAIL = 64 * 1024
_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD64_LOCATOR = struct.Struct("<4sIQI")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")


class ZipReadError(Exception):
    """The remote zip (or the server's range answers) could not be read; fall back to a download."""


def read_zip_member(
    tail: bytes,
    size: int,
    fetch: Callable[[int, int], bytes],
    pick: Callable[[list[str]], str | None],
) -> bytes:
    """One member of a remote zip, read from its tail plus as few ranges as possible.

    :param tail: the last ``len(tail)`` bytes of the file.
    :param size: the file's size.
    :param fetch: ``fetch(start, end)`` returns bytes ``start`` (inclusive) to ``end``
        (exclusive) of the file, with one range request.
    :param pick: chooses the member from the list of names (``None``: not there).
    :raises ZipReadError: anything unexpected (zip64 beyond the tail, encryption, an unknown
        compression, a CRC mismatch, no member picked).
    """
    window = _Window(tail, size - len(tail), fetch)
    entries_total, cd_size, cd_offset = _central_directory(window, size)
    directory = window.read(cd_offset, cd_offset + cd_size, extend=True)
    entries: dict[str, tuple[int, int, int, int, int, int]] = {}
    position = 0
    for _ in range(entries_total):
        fields = _unpack(_CENTRAL, directory, position, b"PK\x01\x02")
        flags, method, crc, compressed, uncompressed = fields[3], fields[4], *fields[7:10]
        name_length, extra_length, comment_length, offset = *fields[10:13], fields[16]
        start = position + _CENTRAL.size
        name = directory[start : start + name_length].decode("utf-8", "replace")
        extra = directory[start + name_length : start + name_length + extra_length]
        if 0xFFFFFFFF in (compressed, uncompressed, offset):
            uncompressed, compressed, offset = _zip64_extra(extra, uncompressed, compressed, offset)
        entries[name] = (flags, method, crc, compressed, uncompressed, offset)
        position = start + name_length + extra_length + comment_length
    chosen = pick(list(entries))
    if chosen is None:
        raise ZipReadError("member not found")
    flags, method, crc, compressed, uncompressed, offset = entries[chosen]
    if flags & 0x1:
        raise ZipReadError("encrypted member")
    # The local header repeats the name and has its own extra field: guess generously, then
    # read what is missing (one more request at most).
    guess = offset + _LOCAL.size + len(chosen.encode()) + 256 + compressed
    head = window.read(offset, min(guess, size))
    local = _unpack(_LOCAL, head, 0, b"PK\x03\x04")
    data_start = offset + _LOCAL.size + local[9] + local[10]
    data_end = data_start + compressed
    if data_end > offset + len(head):
        head += window.read(offset + len(head), data_end)
    raw = head[data_start - offset : data_end - offset]
    if method == 0:
        data = raw
    elif method == 8:
        try:
            data = zlib.decompress(raw, -15)
        except zlib.error as error:
            raise ZipReadError(f"cannot inflate: {error}") from error
    else:
        raise ZipReadError(f"compression method {method}")
    if len(data) != uncompressed or zlib.crc32(data) != crc:
        raise ZipReadError("CRC or size mismatch")
    return data


class _Window:
    """The bytes of the file known so far: a suffix, grown to the left for the directory."""

    def __init__(self, data: bytes, start: int, fetch: Callable[[int, int], bytes]) -> None:
        self.data = data
        self.start = start
        self._fetch = fetch

    def read(self, start: int, end: int, *, extend: bool = False) -> bytes:
        if start >= self.start:
            return self.data[start - self.start : end - self.start]
        if extend:  # the central directory runs up to the end: fetch the gap and keep it
            self.data = self._fetch(start, self.start) + self.data
            self.start = start
            return self.data[: end - start]
        if end <= self.start:
            return self._fetch(start, end)
        return self._fetch(start, self.start) + self.data[: end - self.start]


def _central_directory(window: _Window, size: int) -> tuple[int, int, int]:
    """``(entries, size, offset)`` of the central directory, from the (zip64) end record."""
    tail = window.data
    position = tail.rfind(b"PK\x05\x06")
    while position >= 0:
        if position + _EOCD.size <= len(tail):
            comment_length = _EOCD.unpack_from(tail, position)[7]
            if position + _EOCD.size + comment_length == len(tail):
                break
        position = tail.rfind(b"PK\x05\x06", 0, position)
    if position < 0:
        raise ZipReadError("no end-of-central-directory record")
    _, _, _, _, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, position)
    if entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        locator = _unpack(_EOCD64_LOCATOR, tail, position - _EOCD64_LOCATOR.size, b"PK\x06\x07")
        record = window.read(locator[2], locator[2] + _EOCD64.size)
        fields = _unpack(_EOCD64, record, 0, b"PK\x06\x06")
        entries, cd_size, cd_offset = fields[7], fields[8], fields[9]
    if cd_offset + cd_size > size:
        raise ZipReadError("central directory beyond the end of the file")
    return entries, cd_size, cd_offset


def _zip64_extra(extra: bytes, uncompressed: int, compressed: int, offset: int) -> tuple[int, ...]:
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, position)
        if kind == 0x0001:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, position + 4))
            result = []
            for value in (uncompressed, compressed, offset):
                result.append(values.pop(0) if value == 0xFFFFFFFF and values else value)
            return tuple(result)
        position += 4 + length
    raise ZipReadError("zip64 sizes without a zip64 extra field")


def _unpack(layout: struct.Struct, data: bytes, position: int, signature: bytes) -> tuple[Any, ...]:
    if position < 0 or position + layout.size > len(data):
        raise ZipReadError("truncated zip record")
    fields = layout.unpack_from(data, position)
    if fields[0] != signature:
        raise ZipReadError(f"expected zip record {signature!r} at {position}")
    return fields
