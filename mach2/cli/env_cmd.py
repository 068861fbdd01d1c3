"""``mach2 env`` and ``mach2 gen``: lock requirements and write what Nix builds.

    mach2 env ./env -r requirements.txt [-p PROVIDERS] [--python 3.12] [--nixpkgs REV ...]
    mach2 gen -r requirements.txt [-o default.nix]

Both take every option of ``mach2 lock``.  ``env`` keeps the directory's lock when it was made
from the same inputs (the lock's input hash: requirement files, providers, target,
exclude-newer, indexes), so re-running it changes no file; ``--upgrade`` locks again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mach2.atomic import write_atomic
from mach2.cli.group import main
from mach2.cli.lock_cmd import version_notes
from mach2.cli.options import (
    build_lock_options,
    kept_from,
    lock_options,
    report_options,
    requirement_paths,
)
from mach2.cli.progress import info, report_libraries, reporting
from mach2.errors import InputError, LockError
from mach2.lock.model import LOCK_VERSION, Lock, read_lock

if TYPE_CHECKING:
    from mach2.api import LockOptions
    from mach2.emit import NixpkgsPin

__all__ = ["env", "gen"]


def _pin(rev: str | None, sha256: str | None) -> NixpkgsPin | None:
    from mach2.emit import NixpkgsPin

    if rev is None and sha256 is None:
        return None
    if rev is None or sha256 is None:
        raise InputError(
            "--nixpkgs and --nixpkgs-sha256 go together",
            hint="get the hash with `nix-prefetch-url --unpack "
            "https://github.com/NixOS/nixpkgs/archive/REV.tar.gz`",
        )
    return NixpkgsPin(rev=rev, sha256=sha256)


def _nixpkgs_options(function: Any) -> Any:
    function = click.option(
        "--nixpkgs-sha256",
        default=None,
        help="sha256 of the pinned nixpkgs tarball (nix-prefetch-url --unpack)",
    )(function)
    return click.option(
        "--nixpkgs",
        "nixpkgs_rev",
        default=None,
        help="pin nixpkgs to this revision (default: <nixpkgs>)",
    )(function)


def _lock(paths: list[Path], options: LockOptions, quiet: bool) -> tuple[Lock, str]:
    from mach2.api import lock_requirements, read_requirement_files

    _, text = read_requirement_files(
        paths, extras=options.extras, groups=options.groups, project=options.project
    )
    targets = options.targets
    described = (
        targets[0].describe()
        if len(targets) == 1
        else f"CPython {targets[0].python_version} on {', '.join(t.system for t in targets)}"
    )
    inputs = [*map(str, paths), *([f"--project {options.project}"] if options.project else [])]
    info(f"locking {', '.join(inputs)} for {described}", quiet)
    with reporting(quiet) as on_progress:
        lock = lock_requirements(paths, options, environ=os.environ, on_progress=on_progress)
    for note in version_notes(lock):
        info(f"note: {note}", quiet)
    return lock, text


def _existing(path: Path, paths: list[Path], options: LockOptions, quiet: bool) -> Lock | None:
    """The directory's lock when it was made from exactly these inputs (else a note why not)."""
    from mach2.api import stale_reasons

    if not path.exists():
        return None
    try:
        lock = read_lock(path)
    except LockError:
        return None
    reasons = stale_reasons(lock, paths, options)
    if reasons:
        info(f"{path} is stale ({'; '.join(reasons)}): locking again", quiet)
        return None
    return lock


