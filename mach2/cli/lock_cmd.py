"""``mach2 lock`` and ``mach2 why``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from mach2.cli.group import main
from mach2.cli.options import build_lock_options, lock_options, report_options, requirement_paths
from mach2.cli.progress import info, report_libraries, reporting
from mach2.errors import InputError, LockError
from mach2.lock.model import Lock, read_lock, write_lock
from mach2.model.names import is_conda_native, normalize

__all__ = ["lock", "why"]


def _summary(lock: Lock, path: Path, changed: bool) -> dict[str, Any]:
    from mach2.lock.patchelf import unresolved_libraries

    return {
        "unresolved-libraries": [
            {"package": u.key, "soname": u.soname, "files": list(u.files), "reason": u.reason}
            for u in unresolved_libraries(lock.packages)
        ],
        "lock": str(path),
        "changed": changed,
        "target": lock.target.to_json(),
        "packages": {
            key: {"version": p.version, "provider": p.provider, "build-only": p.build_only}
            for key, p in sorted(lock.packages.items())
        },
    }


@main.command("lock")
@lock_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("mach2.lock"),
              show_default=True, help="where to write the lock")  # fmt: skip
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
    from mach2.api import lock_requirements, stale_reasons

    paths = requirement_paths(requirements, options.get("project"))
    lock_opts = build_lock_options(**options, lock_dir=output.absolute().parent)
    if check:
        reasons = stale_reasons(read_lock(output), paths, lock_opts)
        if reasons:
            raise LockError(
                f"{output} is stale: {'; '.join(reasons)}",
                hint="run the same command without --check to lock again",
            )
        info(f"{output} is up to date", quiet)
        return
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
    runtime = sum(1 for p in result.packages.values() if not p.build_only)
    build = len(result.packages) - runtime
    state = "wrote" if changed else "unchanged"
    extra = f" + {build} to build sdists" if build else ""
    packages = "1 package" if runtime == 1 else f"{runtime} packages"
    info(f"{state} {output}: {packages}{extra} for {result.target.describe()}", quiet)


def _paths_to(lock: Lock, key: str) -> list[list[str]]:
    """Every chain root → … → key (shortest first, at most a few)."""
    parents: dict[str, list[str]] = {}
    for name, package in lock.packages.items():
        for dependency in package.dependencies:
            parents.setdefault(dependency, []).append(name)
        for dependency in package.build_system or {}:
            parents.setdefault(dependency, []).append(f"{name} (build)")
    roots = {r.split("[", 1)[0] for r in lock.roots}
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


def _not_in_lock(name: str, key: str, lock: Lock, lock_path: Path) -> InputError:
    """The error for a name the lock lacks, with the lock's name the user probably meant."""
    import difflib

    conda = f"conda:{name}"
    if conda in lock.packages or f"conda:{key}" in lock.packages:
        found = conda if conda in lock.packages else f"conda:{key}"
        hint = f"did you mean {found}? (a conda package that is not a PyPI project)"
    else:
        close = difflib.get_close_matches(key, list(lock.packages), n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else "`mach2 why` names packages of the lock"
    return InputError(f"{name!r} is not in {lock_path}", hint=hint)


@main.command("why")
@click.argument("name")
@click.option("--lock", "lock_path", type=click.Path(path_type=Path), default=Path("mach2.lock"),
              show_default=True)  # fmt: skip
def why(name: str, lock_path: Path) -> None:
    """Why NAME is in the lock, and why it came from its provider."""
    from mach2.api import requested_at

    lock = read_lock(lock_path)
    key = name if is_conda_native(name) else normalize(name)  # conda:_openmp_mutex as is
    package = lock.packages.get(key)
    if package is None:
        raise _not_in_lock(name, key, lock, lock_path)
    click.echo(f"{package.name} {package.version} from {package.provider}")
    click.echo(f"  provider: {package.why_provider}")
    if package.extras:
        click.echo(f"  extras: {', '.join(package.extras)}")
    from mach2.buildfix import applied_fixes

    for line in applied_fixes(package):
        click.echo(f"  {line}")
    from mach2.lock.patchelf import unresolved_libraries

    for item in unresolved_libraries({key: package}):
        click.echo(f"  unresolved: {item.detail()}")
    # Where each root was asked for: the lock's input files, found beside the lock (or here).
    requested = requested_at(
        lock.inputs.files, (lock_path.parent, Path(".")), lock.target, environ=os.environ
    )
    for chain in _paths_to(lock, key):
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
            click.echo(f"  {label}: " + " → ".join(steps))
        elif len(chain) == 1:
            click.echo(f"  {label}: {root.origin}: {root.text}")
        else:
            click.echo(f"  {label}: {root.origin}: " + " → ".join(steps))
