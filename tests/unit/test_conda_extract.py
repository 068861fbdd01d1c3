"""Safe extraction of conda packages, hash checks, and prefix placeholder replacement.

Valid packages are made with conda-package-handling; malicious ones by hand with tarfile,
zipfile and zstandard, since no packaging tool would write them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from conda_package_handling import api as cph

from mach2.providers.conda.errors import HashMismatch, MissingSha256, PrefixError, UnsafeArchive
from mach2.providers.conda.extract import (
    extract_package,
    extract_record,
    prefix_files,
    replace_prefix,
    require_sha256,
)

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "conda"))
from conda_fixtures import rec

PLACEHOLDER = "/opt/conda-build/_placehold_" + "x" * 60
PREFIX = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-demo-1.0"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_prefix(root: Path) -> list[str]:
    """A small package tree with text and binary placeholders, a symlink and a hard link."""
    (root / "info").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "lib").mkdir()
    (root / "bin" / "tool").write_text(f"#!{PLACEHOLDER}/bin/python\nprint('{PLACEHOLDER}')\n")
    (root / "bin" / "tool").chmod(0o755)
    binary = b"\x7fELF\0\0" + PLACEHOLDER.encode() + b"/lib:" + PLACEHOLDER.encode() + b"/x\0tail\0"
    (root / "lib" / "libdemo.so.1").write_bytes(binary)
    os.symlink("libdemo.so.1", root / "lib" / "libdemo.so")
    os.link(root / "bin" / "tool", root / "bin" / "tool-alias")
    paths = [
        {"_path": "bin/tool", "path_type": "hardlink", "file_mode": "text",
         "prefix_placeholder": PLACEHOLDER},
        {"_path": "bin/tool-alias", "path_type": "hardlink"},
        {"_path": "lib/libdemo.so.1", "path_type": "hardlink", "file_mode": "binary",
         "prefix_placeholder": PLACEHOLDER},
        {"_path": "lib/libdemo.so", "path_type": "softlink"},
    ]  # fmt: skip
    (root / "info" / "paths.json").write_text(json.dumps({"paths": paths, "paths_version": 1}))
    (root / "info" / "index.json").write_text(
        json.dumps({"name": "demo", "version": "1.0", "build": "0", "build_number": 0})
    )
    return [
        "info/index.json", "info/paths.json", "bin/tool", "bin/tool-alias",
        "lib/libdemo.so.1", "lib/libdemo.so",
    ]  # fmt: skip


@pytest.fixture(params=[".conda", ".tar.bz2"])
def package(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    source = tmp_path / "src"
    files = make_prefix(source)
    out = tmp_path / "out"
    out.mkdir()
    cph.create(str(source), files, f"demo-1.0-0{request.param}", out_folder=str(out))
    return out / f"demo-1.0-0{request.param}"


def test_valid_package(package: Path, tmp_path: Path) -> None:
    dest = extract_package(package, tmp_path / "x", sha256=sha256(package))
    assert (dest / "bin" / "tool").read_text().startswith(f"#!{PLACEHOLDER}")
    assert os.readlink(dest / "lib" / "libdemo.so") == "libdemo.so.1"
    assert (dest / "bin" / "tool").stat().st_mode & stat.S_IXUSR
    assert (dest / "info" / "index.json").is_file()
    assert [f.path for f in prefix_files(dest)] == ["bin/tool", "lib/libdemo.so.1"]
    before = (dest / "lib" / "libdemo.so.1").read_bytes()
    changed = replace_prefix(dest, PREFIX)
    assert changed == ("bin/tool", "lib/libdemo.so.1")
    script = (dest / "bin" / "tool").read_text()
    assert script == f"#!{PREFIX}/bin/python\nprint('{PREFIX}')\n"
    assert (dest / "bin" / "tool").stat().st_mode & stat.S_IXUSR  # mode kept
    after = (dest / "lib" / "libdemo.so.1").read_bytes()
    assert len(after) == len(before)
    pad = b"\0" * (2 * (len(PLACEHOLDER) - len(PREFIX)))
    assert after == b"\x7fELF\0\0" + f"{PREFIX}/lib:{PREFIX}/x".encode() + b"\0" + pad + b"tail\0"
    # the hard-linked sibling is not listed with a placeholder: it keeps its own bytes
    assert PLACEHOLDER in (dest / "bin" / "tool-alias").read_text()
    assert replace_prefix(dest, PREFIX) == ()  # idempotent


def test_record_helpers(package: Path, tmp_path: Path) -> None:
    good = rec("demo", "1.0", "0", sha256=sha256(package))
    assert require_sha256(good) == sha256(package)
    md5_only = rec("demo", "1.0", "0", sha256=None, channel="intel")
    with pytest.raises(MissingSha256) as info:
        extract_record(package, tmp_path / "y", md5_only)
    assert "intel" in str(info.value) and "md5" in str(info.value) and "\n" not in str(info.value)


def test_wrong_hash_is_refused_before_anything_is_written(package: Path, tmp_path: Path) -> None:
    with pytest.raises(HashMismatch) as info:
        extract_package(package, tmp_path / "x", sha256="0" * 64)
    assert package.name in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "x").exists()
    with pytest.raises(MissingSha256):
        extract_package(package, tmp_path / "x", sha256=None)


def test_existing_destination(package: Path, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    with pytest.raises(UnsafeArchive, match="exists already"):
        extract_package(package, tmp_path / "x", sha256=sha256(package))


def test_store_path_named_otherwise(package: Path, tmp_path: Path) -> None:
    store_copy = tmp_path / "abc123-source"
    store_copy.write_bytes(package.read_bytes())
    dest = extract_package(
        store_copy, tmp_path / "z", sha256=sha256(package), filename=package.name
    )
    assert (dest / "bin" / "tool").is_file()


# -- malicious packages ---------------------------------------------------------------------------

Member = Callable[[tarfile.TarFile], None]


def _file(name: str, data: bytes = b"x") -> Member:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    return add


def _special(name: str, kind: bytes, linkname: str = "") -> Member:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        tar.addfile(info)

    return add


def _tar(members: list[Member], compression: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}", format=tarfile.PAX_FORMAT) as tar:
        for add in members:
            add(tar)
    return buffer.getvalue()


def write_bad(tmp_path: Path, members: list[Member], fmt: str) -> Path:
    """A package whose payload holds ``members`` (after one harmless file)."""
    payload = [_file("lib/ok.txt"), *members]
    if fmt == ".tar.bz2":
        path = tmp_path / "bad-1.0-0.tar.bz2"
        path.write_bytes(_tar([_file("info/index.json", b"{}"), *payload], "bz2"))
        return path
    path = tmp_path / "bad-1.0-0.conda"
    compressor = zstandard.ZstdCompressor()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        zf.writestr("info-bad-1.0-0.tar.zst", compressor.compress(_tar([_file("info/index.json")])))
        zf.writestr("pkg-bad-1.0-0.tar.zst", compressor.compress(_tar(payload)))
    return path


MALICIOUS = {
    "dotdot": ([_file("../evil")], "'..'"),
    "nested-dotdot": ([_file("lib/../../evil")], "'..'"),
    "absolute": ([_file("/tmp/evil")], "absolute"),
    "symlink-out": ([_special("lib/link", tarfile.SYMTYPE, "../../outside")], "outside"),
    "symlink-absolute": ([_special("lib/link", tarfile.SYMTYPE, "/etc/passwd")], "absolute"),
    "symlink-chain": ([_special("lib/a", tarfile.SYMTYPE, "b/../../..")], "outside"),
    # lib/a -> lib itself, so lib/a/b -> ../.. is really lib/../.. (only the disk knows)
    "symlink-via-symlink": (
        [
            _special("lib/a", tarfile.SYMTYPE, "."),
            _special("lib/a/b", tarfile.SYMTYPE, "../.."),
            _file("lib/a/b/evil"),
        ],
        "outside",
    ),
    "hardlink-out": ([_special("lib/h", tarfile.LNKTYPE, "../etc/passwd")], "'..'"),
    "hardlink-absolute": ([_special("lib/h", tarfile.LNKTYPE, "/etc/passwd")], "absolute"),
    "hardlink-unseen": ([_special("lib/h", tarfile.LNKTYPE, "lib/later")], "not extracted"),
    "chardev": ([_special("dev/null", tarfile.CHRTYPE)], "device"),
    "blockdev": ([_special("dev/sda", tarfile.BLKTYPE)], "device"),
    "fifo": ([_special("lib/pipe", tarfile.FIFOTYPE)], "device"),
}


@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_members_are_refused(case: str, fmt: str, tmp_path: Path) -> None:
    members, reason = MALICIOUS[case]
    bad = write_bad(tmp_path, members, fmt)
    dest = tmp_path / "out" / "bad"
    with pytest.raises(UnsafeArchive) as info:
        extract_package(bad, dest, sha256=sha256(bad))
    message = str(info.value)
    assert reason in message and bad.name in message and "\n" not in message
    assert not dest.exists()
    assert list((tmp_path / "out").iterdir()) == []  # the partial directory is gone
    assert not (tmp_path / "evil").exists() and not (tmp_path / "out" / "evil").exists()


def test_symlink_inside_is_fine(tmp_path: Path) -> None:
    members = [
        _special("lib/dir", tarfile.DIRTYPE),
        _special("lib/link", tarfile.SYMTYPE, "dir/../ok.txt"),
        _special("lib/same", tarfile.LNKTYPE, "lib/ok.txt"),
    ]
    good = write_bad(tmp_path, members, ".conda")
    dest = extract_package(good, tmp_path / "out", sha256=sha256(good))
    assert (dest / "lib" / "link").read_text() == "x" and (dest / "lib" / "same").read_text() == "x"


def test_writing_through_a_symlink_is_refused(tmp_path: Path) -> None:
    """A symlink inside the package may not be used to place a later file outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    members = [_special("lib/up", tarfile.SYMTYPE, ".."), _file("lib/up/../../outside/x")]
    bad = write_bad(tmp_path, members, ".tar.bz2")
    with pytest.raises(UnsafeArchive):
        extract_package(bad, tmp_path / "out", sha256=sha256(bad))
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
def test_not_an_archive(tmp_path: Path, fmt: str) -> None:
    junk = tmp_path / f"junk-1-0{fmt}"
    junk.write_bytes(b"this is no archive" * 10)
    with pytest.raises(UnsafeArchive):
        extract_package(junk, tmp_path / "out", sha256=sha256(junk))
    plain = tmp_path / "x.zip"
    plain.write_bytes(b"")
    with pytest.raises(UnsafeArchive, match=r"not a \.conda or \.tar\.bz2"):
        extract_package(plain, tmp_path / "out2", sha256=sha256(plain))


