"""The ``nixpkgs`` provider, made from a lock's settings (the providers stage), and what the
lock records about the nixpkgs it used.

The index is read from a prepared file, or made by evaluating a nixpkgs with real Nix (cached
per nixpkgs content); neither given: no nixpkgs provider.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mach2.model.target import Target
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

__all__ = ["lock_record", "open_index", "provider"]


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
