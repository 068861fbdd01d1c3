"""``mach2 lock`` and ``mach2 why``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mach2.cli.group import main
from mach2.cli.options import (
    build_lock_options,
    kept_from,
    lock_options,
    report_options,
    requirement_paths,
)
from mach2.cli.progress import info, report_libraries, reporting, unresolved_in
from mach2.errors import InputError, LockError
from mach2.lock.model import LOCK_VERSION, Lock, SystemLock, read_lock, write_lock
from mach2.model.names import is_conda_native, normalize

if TYPE_CHECKING:
    from mach2.api import LockOptions

__all__ = ["lock", "version_notes", "why"]


def _summary(lock: Lock, path: Path, changed: bool) -> dict[str, Any]:
    """``--json``: per system its target and packages; a lock of one system also has them at
    the top (``target``, ``packages``), as before systems were added."""
    systems = {
        name: {
            "target": system.target.to_json(),
            "packages": {
                key: {"version": p.version, "provider": p.provider, "build-only": p.build_only}
                for key, p in sorted(system.packages.items())
            },
        }
        for name, system in lock.systems.items()
    }
    summary: dict[str, Any] = {
        "unresolved-libraries": [
            {"package": u.key, "soname": u.soname, "files": list(u.files), "reason": u.reason}
            | ({"system": u.system} if u.system else {})
            for u in unresolved_in(lock)
        ],
        "lock": str(path),
        "changed": changed,
        "systems": systems,
    }
    if len(systems) == 1:
        summary.update(next(iter(systems.values())))
    return summary


def version_notes(lock: Lock) -> list[str]:
    """One line per package whose version is not what its system would take alone, or that
    differs per system (the lock's ``why-version``)."""
    notes: dict[str, str] = {}
    for system in lock.systems.values():
        for key, package in system.packages.items():
            if package.why_version:
                notes.setdefault(key, f"{package.name}: {package.why_version}")
    return [notes[key] for key in sorted(notes)]


def _counted(count: int) -> str:
    return "1 package" if count == 1 else f"{count} packages"


def _described(lock: Lock) -> str:
    if len(lock.systems) == 1:
        system = next(iter(lock.systems.values()))
        runtime = sum(1 for p in system.packages.values() if not p.build_only)
        build = len(system.packages) - runtime
        extra = f" + {build} to build sdists" if build else ""
        return f"{_counted(runtime)}{extra} for {system.target.describe()}"
    counts = ", ".join(
        f"{sum(1 for p in s.packages.values() if not p.build_only)} on {name}"
        for name, s in lock.systems.items()
    )
    python = "{}.{}.{}".format(*lock.python)
    return f"packages for CPython {python}: {counts}"


@main.command("lock")
@lock_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mach2.lock"), show_default=True, help="where to write the lock")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="print a JSON summary on stdout")
@click.option("--nixpkgs", default=None, metavar="REF",
              help="index this nixpkgs with Nix for the nixpkgs provider: a path, <channel>, "
              "a flake reference or a revision")  # fmt: skip
@click.option("--check", is_flag=True,
              help="resolve nothing: exit 1 unless the lock was made from these inputs (for CI)")  # fmt: skip
@report_options
def lock(
    requirements: tuple[Path, ...],
    output: Path,
    as_json: bool,
    check: bool,
    quiet: bool,
    strict: bool,
    **options: Any,
) -> None:
    """Resolve requirements into a lock file."""
    from mach2.api import lock_requirements

    paths = requirement_paths(requirements, options.get("project"))
    lock_opts = build_lock_options(
        **options, lock_dir=output.absolute().parent, kept=kept_from(output)
    )
    if check:
        _check(output, paths, lock_opts, quiet)
        return
    old_version = _read_version(output)
    with reporting(quiet or as_json) as on_progress:
        result = lock_requirements(paths, lock_opts, environ=os.environ, on_progress=on_progress)
    report_libraries(result, strict=strict)
    changed = write_lock(result, output)
    from mach2.cli.store import add_lock_files_to_store

    add_lock_files_to_store(
        result, lock_opts.cache_dir, enabled=not options["no_nix_store"], quiet=quiet
    )
    if as_json:
        click.echo(json.dumps(_summary(result, output, changed), indent=2, sort_keys=True))
        return
    for note in version_notes(result):
        info(f"note: {note}", quiet)
    if old_version is not None and old_version < LOCK_VERSION:
        info(
            f"note: {output} was lock-version {old_version}; it is lock-version {LOCK_VERSION} now",
            quiet,
        )
    state = "wrote" if changed else "unchanged"
    info(f"{state} {output}: {_described(result)}", quiet)


def _read_version(path: Path) -> int | None:
    try:
        return read_lock(path).read_version if path.is_file() else None
    except LockError:
        return None


def _check(output: Path, paths: list[Path], options: LockOptions, quiet: bool) -> None:
    """``--check``: the lock was made from these inputs, for these systems."""
    from mach2.api import stale_reasons

    existing = read_lock(output)
    reasons = stale_reasons(existing, paths, options)
    if reasons:
        raise LockError(
            f"{output} is stale: {'; '.join(reasons)}",
            hint="run the same command without --check to lock again",
        )
    info(f"{output} is up to date ({', '.join(existing.system_names)})", quiet)
    if existing.read_version < LOCK_VERSION:
        info(
            f"note: {output} is lock-version {existing.read_version}; "
            f"`mach2 lock` rewrites it as lock-version {LOCK_VERSION}",
            quiet,
        )


def _paths_to(lock: SystemLock, key: str, *, pinned: bool = False) -> list[list[str]]:
    """Every chain root → … → key (shortest first, at most a few).

    :param pinned: the lock was taken from a foreign lock, whose every entry is a root of the
        resolution; the chains then start at the entries nothing else in the lock needs
        (what the project asked for), unless a cycle leaves ``key`` unreachable from them.
    """
    parents: dict[str, list[str]] = {}
    for name, package in lock.packages.items():
        for dependency in package.dependencies:
            parents.setdefault(dependency, []).append(name)
        for dependency in package.build_system or {}:
            parents.setdefault(dependency, []).append(f"{name} (build)")
    roots = {r.split("[", 1)[0] for r in lock.roots}
    if pinned:
        tops = {root for root in roots if root not in parents}
        chains = _chains(key, tops, parents)
        if chains:
            return chains
    return _chains(key, roots, parents)


def _chains(key: str, roots: set[str], parents: dict[str, list[str]]) -> list[list[str]]:
    chains: list[list[str]] = []
    queue: list[list[str]] = [[key]]
    while queue and len(chains) < 5:
        chain = queue.pop(0)
        head = chain[0].removesuffix(" (build)")
        if head in roots:
            chains.append(chain)
            continue
        for parent in sorted(parents.get(head, [])):
            if parent.removesuffix(" (build)") not in chain:
                queue.append([parent, *chain])
    return chains


def _not_in_lock(name: str, key: str, packages: set[str], where: str) -> InputError:
    """The error for a name the lock lacks, with the lock's name the user probably meant."""
    import difflib

    conda = f"conda:{name}"
    if conda in packages or f"conda:{key}" in packages:
        found = conda if conda in packages else f"conda:{key}"
        hint = f"did you mean {found}? (a conda package that is not a PyPI project)"
    else:
        close = difflib.get_close_matches(key, sorted(packages), n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else "`mach2 why` names packages of the lock"
    return InputError(f"{name!r} is not in {where}", hint=hint)


def _chain_lines(
    lock: SystemLock, key: str, requested: dict[str, Any], *, pinned: bool = False
) -> list[str]:
    lines = []
    for chain in _paths_to(lock, key, pinned=pinned):
        steps = []
        for step in chain:
            base = step.removesuffix(" (build)")
            next_index = chain.index(step) + 1
            if next_index < len(chain):
                child = chain[next_index].removesuffix(" (build)")
                deps = lock.packages[base].dependencies if base in lock.packages else {}
                text = deps.get(child) or (lock.packages[base].build_system or {}).get(child, "")
                steps.append(f"{step} [{text}]" if text else step)
            else:
                steps.append(step)
        label = "requested" if len(chain) == 1 else "required by"
        root = requested.get(chain[0].removesuffix(" (build)"))
        if root is None:
            lines.append(f"{label}: " + " → ".join(steps))
        elif len(chain) == 1:
            lines.append(f"{label}: {root.origin}: {root.text}")
        else:
            lines.append(f"{label}: {root.origin}: " + " → ".join(steps))
    return lines


def _grouped(by_system: dict[str, list[str]], every: list[str]) -> list[str]:
    """Lines that hold on every system once; the others prefixed with their systems."""
    systems_of: dict[str, list[str]] = {}
    for system, lines in by_system.items():
        for line in lines:
            systems_of.setdefault(line, []).append(system)
    return [
        line if (systems == every or len(every) == 1) else f"[{', '.join(systems)}] {line}"
        for line, systems in systems_of.items()
    ]


@main.command("why")
@click.argument("name")
@click.option("--lock", "lock_path", type=click.Path(path_type=Path), default=Path("mach2.lock"),
              show_default=True)  # fmt: skip
@click.option("--system", "systems", multiple=True, metavar="SYSTEM",
              help="only these systems of the lock (repeatable; default: all of them)")  # fmt: skip
def why(name: str, lock_path: Path, systems: tuple[str, ...]) -> None:
    """Why NAME is in the lock, and why it came from its provider (on each system: what the
    systems share once, what differs prefixed with the systems)."""
    from mach2.api import requested_at
    from mach2.buildfix import applied_fixes
    from mach2.cli.progress import unresolved_of

    lock = read_lock(lock_path)
    key = name if is_conda_native(name) else normalize(name)  # conda:_openmp_mutex as is
    chosen = {s: lock.system(s, origin=str(lock_path)) for s in systems} or dict(lock.systems)
    present = {s: sl for s, sl in chosen.items() if key in sl.packages}
    if not present:
        where = f"{lock_path} for {', '.join(chosen)}" if systems else str(lock_path)
        names = {k for sl in chosen.values() for k in sl.packages}
        raise _not_in_lock(name, key, names, where)
    every = list(chosen)
    headers: dict[str, list[str]] = {}
    details: dict[str, list[str]] = {}
    for system, system_lock in present.items():
        package = system_lock.packages[key]
        headers[system] = [f"{package.name} {package.version} from {package.provider}"]
        lines = [f"provider: {package.why_provider}"]
        if package.why_version:
            lines.append(f"version: {package.why_version}")
        if package.extras:
            lines.append(f"extras: {', '.join(package.extras)}")
        lines += applied_fixes(package)
        lines += [f"unresolved: {item.detail()}" for item in unresolved_of({key: package})]
        # Where each root was asked for: the lock's input files, beside the lock (or here).
        requested = requested_at(
            lock.inputs.files,
            (lock_path.parent, Path(".")),
            system_lock.target,
            environ=os.environ,
        )
        lines += _chain_lines(system_lock, key, requested, pinned=lock.foreign is not None)
        details[system] = lines
    for line in _grouped(headers, list(present)):
        click.echo(line)
    if len(every) > 1 and list(present) != every:
        absent = ", ".join(s for s in every if s not in present)
        click.echo(f"  only on {', '.join(present)} (not {absent})")
    for line in _grouped(details, list(present)):
        click.echo(f"  {line}")
