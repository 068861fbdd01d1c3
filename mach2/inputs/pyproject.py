"""PEP 621 ``[project]`` dependencies and PEP 735 ``[dependency-groups]`` of a pyproject.toml.

A project that already declares its dependencies statically needs no requirements file:
``mach2 lock pyproject.toml --extra test --group dev`` reads ``[project].dependencies``, the
chosen ``[project.optional-dependencies]`` and the chosen dependency groups into the same
:class:`~mach2.inputs.requirements.RequirementsInput` a requirements file gives.

Origins name the TOML key path with 0-based indexes, as pylock-style validation paths do,
e.g. ``pyproject.toml:project.optional-dependencies.test[2]`` (tomllib gives no line numbers).

Self-references such as ``all = ["myproject[test,docs]"]`` are expanded into the named extras
(markers are combined with ``and``), and a bare ``myproject`` is dropped: looking the project
up on PyPI would find something else or nothing.

A pyproject.toml with a ``[build-system]`` table is a project that can be built, so the
project itself is locked too, as an editable local directory (``-e .``, with the chosen
extras): the environment's main package, built by Nix from the directory and installed in
development mode in shells.  Its dependencies may then be ``dynamic`` (the build backend tells
them).  Without ``[build-system]`` (uv's "virtual" projects) only the dependencies are locked.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from mach2.errors import InputError
from mach2.inputs.requirements import (
    RequirementEntry,
    RequirementsInput,
    _file_url,
    _read_input_file,
)

__all__ = ["read_pyproject"]

#: more parts than any key of a real pyproject.toml; tomllib's time is quadratic in them
MAX_KEY_PARTS = 100
#: what the scan below stops at: dots, string and comment starts, and TOML's delimiters
_TOML_STOP = re.compile(r"""[."'#=\[\]{},\n]""")
_BASIC_STRING = re.compile(r'(?:[^"\\\n]|\\.)*')
_MULTILINE_BASIC = re.compile(r'(?:[^"\\]|\\[\s\S]|"(?!""))*')


def _most_key_parts(text: str) -> int:
    """The most parts of a dotted key (``a.b.c`` has 3) in TOML ``text``, in linear time.

    tomllib takes time quadratic in a key's parts (``a.a.a...`` of 100,000 parts: minutes), so
    they are counted before it runs: the dots between two delimiters (``=[]{},`` or a newline)
    outside strings and comments.  A key has one per part after the first, any value at most
    one (``1.5``), so the count bounds what tomllib will meet.

    >>> _most_key_parts('a.b."c.d" = 1.5  # x.y.z\\n[t.u]\\nv = {w.x.y.z = "1.2.3"}')
    4
    """
    most = dots = 0
    at = 0
    while (stop := _TOML_STOP.search(text, at)) is not None:
        char, at = stop[0], stop.end()
        if char == ".":
            dots += 1
            most = max(most, dots)
        elif char in "\"'":
            at = _string_end(text, stop.start())
        elif char == "#":
            newline = text.find("\n", at)
            at = len(text) if newline < 0 else newline
        else:
            dots = 0
    return most + 1


def _string_end(text: str, start: int) -> int:
    """The index after the TOML string opening at ``start`` (the end of ``text`` if unclosed;
    tomllib reports that)."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        if quote == "'":
            close = text.find("'''", start + 3)
        else:
            content = _MULTILINE_BASIC.match(text, start + 3)
            assert content is not None  # the pattern matches the empty string too
            close = content.end() if text.startswith('"""', content.end()) else -1
        if close < 0:
            return len(text)
        end = close + 3
        for _ in range(2):  # up to two quotes before the closing three belong to the string
            if text.startswith(quote, end):
                end += 1
        return end
    if quote == "'":
        close = text.find("'", start + 1)
        return len(text) if close < 0 else close + 1
    content = _BASIC_STRING.match(text, start + 1)
    assert content is not None
    return content.end() + 1 if text.startswith('"', content.end()) else content.end()


