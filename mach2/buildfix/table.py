"""The build-fix table (``mach2/nix/build-fixes.json``) read into typed records.

Format 1::

    {"format": 1, "revision": 3, "fixes": {
       "<id>": {"package": "psycopg2"  |  "build-system": "maturin",
                "versions": "<PEP 440 specifiers, empty = all>",
                "nativeBuildInputs": ["pkg-config", ["libpq.pg_config", "postgresql"]],
                "buildInputs": [...], "propagatedBuildInputs": [...],
                "env": {"VAR": "text with @attr.path@ or @dev:attr@"},
                "attrs": {"dontUseCmakeConfigure": true, "pypaBuildFlags": ["-C..."]},
                "cargo": true,
                "why": "one sentence", "sources": ["where it was learned", ...]}}}

An input is a nixpkgs attribute path, or a list of paths of which the first that exists is
taken (nixpkgs renames things: ``libpq.pg_config`` today, ``postgresql`` before).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import frozen
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from mach2.errors import LockError
from mach2.model.names import normalize

__all__ = ["BuildFix", "FixTable", "Input", "load_table", "table_path"]

FORMAT = 1
#: One nixpkgs attribute path: ``zlib``, ``libxml2.dev``, ``c-ares``, ``stdenv.cc.cc.lib``.
_ATTR_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_'+-]*(\.[A-Za-z_][A-Za-z0-9_'+-]*)*$")
#: ``@attr.path@`` (the store path) or ``@dev:attr.path@`` (its dev output) in env values.
_PLACEHOLDER = re.compile(r"@(?:(dev):)?([^@]*)@")
_INPUT_LISTS = ("nativeBuildInputs", "buildInputs", "propagatedBuildInputs")
_KNOWN = {
    "package",
    "build-system",
    "versions",
    "env",
    "attrs",
    "cargo",
    "why",
    "sources",
    *_INPUT_LISTS,
}

#: An input: one attribute path, or alternatives (the first this nixpkgs has).
Input = tuple[str, ...]


@frozen(kw_only=True)
class BuildFix:
    """One entry of the table.

    :param id: its key in the table; the lock names entries by it.
    :param package: the (normalized) project it applies to, or None for a backend entry.
    :param build_system: the (normalized) build backend package whose sdists it applies to.
    :param versions: the versions of ``package`` (or of the backend) it applies to.
    :param cargo: the sdist builds Rust crates: the lock records its Cargo.lock crates.
    """

    id: str
    package: str | None
    build_system: str | None
    versions: SpecifierSet
    native_build_inputs: tuple[Input, ...] = ()
    build_inputs: tuple[Input, ...] = ()
    propagated_build_inputs: tuple[Input, ...] = ()
    env: Mapping[str, str] = {}
    attrs: Mapping[str, Any] = {}
    cargo: bool = False
    why: str = ""
    sources: tuple[str, ...] = ()

    def applies_to(self, version: str) -> bool:
        """Whether ``version`` (of the package or backend) is in the entry's range."""
        try:
            parsed = Version(version)
        except ValueError:
            return not str(self.versions)  # an unparsable version only matches "all"
        return self.versions.contains(parsed, prereleases=True)

    def attributes(self) -> tuple[str, ...]:
        """Every nixpkgs attribute path the entry names (inputs, alternatives, env)."""
        paths = [p for group in self.input_groups().values() for i in group for p in i]
        for value in self.env.values():
            paths += [m.group(2) for m in _PLACEHOLDER.finditer(value)]
        return tuple(dict.fromkeys(paths))

    def input_groups(self) -> dict[str, tuple[Input, ...]]:
        return {
            "nativeBuildInputs": self.native_build_inputs,
            "buildInputs": self.build_inputs,
            "propagatedBuildInputs": self.propagated_build_inputs,
        }

    def summary(self) -> str:
        """What the entry adds, in a few words: ``pkg-config, libpq.pg_config|postgresql; …``."""
        parts = []
        for group in self.input_groups().values():
            parts += ["|".join(i) for i in group]
        parts += [f"{k}={v}" for k, v in sorted(self.env.items())]
        parts += [f"{k}={json.dumps(v)}" for k, v in sorted(self.attrs.items())]
        if self.cargo:
            parts.append("vendored Cargo.lock crates")
        return ", ".join(parts)


