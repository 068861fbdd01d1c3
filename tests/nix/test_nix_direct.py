"""Direct references built by Nix with the stand-in (issue 11, "Done when").

A requirements file with a local git repository at a tag, a ``#subdirectory=`` package of it,
a local path, a local wheel and ``-e .`` of a small project locks (``mach2 env``), builds,
imports; in ``nix-shell`` the editable project shows an edit without a rebuild.  Git over
HTTP and git daemon goes through the stand-in's fixed-output ``fetchgit`` (Nix checks the NAR
hash mach2 computed); ``file://`` through ``builtins.fetchGit``.  The NAR hash and the
ignore rules are compared with Nix's own (``nix-hash``, ``builtins.path`` with the filter).
Nothing needs PyPI: the projects build with their own PEP 517 backend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nixhelpers import (
    LIBRARY,
    NIX_OPTIONS,
    STANDIN,
    closure_distributions,
    nix_build,
    nix_eval,
    run,
)

from mach2.model.target import SYSTEMS
from mach2.providers.direct.nar import nar_sha256
from mach2.providers.direct.tree import tree_files

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
sys.path.insert(0, str(Path(__file__).parents[1] / "functional"))
from projects import (
    bare_copy,
    commit_all,
    git,
    git_daemon,
    git_repository,
    http_server,
    make_project,
    make_wheel,
)
from test_cli_lock import run as mach2
from test_direct_tree import make_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
TARGET = ["--python", "3.11", "--system", "x86_64-linux"]


def python(env: Path, code: str) -> str:
    done = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_nar_hash_is_nix_hash(tmp_path: Path) -> None:
    top = make_tree(tmp_path / "tree")
    (top / "run.sh").write_text("#!/bin/sh\n")
    (top / "run.sh").chmod(0o755)
    (top / "link").symlink_to("run.sh")
    done = run(["nix-hash", "--type", "sha256", str(top)], check=True)
    assert nar_sha256(top).hex() == done.stdout.strip()


def test_ignore_filter_is_the_same_in_nix(tmp_path: Path) -> None:
    top = make_tree(tmp_path / "tree")
    expr = (
        f"let s = (import {LIBRARY} {{ pkgs = import {STANDIN} {{ }}; }}).internal.sources; "
        f'in "${{builtins.path {{ path = {top}; name = "t"; filter = s.gitignoreFilter {top}; }}}}"'
    )
    done = run(["nix-instantiate", "--eval", "--read-write-mode", "--json", "-E", expr], check=True)
    copied = json.loads(done.stdout)
    in_nix = {str(p.relative_to(copied)) for p in Path(copied).rglob("*")}
    assert in_nix == {p for p, _ in tree_files(top)}


def upstream(tmp_path: Path, marker: str) -> tuple[Path, str]:
    """A repository tagged v1.0 (gitlib, and subpkg in sub/subpkg); ``marker`` makes its content
    (and so its store paths) new for each test, so Nix really fetches it."""
    repo = git_repository(tmp_path / "upstream")
    make_project(repo, "gitlib", "1.0", scripts={"gitlib-hello": "gitlib:hello"},
                 code=f"def hello():\n    print('hello from gitlib')\nMARK = {marker!r}\n")  # fmt: skip
    make_project(repo / "sub" / "subpkg", "subpkg", "0.5", deps=["gitlib"], dynamic_deps=True)
    commit = commit_all(repo, "v1.0")
    git(repo, "tag", "v1.0")
    return repo, commit


def test_git_subdirectory_path_wheel_and_editable_build_and_develop(tmp_path: Path) -> None:
    repo, _ = upstream(tmp_path, str(tmp_path))
    proj = git_repository(tmp_path / "proj")
    make_project(proj, "myapp", "0.1", deps=["locallib", "gitlib", "subpkg", "wheeled"],
                 layout="src", scripts={"myapp": "myapp:main"},
                 code="def main():\n    import gitlib, subpkg, locallib, wheeled\n"
                      "    print(VALUE, gitlib.VALUE, subpkg.VALUE, locallib.VALUE, wheeled.VALUE)\n")  # fmt: skip
    make_project(proj / "libs" / "locallib", "locallib", "2.0")
    wheel = make_wheel(proj / "dist", "wheeled", "3.0")
    (proj / "requirements.txt").write_text(
        f"gitlib @ git+{repo.as_uri()}@v1.0\n"
        f"subpkg @ git+{repo.as_uri()}@v1.0#subdirectory=sub/subpkg\n"
        f"./libs/locallib\n./dist/{wheel.name}\n-e .\n"
    )
    locked = mach2(
        proj, "env", "env", "-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"
    )
    assert locked.returncode == 0, locked.stderr
    env = nix_build(proj / "env")
    expected = "myapp 0.1 gitlib 1.0 subpkg 0.5 locallib 2.0 wheeled 3.0"
    assert (
        subprocess.run([env / "bin" / "myapp"], capture_output=True, text=True).stdout.strip()
        == expected
    )
    assert python(env, "import gitlib; print(gitlib.MARK)") == str(tmp_path)
    # the built environment holds a copy of the project, not the working tree
    assert python(env, "import myapp; print(myapp.__file__)").startswith("/nix/store/")

    # nix-shell: the -e project is a development install of the working tree
    shell = ["nix-shell", *NIX_OPTIONS, str(proj / "env"), "--run"]
    first = run([*shell, "myapp; python -c 'import myapp; print(myapp.__file__)'"], check=True)
    assert first.stdout.splitlines() == [expected, str(proj / "src" / "myapp" / "__init__.py")]
    source = proj / "src" / "myapp" / "__init__.py"
    source.write_text(source.read_text().replace('VALUE = "myapp 0.1"', 'VALUE = "myapp edited"'))
    second = run([*shell, "myapp"], check=True)
    assert second.stdout.strip() == expected.replace("myapp 0.1", "myapp edited")
    assert "building" not in second.stderr  # the edit needed no rebuild
    # One copy of each distribution, built and in the shell (the development install stands
    # in for myapp everywhere; the wheel proj/dist/ still holds is not installed with myapp).
    for built in (env, nix_build(proj / "env" / "shell.nix")):
        copies = closure_distributions(built)
        assert {name: paths for name, paths in copies.items() if len(paths) > 1} == {}
        assert {"myapp", "gitlib", "subpkg", "locallib", "wheeled"} <= set(copies)
    # the lock is still fresh: code is not metadata
    check = mach2(
        proj, "env", "env", "-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"
    )
    assert "env/mach2.lock is up to date" in check.stderr


def test_git_and_path_packages_in_a_lock_of_every_system(tmp_path: Path) -> None:
    """A git subdirectory and a local path locked for the four systems: each is written once
    (its artifact does not depend on the system), every system evaluates with the same
    sources, and the host's builds and imports them."""
    repo, commit = upstream(tmp_path, str(tmp_path))
    proj = tmp_path / "proj"
    make_project(proj / "libs" / "locallib", "locallib", "2.0")
    (proj / "requirements.txt").write_text(
        f"gitlib @ git+{repo.as_uri()}@v1.0\n"
        f"subpkg @ git+{repo.as_uri()}@v1.0#subdirectory=sub/subpkg\n./libs/locallib\n"
    )
    locked = mach2(
        proj, "env", "env", "-r", "requirements.txt", "--python", "3.11", "--all-systems",
        "--cache-dir", tmp_path / "c",
    )  # fmt: skip
    assert locked.returncode == 0, locked.stderr
    document = json.loads((proj / "env" / "mach2.lock").read_text())
    assert set(document["systems"]) == set(SYSTEMS)
    for key in ("subpkg", "gitlib", "locallib"):
        entry = document["packages"][key]
        assert "artifact" in entry and "artifact" not in str(entry.get("systems", {})), key
    assert document["packages"]["subpkg"]["artifact"]["rev"] == commit
    sources = set()
    for system in document["systems"]:
        pkgs = f'import {STANDIN} {{ system = "{system}"; }}'
        expr = f"(import {proj / 'env'} {{ pkgs = {pkgs}; }})"
        assert nix_eval(f"{expr}.drvPath").endswith("-env.drv")
        sources.add(nix_eval(f"builtins.toString {expr}.python.pkgs.subpkg.src"))
    assert len(sources) == 1  # one checkout, whatever the system
    env = nix_build(proj / "env")
    assert python(env, "import subpkg, locallib; print(subpkg.VALUE, locallib.VALUE)") == (
        "subpkg 0.5 locallib 2.0"
    )


