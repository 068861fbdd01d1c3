"""A mach2 lock for other tools: PEP 751 ``pylock.toml`` or a requirements file with ``--hash``.

What is written is what the environment installs, file for file: the runtime packages (not
the ``build-only`` ones, which only build sdists), each with the one file mach2 locked for the
target (the wheel, the sdist, or the direct reference) and its sha256.  An export is for one
target (one system of the lock: ``system``, required when the lock has several), so it is
single-use: ``environments`` and ``requires-python`` name the target (pylock), a comment names
it (requirements); no per-package markers are needed.

Direct references keep their source: in pylock a git checkout is ``vcs`` (the locked commit,
the requested ref, the subdirectory), a local directory ``directory`` (``editable`` for a
development install; no ``version``: PEP 751 forbids one for a source tree), a local wheel or
sdist ``archive`` with its ``path`` and sha256.  Local paths are re-expressed relative to the
directory the export is written to (``output_dir``; PEP 751 reads them from the pylock's
directory), absolute ones stay absolute.  A requirements file takes the local files (by path,
with ``--hash``) but not git checkouts or directories: there is no file to hash, and pip's
hash-checking mode (which one ``--hash`` line turns on for the whole file) refuses them.

Packages from the ``conda`` and ``nixpkgs`` providers (and conda's own libraries,
``conda:<name>``) have no PyPI file: neither format can express them.  :func:`export` refuses
what the format cannot express, naming it, unless ``partial`` is given; then it is left out
and listed in :attr:`Export.left_out` (and, in pylock, under ``[tool.mach2] left-out``).

The lock is checked before anything is written: a local file must have the lock's sha256, a
directory must exist inside the project (the git working tree holding the lock), a git entry
must be a full commit whose URL and subdirectory mean the same when written out.  The pylock
text is checked with ``packaging.pylock``: a file that breaks PEP 751 is a bug here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from mach2.errors import InputError, LockError
from mach2.lock.model import Lock, LockedPackage, SystemLock
from mach2.model.target import Target
from mach2.providers.direct.git import parse_git_url
from mach2.providers.direct.tree import is_inside

__all__ = ["FORMATS", "Export", "chosen_system", "export"]

FORMATS = ("pylock", "requirements")
_DEFAULT_INDEX = "https://pypi.org/simple/"
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # sha1 or sha256 object names
_UNSAFE_IN_REQUIREMENTS = re.compile(r"[\s\x00-\x1f\x7f]")


@frozen(kw_only=True)
class Export:
    """The exported text and the packages it could not express (``name (why)``)."""

    text: str
    left_out: tuple[str, ...] = ()


@frozen(kw_only=True)
class _Paths:
    """Where the lock's relative paths start and where the export's must start."""

    lock_dir: Path
    output_dir: Path
    project: Path | None

    def written(self, path: str) -> str:
        """``path`` (relative to the lock, or absolute) as the export writes it."""
        if os.path.isabs(path):
            return path
        located = os.path.normpath(self.lock_dir / path)
        return Path(os.path.relpath(located, self.output_dir)).as_posix()


def chosen_system(lock: Lock, system: str | None, origin: str) -> SystemLock:
    """The system to export: ``system``, or the lock's only one.

    :raises LockError: the lock lacks ``system``, or has several and none was chosen.
    """
    if system is not None:
        return lock.system(system, origin=origin)
    if len(lock.systems) > 1:
        raise LockError(
            f"{origin} has several systems ({', '.join(lock.systems)}); an export is for one",
            hint="choose it with --system " + " or --system ".join(lock.systems),
        )
    return next(iter(lock.systems.values()))


def export(
    lock: Lock,
    format: str,
    *,
    origin: str = "mach2.lock",
    partial: bool = False,
    system: str | None = None,
    lock_dir: Path | None = None,
    output_dir: Path | None = None,
) -> Export:
    """``lock`` (its ``system``, or its only one) as ``pylock`` or ``requirements`` text.

    :param origin: how the lock is named in messages and in the export's header.
    :param partial: leave out what the format cannot express instead of refusing.
    :param lock_dir: the lock's directory, where its local paths start (needed when it has
        local directories or files: they are checked there).
    :param output_dir: the directory the export is written to; its local paths are written
        relative to it (default: ``lock_dir``).
    :raises LockError: an unknown format, packages the format cannot express (without
        ``partial``), a package without a sha256, no one system to export, or a direct
        reference that is broken or hostile (a local file with another sha256, a directory
        gone or outside the project, a git rev that is not a commit, a subdirectory that
        leaves the repository, a path a requirements file cannot hold).
    """
    if format not in FORMATS:
        raise LockError(
            f"unknown export format {format!r}", hint=f"choose one of {', '.join(FORMATS)}"
        )
    chosen = chosen_system(lock, system, origin)
    runtime = [p for _, p in sorted(chosen.packages.items()) if not p.build_only]
    kept = [p for p in runtime if _unexpressible(p, format) is None]
    left_out = tuple(f"{p.key} ({_unexpressible(p, format)})" for p in runtime if p not in kept)
    if left_out and not partial:
        what = "pylock.toml" if format == "pylock" else "a requirements file"
        raise LockError(
            f"{origin}: {len(left_out)} packages cannot be written to {what}: "
            f"{', '.join(left_out)}",
            hint=_refusal_hint(left_out),
        )
    paths = _paths(kept, origin, lock_dir, output_dir)
    for package in kept:
        _check(package, format, origin, paths)
    if format == "pylock":
        text = _pylock(lock, chosen.target, kept, left_out, origin, paths)
    else:
        text = _requirements(lock, chosen.target, kept, left_out, origin, paths)
    return Export(text=text, left_out=left_out)


def _unexpressible(package: LockedPackage, format: str) -> str | None:
    """Why ``format`` cannot express ``package`` (its provider, "git", "directory"), or None."""
    kind = package.artifact.kind
    if kind in ("wheel", "sdist", "url"):
        return None
    if kind == "git":
        return None if format == "pylock" else "git"
    if kind == "path":
        return None if format == "pylock" else "directory"
    return package.provider


def _refusal_hint(left_out: Sequence[str]) -> str:
    direct = [name for name in left_out if name.endswith((" (git)", " (directory)"))]
    reasons = []
    if direct:
        reasons.append(
            "git checkouts and local directories have no file to hash, and pip's hash-checking "
            "mode refuses them: export them with --format pylock"
        )
    if len(direct) < len(left_out):
        reasons.append("conda and nixpkgs packages have no PyPI file")
    return "; ".join(reasons) + "; or pass --partial to write the rest and leave these out"


def _local_path(package: LockedPackage) -> str | None:
    """The lock's path of a local directory or file (relative to the lock, or absolute)."""
    artifact = package.artifact
    if artifact.kind == "path" or (artifact.url is None and "path" in artifact.extra):
        return str(artifact.extra.get("path", ""))
    return None


