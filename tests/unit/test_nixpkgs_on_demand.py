"""The nixpkgs provider's index is made only when the resolver asks that provider (issue 14
item 7): ``mach2 env --nixpkgs REV`` pins nixpkgs for the build, and a lock whose packages
all come from wheels must neither download nor evaluate that nixpkgs (offline, it must not
fail).  The nixpkgs named here does not exist: asking it anything fails, so a lock that
succeeds did not ask.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from index_fixture import lock_with

from mach2.cli.main import main
from mach2.providers.nixpkgs.index import NixpkgsIndexError, NixpkgsSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from local_channel import SimpleIndex, make_six_wheel

SPEC = {"six": {"1.16.0": {"wheels": ["py3-none-any"]}}}
MISSING = NixpkgsSource("path", "/nonexistent/nixpkgs")


def test_a_lock_that_needs_no_nixpkgs_package_does_not_index_nixpkgs() -> None:
    lock = lock_with(SPEC, "six\n", providers=None, nixpkgs=MISSING)  # wheel,sdist,nixpkgs
    assert lock.packages["six"].provider == "wheel"
    assert lock.nixpkgs is None  # the lock records no nixpkgs it did not use


def test_a_lock_that_asks_nixpkgs_indexes_it() -> None:
    with pytest.raises(NixpkgsIndexError, match="nixpkgs path '/nonexistent/nixpkgs' does not"):
        lock_with(SPEC, "six\n", providers="nixpkgs,wheel", nixpkgs=MISSING)


def test_env_with_a_pinned_nixpkgs_and_only_wheels(tmp_path: Path) -> None:
    # A revision that does not exist: indexing it would fail (no such tarball, or no network).
    make_six_wheel(tmp_path / "wheels")
    (tmp_path / "requirements.txt").write_text("six\n")
    with SimpleIndex(tmp_path / "wheels") as index:
        result = CliRunner().invoke(
            main,
            [
                "env", str(tmp_path / "env"), "-r", str(tmp_path / "requirements.txt"),
                "--index-url", index.url, "--python", "3.11", "--system", "x86_64-linux",
                "--cache-dir", str(tmp_path / "cache"),
                "--nixpkgs", "0" * 40, "--nixpkgs-sha256", "0" * 52,
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0" * 40 in (tmp_path / "env" / "default.nix").read_text()
