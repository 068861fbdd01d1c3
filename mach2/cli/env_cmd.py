"""``mach2 env`` and ``mach2 gen``: lock requirements and write what Nix builds.

    mach2 env ./env -r requirements.txt [-p PROVIDERS] [--python 3.12] [--nixpkgs REV ...]
    mach2 gen -r requirements.txt [-o default.nix]

``env`` keeps the directory's lock when it was made from the same inputs (requirements,
providers, target, exclude-newer), so re-running it changes no file; ``--upgrade`` locks
again.  The host is read here only: ``--system`` defaults to the machine mach2 runs on.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from mach2.cli.main import main
from mach2.emit import NixpkgsPin, render_expression, write_env_dir
from mach2.errors import InputError, LockError
from mach2.lock.model import Lock, canonical_providers, read_lock, sha256_text
from mach2.model.target import Target

__all__ = ["env", "gen"]


def _host_system() -> str:
    """The Nix system of this machine (a host default, so it lives in the CLI)."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    kernel = "darwin" if sys.platform == "darwin" else "linux"
    return f"{arch}-{kernel}"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mach2"


def _pin(rev: str | None, sha256: str | None) -> NixpkgsPin | None:
    if rev is None and sha256 is None:
        return None
    if rev is None or sha256 is None:
        raise InputError(
            "--nixpkgs and --nixpkgs-sha256 go together",
            hint="get the hash with `nix-prefetch-url --unpack "
            "https://github.com/NixOS/nixpkgs/archive/REV.tar.gz`",
        )
    return NixpkgsPin(rev=rev, sha256=sha256)


