"""Stage 5, plans: what each binary wheel of a system needs from Nix to find its libraries.

Linux: a RUNPATH rewrite plan on every binary wheel (``patchelf``, mach2.patchelf).  macOS: no
ELF patching; a ``macho`` plan on a wheel that loads a library from outside itself, naming the
nixpkgs attribute that has it (mach2.macho).  Each wheel is downloaded once (the
content-addressed cache) and inspected once (the inspection caches, by sha256); the plans
themselves are pure.  Only the downloaded wheel is read, never the host.
"""

from __future__ import annotations

import functools
from pathlib import Path

from mach2.lock.model import LockedPackage
from mach2.model.target import Target
from mach2.pipeline.artifacts import download
from mach2.pipeline.options import ProgressCallback
from mach2.providers.pypi.provider import PackageIndex

__all__ = ["plan_binaries"]


def plan_binaries(
    packages: dict[str, LockedPackage],
    target: Target,
    index: PackageIndex,
    *,
    cache_dir: Path | None,
    soname_map: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> dict[str, LockedPackage]:
    """The stage: ``packages`` with a ``patchelf`` plan on each binary wheel (Linux), or a
    ``macho`` plan on each that loads a library from outside itself (macOS).

    :param soname_map: extra soname → nixpkgs attribute entries (a JSON file) over the
        built-in map.
    """
    from mach2.lock.patchelf import InspectionCache, add_patch_plans
    from mach2.patchelf import load_soname_map, load_user_map

    sonames = load_soname_map()
    if soname_map is not None:
        sonames = sonames.merged(load_user_map(soname_map))

    def inspected(key: str, done: int, total: int) -> None:
        if on_progress is not None:
            on_progress("plan", key, done, total)

    if not target.is_linux:
        from mach2.lock.macho import MachoInspectionCache, add_macho_plans

        return add_macho_plans(
            packages,
            target=target,
            download=functools.partial(download, index),
            soname_map=sonames,
            cache=MachoInspectionCache(cache_dir / "macho-inspections" if cache_dir else None),
            on_inspected=inspected,
        )
    return add_patch_plans(
        packages,
        target=target,
        download=functools.partial(download, index),
        soname_map=sonames,
        cache=InspectionCache(cache_dir / "elf-inspections" if cache_dir else None),
        on_inspected=inspected,
    )
