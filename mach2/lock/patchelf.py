"""Patch plans for the binary wheels of a lock (issue: wheels find their libraries in /nix/store).

Each binary wheel is downloaded once (the PyPI client caches by sha256), inspected, and
planned against the soname map and the libraries shipped by the wheels it depends on
(nvidia-* style splits).  The plan is stored in the package's ``patchelf`` field.

:func:`unresolved_libraries` lists what the plans leave without a library (reported when
locking, so that the failure does not wait for ``nix-build``); :func:`require_resolved`
makes that an error (``mach2 lock --strict``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from mach2.errors import LockError
from mach2.lock.inspections import InspectionStore, inspect_wheels
from mach2.lock.model import LockedPackage
from mach2.model.target import Target
from mach2.patchelf import (
    ElfInfo,
    SiblingLibrary,
    SonameMap,
    VersionNeed,
    WheelInspection,
    inspect_wheel,
    plan,
    sibling_libraries,
)

__all__ = [
    "InspectionCache",
    "UnresolvedLibraries",
    "UnresolvedLibrary",
    "add_patch_plans",
    "dependency_closure",
    "fixes_hint",
    "needs_plan",
    "require_resolved",
    "unresolved_libraries",
]

_INSPECTION_FORMAT = 1


class InspectionCache(InspectionStore[WheelInspection]):
    """ELF facts of wheels by sha256, so a warm lock reads no wheel again."""

    def __init__(self, directory: Path | None) -> None:
        super().__init__(directory, from_json=_inspection_from_json, format=_INSPECTION_FORMAT)


def _inspection_from_json(data: dict[str, Any]) -> WheelInspection:
    elfs = tuple(
        ElfInfo(
            **{
                **elf,
                "needed": tuple(elf["needed"]),
                "rpath": tuple(elf["rpath"]),
                "runpath": tuple(elf["runpath"]),
                "version_needs": tuple(
                    VersionNeed(v["library"], tuple(v["versions"])) for v in elf["version_needs"]
                ),
            }
        )
        for elf in data["elfs"]
    )
    fields = {k: v for k, v in data.items() if k not in ("format", "elfs", "members")}
    return WheelInspection(members=tuple(data["members"]), elfs=elfs, **fields)


def needs_plan(package: LockedPackage) -> bool:
    """Binary wheels only: a ``py3-none-any`` wheel has no ELF files to patch."""
    filename = package.artifact.filename or ""
    return (
        package.provider == "wheel"
        and filename.endswith(".whl")
        and not filename.endswith("-any.whl")
    )


def dependency_closure(packages: Mapping[str, LockedPackage], key: str) -> set[str]:
    """Every package ``key`` needs at run time, directly or not (its own key aside): the
    wheels whose libraries a plan may point at."""
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
    cache: InspectionCache | None = None,
    workers: int = 8,
    on_inspected: Callable[[str, int, int], None] | None = None,
) -> dict[str, LockedPackage]:
    """Return ``packages`` with a ``patchelf`` plan on every binary wheel (Linux targets)."""
    result = dict(packages)
    if not target.is_linux or target.musl is not None:
        # Mach-O wheels are chosen by deployment target, not patched; the soname map and the
        # system libraries are glibc's, so musl targets are not planned either (yet).
        return result
    binary = sorted(key for key, package in packages.items() if needs_plan(package))
    if not binary:
        return result

    cache = cache or InspectionCache(None)
    if on_inspected is not None:
        on_inspected("", 0, len(binary))  # the stage starts (downloads may take minutes)

    inspections = inspect_wheels(
        binary,
        packages,
        store=cache,
        read=inspect_wheel,
        download=download,
        workers=workers,
        on_inspected=on_inspected,
        thread_name="mach2-plan",
    )
    shipped = {key: sibling_libraries(inspection, key) for key, inspection in inspections.items()}
    for key in binary:
        siblings: dict[str, SiblingLibrary] = {}
        for dependency in sorted(dependency_closure(packages, key)):
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


# -- what the plans leave unresolved ----------------------------------------------------------


@frozen
class UnresolvedLibrary:
    """A soname a package's plan found no library for.

    :param key: the package's lock key; ``name``/``version`` as the lock has them.
    :param files: the files needing it (install paths), in plan order.
    :param reason: the planner's reason (``no nixpkgs package known for this soname``).
    :param system: the lock's system it is on (named when the lock has several).
    """

    key: str
    name: str
    version: str
    soname: str
    files: tuple[str, ...]
    reason: str
    system: str | None = None

    def detail(self) -> str:
        """``libmpi.so.40 (needed by a.so and 1 more; no nixpkgs package known ...)``."""
        more = f" and {len(self.files) - 1} more" if len(self.files) > 1 else ""
        return f"{self.soname} (needed by {self.files[0]}{more}; {self.reason})"

    def describe(self) -> str:
        """``mpi4py 4.1.2: no library for libmpi.so.40 (needed by ...)``: the words of the
        build-time error (mach2.patchelf.apply)."""
        on = f" on {self.system}" if self.system else ""
        return f"{self.name} {self.version}{on}: no library for {self.detail()}"


def unresolved_libraries(packages: Mapping[str, LockedPackage]) -> tuple[UnresolvedLibrary, ...]:
    """Every soname the lock's patch plans leave without a library, by package then soname.

    Not counted: libraries of the host's GPU driver (apply lets them pass) and sonames the
    user's soname map ignores (the plan's ``ignore-missing``).
    """
    from mach2.patchelf import load_soname_map

    host = load_soname_map()
    found = []
    for key, package in sorted(packages.items()):
        plan = package.extra.get("patchelf")
        if not isinstance(plan, Mapping) or not isinstance(plan.get("files"), list):
            continue
        ignored = set(plan.get("ignore-missing") or ())
        files: dict[str, list[str]] = {}
        reasons: dict[str, str] = {}
        for file in plan["files"]:
            for needed in file.get("needed", ()):
                soname = needed.get("soname", "")
                if (
                    needed.get("source") != "unresolved"
                    or soname in ignored
                    or host.is_host(soname)
                ):
                    continue
                files.setdefault(soname, []).append(str(file.get("install") or file.get("path")))
                reasons.setdefault(soname, str(needed.get("reason") or "unresolved"))
        found += [
            UnresolvedLibrary(
                key, package.name, package.version, soname, tuple(paths), reasons[soname]
            )
            for soname, paths in sorted(files.items())
        ]
    return tuple(found)


def fixes_hint(found: Sequence[UnresolvedLibrary]) -> str:
    """The three ways out, with the first package's and sonames' names filled in."""
    sonames = list(dict.fromkeys(item.soname for item in found))[:2]
    mapped = ", ".join(f'"{soname}": "<nixpkgs attribute>"' for soname in sonames)
    ignored = ", ".join(f'"{soname}": null' for soname in sonames)
    return (
        f"map it when locking (--soname-map FILE with {{{mapped}}}), "
        f"add it in Nix (_.{found[0].key}.buildInputs.add = [ pkgs.<package> ];), "
        f"or ignore it if it is never loaded ({{{ignored}}} in the --soname-map file)"
    )


class UnresolvedLibraries(LockError):
    """Patch plans leave libraries without a source (``mach2 lock --strict``)."""

    def __init__(self, found: Sequence[UnresolvedLibrary]) -> None:
        count = (
            "1 library of the lock is"
            if len(found) == 1
            else f"{len(found)} libraries of the lock are"
        )
        super().__init__(
            f"{count} unresolved: " + "; ".join(item.describe() for item in found),
            hint=fixes_hint(found),
        )
        self.found = tuple(found)


def require_resolved(packages: Mapping[str, LockedPackage]) -> None:
    """:raises UnresolvedLibraries: the plans leave a library unresolved."""
    found = unresolved_libraries(packages)
    if found:
        raise UnresolvedLibraries(found)
