"""A mach2 lock for other tools: PEP 751 ``pylock.toml`` or a requirements file with ``--hash``.

What is written is what the environment installs, file for file: the runtime packages (not
the ``build-only`` ones, which only build sdists), each with the one file mach2 locked for the
target (the wheel, the sdist, or the direct reference) and its sha256.  An export is for one
target (one system of the lock: ``system``, required when the lock has several), so it is
single-use: ``environments`` and ``requires-python`` name the target (pylock), a comment names
it (requirements); no per-package markers are needed.

Packages from the ``conda`` and ``nixpkgs`` providers (and conda's own libraries,
``conda:<name>``) have no PyPI file: neither format can express them; nor can they a git
checkout or a local directory (no file to hash: pip's hash-checking mode refuses them) or a
local wheel or sdist (recorded by path relative to the lock, which another tool would read
relative to itself).  :func:`export` refuses
such a lock, naming them, unless ``partial`` is given; then they are left out and listed in
:attr:`Export.left_out` (and, in pylock, under ``[tool.mach2] left-out``).

The pylock text is checked with ``packaging.pylock`` before it is returned: a file that
breaks PEP 751 is a bug here, never written.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from mach2.errors import LockError
from mach2.lock.model import Lock, LockedPackage, SystemLock
from mach2.model.target import Target

__all__ = ["FORMATS", "Export", "chosen_system", "export"]

FORMATS = ("pylock", "requirements")
_EXPRESSIBLE = ("wheel", "sdist", "url")
_DEFAULT_INDEX = "https://pypi.org/simple/"


@frozen(kw_only=True)
class Export:
    """The exported text and the packages it could not express (``name (provider)``)."""

    text: str
    left_out: tuple[str, ...] = ()


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
) -> Export:
    """``lock`` (its ``system``, or its only one) as ``pylock`` or ``requirements`` text.

    :param origin: how the lock is named in messages and in the export's header.
    :param partial: leave out what the format cannot express instead of refusing.
    :raises LockError: an unknown format, or packages the format cannot express (without
        ``partial``), or a package without a sha256, or no one system to export.
    """
    if format not in FORMATS:
        raise LockError(
            f"unknown export format {format!r}", hint=f"choose one of {', '.join(FORMATS)}"
        )
    chosen = chosen_system(lock, system, origin)
    runtime = [p for _, p in sorted(chosen.packages.items()) if not p.build_only]
    kept = [p for p in runtime if _unexpressible(p) is None]
    left_out = tuple(f"{p.key} ({_unexpressible(p)})" for p in runtime if p not in kept)
    if left_out and not partial:
        what = "pylock.toml" if format == "pylock" else "a requirements file"
        raise LockError(
            f"{origin}: {len(left_out)} packages have no PyPI file and cannot be written to "
            f"{what}: {', '.join(left_out)}",
            hint="pass --partial to write the rest and leave these out",
        )
    for package in kept:
        if not package.artifact.sha256 or not package.artifact.url:
            raise LockError(
                f"{origin}: {package.key} has no URL and sha256 to export",
                hint="re-create the lock with `mach2 lock`",
            )
    if format == "pylock":
        text = _pylock(lock, chosen.target, kept, left_out, origin)
    else:
        text = _requirements(lock, chosen.target, kept, left_out, origin)
    return Export(text=text, left_out=left_out)


def _unexpressible(package: LockedPackage) -> str | None:
    """Why neither format can express ``package`` (its provider, or "local file"), or None."""
    if package.artifact.kind not in _EXPRESSIBLE:
        return package.provider
    if package.artifact.url is None and "path" in package.artifact.extra:
        return "local file"
    return None


# -- requirements ------------------------------------------------------------------------------


def _requirements(
    lock: Lock,
    target: Target,
    packages: Sequence[LockedPackage],
    left_out: Sequence[str],
    origin: str,
) -> str:
    lines = [
        f"# Exported by {lock.generator} from {origin}: the environment for {target.describe()},",
        "# one file per package, pinned by its sha256 (pip's hash-checking mode).",
        *(f"# left out (no PyPI file): {name}" for name in left_out),
    ]
    indexes = list(lock.indexes)
    if indexes and indexes != [_DEFAULT_INDEX]:
        lines.append(f"--index-url {indexes[0]}")
        lines += [f"--extra-index-url {url}" for url in indexes[1:]]
    for package in packages:
        artifact = package.artifact
        extras = f"[{','.join(sorted(package.extras))}]" if package.extras else ""
        if artifact.kind == "url":
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
        entry: dict[str, Any] = {"name": package.key, "version": package.version}
        if package.requires_python:
            entry["requires-python"] = package.requires_python
        dependencies = [{"name": key} for key in sorted(package.dependencies) if key in exported]
        if dependencies:
            entry["dependencies"] = dependencies
        artifact = package.artifact
        file: dict[str, Any] = {"name": artifact.filename, "url": artifact.url}
        if artifact.size is not None:
            file["size"] = artifact.size
        file["hashes"] = {"sha256": artifact.sha256}
        if artifact.kind == "url":
            del file["name"]
            entry["archive"] = file
        else:
            if index is not None:
                entry["index"] = index
            if artifact.kind == "wheel":
                entry["wheels"] = [file]
            else:
                entry["sdist"] = file
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
