"""macOS wheels: which libraries their Mach-O files load, and which of those come from outside
the wheel (inspect → plan; the Nix library rewrites those to /nix/store paths).

Most macOS wheels are self-contained (delocate copies their libraries into ``.dylibs/``);
the rare one that loads ``/opt/homebrew/opt/libomp/lib/libomp.dylib`` gets a plan entry naming
the nixpkgs attribute that provides it, or ``unresolved`` with the reason.  Nothing of the host
is read: only the wheel file.
"""

from __future__ import annotations

from mach2.macho.plan import MachoLink, MachoPlan, dylib_attr, plan
from mach2.macho.scan import (
    MachoFile,
    MachoInspection,
    MachoReadError,
    MachoSlice,
    inspect_macho_wheel,
    read_macho,
)

__all__ = [
    "MachoFile",
    "MachoInspection",
    "MachoLink",
    "MachoPlan",
    "MachoReadError",
    "MachoSlice",
    "dylib_attr",
    "inspect_macho_wheel",
    "plan",
    "read_macho",
]
