"""How to lock, apart from the requirements themselves: :class:`LockOptions`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from mach2.model.target import Target

if TYPE_CHECKING:
    from mach2.providers.nixpkgs.index import NixpkgsSource

__all__ = ["LockOptions", "ProgressCallback"]

#: ``on_progress(stage, item, done, total)``: stage ``"resolve"`` (item: the package just
#: pinned, done: pins so far, total: None), ``"plan"`` (item: the binary wheel just
#: inspected — ``""`` when the stage starts —, done/total: wheels), ``"download"`` (item: a
#: file name, done: its bytes so far, total: its size if known) or ``"index"`` (item: the
#: nixpkgs being evaluated with Nix).  Called from the thread doing the work.
ProgressCallback = Callable[[str, str, int, int | None], None]


@frozen(kw_only=True)
class LockOptions:
    """How to lock, apart from the requirements themselves.

    :param providers: ``"wheel,sdist"``, ``"_default=wheel;numpy=sdist"`` or a mapping.
    :param host_python: interpreter that runs PEP 517 hooks for sdist metadata.
    """

    #: The target's Python, glibc, macOS floor and musl; its system is the lock's only one
    #: unless ``systems`` names several.
    target: Target
    #: Lock for these systems, in one file (each gets ``target`` with its system); empty:
    #: ``target.system`` alone.
    systems: Sequence[str] = ()
    #: When no one version of a package fits every system, let it differ per system (named
    #: in the lock, shown by ``mach2 why``) instead of failing.
    split_versions: bool = False
    providers: str | Mapping[str, str | Sequence[str]] | None = None
    exclude_newer: datetime | None = None
    index_urls: Sequence[str] | None = None
    cache_dir: Path | None = None
    host_python: str = "python3"
    #: Interpreters to prefer for the PEP 517 hooks when one exists and has the target's
    #: minor version (the CLI passes ``python3.12`` for a 3.12 target): a ``setup.py`` that
    #: computes its dependencies from the running Python then sees the right one.
    host_pythons: Sequence[str] = ()
    offline: bool = False
    refresh: bool = False
    allow_prereleases: bool = False
    #: Plan the RUNPATH rewrites of binary wheels (downloads them once, cached by sha256).
    patchelf: bool = True
    #: Extra soname → nixpkgs attribute entries (JSON file, see ``mach2 patchelf``).
    soname_map: Path | None = None
    #: Conda channels (``conda-forge``, ``NAME=URL_OR_DIR``), before an environment.yml's:
    #: the ``conda`` provider is all of them, ``conda/NAME`` one (mach2.providers.conda.configure).
    channels: Sequence[str] = ()
    #: Optional dependencies (extras) and PEP 735 groups of pyproject.toml inputs to include.
    extras: Sequence[str] = ()
    groups: Sequence[str] = ()
    #: Offer conda's ``__cuda`` virtual package at this driver version.
    cuda: str | None = None
    #: The nixpkgs provider's packages: a prepared index file (docs/nixpkgs.md) ...
    nixpkgs_index: Path | None = None
    #: ... or a nixpkgs to index with Nix: a path, ``<nixpkgs>``, a flake reference, a
    #: revision, or ``NixpkgsSource.github(rev, sha256)`` (the env dir's pin).  Neither: no
    #: nixpkgs provider (a ``nixpkgs`` entry of the user is then an error).
    nixpkgs: str | NixpkgsSource | None = None
    #: The user's own project (``--project DIR``): locked as an editable root, the
    #: environment's main package, with its dependencies.
    project: Path | None = None
    #: A foreign lock's project itself (uv's workspace members, a directory entry at the
    #: lock's directory) is installed as ``uv sync`` does; ``False``: only its dependencies
    #: (``--no-install-project``, as ``uv sync --no-install-project``).
    install_project: bool = True
    #: uv.lock only: the workspace members to install with their dependencies instead of the
    #: root project (``--package``, as ``uv sync --package``) ...
    packages: Sequence[str] = ()
    #: ... or every member (``--all-packages``).  Neither: the root project, or every member
    #: of a virtual workspace, as ``uv sync``.
    all_packages: bool = False
    #: The directory the lock will be written to: local paths (``./pkg``, ``-e .``, local
    #: wheels) are recorded relative to it, so the Nix side finds them from the lock.
    #: ``None``: the first input file's directory.
    lock_dir: Path | None = None

    @property
    def targets(self) -> tuple[Target, ...]:
        """One Target per system to lock (``target`` with each system; musl on Linux only)."""
        names = tuple(dict.fromkeys(self.systems)) or (self.target.system,)
        return tuple(_for_system(self.target, name) for name in names)


def _for_system(target: Target, system: str) -> Target:
    if system == target.system:
        return target
    musl = target.musl if system.endswith("-linux") else None
    # attrs validates the system name (a TargetError for an unknown one).
    return attrs.evolve(target, system=system, musl=musl)  # type: ignore[arg-type]