def read_pyproject(
    path: Path, *, extras: Iterable[str] = (), groups: Iterable[str] = ()
) -> RequirementsInput:
    """Read the static dependencies of ``path`` plus the selected extras and groups.

    :param extras: names in ``[project.optional-dependencies]`` (compared normalized).
    :param groups: names in ``[dependency-groups]`` (compared normalized, PEP 735).
    :raises InputError: unreadable or malformed TOML, dynamic dependencies, an unknown extra
        or group, a malformed entry, or an ``include-group`` cycle.
    """
    name = path.as_posix()
    text, digest = _read_input_file(path, name)
    if _most_key_parts(text) > MAX_KEY_PARTS:
        raise InputError(
            f"{name}: a dotted key of more than {MAX_KEY_PARTS} parts",
            hint="no pyproject.toml needs one; check the file",
        )
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{name}: invalid TOML: {e}", hint="fix the TOML syntax") from e
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise InputError(
            f"{name}: invalid TOML: arrays or inline tables nested too deeply",
            hint="fix the TOML syntax",
        ) from None
    extras, groups = tuple(extras), tuple(groups)
    project = document.get("project")
    if project is None and (extras or not groups):
        raise InputError(
            f"{name}: no [project] table",
            hint="mach2 reads PEP 621 metadata; [tool.poetry] and similar are not supported",
        )
    entries: list[RequirementEntry] = []
    optional: dict[NormalizedName, list[RequirementEntry]] = {}
    project_name = None
    buildable = "build-system" in document
    if project is not None:
        _expect(isinstance(project, dict), name, "project", "a table")
        project_name = _project_name(project)
        entries += _project_entries(project, name, buildable)
        optional = _optional_entries(project, name, wanted=bool(extras), buildable=buildable)
        for extra in extras:
            if optional or not buildable:
                entries += _select(optional, extra, name)
    if groups:
        table = _group_table(document, name)
        for group in groups:
            entries += _group_entries(table, canonicalize_name(group), name, group, ())
    if project_name is not None:
        expanded = _expand_self(entries, project_name, optional, frozenset())
        # An extra reached along two paths gives equal entries (same text, same origin).
        entries = list(dict.fromkeys(expanded))
        if buildable and isinstance(project, dict):
            entries.append(_itself(project, name, extras))
    return RequirementsInput(requirements=tuple(entries), files=((name, digest),))


def _itself(project: Mapping[str, Any], name: str, extras: Sequence[str]) -> RequirementEntry:
    """The project as an editable requirement on its own directory."""
    directory = os.path.dirname(name) or "."
    selected = f"[{','.join(sorted(extras))}]" if extras else ""
    text = f"{project['name']}{selected} @ {_file_url(directory)}"
    entry = RequirementEntry.from_pep508(text, origin=f"{name}:build-system")
    return attrs.evolve(entry, editable=True)


def _project_name(project: Mapping[str, Any]) -> NormalizedName | None:
    value = project.get("name")
    return canonicalize_name(value) if isinstance(value, str) else None


def _project_entries(
    project: Mapping[str, Any], name: str, buildable: bool
) -> list[RequirementEntry]:
    """``[project].dependencies``; ``dynamic`` ones only for a project mach2 can build (its
    backend tells them then), else refused."""
    dynamic = project.get("dynamic", [])
    if "dependencies" in dynamic and buildable:
        return []
    if "dependencies" in dynamic:
        raise InputError(
            f"{name}: 'dependencies' is listed in [project].dynamic",
            hint="mach2 needs static dependencies: list them in [project].dependencies "
            "or give a requirements file",
        )
    return _entries(project.get("dependencies", []), name, "project.dependencies")


def _optional_entries(
    project: Mapping[str, Any], name: str, *, wanted: bool, buildable: bool = False
) -> dict[NormalizedName, list[RequirementEntry]]:
    """Every extra's entries (all are parsed: self-references may name any of them)."""
    if buildable and "optional-dependencies" in project.get("dynamic", []):
        return {}  # the project itself is locked with its extras: its backend tells them
    if wanted and "optional-dependencies" in project.get("dynamic", []):
        raise InputError(
            f"{name}: 'optional-dependencies' is listed in [project].dynamic",
            hint="mach2 needs static extras: list them in [project.optional-dependencies]",
        )
    table = project.get("optional-dependencies", {})
    _expect(isinstance(table, dict), name, "project.optional-dependencies", "a table")
    return {
        canonicalize_name(extra): _entries(items, name, f"project.optional-dependencies.{extra}")
        for extra, items in table.items()
    }