@main.command("env")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@lock_options
@_nixpkgs_options
@click.option("--upgrade", is_flag=True, help="lock again even if the inputs did not change")
@report_options
def env(
    directory: Path,
    requirements: tuple[Path, ...],
    nixpkgs_rev: str | None,
    nixpkgs_sha256: str | None,
    upgrade: bool,
    quiet: bool,
    strict: bool,
    **options: Any,
) -> None:
    """Write a portable env directory: lock, requirements, default.nix, shell.nix, Nix library.

    Build it with `nix-build DIRECTORY`, enter it with `nix-shell DIRECTORY`.
    """
    from mach2.api import read_requirement_files
    from mach2.emit import write_env_dir
    from mach2.providers.nixpkgs.index import NixpkgsSource

    pin = _pin(nixpkgs_rev, nixpkgs_sha256)
    paths = requirement_paths(requirements, options.get("project"))
    # A pinned nixpkgs is also the nixpkgs provider's (unless an index file is given), so the
    # lock and the env directory agree on it.
    source = (
        NixpkgsSource.github(pin.rev, pin.sha256)
        if pin and not options.get("nixpkgs_index")
        else None
    )
    lock_opts = build_lock_options(
        **options,
        nixpkgs=source,
        lock_dir=directory.absolute(),
        kept=kept_from(directory / "mach2.lock"),
    )
    lock = None if upgrade else _existing(directory / "mach2.lock", paths, lock_opts, quiet)
    if lock is None:
        lock, text = _lock(paths, lock_opts, quiet)
    else:
        _, text = read_requirement_files(
            paths, extras=lock_opts.extras, groups=lock_opts.groups, project=lock_opts.project
        )
        info(f"{directory / 'mach2.lock'} is up to date (--upgrade locks again)", quiet)
        if lock.read_version < LOCK_VERSION:
            info(
                f"note: {directory / 'mach2.lock'} was lock-version {lock.read_version}; "
                f"it is rewritten as lock-version {LOCK_VERSION} (the same packages)",
                quiet,
            )
    report_libraries(lock, strict=strict)
    # A foreign lock keeps its own name in the directory (its text is the lock's input).
    name = paths[0].name if lock.foreign and lock.foreign.get("format") != "requirements" else None
    changed = write_env_dir(
        lock, text, directory, nixpkgs=pin, requirements_name=name or "requirements.txt"
    )
    library = [path for path in changed if directory / "mach2" in path.parents]
    for path in changed:
        if path not in library:
            info(f"wrote {path}" if path.exists() else f"removed {path}", quiet)
    if library:  # one line for the Nix library's files
        info(f"wrote {directory / 'mach2'}/ (the Nix library: {len(library)} files)", quiet)
    if not changed:
        info(f"{directory}: no file changed", quiet)
    from mach2.cli.store import add_lock_files_to_store

    add_lock_files_to_store(
        lock, lock_opts.cache_dir, enabled=not options["no_nix_store"], quiet=quiet
    )
    info(f"build with `nix-build {directory}`, enter with `nix-shell {directory}`", quiet)


@main.command("gen")
@lock_options
@_nixpkgs_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the expression to this file instead of stdout")  # fmt: skip
@report_options
def gen(
    requirements: tuple[Path, ...],
    nixpkgs_rev: str | None,
    nixpkgs_sha256: str | None,
    output: Path | None,
    quiet: bool,
    strict: bool,
    **options: Any,
) -> None:
    """Print one standalone Nix expression for the environment (lock embedded)."""
    from mach2.emit import render_expression

    pin = _pin(nixpkgs_rev, nixpkgs_sha256)
    # Local paths are relative to where the expression is written (or the current directory).
    root = output.absolute().parent if output is not None else Path.cwd()
    paths = requirement_paths(requirements, options.get("project"))
    lock_opts = build_lock_options(**options, lock_dir=root)
    lock, text = _lock(paths, lock_opts, quiet)
    report_libraries(lock, strict=strict)
    from mach2.cli.store import add_lock_files_to_store

    add_lock_files_to_store(
        lock, lock_opts.cache_dir, enabled=not options["no_nix_store"], quiet=quiet
    )
    expression = render_expression(lock, text, nixpkgs=pin, root=root)
    if output is None:
        click.echo(expression, nl=False)
        return
    try:
        unchanged = output.read_text(encoding="utf-8") == expression
    except OSError:
        unchanged = False
    if not unchanged:
        write_atomic(output, expression)
    # As `lock` and `env` say it: "wrote FILE", or that nothing changed.
    info(f"{output} is unchanged" if unchanged else f"wrote {output}", quiet)
