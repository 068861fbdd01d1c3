"""Names and resolver identifiers.

An *identifier* is the resolver's key.  It is built by :func:`format_identifier` and never
parsed back: records keep ``name`` and ``extras`` next to it (pip's lesson, see
research/aesthetics.md §3.3 rule 4).
"""

from __future__ import annotations

from collections.abc import Iterable

from packaging.utils import NormalizedName, canonicalize_name

__all__ = [
    "CONDA_NAMESPACE",
    "PYTHON_IDENTIFIER",
    "NormalizedName",
    "conda_native",
    "format_identifier",
    "is_conda_native",
    "normalize",
]

#: The interpreter pseudo-package: its single candidate is the target's Python.
#: The angle brackets cannot occur in a PyPI name, so it never collides with one.
PYTHON_IDENTIFIER = "<python>"

#: Conda packages that are no PyPI project (libgcc-ng, openblas, _openmp_mutex) are named
#: ``conda:<conda name>``: ``:`` cannot occur in a PyPI name, so they never collide with one,
#: and only conda providers serve them (see mach2.providers.conda.provider).
CONDA_NAMESPACE = "conda:"


def conda_native(conda_name: str) -> NormalizedName:
    """The name (and identifier) of a conda-only package; the conda name is kept as is.

    >>> conda_native("_openmp_mutex")
    'conda:_openmp_mutex'
    """
    return NormalizedName(CONDA_NAMESPACE + conda_name)


def is_conda_native(name: str) -> bool:
    return name.startswith(CONDA_NAMESPACE)


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
