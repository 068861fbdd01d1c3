"""After a lock: the files it downloaded go into the Nix store (``--no-nix-store`` turns it
off), so ``nix-build`` downloads none of them again.  Never fails the command: without Nix
there is nothing to do, and a ``nix-store`` failure is a warning (Nix downloads them then)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from mach2.errors import CacheError
from mach2.lock.model import Lock
from mach2.nixstore import FindCached, NixStore, StoreError, add_to_store

__all__ = ["add_lock_files_to_store", "added_message"]


def _finder(cache_dir: Path) -> FindCached:
    from mach2.net.files import FileStore

    files = FileStore(cache_dir / "files-v1")  # the one download cache (mach2.net.files)

    def find(sha256: str, filename: str, size: int | None) -> Path | None:
        try:
            found = files.cached(sha256, filename, size)
        except CacheError:
            return None  # a damaged entry: Nix downloads the file itself
        if found is not None:
            return found
        # stored under the index's filename (the lock's can differ, e.g. a direct URL's)
        candidates = list(files.path(sha256, filename).parent.glob("*"))
        return candidates[0] if len(candidates) == 1 else None

    return find


def add_lock_files_to_store(
    lock: Lock, cache_dir: Path | None, *, enabled: bool, quiet: bool = False
) -> None:
    """Add the cached files of ``lock``'s entries for this machine's system (the only ones
    this machine builds) to the Nix store; one line on stderr says what (``quiet``: only a
    warning)."""
    from mach2.cli.options import host_system

    system = lock.systems.get(host_system())
    if not enabled or cache_dir is None or system is None:
        return
    store = NixStore.find(os.environ)
    if store is None:
        return
    try:
        report = add_to_store(system.packages, _finder(cache_dir), store)
    except StoreError as error:
        click.echo(f"warning: {error.message}; nix-build will download the files", err=True)
        return
    if report.added and not quiet:
        click.echo(added_message(len(report.added), report.bytes_added), err=True)


def added_message(count: int, size: int) -> str:
    """What the command says after adding ``count`` files of ``size`` bytes to the store."""
    files = "file" if count == 1 else "files"
    them = "it" if count == 1 else "them"
    return (
        f"added {count} downloaded {files} ({size / 1e6:.1f} MB) to the Nix store: "
        f"nix-build will not download {them} again (--no-nix-store: skip)"
    )
