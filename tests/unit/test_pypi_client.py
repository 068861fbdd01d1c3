"""PyPIClient against a local index: a threaded http.server on 127.0.0.1 (no network).

:class:`FakeIndex` serves PEP 691 JSON or PEP 503 HTML pages, wheels built in the test, their
``.metadata`` files and HTTP range requests, each switchable, and logs every request so the
tests can count what the client asked for.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import socket
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import pytest
import urllib3

from mach2.errors import ArtifactError, CacheError, IndexError_, InputError
from mach2.model.artifact import DistFile
from mach2.model.names import normalize
from mach2.net import http as http_module
from mach2.providers.pypi.client import PyPIClient, UnknownProject

OLD = "2024-01-01T00:00:00Z"
NEW = "2024-06-01T00:00:00Z"
CUTOFF = datetime(2024, 3, 1, tzinfo=UTC)


def make_wheel(name: str, version: str, requires: tuple[str, ...] = (), padding: int = 0) -> bytes:
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}/data.bin", os.urandom(padding))  # incompressible
        archive.writestr(f"{name}-{version}.dist-info/METADATA", metadata)
        archive.writestr(f"{name}-{version}.dist-info/RECORD", "")
    return buffer.getvalue()


def metadata_of(wheel: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name)


@attrs.define
class FakeIndex:
    """Projects, files and switches of the fake index; ``log`` lists ``(method, path, headers)``."""

    url: str = ""
    html: bool = False
    ranges: bool = True
    metadata_files: bool = True
    advertise_metadata: bool = False
    etag: str | None = None
    auth: tuple[str, str] | None = None
    projects: dict[str, list[dict[str, object]]] = attrs.Factory(dict)
    files: dict[str, bytes] = attrs.Factory(dict)
    failures: dict[str, list[int]] = attrs.Factory(dict)
    log: list[tuple[str, str, dict[str, str]]] = attrs.Factory(list)
    proxied: list[str] = attrs.Factory(list)

    def add(self, project: str, filename: str, data: bytes, uploaded: str = OLD) -> str:
        self.files[filename] = data
        entry: dict[str, object] = {
            "filename": filename,
            "url": f"../../files/{filename}",  # relative, as private indexes do
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            "upload-time": uploaded,
            "size": len(data),
        }
        if self.advertise_metadata and filename.endswith(".whl"):
            digest = hashlib.sha256(metadata_of(data)).hexdigest()
            entry["core-metadata"] = {"sha256": digest}
        self.projects.setdefault(project, []).append(entry)
        return filename

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.log]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    index: FakeIndex

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        index = self.index
        if self.path.startswith("http://"):  # asked as a forward proxy: answer for the origin
            index.proxied.append(self.path)
            self.path = "/" + self.path.split("/", 3)[3]
        index.log.append(("GET", self.path, dict(self.headers.items())))
        if index.auth is not None:
            token = base64.b64encode(":".join(index.auth).encode()).decode()
            if self.headers.get("Authorization") != f"Basic {token}":
                return self._send(401, b"", "text/plain")
        pending = index.failures.get(self.path)
        if pending:
            return self._send(pending.pop(0), b"", "text/plain")
        if self.path.startswith("/simple/"):
            return self._page(self.path.split("/")[2])
        name = self.path.removeprefix("/files/")
        if name.endswith(".metadata") and name.removesuffix(".metadata") in index.files:
            if not index.metadata_files:
                return self._send(404, b"", "text/plain")
            return self._send(200, metadata_of(index.files[name.removesuffix(".metadata")]))
        if name not in index.files:
            return self._send(404, b"", "text/plain")
        self._file(index.files[name])

    def _page(self, project: str) -> None:
        index = self.index
        if project != project.lower():  # PyPI redirects to the normalized name
            self.send_response(301)
            self.send_header("Location", f"/simple/{project.lower()}/")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        files = index.projects.get(project)
        if files is None:
            return self._send(404, b"", "text/plain")
        if index.etag is not None and self.headers.get("If-None-Match") == index.etag:
            return self._send(304, b"", None)
        if index.html:
            anchors = "".join(
                f'<a href="{f["url"]}#sha256={f["hashes"]["sha256"]}">{f["filename"]}</a>\n'  # type: ignore[index]
                for f in files
            )
            body = f"<html><body>{anchors}</body></html>".encode()
            return self._send(200, body, "text/html")
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
        self._send(200, json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json")

    def _file(self, data: bytes) -> None:
        spec = self.headers.get("Range")
        if spec is None or not self.index.ranges:
            return self._send(200, data)
        first, _, last = spec.removeprefix("bytes=").partition("-")
        if not first:
            start, end = max(0, len(data) - int(last)), len(data) - 1
        else:
            start, end = int(first), min(int(last), len(data) - 1)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.wfile.write(data[start : end + 1])

    def _send(self, status: int, body: bytes, content_type: str | None = "application/zip") -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        if self.index.etag is not None and self.path.startswith("/simple/"):
            self.send_header("ETag", self.index.etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(autouse=True)
def _no_proxies_no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.setattr(http_module, "BACKOFF", 0.0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the default 5 drops concurrent connects (1 s SYN retry)


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    fake = FakeIndex()
    handler = type("Handler", (_Handler,), {"index": fake})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.url = f"http://localhost:{server.server_address[1]}/simple/"
    yield fake
    server.shutdown()
    server.server_close()


def client(index: FakeIndex, cache: Path | None, **options: object) -> PyPIClient:
    return PyPIClient(index_urls=[index.url], cache_dir=cache, retries=2, **options)  # type: ignore[arg-type]


def wheel_file(pypi: PyPIClient, project: str) -> DistFile:
    return next(f for f in pypi.project_files(normalize(project)) if f.is_wheel)


# -- pages -----------------------------------------------------------------------------------


def test_project_files_from_json(index: FakeIndex, tmp_path: Path) -> None:
    data = make_wheel("demo", "1.0")
    index.add("demo", "demo-1.0-py3-none-any.whl", data)
    with client(index, tmp_path) as pypi:
        (file,) = pypi.project_files(normalize("demo"))
    assert file.url == index.url.replace("/simple/", "/files/") + "demo-1.0-py3-none-any.whl"
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    assert file.size == len(data)
    assert file.index_url == index.url
    accept = index.log[0][2]["Accept"]
    assert accept.startswith("application/vnd.pypi.simple.v1+json")


def test_html_only_index(index: FakeIndex, tmp_path: Path) -> None:
    index.html = True
    data = make_wheel("demo", "1.0")
    index.add("demo", "demo-1.0-py3-none-any.whl", data)
    with client(index, tmp_path) as pypi:
        (file,) = pypi.project_files(normalize("demo"))
        assert file.sha256 == hashlib.sha256(data).hexdigest()
        assert file.upload_time is None
    with client(index, tmp_path, offline=True) as pypi:  # cached in the same form as JSON
        assert pypi.project_files(normalize("demo")) == (file,)


def test_unknown_project(index: FakeIndex, tmp_path: Path) -> None:
    with client(index, tmp_path) as pypi, pytest.raises(UnknownProject) as caught:
        pypi.project_files(normalize("nope"))
    assert caught.value.message == f"no package named 'nope' on {index.url}"


def test_redirect_to_normalized_name_resolves_relative_urls(
    index: FakeIndex, tmp_path: Path
) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"sdist")
    with client(index, tmp_path) as pypi:
        (file,) = pypi.project_files("Demo")  # type: ignore[arg-type]  # not normalized on purpose
    assert file.url.endswith("/files/demo-1.0.tar.gz")


def test_first_index_that_knows_the_project_wins(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"one")
    missing = index.url.replace("/simple/", "/nothing/")  # answers 404 for every project
    with PyPIClient(index_urls=[missing, index.url], cache_dir=tmp_path) as pypi:
        (file,) = pypi.project_files(normalize("demo"))
        assert file.index_url == index.url
        with pytest.raises(UnknownProject, match=f"on {missing} or {index.url}"):
            pypi.project_files(normalize("other"))


def test_exclude_newer_filters_and_skips_revalidation(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"old", OLD)
    index.add("demo", "demo-2.0.tar.gz", b"new", NEW)
    with client(index, tmp_path, exclude_newer=CUTOFF) as pypi:
        assert [f.filename for f in pypi.project_files(normalize("demo"))] == ["demo-1.0.tar.gz"]
    index.log.clear()
    # The cached page was fetched after the cutoff: used without any request.
    with client(index, tmp_path, exclude_newer=CUTOFF) as pypi:
        assert len(pypi.project_files(normalize("demo"))) == 1
        assert pypi.stats.pages_cached == 1
    assert index.log == []
    # A cutoff after the fetch time cannot trust the page: it is fetched again.
    later = datetime.now(UTC) + timedelta(days=1)
    with client(index, tmp_path, exclude_newer=later) as pypi:
        assert len(pypi.project_files(normalize("demo"))) == 2
    assert len(index.log) == 1


def test_warm_run_revalidates_pages(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"old")
    with client(index, tmp_path) as pypi:
        pypi.project_files(normalize("demo"))
    index.add("demo", "demo-2.0.tar.gz", b"new")
    with client(index, tmp_path) as pypi:  # no validators: fetched again
        assert len(pypi.project_files(normalize("demo"))) == 2
        assert pypi.stats.pages_fetched == 1


def test_etag_revalidation(index: FakeIndex, tmp_path: Path) -> None:
    index.etag = '"v1"'
    index.add("demo", "demo-1.0.tar.gz", b"old")
    with client(index, tmp_path) as pypi:
        first = pypi.project_files(normalize("demo"))
    with client(index, tmp_path) as pypi:
        assert pypi.project_files(normalize("demo")) == first
        assert pypi.stats.pages_not_modified == 1
    assert index.log[-1][2]["If-None-Match"] == '"v1"'


def test_refresh_ignores_cached_pages(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"old", OLD)
    with client(index, tmp_path, exclude_newer=CUTOFF) as pypi:
        pypi.project_files(normalize("demo"))
    with client(index, tmp_path, exclude_newer=CUTOFF, refresh=True) as pypi:
        pypi.project_files(normalize("demo"))
        assert pypi.stats.pages_fetched == 1


def test_offline(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"old")
    with client(index, tmp_path) as pypi:
        files = pypi.project_files(normalize("demo"))
    index.log.clear()
    with client(index, tmp_path, offline=True) as pypi:
        assert pypi.project_files(normalize("demo")) == files
        with pytest.raises(IndexError_) as caught:
            pypi.project_files(normalize("other"))
    assert index.log == []
    assert str(caught.value) == (
        f"{index.url}other/ is not in the cache (offline) "
        "(run once without --offline to fill the cache)"
    )


def test_corrupt_cached_page(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"old")
    with client(index, tmp_path) as pypi:
        pypi.project_files(normalize("demo"))
    (page,) = (tmp_path / "pages-v2").glob("*/demo")
    page.write_bytes(page.read_bytes()[:-5])
    with client(index, tmp_path, offline=True) as pypi, pytest.raises(CacheError) as caught:
        pypi.project_files(normalize("demo"))
    assert str(page) in caught.value.message
    assert caught.value.hint == "delete it or run with --refresh"
    with client(index, tmp_path, refresh=True) as pypi:  # --refresh replaces it
        assert len(pypi.project_files(normalize("demo"))) == 1
    with client(index, tmp_path, offline=True) as pypi:
        assert len(pypi.project_files(normalize("demo"))) == 1


def test_prefetch_then_ask(index: FakeIndex, tmp_path: Path) -> None:
    names = [f"p{number}" for number in range(20)]
    for name in names:
        index.add(name, f"{name}-1.0.tar.gz", name.encode())
    with client(index, tmp_path) as pypi:
        pypi.prefetch_projects(normalize(n) for n in names)
        for name in names:
            assert pypi.project_files(normalize(name))[0].filename == f"{name}-1.0.tar.gz"
        assert pypi.stats.requests == 20  # each page once, however it was asked for
        assert pypi.stats.dns_lookups == 1  # "localhost", looked up once for all connections


# -- metadata --------------------------------------------------------------------------------


def test_unadvertised_metadata_is_read_by_ranges_without_a_probe(
    index: FakeIndex, tmp_path: Path
) -> None:
    data = make_wheel("demo", "1.0", ("six",))
    index.add("demo", "demo-1.0-py3-none-any.whl", data)
    with client(index, tmp_path) as pypi:
        assert pypi.wheel_metadata(wheel_file(pypi, "demo")) == metadata_of(data)
        assert pypi.stats.metadata_ranges == 1
    assert [p for p in index.paths() if p.startswith("/files/")] == [
        "/files/demo-1.0-py3-none-any.whl"
    ]


def test_unadvertised_metadata_file_when_ranges_are_ignored(
    index: FakeIndex, tmp_path: Path
) -> None:
    index.ranges = False
    data = make_wheel("demo", "1.0", ("six",))
    index.add("demo", "demo-1.0-py3-none-any.whl", data)
    with client(index, tmp_path) as pypi:
        assert pypi.wheel_metadata(wheel_file(pypi, "demo")) == metadata_of(data)
        assert pypi.stats.metadata_files == 1
        assert pypi.stats.metadata_downloads == 0
    assert index.paths()[-1] == "/files/demo-1.0-py3-none-any.whl.metadata"


def test_advertised_metadata_hash_is_checked(index: FakeIndex, tmp_path: Path) -> None:
    index.advertise_metadata = True
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    index.add("demo", "demo-2.0-py3-none-any.whl", make_wheel("demo", "2.0"))
    with client(index, tmp_path) as pypi:
        one, two = pypi.project_files(normalize("demo"))
        assert pypi.wheel_metadata(one).startswith(b"Metadata-Version")
        index.files["demo-2.0-py3-none-any.whl"] = make_wheel("demo", "2.0", ("evil",))
        with pytest.raises(ArtifactError, match=r"demo-2\.0-py3-none-any\.whl\.metadata"):
            pypi.wheel_metadata(two)


def test_metadata_by_range_requests(index: FakeIndex, tmp_path: Path) -> None:
    index.metadata_files = False
    data = make_wheel("demo", "1.0", ("six",), padding=200_000)
    index.add("demo", "demo-1.0-py3-none-any.whl", data)
    with client(index, tmp_path) as pypi:
        assert pypi.wheel_metadata(wheel_file(pypi, "demo")) == metadata_of(data)
        assert pypi.stats.metadata_ranges == 1
        assert pypi.stats.bytes < len(data)
    ranges = [headers.get("Range") for _, path, headers in index.log if path.endswith(".whl")]
    assert ranges == ["bytes=-65536"]  # the METADATA member sits in the tail


def test_metadata_by_download_when_ranges_are_ignored(index: FakeIndex, tmp_path: Path) -> None:
    index.metadata_files = False
    index.ranges = False
    data = make_wheel("demo", "1.0", ("six",))
    index.add("demo", "demo-1.0-py3-none-any.whl", data)
    with client(index, tmp_path) as pypi:
        file = wheel_file(pypi, "demo")
        assert pypi.wheel_metadata(file) == metadata_of(data)
        assert pypi.stats.metadata_downloads == 1
        assert pypi.download(file).read_bytes() == data  # kept: not downloaded again
        assert pypi.stats.downloads == 1


def test_metadata_is_cached_by_wheel_hash(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    with client(index, tmp_path, exclude_newer=CUTOFF) as pypi:
        pypi.prefetch_metadata(pypi.project_files(normalize("demo")))
        expected = pypi.wheel_metadata(wheel_file(pypi, "demo"))
    index.log.clear()
    with client(index, tmp_path, exclude_newer=CUTOFF) as pypi:
        assert pypi.wheel_metadata(wheel_file(pypi, "demo")) == expected
        assert pypi.stats.metadata_cached == 1
    assert index.log == []


def test_corrupt_cached_metadata(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    with client(index, tmp_path) as pypi:
        pypi.wheel_metadata(wheel_file(pypi, "demo"))
    (entry,) = (tmp_path / "metadata-v1").glob("*/*.metadata")
    entry.write_bytes(entry.read_bytes() + b"Requires-Dist: evil\n")
    with client(index, tmp_path) as pypi, pytest.raises(CacheError, match=str(entry)):
        pypi.wheel_metadata(wheel_file(pypi, "demo"))
    with client(index, tmp_path, refresh=True) as pypi:
        assert b"evil" not in pypi.wheel_metadata(wheel_file(pypi, "demo"))


def test_offline_metadata_missing(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    with client(index, tmp_path) as pypi:
        pypi.project_files(normalize("demo"))
    with client(index, tmp_path, offline=True) as pypi, pytest.raises(IndexError_, match="offline"):
        pypi.wheel_metadata(wheel_file(pypi, "demo"))


def test_wheel_metadata_of_an_sdist_is_a_programming_error(
    index: FakeIndex, tmp_path: Path
) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"sdist")
    with client(index, tmp_path) as pypi, pytest.raises(ValueError, match="not a wheel"):
        pypi.wheel_metadata(pypi.project_files(normalize("demo"))[0])


# -- downloads -------------------------------------------------------------------------------


def test_download_is_verified_and_stored_by_hash(index: FakeIndex, tmp_path: Path) -> None:
    data = make_wheel("demo", "1.0")
    index.add("demo", "demo-1.0-py3-none-any.whl", data)
    digest = hashlib.sha256(data).hexdigest()
    with client(index, tmp_path) as pypi:
        path = pypi.download(wheel_file(pypi, "demo"))
    assert path == tmp_path / "files-v1" / digest[:2] / digest / "demo-1.0-py3-none-any.whl"
    assert path.read_bytes() == data
    assert not list((tmp_path / "files-v1").glob(".tmp-*"))
    index.log.clear()
    with client(index, tmp_path, offline=True) as pypi:
        assert pypi.download(wheel_file(pypi, "demo")) == path
        assert pypi.stats.downloads_cached == 1
    assert index.log == []


def test_download_hash_mismatch(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    index.files["demo-1.0-py3-none-any.whl"] = make_wheel("demo", "1.0", ("evil",))
    with client(index, tmp_path) as pypi, pytest.raises(ArtifactError) as caught:
        pypi.download(wheel_file(pypi, "demo"))
    assert "demo-1.0-py3-none-any.whl has sha256" in caught.value.message
    assert not list((tmp_path / "files-v1").rglob("*.whl"))


def test_without_cache_dir_files_live_until_close(index: FakeIndex) -> None:
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    with client(index, None) as pypi:
        path = pypi.download(wheel_file(pypi, "demo"))
        assert path.exists()
    assert not path.exists()


# -- errors, retries, credentials ------------------------------------------------------------


def test_retries_on_server_errors(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"x")
    index.failures["/simple/demo/"] = [503, 502]
    with client(index, tmp_path) as pypi:
        assert len(pypi.project_files(normalize("demo"))) == 1
        assert pypi.stats.requests == 3


def test_gives_up_after_retries(index: FakeIndex, tmp_path: Path) -> None:
    index.failures["/simple/demo/"] = [503, 503, 503]
    with client(index, tmp_path) as pypi, pytest.raises(IndexError_) as caught:
        pypi.project_files(normalize("demo"))
    assert caught.value.message == (
        f"cannot reach {index.url}demo/: server answered 503 Service Unavailable"
    )
    assert caught.value.hint == "check the URL / network, or use --offline with a warm cache"


def test_unreachable_index(tmp_path: Path) -> None:
    with (
        PyPIClient(
            index_urls=["http://127.0.0.1:9/simple/"], cache_dir=tmp_path, retries=1
        ) as pypi,
        pytest.raises(IndexError_) as caught,
    ):
        pypi.project_files(normalize("demo"))
    assert caught.value.message.startswith("cannot reach http://127.0.0.1:9/simple/demo/: ")
    assert "\n" not in str(caught.value)


def test_credentials_from_the_index_url(index: FakeIndex, tmp_path: Path) -> None:
    index.auth = ("me", "s3cret")
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    url = index.url.replace("http://", "http://me:s3cret@")
    with PyPIClient(index_urls=[url], cache_dir=tmp_path) as pypi:
        file = wheel_file(pypi, "demo")
        assert pypi.wheel_metadata(file).startswith(b"Metadata-Version")
        assert pypi.download(file).exists()
    assert "s3cret" not in repr(file)  # secrets never reach records (or lock files)
    assert file.index_url == index.url


def test_credentials_from_netrc(index: FakeIndex, tmp_path: Path) -> None:
    index.auth = ("me", "s3cret")
    index.add("demo", "demo-1.0.tar.gz", b"x")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine localhost login me password s3cret\n")
    with client(index, tmp_path / "cache", netrc=netrc) as pypi:
        assert len(pypi.project_files(normalize("demo"))) == 1


def test_missing_credentials(index: FakeIndex, tmp_path: Path) -> None:
    index.auth = ("me", "s3cret")
    with client(index, tmp_path) as pypi, pytest.raises(IndexError_) as caught:
        pypi.project_files(normalize("demo"))
    assert caught.value.message == f"{index.url}demo/ answered 401 Unauthorized"
    assert "netrc" in (caught.value.hint or "")


def test_connections_are_kept_alive(index: FakeIndex, tmp_path: Path) -> None:
    for name in ("one", "two", "three"):
        index.add(name, f"{name}-1.0-py3-none-any.whl", make_wheel(name, "1.0"))
    with client(index, tmp_path) as pypi:
        for name in ("one", "two", "three"):
            pypi.download(wheel_file(pypi, name))
        assert pypi.stats.requests == 6
        assert pypi.stats.connections == 1  # one after the other: the same connection


def test_proxy_from_the_environment(
    index: FakeIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.add("demo", "demo-1.0-py3-none-any.whl", make_wheel("demo", "1.0"))
    proxy = index.url.removesuffix("/simple/")
    monkeypatch.setenv("HTTP_PROXY", proxy)
    url = "http://index.invalid/simple/"  # never looked up: the proxy resolves names
    with PyPIClient(index_urls=[url], cache_dir=tmp_path) as pypi:
        file = next(f for f in pypi.project_files(normalize("demo")) if f.is_wheel)
        assert pypi.wheel_metadata(file).startswith(b"Metadata-Version")
        assert pypi.stats.dns_lookups == 0
    assert index.proxied[0] == "http://index.invalid/simple/demo/"
    assert file.url == "http://index.invalid/files/demo-1.0-py3-none-any.whl"
    monkeypatch.setenv("NO_PROXY", "index.invalid")
    with (
        PyPIClient(index_urls=[url], cache_dir=tmp_path / "2", retries=0) as pypi,
        pytest.raises(IndexError_, match="NameResolutionError"),
    ):
        pypi.project_files(normalize("demo"))


def test_requests_go_through_a_given_pool(index: FakeIndex, tmp_path: Path) -> None:
    urls: list[str] = []

    class Recording(urllib3.PoolManager):
        def urlopen(  # type: ignore[override]
            self, method: str, url: str, redirect: bool = True, **kw: object
        ) -> urllib3.BaseHTTPResponse:
            urls.append(url)
            return super().urlopen(method, url, redirect, **kw)

    index.add("demo", "demo-1.0.tar.gz", b"x")
    with client(index, tmp_path, pool=Recording()) as pypi:
        assert len(pypi.project_files("Demo")) == 1  # type: ignore[arg-type]  # not normalized
        assert pypi.stats.dns_lookups == 0  # the given pool resolves names its own way
    assert urls == [f"{index.url}Demo/", f"{index.url}demo/"]  # redirected


def test_prefetch_errors_reach_the_caller(index: FakeIndex, tmp_path: Path) -> None:
    with client(index, tmp_path) as pypi:
        pypi.prefetch_projects([normalize("nope")])
        with pytest.raises(UnknownProject):
            pypi.project_files(normalize("nope"))
        with pytest.raises(UnknownProject):  # memoized, error included
            pypi.project_files(normalize("nope"))
        assert pypi.stats.requests == 1


# -- DNS -------------------------------------------------------------------------------------


def test_dns_lookup_that_hangs_is_raced(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    calls: list[str] = []

    def getaddrinfo(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        calls.append(host)
        if len(calls) == 1:
            release.wait(10)  # a dropped answer: the resolver's timeout
        return [(2, 1, 6, "", ("192.0.2.7", port))]

    monkeypatch.setattr(http_module, "HEDGE_AFTER", 0.01)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        assert http_module._hedged_lookup("example.org", 443, timeout=10) == ["192.0.2.7"]
    finally:
        release.set()
    assert len(calls) >= 2


def test_dns_failure_is_an_index_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def getaddrinfo(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = "https://index.invalid/simple/"
    with (
        PyPIClient(index_urls=[url], cache_dir=tmp_path, retries=0) as pypi,
        pytest.raises(IndexError_, match=r"cannot reach https://index\.invalid/simple/x/"),
    ):
        pypi.project_files(normalize("x"))


def test_unwritable_cache_is_a_cache_error(index: FakeIndex, tmp_path: Path) -> None:
    index.add("demo", "demo-1.0.tar.gz", b"x")
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    # Pages are written in the background; the error comes when the client flushes or closes.
    with pytest.raises(CacheError) as caught, client(index, not_a_directory) as pypi:
        pypi.project_files(normalize("demo"))
    assert caught.value.message.startswith(f"cannot create {not_a_directory}/pages-v2/")


def test_malformed_netrc(index: FakeIndex, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine\n")
    with pytest.raises(InputError, match=f"cannot read netrc file {netrc}"):
        client(index, tmp_path / "cache", netrc=netrc)
