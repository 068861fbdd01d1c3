"""A uv workspace's members, selected as ``uv sync`` selects them, checked against what the
real uv (offline, ``uv export --frozen``) says it would install with the same options.

The workspace: the root project ``app`` depends on the member ``core`` and on ``applib``;
the member ``tool`` is depended on by nobody.  ``core`` needs ``corelib``, ``tool`` needs
``toollib`` (path sources).  A virtual workspace has the same members and no ``[project]``
at its root.  Everything builds with tests/fixtures/direct's tiny backend: no index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
from projects import make_project
from test_cli_lock import assert_one_line_error
from test_cli_lock import run as mach2
from test_foreign_tools import _run, _uv

TARGET = ("--python", "3.11", "--system", "x86_64-linux")


def workspace(directory: Path, *, virtual: bool) -> Path:
    for name, version in (("corelib", "0.1"), ("toollib", "0.2"), ("applib", "0.3")):
        make_project(directory / "libs" / name, name, version)
    for name, lib in (("core", "corelib"), ("tool", "toollib")):
        member = make_project(directory / "packages" / name, name, "1.1", deps=[lib])
        with (member / "pyproject.toml").open("a") as f:
            f.write(f'\n[tool.uv.sources]\n{lib} = {{ path = "../../libs/{lib}" }}\n')
    members = '\n[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    if virtual:
        (directory / "pyproject.toml").write_text(members)
    else:
        make_project(directory, "app", "1.0", deps=["core", "applib"])
        with (directory / "pyproject.toml").open("a") as f:
            f.write('\n[tool.uv.sources]\ncore = { workspace = true }\n'
                    'applib = { path = "libs/applib" }\n' + members)  # fmt: skip
    _run([_uv(), "lock", "-q", "--offline", "-p", sys.executable], directory)
    return directory


@pytest.fixture(scope="module")
def rooted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workspace(tmp_path_factory.mktemp("rooted"), virtual=False)


@pytest.fixture(scope="module")
def virtual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workspace(tmp_path_factory.mktemp("virtual"), virtual=True)


def uv_would_install(directory: Path, options: tuple[str, ...]) -> set[str]:
    """The names ``uv export --frozen`` lists (what ``uv sync`` installs) with ``options``."""
    done = subprocess.run(
        [_uv(), "export", "--frozen", "--offline", "--no-hashes", "--no-header",
         "--no-annotate", *options],
        cwd=directory, capture_output=True, text=True, check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    paths = [line.removeprefix("-e ").strip() for line in done.stdout.splitlines() if line]
    return {"app" if p == "." else p.rsplit("/", 1)[-1] for p in paths}


def mach2_installs(directory: Path, options: tuple[str, ...]) -> set[str]:
    done = mach2(directory, "lock", "-r", "uv.lock", *TARGET, *options, "-o", "m.lock")
    assert done.returncode == 0, done.stderr
    return set(json.loads((directory / "m.lock").read_text())["packages"])


ROOTED = [
    ((), {"app", "applib", "core", "corelib"}),
    (("--all-packages",), {"app", "applib", "core", "corelib", "tool", "toollib"}),
    (("--package", "tool"), {"tool", "toollib"}),
    (("--package", "core", "--package", "tool"), {"core", "corelib", "tool", "toollib"}),
    (("--no-install-project",), {"applib", "core", "corelib"}),
    (("--all-packages", "--no-install-project"), {"applib", "core", "corelib", "tool", "toollib"}),
    (("--package", "tool", "--no-install-project"), {"toollib"}),
]
VIRTUAL = [
    ((), {"core", "corelib", "tool", "toollib"}),
    (("--all-packages",), {"core", "corelib", "tool", "toollib"}),
    (("--package", "core"), {"core", "corelib"}),
    (("--no-install-project",), {"core", "corelib", "tool", "toollib"}),
    (("--package", "core", "--no-install-project"), {"corelib"}),
]


@pytest.mark.parametrize(("options", "expected"), ROOTED)
def test_a_rooted_workspace_installs_what_uv_sync_does(
    rooted: Path, options: tuple[str, ...], expected: set[str]
) -> None:
    assert uv_would_install(rooted, options) == expected
    assert mach2_installs(rooted, options) == expected


@pytest.mark.parametrize(("options", "expected"), VIRTUAL)
def test_a_virtual_workspace_installs_what_uv_sync_does(
    virtual: Path, options: tuple[str, ...], expected: set[str]
) -> None:
    assert uv_would_install(virtual, options) == expected
    assert mach2_installs(virtual, options) == expected


def test_why_follows_the_graph_of_a_foreign_lock(rooted: Path) -> None:
    """Every entry of uv.lock is a pin (a root of the resolution), but `why` tells what the
    project asked for from what its dependencies pulled in."""
    assert mach2(rooted, "lock", "-r", "uv.lock", *TARGET, "-o", "w.lock").returncode == 0
    chains = {}
    for name in ("app", "core", "corelib"):
        done = mach2(rooted, "why", name, "--lock", "w.lock")
        assert done.returncode == 0, done.stderr
        chains[name] = [line.strip() for line in done.stdout.splitlines() if "required" in line
                        or "requested" in line]  # fmt: skip
    assert chains["app"] == ["requested: app"]
    assert chains["core"] == ["required by: app [core] → core"]
    assert chains["corelib"] == ["required by: app [core] → core [corelib] → corelib"]


def test_the_selection_is_an_input_lock_check_notices(rooted: Path) -> None:
    assert mach2(rooted, "lock", "-r", "uv.lock", *TARGET, "-o", "c.lock").returncode == 0
    same = mach2(rooted, "lock", "-r", "uv.lock", *TARGET, "--check", "-o", "c.lock")
    assert same.returncode == 0, same.stderr
    for options in (("--all-packages",), ("--package", "tool")):
        changed = mach2(rooted, "lock", "-r", "uv.lock", *TARGET, *options, "--check",
                        "-o", "c.lock")  # fmt: skip
        assert changed.returncode != 0, options


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--package", "applib"), "no workspace member named 'applib'"),
        (("--package", "core", "--all-packages"), "--package and --all-packages"),
    ],
)
def test_a_wrong_selection_is_one_line(
    rooted: Path, options: tuple[str, ...], expected: str
) -> None:
    done = mach2(rooted, "lock", "-r", "uv.lock", *TARGET, *options, "-o", "bad.lock")
    assert expected in assert_one_line_error(done)
    assert not (rooted / "bad.lock").exists()


@pytest.mark.parametrize("option", [("--all-packages",), ("--package", "core")])
def test_selecting_members_needs_a_uv_lock(tmp_path: Path, option: tuple[str, ...]) -> None:
    (tmp_path / "requirements.txt").write_text("")
    done = mach2(tmp_path, "lock", "-r", "requirements.txt", *TARGET, *option, "-o", "m.lock")
    assert "uv.lock" in assert_one_line_error(done)
    assert not (tmp_path / "m.lock").exists()
