"""Mach-O plans for the binary wheels of a macOS system of the lock.

Each binary wheel is downloaded once (the download cache, by sha256) and inspected once (the
inspection cache, by sha256: a warm lock reads no wheel); the plan (:mod:`mach2.macho.plan`)
is stored in the package's ``macho`` field only when the wheel loads a library from outside
itself.  Nothing of the host is read: a lock for macOS made on Linux is the same as one made
on a Mac.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from mach2.lock.inspections import InspectionStore, inspect_wheels
from mach2.lock.model import LockedPackage
from mach2.lock.patchelf import UnresolvedLibrary, dependency_closure, needs_plan
from mach2.macho import MachoFile, MachoInspection, MachoSlice, inspect_macho_wheel, plan
from mach2.model.target import Target
from mach2.patchelf import SonameMap

__all__ = ["MachoInspectionCache", "add_macho_plans", "unresolved_links"]

_INSPECTION_FORMAT = 1


class MachoInspectionCache(InspectionStore[MachoInspection]):
    """Mach-O facts of wheels by sha256 (never revalidated: a wheel's bytes never change)."""

    def __init__(self, directory: Path | None) -> None:
        super().__init__(directory, from_json=_from_json, format=_INSPECTION_FORMAT)


def _from_json(data: dict[str, Any]) -> MachoInspection:
    return MachoInspection(
        members=tuple(data["members"]),
        files=tuple(
            MachoFile(
                path=file["path"],
                slices=tuple(
                    MachoSlice(
                        **{
                            **s,
                            "libraries": tuple(s["libraries"]),
                            "weak": tuple(s["weak"]),
                            "rpaths": tuple(s["rpaths"]),
                        }
                    )
                    for s in file["slices"]
                ),
            )
            for file in data["files"]
        ),
    )


def add_macho_plans(
    packages: Mapping[str, LockedPackage],
    *,
    target: Target,
    download: Callable[[LockedPackage], Path],
    soname_map: SonameMap,
    cache: MachoInspectionCache | None = None,
    workers: int = 8,
    on_inspected: Callable[[str, int, int], None] | None = None,
) -> dict[str, LockedPackage]:
    """``packages`` with a ``macho`` plan on each binary wheel that loads a library from
    outside itself (macOS targets)."""
    result = dict(packages)
    if target.is_linux:
        return result
    binary = sorted(key for key, package in packages.items() if needs_plan(package))
    if not binary:
        return result
    cache = cache or MachoInspectionCache(None)
    inspections = inspect_wheels(
        binary,
        packages,
        store=cache,
        read=inspect_macho_wheel,
        download=download,
        workers=workers,
        on_inspected=on_inspected,
        thread_name="mach2-macho",
    )
    for key in binary:
        siblings = [
            member
            for dependency in sorted(dependency_closure(packages, key))
            if dependency in inspections
            for member in inspections[dependency].members
        ]
        found = plan(inspections[key], target=target, soname_map=soname_map, siblings=siblings)
        if found is not None:
            package = packages[key]
            result[key] = attrs.evolve(package, extra={**package.extra, "macho": found.to_json()})
    return result


def unresolved_links(packages: Mapping[str, LockedPackage]) -> tuple[UnresolvedLibrary, ...]:
    """Every library the ``macho`` plans leave without a source (weak links aside: the file
    loads without them), by package then library, in the words of the ELF report."""
    found = []
    for key, package in sorted(packages.items()):
        plan = package.extra.get("macho")
        if not isinstance(plan, Mapping) or not isinstance(plan.get("links"), list):
            continue
        files: dict[str, list[str]] = {}
        reasons: dict[str, str] = {}
        for link in plan["links"]:
            if link.get("attr") or link.get("weak"):
                continue
            library = str(link.get("library") or link.get("file"))
            files.setdefault(library, []).append(str(link.get("file")))
            reasons.setdefault(library, str(link.get("unresolved") or "unresolved"))
        found += [
            UnresolvedLibrary(
                key, package.name, package.version, library, tuple(paths), reasons[library]
            )
            for library, paths in sorted(files.items())
        ]
    return tuple(found)