def test_a_changed_pycache_does_not_rebuild_a_local_path(tmp_path: Path) -> None:
    proj = git_repository(tmp_path / "proj")
    make_project(proj / "libs" / "locallib", "locallib", "2.0")
    (proj / "libs" / "locallib" / ".gitignore").write_text("build/\n")
    (proj / "requirements.txt").write_text("./libs/locallib\n")
    assert mach2(proj, "lock", "-r", "requirements.txt", *TARGET, "--offline").returncode == 0
    expr = (
        f"(import {LIBRARY} {{ pkgs = import {STANDIN} {{ }}; }}).mkPython "
        f"{{ requirements = builtins.readFile {proj}/requirements.txt; lockFile = {proj}/mach2.lock; }}"
    )
    before = nix_eval(f"({expr}).drvPath")
    cache = proj / "libs" / "locallib" / "locallib" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"\0\0")
    (proj / "libs" / "locallib" / "build").mkdir()
    (proj / "libs" / "locallib" / "build" / "junk").write_text("x")
    assert nix_eval(f"({expr}).drvPath") == before
    (proj / "libs" / "locallib" / "locallib" / "extra.py").write_text("X = 1\n")
    assert nix_eval(f"({expr}).drvPath") != before


@pytest.mark.parametrize("transport", ["http", "daemon"])
def test_git_over_the_network_is_a_fixed_output_fetch(tmp_path: Path, transport: str) -> None:
    repo, commit = upstream(tmp_path, f"{tmp_path} {transport}")
    served = tmp_path / "served"
    bare_copy(repo, served / "upstream.git")
    proj = tmp_path / "proj"
    proj.mkdir()
    server = http_server(served) if transport == "http" else git_daemon(served)
    with server as base:
        (proj / "requirements.txt").write_text(
            f"gitlib @ git+{base}/upstream.git@v1.0\n"
            f"subpkg @ git+{base}/upstream.git@v1.0#subdirectory=sub/subpkg\n"
        )
        locked = mach2(
            proj, "env", "env", "-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"
        )
        assert locked.returncode == 0, locked.stderr
        built = run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(proj / "env")], check=True)
    # the fixed-output derivation ran (its name carries the key and the commit)
    assert f"gitlib-{commit[:12]}-source.drv" in built.stderr
    env = Path(built.stdout.strip().splitlines()[-1])
    assert python(env, "import gitlib, subpkg; print(gitlib.MARK, subpkg.VALUE)") == (
        f"{tmp_path} {transport} subpkg 0.5"
    )


