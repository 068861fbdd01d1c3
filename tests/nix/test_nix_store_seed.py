"""One download (issue 12): the files ``mach2 lock`` downloaded are added to the Nix store as
the fixed-output paths the build asks for, so ``nix-build`` fetches none of them again.

A binary-tagged wheel (``cp311-cp311-manylinux_2_17_x86_64``, so the lock downloads it for its
patch plan) with a random payload, so its store path is surely new, is served by a local index.
After ``mach2 env`` the index is shut down: the build can only succeed if Nix finds the wheel
in the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from nixhelpers import NIX_OPTIONS, STANDIN, nix_build, nix_eval, run

from mach2.cli.main import main
from mach2.nixstore import fixed_output_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from local_channel import SimpleIndex, make_wheel

TAG = "cp311-cp311-manylinux_2_17_x86_64"


def _binary_tagged_wheel(directory: Path) -> Path:
    token = uuid.uuid4().hex
    pure = make_wheel(directory / "pure", "seedpkg", "1.0", {"seedpkg.py": f"TOKEN = {token!r}\n"})
    wheel = directory / f"seedpkg-1.0-{TAG}.whl"
    with zipfile.ZipFile(pure) as source, zipfile.ZipFile(wheel, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("/WHEEL"):
                data = data.replace(b"Root-Is-Purelib: true", b"Root-Is-Purelib: false")
                data = data.replace(b"Tag: py3-none-any", f"Tag: {TAG}".encode())
            target.writestr(info, data)
    # RECORD's hash of WHEEL is now stale; installers here do not check it.
    return wheel


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, SimpleIndex]]:
    wheels = tmp_path / "wheels"
    wheel = _binary_tagged_wheel(wheels)
    with SimpleIndex(wheels) as index:
        yield wheel, index


def _env(work: Path, index: SimpleIndex, *extra: str) -> str:
    (work / "requirements.txt").write_text("seedpkg\n", encoding="utf-8")
    args = ["env", "-r", str(work / "requirements.txt"), "--index-url", index.url]
    args += ["--python", "3.11", "--system", "x86_64-linux", "--cache-dir", str(work / "cache")]
    result = CliRunner().invoke(main, [*args, *extra, str(work / "env")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _valid(path: str) -> bool:
    return run(["nix-store", "--check-validity", path]).returncode == 0


def _to_build(env_dir: Path) -> str:
    drv = run(["nix-instantiate", *NIX_OPTIONS, str(env_dir)], check=True).stdout.strip()
    return run(["nix-store", *NIX_OPTIONS, "--realise", "--dry-run", drv], check=True).stderr


def test_env_adds_the_wheel_and_the_build_downloads_nothing(
    tmp_path: Path, served: tuple[Path, SimpleIndex]
) -> None:
    wheel, index = served
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    expected = fixed_output_path(wheel.name, sha256)
    assert not _valid(expected)
    output = _env(tmp_path, index)
    assert "added 1 downloaded file (" in output
    assert _valid(expected)
    # the path the library's fetchurl gives (stand-in) is the one added
    lock = json.loads((tmp_path / "env" / "mach2.lock").read_text(encoding="utf-8"))
    artifact = json.dumps(json.dumps(lock["packages"]["seedpkg"]["artifact"]))
    fetched = nix_eval(
        f"((import {tmp_path / 'env' / 'mach2'} {{ pkgs = import {STANDIN} {{ }}; }})"
        f'.internal.packages.fetchArtifact "seedpkg" (builtins.fromJSON {artifact})).outPath'
    )
    assert fetched == expected
    assert f"{wheel.name}.drv" not in _to_build(tmp_path / "env")
    index.__exit__()  # nothing serves the wheel any more: Nix must not need to download it
    env = nix_build(tmp_path / "env")
    token = run([str(env / "bin" / "python"), "-c", "import seedpkg; print(seedpkg.TOKEN)"])
    assert token.returncode == 0 and len(token.stdout.strip()) == 32


def test_no_nix_store_leaves_the_download_to_nix(
    tmp_path: Path, served: tuple[Path, SimpleIndex]
) -> None:
    wheel, index = served
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    expected = fixed_output_path(wheel.name, sha256)
    output = _env(tmp_path, index, "--no-nix-store")
    assert "added" not in output
    assert not _valid(expected)
    assert f"{wheel.name}.drv" in _to_build(tmp_path / "env")
    # the same directory again, without the flag: the kept lock's files are added
    assert "added 1 downloaded file (" in _env(tmp_path, index)
    assert _valid(expected)
    assert f"{wheel.name}.drv" not in _to_build(tmp_path / "env")


@pytest.mark.skipif(
    not os.environ.get("MACH2_TEST_NIXPKGS"),
    reason="MACH2_TEST_NIXPKGS (a real nixpkgs) is not set",
)
def test_real_nixpkgs_fetchurl_gives_the_same_path() -> None:
    sha256 = "0" * 63 + "1"
    name = "numpy-2.3.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    path = nix_eval(
        f"((import {os.environ['MACH2_TEST_NIXPKGS']} {{ }}).fetchurl {{ "
        f'url = "https://files.example/{name}"; sha256 = "{sha256}"; name = "{name}"; }}).outPath'
    )
    assert path == fixed_output_path(name, sha256)
