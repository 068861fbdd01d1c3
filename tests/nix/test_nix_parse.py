"""Every .nix file of the repository, and every generated one, parses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from nixhelpers import FIXTURES, ROOT, run

from mach2.emit import render_expression, write_env_dir
from mach2.lock.model import read_lock


def _nix_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.nix"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = {ROOT / name for name in listed}
    files.update((ROOT / "mach2" / "nix").glob("*.nix"))
    return sorted(p for p in files if p.exists())


@pytest.mark.parametrize("path", _nix_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_nix_file_parses(path: Path) -> None:
    result = run(["nix-instantiate", "--parse", str(path)])
    assert result.returncode == 0, result.stderr


def test_generated_files_parse(tmp_path: Path) -> None:
    lock = read_lock(FIXTURES / "requests-pyyaml.lock")
    text = (FIXTURES / "requests-pyyaml.txt").read_text(encoding="utf-8")
    write_env_dir(lock, text, tmp_path / "env")
    (tmp_path / "gen.nix").write_text(render_expression(lock, text), encoding="utf-8")
    for path in [*sorted((tmp_path / "env").rglob("*.nix")), tmp_path / "gen.nix"]:
        result = run(["nix-instantiate", "--parse", str(path)])
        assert result.returncode == 0, f"{path}: {result.stderr}"
