"""Build fixes: what sdists need from nixpkgs to build, as data.

The table is ``mach2/nix/build-fixes.json`` (inside the Nix library, so a copied library
carries it).  At lock time :func:`add_build_fixes` names, for every sdist of the lock, the
entries that apply (PEP 440 ranges are decided here, in Python); the Nix library
(``fixes.nix``) applies what the lock names.  ``mach2 why`` shows it.
"""

from __future__ import annotations

from mach2.buildfix.locking import add_build_fixes, applied_fixes, is_sdist_build
from mach2.buildfix.table import BuildFix, FixTable, load_table

__all__ = [
    "BuildFix",
    "FixTable",
    "add_build_fixes",
    "applied_fixes",
    "is_sdist_build",
    "load_table",
]
