"""Read a conda ``environment.yml`` as requirements: conda specs, channels and pip lines.

PyYAML is not a dependency of mach2, so this module reads the subset of YAML environment files
use, and refuses the rest with the file and line:

- a top-level mapping; ``name``, ``channels``, ``dependencies`` and (conda-lock's)
  ``platforms`` and ``category`` are read, other keys (``prefix``, ``variables``, ...) skipped;
- block sequences (``- item``, indented or level with their key) and flow sequences of scalars
  (``channels: [conda-forge, defaults]``);
- plain, ``'single'`` and ``"double"`` quoted scalars; ``#`` comments;
- in ``dependencies``, one ``- pip:`` item holding a sequence of pip requirement lines;
- conda-lock's selectors, a comment ending in ``[linux64]`` (also ``linux``, ``osx``,
  ``win``, ``unix``, ``osx-arm64``, ``not osx``...), which keep a line for matching subdirs only.

Not accepted: anchors and aliases, tags, block scalars (``|``, ``>``), flow mappings, several
documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from attrs import frozen

from mach2.providers.conda.errors import EnvironmentYmlError, InvalidMatchSpec
from mach2.providers.conda.matchspec import MatchSpec

__all__ = [
    "CondaDependency",
    "EnvironmentYml",
    "PipLine",
    "parse_environment_yml",
    "read_environment_yml",
    "selector_matches",
]


@frozen
class CondaDependency:
    """One conda entry of ``dependencies``: the spec, its line and its selector (if any)."""

    spec: MatchSpec
    line: int
    selector: str | None = None


@frozen
class PipLine:
    """One line of the ``pip:`` section, kept as written for the requirements parser."""

    text: str
    line: int
    selector: str | None = None


@frozen(kw_only=True)
class EnvironmentYml:
    """What an environment.yml asks for.

    :param channels: channel strings in priority order, as written (``defaults`` included).
    :param base_dir: the file's directory (pip lines such as ``-e .`` are relative to it).
    """

    path: str
    name: str | None
    channels: tuple[str, ...]
    dependencies: tuple[CondaDependency, ...]
    pip: tuple[PipLine, ...]
    platforms: tuple[str, ...] = ()
    category: str | None = None
    base_dir: Path | None = None

    def conda_specs(self, subdir: str | None = None) -> tuple[MatchSpec, ...]:
        """The conda specs (for ``subdir``: without the lines its selectors exclude)."""
        return tuple(d.spec for d in self.dependencies if _keep(d.selector, subdir))

    def pip_requirements(self, subdir: str | None = None) -> tuple[str, ...]:
        """The pip lines (for ``subdir``: without the lines its selectors exclude)."""
        return tuple(p.text for p in self.pip if _keep(p.selector, subdir))


def read_environment_yml(path: Path) -> EnvironmentYml:
    """Read ``path``; raises :class:`~mach2.providers.conda.errors.EnvironmentYmlError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise EnvironmentYmlError(
            str(path), 0, f"cannot read ({error.__class__.__name__})"
        ) from None
    parsed = parse_environment_yml(text, source=str(path))
    return EnvironmentYml(
        path=parsed.path,
        name=parsed.name,
        channels=parsed.channels,
        dependencies=parsed.dependencies,
        pip=parsed.pip,
        platforms=parsed.platforms,
        category=parsed.category,
        base_dir=path.parent,
    )


# -- the YAML subset -------------------------------------------------------------------------


@frozen
class _Scalar:
    value: str
    line: int
    comment: str | None


@frozen
class _Line:
    number: int
    indent: int
    text: str
    comment: str | None


class _Map(dict[str, "_Node"]):
    """A mapping that remembers the line of its first key."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line


_Node = _Scalar | list["_Node"] | _Map | None


def _strip_comment(raw: str) -> tuple[str, str | None]:
    """Split off a ``#`` comment that is outside quotes and starts the line or follows a blank."""
    quote = None
    for i, char in enumerate(raw):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"" and (i == 0 or raw[i - 1] in " \t-:[,"):
            quote = char
        elif char == "#" and (i == 0 or raw[i - 1] in " \t"):
            return raw[:i].rstrip(), raw[i + 1 :].strip()
    return raw.rstrip(), None


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines: list[_Line] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if "\t" in raw[: len(raw) - len(raw.lstrip())]:
                raise self.error(number, "tabs in indentation")
            body, comment = _strip_comment(raw)
            if not body.strip():
                continue
            if body.strip() in ("---", "...") and not raw.startswith(" "):
                if body.strip() == "---" and not self.lines:
                    continue
                raise self.error(number, "more than one YAML document")
            self.lines.append(_Line(number, len(body) - len(body.lstrip()), body.strip(), comment))
        self.i = 0
        self.depth = 0  # blocks being parsed, one inside the other

    def error(self, line: int, reason: str) -> EnvironmentYmlError:
        return EnvironmentYmlError(self.source, line, reason)

    def parse(self) -> _Map:
        if not self.lines:
            return _Map(0)
        node = self.block(self.lines[0].indent)
        if self.i < len(self.lines):
            raise self.error(self.lines[self.i].number, "unexpected indentation")
        if not isinstance(node, dict):
            raise self.error(self.lines[0].number, "the file is not a mapping")
        return node

    @contextmanager
    def deeper(self) -> Iterator[None]:
        """One more block inside the current one; past ``MAX_DEPTH`` an error, not a
        RecursionError."""
        if self.depth == MAX_DEPTH:
            raise self.error(self.lines[self.i].number, f"blocks nested more than {MAX_DEPTH} deep")
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def block(self, indent: int) -> _Node:
        line = self.lines[self.i]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[_Node]:
        with self.deeper():
            items: list[_Node] = []
            while self.i < len(self.lines):
                line = self.lines[self.i]
                if line.indent != indent or not (line.text == "-" or line.text.startswith("- ")):
                    if line.indent > indent:
                        raise self.error(line.number, "unexpected indentation")
                    break
                content = line.text[1:].lstrip()
                self.i += 1
                if not content:
                    items.append(self.nested(indent))
                elif _key_value(content) is not None:
                    # "- pip:" — a mapping inside the sequence, its keys at the content's column
                    column = indent + (len(line.text) - len(content))
                    self.lines[self.i - 1] = _Line(line.number, column, content, line.comment)
                    self.i -= 1
                    items.append(self.mapping(column))
                else:
                    items.append(self.scalar_or_flow(content, line))
            return items

    def mapping(self, indent: int) -> _Map:
        with self.deeper():
            result = _Map(self.lines[self.i].number)
            while self.i < len(self.lines):
                line = self.lines[self.i]
                if line.indent != indent:
                    if line.indent > indent:
                        raise self.error(line.number, "unexpected indentation")
                    break
                entry = _key_value(line.text)
                if entry is None:
                    raise self.error(line.number, f"expected 'key: value', found {line.text!r}")
                key, rest = _unquote(entry[0], line, self), entry[1].strip()
                if key in result:
                    raise self.error(line.number, f"duplicate key {key!r}")
                self.i += 1
                if rest:
                    result[key] = self.scalar_or_flow(rest, line)
                    continue
                nxt = self.lines[self.i] if self.i < len(self.lines) else None
                if nxt is not None and nxt.indent == indent and nxt.text.startswith("-"):
                    result[key] = self.sequence(indent)  # a sequence level with its key
                else:
                    result[key] = self.nested(indent)
            return result

    def nested(self, indent: int) -> _Node:
        if self.i < len(self.lines) and self.lines[self.i].indent > indent:
            return self.block(self.lines[self.i].indent)
        return None

    def scalar_or_flow(self, text: str, line: _Line) -> _Node:
        if text.startswith("["):
            if not text.endswith("]"):
                raise self.error(line.number, "flow sequences must close on the same line")
            inner = text[1:-1].strip()
            parts = [p.strip() for p in _split_flow(inner)] if inner else []
            return [_Scalar(_unquote(p, line, self), line.number, line.comment) for p in parts]
        return _Scalar(_unquote(text, line, self), line.number, line.comment)


#: how deep blocks may nest; environment files use three levels (dependencies, - pip:, lines)
MAX_DEPTH = 32


def _key_value(text: str) -> tuple[str, str] | None:
    """``key: rest`` -> ``(key, rest)`` (``rest`` may be empty); ``None`` if not a mapping entry.

    The key is ``'quoted'``, ``"quoted"``, or plain (up to the first ``:``, no ``#`` before it,
    not starting with a blank, quote, ``#``, ``:``, ``-``, ``[`` or ``{``); its ``:`` is followed
    by a blank or the end.  The regex this replaces retried a long run of blanks from each of
    its positions, quadratic in the run's length.

    >>> _key_value("name: base"), _key_value("'a b' :"), _key_value("- pip"), _key_value("a:b")
    (('name', 'base'), ("'a b'", ''), None, None)
    """
    first = text[:1]
    if first in ("'", '"'):
        close = text.find(first, 1)
        if close < 0:
            return None
        key, after = text[: close + 1], text[close + 1 :].lstrip()
    else:
        colon = text.find(":")
        comment = text.find("#")
        if not first or first.isspace() or first in "#:-[{" or colon < 0:
            return None
        if 0 <= comment < colon:
            return None
        key, after = text[:colon].rstrip(), text[colon:]
    if not after.startswith(":"):
        return None
    rest = after[1:]
    if rest and not rest[0].isspace():
        return None
    return key, rest.lstrip()


def _split_flow(text: str) -> Iterator[str]:
    quote = None
    start = 0
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            yield text[start:i]
            start = i + 1
    yield text[start:]


def _unquote(text: str, line: _Line, parser: _Parser) -> str:
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise parser.error(line.number, f"unterminated quote in {text!r}")
        return text[1:-1].replace("''", "'")
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise parser.error(line.number, f"unterminated quote in {text!r}")
        return re.sub(r'\\(["\\/])', r"\1", text[1:-1])
    if text[:1] in ("&", "*", "!", "|", ">", "{", "%", "@", "`"):
        raise parser.error(
            line.number, f"YAML feature outside the environment.yml subset: {text!r}"
        )
    return text


