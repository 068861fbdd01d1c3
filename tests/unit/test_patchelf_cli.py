"""``mach2 patchelf plan`` and the wheel download cache behind URLs."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from mach2.cli.main import main
from mach2.errors import ArtifactError
from mach2.patchelf.fetch import fetch_wheel, sha256_fragment

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
    code, output = run(str(wheel), "--glibc", "2.27", "--map", str(extra))
    assert code == 0, output
    assert "demo 1.0  (demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl)" in output
    assert "RUNPATH $ORIGIN/../demo.libs:<library directories>  (drops /usr/local/lib64)" in output
    assert "nixpkgs: foo stdenv.cc.cc.lib unixODBC" in output
    assert "unresolved: none" in output
    assert (
        "problem: demo/_ext.so needs GLIBC_2.28 from libc.so.6, the target has GLIBC_2.27" in output
    )


def test_errors_are_one_line(tmp_path: Path) -> None:
    code, output = run(str(tmp_path / "missing.whl"))
    assert code == 1
    assert output.startswith("error: cannot open wheel") and output.count("\n") == 1


def test_fetch_downloads_once_and_checks_the_hash(tmp_path: Path) -> None:
    body = b"wheel bytes"
    digest = hashlib.sha256(body).hexdigest()
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        return httpx.Response(200, content=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    url = f"https://files.example/p/demo-1.0-py3-none-any.whl#sha256={digest}"
    assert sha256_fragment(url) == digest
    first = fetch_wheel(url, tmp_path, client=client)
    assert first == tmp_path / digest / "demo-1.0-py3-none-any.whl" and first.read_bytes() == body
    assert fetch_wheel(url, tmp_path, client=client) == first
    # Without the fragment the URL index knows the hash from the first download.
    assert fetch_wheel(url.split("#")[0], tmp_path, client=client) == first
    other = "https://mirror.example/demo-1.0-py3-none-any.whl"
    assert fetch_wheel(other, tmp_path, client=client) == first  # downloaded: no hash known yet
    assert fetch_wheel(other, tmp_path, client=client) == first
    assert requests == [url.split("#")[0], other]
    with pytest.raises(ArtifactError, match="expected " + "0" * 64):
        fetch_wheel("https://files.example/other.whl", tmp_path, sha256="0" * 64, client=client)
    assert not list(tmp_path.glob(".download-*"))