# -- prefix replacement edge cases ------------------------------------------------------------------


def _unpacked(tmp_path: Path, paths: list[dict[str, str]], files: dict[str, bytes]) -> Path:
    root = tmp_path / "pkg"
    (root / "info").mkdir(parents=True)
    (root / "info" / "paths.json").write_text(json.dumps({"paths": paths}))
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_binary_placeholder_too_short(tmp_path: Path) -> None:
    root = _unpacked(
        tmp_path,
        [{"_path": "lib/x.so", "file_mode": "binary", "prefix_placeholder": "/short"}],
        {"lib/x.so": b"a/short/lib\0"},
    )
    with pytest.raises(PrefixError, match="placeholder is 6 bytes"):
        replace_prefix(root, PREFIX)


def test_prefix_paths_may_not_escape(tmp_path: Path) -> None:
    root = _unpacked(
        tmp_path, [{"_path": "../x", "file_mode": "text", "prefix_placeholder": "/p"}], {}
    )
    with pytest.raises(PrefixError, match="outside"):
        replace_prefix(root, PREFIX)
    (tmp_path / "secret").write_text("/p")
    root2 = _unpacked(
        tmp_path / "2", [{"_path": "lib/l", "file_mode": "text", "prefix_placeholder": "/p"}], {}
    )
    os.symlink(tmp_path / "secret", root2 / "lib")
    with pytest.raises(PrefixError, match="symlink"):
        replace_prefix(root2, PREFIX)
    assert (tmp_path / "secret").read_text() == "/p"


def test_legacy_has_prefix(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "info").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin" / "a").write_text("/opt/anaconda1anaconda2anaconda3/bin")
    (root / "bin" / "b").write_text("@P@/lib")
    (root / "info" / "has_prefix").write_text('bin/a\n"@P@" text "bin/b"\n')
    assert replace_prefix(root, "/new") == ("bin/a", "bin/b")
    assert (root / "bin" / "a").read_text() == "/new/bin"
    assert (root / "bin" / "b").read_text() == "/new/lib"
    assert replace_prefix(tmp_path / "nothing", "/new") == ()
