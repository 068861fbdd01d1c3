"""A foreign lock's git, path, editable and local-file entries, locked now by the real tools
(uv here and offline; PDM and Poetry from PyPI), become mach2's direct references with the
tool's commits and versions.

The project: ``app`` (the editable root) depends on ``helper`` (a path source), ``wheeled`` (a
local wheel), ``gitlib`` (a git repository made in the test, at a tag) and ``subpkg`` (its
subdirectory, on branch main).  The projects build with tests/fixtures/direct's tiny PEP 517
backend, so no index is needed.  uv takes the repository by ``file://``; PDM and Poetry get it
from ``git daemon`` on the loopback (both mangle ``file://`` git URLs: PDM 2.29 clones
``ssh://file//…``, Poetry 2.5 writes ``file://None/…``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
from projects import (
    bare_copy,
    commit_all,
    git,
    git_daemon,
    git_repository,
    make_project,
    make_wheel,
)
from test_cli_lock import assert_one_line_error
from test_cli_lock import run as mach2
from test_foreign_tools import TOOLS, TOOLS_CUTOFF, _run, _uv

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
TARGET = ("--python", "3.11", "--system", "x86_64-linux")


def upstream(directory: Path) -> Path:
    """gitlib at the top, subpkg (needing gitlib) in sub/subpkg; tagged v1.0 on main."""
    repo = git_repository(directory)
    make_project(repo, "gitlib", "1.0")
    make_project(repo / "sub" / "subpkg", "subpkg", "0.5", deps=["gitlib"])
    commit_all(repo, "v1.0")
    git(repo, "tag", "v1.0")
    return repo


def project(directory: Path, sources: str, deps: list[str] | None = None) -> Path:
    """The app with its path dependency and local wheel; ``sources`` ends its pyproject."""
    make_project(directory / "libs" / "helper", "helper", "0.3")
    make_wheel(directory / "dist", "wheeled", "3.0")
    make_project(directory, "app", "1.0", deps=deps or ["helper", "wheeled", "gitlib", "subpkg"],
                 code="import gitlib, helper, subpkg, wheeled\n")  # fmt: skip
    with (directory / "pyproject.toml").open("a") as f:
        f.write(sources)
    return directory


WHEEL = "dist/wheeled-3.0-py3-none-any.whl"


def uv_sources(repo: str) -> str:
    return (
        "\n[tool.uv.sources]\n"
        'helper = { path = "libs/helper" }\n'
        f'wheeled = {{ path = "{WHEEL}" }}\n'
        f'gitlib = {{ git = "{repo}", tag = "v1.0" }}\n'
        f'subpkg = {{ git = "{repo}", branch = "main", subdirectory = "sub/subpkg" }}\n'
    )


def locked(path: Path) -> dict[str, dict[str, object]]:
    packages: dict[str, dict[str, object]] = json.loads(path.read_text())["packages"]
    return packages


@pytest.fixture
def uv_project(tmp_path: Path) -> tuple[Path, Path]:
    """The project locked by uv (``uv.lock`` and its ``pylock.toml`` export), then main moved
    on upstream: mach2 must keep uv's commit."""
    repo = upstream(tmp_path / "upstream")
    app = project(git_repository(tmp_path / "app"), uv_sources(repo.as_uri()))
    _run([_uv(), "lock", "-q", "-p", sys.executable], app)
    _run([_uv(), "export", "-q", "--format", "pylock.toml", "-o", "pylock.toml"], app)
    make_project(repo / "sub" / "subpkg", "subpkg", "0.6", deps=["gitlib"])
    commit_all(repo, "0.6")
    return app, repo


def uv_commits(app: Path) -> dict[str, str]:
    entries = tomllib.loads((app / "uv.lock").read_text())["package"]
    return {
        p["name"]: p["source"]["git"].rsplit("#", 1)[1] for p in entries if "git" in p["source"]
    }


@pytest.mark.parametrize("name", ["uv.lock", "pylock.toml"])
def test_uv_project_locks_with_uvs_commits_paths_and_the_editable_root(
    uv_project: tuple[Path, Path], name: str
) -> None:
    app, _ = uv_project
    done = mach2(app, "lock", "-r", name, *TARGET, "-o", "mach2.lock")
    assert done.returncode == 0, done.stderr
    packages = locked(app / "mach2.lock")
    versions = {k: p["version"] for k, p in packages.items()}
    assert versions == {"app": "1.0", "helper": "0.3", "wheeled": "3.0", "gitlib": "1.0",
                        "subpkg": "0.5"}  # fmt: skip
    commits = uv_commits(app)
    for key in ("gitlib", "subpkg"):
        artifact = packages[key]["artifact"]
        assert isinstance(artifact, dict) and artifact["rev"] == commits[key]
        assert str(artifact["nar-hash"]).startswith("sha256-")
    assert packages["subpkg"]["artifact"]["subdirectory"] == "sub/subpkg"  # type: ignore[index]
    assert packages["app"]["artifact"] == {"kind": "path", "path": "."}
    assert "editable" in packages["app"]
    assert packages["helper"]["artifact"] == {"kind": "path", "path": "libs/helper"}
    assert "editable" not in packages["helper"]
    wheel = packages["wheeled"]["artifact"]
    assert isinstance(wheel, dict) and wheel["path"] == WHEEL
    assert packages["wheeled"]["why-provider"] == f"wheel: pinned by {name} (a local file)"


