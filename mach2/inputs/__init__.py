"""The input edge: requirement files and pyproject.toml, read into one ``RequirementsInput``.

Everything after this package works on :class:`RequirementsInput` and never on file syntax.
Each entry keeps its ``origin`` (``file:line`` or a TOML key path) so later errors can point
at what the user wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from mach2.errors import InputError
from mach2.inputs.foreign import foreign_format
from mach2.inputs.pyproject import read_pyproject
from mach2.inputs.requirements import (
    HASH_LENGTHS,
    CondaEntry,
    RequirementEntry,
    RequirementsInput,
    parse_requirements,
    project_input,
    read_requirements,
)

__all__ = [
    "HASH_LENGTHS",
    "CondaEntry",
    "RequirementEntry",
    "RequirementsInput",
    "parse_requirements",
    "project_input",
    "read_foreign_input",
    "read_input",
    "read_pyproject",
    "read_requirements",
]


def read_foreign_input(path: Path) -> RequirementsInput:
    """A foreign lock (uv.lock, pylock.toml, poetry.lock, pdm.lock) as an input: the lock, its
    file's hash (the lock's staleness key), and the indexes it names."""
    from mach2.inputs.foreign import read_foreign_lock

    lock, _, digest = read_foreign_lock(path)
    indexes = [url if url.endswith("/") else url + "/" for url in lock.index_urls]
    return RequirementsInput(
        files=((path.as_posix(), digest),),
        foreign=lock,
        index_url=indexes[0] if indexes else None,
        extra_index_urls=tuple(indexes[1:]),
    )


def read_input(
    path: Path,
    *,
    environ: Mapping[str, str] = MappingProxyType({}),
    extras: Iterable[str] = (),
    groups: Iterable[str] = (),
) -> RequirementsInput:
    """Read ``path`` by its file name: ``pyproject.toml`` as PEP 621, ``*.yml``/``*.yaml`` as a
    conda environment file (mach2.inputs.conda_env), ``uv.lock``, ``pylock.toml``,
    ``poetry.lock`` and ``pdm.lock`` as foreign locks (mach2.inputs.foreign), the rest as pip
    syntax.

    One entry point lets the CLI accept ``-r pyproject.toml`` and ``-r requirements.txt``
    alike.  Extras and groups only exist in pyproject.toml, so asking for them with a
    requirements file is an error rather than being ignored.

    :param environ: ``${VAR}`` values for requirements files (the CLI passes ``os.environ``).
    :raises InputError: extras or groups for a requirements or environment file, or any
        error of the reader used.
    """
    extras, groups = tuple(extras), tuple(groups)
    if foreign_format(path) is not None:
        return read_foreign_input(path)
    if path.name == "pyproject.toml":
        return read_pyproject(path, extras=extras, groups=groups)
    if extras or groups:
        raise InputError(
            f"{path.as_posix()}: extras and dependency groups apply to pyproject.toml only",
            hint="write 'name[extra]' in the requirements file instead",
        )
    if path.suffix in (".yml", ".yaml"):
        from mach2.inputs.conda_env import read_environment_input  # conda modules on use

        return read_environment_input(path, environ=environ)
    return read_requirements(path, environ=environ)
