"""Conda version specs (``conda.models.version.VersionSpec``): the version part of a MatchSpec.

``>=1.2,<2`` (``,`` is "and"), ``1.2|1.3`` (``|`` is "or", binding looser than ``,``),
parentheses, ``1.2.*`` / ``1.2*`` / ``=1.2`` (starts with), ``==1.2`` or a bare ``1.2``
(equal, so ``1.2.0`` too), ``!=1.2.*``, ``~=1.2`` (compatible release), ``*``, globs inside
(``1.*.3``) and ``^regex$``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Final

from attrs import frozen

from mach2.providers.conda.errors import InvalidMatchSpec, InvalidVersion
from mach2.providers.conda.version import VersionOrder

__all__ = ["VersionSpec", "compile_pattern", "glob_pattern", "parse_version_spec"]

_RELATION = re.compile(r"^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$")
_NEEDS_TREE = re.compile(r".*[()|,^$]")
_PLAIN_RUN = re.compile(r"[^()|,]+")
#: how deep parentheses may nest (deeper ones would exhaust the recursion of _from_tree)
MAX_NESTING: Final = 32
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
    tokens = [t.strip() for t in _tokens(f"({text})")]
    output: list[object] = []
    stack: list[str] = []
    depth = 0

    def apply(stop: str) -> None:
        while stack and stack[-1] not in stop:
            if len(output) < 2:
                raise InvalidMatchSpec(text, "cannot join a single expression")
            op = stack.pop()
            right, left = output.pop(), output.pop()
            # ``a|b|c`` grows the left side: extend its list (made here) instead of copying it
            parts = left[1] if isinstance(left, tuple) and left[0] == op else [left]
            if isinstance(right, tuple) and right[0] == op:
                parts.extend(right[1])
            else:
                parts.append(right)
            output.append((op, parts))

    for token in tokens:
        if token in ("|", ","):
            apply("(" if token == "|" else "(|")
            stack.append(token)
        elif token == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise InvalidMatchSpec(text, f"parentheses nested more than {MAX_NESTING} deep")
            stack.append(token)
        elif token == ")":
            depth -= 1
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


def _tokens(text: str) -> Iterator[str]:
    """What ``re.findall(r"\\s*\\^[^$]*[$]|\\s*[()|,]|[^()|,]+", text)`` finds, in linear time:
    a ``^...$`` regex (up to its first ``$``), one of ``()|,``, or a run of other characters,
    each with the blanks before it.  The regex retried ``^`` + the rest of the text at every
    ``^`` after the last ``$``: quadratic.
    """
    at, end = 0, len(text)
    no_dollar_after = end  # a "^" at or after this index has no "$" to close it
    while at < end:
        mark = at
        while mark < end and text[mark].isspace():
            mark += 1
        if mark < no_dollar_after and text.startswith("^", mark):
            dollar = text.find("$", mark + 1)
            if dollar >= 0:
                yield text[at : dollar + 1]
                at = dollar + 1
                continue
            no_dollar_after = mark
        if mark < end and text[mark] in "()|,":
            yield text[at : mark + 1]
            at = mark + 1
            continue
        run = _PLAIN_RUN.match(text, at)
        assert run is not None  # text[at] is no separator: it would have been taken above
        yield run[0]
        at = run.end()


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
        pattern = glob_pattern(text)
        return VersionSpec(text, "regex", regex=compile_pattern(rf"^(?:{pattern})$", whole))
    if text.endswith("*"):
        prefix = text.rstrip("*").rstrip(".")
        return VersionSpec(text, "op", operator="=", bound=_version(prefix, whole))
    if "@" in text:
        return VersionSpec(text, "regex", regex=compile_pattern(rf"^{re.escape(text)}$", whole))
    return VersionSpec(text, "op", operator="==", bound=_version(text, whole))


def glob_pattern(glob: str) -> str:
    """A regex for ``glob`` (``*`` matches anything, the rest is literal) that runs in
    polynomial time.

    ``a*b*c`` as ``a.*b.*c`` backtracks through every way to place ``b``: exponential in the
    number of ``*`` (ten of them against a 50-character build string: minutes).  Each middle
    part is taken at its first occurrence instead, in an atomic group: if the parts fit at
    all, they fit there.

    >>> glob_pattern("py3*_cp*")
    'py3(?>.*?_cp).*'
    """
    parts = [re.escape(part) for part in glob.split("*")]
    if len(parts) == 1:
        return parts[0]
    middle = "".join(f"(?>.*?{part})" for part in parts[1:-1])
    return f"{parts[0]}{middle}.*{parts[-1]}"


def compile_pattern(pattern: str, whole: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise InvalidMatchSpec(whole, f"invalid regular expression: {error}") from None
