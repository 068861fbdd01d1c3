"""Lay out an unpacked ``noarch: python`` package the way conda links it into an env.

A ``noarch: python`` package holds its modules under ``site-packages/`` and its scripts under
``python-scripts/``, independent of the Python version; conda moves them at install time:

- ``site-packages/*``  → ``lib/pythonX.Y/site-packages/*``
- ``python-scripts/*`` → ``bin/*``
- ``info/link.json`` ``noarch.entry_points`` (``"name = module:function"``) → ``bin/name``
  scripts whose shebang is the environment's interpreter.

The work is done by :mod:`mach2.nix.conda_install` (the standard-library-only script the
Nix build runs), so the library and the build lay packages out with one implementation.
"""

from __future__ import annotations

import re
from pathlib import Path

from mach2.nix.conda_install import entry_point_script
from mach2.nix.conda_install import relocate_noarch_python as _relocate
from mach2.providers.conda.errors import PrefixError

__all__ = ["entry_point_script", "relocate_noarch_python"]


def relocate_noarch_python(root: Path, python_minor: str, python: str) -> tuple[str, ...]:
    """Move a noarch:python package's files into place; return the new paths (relative).

    :param python_minor: ``"3.12"`` — picks ``lib/python3.12/site-packages``.
    :param python: absolute path of the interpreter, for entry-point shebangs.
    :raises PrefixError: an entry point in ``info/link.json`` is malformed.
    """
    if not re.fullmatch(r"\d+\.\d+", python_minor):
        raise PrefixError(str(root), f"not a Python minor version: {python_minor!r}")
    return _relocate(root, f"lib/python{python_minor}/site-packages", python)