def test_a_wrong_nar_hash_fails_the_fetch(tmp_path: Path) -> None:
    repo, _ = upstream(tmp_path, f"{tmp_path} wrong")
    served = tmp_path / "served"
    bare_copy(repo, served / "upstream.git")
    proj = tmp_path / "proj"
    proj.mkdir()
    with http_server(served) as base:
        (proj / "requirements.txt").write_text(f"gitlib @ git+{base}/upstream.git@v1.0\n")
        assert mach2(proj, "env", "env", "-r", "requirements.txt", *TARGET).returncode == 0
        lock = proj / "env" / "mach2.lock"
        data = json.loads(lock.read_text())
        data["packages"]["gitlib"]["artifact"]["nar-hash"] = "sha256-" + "A" * 43 + "="
        lock.write_text(json.dumps(data))
        failed = run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(proj / "env")])
    assert failed.returncode != 0
    assert "hash mismatch in fixed-output derivation" in failed.stderr


def test_build_python_application_of_the_project_itself(tmp_path: Path) -> None:
    proj = git_repository(tmp_path / "proj")
    make_project(proj / "libs" / "helper", "helper", "1.5")
    make_project(proj, "solo", "3.0", deps=["helper"], scripts={"solo": "solo:main"},
                 code="def main():\n    import helper\n    print(VALUE, 'with', helper.VALUE)\n")  # fmt: skip
    (proj / "requirements.txt").write_text("./libs/helper\n")
    locked = mach2(
        proj, "lock", "-r", "pyproject.toml", "-r", "requirements.txt", *TARGET, "--offline"
    )
    assert locked.returncode == 0, locked.stderr
    (proj / "default.nix").write_text(
        f"let pkgs = import {STANDIN} {{ }}; mach2 = import {LIBRARY} {{ inherit pkgs; }}; in\n"
        "mach2.buildPythonApplication { src = ./.; lockFile = ./mach2.lock; }\n"
    )
    app = nix_build(proj / "default.nix")
    done = subprocess.run([app / "bin" / "solo"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "solo 3.0 with helper 1.5"


def test_gen_embeds_the_lock_and_finds_local_paths(tmp_path: Path) -> None:
    proj = git_repository(tmp_path / "proj")
    make_project(proj / "libs" / "locallib", "locallib", "2.0")
    (proj / "requirements.txt").write_text("./libs/locallib\n")
    out = proj / "nix" / "env.nix"
    out.parent.mkdir()
    done = mach2(proj, "gen", "-r", "requirements.txt", *TARGET, "--offline", "-o", "nix/env.nix")
    assert done.returncode == 0, done.stderr
    assert f"root = {proj / 'nix'};" in out.read_text()
    env = nix_build(out)
    assert python(env, "import locallib; print(locallib.VALUE)") == "locallib 2.0"


def test_a_missing_local_path_is_named(tmp_path: Path) -> None:
    proj = git_repository(tmp_path / "proj")
    make_project(proj / "libs" / "locallib", "locallib", "2.0")
    (proj / "requirements.txt").write_text("./libs/locallib\n")
    assert mach2(proj, "env", "env", "-r", "requirements.txt", *TARGET, "--offline").returncode == 0
    shutil.rmtree(proj / "libs")
    failed = run(["nix-instantiate", *NIX_OPTIONS, str(proj / "env")])
    assert failed.returncode != 0
    assert (
        f"locked package `locallib` is the local directory {proj}/libs/locallib, which does not "
        "exist; lock again (mach2 lock) or restore it"
    ) in failed.stderr


@pytest.mark.skipif(
    not os.environ.get("MACH2_TEST_NIXPKGS"),
    reason="MACH2_TEST_NIXPKGS (a real nixpkgs) is not set",
)
def test_real_nixpkgs_fetchgit_takes_the_arguments() -> None:
    """sources.nix's fetchgit call, evaluated against a real nixpkgs: the fixed-output hash
    is the lock's NAR hash and the name is kept (pkgs/build-support/fetchgit/default.nix)."""
    nar = "sha256-" + "A" * 43 + "="
    drv = nix_eval(
        f"let pkgs = import {os.environ['MACH2_TEST_NIXPKGS']} {{ }}; "
        f"s = (import {LIBRARY} {{ inherit pkgs; }}).internal.sources; "
        f'd = s.gitTree "lib" {{ url = "https://example.org/r.git"; rev = "{"0" * 40}"; "nar-hash" = "{nar}"; }}; '
        "in { inherit (d) outputHash outputHashMode name; }"
    )
    assert drv["outputHashMode"] == "recursive"
    assert drv["name"] == "lib-000000000000-source"
    assert drv["outputHash"] in (nar, "sha256:" + "0" * 52) or drv["outputHash"].startswith(
        "sha256"
    )


def test_a_uv_project_with_git_path_and_editable_sources_builds_from_uv_lock(
    tmp_path: Path,
) -> None:
    """``mach2 env ./env -r uv.lock`` gives what ``uv sync`` would: the project (editable in
    the shell) with its git, subdirectory and path dependencies at uv's commits."""
    repo, commit = upstream(tmp_path, str(tmp_path))
    proj = git_repository(tmp_path / "proj")
    make_project(proj / "libs" / "locallib", "locallib", "2.0")
    make_project(proj, "myapp", "0.1", deps=["locallib", "gitlib", "subpkg"],
                 layout="src", scripts={"myapp": "myapp:main"},
                 code="def main():\n    import gitlib, subpkg, locallib\n"
                      "    print(VALUE, gitlib.VALUE, subpkg.VALUE, locallib.VALUE)\n")  # fmt: skip
    with (proj / "pyproject.toml").open("a") as f:
        f.write(
            f'\n[tool.uv.sources]\nlocallib = {{ path = "libs/locallib" }}\n'
            f'gitlib = {{ git = "{repo.as_uri()}", tag = "v1.0" }}\n'
            f'subpkg = {{ git = "{repo.as_uri()}", subdirectory = "sub/subpkg" }}\n'
        )
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    done = subprocess.run(
        [uv, "lock", "-q", "-p", sys.executable], cwd=proj, capture_output=True, text=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    locked = mach2(proj, "env", "env", "-r", "uv.lock", *TARGET, "--cache-dir", tmp_path / "c")
    assert locked.returncode == 0, locked.stderr
    lock = json.loads((proj / "env" / "mach2.lock").read_text())
    assert lock["packages"]["subpkg"]["artifact"]["rev"] == commit
    env = nix_build(proj / "env")
    expected = "myapp 0.1 gitlib 1.0 subpkg 0.5 locallib 2.0"
    assert (
        subprocess.run([env / "bin" / "myapp"], capture_output=True, text=True).stdout.strip()
        == expected
    )
    assert python(env, "import myapp; print(myapp.__file__)").startswith("/nix/store/")
    shell = ["nix-shell", *NIX_OPTIONS, str(proj / "env"), "--run"]
    first = run([*shell, "python -c 'import myapp; print(myapp.__file__)'"], check=True)
    assert first.stdout.strip() == str(proj / "src" / "myapp" / "__init__.py")
    source = proj / "src" / "myapp" / "__init__.py"
    source.write_text(source.read_text().replace('VALUE = "myapp 0.1"', 'VALUE = "myapp edited"'))
    second = run([*shell, "myapp"], check=True)
    assert second.stdout.strip() == expected.replace("myapp 0.1", "myapp edited")
    assert "building" not in second.stderr  # the edit needed no rebuild
    check = mach2(proj, "env", "env", "-r", "uv.lock", *TARGET, "--cache-dir", tmp_path / "c")
    assert "env/mach2.lock is up to date" in check.stderr