def _exclude_newer(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"invalid --exclude-newer {text!r}",
            hint="give a date like 2026-11-01 or 2026-11-01T12:00:00Z",
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user_providers(providers: str | None) -> str:
    """The canonical string `mach2 lock` stores for this ``-p`` (to compare with a lock)."""
    from mach2.providers.order import ProviderOrder, parse_provider_option

    if providers is None:
        return ""
    order = ProviderOrder.from_mapping(parse_provider_option(providers), where=f"-p {providers!r}")
    return canonical_providers({k: list(v) for k, v in order.user.items()})


def _lock(
    requirements: tuple[Path, ...],
    *,
    providers: str | None,
    target: Target,
    exclude_newer: datetime | None,
    index_urls: tuple[str, ...],
) -> tuple[Lock, str]:
    from mach2.api import LockOptions, lock_requirements, read_requirement_files

    _, text = read_requirement_files(list(requirements))
    options = LockOptions(
        target=target,
        providers=providers,
        exclude_newer=exclude_newer,
        index_urls=list(index_urls) or None,
        cache_dir=_cache_dir(),
    )
    click.echo(
        f"locking {', '.join(str(r) for r in requirements)} for {target.describe()}", err=True
    )
    return lock_requirements(list(requirements), options), text


def _reusable(
    existing: Path,
    text: str,
    *,
    providers: str | None,
    target: Target,
    exclude_newer: datetime | None,
) -> Lock | None:
    """The directory's lock when it was made from exactly these inputs."""
    if not existing.exists():
        return None
    try:
        lock = read_lock(existing)
    except LockError:
        return None
    wanted_exclude = exclude_newer.strftime("%Y-%m-%dT%H:%M:%SZ") if exclude_newer else None
    same = (
        lock.inputs.requirements_sha256 == sha256_text(text)
        and lock.inputs.providers == _user_providers(providers)
        and lock.target == target
        and lock.exclude_newer == wanted_exclude
    )
    return lock if same else None


def _common(function: click.decorators.FC) -> click.decorators.FC:
    options = [
        click.option(
            "-r",
            "--requirements",
            "requirements",
            multiple=True,
            required=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="requirements.txt or pyproject.toml (repeatable).",
        ),
        click.option(
            "-p",
            "--providers",
            default=None,
            help="Provider order: 'wheel,sdist' or '_default=wheel,sdist;numpy=conda'.",
        ),
        click.option(
            "--python", "python", default="3.12", show_default=True, help="Target Python version."
        ),
        click.option("--system", default=None, help="Target Nix system [default: this machine's]."),
        click.option("--glibc", default=None, help="Target glibc [default: nixpkgs' 2.40]."),
        click.option(
            "--exclude-newer",
            default=None,
            help="Ignore files uploaded after this date (reproducible locks).",
        ),
        click.option(
            "--index-url",
            "index_urls",
            multiple=True,
            help="Package index (simple API) URL (repeatable).",
        ),
        click.option(
            "--nixpkgs",
            "nixpkgs_rev",
            default=None,
            help="Pin nixpkgs to this revision (default: <nixpkgs>).",
        ),
        click.option(
            "--nixpkgs-sha256",
            default=None,
            help="sha256 of the pinned nixpkgs tarball (nix-prefetch-url --unpack).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@main.command("env")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_common
@click.option("--upgrade", is_flag=True, help="Lock again even if the inputs did not change.")
def env(
    directory: Path,
    requirements: tuple[Path, ...],
    providers: str | None,
    python: str,
    system: str | None,
    glibc: str | None,
    exclude_newer: str | None,
    index_urls: tuple[str, ...],
    nixpkgs_rev: str | None,
    nixpkgs_sha256: str | None,
    upgrade: bool,
) -> None:
    """Write a portable env directory: lock, requirements, default.nix, shell.nix, Nix library.

    Build it with `nix-build DIRECTORY`, enter it with `nix-shell DIRECTORY`.
    """
    from mach2.api import read_requirement_files

    pin = _pin(nixpkgs_rev, nixpkgs_sha256)
    target = Target.from_strings(python, system or _host_system(), glibc)
    cutoff = _exclude_newer(exclude_newer)
    _, text = read_requirement_files(list(requirements))
    lock = (
        None
        if upgrade
        else _reusable(
            directory / "mach2.lock", text, providers=providers, target=target, exclude_newer=cutoff
        )
    )
    if lock is None:
        lock, text = _lock(
            requirements,
            providers=providers,
            target=target,
            exclude_newer=cutoff,
            index_urls=index_urls,
        )
    else:
        click.echo(f"{directory / 'mach2.lock'} is up to date (--upgrade locks again)", err=True)
    changed = write_env_dir(lock, text, directory, nixpkgs=pin)
    for path in changed:
        click.echo(f"wrote {path}" if path.exists() else f"removed {path}", err=True)
    if not changed:
        click.echo(f"{directory}: no file changed", err=True)
    click.echo(f"build with `nix-build {directory}`, enter with `nix-shell {directory}`", err=True)


@main.command("gen")
@_common
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the expression to this file instead of stdout.",
)
def gen(
    requirements: tuple[Path, ...],
    providers: str | None,
    python: str,
    system: str | None,
    glibc: str | None,
    exclude_newer: str | None,
    index_urls: tuple[str, ...],
    nixpkgs_rev: str | None,
    nixpkgs_sha256: str | None,
    output: Path | None,
) -> None:
    """Print one standalone Nix expression for the environment (lock embedded)."""
    pin = _pin(nixpkgs_rev, nixpkgs_sha256)
    target = Target.from_strings(python, system or _host_system(), glibc)
    lock, text = _lock(
        requirements,
        providers=providers,
        target=target,
        exclude_newer=_exclude_newer(exclude_newer),
        index_urls=index_urls,
    )
    expression = render_expression(lock, text, nixpkgs=pin)
    if output is None:
        click.echo(expression, nl=False)
        return
    from mach2.lock.model import write_atomic

    try:
        unchanged = output.read_text(encoding="utf-8") == expression
    except OSError:
        unchanged = False
    if not unchanged:
        write_atomic(output, expression)
    click.echo(f"{output}: {'unchanged' if unchanged else 'written'}", err=True)
