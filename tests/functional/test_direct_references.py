"""``mach2 lock`` of the inputs people really have (issue 11): a git repository at a tag, a
``#subdirectory=`` package of it, a local path and ``-e .`` of a small project, ``--project``
and ``-r pyproject.toml`` with a ``[build-system]``; what goes wrong, in one line with nothing
written; and a lock going stale, saying what changed.

Everything is made in the test (tests/fixtures/direct/projects.py: projects build with their
own PEP 517 backend), so nothing here needs PyPI.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from test_cli_lock import assert_one_line_error, fails_cleanly, run, write

from mach2.lock.model import read_lock
from mach2.providers.direct.nar import nar_sha256, sri_sha256

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
from projects import commit_all, git, git_repository, make_project

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
TARGET = ["--python", "3.11", "--system", "x86_64-linux"]


def upstream(tmp_path: Path) -> tuple[Path, str]:
    """A repository tagged v1.0: `gitlib` at its top, `subpkg` (dynamic dependencies, so its
    metadata comes from its PEP 517 hook) in sub/subpkg."""
    repo = git_repository(tmp_path / "upstream")
    make_project(repo, "gitlib", "1.0", scripts={"gitlib-hello": "gitlib:hello"},
                 code="def hello():\n    print('hello from gitlib')\n")  # fmt: skip
    make_project(repo / "sub" / "subpkg", "subpkg", "0.5", deps=["gitlib"], dynamic_deps=True)
    commit = commit_all(repo, "v1.0")
    git(repo, "tag", "v1.0")
    return repo, commit


def project(tmp_path: Path, repo: Path) -> Path:
    """A project (its own git working tree) with a local library and a requirements file."""
    proj = git_repository(tmp_path / "proj")
    make_project(proj, "myapp", "0.1", deps=["locallib", "gitlib", "subpkg"], layout="src",
                 scripts={"myapp": "myapp:main"},
                 code="def main():\n    import gitlib, subpkg, locallib\n"
                      "    print(VALUE, gitlib.VALUE, subpkg.VALUE, locallib.VALUE)\n")  # fmt: skip
    make_project(proj / "libs" / "locallib", "locallib", "2.0")
    write(proj / "requirements.txt",
          f"gitlib @ git+{repo.as_uri()}@v1.0\n"
          f"subpkg @ git+{repo.as_uri()}@v1.0#subdirectory=sub/subpkg\n"
          "./libs/locallib\n"
          "-e .\n")  # fmt: skip
    return proj


def lock_data(path: Path) -> dict[str, object]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_git_subdirectory_path_and_editable_lock(tmp_path: Path) -> None:
    repo, commit = upstream(tmp_path)
    proj = project(tmp_path, repo)
    result = run(proj, "lock", "-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c")
    assert result.returncode == 0, result.stderr
    lock = read_lock(proj / "mach2.lock")
    assert lock.roots == ("gitlib", "locallib", "myapp", "subpkg")
    packages = lock.packages
    assert {k: (p.version, p.provider) for k, p in packages.items()} == {
        "gitlib": ("1.0", "git"), "subpkg": ("0.5", "git"),
        "locallib": ("2.0", "path"), "myapp": ("0.1", "path"),
    }  # fmt: skip
    # git: the commit the tag named, and the NAR hash of the checkout (tests/nix checks Nix's)
    with_tree = tmp_path / "checkout"
    shutil.copytree(repo, with_tree, ignore=shutil.ignore_patterns(".git"))
    gitlib = packages["gitlib"].artifact.to_json()
    assert gitlib == {
        "kind": "git", "url": repo.as_uri(), "ref": "v1.0", "rev": commit,
        "nar-hash": sri_sha256(nar_sha256(with_tree)),
    }  # fmt: skip
    assert packages["subpkg"].artifact.to_json() == {**gitlib, "subdirectory": "sub/subpkg"}
    assert packages["subpkg"].dependencies == {"gitlib": "gitlib"}  # from its PEP 517 hook
    assert packages["gitlib"].why_provider == f"git: a direct reference to {repo.as_uri()} at v1.0"
    # local paths: relative to the lock, no host path anywhere in the lock
    assert packages["locallib"].artifact.to_json() == {"kind": "path", "path": "libs/locallib"}
    assert packages["myapp"].artifact.to_json() == {"kind": "path", "path": "."}
    assert packages["myapp"].extra["editable"] == {
        "import-paths": ["src"], "scripts": {"myapp": "myapp:main"},
    }  # fmt: skip
    assert "editable" not in packages["locallib"].extra
    assert str(tmp_path) not in (proj / "mach2.lock").read_text().replace(repo.as_uri(), "")
    assert set(lock.inputs.paths) == {".", "libs/locallib"}


def test_a_lock_elsewhere_records_paths_relative_to_itself(tmp_path: Path) -> None:
    repo, _ = upstream(tmp_path)
    proj = project(tmp_path, repo)
    result = run(
        proj, "env", "env", "-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"
    )
    assert result.returncode == 0, result.stderr
    packages = read_lock(proj / "env" / "mach2.lock").packages
    assert packages["locallib"].artifact.extra["path"] == "../libs/locallib"
    assert packages["myapp"].artifact.extra["path"] == ".."
    again = run(
        proj, "env", "env", "-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"
    )
    assert "env/mach2.lock is up to date" in again.stderr


def test_the_lock_goes_stale_and_says_why(tmp_path: Path) -> None:
    repo, _ = upstream(tmp_path)
    (repo / "README").write_text("v2\n")
    commit_all(repo, "v2")
    git(repo, "tag", "v2.0")
    proj = project(tmp_path, repo)
    options = ["-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"]
    assert run(proj, "lock", *options).returncode == 0
    assert run(proj, "lock", *options, "--check").returncode == 0
    # editing code does not make the lock stale; editing a local path's metadata does
    (proj / "libs" / "locallib" / "locallib" / "__init__.py").write_text("VALUE = 'edited'\n")
    assert run(proj, "lock", *options, "--check").returncode == 0
    pyproject = proj / "libs" / "locallib" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "2.0"', 'version = "2.1"'))
    stale = run(proj, "lock", *options, "--check")
    assert assert_one_line_error(stale) == (
        "error: mach2.lock is stale: local path libs/locallib changed "
        "(its pyproject.toml, setup.py, setup.cfg or PKG-INFO)"
    )
    assert run(proj, "lock", *options).returncode == 0
    assert read_lock(proj / "mach2.lock").packages["locallib"].version == "2.1"
    # a changed tag is named
    text = (proj / "requirements.txt").read_text()
    write(proj / "requirements.txt", text.replace("@v1.0\n", "@v2.0\n", 1))
    stale = run(proj, "lock", *options, "--check")
    commit = read_lock(proj / "mach2.lock").packages["gitlib"].artifact.extra["rev"]
    assert assert_one_line_error(stale) == (
        "error: mach2.lock is stale: requirements.txt changed; requirements.txt:1: gitlib asks "
        f"for v2.0, the lock has v1.0 ({str(commit)[:12]})"
    )


def test_a_branch_moves_only_when_locked_again(tmp_path: Path) -> None:
    repo, first = upstream(tmp_path)
    proj = git_repository(tmp_path / "proj")
    write(proj / "requirements.txt", f"gitlib @ git+{repo.as_uri()}@main\n")
    options = ["-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"]
    assert run(proj, "env", "env", *options).returncode == 0
    (repo / "README").write_text("moved\n")
    moved = commit_all(repo, "moved")
    assert run(proj, "env", "env", *options).returncode == 0  # inputs unchanged: lock kept
    assert read_lock(proj / "env" / "mach2.lock").packages["gitlib"].artifact.extra["rev"] == first
    assert run(proj, "env", "env", *options, "--upgrade").returncode == 0
    assert read_lock(proj / "env" / "mach2.lock").packages["gitlib"].artifact.extra["rev"] == moved


def test_offline_relock_from_the_cache(tmp_path: Path) -> None:
    repo, _ = upstream(tmp_path)
    proj = project(tmp_path, repo)
    options = ["-r", "requirements.txt", *TARGET, "--cache-dir", tmp_path / "c"]
    assert run(proj, "lock", *options, "-o", "a.lock").returncode == 0
    shutil.rmtree(repo)
    result = run(proj, "lock", *options, "--offline", "-o", "b.lock")
    assert result.returncode == 0, result.stderr
    assert (proj / "a.lock").read_text() == (proj / "b.lock").read_text()


def test_project_option_and_pyproject_with_a_build_system(tmp_path: Path) -> None:
    proj = git_repository(tmp_path / "proj")
    make_project(proj, "solo", "3.0", scripts={"solo": "solo:main"})
    result = run(proj, "lock", "--project", ".", *TARGET, "--offline", "-o", "p.lock")
    assert result.returncode == 0, result.stderr
    by_option = read_lock(proj / "p.lock")
    assert by_option.roots == ("solo",)
    assert by_option.packages["solo"].artifact.to_json() == {"kind": "path", "path": "."}
    assert by_option.packages["solo"].extra["editable"]["scripts"] == {"solo": "solo:main"}
    result = run(proj, "lock", "-r", "pyproject.toml", *TARGET, "--offline", "-o", "r.lock")
    assert result.returncode == 0, result.stderr
    by_file = read_lock(proj / "r.lock")
    assert by_file.packages == by_option.packages
    assert by_file.packages["solo"].why_provider == "path: a local directory (editable)"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("gitlib @ git+{missing}@v1.0", "error: requirements.txt:1: cannot reach the git repository {missing}: fatal: "),
        ("gitlib @ git+{repo}@v9.9", "error: requirements.txt:1: {repo} has no tag or branch 'v9.9'"),
        ("gitlib @ git+{repo}@v1.0#subdirectory=../../etc",
         "error: requirements.txt:1: subdirectory '../../etc' of 'git+{repo}@v1.0#subdirectory=../../etc' leaves the repository"),
        ("gitlib @ git+{repo}@v1.0#subdirectory=escape",
         "error: requirements.txt:1: subdirectory 'escape' of 'git+{repo}@v1.0#subdirectory=escape' leaves the repository (through a symbolic link)"),
        ("other @ git+{repo}@v1.0", "error: requirements.txt:1: git+{repo}@v1.0 is the project 'gitlib', not 'other'"),
        ("x @ ../outside", "error: requirements.txt:1: local directory '{tmp}/outside' is outside the project '{tmp}/proj'"),
        ("-e ./escape#egg=x", "error: requirements.txt:1: local directory '{tmp}/outside' is outside the project '{tmp}/proj'"),
        ("gitlib @ git+{repo}@v1.0#sha256=" + "0" * 64, "error: requirements.txt:1: a git URL has no file to hash"),
    ],
)  # fmt: skip
def test_hostile_inputs_fail_in_one_line_and_write_nothing(
    tmp_path: Path, line: str, expected: str
) -> None:
    repo = git_repository(tmp_path / "upstream")
    make_project(repo, "gitlib", "1.0")
    (repo / "escape").symlink_to("/etc")
    commit_all(repo, "v1.0")
    git(repo, "tag", "v1.0")
    make_project(tmp_path / "outside", "x", "1.0")
    proj = git_repository(tmp_path / "proj")
    (proj / "escape").symlink_to(tmp_path / "outside")
    names = {
        "repo": repo.as_uri(),
        "missing": (tmp_path / "missing").as_uri(),
        "tmp": str(tmp_path),
    }
    write(proj / "requirements.txt", line.format(**names) + "\n")
    error, _ = fails_cleanly(
        proj, "-r", "requirements.txt", *TARGET, "--cache-dir", str(tmp_path / "c")
    )
    assert error.startswith(expected.format(**names)), error
