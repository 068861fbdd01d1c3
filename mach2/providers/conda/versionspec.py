"""Conda version specs (``conda.models.version.VersionSpec``): the version part of a MatchSpec.

``>=1.2,<2`` (``,`` is "and"), ``1.2|1.3`` (``|`` is "or", binding looser than ``,``),
parentheses, ``1.2.*`` / ``1.2*`` / ``=1.2`` (starts with), ``==1.2`` or a bare ``1.2``
(equal, so ``1.2.0`` too), ``!=1.2.*``, ``~=1.2`` (compatible release), ``*``, globs inside
(``1.*.3``) and ``^regex$``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Final

from attrs import frozen

from mach2.providers.conda.errors import InvalidMatchSpec, InvalidVersion
from mach2.providers.conda.version import VersionOrder

__all__ = ["VersionSpec", "compile_pattern", "parse_version_spec"]

_RELATION = re.compile(r"^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$")
_NEEDS_TREE = re.compile(r".*[()|,^$]")
_TOKENS = re.compile(r"\s*\^[^$]*[$]|\s*[()|,]|[^()|,]+")
_OPERATOR_START: Final = frozenset("=<>!~")


def _compatible(version: VersionOrder, bound: VersionOrder) -> bool:
    prefix = ".".join(bound.text.split(".")[:-1])
    return version >= bound and (not prefix or version.startswith(VersionOrder.parse(prefix)))


_OPERATORS: dict[str, Callable[[VersionOrder, VersionOrder], bool]] = {
    "==": lambda v, b: v == b,
    "!=": lambda v, b: v != b,
    "<=": lambda v, b: v <= b,
    ">=": lambda v, b: v >= b,
    "<": lambda v, b: v < b,
    ">": lambda v, b: v > b,
    "=": lambda v, b: v.startswith(b),
    "!=startswith": lambda v, b: not v.startswith(b),
    "~=": _compatible,
}


@frozen
class VersionSpec:
    """A version constraint: a leaf (operator and version, ``*``, a regex) or an and/or tree.

    :param text: the spec as written, spaces removed.
    :param kind: ``any``, ``op``, ``regex``, ``and`` or ``or``.
    """

    text: str
    kind: str
    operator: str = ""
    bound: VersionOrder | None = None
    regex: re.Pattern[str] | None = None
    children: tuple[VersionSpec, ...] = ()

    @classmethod
    def parse(cls, text: str) -> VersionSpec:
        """Parse a conda version spec; raises :class:`InvalidMatchSpec`."""
        return parse_version_spec(text.strip())

    def match(self, version: VersionOrder) -> bool:
        if self.kind == "op":
            assert self.bound is not None
            return _OPERATORS[self.operator](version, self.bound)
        if self.kind == "any":
            return True
        if self.kind == "and":
            return all(child.match(version) for child in self.children)
        if self.kind == "or":
            return any(child.match(version) for child in self.children)
        assert self.regex is not None
        return self.regex.match(version.text) is not None

    def __str__(self) -> str:
        return self.text


def _treeify(text: str) -> str | tuple[str, list[object]]:
    """Parse ``,``/``|``/parentheses into ``(op, [children])`` trees (``,`` binds tighter)."""
    tokens = [t.strip() for t in _TOKENS.findall(f"({text})")]
    output: list[object] = []
    stack: list[str] = []

    def apply(stop: str) -> None:
        while stack and stack[-1] not in stop:
            if len(output) < 2:
                raise InvalidMatchSpec(text, "cannot join a single expression")
            op = stack.pop()
            right, left = output.pop(), output.pop()
            parts: list[object] = []
            for side in (left, right):
                if isinstance(side, tuple) and side[0] == op:
                    parts.extend(side[1])
                else:
                    parts.append(side)
            output.append((op, parts))

    for token in tokens:
        if token in ("|", ","):
            apply("(" if token == "|" else "(|")
            stack.append(token)
        elif token == "(":
            stack.append(token)
        elif token == ")":
            apply("(")
            if not stack or stack[-1] != "(":
                raise InvalidMatchSpec(text, "unbalanced parentheses")
            stack.pop()
        elif token:
            output.append(token)
    if stack or len(output) != 1:
        raise InvalidMatchSpec(text, "cannot make sense of the version expression")
    result = output[0]
    assert isinstance(result, str | tuple)
    return result


def _from_tree(tree: object, whole: str) -> VersionSpec:
    if isinstance(tree, str):
        return _parse_leaf(tree, whole)
    assert isinstance(tree, tuple)
    op, parts = tree
    children = tuple(_from_tree(part, whole) for part in parts)
    joiner = "|" if op == "|" else ","
    text = joiner.join(f"({c.text})" if c.kind == "or" and op == "," else c.text for c in children)
    return VersionSpec(text, "or" if op == "|" else "and", children=children)


@cache
def parse_version_spec(text: str) -> VersionSpec:
    if not text:
        raise InvalidMatchSpec(text, "empty version spec")
    if _NEEDS_TREE.match(text):
        return _from_tree(_treeify(text), text)
    return _parse_leaf(text, text)


def _version(text: str, whole: str) -> VersionOrder:
    try:
        return VersionOrder.parse(text)
    except InvalidVersion as error:
        raise InvalidMatchSpec(whole, error.reason) from None


def _parse_leaf(text: str, whole: str) -> VersionSpec:
    text = text.strip()
    if text.startswith("^") or text.endswith("$"):
        if not (text.startswith("^") and text.endswith("$")):
            raise InvalidMatchSpec(whole, "regex specs must start with '^' and end with '$'")
        return VersionSpec(text, "regex", regex=compile_pattern(text, whole))
    if text[0] in _OPERATOR_START:
        match = _RELATION.match(text)
        if match is None:
            raise InvalidMatchSpec(whole, f"invalid operator in {text!r}")
        operator, version = match.groups()
        if version.endswith(".*"):
            if operator == "!=":
                operator = "!=startswith"
            elif operator == "~=":
                raise InvalidMatchSpec(whole, "'~=' cannot be combined with '.*'")
            version = version[:-2]  # conda: '>=1.2.*' is '>=1.2', '=1.2.*' is '=1.2'
        return VersionSpec(text, "op", operator=operator, bound=_version(version, whole))
    if text == "*":
        return VersionSpec(text, "any")
    if "*" in text.rstrip("*"):
        pattern = text.replace(".", r"\.").replace("+", r"\+").replace("*", r".*")
        return VersionSpec(text, "regex", regex=compile_pattern(rf"^(?:{pattern})$", whole))
    if text.endswith("*"):
        prefix = text.rstrip("*").rstrip(".")
        return VersionSpec(text, "op", operator="=", bound=_version(prefix, whole))
    if "@" in text:
        return VersionSpec(text, "regex", regex=compile_pattern(rf"^{re.escape(text)}$", whole))
    return VersionSpec(text, "op", operator="==", bound=_version(text, whole))


def compile_pattern(pattern: str, whole: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise InvalidMatchSpec(whole, f"invalid regular expression: {error}") from None
