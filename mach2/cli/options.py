"""Options shared by the commands that lock (``lock``, ``env``, ``gen``), and host defaults.

This is the only place that reads the host (environment variables, the machine's system), and
each such default says so in its help text.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from attrs import frozen

from mach2.errors import InputError, LockError
from mach2.model.target import DEFAULT_MACOS, SYSTEMS, Target

if TYPE_CHECKING:
    from mach2.api import LockOptions
    from mach2.providers.nixpkgs.index import NixpkgsSource

__all__ = [
    "Kept",
    "chosen_systems",
    "host_system",
    "kept_from",
    "lock_options",
    "parse_cuda",
    "parse_exclude_newer",
    "report_options",
    "requirement_paths",
]

F = TypeVar("F", bound=Callable[..., Any])


def host_system() -> str:
    machine = {"arm64": "aarch64", "amd64": "x86_64"}.get(
        platform.machine().lower(), platform.machine()
    )
    kernel = "darwin" if sys.platform == "darwin" else "linux"
    return f"{machine}-{kernel}"


def default_cache_dir() -> Path:
    if "MACH2_CACHE_DIR" in os.environ:
        return Path(os.environ["MACH2_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mach2"


def parse_exclude_newer(text: str | None) -> datetime | None:
    """``2026-11-01`` or ``2026-11-01T00:00:00Z`` → an aware UTC datetime."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"invalid --exclude-newer {text!r}",
            hint="give a date or time like 2026-11-01T00:00:00Z",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_cuda(text: str | None) -> str | None:
    """``--cuda 12.2``: the version of conda's ``__cuda`` virtual package (a driver version).

    :raises InputError: not a dotted version such as 12 or 12.2.
    """
    if text is None:
        return None
    if not re.fullmatch(r"\d+(\.\d+){0,2}", text.strip()):
        raise InputError(f"invalid --cuda {text!r}", hint="give the CUDA driver version, e.g. 12.2")
    return text.strip()


