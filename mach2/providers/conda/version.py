"""Conda's version ordering (``conda.models.version.VersionOrder``), not PEP 440.

A version string is lower-cased, split into an epoch (``1!``), a main part and a local part
(``+``), then into components at ``.`` and ``_`` (``-`` counts as ``_`` when there is no ``_``).
Each component is a run of numbers and strings, and a component that starts with a string gets a
leading ``0`` so numbers and strings stay in phase::

    1.2.3a1   -> [[0], [1], [2], [3, 'a', 1]]
    1!2.0dev  -> [[1], [2], [0, 'DEV']]

Comparison is component by component, padding with ``0``.  Strings sort before numbers;
``dev`` becomes ``'DEV'`` (so it sorts before every other string, after ``*``) and ``post``
becomes infinity::

    1.1dev1 < 1.1a1 < 1.1b1 < 1.1rc1 < 1.1 == 1.1.0 < 1.1.0post1 < 1.1.1 < 1!0.4

The parsed form is checked against every version string in rattler's oracle (conda's own
``VersionOrder(v).version`` for ~28,500 real versions), see tests/unit/test_conda_version.py.
"""

from __future__ import annotations

import re
from itertools import zip_longest
from typing import Final

from attrs import field, frozen
from packaging.version import InvalidVersion as _Pep440Invalid
from packaging.version import Version

from mach2.providers.conda.errors import InvalidVersion

__all__ = ["Component", "Element", "VersionOrder", "pep440"]

#: One element of a component: a number, a lower-case string, ``'DEV'`` or ``inf`` (``post``).
Element = int | float | str
Component = tuple[Element, ...]

_FILL: Final = 0
_VALID = re.compile(r"^[*.+!_0-9a-z]+$")
_SPLIT = re.compile(r"[0-9]+|[*]+|[^0-9*]+")
_INF: Final = float("inf")


def _component(text: str, vstr: str) -> Component:
    runs = _SPLIT.findall(text)
    if not runs:
        raise InvalidVersion(vstr, "empty version component")
    elements: list[Element] = []
    for run in runs:
        if run.isdigit():
            elements.append(int(run))
        elif run == "post":
            elements.append(_INF)
        elif run == "dev":
            elements.append("DEV")
        else:
            elements.append(run)
    if not text[0].isdigit():
        elements.insert(0, _FILL)
    return tuple(elements)


def _split(vstr: str) -> tuple[str, tuple[Component, ...], tuple[Component, ...]]:
    """Return the normalized string, the version components (epoch first) and the local ones."""
    version = vstr.strip().lower()
    if not version:
        raise InvalidVersion(vstr, "empty version string")
    if not _VALID.match(version) and "-" in version and "_" not in version:
        version = version.replace("-", "_")  # dashes are allowed when there is no underscore
    if not _VALID.match(version):
        raise InvalidVersion(vstr, "invalid character(s)")
    normalized = version

    epoch_parts = version.split("!")
    if len(epoch_parts) > 2:
        raise InvalidVersion(vstr, "duplicated epoch separator '!'")
    if len(epoch_parts) == 2 and not epoch_parts[0].isdigit():
        raise InvalidVersion(vstr, "epoch must be an integer")
    epoch = epoch_parts[0] if len(epoch_parts) == 2 else "0"

    local_parts = epoch_parts[-1].split("+")
    if len(local_parts) > 2:
        raise InvalidVersion(vstr, "duplicated local version separator '+'")
    main = local_parts[0]
    if not main:
        raise InvalidVersion(vstr, "missing version before local version separator '+'")
    local = local_parts[1].replace("_", ".").split(".") if len(local_parts) == 2 else []

    if main.endswith("_"):
        # openssl-like versions (1.0.1_ < 1.0.1a): a trailing underscore stays in the component
        split = main[:-1].replace("_", ".").split(".")
        split[-1] += "_"
    else:
        split = main.replace("_", ".").split(".")

    return (
        normalized,
        tuple(_component(c, vstr) for c in [epoch, *split]),
        tuple(_component(c, vstr) for c in local),
    )


