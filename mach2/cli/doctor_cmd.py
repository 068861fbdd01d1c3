"""``mach2 doctor``: what this machine has for mach2, rendered from :mod:`mach2.doctor`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mach2.cli.group import main
from mach2.cli.options import default_cache_dir

__all__ = ["doctor"]

_MARKS = {"ok": "ok  ", "warning": "warn", "problem": "FAIL"}


@main.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="print the findings as JSON")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="the cache directory to check (default: $MACH2_CACHE_DIR or ~/.cache/mach2)")  # fmt: skip
def doctor(as_json: bool, cache_dir: Path | None) -> None:
    """What this machine has for mach2, and what to do about what is missing.

    Exit code 1 when something will make a mach2 command or the Nix build fail.
    """
    from mach2.doctor import Host, diagnose, has_problems

    checks = diagnose(Host.current(cache_dir or default_cache_dir()))
    if as_json:
        report = {"ok": not has_problems(checks), "checks": [c.to_json() for c in checks]}
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        for check in checks:
            click.echo(f"{_MARKS[check.status]} {check.name}: {check.found}")
            if check.fix:
                click.echo(f"     → {check.fix}")
    if has_problems(checks):
        sys.exit(1)
