"""The README's first command, exactly as written, on a machine whose system pip refuses to
install (PEP 668): a virtual environment, and the `uv tool install .` alternative."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_first_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The two commands", 1)[1]
    match = re.search(r"\n\n    (\S.*)\n", section)
    assert match, "the README's first command is an indented block under 'The two commands'"
    return match.group(1)


def checkout(tmp_path: Path) -> Path:
    """The repository's tracked files, as a fresh clone would have them."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    copy = tmp_path / "mach2"
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            (copy / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name.decode(), follow_symlinks=False)
    return copy


def test_the_first_command_needs_no_system_pip() -> None:
    command = readme_first_command()
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    assert command.endswith("mach2 env ./env -r examples/requirements.txt")
    assert "--break-system-packages" not in command and "sudo pip" not in command


@pytest.mark.network
def test_the_first_command_runs_as_written(tmp_path: Path) -> None:
    repo = checkout(tmp_path)
    env = dict(os.environ, MACH2_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("VIRTUAL_ENV", None)
    # `python3` as a fresh shell finds it: the one this test runs on, first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    run = subprocess.run(
        ["bash", "-ec", readme_first_command()], cwd=repo, env=env,
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert (repo / "env" / "mach2.lock").is_file() and (repo / "env" / "default.nix").is_file()
    assert (repo / ".venv" / "bin" / "mach2").is_file()


@pytest.mark.network
def test_uv_tool_install(tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (it is in the test extras)")
    repo = checkout(tmp_path)
    env = dict(
        os.environ,
        UV_TOOL_DIR=str(tmp_path / "tools"),
        UV_TOOL_BIN_DIR=str(tmp_path / "bin"),
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    env.pop("VIRTUAL_ENV", None)
    install = subprocess.run(
        [uv, "tool", "install", "."], cwd=repo, env=env,
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    help_text = subprocess.run(
        [str(tmp_path / "bin" / "mach2"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "doctor" in help_text and "lock" in help_text