def _group_table(document: Mapping[str, Any], name: str) -> dict[NormalizedName, tuple[str, Any]]:
    """``[dependency-groups]`` keyed by normalized name, keeping the spelling for origins."""
    table = document.get("dependency-groups", {})
    _expect(isinstance(table, dict), name, "dependency-groups", "a table")
    normalized: dict[NormalizedName, tuple[str, Any]] = {}
    for group, items in table.items():
        key = canonicalize_name(group)
        if key in normalized:
            raise InputError(
                f"{name}: dependency groups {normalized[key][0]!r} and {group!r} "
                "have the same normalized name",
                hint="rename or merge one of them (PEP 735)",
            )
        normalized[key] = (group, items)
    return normalized


def _group_entries(
    table: Mapping[NormalizedName, tuple[str, Any]],
    key: NormalizedName,
    name: str,
    spelled: str,
    chain: tuple[str, ...],
) -> list[RequirementEntry]:
    """Entries of one group with ``{include-group = "..."}`` expanded depth first."""
    if key not in table:
        available = ", ".join(sorted(g for g, _ in table.values())) or "none"
        raise InputError(
            f"{name}: unknown dependency group {spelled!r}", hint=f"available: {available}"
        )
    group, items = table[key]
    if group in chain:
        cycle = " -> ".join((*chain, group))
        raise InputError(f"{name}: dependency group cycle {cycle}", hint="remove one include-group")
    path = f"dependency-groups.{group}"
    _expect(isinstance(items, list), name, path, "an array")
    entries: list[RequirementEntry] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            entries.append(RequirementEntry.from_pep508(item, origin=f"{name}:{path}[{index}]"))
        elif isinstance(item, dict) and set(item) == {"include-group"}:
            included = item["include-group"]
            _expect(isinstance(included, str), name, f"{path}[{index}]", "a group name")
            inner = canonicalize_name(included)
            entries += _group_entries(table, inner, name, included, (*chain, group))
        else:
            raise _malformed(name, f"{path}[{index}]", 'a string or {include-group = "NAME"}')
    return entries


def _entries(items: object, name: str, path: str) -> list[RequirementEntry]:
    _expect(
        isinstance(items, list) and all(isinstance(i, str) for i in items),
        name,
        path,
        "an array of requirement strings",
    )
    assert isinstance(items, list)  # narrowed by _expect
    return [
        RequirementEntry.from_pep508(text, origin=f"{name}:{path}[{index}]")
        for index, text in enumerate(items)
    ]


def _select(
    table: Mapping[NormalizedName, list[RequirementEntry]], extra: str, where: str
) -> list[RequirementEntry]:
    """The entries of one extra; an unknown extra lists the known ones, to fix a typo fast."""
    key = canonicalize_name(extra)
    if key not in table:
        available = ", ".join(sorted(table)) or "none"
        raise InputError(
            f"{where}: unknown extra {extra!r} (not in [project.optional-dependencies])",
            hint=f"available: {available}",
        )
    return table[key]


def _expand_self(
    entries: Sequence[RequirementEntry],
    project: NormalizedName,
    optional: Mapping[NormalizedName, list[RequirementEntry]],
    seen: frozenset[NormalizedName],
) -> list[RequirementEntry]:
    """Replace ``project[extra]`` by the extra's entries; ``seen`` stops extra cycles."""
    expanded: list[RequirementEntry] = []
    for entry in entries:
        requirement = entry.requirement
        if canonicalize_name(requirement.name) != project:
            expanded.append(entry)
            continue
        for extra in sorted(requirement.extras):
            key = canonicalize_name(extra)
            if key in seen:
                continue
            inner = _select(optional, extra, entry.origin)
            for found in _expand_self(inner, project, optional, seen | {key}):
                expanded.append(_restricted(found, requirement.marker))
    return expanded


def _restricted(entry: RequirementEntry, marker: Marker | None) -> RequirementEntry:
    """``entry`` that only applies where ``marker`` holds too."""
    if marker is None:
        return entry
    requirement = Requirement(str(entry.requirement))
    inner = requirement.marker
    requirement.marker = marker if inner is None else Marker(f"({inner}) and ({marker})")
    return attrs.evolve(entry, requirement=requirement)


def _expect(ok: bool, name: str, path: str, what: str) -> None:
    if not ok:
        raise _malformed(name, path, what)


def _malformed(name: str, path: str, what: str) -> InputError:
    return InputError(f"{name}:{path}: expected {what}", hint="fix the pyproject.toml entry")