def test_no_install_project_leaves_the_root_out(uv_project: tuple[Path, Path]) -> None:
    app, _ = uv_project
    done = mach2(app, "lock", "-r", "uv.lock", *TARGET, "--no-install-project", "-o", "m.lock")
    assert done.returncode == 0, done.stderr
    assert set(locked(app / "m.lock")) == {"helper", "wheeled", "gitlib", "subpkg"}


def test_what_cannot_be_honoured_is_one_line_and_writes_nothing(
    uv_project: tuple[Path, Path], tmp_path: Path
) -> None:
    app, _ = uv_project
    text = (app / "uv.lock").read_text()
    commit = uv_commits(app)["gitlib"]
    outside = make_project(tmp_path / "outside", "helper", "0.3")
    wheel_hash = tomllib.loads(text)["package"]
    sha = next(p for p in wheel_hash if p["name"] == "wheeled")["wheels"][0]["hash"]
    cases = {
        "has no commit " + "1" * 40: text.replace(commit, "1" * 40),
        "is outside the project": text.replace('directory = "libs/helper"',
                                               f'directory = "{os.path.relpath(outside, app)}"'),
        "in the lock but": text.replace(sha, "sha256:" + "0" * 64),
    }  # fmt: skip
    for expected, edited in cases.items():
        (app / "uv.lock").write_text(edited)
        done = mach2(app, "lock", "-r", "uv.lock", *TARGET, "-o", "bad.lock")
        line = assert_one_line_error(done)
        assert expected in line and "uv.lock: package " in line, line
        assert not (app / "bad.lock").exists()


@pytest.mark.network
def test_pdm_and_poetry_locks_give_their_commits_paths_and_files(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    _run([_uv(), "venv", "-q", "-p", sys.executable, str(tools)], tmp_path)
    _run([_uv(), "pip", "install", "-q", "--exclude-newer", TOOLS_CUTOFF, *TOOLS], tmp_path,
         VIRTUAL_ENV=str(tools))  # fmt: skip
    repo = upstream(tmp_path / "upstream")
    served = tmp_path / "served"
    bare_copy(repo, served / "upstream.git")
    with git_daemon(served) as base:
        url = f"{base}/upstream.git"
        deps = [
            "helper @ file:///${PROJECT_ROOT}/libs/helper",
            f"wheeled @ file:///${{PROJECT_ROOT}}/{WHEEL}",
            f"gitlib @ git+{url}@v1.0",
            f"subpkg @ git+{url}@main#subdirectory=sub/subpkg",
        ]
        pdm = project(git_repository(tmp_path / "pdm"), "\n[tool.pdm]\ndistribution = true\n",
                      deps=deps)  # fmt: skip
        _run([str(tools / "bin" / "pdm"), "lock"], pdm, PDM_IGNORE_SAVED_PYTHON="1",
             PDM_IGNORE_ACTIVE_VENV="1", PDM_PYTHON=sys.executable)  # fmt: skip
        poetry = project(
            git_repository(tmp_path / "poetry"),
            "\n[tool.poetry.dependencies]\n"
            'helper = { path = "libs/helper", develop = true }\n'
            f'wheeled = {{ path = "{WHEEL}" }}\n'
            f'gitlib = {{ git = "{url}", tag = "v1.0" }}\n'
            f'subpkg = {{ git = "{url}", branch = "main", subdirectory = "sub/subpkg" }}\n',
        )
        _run([str(tools / "bin" / "poetry"), "lock", "--no-interaction"], poetry)
        commit = git(repo, "rev-parse", "HEAD")
        for app, name in ((pdm, "pdm.lock"), (poetry, "poetry.lock")):
            done = mach2(app, "lock", "-r", name, *TARGET, "-o", "mach2.lock")
            assert done.returncode == 0, f"{name}: {done.stderr}"
            packages = locked(app / "mach2.lock")
            versions = {k: p["version"] for k, p in packages.items()}
            assert versions == {"helper": "0.3", "wheeled": "3.0", "gitlib": "1.0",
                                "subpkg": "0.5"}, name  # fmt: skip
            for key in ("gitlib", "subpkg"):
                assert packages[key]["artifact"]["rev"] == commit, name  # type: ignore[index]
            assert packages["helper"]["artifact"] == {"kind": "path", "path": "libs/helper"}
            assert ("editable" in packages["helper"]) == (name == "poetry.lock")  # develop
            assert packages["wheeled"]["artifact"]["path"] == WHEEL  # type: ignore[index]
