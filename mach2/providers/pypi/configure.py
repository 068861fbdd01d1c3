"""The ``wheel`` and ``sdist`` providers, made from a lock's settings (the providers stage).

Both read one :class:`~mach2.providers.pypi.provider.PackageIndex` (the PyPI client, or a
fake in tests).  A wheel's dependencies come from its METADATA; an sdist's from its PKG-INFO or
its PEP 517 hooks, run by :func:`hook_interpreter`.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from mach2.model.artifact import DistFile
from mach2.model.target import Target
from mach2.providers.base import Dependencies, Provider
from mach2.providers.pypi.metadata import parse_metadata
from mach2.providers.pypi.provider import PackageIndex, SdistProvider, WheelProvider

__all__ = ["hook_interpreter", "providers", "sdist_reader", "wheel_dependencies"]

#: Reads an sdist's dependencies from its downloaded file (may build its metadata).
SdistReader = Callable[[Path, DistFile], Dependencies]


def providers(index: PackageIndex, target: Target, read_sdist: SdistReader) -> dict[str, Provider]:
    """``wheel`` and ``sdist`` for ``target``, over one index."""
    return {
        "wheel": WheelProvider(index, target, wheel_dependencies),
        "sdist": SdistProvider(index, target, read_sdist),
    }


def wheel_dependencies(data: bytes) -> Dependencies:
    """A wheel's dependencies from its METADATA bytes."""
    metadata = parse_metadata(data)
    return Dependencies(
        requires_dist=metadata.requires_dist,
        requires_python=metadata.requires_python,
        provides_extra=metadata.provides_extra,
    )


def hook_interpreter(target: Target, host_pythons: Sequence[str], host_python: str) -> str:
    """The first of ``host_pythons`` that runs and has the target's minor version, else
    ``host_python``."""
    wanted = "{}.{}".format(*target.python[:2])
    for name in host_pythons:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            probe = subprocess.run(
                [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0 and probe.stdout.strip() == wanted:
            return path
    return host_python


def sdist_reader(
    target: Target,
    *,
    cache_dir: Path | None,
    host_pythons: Sequence[str],
    host_python: str,
) -> SdistReader:
    """Reads sdist metadata (cached by sha256 under ``cache_dir``); the hook interpreter is
    chosen on first use: most locks build no sdist metadata."""
    interpreter: list[str] = []

    def read(path: Path, file: DistFile) -> Dependencies:
        from mach2.providers.pypi.sdist import read_sdist_metadata

        if not interpreter:
            interpreter.append(hook_interpreter(target, host_pythons, host_python))
        sha256 = file.sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
        metadata = read_sdist_metadata(
            path, sha256=sha256, cache_dir=cache_dir, python=interpreter[0]
        )
        return metadata.dependencies()

    return read
