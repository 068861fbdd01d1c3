"""The ``mach2`` command group: renders every :class:`Mach2Error` as one line.

Subcommand modules import :data:`main` from here and register on it; ``mach2.cli.main``
imports them all.
"""

from __future__ import annotations

import gc
import sys

import click

from mach2.errors import Mach2Error

__all__ = ["main"]


class _Group(click.Group):
    """Turns every :class:`Mach2Error` into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except Mach2Error as error:
            click.echo(f"error: {error.message}", err=True)
            if error.hint:
                click.echo(f"hint: {error.hint}", err=True)
            sys.exit(1)
        except OSError as error:
            # Unexpected I/O trouble (disk full, permissions): one line, not a traceback.
            name = f" {error.filename!r}" if error.filename else ""
            click.echo(f"error:{name} {error.strerror or error}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


def _no_cyclic_gc() -> None:
    """The CLI is a short-lived process that allocates a lot (60,000 file records for a
    data-science lock) and frees little: the cyclic collector found nothing to free and cost a
    fifth of a warm run.  The library leaves the collector alone; only the command turns it off.
    """
    gc.disable()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mach2")
def main() -> None:
    """Reproducible Python environments with Nix: lock from PyPI, conda and nixpkgs; build with Nix."""
    _no_cyclic_gc()
