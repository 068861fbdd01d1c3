"""Virtual packages and the interpreter, as conda records made from the Target.

conda describes the machine to the solver as ``__``-prefixed packages (``__glibc 2.17``,
``__unix``, ``__linux``, ``__osx 11.0``, ``__archspec 1 x86_64``, ``__cuda 12.2``).  mach2
builds them from the :class:`~mach2.model.target.Target` only, never from the host, so a lock
made on one machine is the lock for the target everywhere (mach-nix read uname and libc of the
build machine, its issue #295).

With the interpreter taken from the target (nixpkgs' Python), ``python`` and ``python_abi``
are records too: conda packages that need ``python >=3.12,<3.13.0a0`` or
``python_abi 3.12.* *_cp312`` are satisfied by it, and nothing of conda's python is installed.
"""

from __future__ import annotations

from typing import Final

from mach2.model.target import Target
from mach2.providers.conda.channels import target_subdir
from mach2.providers.conda.repodata import RepodataRecord
from mach2.providers.conda.version import VersionOrder

__all__ = [
    "INTERPRETER_CHANNEL",
    "LINUX_KERNEL",
    "VIRTUAL_CHANNEL",
    "interpreter_packages",
    "virtual_packages",
]

#: The channel name of virtual packages (conda shows them as ``@``).
VIRTUAL_CHANNEL: Final = "@virtual"
#: The channel name of the records standing for the target's interpreter.
INTERPRETER_CHANNEL: Final = "@interpreter"
#: ``__linux`` is the kernel version.  The Target has none, so a long-term-support kernel
#: stands in; packages that ask for ``__linux`` at all ask for far older ones.
LINUX_KERNEL: Final = "5.10"
_ARCHSPEC: Final = {
    "x86_64-linux": "x86_64",
    "aarch64-linux": "aarch64",
    "x86_64-darwin": "x86_64",
    "aarch64-darwin": "m1",
}


def _record(name: str, version: str, build: str, subdir: str, channel: str) -> RepodataRecord:
    return RepodataRecord(
        name=name,
        version=VersionOrder.parse(version),
        build=build,
        build_number=0,
        subdir=subdir,
        filename=f"{name}-{version}-{build}",
        url="",
        channel=channel,
    )


def virtual_packages(
    target: Target, *, cuda: str | None = None, archspec: str | None = None
) -> tuple[RepodataRecord, ...]:
    """The virtual packages of ``target``.

    :param cuda: the CUDA driver version to offer as ``__cuda`` (none unless asked for).
    :param archspec: micro-architecture for ``__archspec`` (default: the generic one).
    """
    subdir = target_subdir(target)
    arch = archspec or _ARCHSPEC[target.system]
    records = [
        _record("__unix", "0", "0", subdir, VIRTUAL_CHANNEL),
        _record("__archspec", "1", arch, subdir, VIRTUAL_CHANNEL),
    ]
    if target.is_linux:
        records.append(_record("__linux", LINUX_KERNEL, "0", subdir, VIRTUAL_CHANNEL))
        if target.musl is None:  # a musl target has no glibc: builds needing one are out
            glibc = "{}.{}".format(*target.glibc)
            records.append(_record("__glibc", glibc, "0", subdir, VIRTUAL_CHANNEL))
    else:
        records.append(
            _record("__osx", "{}.{}".format(*target.macos), "0", subdir, VIRTUAL_CHANNEL)
        )
    if cuda is not None:
        VersionOrder.parse(cuda)  # reject nonsense early, with the version in the message
        records.append(_record("__cuda", cuda, "0", subdir, VIRTUAL_CHANNEL))
    return tuple(sorted(records, key=lambda r: r.name))


def interpreter_packages(target: Target) -> tuple[RepodataRecord, ...]:
    """``python`` and ``python_abi`` records that stand for the target's CPython."""
    subdir = target_subdir(target)
    major, minor, micro = target.python
    version, abi = f"{major}.{minor}.{micro}", f"{major}.{minor}"
    return (
        _record("python", version, "target_cpython", subdir, INTERPRETER_CHANNEL),
        _record("python_abi", abi, f"target_cp{major}{minor}", subdir, INTERPRETER_CHANNEL),
    )
