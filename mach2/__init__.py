"""mach2: reproducible Python environments with Nix, from requirements.txt.

Public API: :func:`lock_requirements`, :func:`lock_input`, :class:`LockOptions`,
:class:`Target`, :func:`read_lock`, :func:`write_lock`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mach2._version import __version__

if TYPE_CHECKING:
    from mach2.api import LockOptions, lock_input, lock_requirements, read_requirement_files
    from mach2.lock.model import Lock, SystemLock, read_lock, write_lock
    from mach2.model.target import Target

# Loaded on first use (PEP 562), so that `mach2 --help` or `mach2 why` do not import the
# resolver, the HTTP client and the rest.
_LAZY = {
    "LockOptions": "mach2.api",
    "lock_input": "mach2.api",
    "lock_requirements": "mach2.api",
    "read_requirement_files": "mach2.api",
    "Lock": "mach2.lock.model",
    "SystemLock": "mach2.lock.model",
    "read_lock": "mach2.lock.model",
    "write_lock": "mach2.lock.model",
    "Target": "mach2.model.target",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mach2' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "Lock",
    "LockOptions",
    "SystemLock",
    "Target",
    "__version__",
    "lock_input",
    "lock_requirements",
    "read_lock",
    "read_requirement_files",
    "write_lock",
]
