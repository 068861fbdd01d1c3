"""Locks written now by the real tools (uv, PDM, Poetry from PyPI) give mach2 the same versions
and files as mach2's own resolution of the same pinned set; mach2's export is read back by uv.

The tools are installed once into a temporary venv with uv (pinned, ``--exclude-newer`` the
day after their release so their own dependencies do not move; uv's cache makes it ~2 s when
warm).  The pinned set is tests/data/foreign/pyproject.toml (the recorded copies beside it were
made the same way, see PROVENANCE.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mach2.cli.main import main

pytestmark = pytest.mark.network

DATA = Path(__file__).resolve().parents[1] / "data" / "foreign"
TOOLS = ("pdm==2.29.4", "poetry==2.5.1")
TOOLS_CUTOFF = "2026-10-28"
SET_CUTOFF = "2025-01-01T00:00:00Z"


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    assert Path(found).exists(), "uv (a test dependency) is not installed"
    return found


def _run(args: list[str], cwd: Path, **env: str) -> None:
    result = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", **env},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with uv.lock, pylock.toml, requirements-hashed.txt, pdm.lock and
    poetry.lock, each written by its tool from the pinned pyproject.toml."""
    root = tmp_path_factory.mktemp("foreign-tools")
    tools = root / "tools"
    uv = _uv()
    _run([uv, "venv", "-q", "-p", sys.executable, str(tools)], root)
    _run(
        [uv, "pip", "install", "-q", "--exclude-newer", TOOLS_CUTOFF, *TOOLS],
        root,
        VIRTUAL_ENV=str(tools),
    )
    project = root / "project"
    project.mkdir()
    shutil.copy(DATA / "pyproject.toml", project)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    _run([uv, "lock", "--exclude-newer", SET_CUTOFF, "-p", sys.executable], project)
    _run([uv, "export", "-q", "--format", "pylock.toml", "-o", "pylock.toml"], project)
    _run(
        [uv, "pip", "compile", "-q", "--generate-hashes", "pyproject.toml",
         "--python-version", python, "--exclude-newer", SET_CUTOFF, "-o", "requirements-hashed.txt"],
        project,
    )  # fmt: skip
    _run(
        [str(tools / "bin" / "pdm"), "lock", "--exclude-newer", SET_CUTOFF[:10]],
        project,
        PDM_IGNORE_SAVED_PYTHON="1",
        PDM_IGNORE_ACTIVE_VENV="1",
        PDM_PYTHON=sys.executable,
    )
    _run([str(tools / "bin" / "poetry"), "lock", "--no-interaction"], project)
    return project


def _mach2(args: list[str]) -> str:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _files(lock_path: Path) -> dict[str, tuple[str, str, str]]:
    packages = json.loads(lock_path.read_text())["packages"]
    return {
        key: (p["version"], p["artifact"]["filename"].lower(), p["artifact"]["sha256"])
        for key, p in packages.items()
        if not p["build-only"]
    }


@pytest.fixture(scope="module")
def resolved(written: Path) -> dict[str, tuple[str, str, str]]:
    """mach2's own resolution of the same pyproject.toml."""
    out = written / "resolved.lock"
    _mach2(["lock", "-r", str(written / "pyproject.toml"), "--python", "3.11",
            "--exclude-newer", SET_CUTOFF, "--no-patchelf", "-o", str(out)])  # fmt: skip
    return _files(out)


@pytest.mark.parametrize(
    "name", ["uv.lock", "pylock.toml", "requirements-hashed.txt", "pdm.lock", "poetry.lock"]
)
def test_a_lock_from_the_tool_gives_the_versions_and_files_of_mach2s_resolution(
    written: Path, resolved: dict[str, tuple[str, str, str]], name: str
) -> None:
    out = written / f"from-{name}.json"
    _mach2(["lock", "-r", str(written / name), "--python", "3.11", "--no-patchelf", "-o", str(out)])
    assert _files(out) == resolved
    lock = json.loads(out.read_text())
    assert lock["foreign"]["file"] == name
    assert all("pinned by" in p["why-provider"] for p in lock["packages"].values())


def test_the_export_is_read_back_by_uv(written: Path) -> None:
    lock = written / "from-uv.json"
    _mach2(["lock", "-r", str(written / "uv.lock"), "--python", "3.11", "--no-patchelf",
            "-o", str(lock)])  # fmt: skip
    _mach2(
        [
            "export",
            "--format",
            "pylock",
            "--lock",
            str(lock),
            "-o",
            str(written / "out" / "pylock.toml"),
        ]
    )
    _mach2(["export", "--format", "requirements", "--lock", str(lock),
            "-o", str(written / "out" / "requirements.txt")])  # fmt: skip
    uv = _uv()
    venv = written / "venv"
    _run([uv, "venv", "-q", "-p", sys.executable, str(venv)], written)
    for args in (["-r", "out/pylock.toml"], ["--require-hashes", "-r", "out/requirements.txt"]):
        result = subprocess.run(
            [uv, "pip", "install", "--dry-run", *args],
            cwd=written,
            capture_output=True,
            text=True,
            env={**os.environ, "VIRTUAL_ENV": str(venv), "UV_PYTHON_DOWNLOADS": "never"},
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        installed = {
            line.split()[1] for line in result.stderr.splitlines() if line.startswith(" + ")
        }
        expected = {f"{k}=={v[0]}" for k, v in _files(lock).items()}
        assert installed == expected, args


def test_a_wrong_hash_writes_nothing(written: Path, tmp_path: Path) -> None:
    text = (written / "uv.lock").read_text()
    good = "sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6"
    assert good in text
    (tmp_path / "uv.lock").write_text(text.replace(good, "sha256:" + "0" * 64))
    result = CliRunner().invoke(
        main,
        [
            "lock",
            "-r",
            str(tmp_path / "uv.lock"),
            "--python",
            "3.11",
            "-o",
            str(tmp_path / "m.lock"),
        ],
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert (
        "package 'requests' 2.32.3: sha256 of requests-2.32.3-py3-none-any.whl is 000" in errors[0]
    )
    assert not (tmp_path / "m.lock").exists()