def lock_options(function: F) -> F:
    """Decorate a command with the options that describe how to lock."""
    decorators = [
        click.option("-r", "--requirement", "requirements", multiple=True, type=click.Path(path_type=Path),
                     help="requirements.txt, pyproject.toml, environment.yml (repeatable), or a lock "
                          "to take as it is: uv.lock, pylock.toml, poetry.lock, pdm.lock"),
        click.option("-p", "--providers", default=None,
                     help="provider order: 'wheel,sdist' or '_default=wheel,sdist;numpy=sdist' "
                     "(default: wheel,sdist,nixpkgs; conda first for an environment.yml)"),
        click.option("--channel", "channels", multiple=True, metavar="NAME=URL_OR_DIR",
                     help="conda channel (repeatable, highest priority first): providers name it "
                     "conda/NAME, plain conda is all channels; also a bare name (conda-forge); "
                     "replaces an environment.yml's channel of that NAME (a mirror)"),
        click.option("--cuda", default=None, help="offer conda's __cuda virtual package at this version"),
        click.option("--nixpkgs-index", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="the nixpkgs provider's packages: a prepared index (docs/nixpkgs.md)"),
        click.option("--python", "python", default=None,
                     help="target CPython version, 3.12 or 3.12.7 (default: the existing "
                          "lock's, else 3.12)"),
        click.option("--system", "systems", multiple=True, metavar="SYSTEM",
                     help="Nix system to lock for, repeatable: one lock for all of them "
                     f"({', '.join(SYSTEMS)}; default: an existing lock's systems, else this "
                     "machine's)"),
        click.option("--all-systems", is_flag=True,
                     help="lock for every system: " + ", ".join(SYSTEMS)),
        click.option("--split-versions", is_flag=True,
                     help="when no one version of a package fits every system, let it differ "
                     "per system (default: fail naming it)"),
        click.option("--glibc", default=None,
                     help="target glibc version (default: the existing lock's, else current "
                     "nixpkgs', 2.40)"),
        click.option("--macos", default=None,
                     help="oldest macOS to support, which decides the macOS wheels (default: the "
                     "existing lock's, else {}.{}, as uv)".format(*DEFAULT_MACOS)),
        click.option("--musl", default=None, metavar="VERSION",
                     help="a musl libc target (nixpkgs' pkgsMusl) instead of glibc, e.g. 1.2"),
        click.option("--exclude-newer", default=None,
                     help="ignore files uploaded after this time (reproducible re-locks)"),
        click.option("--index-url", default=None,
                     help="package index (default: $PIP_INDEX_URL, the file's -i, or PyPI)"),
        click.option("--extra-index-url", multiple=True, help="more indexes (also $PIP_EXTRA_INDEX_URL)"),
        click.option("--extra", "extras", multiple=True, metavar="NAME",
                     help="include this optional-dependency group of a -r pyproject.toml"),
        click.option("--group", "groups", multiple=True, metavar="NAME",
                     help="include this PEP 735 dependency group of a -r pyproject.toml"),
        click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
                     help="cache directory (default: $MACH2_CACHE_DIR or ~/.cache/mach2)"),
        click.option("--offline", is_flag=True, help="use only the cache"),
        click.option("--refresh", is_flag=True, help="refetch index pages even when cached"),
        click.option("--pre", is_flag=True, help="allow pre-releases"),
        click.option("--no-patchelf", is_flag=True,
                     help="do not plan RUNPATH rewrites of binary wheels (no wheel downloads)"),
        click.option("--soname-map", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help='extra soname → nixpkgs attribute entries, JSON {"libfoo.so.1": "foo"}; '
                     "null for a library that is never loaded"),
        click.option("--project", type=click.Path(path_type=Path, file_okay=False), default=None,
                     metavar="DIR", help="your own project: locked with its dependencies as the "
                     "environment's main package (editable in shells), like -e DIR"),
        click.option("--no-install-project", is_flag=True,
                     help="with a foreign lock (-r uv.lock, ...): leave out the project itself "
                     "(uv: the root project, or the one --package), install only its "
                     "dependencies, as uv sync --no-install-project"),
        click.option("--package", "packages", multiple=True, metavar="NAME",
                     help="with -r uv.lock: install this workspace member and its dependencies "
                     "instead of the root project, as uv sync --package (repeatable)"),
        click.option("--all-packages", is_flag=True,
                     help="with -r uv.lock: install every workspace member, as uv sync "
                     "--all-packages"),
        click.option("--no-nix-store", is_flag=True,
                     help="do not add the files the lock downloaded to the Nix store (by default "
                     "they are, when Nix is installed, so nix-build does not download them again)"),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def report_options(function: F) -> F:
    """Decorate a command that locks with what it says: ``-q`` and ``--strict``."""
    function = click.option(
        "--strict",
        is_flag=True,
        help="fail when a binary wheel needs a library nothing supplies (instead of a warning)",
    )(function)
    return click.option(
        "-q", "--quiet", is_flag=True, help="no progress and no notes on stderr (warnings stay)"
    )(function)


