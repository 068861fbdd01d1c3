"""mach2: reproducible Python environments with Nix, from requirements.txt.

Public API: :func:`lock_requirements`, :func:`lock_input`, :class:`LockOptions`,
:class:`Target`, :func:`read_lock`, :func:`write_lock`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from mach2.api import LockOptions, lock_input, lock_requirements, read_requirement_files
from mach2.lock.model import Lock, read_lock, write_lock
from mach2.model.target import Target

__all__ = [
    "Lock",
    "LockOptions",
    "Target",
    "__version__",
    "lock_input",
    "lock_requirements",
    "read_lock",
    "read_requirement_files",
    "write_lock",
]
