"""A conda ``environment.yml`` as requirements: conda specs, channels and its ``pip:`` lines.

The file is read by :mod:`mach2.inputs.environment_yml`; this module turns it into the
:class:`~mach2.inputs.requirements.RequirementsInput` every input becomes:

- each conda spec (``numpy >=1.26``, ``conda-forge::libblas=*=*mkl``) is a
  :class:`~mach2.inputs.requirements.CondaEntry` with origin ``environment.yml:LINE``;
- ``channels`` are kept in their order (they become the ``conda`` provider, see
  ``mach2.api``);
- the ``pip:`` lines are parsed as one requirements file whose line numbers are the YAML file's,
  so origins point at the environment file; ``-r`` includes are relative to its directory;
- a selector (``# [linux]``, ``# [not osx]``) becomes a PEP 508 marker over the four mach2
  target platforms, decided later by the Target; a line no mach2 target keeps is dropped.

The lock's ``files`` lists the environment file with the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

import attrs
from packaging.markers import Marker
from packaging.requirements import Requirement

from mach2.errors import InputError
from mach2.inputs.environment_yml import PipLine, read_environment_yml, selector_matches
from mach2.inputs.requirements import (
    CondaEntry,
    RequirementEntry,
    RequirementsInput,
    parse_requirements,
)

__all__ = ["read_environment_input", "selector_marker"]

#: conda subdir → (sys_platform, platform_machine) of the mach2 target it stands for.
_TARGETS: Final = {
    "linux-64": ("linux", "x86_64"),
    "linux-aarch64": ("linux", "aarch64"),
    "osx-64": ("darwin", "x86_64"),
    "osx-arm64": ("darwin", "arm64"),
}
_NEVER: Final = "never"


def selector_marker(selector: str | None) -> str | None:
    """The PEP 508 marker of a selector; ``None`` when every target keeps the line.

    Returns ``"never"`` when no mach2 target keeps it (``[win]``).

    >>> selector_marker("osx-arm64")
    "(sys_platform == 'darwin' and platform_machine == 'arm64')"
    >>> selector_marker("not win") is None, selector_marker("win")
    (True, 'never')
    """
    if selector is None:
        return None
    kept = [subdir for subdir in _TARGETS if selector_matches(selector, subdir)]
    if len(kept) == len(_TARGETS):
        return None
    if not kept:
        return _NEVER
    return " or ".join(
        f"(sys_platform == '{_TARGETS[s][0]}' and platform_machine == '{_TARGETS[s][1]}')"
        for s in kept
    )


def read_environment_input(
    path: Path, *, environ: Mapping[str, str] = MappingProxyType({})
) -> RequirementsInput:
    """Read ``path`` (an environment.yml) into requirements.

    :param environ: ``${VAR}`` values for the ``pip:`` lines.
    :raises EnvironmentYmlError: outside the YAML subset environment files use.
    :raises InputError: a pip line mach2 refuses, or a selector on a pip option line.
    """
    env = read_environment_yml(path)
    where = path.as_posix()
    conda = []
    for dependency in env.dependencies:
        marker = selector_marker(dependency.selector)
        if marker == _NEVER:
            continue
        conda.append(
            CondaEntry(
                spec=dependency.spec,
                origin=f"{where}:{dependency.line}",
                marker=None if marker is None else Marker(marker),
            )
        )
    pip = _pip_input(env.pip, where, env.base_dir, environ)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return attrs.evolve(
        pip,
        conda=tuple(conda),
        channels=env.channels,
        files=((where, digest), *(f for f in pip.files if f[0] != where)),
    )


def _pip_input(
    lines: tuple[PipLine, ...], where: str, base_dir: Path | None, environ: Mapping[str, str]
) -> RequirementsInput:
    by_line: dict[int, str] = {}
    markers: dict[str, str] = {}
    for line in lines:
        marker = selector_marker(line.selector)
        if marker is not None and line.text.lstrip().startswith("-"):
            raise InputError(
                f"{where}:{line.line}: a selector on the pip option line {line.text!r}",
                hint="selectors apply to requirement lines only",
            )
        if marker == _NEVER:
            continue
        by_line[line.line] = line.text
        if marker is not None:
            markers[f"{where}:{line.line}"] = marker
    if not by_line:
        return RequirementsInput()
    text = "\n".join(by_line.get(n, "") for n in range(1, max(by_line) + 1)) + "\n"
    parsed = parse_requirements(text, origin=where, base_dir=base_dir, environ=environ)
    return attrs.evolve(
        parsed, requirements=tuple(_with_marker(e, markers) for e in parsed.requirements)
    )


def _with_marker(entry: RequirementEntry, markers: Mapping[str, str]) -> RequirementEntry:
    selector = markers.get(entry.origin)
    if selector is None:
        return entry
    requirement = Requirement(str(entry.requirement))
    own = requirement.marker
    requirement.marker = Marker(selector if own is None else f"({own}) and ({selector})")
    return attrs.evolve(entry, requirement=requirement)