def _paths(
    packages: Sequence[LockedPackage],
    origin: str,
    lock_dir: Path | None,
    output_dir: Path | None,
) -> _Paths | None:
    if not any(_local_path(p) is not None for p in packages):
        return None
    if lock_dir is None:
        raise LockError(
            f"{origin} names local paths relative to its directory, which is not known here",
            hint="export the lock file by its path (mach2 export --lock PATH)",
        )
    lock_dir = lock_dir.absolute()
    top = next((d for d in (lock_dir, *lock_dir.parents) if (d / ".git").exists()), None)
    return _Paths(
        lock_dir=lock_dir,
        output_dir=(output_dir or lock_dir).absolute(),
        project=top.resolve() if top is not None else None,
    )


def _check(package: LockedPackage, format: str, origin: str, paths: _Paths | None) -> None:
    """Refuse what would write a wrong or hostile entry (see :func:`export`)."""
    where = f"{origin}: package {package.key!r} {package.version}"
    artifact = package.artifact
    if artifact.kind == "git":
        _check_git(package, where)
        return
    local = _local_path(package)
    if local is None:
        if not artifact.sha256 or not artifact.url:
            raise LockError(
                f"{origin}: {package.key} has no URL and sha256 to export",
                hint="re-create the lock with `mach2 lock`",
            )
        if format == "requirements" and _UNSAFE_IN_REQUIREMENTS.search(artifact.url):
            raise LockError(
                f"{where}: the URL {artifact.url!r} holds a space or control character, "
                "which a requirements file cannot hold",
                hint="lock again with `mach2 lock`",
            )
        return
    assert paths is not None  # _paths made it: the package has a local path
    if not local or "\x00" in local:
        raise LockError(f"{where}: the lock's path {local!r} is not a path", hint=_RELOCK)
    if format == "requirements" and _UNSAFE_IN_REQUIREMENTS.search(paths.written(local)):
        raise LockError(
            f"{where}: the path {local!r} holds a space or control character, "
            "which a requirements file cannot hold",
            hint="move the file to a path without spaces and lock again, or export --format pylock",
        )
    located = paths.lock_dir / local
    if artifact.kind == "path":
        if not located.is_dir():
            raise LockError(
                f"{where}: directory {local} (relative to the lock's directory) does not exist",
                hint="export the lock from where it was made, or lock again",
            )
        if paths.project is not None and not is_inside(located, paths.project):
            raise LockError(
                f"{where}: directory {local} lies outside the project {paths.project} (the "
                "git working tree holding the lock)",
                hint="a local directory must lie inside the project: lock again with `mach2 lock`",
            )
        return
    if not artifact.sha256:
        raise LockError(f"{where}: the local file {local} has no sha256", hint=_RELOCK)
    try:
        actual = _sha256(located)
    except OSError as error:
        raise LockError(
            f"{where}: the local file {local} (relative to the lock's directory) cannot be "
            f"read: {error.strerror}",
            hint="export the lock from where it was made, or lock again",
        ) from error
    if actual != artifact.sha256:
        raise LockError(
            f"{where}: sha256 of {local} is {actual}, the lock says {artifact.sha256}",
            hint="the file changed since the lock was made: lock again with `mach2 lock`",
        )