# -- interpretation ----------------------------------------------------------------------------


def _scalars(node: _Node, key: str, parser: _Parser, line: int) -> list[_Scalar]:
    if node is None:
        return []
    if not isinstance(node, list) or not all(isinstance(n, _Scalar) for n in node):
        raise parser.error(line, f"{key!r} must be a list of strings")
    return node  # type: ignore[return-value]  # checked just above


def _selector(comment: str | None) -> str | None:
    """The ``[...]`` closing a comment (``# [linux64]``), ``None`` if there is none.  Found by
    position: a regex search retried a long run of ``[`` from each of them."""
    if comment is None:
        return None
    body = comment.rstrip()
    open_at = body.find("[", body.rfind("]", 0, -1) + 1)
    if not body.endswith("]") or open_at < 0 or open_at > len(body) - 3:
        return None
    return body[open_at + 1 : -1].strip()


def _first_line(node: _Node, default: int) -> int:
    if isinstance(node, _Scalar):
        return node.line
    if isinstance(node, list) and node:
        return _first_line(node[0], default)
    if isinstance(node, _Map):
        return node.line
    return default


def parse_environment_yml(text: str, *, source: str = "environment.yml") -> EnvironmentYml:
    """Parse environment.yml text (``source`` names it in errors)."""
    parser = _Parser(text, source)
    top = parser.parse()
    name_node = top.get("name")
    channels = [s.value for s in _scalars(top.get("channels"), "channels", parser, 1)]
    platforms = [s.value for s in _scalars(top.get("platforms"), "platforms", parser, 1)]
    dependencies: list[CondaDependency] = []
    pip: list[PipLine] = []
    deps = top.get("dependencies")
    if deps is not None and not isinstance(deps, list):
        raise parser.error(_first_line(deps, 1), "'dependencies' must be a list")
    for item in deps or ():
        if isinstance(item, dict):
            if set(item) != {"pip"}:
                raise parser.error(_first_line(item, 1), "only '- pip:' may nest in dependencies")
            for line in _scalars(item["pip"], "pip", parser, _first_line(item, 1)):
                selector = _checked_selector(line, parser)
                pip.append(PipLine(line.value, line.line, selector))
            continue
        if not isinstance(item, _Scalar):
            raise parser.error(1, "dependencies may hold strings and one '- pip:' list")
        try:
            spec = MatchSpec.parse(item.value)
        except InvalidMatchSpec as error:
            raise parser.error(item.line, error.message) from None
        dependencies.append(CondaDependency(spec, item.line, _checked_selector(item, parser)))
    category = top.get("category")
    return EnvironmentYml(
        path=source,
        name=name_node.value if isinstance(name_node, _Scalar) else None,
        channels=tuple(channels),
        dependencies=tuple(dependencies),
        pip=tuple(pip),
        platforms=tuple(platforms),
        category=category.value if isinstance(category, _Scalar) else None,
    )


