"""``mach2 patchelf plan`` and the wheel download cache behind URLs."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from mach2.cli.main import main
from mach2.errors import ArtifactError
from mach2.net.files import FileStore, sha256_fragment
from mach2.net.http import Http

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "patchelf"))
from elfgen import make_elf


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    path = tmp_path / "demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "demo/_ext.so",
            make_elf(
                needed=["libvend-1.so", "libodbc.so.2", "libfoo.so.3", "libc.so.6"],
                runpath="/usr/local/lib64",
                version_needs={"libc.so.6": ["GLIBC_2.28"]},
            ),
        )
        archive.writestr(
            "demo.libs/libvend-1.so", make_elf(needed=["libstdc++.so.6"], soname="libvend-1.so")
        )
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["patchelf", "plan", *args])
    return result.exit_code, result.output


def test_json_lists_every_needed_soname_with_its_source(wheel: Path) -> None:
    code, output = run(str(wheel), "--json")
    assert code == 0, output
    data = json.loads(output)
    needed = {n["soname"]: n for f in data["files"] for n in f["needed"]}
    assert needed["libvend-1.so"] == {
        "soname": "libvend-1.so",
        "source": "wheel",
        "path": "demo.libs/libvend-1.so",
    }
    assert needed["libodbc.so.2"] == {
        "soname": "libodbc.so.2",
        "source": "nixpkgs",
        "attr": "unixODBC",
    }
    assert needed["libc.so.6"] == {"soname": "libc.so.6", "source": "system"}
    assert needed["libfoo.so.3"]["source"] == "unresolved" and needed["libfoo.so.3"]["reason"]
    assert data["attrs"] == ["stdenv.cc.cc.lib", "unixODBC"]
    assert data["files"][0]["runpath"] == ["$ORIGIN/../demo.libs"]


def test_table_and_options(wheel: Path, tmp_path: Path) -> None:
    extra = tmp_path / "map.json"
    extra.write_text('{"libfoo.so.3": "foo"}')
    code, output = run(str(wheel), "--glibc", "2.27", "--soname-map", str(extra))
    assert code == 0, output
    assert "demo 1.0  (demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl)" in output
    assert "RUNPATH $ORIGIN/../demo.libs:<library directories>  (drops /usr/local/lib64)" in output
    assert "nixpkgs: foo stdenv.cc.cc.lib unixODBC" in output
    assert "unresolved: none" in output
    assert (
        "problem: demo/_ext.so needs GLIBC_2.28 from libc.so.6, the target has GLIBC_2.27" in output
    )


@pytest.mark.parametrize("option", ["--soname-map", "--map"])
def test_the_soname_map_option_has_lock_s_name(wheel: Path, tmp_path: Path, option: str) -> None:
    # `mach2 lock --soname-map` and `mach2 patchelf plan --soname-map`: one name; the old
    # `--map` still works but is not shown (issue 14 item 8).
    extra = tmp_path / "map.json"
    extra.write_text('{"libfoo.so.3": "foo"}')
    code, output = run(str(wheel), option, str(extra))
    assert code == 0, output
    assert "nixpkgs: foo stdenv.cc.cc.lib unixODBC" in output
    help_text = run("--help")[1]
    assert "--soname-map" in help_text and "--map" not in help_text.replace("--soname-map", "")


def test_errors_are_one_line(tmp_path: Path) -> None:
    code, output = run(str(tmp_path / "missing.whl"))
    assert code == 1
    assert output.startswith("error: cannot open wheel") and output.count("\n") == 1


def test_fetch_downloads_once_and_checks_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    body = b"wheel bytes"
    digest = hashlib.sha256(body).hexdigest()
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    store, http = FileStore(tmp_path), Http(timeout=5)
    try:
        url = f"{base}/p/demo-1.0-py3-none-any.whl#sha256={digest}"
        assert sha256_fragment(url) == digest
        first = store.fetch_url(http, url)
        assert first == store.path(digest, "demo-1.0-py3-none-any.whl")
        assert first.read_bytes() == body
        assert store.fetch_url(http, url) == first
        # Without the fragment the URL index knows the hash from the first download.
        assert store.fetch_url(http, url.split("#")[0]) == first
        other = f"{base}/mirror/demo-1.0-py3-none-any.whl"
        assert store.fetch_url(http, other) == first  # downloaded: no hash known yet
        assert store.fetch_url(http, other) == first
        assert requests == ["/p/demo-1.0-py3-none-any.whl", "/mirror/demo-1.0-py3-none-any.whl"]
        with pytest.raises(ArtifactError, match="expected " + "0" * 64):
            store.fetch_url(http, f"{base}/other.whl", sha256="0" * 64)
        assert not list(tmp_path.glob(".tmp-*"))
    finally:
        http.close()
        server.shutdown()
        server.server_close()


def test_an_unreachable_url_s_hint_names_no_option_the_command_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hint said "or use --offline with a warm cache": `patchelf plan` has no --offline."""
    import socket

    import mach2.net.http

    monkeypatch.setattr(mach2.net.http, "BACKOFF", 0.0)
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, output = run(
        f"http://127.0.0.1:{port}/demo-1.0-py3-none-any.whl", "--cache-dir", str(tmp_path)
    )
    assert code == 1
    assert output.startswith(f"error: cannot reach http://127.0.0.1:{port}/")
    assert output.splitlines()[1] == (
        "hint: check the URL and the network, or pass the path of a downloaded wheel"
    )
    assert "--offline" not in output