_RELOCK = "lock again with `mach2 lock`"


def _check_git(package: LockedPackage, where: str) -> None:
    url, extra = package.artifact.url, package.artifact.extra
    rev, subdirectory = extra.get("rev"), extra.get("subdirectory")
    if not isinstance(rev, str) or not _COMMIT.fullmatch(rev):
        raise LockError(f"{where}: git rev {rev!r} is not a full commit hash", hint=_RELOCK)
    if not isinstance(url, str) or not url:
        raise LockError(f"{where}: the git entry has no url", hint=_RELOCK)
    written = _git_requirement_url(url, rev, subdirectory)
    try:
        parsed = parse_git_url(written)
    except InputError as error:
        raise LockError(f"{where}: {error.message}", hint=_RELOCK) from error
    if (parsed.repository, parsed.rev, parsed.subdirectory) != (url, rev, subdirectory):
        raise LockError(
            f"{where}: {url!r} with subdirectory {subdirectory!r} cannot be written as a git "
            "URL that means the same",
            hint=_RELOCK,
        )


def _git_requirement_url(url: str, rev: str, subdirectory: object) -> str:
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    return f"git+{url}@{rev}{fragment}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- requirements ------------------------------------------------------------------------------


def _requirements(
    lock: Lock,
    target: Target,
    packages: Sequence[LockedPackage],
    left_out: Sequence[str],
    origin: str,
    paths: _Paths | None,
) -> str:
    lines = [
        f"# Exported by {lock.generator} from {origin}: the environment for {target.describe()},",
        "# one file per package, pinned by its sha256 (pip's hash-checking mode).",
    ]
    if paths is not None:
        lines.append(
            "# Local files are relative to this file's directory: run pip and uv from there."
        )
    lines += [f"# left out: {name}" for name in left_out]
    indexes = list(lock.indexes)
    if indexes and indexes != [_DEFAULT_INDEX]:
        lines.append(f"--index-url {indexes[0]}")
        lines += [f"--extra-index-url {url}" for url in indexes[1:]]
    for package in packages:
        artifact = package.artifact
        extras = f"[{','.join(sorted(package.extras))}]" if package.extras else ""
        local = _local_path(package)
        if local is not None:
            assert paths is not None
            written = paths.written(local)
            head = written if written.startswith(("/", "./", "../")) else f"./{written}"
            head += extras
        elif artifact.kind == "url":
            head = f"{package.name}{extras} @ {artifact.url}"
        else:
            head = f"{package.name}{extras}=={package.version}"
        lines.append(f"{head} \\\n    --hash=sha256:{artifact.sha256}")
    return "\n".join(lines) + "\n"


# -- pylock --------------------------------------------------------------------------------------