@frozen(kw_only=True)
class FixTable:
    revision: int
    fixes: Mapping[str, BuildFix]

    def for_package(self, name: str) -> tuple[BuildFix, ...]:
        return tuple(f for f in self.fixes.values() if f.package == name)

    def for_backend(self, name: str) -> tuple[BuildFix, ...]:
        return tuple(f for f in self.fixes.values() if f.build_system == name)


def table_path() -> Path:
    """The table shipped inside the Nix library."""
    return Path(str(resources.files("mach2") / "nix" / "build-fixes.json"))


@functools.cache
def load_table(path: Path | None = None) -> FixTable:
    """Read and check the table (the shipped one by default).

    :raises LockError: the file is missing or malformed (naming the entry and the field).
    """
    where = path or table_path()
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LockError(f"cannot read the build-fix table {str(where)!r}: {error}") from error
    return parse_table(data, origin=str(where))


def parse_table(data: Any, *, origin: str = "build-fixes.json") -> FixTable:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LockError(f"{origin}: not a build-fix table of format {FORMAT}")
    revision = data.get("revision")
    fixes = data.get("fixes")
    if not isinstance(revision, int) or not isinstance(fixes, dict):
        raise LockError(f"{origin}: needs an integer `revision` and a `fixes` object")
    return FixTable(
        revision=revision,
        fixes={key: _entry(key, value, origin) for key, value in fixes.items()},
    )


def _entry(key: str, data: Any, origin: str) -> BuildFix:
    def bad(what: str) -> LockError:
        return LockError(f"{origin}: fix {key!r}: {what}")

    if not isinstance(data, dict):
        raise bad("must be an object")
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise bad(f"unknown field {unknown[0]!r}")
    package, backend = data.get("package"), data.get("build-system")
    if (package is None) == (backend is None):
        raise bad("needs exactly one of `package` and `build-system`")
    for name in (package, backend):
        if name is not None and (not isinstance(name, str) or normalize(name) != name):
            raise bad(f"{name!r} is not a normalized project name")
    try:
        versions = SpecifierSet(_string(data.get("versions", ""), bad, "versions"))
    except InvalidSpecifier as error:
        raise bad(f"`versions`: {error}") from None
    env = data.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise bad("`env` must map names to strings")
    for value in env.values():
        for match in _PLACEHOLDER.finditer(value):
            _attr_path(match.group(2), bad)
    attrs = data.get("attrs", {})
    if not isinstance(attrs, dict) or not all(_scalar_or_strings(v) for v in attrs.values()):
        raise bad("`attrs` values must be booleans, numbers, strings or lists of strings")
    clash = sorted((set(attrs) | set(env)) & {*_INPUT_LISTS, "env", "src", "version", "pname"})
    if clash:
        raise bad(f"`{clash[0]}` cannot be set through env/attrs")
    sources = data.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
        raise bad("needs `sources`: where the fix was learned")
    cargo = data.get("cargo", False)
    if not isinstance(cargo, bool):
        raise bad("`cargo` must be true or false")
    return BuildFix(
        id=key,
        package=package,
        build_system=backend,
        versions=versions,
        native_build_inputs=_inputs(data, "nativeBuildInputs", bad),
        build_inputs=_inputs(data, "buildInputs", bad),
        propagated_build_inputs=_inputs(data, "propagatedBuildInputs", bad),
        env=dict(env),
        attrs=dict(attrs),
        cargo=cargo,
        why=_string(data.get("why"), bad, "why"),
        sources=tuple(sources),
    )


def _string(value: Any, bad: Any, field: str) -> str:
    if not isinstance(value, str):
        raise bad(f"`{field}` must be a string")
    return value


def _attr_path(path: str, bad: Any) -> str:
    if not _ATTR_PATH.match(path):
        raise bad(f"{path!r} is not a nixpkgs attribute path")
    return path


def _inputs(data: Mapping[str, Any], field: str, bad: Any) -> tuple[Input, ...]:
    value = data.get(field, [])
    if not isinstance(value, list):
        raise bad(f"`{field}` must be a list")
    inputs: list[Input] = []
    for item in value:
        alternatives = item if isinstance(item, list) else [item]
        if not alternatives or not all(isinstance(a, str) for a in alternatives):
            raise bad(f"`{field}`: {item!r} is not an attribute path or a list of them")
        inputs.append(tuple(_attr_path(a, bad) for a in alternatives))
    return tuple(inputs)


def _scalar_or_strings(value: Any) -> bool:
    if isinstance(value, bool | int | float | str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
