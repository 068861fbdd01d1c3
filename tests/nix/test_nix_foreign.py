"""An env directory from uv.lock builds with the stand-in and imports; the foreign lock's hash is
its staleness key (for mach2 env and for the Nix library)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from nixhelpers import STANDIN, nix_build, nix_build_error

from mach2.cli.main import main

pytestmark = pytest.mark.network

DATA = Path(__file__).resolve().parents[1] / "data" / "foreign"


def _env(work: Path) -> str:
    result = CliRunner().invoke(
        main, ["env", str(work / "env"), "-r", str(work / "uv.lock"), "--python", "3.11"]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_env_from_uv_lock_builds_imports_and_goes_stale_with_the_lock(tmp_path: Path) -> None:
    shutil.copy(DATA / "uv.lock", tmp_path / "uv.lock")
    _env(tmp_path)
    env_dir = tmp_path / "env"
    assert (env_dir / "uv.lock").read_bytes() == (DATA / "uv.lock").read_bytes()
    assert not (env_dir / "requirements.txt").exists()
    env = nix_build(env_dir, "-I", f"nixpkgs={STANDIN}")
    versions = subprocess.run(
        [str(env / "bin" / "python"), "-c",
         "import requests, click, socks, charset_normalizer.md; "
         "print(requests.__version__, click.__version__, socks.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert versions == ["2.32.3", "8.1.7", "1.7.1"]
    lock = json.loads((env_dir / "mach2.lock").read_text())
    assert "colorama" not in lock["packages"]  # Windows only in the lock
    assert lock["packages"]["charset-normalizer"]["patchelf"]  # a binary wheel, planned
    # Unchanged lock: nothing is locked again.
    assert "is up to date" in _env(tmp_path)
    # The Nix library sees a changed uv.lock as a stale lock.
    with (env_dir / "uv.lock").open("a") as handle:
        handle.write("\n# edited\n")
    error = nix_build_error(env_dir, "-I", f"nixpkgs={STANDIN}")
    assert "is stale: the requirements changed" in error
