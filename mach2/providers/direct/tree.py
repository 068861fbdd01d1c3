"""Local source trees: which directories may be used, which of their files count, and how a
development ("editable") install finds the code.

**The project** is the git working tree that holds the first input file (the requirements
file, pyproject.toml, or ``--project DIR``): the nearest directory upwards with a ``.git``;
without one, the input file's own directory.  A local directory requirement (``./pkg``,
``-e .``, ``file:///…``) must lie inside the project after symbolic links are resolved: a
collaborator's checkout has it, Nix reads it in pure evaluation (a flake sees its own tree),
and a requirements file cannot copy ``~/.ssh`` into the world-readable Nix store.  Wheels and
sdists named by path are hashed files and may lie anywhere.

**Which files count** (the same rules as mach2/nix/sources.nix, which filters what Nix copies,
and as ``git check-ignore``, which the tests compare both with): a built-in list
(:data:`BUILTIN_IGNORES`: ``.git``, caches, bytecode, ``result`` links) and then every
``.gitignore`` from the tree's top down, in git's semantics: ``#`` comments, ``!`` negation,
a trailing ``/`` for directories, a ``/`` elsewhere anchors the pattern to its file's
directory, ``*``/``?``/``[…]`` within a name, ``**`` across directories, the last matching
rule wins, and an ignored directory hides everything in it.  ``.gitignore`` files above the
tree and ``.git/info/exclude`` are not read.

**Staleness**: a lock records a hash of the files that decide a local project's metadata
(:data:`METADATA_FILES`), not of its code: editing code never makes a lock stale (Nix builds
the path's current content), changing its dependencies does.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

__all__ = [
    "BUILTIN_IGNORES",
    "METADATA_FILES",
    "IgnoreRule",
    "copy_tree",
    "find_project_root",
    "import_paths",
    "is_inside",
    "metadata_sha256",
    "parse_gitignore",
    "tree_files",
]

#: Ignored in every local tree before its own .gitignore files (which may re-include them).
BUILTIN_IGNORES = (
    "__pycache__/",
    "*.py[cod]",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".tox/",
    ".nox/",
    ".venv/",
    "/result",
    "/result-*",
)
#: Never part of a tree, whatever the .gitignore files say (as Nix's git fetchers).
_ALWAYS = frozenset({".git"})
#: The files whose content decides a local project's name, version and dependencies.
METADATA_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "PKG-INFO")

#: One token of a gitignore pattern; the same regular expression as sources.nix (POSIX ERE
#: there, Python's re here; the alternatives are ordered longest first so both agree).
_TOKEN = re.compile(r"(/\*\*/|/\*\*$|\*\*/|\*\*|\*|\?|\[[^]]*\]|\\.)")
_SPECIAL = frozenset(".^$+(){}|\\[]*?")


@frozen
class IgnoreRule:
    """One .gitignore line: a regular expression on the path relative to the file's directory."""

    regex: str
    negated: bool
    directory_only: bool

    def matches(self, relative: str, is_directory: bool) -> bool:
        if self.directory_only and not is_directory:
            return False
        return re.fullmatch(self.regex, relative) is not None


def parse_gitignore(text: str) -> tuple[IgnoreRule, ...]:
    """The rules of a .gitignore file, in order.

    >>> parse_gitignore("# c\\n/build/\\n*.log\\n!keep.log")[1].regex
    '(.*/)?[^/]*\\\\.log'
    """
    rules = []
    for raw in text.splitlines():
        line = _strip_trailing_spaces(raw)
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated or line.startswith(("\\!", "\\#")):
            line = line[1:]
        directory_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.removeprefix("/")
        regex = "".join(_translate(line))
        rules.append(
            IgnoreRule(
                regex=regex if anchored else "(.*/)?" + regex,
                negated=negated,
                directory_only=directory_only,
            )
        )
    return tuple(rules)


def _strip_trailing_spaces(line: str) -> str:
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped + " "  # "\ " keeps one space
    return stripped


def _translate(pattern: str) -> Iterator[str]:
    for index, piece in enumerate(_TOKEN.split(pattern)):
        if index % 2 == 0:
            yield "".join("\\" + c if c in _SPECIAL else c for c in piece)
        elif piece == "/**/":
            yield "/(.*/)?"
        elif piece == "/**":
            yield "/.*"
        elif piece == "**/":
            yield "(.*/)?" if index == 1 and not _TOKEN.split(pattern)[0] else "[^/]*/"
        elif piece in ("**", "*"):
            yield "[^/]*"
        elif piece == "?":
            yield "[^/]"
        elif piece.startswith("["):
            inner = piece[1:-1]
            yield "[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]"
        else:  # an escaped character
            yield "\\" + piece[1] if piece[1] in _SPECIAL else piece[1]


_BUILTIN_RULES = parse_gitignore("\n".join(BUILTIN_IGNORES))


def _ignored(rules: Sequence[tuple[str, IgnoreRule]], relative: str, is_directory: bool) -> bool:
    """Whether ``relative`` (to the tree's top) is ignored: the last matching rule decides.
    Each rule comes with the directory of its .gitignore, relative to the top (``""``)."""
    found = False
    for base, rule in rules:
        if base:
            if not relative.startswith(base + "/"):
                continue
            inner = relative[len(base) + 1 :]
        else:
            inner = relative
        if rule.matches(inner, is_directory):
            found = not rule.negated
    return found


