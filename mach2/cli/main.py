"""The ``mach2`` command line: parses arguments, takes host defaults, renders errors.

Each subcommand lives in its own module and registers on the group of ``mach2.cli.group``;
importing this module brings them all in.
"""

from __future__ import annotations

from mach2.cli import doctor_cmd, env_cmd, export_cmd, lock_cmd, patchelf_cmd
from mach2.cli.group import main

__all__ = ["main"]

_COMMANDS = (
    doctor_cmd,
    env_cmd,
    export_cmd,
    lock_cmd,
    patchelf_cmd,
)  # imported for their registration

if __name__ == "__main__":
    main()