def _compare(left: tuple[Component, ...], right: tuple[Component, ...]) -> int:
    """conda's ordering of two component lists: -1, 0 or 1 (padding with the fill value 0)."""
    for c1, c2 in zip_longest(left, right, fillvalue=()):
        for e1, e2 in zip_longest(c1, c2, fillvalue=_FILL):
            if e1 == e2:
                continue
            if isinstance(e1, str):
                if not isinstance(e2, str):
                    return -1  # strings sort before numbers
                return -1 if e1 < e2 else 1
            if isinstance(e2, str):
                return 1
            return -1 if e1 < e2 else 1
    return 0


def _canonical(parts: tuple[Component, ...]) -> tuple[Component, ...]:
    """Drop trailing fill values so that equal versions (1.1, 1.1.0) hash alike."""
    trimmed = []
    for component in parts:
        end = len(component)
        while end and component[end - 1] == _FILL:
            end -= 1
        trimmed.append(component[:end])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return tuple(trimmed)


_CACHE: dict[str, VersionOrder] = {}


@frozen(eq=False)
class VersionOrder:
    """A parsed conda version; compare and hash these, print :attr:`text`.

    Build with :meth:`parse` (cached): ``VersionOrder.parse("1.2.3")``.

    :param text: the version as written (stripped), e.g. ``"1.2.3rc1"``.
    :param version: epoch followed by the components of the main part.
    :param local: the components after ``+``.
    """

    text: str
    version: tuple[Component, ...] = field(repr=False)
    local: tuple[Component, ...] = field(repr=False)
    _key: tuple[tuple[Component, ...], tuple[Component, ...]] = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> VersionOrder:
        """Parse ``text``; raises :class:`~mach2.providers.conda.errors.InvalidVersion`.

        >>> VersionOrder.parse("1.2.3a1").version
        ((0,), (1,), (2,), (3, 'a', 1))
        """
        cached = _CACHE.get(text)
        if cached is None:
            _normalized, version, local = _split(text)
            cached = cls(text.strip(), version, local, (_canonical(version), _canonical(local)))
            _CACHE[text] = cached
        return cached

    @property
    def normalized(self) -> str:
        """The lower-cased form conda prints (``str(VersionOrder(v))``)."""
        return _split(self.text)[0]

    def __str__(self) -> str:
        return self.text

    def _cmp(self, other: VersionOrder) -> int:
        return _compare(self.version, other.version) or _compare(self.local, other.local)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VersionOrder):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __lt__(self, other: VersionOrder) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: VersionOrder) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: VersionOrder) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: VersionOrder) -> bool:
        return self._cmp(other) >= 0

    def startswith(self, prefix: VersionOrder) -> bool:
        """Whether this version lies under ``prefix`` (conda's ``=1.2`` / ``1.2.*``).

        The last element of ``prefix`` may be a string prefix: ``1.2.3rc1`` starts with ``1.2.3r``.
        """
        if prefix.local:
            if _compare(self.version, prefix.version) != 0:
                return False
            mine, theirs = self.local, prefix.local
        else:
            mine, theirs = self.version, prefix.version
        last = len(theirs) - 1
        if _compare(mine[:last], theirs[:last]) != 0:
            return False
        c1: Component = mine[last] if len(mine) > last else ()
        c2 = theirs[last]
        end = len(c2) - 1
        if _compare((c1[:end],), (c2[:end],)) != 0:
            return False
        e1: Element = c1[end] if len(c1) > end else _FILL
        e2 = c2[end]
        if isinstance(e2, str):
            return isinstance(e1, str) and e1.startswith(e2)
        return e1 == e2

    def is_prerelease(self) -> bool:
        """Whether any main component holds a string other than ``_`` (``rc``, ``a``, ``dev``)."""
        return any(isinstance(e, str) and e != "_" for c in self.version for e in c)


def pep440(text: str) -> Version | None:
    """The PEP 440 reading of a conda version, or ``None`` (for mixing with PyPI candidates).

    >>> pep440("1.26.4"), pep440("1.1.1_")
    (<Version('1.26.4')>, None)
    """
    try:
        return Version(text)
    except _Pep440Invalid:
        return None
