"""Lay out an unpacked ``noarch: python`` package the way conda links it into an env.

A ``noarch: python`` package holds its modules under ``site-packages/`` and its scripts under
``python-scripts/``, independent of the Python version; conda moves them at install time:

- ``site-packages/*``  → ``lib/pythonX.Y/site-packages/*``
- ``python-scripts/*`` → ``bin/*``
- ``info/link.json`` ``noarch.entry_points`` (``"name = module:function"``) → ``bin/name``
  scripts whose shebang is the environment's interpreter.

:func:`relocate_noarch_python` does that on a directory made by
:func:`mach2.conda.extract.extract_package`; the Nix build runs it with the target's
interpreter.  Architecture-specific packages already use ``lib/pythonX.Y/site-packages``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from mach2.conda.errors import PrefixError

__all__ = ["entry_point_script", "relocate_noarch_python"]

_ENTRY_POINT = re.compile(r"^\s*([A-Za-z0-9_][\w.+-]*)\s*=\s*([\w.]+)\s*:\s*([\w.]+)\s*$")


def entry_point_script(python: str, module: str, function: str) -> str:
    """The console script conda writes for ``name = module:function``."""
    attribute = function.split(".")[0]
    return (
        f"#!{python}\n"
        "# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n\n"
        f"from {module} import {attribute}\n\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
        f"    sys.exit({function}())\n"
    )


def _move_tree(source: Path, target: Path) -> list[str]:
    moved = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        relative = path.relative_to(source)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        moved.append(str(relative))
    shutil.rmtree(source)
    return moved


def relocate_noarch_python(root: Path, python_minor: str, python: str) -> tuple[str, ...]:
    """Move a noarch:python package's files into place; return the new paths (relative).

    :param python_minor: ``"3.12"`` — picks ``lib/python3.12/site-packages``.
    :param python: absolute path of the interpreter, for entry-point shebangs.
    :raises PrefixError: an entry point in ``info/link.json`` is malformed.
    """
    if not re.fullmatch(r"\d+\.\d+", python_minor):
        raise PrefixError(str(root), f"not a Python minor version: {python_minor!r}")
    placed: list[str] = []
    site = Path("lib") / f"python{python_minor}" / "site-packages"
    if (root / "site-packages").is_dir():
        placed += [str(site / p) for p in _move_tree(root / "site-packages", root / site)]
    if (root / "python-scripts").is_dir():
        placed += [f"bin/{p}" for p in _move_tree(root / "python-scripts", root / "bin")]
    link = root / "info" / "link.json"
    entry_points: list[str] = []
    if link.is_file():
        data = json.loads(link.read_text(encoding="utf-8"))
        entry_points = list((data.get("noarch") or {}).get("entry_points") or [])
    for text in entry_points:
        match = _ENTRY_POINT.match(text)
        if match is None:
            raise PrefixError(str(link), f"malformed entry point {text!r}")
        name, module, function = match.groups()
        script = root / "bin" / name
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(entry_point_script(python, module, function), encoding="utf-8")
        script.chmod(0o755)
        placed.append(f"bin/{name}")
    return tuple(placed)
