"""A small renderer for the few Nix expressions mach2 writes.

Generated ``.nix`` text never comes from string templates: it is built from these values and
rendered here, so every string is escaped (``"``, ``\\``, ``${``, control characters),
attribute names are quoted when they are not plain identifiers, attribute sets are sorted by
name and the output is stable byte for byte.

>>> render(Attrs({"b": 1, "a": "x${y}"}))
'{\\n  a = "x\\\\${y}";\\n  b = 1;\\n}'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from attrs import field, frozen

__all__ = [
    "Apply",
    "Attrs",
    "Expr",
    "Interpolated",
    "Lambda",
    "Let",
    "Path",
    "Raw",
    "Select",
    "Value",
    "render",
    "string",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_'-]*$")
_KEYWORDS = frozenset({"assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"})
_PATH = re.compile(r"^[A-Za-z0-9._+-]+(/[A-Za-z0-9._+-]+)*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def string(text: str, *, multiline: bool = False) -> str:
    """A Nix double-quoted string literal for ``text``.

    ``multiline`` keeps newlines as they are (a Nix string may span lines), for embedded files.

    >>> string('a"b\\\\c${d}$e')
    '"a\\\\"b\\\\\\\\c\\\\${d}$e"'
    """
    return '"' + _escaped(text, multiline=multiline) + '"'


def _escaped(text: str, *, multiline: bool = False) -> str:
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "$" and text.startswith("${", i):
            out.append("\\${")
            i += 2
            continue
        out.append(char if multiline and char == "\n" else _ESCAPES.get(char, char))
        i += 1
    return "".join(out)


def attr_name(name: str) -> str:
    """An attribute name, quoted unless it is a plain identifier."""
    if _IDENTIFIER.match(name) and name not in _KEYWORDS:
        return name
    return string(name)


@frozen
class Raw:
    """A trusted fragment of Nix written by mach2 itself (``<nixpkgs>``, ``builtins.readFile``)."""

    text: str


@frozen
class Path:
    """A relative path literal (``./mach2.lock``); only plain file-name characters are allowed."""

    relative: str = field()

    @relative.validator
    def _check(self, _attribute: object, value: str) -> None:
        if not _PATH.match(value) or ".." in value.split("/"):
            raise ValueError(f"not a plain relative path for a Nix path literal: {value!r}")


@frozen
class Attrs:
    """An attribute set; ``inherit`` names are rendered first as ``inherit a b;``."""

    entries: Mapping[str, Value]
    inherit: Sequence[str] = ()


@frozen
class Apply:
    """Function application ``f a b``."""

    function: Value
    arguments: Sequence[Value]


@frozen
class Select:
    """Attribute selection ``e.a.b``."""

    expr: Value
    path: Sequence[str]


@frozen
class Let:
    """``let a = ...; in body`` (bindings sorted by name)."""

    bindings: Mapping[str, Value]
    body: Value


@frozen
class Lambda:
    """A function with an attribute-set pattern: ``{ a, b ? default }: body``."""

    params: Mapping[str, Value | None]
    body: Value


@frozen
class Interpolated:
    """A string with ``${...}`` parts: text parts are escaped, the others rendered as Nix.

    ``multiline`` keeps the text's newlines (an embedded file stays readable).
    """

    parts: Sequence[str | Expr]
    multiline: bool = False


Expr = Raw | Path | Attrs | Apply | Select | Let | Lambda | Interpolated
Value = Expr | str | int | bool | None | Sequence["Value"] | Mapping[str, "Value"]

_INDENT = "  "


def render(value: Value, indent: int = 0) -> str:
    """Render a value as Nix text; nested values are indented two spaces per level."""
    pad = _INDENT * indent
    inner = _INDENT * (indent + 1)
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Path):
        return "./" + value.relative
    if isinstance(value, Interpolated):
        return (
            '"'
            + "".join(
                _escaped(part, multiline=value.multiline)
                if isinstance(part, str)
                else "${" + render(part, indent) + "}"
                for part in value.parts
            )
            + '"'
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, Mapping):
        return render(Attrs(value), indent)
    if isinstance(value, Attrs):
        if not value.entries and not value.inherit:
            return "{ }"
        lines = ["{"]
        if value.inherit:
            lines.append(f"{inner}inherit {' '.join(attr_name(n) for n in value.inherit)};")
        for name in sorted(value.entries):
            lines.append(f"{inner}{attr_name(name)} = {render(value.entries[name], indent + 1)};")
        lines.append(pad + "}")
        return "\n".join(lines)
    if isinstance(value, Apply):
        parts = [_operand(value.function, indent)]
        parts.extend(_operand(argument, indent) for argument in value.arguments)
        return " ".join(parts)
    if isinstance(value, Select):
        return _operand(value.expr, indent) + "".join("." + attr_name(p) for p in value.path)
    if isinstance(value, Let):
        lines = ["let"]
        for name in sorted(value.bindings):
            lines.append(f"{inner}{attr_name(name)} = {render(value.bindings[name], indent + 1)};")
        lines.append(pad + "in")
        lines.append(pad + render(value.body, indent))
        return "\n".join(lines)
    if isinstance(value, Lambda):
        lines = ["{"]
        for name in sorted(value.params):
            default = value.params[name]
            suffix = "" if default is None else f" ? {render(default, indent + 1)}"
            lines.append(f"{inner}{attr_name(name)}{suffix},")
        lines.append(pad + "}:")
        lines.append(pad + render(value.body, indent))
        return "\n".join(lines)
    if isinstance(value, Sequence):
        if not value:
            return "[ ]"
        items = [f"{inner}{_operand(item, indent + 1)}" for item in value]
        return "\n".join(["[", *items, pad + "]"])
    raise TypeError(f"cannot render {type(value).__name__} as Nix")


def _operand(value: Value, indent: int) -> str:
    """Render a value in an argument / list-element position (parenthesised when needed)."""
    text = render(value, indent)
    needs_parens = isinstance(value, Apply | Let | Lambda) or (
        isinstance(value, Raw) and not re.match(r"^[A-Za-z0-9_.<>/'-]+$", value.text)
    )
    return f"({text})" if needs_parens else text
