"""What the commands that lock say while they work, and about the lock they made.

Progress goes to stderr: on a terminal a live bar (rich); elsewhere (a CI log, a pipe) plain
lines, as build tools print them for long work: a stage that runs longer than a few seconds
gets a line, then at most one every few seconds (``$MACH2_PROGRESS_INTERVAL``, default 5),
and its last state — counts, and bytes downloaded.  ``-q`` silences both.  After locking, :func:`report_libraries` names every library the patch plans leave
unresolved (a warning, or with ``--strict`` the error).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from mach2.errors import InputError

if TYPE_CHECKING:
    from mach2.lock.model import Lock, LockedPackage
    from mach2.lock.patchelf import UnresolvedLibrary
    from mach2.pipeline.options import ProgressCallback

__all__ = [
    "PlainProgress",
    "info",
    "interval_from",
    "report_libraries",
    "reporting",
    "unresolved_in",
    "unresolved_of",
]

#: Seconds between two plain lines of the same stage.
INTERVAL = 5.0


def info(message: str, quiet: bool) -> None:
    """An informational line on stderr (``-q`` drops it; warnings and errors stay)."""
    if not quiet:
        click.echo(message, err=True)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


class PlainProgress:
    """A :data:`~mach2.pipeline.options.ProgressCallback` that writes plain, throttled lines.

    Stages: ``resolve`` (pins), ``plan`` (binary wheels inspected), ``index`` (nixpkgs
    evaluated with Nix); ``download`` events (bytes of one file) belong to the stage they
    happen in.  Only long work is shown: a stage's first line once it has run ``interval``
    seconds, then at most one every ``interval`` seconds, and its last state when it ends
    (the next stage starts, or :meth:`close`).  A quick lock prints nothing, so an error
    stays the one line it is.  Called from worker threads: each line is one ``write``.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
    ) -> None:
        self._write = write
        self._clock = clock
        self._interval = interval
        self._stage: str | None = None
        self._started = 0.0
        self._last: float | None = None  # when this stage last wrote a line
        self._base = ""
        self._state = ""
        self._written = ""
        self._files: dict[str, tuple[int, int | None]] = {}

    def __call__(self, stage: str, item: str, done: int, total: int | None) -> None:
        now = self._clock()
        if stage == "download":
            self._files[item] = (done, total)
        elif stage != self._stage:
            self._end()
            self._stage, self._started, self._last, self._files = stage, now, None, {}
        if self._stage is None:
            return  # a download before any stage
        self._state = self._describe(stage, item, done, total)
        due = self._started if self._last is None else self._last
        if now - due >= self._interval:
            self._emit(now)

    def close(self) -> None:
        """End the last stage (its last state, if it wrote a line)."""
        self._end()

    def _end(self) -> None:
        if self._last is not None:
            self._emit(self._clock())

    def _emit(self, now: float) -> None:
        self._last = now
        if self._state != self._written:
            self._write(self._state)
            self._written = self._state

    def _describe(self, stage: str, item: str, done: int, total: int | None) -> str:
        if stage == "resolve":
            self._base = f"resolving: {done} pinned (last: {item})"
        elif stage == "plan":
            self._base = f"patch plans: {done} of {total} binary wheels inspected"
        elif stage == "index":
            self._base = f"indexing nixpkgs {item} with Nix"
        elif stage != "download":
            self._base = f"{stage}: {done}" + (f" of {total}" if total is not None else "")
        if not self._files:
            return self._base
        received = sum(done for done, _ in self._files.values())
        expected = sum(total or done for done, total in self._files.values())
        files = f"{len(self._files)} file" + ("s" if len(self._files) > 1 else "")
        return f"{self._base}; downloaded {_size(received)} of {_size(expected)} ({files})"


def interval_from(environ: Mapping[str, str]) -> float:
    """``$MACH2_PROGRESS_INTERVAL`` (seconds; ``0``: every step), else :data:`INTERVAL`."""
    text = environ.get("MACH2_PROGRESS_INTERVAL", "")
    try:
        return max(0.0, float(text)) if text else INTERVAL
    except ValueError:
        raise InputError(
            f"MACH2_PROGRESS_INTERVAL={text!r} is not a number of seconds",
            hint="unset it or give seconds, e.g. 5",
        ) from None


@contextmanager
def _terminal() -> Iterator[ProgressCallback | None]:
    """A live bar on a terminal: pins while resolving, then the binary wheels' patch plans."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("resolving", total=None)
        received: dict[str, int] = {}

        def update(stage: str, item: str, done: int, total: int | None) -> None:
            if stage == "resolve":
                progress.update(task, description=f"resolving: {done} pinned, last {item}")
            elif stage == "download":
                received[item] = done
                megabytes = sum(received.values()) / 1e6
                progress.update(task, description=f"downloading {item} ({megabytes:.0f} MB)")
            elif stage == "index":
                progress.update(task, description=f"indexing nixpkgs {item} with Nix")
            else:
                progress.update(
                    task, description=f"patch plans: {item}", completed=done, total=total
                )

        yield update


@contextmanager
def reporting(quiet: bool) -> Iterator[ProgressCallback | None]:
    """Progress on stderr while locking: a bar on a terminal, plain lines elsewhere."""
    if quiet:
        yield None
        return
    if sys.stderr.isatty():  # checked before loading rich: scripts and CI logs skip it
        with _terminal() as update:
            yield update
        return
    plain = PlainProgress(
        lambda line: click.echo(line, err=True), interval=interval_from(os.environ)
    )
    try:
        yield plain
    finally:
        plain.close()


def unresolved_of(packages: Mapping[str, LockedPackage]) -> tuple[UnresolvedLibrary, ...]:
    """What the plans of these packages (one system's) leave without a library: the ELF
    plans' sonames (Linux) and the Mach-O plans' links (macOS)."""
    if not any("patchelf" in p.extra or "macho" in p.extra for p in packages.values()):
        return ()  # no plans (--no-patchelf, pure wheels): the planners need not be imported
    from mach2.lock.macho import unresolved_links
    from mach2.lock.patchelf import unresolved_libraries

    return unresolved_libraries(packages) + unresolved_links(packages)


def unresolved_in(lock: Lock) -> tuple[UnresolvedLibrary, ...]:
    """What the lock's plans leave without a library, on each system (named when several)."""
    import attrs

    several = len(lock.systems) > 1
    return tuple(
        attrs.evolve(item, system=name) if several else item
        for name, system in lock.systems.items()
        for item in unresolved_of(system.packages)
    )


def report_libraries(lock: Lock, *, strict: bool) -> None:
    """Name every library the lock's plans leave unresolved (on every system): one warning
    each and the ways out, or with ``strict`` raise.

    :raises UnresolvedLibraries: ``strict`` and a library is unresolved.
    """
    found = unresolved_in(lock)
    if not found:
        return
    from mach2.lock.patchelf import UnresolvedLibraries, fixes_hint

    if strict:
        raise UnresolvedLibraries(found)
    for item in found:
        click.echo(f"warning: {item.describe()}", err=True)
    click.echo(f"hint: {fixes_hint(found)}; --strict makes this an error", err=True)
