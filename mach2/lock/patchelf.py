"""Patch plans for the binary wheels of a lock (issue: wheels find their libraries in /nix/store).

Each binary wheel is downloaded once (the PyPI client caches by sha256), inspected, and
planned against the soname map and the libraries shipped by the wheels it depends on
(nvidia-* style splits).  The plan is stored in the package's ``patchelf`` field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from mach2.lock.model import LockedPackage
from mach2.model.target import Target
from mach2.patchelf import (
    SiblingLibrary,
    SonameMap,
    WheelInspection,
    inspect_wheel,
    plan,
    sibling_libraries,
)

__all__ = ["add_patch_plans", "needs_plan"]


def needs_plan(package: LockedPackage) -> bool:
    """Binary wheels only: a ``py3-none-any`` wheel has no ELF files to patch."""
    filename = package.artifact.filename or ""
    return (
        package.provider == "wheel"
        and filename.endswith(".whl")
        and not filename.endswith("-any.whl")
    )


def _closure(packages: Mapping[str, LockedPackage], key: str) -> set[str]:
    seen: set[str] = set()
    stack = list(packages[key].dependencies)
    while stack:
        name = stack.pop()
        if name in seen or name not in packages:
            continue
        seen.add(name)
        stack.extend(packages[name].dependencies)
    return seen


def add_patch_plans(
    packages: Mapping[str, LockedPackage],
    *,
    target: Target,
    download: Callable[[LockedPackage], Path],
    soname_map: SonameMap,
    workers: int = 8,
) -> dict[str, LockedPackage]:
    """Return ``packages`` with a ``patchelf`` plan on every binary wheel (Linux targets)."""
    result = dict(packages)
    if not target.is_linux:
        return result  # Mach-O wheels are chosen by deployment target, not patched
    binary = sorted(key for key, package in packages.items() if needs_plan(package))
    if not binary:
        return result

    def inspect(key: str) -> WheelInspection:
        return inspect_wheel(download(packages[key]))

    with ThreadPoolExecutor(workers, thread_name_prefix="mach2-plan") as pool:
        inspections = dict(zip(binary, pool.map(inspect, binary), strict=True))
    shipped = {key: sibling_libraries(inspection, key) for key, inspection in inspections.items()}
    for key in binary:
        siblings: dict[str, SiblingLibrary] = {}
        for dependency in sorted(_closure(packages, key)):
            for soname, library in shipped.get(dependency, {}).items():
                siblings.setdefault(soname, library)
        package = packages[key]
        patch_plan = plan(
            inspections[key],
            target=target,
            soname_map=soname_map,
            siblings=siblings,
            name=package.name,
            version=package.version,
            sha256=package.artifact.sha256,
        )
        result[key] = attrs.evolve(
            package, extra={**package.extra, "patchelf": patch_plan.to_json()}
        )
    return result
