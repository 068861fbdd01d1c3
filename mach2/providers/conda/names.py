"""conda ↔ PyPI package names.

A conda package and a PyPI project are the same thing under ProviderOrder only when this map
says so: ``pytorch`` is ``torch``, ``msgpack-python`` is ``msgpack``, ``matplotlib-base`` is
``matplotlib``, and ``libgcc-ng`` is no PyPI project at all (it lives in the conda-only
namespace).  The data is prefix-dev/parselmouth's map for conda-forge, shipped as
``mach2/data/conda-pypi-names.json`` (derived, BSD-3-Clause; made by
``scripts/conda_pypi_names.py``, which says where it comes from and how to refresh it).

Several conda names can stand for one PyPI project (``dask`` and ``dask-core`` are both
``dask``); :func:`conda_names` lists them with the one spelled like the PyPI name first.
Names the map does not know are treated as conda-only; callers that know better (a user
override such as conda-lock's lookup file) pass ``overrides``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources

from packaging.utils import NormalizedName, canonicalize_name

__all__ = ["NameMap", "conda_names", "default_map", "pypi_name"]


class NameMap:
    """A conda → PyPI map with its reverse.

    :param to_pypi: conda name → normalized PyPI name, or ``None`` for "not a PyPI project".
    """

    def __init__(self, to_pypi: Mapping[str, NormalizedName | None]) -> None:
        self._to_pypi = dict(to_pypi)
        self._reverse: dict[NormalizedName, tuple[str, ...]] | None = None

    @property
    def _to_conda(self) -> dict[NormalizedName, tuple[str, ...]]:
        """PyPI name → conda names, made on first use (a lock without conda needs none)."""
        if self._reverse is None:
            reverse: dict[NormalizedName, list[str]] = {}
            for conda, pypi in self._to_pypi.items():
                if pypi is not None:
                    reverse.setdefault(pypi, []).append(conda)
            self._reverse = {
                pypi: (
                    tuple(sorted(names, key=lambda n: (canonicalize_name(n) != pypi, n)))
                    if len(names) > 1
                    else tuple(names)
                )
                for pypi, names in reverse.items()
            }
        return self._reverse

    def pypi_name(self, conda_name: str) -> NormalizedName | None:
        """The PyPI project a conda package is, or ``None`` (none, or not in the map)."""
        return self._to_pypi.get(conda_name)

    def is_known(self, conda_name: str) -> bool:
        """Whether the map has an entry (a PyPI name or an explicit "none") for ``conda_name``."""
        return conda_name in self._to_pypi

    def conda_names(self, pypi_name: str) -> tuple[str, ...]:
        """The conda packages that are ``pypi_name``, the same-spelled one first."""
        return self._to_conda.get(canonicalize_name(pypi_name), ())

    def with_overrides(self, overrides: Mapping[str, str | None]) -> NameMap:
        """A copy where ``overrides`` (conda name → PyPI name or ``None``) win."""
        merged = dict(self._to_pypi)
        for conda, pypi in overrides.items():
            merged[conda] = canonicalize_name(pypi) if pypi else None
        return NameMap(merged)

    def __len__(self) -> int:
        return len(self._to_pypi)


@cache
def default_map() -> NameMap:
    """The shipped conda-forge map (read once per process, ~25,000 entries).

    The file holds the normalized PyPI names already, so loading is one ``json.loads`` and
    three dict updates (see scripts/conda_pypi_names.py for its shape).
    """
    text = resources.files("mach2").joinpath("data/conda-pypi-names.json").read_bytes()
    data = json.loads(text)
    mapping: dict[str, NormalizedName | None] = dict(zip(data["same"], data["same"], strict=True))
    mapping.update(data["renamed"])
    mapping.update(dict.fromkeys(data["not-on-pypi"]))
    return NameMap(mapping)


def pypi_name(conda_name: str) -> NormalizedName | None:
    """:meth:`NameMap.pypi_name` of the shipped map.

    >>> pypi_name("pytorch"), pypi_name("libgcc-ng")
    ('torch', None)
    """
    return default_map().pypi_name(conda_name)


def conda_names(pypi: str) -> tuple[str, ...]:
    """:meth:`NameMap.conda_names` of the shipped map.

    >>> conda_names("dask")
    ('dask', 'dask-core')
    """
    return default_map().conda_names(pypi)
