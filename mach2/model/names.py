"""Names and resolver identifiers.

An *identifier* is the resolver's key.  It is built by :func:`format_identifier` and never
parsed back: records keep ``name`` and ``extras`` next to it (pip's lesson, see
research/aesthetics.md §3.3 rule 4).
"""

from __future__ import annotations

from collections.abc import Iterable

from packaging.utils import NormalizedName, canonicalize_name

__all__ = ["PYTHON_IDENTIFIER", "NormalizedName", "format_identifier", "normalize"]

#: The interpreter pseudo-package: its single candidate is the target's Python.
#: The angle brackets cannot occur in a PyPI name, so it never collides with one.
PYTHON_IDENTIFIER = "<python>"


def normalize(name: str) -> NormalizedName:
    """PEP 503 normalized project name."""
    return canonicalize_name(name)


def format_identifier(name: NormalizedName, extras: Iterable[str] = ()) -> str:
    """``name`` or ``name[extra1,extra2]`` with sorted, normalized extras.

    >>> format_identifier(normalize("Celery"), ["redis", "Auth"])
    'celery[auth,redis]'
    """
    normalized = sorted({canonicalize_name(e) for e in extras})
    if not normalized:
        return name
    return f"{name}[{','.join(normalized)}]"
