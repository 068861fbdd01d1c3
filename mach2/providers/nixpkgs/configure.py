"""The ``nixpkgs`` provider, made from a lock's settings (the providers stage), and what the
lock records about the nixpkgs it used.

The index is read from a prepared file, or made by evaluating a nixpkgs with real Nix (cached
per nixpkgs content); neither given: no nixpkgs provider.  Made with Nix, it is made only
when the resolver first asks the provider (:class:`OnDemandProvider`): ``mach2 env --nixpkgs
REV`` pins nixpkgs for the build, and a lock all of whose packages come from wheels must not
download and evaluate that nixpkgs (nor fail offline because it cannot).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName

from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.nixpkgs.index import (
    NixpkgsIndex,
    NixpkgsSource,
    evaluate_index,
    parse_nixpkgs_source,
    python_attr,
    read_index,
)
from mach2.providers.nixpkgs.provider import NixpkgsProvider, pypi_dependencies
from mach2.providers.pypi.configure import wheel_dependencies
from mach2.providers.pypi.provider import PackageIndex

__all__ = ["OnDemandProvider", "lock_record", "open_index", "provider"]


def open_index(
    index_file: Path | None,
    nixpkgs: str | NixpkgsSource | None,
    target: Target,
    *,
    cache_dir: Path | None,
    refresh: bool = False,
) -> NixpkgsIndex | None:
    """The packages of the nixpkgs the user named for ``target`` (``None``: none named)."""
    if index_file is not None:
        return read_index(index_file)
    if nixpkgs is None:
        return None
    return evaluate_index(
        nixpkgs if isinstance(nixpkgs, NixpkgsSource) else parse_nixpkgs_source(nixpkgs),
        python=python_attr(target.python),
        system=target.system,
        cache_dir=cache_dir,
        refresh=refresh,
    )


def provider(index: NixpkgsIndex, target: Target, pypi: PackageIndex) -> NixpkgsProvider:
    """The provider; a candidate's dependencies come from PyPI's metadata when it has them."""
    return NixpkgsProvider(index, target, pypi_dependencies(pypi, wheel_dependencies, target))


class OnDemandProvider:
    """The ``nixpkgs`` provider, its index made the first time the resolver asks it anything.

    :param open_index: makes the index (evaluates nixpkgs with Nix; may fail).
    :param make: the provider over that index.
    """

    name = "nixpkgs"

    def __init__(
        self,
        open_index: Callable[[], NixpkgsIndex],
        make: Callable[[NixpkgsIndex], NixpkgsProvider],
    ) -> None:
        self._open = open_index
        self._make = make
        self._provider: NixpkgsProvider | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> NixpkgsIndex | None:
        """The index when it was made, else ``None`` (no package needed nixpkgs)."""
        return self._provider.index if self._provider is not None else None

    def _opened(self) -> NixpkgsProvider:
        with self._lock:  # the resolver's prefetch threads may ask at once: one evaluation
            if self._provider is None:
                self._provider = self._make(self._open())
            return self._provider

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        return self._opened().candidates(name)

    def dependencies(self, candidate: Candidate) -> Dependencies:
        return self._opened().dependencies(candidate)

    def dependencies_from(self, candidate: Candidate) -> str:
        return self._opened().dependencies_from(candidate)

    def rejections(self, name: NormalizedName) -> dict[str, list[str]]:
        return self._opened().rejections(name)

    def prefetch(self, name: NormalizedName) -> None:
        """Nothing: asking would make the index (the provider is in memory once made)."""


def lock_record(
    index: NixpkgsIndex | None, nixpkgs: str | NixpkgsSource | None
) -> dict[str, Any] | None:
    """What the lock says about the nixpkgs the provider used (``None``: not used)."""
    if index is None:
        return None
    record: dict[str, Any] = {k: v for k, v in index.nixpkgs.items() if v is not None}
    if index.python:
        record["python"] = index.python
    if nixpkgs is not None and not isinstance(nixpkgs, str):  # a pinned NixpkgsSource
        record.update({"kind": nixpkgs.kind, "source": nixpkgs.value})
        if nixpkgs.sha256:
            record["sha256"] = nixpkgs.sha256
    elif nixpkgs is not None:
        record["source"] = nixpkgs
    return record
