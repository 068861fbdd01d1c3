"""mach2's library API: everything the CLI does, as typed functions.

>>> from mach2 import Target, lock_requirements   # doctest: +SKIP
>>> lock = lock_requirements([Path("requirements.txt")], target=Target.from_strings("3.12"),
...                          providers="wheel,sdist", cache_dir=Path("~/.cache/mach2"))

A lock is six stages (``mach2.pipeline``), each a function of the previous one's result:
:func:`lock_input` is that list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mach2.inputs import RequirementsInput
from mach2.lock.model import Lock, LockInputs
from mach2.pipeline import artifacts, inputs, lock, plans, providers, resolve
from mach2.pipeline.inputs import read_requirement_files, requested_at
from mach2.pipeline.lock import stale_reasons as _stale_reasons
from mach2.pipeline.options import LockOptions, ProgressCallback
from mach2.providers.pypi.provider import PackageIndex

__all__ = [
    "LockOptions",
    "ProgressCallback",
    "is_fresh",
    "lock_input",
    "lock_inputs",
    "lock_requirements",
    "read_requirement_files",
    "requested_at",
    "stale_reasons",
]


def lock_input(
    requirements: RequirementsInput,
    requirements_text: str,
    options: LockOptions,
    *,
    index: PackageIndex | None = None,
    on_progress: ProgressCallback | None = None,
) -> Lock:
    """Resolve ``requirements`` for ``options.target`` into a :class:`Lock`.

    :param requirements_text: the requirements as the user wrote them; its sha256 lets the Nix
        library tell a stale lock from its ``requirements`` argument.
    :param index: a package index to use instead of a :class:`PyPIClient` (tests, mirrors).
    :raises Mach2Error: bad input, an unreachable index, or no solution (with the story).
    """
    request = inputs.request(requirements, requirements_text, options)
    with providers.open_providers(request, options, index=index, on_progress=on_progress) as opened:
        packages = resolve.resolve_all(request, opened, on_progress)
        packages = artifacts.complete(packages, opened)
        if options.patchelf:
            packages = plans.plan_binaries(
                packages,
                request.target,
                opened.index,
                cache_dir=options.cache_dir,
                soname_map=options.soname_map,
                on_progress=on_progress,
            )
    return lock.assemble(request, packages, opened, options)


def lock_requirements(
    paths: Sequence[Path],
    options: LockOptions,
    *,
    environ: Mapping[str, str] = {},
    on_progress: ProgressCallback | None = None,
) -> Lock:
    """Read requirement files (requirements.txt, pyproject.toml) and lock them."""
    requirements, text = read_requirement_files(
        paths,
        environ=environ,
        extras=options.extras,
        groups=options.groups,
        project=options.project,
    )
    return lock_input(requirements, text, options, on_progress=on_progress)


def lock_inputs(
    requirements: RequirementsInput, requirements_text: str, options: LockOptions
) -> LockInputs:
    """What a lock made from these inputs records about them (its staleness key)."""
    return lock.lock_inputs(requirements, requirements_text, options)


def is_fresh(lock: Lock, paths: Sequence[Path], options: LockOptions) -> bool:
    """Whether ``lock`` was made from exactly these inputs (files, providers, target, …)."""
    requirements, text = read_requirement_files(
        paths, extras=options.extras, groups=options.groups, project=options.project
    )
    return lock.inputs.hash == lock_inputs(requirements, text, options).hash


def stale_reasons(lock: Lock, paths: Sequence[Path], options: LockOptions) -> tuple[str, ...]:
    """Why ``lock`` is stale for these inputs (which file, local path, git reference, option or
    part of the target changed), or ``()`` when it is fresh."""
    requirements, text = read_requirement_files(
        paths, extras=options.extras, groups=options.groups, project=options.project
    )
    return _stale_reasons(lock, requirements, text, options)
