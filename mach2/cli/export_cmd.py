"""``mach2 export``: a lock as PEP 751 ``pylock.toml`` or a hash-pinned requirements file."""

from __future__ import annotations

from pathlib import Path

import click

from mach2.atomic import write_atomic
from mach2.cli.group import main
from mach2.emit.export import FORMATS, chosen_system, export
from mach2.lock.model import read_lock

__all__ = ["export_command"]


@main.command("export")
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    required=True,
    help="pylock (PEP 751 pylock.toml) or requirements (requirements.txt with --hash)",
)
@click.option(
    "--lock",
    "lock_path",
    type=click.Path(path_type=Path),
    default=Path("mach2.lock"),
    show_default=True,
    help="the mach2 lock to export",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="write to this file instead of stdout",
)
@click.option(
    "--partial",
    is_flag=True,
    help="leave out what the format cannot express instead of refusing (conda and nixpkgs "
    "packages; in a requirements file also git checkouts and local directories)",
)
@click.option(
    "--system",
    default=None,
    metavar="SYSTEM",
    help="the system of the lock to export (required when the lock has several)",
)
def export_command(
    format_: str, lock_path: Path, output: Path | None, partial: bool, system: str | None
) -> None:
    """Write the lock's environment for other tools (pip, uv, PEP 751 installers)."""
    lock = read_lock(lock_path)
    chosen_system(lock, system, str(lock_path))  # its errors name the lock as it was given
    result = export(
        lock,
        format_,
        origin=lock_path.name,
        partial=partial,
        system=system,
        lock_dir=lock_path.parent,
        output_dir=output.parent if output is not None else Path.cwd(),
    )
    for name in result.left_out:
        click.echo(f"left out: {name}", err=True)
    if output is None:
        click.echo(result.text, nl=False)
        return
    write_atomic(output, result.text)
    chosen = chosen_system(lock, system, lock_path.name)
    count = sum(1 for p in chosen.packages.values() if not p.build_only) - len(result.left_out)
    click.echo(f"wrote {output}: {count} packages for {chosen.target.describe()}", err=True)
