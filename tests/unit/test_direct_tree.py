"""Local trees (mach2.providers.direct.tree): git's ignore rules, checked against git itself,
the project root, what a development install puts on sys.path, the staleness hash."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mach2.providers.direct.tree import (
    copy_tree,
    find_project_root,
    import_paths,
    is_inside,
    metadata_sha256,
    parse_gitignore,
    tree_files,
)

#: A .gitignore exercising git's syntax, and files it decides about (tests/nix reuses them).
GITIGNORE = (
    r"""# a comment
*.log
!keep.log
/build/
docs/*.tmp
**/cache
foo/**/bar
abc/**
data?.txt
[ab]x.txt
[!c]y.txt
sub/
\#hash
\!bang
"""
    + "trailing\\ \nspaces   \n"
)  # an escaped trailing space is kept, plain ones are not
FILES = [
    "a.log", "keep.log", "x/keep.log", "build/f", "x/build/f", "docs/a.tmp", "docs/inner/a.tmp",
    "foo/a/b/bar/f", "foo/bar/f", "abc/d/e", "abc/f", "data1.txt", "data12.txt", "ax.txt",
    "cx.txt", "ay.txt", "cy.txt", "sub/f", "deep/sub/f", "y/cache/f", "#hash", "!bang",
    "trailing ", "spaces", "z.py", "n/a.txt", "n/important.txt", "n/deeper/b.txt",
    "pkg/__pycache__/m.cpython-311.pyc", "pkg/m.pyc", "pkg/m.py", "result", "x/result",
    ".venv/bin/python", "src/.git", "env/mach2.lock",
]  # fmt: skip


def make_tree(top: Path) -> Path:
    top.mkdir(parents=True, exist_ok=True)
    (top / ".gitignore").write_text(GITIGNORE)
    for name in FILES:
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    (top / "n" / ".gitignore").write_text("*.txt\n!important.txt\n")
    return top


def git_kept(top: Path) -> set[str]:
    """What git would keep (not ignored), asking ``git check-ignore`` about every path."""
    everything = sorted(
        str(p.relative_to(top)) for p in top.rglob("*") if ".git" not in p.relative_to(top).parts
    )
    # The built-in rules are not git's: give git the same ones, as a global excludes file.
    excludes = top.parent / "builtin-excludes"
    excludes.write_text(
        "__pycache__/\n*.py[cod]\n.mypy_cache/\n.pytest_cache/\n.ruff_cache/\n.tox/\n.nox/\n"
        ".venv/\n/result\n/result-*\n"
    )
    done = subprocess.run(
        ["git", "-c", f"core.excludesFile={excludes}", "check-ignore", "--no-index", "--stdin"],
        cwd=top, input="\n".join(everything), capture_output=True, text=True, check=False,
    )  # fmt: skip
    ignored = set(done.stdout.split("\n"))

    def kept(path: str) -> bool:
        parts = path.split("/")
        return not any("/".join(parts[: i + 1]) in ignored for i in range(len(parts)))

    return {p for p in everything if kept(p)}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_ignore_rules_agree_with_git(tmp_path: Path) -> None:
    top = make_tree(tmp_path / "tree")
    subprocess.run(["git", "init", "-q", str(top)], check=True)  # check-ignore needs a repository
    ours = {p for p, _ in tree_files(top)}
    assert ours == git_kept(top)  # .git (and src/.git) are left out by both
    # and what they agree on is what a user expects
    assert {"keep.log", "x/keep.log", "n/important.txt", "pkg/m.py", "x/result"} <= ours
    assert not {"a.log", "build", "pkg/__pycache__", "pkg/m.pyc", "result", ".venv"} & ours


def test_parse_gitignore_regexes() -> None:
    rules = parse_gitignore("/build/\n*.log\n!keep.log\nfoo/**/bar\n**/cache\n")
    assert [(r.regex, r.negated, r.directory_only) for r in rules] == [
        ("build", False, True),
        ("(.*/)?[^/]*\\.log", False, False),
        ("(.*/)?keep\\.log", True, False),
        ("foo/(.*/)?bar", False, False),
        ("(.*/)?cache", False, False),
    ]


def test_copy_tree_keeps_links_and_modes(tmp_path: Path) -> None:
    top = tmp_path / "top"
    (top / "pkg").mkdir(parents=True)
    (top / "pkg" / "run.sh").write_text("#!/bin/sh\n")
    (top / "pkg" / "run.sh").chmod(0o755)
    (top / "link").symlink_to("pkg/run.sh")
    (top / "pkg" / "__pycache__").mkdir()
    (top / "pkg" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    copy_tree(top, tmp_path / "copy")
    assert os.readlink(tmp_path / "copy" / "link") == "pkg/run.sh"
    assert os.access(tmp_path / "copy" / "pkg" / "run.sh", os.X_OK)
    assert not (tmp_path / "copy" / "pkg" / "__pycache__").exists()


def test_project_root_is_the_git_working_tree(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "services" / "a").mkdir(parents=True)
    assert find_project_root(tmp_path / "repo" / "services" / "a") == (tmp_path / "repo").resolve()
    (tmp_path / "plain" / "sub").mkdir(parents=True)
    assert find_project_root(tmp_path / "plain" / "sub") == (tmp_path / "plain" / "sub").resolve()


def test_inside_follows_links(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "project" / "escape").symlink_to(tmp_path / "outside")
    assert is_inside(tmp_path / "project" / "x", tmp_path / "project")
    assert not is_inside(tmp_path / "project" / "escape", tmp_path / "project")
    assert not is_inside(tmp_path / "project" / ".." / "outside", tmp_path / "project")


@pytest.mark.parametrize(
    ("pyproject", "dirs", "expected"),
    [
        ("", ["src/pkg"], ("src",)),
        ("", ["pkg"], (".",)),
        ('[tool.setuptools.package-dir]\n"" = "lib"\n', [], ("lib",)),
        ('[tool.setuptools.packages.find]\nwhere = ["code"]\n', [], ("code",)),
        ('[tool.hatch.build.targets.wheel]\npackages = ["src/pkg"]\n', [], ("src",)),
        ('[tool.poetry]\npackages = [{include = "pkg", from = "python"}]\n', [], ("python",)),
        ('[tool.setuptools.package-dir]\n"" = "../escape"\n', [], (".",)),
    ],
)
def test_import_paths(
    tmp_path: Path, pyproject: str, dirs: list[str], expected: tuple[str, ...]
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    for directory in dirs:
        (tmp_path / directory).mkdir(parents=True)
        (tmp_path / directory / "__init__.py").write_text("")
    assert import_paths(tmp_path) == expected


def test_metadata_hash_ignores_code(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\n')
    first = metadata_sha256(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    assert metadata_sha256(tmp_path) == first
    (tmp_path / "setup.cfg").write_text("[metadata]\n")
    assert metadata_sha256(tmp_path) != first
