"""The direct references of a lock (``git``, ``path``, wheels and sdists by URL), made from
its settings (the providers stage)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from mach2.model.target import Target
from mach2.providers.base import Provider
from mach2.providers.direct.git import GitCache
from mach2.providers.direct.provider import DirectReferences, SourceProvider, TreeReader
from mach2.providers.pypi.configure import hook_interpreter
from mach2.providers.pypi.provider import PackageIndex
from mach2.providers.pypi.sdist import SdistMetadata, read_tree_metadata

__all__ = ["providers", "references", "tree_reader"]


def providers() -> dict[str, Provider]:
    """``git`` and ``path``: they answer dependencies of the candidates references make."""
    return {"git": SourceProvider("git"), "path": SourceProvider("path")}


def tree_reader(
    target: Target, *, cache_dir: Path | None, host_pythons: Sequence[str], host_python: str
) -> TreeReader:
    """Reads a tree's metadata; the hook interpreter is chosen on first use, as for sdists."""
    interpreter: list[str] = []

    def read(directory: Path, origin: str, log: Path | None) -> SdistMetadata:
        if not interpreter:
            interpreter.append(hook_interpreter(target, host_pythons, host_python))
        return read_tree_metadata(
            directory, origin=origin, cache_dir=cache_dir, python=interpreter[0], log=log
        )

    return read


def references(
    index: PackageIndex,
    target: Target,
    *,
    project: Path | None,
    editables: Collection[str],
    providers: Collection[str],
    cache_dir: Path | None,
    host_pythons: Sequence[str],
    host_python: str,
    offline: bool,
    environ: Mapping[str, str] | None,
) -> tuple[DirectReferences, GitCache]:
    """What makes the candidates of ``name @ URL`` requirements; close the GitCache after."""
    git = GitCache(
        None if cache_dir is None else cache_dir / "git-v1", offline=offline, environ=environ
    )
    reader = tree_reader(
        target, cache_dir=cache_dir, host_pythons=host_pythons, host_python=host_python
    )
    direct = DirectReferences(
        index=index,
        git=git,
        read_tree=reader,
        project=project,
        editables=editables,
        providers=providers,
        cache_dir=cache_dir,
    )
    return direct, git
