"""Binary wheels find their libraries in /nix/store: inspect → plan (pure) → apply.

For the lock::

    plan = plan_wheel("numpy-2.3.0-….whl", target=target, soname_map=load_soname_map())
    lock_entry["patchelf"] = plan.to_json()          # WheelPatchPlan.from_json reads it back

At build time ``python patchelf_apply.py --plan plan.json --site-packages $out/…`` (see
:mod:`mach2.nix.patchelf_apply`, a stdlib-only script) rewrites the RUNPATHs.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from typing import BinaryIO

from mach2.model.target import Target
from mach2.patchelf.plan import (
    DEFAULT_CXX_RUNTIME,
    CxxRuntime,
    FilePlan,
    Link,
    Needed,
    PlanError,
    SiblingLibrary,
    Skipped,
    VersionProblem,
    WheelPatchPlan,
    plan,
    sibling_libraries,
)
from mach2.patchelf.scan import (
    ElfInfo,
    ElfReadError,
    VersionNeed,
    WheelInspection,
    inspect_wheel,
)
from mach2.patchelf.sonames import (
    SonameEntry,
    SonameMap,
    SonameMapError,
    load_soname_map,
    load_user_map,
)

__all__ = [
    "DEFAULT_CXX_RUNTIME",
    "CxxRuntime",
    "ElfInfo",
    "ElfReadError",
    "FilePlan",
    "Link",
    "Needed",
    "PlanError",
    "SiblingLibrary",
    "Skipped",
    "SonameEntry",
    "SonameMap",
    "SonameMapError",
    "VersionNeed",
    "VersionProblem",
    "WheelInspection",
    "WheelPatchPlan",
    "inspect_wheel",
    "load_soname_map",
    "load_user_map",
    "plan",
    "plan_wheel",
    "sibling_libraries",
]


def plan_wheel(
    path_or_zip: str | os.PathLike[str] | BinaryIO | zipfile.ZipFile,
    *,
    target: Target,
    soname_map: SonameMap | None = None,
    siblings: Mapping[str, SiblingLibrary] | None = None,
    cxx: CxxRuntime = DEFAULT_CXX_RUNTIME,
    sha256: str | None = None,
) -> WheelPatchPlan:
    """Inspect a wheel and plan its patching for ``target`` (see :func:`plan`).

    :param soname_map: default: the built-in map (:func:`load_soname_map`).
    :param siblings: soname → library of another wheel in the same lock.
    :param sha256: recorded in the plan when given.
    :raises ElfReadError: the wheel or one of its ELF files cannot be read.
    """
    return plan(
        inspect_wheel(path_or_zip),
        target=target,
        soname_map=soname_map if soname_map is not None else load_soname_map(),
        siblings=siblings,
        cxx=cxx,
        sha256=sha256,
    )
