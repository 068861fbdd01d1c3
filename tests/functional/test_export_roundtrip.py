"""``mach2 export`` of a lock with git, path, editable and local-wheel packages, read back by
the real uv and by mach2 itself (a round trip: the same commits, paths and versions).

The project: ``app`` (``-e .``, the editable root) with ``helper`` (a path dependency),
``wheeled`` (a local wheel), ``gitlib`` (a git repository made in the test, at a tag) and
``subpkg`` (its subdirectory, on branch main), built with tests/fixtures/direct's tiny PEP 517
backend: no index, no network (uv runs ``--offline``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import Pylock

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
from pep751 import pep751_violations
from projects import git_repository
from test_cli_lock import assert_one_line_error
from test_cli_lock import run as mach2
from test_foreign_direct import WHEEL, project, upstream
from test_foreign_tools import _uv

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
TARGET = ("--python", "3.11", "--system", "x86_64-linux")


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    """The app, locked by mach2 from a requirements file into app/mach2.lock."""
    repo = upstream(tmp_path / "upstream").as_uri()
    app = project(git_repository(tmp_path / "app"), "", deps=[])
    (app / "requirements.txt").write_text(
        f"-e .\n./libs/helper\n./{WHEEL}\ngitlib @ git+{repo}@v1.0\n"
        f"subpkg @ git+{repo}@main#subdirectory=sub/subpkg\n"
    )
    done = mach2(app, "lock", "-r", "requirements.txt", *TARGET, "-o", "mach2.lock")
    assert done.returncode == 0, done.stderr
    return app


def _packages(lock: Path) -> dict[str, dict[str, Any]]:
    packages: dict[str, dict[str, Any]] = json.loads(lock.read_text())["packages"]
    return packages


def _uv_run(args: list[str], cwd: Path, venv: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(venv)}
    return subprocess.run(
        [_uv(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    made = _uv_run(["venv", "-q", "-p", sys.executable, str(tmp_path / "venv")], tmp_path, tmp_path)
    assert made.returncode == 0, made.stderr
    return tmp_path / "venv"


def test_the_pylock_export_follows_pep_751_and_uv_installs_the_locked_sources(
    locked: Path, venv: Path
) -> None:
    done = mach2(locked, "export", "--format", "pylock", "-o", "out/pylock.toml")
    assert done.returncode == 0, done.stderr
    out = locked / "out"
    document = tomllib.loads((out / "pylock.toml").read_text())
    Pylock.from_dict(document)
    assert pep751_violations(document, out) == []
    packages = _packages(locked / "mach2.lock")
    commit = packages["gitlib"]["artifact"]["rev"]
    repo = packages["gitlib"]["artifact"]["url"]
    dry = _uv_run(
        ["pip", "install", "--dry-run", "--offline", "-r", "out/pylock.toml"], locked, venv
    )
    assert dry.returncode == 0, dry.stderr
    planned = sorted(line for line in dry.stderr.splitlines() if line.startswith(" + "))
    assert planned == [
        f" + app @ {locked.as_uri()}",
        f" + gitlib @ git+{repo}@{commit}",
        f" + helper @ {(locked / 'libs' / 'helper').as_uri()}",
        f" + subpkg @ git+{repo}@{commit}#subdirectory=sub/subpkg",
        f" + wheeled @ {(locked / WHEEL).as_uri()}",
    ]


def test_mach2_locks_its_own_pylock_export_to_the_same_commits_paths_and_versions(
    locked: Path,
) -> None:
    assert mach2(locked, "export", "--format", "pylock", "-o", "out/pylock.toml").returncode == 0
    done = mach2(locked, "lock", "-r", "out/pylock.toml", *TARGET, "-o", "again.lock")
    assert done.returncode == 0, done.stderr
    before, after = _packages(locked / "mach2.lock"), _packages(locked / "again.lock")
    assert set(after) == set(before) == {"app", "gitlib", "helper", "subpkg", "wheeled"}
    for key, package in before.items():
        # ``ref`` (the tag or branch asked for) is informational in PEP 751's vcs table
        # (requested-revision, never used to check out): the commit is what is kept.
        wanted = {k: v for k, v in package["artifact"].items() if k != "ref"}
        assert after[key]["artifact"] == wanted, key
        assert after[key]["version"] == package["version"], key
        assert after[key]["dependencies"] == package["dependencies"], key
        assert ("editable" in after[key]) == ("editable" in package), key
    assert after["app"]["artifact"] == {"kind": "path", "path": "."}
    assert after["subpkg"]["why-provider"] == "git: pinned by pylock.toml (its recorded commit)"


def test_the_requirements_export_installs_the_local_wheel_with_its_hash(
    locked: Path, venv: Path
) -> None:
    refused = mach2(locked, "export", "--format", "requirements", "-o", "out/requirements.txt")
    line = assert_one_line_error(refused)
    assert line == (
        "error: mach2.lock: 4 packages cannot be written to a requirements file: "
        "app (directory), gitlib (git), helper (directory), subpkg (git)"
    )
    assert not (locked / "out").exists()
    done = mach2(
        locked, "export", "--format", "requirements", "--partial", "-o", "out/requirements.txt"
    )
    assert done.returncode == 0, done.stderr
    assert "left out: gitlib (git)" in done.stderr
    installed = _uv_run(
        ["pip", "install", "--offline", "--require-hashes", "-r", "requirements.txt"],
        locked / "out",
        venv,
    )
    assert installed.returncode == 0, installed.stderr
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import wheeled; print(wheeled.VALUE)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.stdout.strip() == "wheeled 3.0", check.stderr


def test_an_export_to_stdout_writes_paths_from_the_current_directory(locked: Path) -> None:
    done = mach2(locked.parent, "export", "--format", "pylock", "--lock", "app/mach2.lock")
    assert done.returncode == 0, done.stderr
    entries = {p["name"]: p for p in tomllib.loads(done.stdout)["packages"]}
    assert entries["helper"]["directory"] == {"path": "app/libs/helper", "editable": False}
    assert entries["app"]["directory"] == {"path": "app", "editable": True}


def test_a_hostile_subdirectory_in_the_lock_is_one_line_and_writes_nothing(locked: Path) -> None:
    lock = locked / "mach2.lock"
    data = json.loads(lock.read_text())
    data["packages"]["subpkg"]["artifact"]["subdirectory"] = "../../../home"
    lock.write_text(json.dumps(data))
    done = mach2(locked, "export", "--format", "pylock", "-o", "pylock.toml")
    assert "subdirectory '../../../home'" in assert_one_line_error(done)
    assert "leaves the repository" in done.stderr
    assert not (locked / "pylock.toml").exists()
