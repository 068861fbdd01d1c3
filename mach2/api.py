"""mach2's library API: everything the CLI does, as typed functions.

>>> from mach2 import Target, lock_requirements   # doctest: +SKIP
>>> lock = lock_requirements([Path("requirements.txt")], target=Target.from_strings("3.12"),
...                          providers="wheel,sdist", cache_dir=Path("~/.cache/mach2"))

A lock is six stages (``mach2.pipeline``), each a function of the previous one's result:
:func:`lock_input` is that list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from mach2.inputs import RequirementsInput
from mach2.lock.model import Lock, LockedPackage, LockInputs
from mach2.pipeline import artifacts, inputs, lock, plans, providers, resolve, systems
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
    """Resolve ``requirements`` for every system of ``options.targets`` into one :class:`Lock`.

    Each system gets its own request, providers and resolution, over one PyPI index and one
    HTTP client (pages and metadata are fetched once); then one version per package across
    the systems (``mach2.pipeline.systems``); then each system's artifacts and patch plans.

    :param requirements_text: the requirements as the user wrote them; its sha256 lets the Nix
        library tell a stale lock from its ``requirements`` argument.
    :param index: a package index to use instead of a :class:`PyPIClient` (tests, mirrors).
    :raises Mach2Error: bad input, an unreachable index, or no solution (with the story).
    """
    targets = options.targets
    requests = [inputs.request(requirements, requirements_text, options, target=t) for t in targets]
    several = len(requests) > 1

    def progress(system: str) -> ProgressCallback | None:
        if on_progress is None or not several:
            return on_progress
        report = on_progress
        return lambda stage, item, done, total: report(stage, f"{item} ({system})", done, total)

    with (
        providers.open_index(requests[0], options, index=index, on_progress=on_progress) as (
            shared,
            http,
        ),
        ExitStack() as stack,
    ):
        opened: dict[str, providers.OpenProviders] = {
            r.target.system: stack.enter_context(
                providers.open_providers(
                    r, options, index=shared, http=http, on_progress=progress(r.target.system)
                )
            )
            for r in requests
        }

        def resolve_one(request: inputs.Request) -> dict[str, LockedPackage]:
            system = request.target.system
            return resolve.resolve_all(request, opened[system], progress(system))

        resolved = systems.resolve_systems(
            requests, resolve_one, split_versions=options.split_versions
        )

        def finish(request: inputs.Request) -> dict[str, LockedPackage]:
            system = request.target.system
            packages = artifacts.complete(resolved[system], opened[system])
            if options.patchelf:
                packages = plans.plan_binaries(
                    packages,
                    request.target,
                    opened[system].index,
                    cache_dir=options.cache_dir,
                    soname_map=options.soname_map,
                    on_progress=progress(system),
                )
            return packages

        # Each system downloads and inspects its own wheels: side by side, their waits overlap.
        with ThreadPoolExecutor(len(requests), thread_name_prefix="mach2-finish") as pool:
            done = list(pool.map(finish, requests))
        finished: dict[str, dict[str, LockedPackage]] = {
            r.target.system: packages for r, packages in zip(requests, done, strict=True)
        }
    return lock.assemble(requests, finished, opened, options)


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
