"""Locks written by other tools, taken as they are: ``uv.lock``, PEP 751 ``pylock.toml``,
``poetry.lock``, ``pdm.lock`` and hash-pinned requirements files.

``-r`` recognises the TOML locks by file name (:func:`foreign_format`); a requirements file is
a lock when every line is pinned and hashed (``mach2.inputs.foreign.hashed``).  Each reader
gives a :class:`~mach2.inputs.foreign.model.ForeignLock`; ``ForeignLock.select(target)`` gives
the pins that target installs.  The readers are imported on use.
"""

from __future__ import annotations

from pathlib import Path

from mach2.inputs.foreign.model import ForeignLock

__all__ = ["ForeignLock", "foreign_format", "read_foreign_lock"]

_BY_NAME = {"uv.lock": "uv.lock", "poetry.lock": "poetry.lock", "pdm.lock": "pdm.lock"}


def foreign_format(path: Path) -> str | None:
    """``uv.lock``, ``pylock.toml``, ``poetry.lock`` or ``pdm.lock`` by file name, else None."""
    from mach2.inputs.foreign.pylock import is_pylock_name

    if is_pylock_name(path.name):
        return "pylock.toml"
    return _BY_NAME.get(path.name)


def read_foreign_lock(path: Path) -> tuple[ForeignLock, str, str]:
    """Read the lock ``path`` names (:func:`foreign_format`): the lock, its text, its sha256.

    :raises InputError: not a lock file name mach2 knows, or any error of the reader.
    """
    kind = foreign_format(path)
    if kind == "uv.lock":
        from mach2.inputs.foreign.uv_lock import read_uv_lock

        return read_uv_lock(path)
    if kind == "pylock.toml":
        from mach2.inputs.foreign.pylock import read_pylock

        return read_pylock(path)
    if kind == "poetry.lock":
        from mach2.inputs.foreign.poetry_lock import read_poetry_lock

        return read_poetry_lock(path)
    if kind == "pdm.lock":
        from mach2.inputs.foreign.pdm_lock import read_pdm_lock

        return read_pdm_lock(path)
    from mach2.errors import InputError

    raise InputError(
        f"{path.as_posix()}: not a lock file mach2 reads",
        hint="uv.lock, pylock.toml (pylock.NAME.toml), poetry.lock and pdm.lock are read by name",
    )