# -- selectors -----------------------------------------------------------------------------------

_SELECTORS: dict[str, frozenset[str]] = {
    "linux": frozenset({"linux-64", "linux-aarch64", "linux-ppc64le", "linux-s390x", "linux-32"}),
    "linux64": frozenset({"linux-64"}),
    "linux-64": frozenset({"linux-64"}),
    "aarch64": frozenset({"linux-aarch64"}),
    "linux-aarch64": frozenset({"linux-aarch64"}),
    "ppc64le": frozenset({"linux-ppc64le"}),
    "osx": frozenset({"osx-64", "osx-arm64"}),
    "osx64": frozenset({"osx-64"}),
    "osx-64": frozenset({"osx-64"}),
    "arm64": frozenset({"osx-arm64", "linux-aarch64"}),
    "osx-arm64": frozenset({"osx-arm64"}),
    "win": frozenset({"win-64", "win-32", "win-arm64"}),
    "win64": frozenset({"win-64"}),
    "win-64": frozenset({"win-64"}),
    "win32": frozenset({"win-32"}),
}
_SELECTORS["unix"] = _SELECTORS["linux"] | _SELECTORS["osx"]


def _checked_selector(line: _Scalar, parser: _Parser) -> str | None:
    selector = _selector(line.comment)
    if selector is not None:
        words = selector.split()
        if not (
            (len(words) == 1 and words[0] in _SELECTORS)
            or (len(words) == 2 and words[0] == "not" and words[1] in _SELECTORS)
        ):
            raise parser.error(line.line, f"unsupported selector [{selector}]")
    return selector


def selector_matches(selector: str, subdir: str) -> bool:
    """Whether a selector (``linux64``, ``osx``, ``not win``) keeps a line for ``subdir``.

    >>> selector_matches("linux64", "linux-64"), selector_matches("not osx", "osx-arm64")
    (True, False)
    """
    words = selector.split()
    if words[0] == "not":
        return subdir not in _SELECTORS[words[1]]
    return subdir in _SELECTORS[words[0]]


def _keep(selector: str | None, subdir: str | None) -> bool:
    return selector is None or subdir is None or selector_matches(selector, subdir)
