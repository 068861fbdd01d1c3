"""The fixed-output store path formula and which locked files go to the Nix store (no Nix
needed: the vectors were computed by Nix 2.8's ``nix-hash --to-base32`` and
``nix-store --add-fixed sha256``; tests/nix/test_nix_store_seed.py runs them against Nix)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from mach2.lock.model import LockedArtifact, LockedPackage
from mach2.nixstore import NixStore, fixed_output_path, nix_base32, store_files


def test_nix_base32_vectors() -> None:
    assert nix_base32(hashlib.sha256(b"").digest()) == (
        "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"
    )
    assert nix_base32(hashlib.sha1(b"").digest()) == "143xibwh31h9bvxzalr0sjvbbvpa6ffs"


def test_fixed_output_path_vectors() -> None:
    # `nix-store --add-fixed sha256` of files with these names and contents
    assert fixed_output_path("hello.txt", hashlib.sha256(b"hello\n").hexdigest()) == (
        "/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"
    )
    assert fixed_output_path("x.whl", hashlib.sha256(b"ujson").hexdigest()) == (
        "/nix/store/dlcyqvppcd4pwypf3zl2kbmh6rf8l583-x.whl"
    )
    # the store directory is part of the path
    assert fixed_output_path("x.whl", "0" * 64, "/other/store").startswith("/other/store/")
    with pytest.raises(ValueError):
        fixed_output_path("x.whl", "not-a-hash")


def _package(key: str, **artifact: object) -> LockedPackage:
    return LockedPackage(
        key=key,
        name=key,
        version="1.0",
        provider="wheel",
        why_provider="test",
        artifact=LockedArtifact(kind="wheel", **artifact),  # type: ignore[arg-type]
    )


def test_store_files_takes_the_fetched_cached_files(tmp_path: Path) -> None:
    data = b"wheel bytes"
    sha = hashlib.sha256(data).hexdigest()
    cached = tmp_path / "a-1.0-cp311-cp311-linux_x86_64.whl"
    cached.write_bytes(data)
    packages = {
        "a": _package(
            "a",
            filename=cached.name,
            url="https://files.example/a.whl",
            sha256=sha,
            size=len(data),
        ),
        "b": _package(
            "b", filename="b-1.0-py3-none-any.whl", url="https://x/b.whl", sha256="1" * 64
        ),
        "local": _package("local", filename="c.whl", url="file:///srv/c.whl", sha256="2" * 64),
        "nohash": _package("nohash", filename="d.whl", url="https://x/d.whl"),
        "badname": _package(
            "badname", filename="e%20f.whl", url="https://x/e.whl", sha256="3" * 64
        ),
    }
    found = {sha: cached}
    files, missing = store_files(packages, lambda s, _n, _z: found.get(s), "/nix/store")
    assert [f.key for f in files] == ["a"]
    assert files[0].store_path == fixed_output_path(cached.name, sha)
    assert files[0].size == len(data)
    assert missing == ["b"]  # fetched by URL but never downloaded by mach2: Nix will


def test_no_nix_means_no_store() -> None:
    assert NixStore.find({"PATH": ""}) is None


def test_lock_without_nix_succeeds_and_a_failing_nix_store_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding to the store never fails the command."""
    from mach2.cli.store import add_lock_files_to_store
    from mach2.lock.model import read_lock

    lock = read_lock(Path(__file__).resolve().parents[1] / "nix" / "fixtures" / "sdist-six.lock")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    runner = CliRunner()

    def call() -> str:
        import click

        @click.command()
        def command() -> None:
            add_lock_files_to_store(lock, tmp_path / "cache", enabled=True)

        result = runner.invoke(command, [])
        assert result.exit_code == 0, result.output
        return result.output

    assert call() == ""  # no Nix: nothing to do, nothing said
    # one locked file in mach2's download cache (mach2.net.files)
    artifact = lock.packages["six"].artifact
    assert artifact.sha256 and artifact.filename
    entry = tmp_path / "cache" / "files-v1" / artifact.sha256[:2] / artifact.sha256
    entry.mkdir(parents=True)
    (entry / artifact.filename).write_bytes(b"x" * (artifact.size or 1))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "nix-store"
    fake.write_text("#!/bin/sh\necho 'error: cannot open the store' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out = call()
    assert out.startswith("warning: `nix-store --check-validity` failed: error: cannot open")
    assert "nix-build will download the files" in out