def target_marker(target: Target) -> str:
    """The marker that holds on ``target`` alone (its platform, machine and Python)."""
    environment = target.marker_environment
    return " and ".join(
        f"{key} == {json.dumps(environment[key])}"
        for key in ("implementation_name", "sys_platform", "platform_machine", "python_version")
    )


def _pylock(
    lock: Lock,
    target: Target,
    packages: Sequence[LockedPackage],
    left_out: Sequence[str],
    origin: str,
    paths: _Paths | None,
) -> str:
    exported = {p.key for p in packages}
    index = lock.indexes[0] if len(lock.indexes) == 1 else None
    document: dict[str, Any] = {
        "lock-version": "1.0",
        "environments": [target_marker(target)],
        "requires-python": f"=={target.python_minor}.*",
        "extras": [],
        "dependency-groups": [],
        "default-groups": [],
        "created-by": "mach2",
    }
    entries = []
    for package in packages:
        entry: dict[str, Any] = {"name": package.key}
        if package.artifact.kind != "path":  # PEP 751: no version for a directory's tree
            entry["version"] = package.version
        if package.requires_python:
            entry["requires-python"] = package.requires_python
        dependencies = [{"name": key} for key in sorted(package.dependencies) if key in exported]
        if dependencies:
            entry["dependencies"] = dependencies
        entry.update(_pylock_source(package, index, paths))
        entries.append(entry)
    document["packages"] = entries
    tool: dict[str, Any] = {
        "generator": lock.generator,
        "lock": origin,
        "target": target.describe(),
        "inputs-hash": lock.inputs.hash,
    }
    if left_out:
        tool["left-out"] = list(left_out)
    document["tool"] = {"mach2": tool}
    text = _toml(document)
    _check_pylock(text)
    return text


def _pylock_source(
    package: LockedPackage, index: str | None, paths: _Paths | None
) -> dict[str, Any]:
    """The package's source keys: ``vcs``, ``directory``, ``archive`` (a direct reference by
    URL or a local file by path), or ``index`` with ``wheels`` or ``sdist``."""
    artifact = package.artifact
    if artifact.kind == "git":
        extra = artifact.extra
        vcs: dict[str, Any] = {"type": "git", "url": artifact.url}
        if extra.get("ref"):
            vcs["requested-revision"] = extra["ref"]
        vcs["commit-id"] = extra["rev"]
        if extra.get("subdirectory"):
            vcs["subdirectory"] = extra["subdirectory"]
        return {"vcs": vcs}
    local = _local_path(package)
    if artifact.kind == "path":
        assert paths is not None and local is not None
        editable = "editable" in package.extra
        return {"directory": {"path": paths.written(local), "editable": editable}}
    file: dict[str, Any] = {}
    if local is not None:
        assert paths is not None
        file["path"] = paths.written(local)
    else:
        if artifact.kind != "url":
            file["name"] = artifact.filename
        file["url"] = artifact.url
    if artifact.size is not None:
        file["size"] = artifact.size
    file["hashes"] = {"sha256": artifact.sha256}
    if local is not None or artifact.kind == "url":
        return {"archive": file}
    source: dict[str, Any] = {"index": index} if index is not None else {}
    if artifact.kind == "wheel":
        source["wheels"] = [file]
    else:
        source["sdist"] = file
    return source


def _check_pylock(text: str) -> None:
    from packaging.pylock import Pylock, PylockValidationError

    try:
        Pylock.from_dict(tomllib.loads(text))
    except PylockValidationError as error:  # a bug here: never write such a file
        raise AssertionError(f"mach2 wrote an invalid pylock.toml: {error}") from error


# -- a TOML writer for what the exports hold (strings, integers, arrays, tables) ------------------


def _toml(document: Mapping[str, Any]) -> str:
    """``document`` as TOML: scalars and arrays of scalars or inline tables at the top, then
    ``[[packages]]`` entries (arrays of tables), then ``[tool.*]`` tables."""
    lines = [
        f"{key} = {_value(value)}" for key, value in document.items() if not _is_section(value)
    ]
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                lines += ["", f"[[{key}]]"]
                lines += [f"{k} = {_value(v)}" for k, v in item.items()]
        elif isinstance(value, dict):
            for name, table in value.items():
                lines += ["", f"[{key}.{name}]"]
                lines += [f"{k} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _is_section(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _key(key: str) -> str:
    bare = key.replace("-", "").replace("_", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)