def chosen_systems(
    systems: tuple[str, ...], *, all_systems: bool = False, keep: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The systems to lock: ``--all-systems``, else every ``--system``, else those of the lock
    being replaced (``keep``), else this machine's.

    :raises InputError: an unknown system, or ``--all-systems`` with ``--system``.
    """
    if all_systems and systems:
        raise InputError(
            "--all-systems and --system go separately",
            hint="name the systems with --system, or pass --all-systems alone",
        )
    names = SYSTEMS if all_systems else tuple(dict.fromkeys(systems)) or keep or (host_system(),)
    for name in names:
        if name not in SYSTEMS:
            raise InputError(f"unknown system {name!r}", hint=f"use one of {', '.join(SYSTEMS)}")
    known: tuple[str, ...] = SYSTEMS
    return tuple(sorted(names, key=known.index))


@frozen
class Kept:
    """What a re-lock keeps of the lock it replaces, unless the command names it: the systems
    and the target's Python and C library floors.  Without this, re-running ``mach2 env DIR``
    (or ``mach2 lock --check``) without the first run's ``--python 3.11`` would move the
    environment to the default Python."""

    systems: tuple[str, ...] = ()
    python: str | None = None
    glibc: str | None = None
    macos: str | None = None
    musl: str | None = None


def kept_from(path: Path) -> Kept:
    """The settings of the mach2 lock at ``path``; nothing when there is no readable one."""
    from mach2.lock.model import read_lock

    if not path.is_file():
        return Kept()
    try:
        lock = read_lock(path)
    except LockError:
        return Kept()
    floors: dict[str, str] = {}
    for target in lock.targets:
        for key, value in target.to_json().items():
            if key in ("glibc", "macos", "musl"):
                floors.setdefault(key, str(value))
    return Kept(
        systems=lock.system_names,
        python="{}.{}.{}".format(*lock.python),
        glibc=floors.get("glibc"),
        macos=floors.get("macos"),
        musl=floors.get("musl"),
    )


def requirement_paths(requirements: tuple[Path, ...], project: Path | None = None) -> list[Path]:
    if not requirements and project is not None:
        return []
    if not requirements:
        raise InputError(
            "no requirements given",
            hint="pass -r requirements.txt (or -r pyproject.toml, or --project DIR)",
        )
    for path in requirements:
        if path.is_dir():
            raise InputError(
                f"-r {str(path)!r} is a directory, not a requirements file",
                hint="name a file in it (requirements.txt, pyproject.toml, uv.lock, ...), "
                f"or lock the project in it with --project {path}",
            )
        if not path.is_file():
            raise InputError(f"no such requirements file: {str(path)!r}")
    return list(requirements)


def build_lock_options(
    *,
    providers: str | None,
    python: str | None,
    systems: tuple[str, ...] = (),
    all_systems: bool = False,
    split_versions: bool = False,
    kept: Kept = Kept(),
    glibc: str | None,
    macos: str | None,
    exclude_newer: str | None,
    index_url: str | None,
    extra_index_url: tuple[str, ...],
    cache_dir: Path | None,
    offline: bool,
    refresh: bool,
    pre: bool,
    no_patchelf: bool = False,
    soname_map: Path | None = None,
    channels: tuple[str, ...] = (),
    cuda: str | None = None,
    nixpkgs_index: Path | None = None,
    nixpkgs: str | NixpkgsSource | None = None,
    musl: str | None = None,
    extras: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    project: Path | None = None,
    lock_dir: Path | None = None,
    no_install_project: bool = False,
    packages: tuple[str, ...] = (),
    all_packages: bool = False,
    no_nix_store: bool = False,  # not a lock option: the command adds files after locking
) -> LockOptions:
    from mach2.api import LockOptions

    index_url = index_url or os.environ.get("PIP_INDEX_URL")
    more_indexes = list(extra_index_url) or os.environ.get("PIP_EXTRA_INDEX_URL", "").split()
    index_urls = [index_url, *more_indexes] if index_url else None
    if index_urls is None and more_indexes:
        index_urls = ["https://pypi.org/simple/", *more_indexes]
    names = chosen_systems(systems, all_systems=all_systems, keep=kept.systems)
    python = python or kept.python or "3.12"
    if glibc is None and musl is None:
        linux = any(name.endswith("-linux") for name in names)
        glibc, musl = kept.glibc, kept.musl if linux else None
    macos = macos or kept.macos
    # The template target's system: a Linux one for --musl (which darwin systems ignore).
    first = next((n for n in names if n.endswith("-linux")), names[0]) if musl else names[0]
    target = Target.from_strings(python=python, system=first, glibc=glibc, macos=macos, musl=musl)
    return LockOptions(
        target=target,
        systems=names,
        split_versions=split_versions,
        providers=providers,
        exclude_newer=parse_exclude_newer(exclude_newer),
        index_urls=index_urls,
        cache_dir=cache_dir or default_cache_dir(),
        # Host default: a python3.X on PATH matching the target runs the PEP 517 hooks of
        # sdists when there is one, else the Python running mach2.
        host_python=sys.executable,
        host_pythons=("python{}.{}".format(*target.python[:2]),),
        offline=offline,
        refresh=refresh,
        allow_prereleases=pre,
        patchelf=not no_patchelf,
        soname_map=soname_map,
        channels=channels,
        cuda=parse_cuda(cuda),
        nixpkgs_index=nixpkgs_index,
        nixpkgs=nixpkgs,
        extras=extras,
        groups=groups,
        project=project,
        install_project=not no_install_project,
        packages=packages,
        all_packages=all_packages,
        lock_dir=lock_dir,
    )
