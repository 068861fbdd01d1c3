"""Which build fixes apply to each sdist of a lock (decided here, at lock time).

Nix has no PEP 440 comparison, so the ranges are decided in Python and the lock names the
entries: ``"build-fixes": ["maturin", "rpds-py"]`` on the package (backend entries first, so
a package's own entry comes last and wins on env/attrs).  Entries with ``cargo`` make the
lock record the sdist's crates (``"cargo-crates"``).  Wheels, conda and nixpkgs packages get
nothing: their builds need no compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from mach2.buildfix.cargo import read_crates
from mach2.buildfix.table import BuildFix, FixTable, load_table
from mach2.lock.model import LockedPackage

__all__ = ["CARGO_FIELD", "FIXES_FIELD", "add_build_fixes", "applied_fixes", "is_sdist_build"]

#: The lock field naming the applied entries (a list of table ids).
FIXES_FIELD = "build-fixes"
#: The lock field with the sdist's crates.io crates (name, version, sha256).
CARGO_FIELD = "cargo-crates"


def is_sdist_build(package: LockedPackage) -> bool:
    """Whether Nix builds the package from source (an sdist, a direct URL to one, a git
    checkout or a local directory)."""
    if package.provider in ("sdist", "git", "path"):
        return True
    filename = package.artifact.filename or package.artifact.url or ""
    return package.artifact.kind == "url" and not filename.endswith(".whl")


def matching_fixes(
    package: LockedPackage, packages: Mapping[str, LockedPackage], table: FixTable
) -> tuple[BuildFix, ...]:
    """The entries for ``package``: its backends' first (sorted), then its own."""
    found: list[BuildFix] = []
    for backend in sorted(package.build_system or {}):
        locked = packages.get(backend)
        if locked is not None:
            found += [f for f in table.for_backend(backend) if f.applies_to(locked.version)]
    found += [f for f in table.for_package(package.key) if f.applies_to(package.version)]
    return tuple(found)


def add_build_fixes(
    packages: Mapping[str, LockedPackage],
    sdist_path: Callable[[LockedPackage], Path],
    table: FixTable | None = None,
) -> dict[str, LockedPackage]:
    """``packages`` with ``build-fixes`` (and ``cargo-crates``) on every sdist a fix applies to.

    :param sdist_path: the downloaded sdist of a package (or its source directory), for the
        Cargo.lock of sdists that build Rust crates.
    :raises ArtifactError: such an sdist has no usable Cargo.lock.
    """
    table = table or load_table()
    result = dict(packages)
    for key, package in packages.items():
        if not is_sdist_build(package):
            continue
        fixes = matching_fixes(package, packages, table)
        if not fixes:
            continue
        extra = dict(package.extra)
        extra[FIXES_FIELD] = [f.id for f in fixes]
        if any(f.cargo for f in fixes):
            extra[CARGO_FIELD] = [c.to_json() for c in read_crates(sdist_path(package))]
        result[key] = attrs.evolve(package, extra=extra)
    return result


def applied_fixes(package: LockedPackage, table: FixTable | None = None) -> list[str]:
    """Lines for ``mach2 why``: each fix the lock names for ``package``, what it adds and why.

    An sdist without fixes gets one line saying so; other packages get none.
    """
    table = table or load_table()
    names = package.extra.get(FIXES_FIELD) or []
    if not names:
        if not is_sdist_build(package):
            return []
        return [
            f"build fixes: none (mach2's table has no entry for {package.name} {package.version} or its build backend)"
        ]
    lines = []
    for name in names:
        fix = table.fixes.get(name)
        if fix is None:
            lines.append(
                f"build fix {name}: not in this mach2's table (revision {table.revision}); re-lock"
            )
            continue
        target = f"backend {fix.build_system}" if fix.build_system else fix.package
        scope = f" {fix.versions}" if str(fix.versions) else ""
        lines.append(f"build fix {name} ({target}{scope}): {fix.summary()}")
        lines.append(f"  why: {fix.why}")
    crates = package.extra.get(CARGO_FIELD)
    if crates:
        lines.append(f"  {len(crates)} crates from its Cargo.lock, vendored by Nix")
    return lines