def tree_files(top: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry of the tree that counts, as ``(relative path, lstat)``, directories
    before their contents, sorted by name; symbolic links are not followed."""

    def walk(
        directory: Path, relative: str, rules: list[tuple[str, IgnoreRule]]
    ) -> Iterator[tuple[str, os.stat_result]]:
        own = directory / ".gitignore"
        if own.is_file() and not own.is_symlink():  # as sources.nix: a regular file only
            try:
                text = own.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            rules = [*rules, *((relative, r) for r in parse_gitignore(text))]
        for name in sorted(os.listdir(directory)):
            if name in _ALWAYS:
                continue
            path = directory / name
            info = os.lstat(path)
            is_directory = stat.S_ISDIR(info.st_mode)
            inner = f"{relative}/{name}" if relative else name
            if _ignored(rules, inner, is_directory):
                continue
            yield inner, info
            if is_directory:
                yield from walk(path, inner, rules)

    yield from walk(top, "", [("", r) for r in _BUILTIN_RULES])


def copy_tree(top: Path, destination: Path) -> None:
    """Copy what counts of ``top`` to ``destination`` (which must not exist); links stay links."""
    destination.mkdir(parents=True)
    for relative, info in tree_files(top):
        source, target = top / relative, destination / relative
        if stat.S_ISDIR(info.st_mode):
            target.mkdir()
        elif stat.S_ISLNK(info.st_mode):
            target.symlink_to(os.readlink(source))
        elif stat.S_ISREG(info.st_mode):
            shutil.copyfile(source, target)
            if info.st_mode & stat.S_IXUSR:
                target.chmod(0o755)


def find_project_root(start: Path) -> Path:
    """The git working tree holding ``start`` (a directory), else ``start``; resolved."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` lies in ``root`` once symbolic links are resolved."""
    return path.resolve().is_relative_to(root.resolve())


def metadata_sha256(directory: Path) -> str:
    """A sha256 over the files that decide the project's metadata (:data:`METADATA_FILES`),
    absent ones included as absent: the lock's staleness key for a local path."""
    digest = hashlib.sha256()
    for name in METADATA_FILES:
        try:
            data = (directory / name).read_bytes()
        except FileNotFoundError:
            digest.update(f"{name}\0absent\0".encode())
            continue
        except OSError:
            data = b"\0unreadable\0"
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def import_paths(directory: Path) -> tuple[str, ...]:
    """The directories (relative to the project, ``.`` for itself) that a development install
    puts on ``sys.path``, so ``import name`` finds the working tree's code.

    From the build backend's configuration when it says (setuptools ``package-dir`` and
    ``packages.find.where``, hatch's wheel ``packages`` and ``sources``, poetry's ``from``,
    flit and pdm's ``src`` layout is found below), else ``src`` when that directory holds a
    package or module, else the project directory itself.
    """
    pyproject = _pyproject(directory)
    tool = pyproject.get("tool", {}) if isinstance(pyproject, dict) else {}
    found: list[str] = []
    setuptools = tool.get("setuptools", {})
    if isinstance(setuptools, dict):
        package_dir = setuptools.get("package-dir", {})
        if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
            found.append(package_dir[""])
        packages = setuptools.get("packages", {})
        find = packages.get("find", {}) if isinstance(packages, dict) else {}
        where = find.get("where") if isinstance(find, dict) else None
        if isinstance(where, list):
            found += [w for w in where if isinstance(w, str)]
    wheel = _get(tool, "hatch", "build", "targets", "wheel")
    if isinstance(wheel, dict):
        for package in wheel.get("packages", []) if isinstance(wheel.get("packages"), list) else []:
            if isinstance(package, str):
                found.append(os.path.dirname(package.rstrip("/")) or ".")
        sources = wheel.get("sources")
        if isinstance(sources, list):
            found += [s for s in sources if isinstance(s, str)]
        elif isinstance(sources, dict):
            found += [k for k in sources if isinstance(k, str) and k]
    poetry_packages = _get(tool, "poetry", "packages")
    if isinstance(poetry_packages, list):
        for package in poetry_packages:
            if isinstance(package, dict) and isinstance(package.get("from"), str):
                found.append(package["from"])
    cleaned = [_clean(p) for p in found]
    paths = tuple(dict.fromkeys(p for p in cleaned if p is not None))
    if paths:
        return paths
    if _holds_python(directory / "src"):
        return ("src",)
    return (".",)


def _clean(path: str) -> str | None:
    """A relative path inside the project, normalized; anything else is dropped."""
    normal = os.path.normpath(path) if path else "."
    if os.path.isabs(normal) or normal == ".." or normal.startswith("../"):
        return None
    return normal


def _holds_python(directory: Path) -> bool:
    try:
        entries = list(directory.iterdir())
    except OSError:
        return False
    return any((e.is_dir() and (e / "__init__.py").is_file()) or e.suffix == ".py" for e in entries)


def _pyproject(directory: Path) -> dict[str, Any]:
    try:
        with (directory / "pyproject.toml").open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _get(table: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table
