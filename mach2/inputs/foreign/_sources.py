"""Entries that name their source (a git commit, a local directory, a local wheel or sdist),
made into the direct references mach2 builds them from.

The readers give what the lock wrote; these make the URL the direct-reference provider takes
(``mach2.providers.direct``): a git entry becomes ``git+REPOSITORY@COMMIT#subdirectory=…`` with
the commit the lock recorded (never a branch or tag to resolve again), and a path becomes a
``file:`` URL of the lock's directory joined with it (every format writes paths relative to
the lock, or to the project whose lock it is, which is the same directory).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from mach2.inputs.foreign.model import ForeignSource

__all__ = ["at_lock_directory", "git_source", "local_source"]

_COMMIT = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")
#: git's scp-like syntax, ``user@host:path`` (no scheme).
_SCP = re.compile(r"^([A-Za-z0-9._-]+@[A-Za-z0-9.-]+):(?!//)(.*)$")


def git_source(
    repository: str, commit: str | None, subdirectory: str | None, written: str
) -> ForeignSource | str:
    """The reference to ``commit`` of ``repository``, or why there is none (a message for
    ``ForeignPackage.unsupported``)."""
    if commit is None or not _COMMIT.match(commit.lower()):
        return f"{written} (no full commit recorded)"
    repository = repository.removeprefix("git+")
    scp = _SCP.match(repository)
    if scp is not None:  # git@host:owner/repo.git, as git and Poetry take it
        repository = f"ssh://{scp.group(1)}/{scp.group(2).lstrip('/')}"
    scheme = urlsplit(repository).scheme
    if scheme not in ("https", "http", "ssh", "file", "git"):
        return f"{written} (a git+{scheme} repository)"
    url = f"git+{repository}@{commit.lower()}"
    if subdirectory:
        url += f"#subdirectory={quote(subdirectory, safe='/')}"
    return ForeignSource(url=url, written=written)


def local_source(
    base: Path,
    path: str,
    written: str,
    *,
    editable: bool = False,
    hashes: Mapping[str, str] | None = None,
) -> ForeignSource:
    """A local directory or file, ``path`` (a path or a ``file:`` URL) relative to ``base``."""
    if path.startswith("file:"):
        path = unquote(urlsplit(path).path)
    joined = Path(os.path.normpath(base.absolute() / PurePosixPath(path)))
    return ForeignSource(
        url=joined.as_uri(), written=written, editable=editable, hashes=dict(hashes or {})
    )


def at_lock_directory(base: Path, path: str) -> bool:
    """Whether ``path`` (relative to ``base``) is ``base`` itself: the project whose lock it is."""
    return os.path.normpath(base.absolute() / PurePosixPath(path)) == os.path.normpath(
        base.absolute()
    )
