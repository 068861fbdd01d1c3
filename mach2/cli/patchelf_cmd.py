"""``mach2 patchelf plan``: show where a binary wheel's libraries will come from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mach2.cli.group import main
from mach2.cli.options import default_cache_dir
from mach2.errors import IndexError_
from mach2.model.target import Target

if TYPE_CHECKING:
    from mach2.patchelf import WheelInspection, WheelPatchPlan

__all__ = ["patchelf"]


@main.group("patchelf")
def patchelf() -> None:
    """Plan how binary wheels find their native libraries in /nix/store."""


@patchelf.command("plan")
@click.argument("wheel")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan as JSON (the shape stored in the lock)."
)
@click.option(
    "--python", "python", default="3.12", show_default=True, help="Target Python version."
)
@click.option("--system", default="x86_64-linux", show_default=True, help="Target Nix system.")
@click.option("--glibc", default=None, help="Target glibc version [default: 2.40, nixpkgs' glibc].")
@click.option(
    "--gcc",
    type=click.Choice(["12", "13", "14"]),
    default="14",
    show_default=True,
    help="gcc whose libstdc++ nixpkgs supplies (symbol version check).",
)
@click.option(
    "--soname-map",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help='Extra soname map, JSON {"libfoo.so.1": "nixpkgs-attr"}, as for mach2 lock '
    "(repeatable; later wins).",
)
# The option's first name; hidden so that help shows one name for one thing (mach2 lock's).
@click.option(
    "--map",
    "old_map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    hidden=True,
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="mach2's cache; wheels go to its download cache, files-v1/, shared with mach2 lock [default: $MACH2_CACHE_DIR or ~/.cache/mach2].",
)
def plan_command(
    wheel: str,
    as_json: bool,
    python: str,
    system: str,
    glibc: str | None,
    gcc: str,
    map_file: tuple[Path, ...],
    old_map_file: tuple[Path, ...],
    cache_dir: Path | None,
) -> None:
    """Plan the patching of WHEEL (a file or an http(s) URL, optionally with #sha256=)."""
    from mach2.net.files import FileStore
    from mach2.net.http import Http
    from mach2.patchelf import CxxRuntime, inspect_wheel, load_soname_map, load_user_map, plan

    target = Target.from_strings(python=python, system=system, glibc=glibc)
    soname_map = load_soname_map()
    for path in (*old_map_file, *map_file):
        soname_map = soname_map.merged(load_user_map(path))
    sha256 = None
    if wheel.startswith(("http://", "https://")):
        http = Http()
        try:
            store = FileStore((cache_dir or default_cache_dir()) / "files-v1")
            local = store.fetch_url(http, wheel)
        except IndexError_ as error:
            # The client's hint names `--offline`, which this command has no use for: a URL
            # fetched once is taken from the cache without asking the server.
            raise IndexError_(
                error.message,
                hint="check the URL and the network, or pass the path of a downloaded wheel",
            ) from None
        finally:
            http.close()
        sha256 = local.parent.name
    else:
        local = Path(wheel)
    inspection = inspect_wheel(local)
    result = plan(
        inspection,
        target=target,
        soname_map=soname_map,
        cxx=CxxRuntime.for_gcc(int(gcc)),
        sha256=sha256,
    )
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(render_table(result, inspection))


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def render_table(result: WheelPatchPlan, inspection: WheelInspection) -> str:
    """The human-readable plan: per file its RUNPATH change and each needed soname."""
    lines = [
        f"{result.name} {result.version}  ({result.wheel})",
        f"target {result.system}, glibc {result.glibc}, gcc {result.gcc}; "
        f"soname map {result.soname_map}",
        f"{len(inspection.elfs)} ELF files, {_megabytes(inspection.elf_bytes)} of "
        f"{_megabytes(inspection.elf_size)} inflated to read them",
    ]
    width = max((len(n.soname) for f in result.files for n in f.needed), default=10)
    for file in result.files:
        lines += ["", file.path]
        directories = any(n.source in ("nixpkgs", "sibling", "unresolved") for n in file.needed)
        if file.runpath != file.old_runpath or directories:
            new = ":".join([*file.runpath, *(["<library directories>"] if directories else [])])
            dropped = f"  (drops {':'.join(file.dropped)})" if file.dropped else ""
            lines.append(f"  RUNPATH {new or 'removed'}{dropped}")
        if file.interpreter:
            lines.append(f"  interpreter {file.interpreter} → the Nix loader")
        for needed in file.needed:
            detail = needed.attr or needed.reason or needed.path or ""
            if needed.source == "sibling":
                detail = f"{needed.package}: {needed.path}"
            lines.append(f"  {needed.soname:<{width}}  {needed.source:<10}  {detail}".rstrip())
    lines.append("")
    for item in result.skipped:
        lines.append(f"skipped {item.path}: {item.reason}")
    lines.append(f"nixpkgs: {' '.join(result.attrs) or 'none'}")
    if result.siblings:
        lines.append(f"siblings: {' '.join(result.siblings)}")
    ignored = set(result.ignore_missing)
    unresolved = sorted({n.soname for _, n in result.unresolved} - ignored)
    lines.append(f"unresolved: {' '.join(unresolved) or 'none'}")
    if ignored:
        lines.append(f"ignored (soname map): {' '.join(sorted(ignored))}")
    versions = ", ".join(
        f"{family} {version}" for family, version in result.symbol_versions.items()
    )
    lines.append(f"symbol versions needed: {versions or 'none'}")
    lines += [f"problem: {problem.message}" for problem in result.problems]
    return "\n".join(lines)
