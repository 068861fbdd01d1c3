"""Git requirements: pip's ``git+`` URLs, resolved to a commit and checked out at lock time.

``name @ git+https://host/repo.git@v1.2#subdirectory=pkg&egg=name`` (pip's syntax, as in
``pip/_internal/vcs/git.py``): the transport after ``git+`` (``https``, ``http``, ``ssh``,
``file``, ``git``), an optional ``@rev`` after the path (a tag, a branch, a full or
abbreviated commit), and ``subdirectory=`` / ``egg=`` in the fragment.

At lock time the reference is resolved once (``git ls-remote``: a tag's peeled commit first,
then a branch, then any ref of that name) and the commit is fetched into mach2's cache
(``<cache dir>/git-v1/<hash of the URL>``, a bare repository shared by every lock), then
checked out into a temporary directory to read the metadata and to compute the NAR hash the
Nix side checks.  The checkout is made the way nixpkgs' ``fetchgit`` makes it
(``nix-prefetch-git``: ``git checkout`` without the user's git configuration, ``.git``
removed), so the hash is the one its fixed-output derivation must produce.  A branch moves
only when the lock is made again.

Git is run as a program (as pip, uv and Nix < 2.20 do): fetching uses the user's git
configuration and credentials (``~/.gitconfig``, ssh keys); checking out uses none, so
``core.autocrlf`` and filters of the user cannot change the hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from attrs import frozen

from mach2.atomic import file_lock, write_atomic
from mach2.errors import ArtifactError, InputError, Mach2Error

__all__ = ["GIT_TRANSPORTS", "GitCache", "GitError", "GitUrl", "MissingCommit", "parse_git_url"]

#: The transports pip accepts after ``git+``.
GIT_TRANSPORTS = frozenset({"https", "http", "ssh", "file", "git"})
_FULL_COMMIT = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")
_SHORT_COMMIT = re.compile(r"^[0-9a-f]{7,63}$")
#: Seconds one git command may take (a big repository's first fetch is slow).
_TIMEOUT = 900.0


class GitError(Mach2Error):
    """A git repository could not be reached, or has no such reference or commit."""


class MissingCommit(GitError):
    """The repository was fetched and does not have the commit."""


@frozen(kw_only=True)
class GitUrl:
    """A ``git+`` URL taken apart.

    :param repository: what git fetches (``https://host/repo.git``, ``file:///srv/repo``).
    :param rev: the ``@rev`` as written (tag, branch or commit), ``None`` for the default branch.
    :param subdirectory: the project's directory inside the repository (normalized, relative).
    """

    repository: str
    rev: str | None
    subdirectory: str | None

    @property
    def transport(self) -> str:
        return urlsplit(self.repository).scheme


def parse_git_url(url: str) -> GitUrl:
    """Split a ``git+`` URL.

    >>> parse_git_url("git+ssh://git@host/r.git@v1#subdirectory=a/b&egg=x")
    GitUrl(repository='ssh://git@host/r.git', rev='v1', subdirectory='a/b')

    :raises InputError: not a git URL, an unknown transport, an empty ``@rev``, or a
        ``subdirectory`` that leaves the checkout (absolute, or through ``..``).
    """
    if not url.startswith("git+"):
        raise InputError(f"{url!r} is not a git URL", hint="write git+https://... or git+ssh://...")
    parts = urlsplit(url[len("git+") :])
    if parts.scheme not in GIT_TRANSPORTS:
        raise InputError(
            f"git+{parts.scheme} URLs are not supported ({url!r})",
            hint="use git+https, git+http, git+ssh, git+file or git+git",
        )
    path, rev = parts.path, None
    if "@" in path:
        path, _, rev = path.rpartition("@")
        if not rev:
            raise InputError(f"{url!r} has an empty @rev", hint="write @TAG, @BRANCH or @COMMIT")
        rev = unquote(rev)
    fragment = dict(parse_qsl(parts.fragment))
    subdirectory = fragment.get("subdirectory")
    if subdirectory is not None:
        subdirectory = _inner_path(subdirectory, url)
    repository = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return GitUrl(repository=repository, rev=rev, subdirectory=subdirectory)


def _inner_path(subdirectory: str, url: str) -> str | None:
    """``subdirectory`` normalized; one that leaves the checkout is refused."""
    posix = PurePosixPath(subdirectory)
    parts = [p for p in posix.parts if p not in ("", ".")]
    if posix.is_absolute() or ".." in parts or "\\" in subdirectory:
        raise InputError(
            f"subdirectory {subdirectory!r} of {url!r} leaves the repository",
            hint="give a path inside the repository, such as #subdirectory=packages/name",
        )
    return "/".join(parts) or None


def redacted(url: str) -> str:
    """``url`` without a password (``https://user:***@host/...``), for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class GitCache:
    """Bare repositories under ``root`` (one per repository URL) and checkouts from them.

    :param root: ``<cache dir>/git-v1``; without one, a temporary directory that lives as
        long as this object.
    :param offline: resolve references from what earlier locks recorded; fetch nothing.
    :param environ: the environment git runs in (fetching); the CLI passes ``os.environ``.
    """

    def __init__(
        self,
        root: Path | None,
        *,
        offline: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._given_root = root
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self.offline = offline
        #: The environment git fetches in (``None``: this process's, like every subprocess).
        self.environ = None if environ is None else dict(environ)

    @property
    def root(self) -> Path:
        if self._given_root is not None:
            return self._given_root
        if self._temporary is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="mach2-git-")
        return Path(self._temporary.name)

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()

    # -- resolving a reference -----------------------------------------------------------

    def resolve(self, url: GitUrl) -> str:
        """The commit ``url.rev`` names in the repository now (the default branch for none).

        :raises GitError: the repository cannot be listed, or has no such reference.
        """
        rev = url.rev
        if rev is not None and _FULL_COMMIT.match(rev):
            return rev
        memo = self._memo_path(url.repository)
        if self.offline:
            known = _read_json(memo).get(rev or "HEAD")
            if not isinstance(known, str):
                raise GitError(
                    f"{redacted(url.repository)}: {_what(rev)} is not in the cache (offline)",
                    hint="run once without --offline",
                )
            return known
        refs = self._ls_remote(url.repository)
        commit = _pick(refs, rev)
        if commit is None and rev is not None and _SHORT_COMMIT.match(rev):
            commit = self._expand_short(url.repository, rev)
        if commit is None:
            raise GitError(
                f"{redacted(url.repository)} has no tag or branch {rev!r}",
                hint="check the name after @ (git ls-remote URL lists them), or give a commit",
            )
        memo_data = _read_json(memo)
        if memo_data.get(rev or "HEAD") != commit:
            memo_data[rev or "HEAD"] = commit
            with contextlib.suppress(OSError):
                write_atomic(memo, json.dumps(memo_data, indent=1, sort_keys=True) + "\n")
        return commit

    def _ls_remote(self, repository: str) -> dict[str, str]:
        output = self._run_git(
            ["ls-remote", "--", repository], what=f"cannot reach the git repository {repository}"
        )
        refs: dict[str, str] = {}
        for line in output.splitlines():
            commit, _, name = line.partition("\t")
            if commit and name:
                refs[name] = commit
        return refs

    def _expand_short(self, repository: str, prefix: str) -> str | None:
        """A commit named by a prefix: every ref is fetched, then git expands it."""
        bare = self._bare(repository)
        with file_lock(bare.with_suffix(".lock")):
            self._fetch(bare, repository, ["+refs/*:refs/mach2/all/*"])
            try:
                found = self._run_git(
                    [
                        "--git-dir",
                        str(bare),
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        f"{prefix}^{{commit}}",
                    ],
                    what=f"looking up {prefix} in {repository}",
                )
            except GitError:
                return None
        return found.strip() or None

    # -- fetching and checking out -------------------------------------------------------

    def checkout(self, url: GitUrl, commit: str, destination: Path) -> None:
        """Check ``commit`` out into ``destination`` (which must not exist), without ``.git``.

        :raises GitError: the commit cannot be fetched.
        :raises ArtifactError: the commit has git submodules (not fetched by mach2).
        """
        bare = self._bare(url.repository)
        with file_lock(bare.with_suffix(".lock")):
            if not self._has_commit(bare, commit):
                if self.offline:
                    raise GitError(
                        f"{redacted(url.repository)}: commit {commit} is not in the cache (offline)",
                        hint="run once without --offline",
                    )
                self._fetch_commit(bare, url, commit)
                self._run_git(
                    ["--git-dir", str(bare), "update-ref", f"refs/mach2/commits/{commit}", commit],
                    what=f"recording commit {commit}",
                )
            tree = self._run_git(
                ["--git-dir", str(bare), "ls-tree", "-r", "-z", commit],
                what=f"reading commit {commit}",
            )
            for entry in tree.split("\0"):
                if entry.startswith("160000 "):
                    path = entry.split("\t", 1)[-1]
                    raise ArtifactError(
                        f"{redacted(url.repository)} at {commit[:12]} has a git submodule ({path}), "
                        "which mach2 does not fetch",
                        hint="vendor the submodule, or reference a wheel or sdist of the project",
                    )
            destination.mkdir(parents=True)
            with tempfile.TemporaryDirectory(prefix="mach2-git-index-") as home:
                # As nix-prefetch-git in the sandbox: no system or user configuration.
                clean = {
                    "PATH": (self.environ or os.environ).get("PATH", "/usr/bin:/bin"),
                    "HOME": home,
                    "GIT_CONFIG_NOSYSTEM": "1",
                    "GIT_CONFIG_GLOBAL": os.devnull,
                    "GIT_DIR": str(bare),
                    "GIT_WORK_TREE": str(destination),
                    "GIT_INDEX_FILE": os.path.join(home, "index"),
                }
                self._run_git(["read-tree", commit], what=f"checking out {commit}", env=clean)
                self._run_git(
                    ["checkout-index", "-a", "-f"], what=f"checking out {commit}", env=clean
                )

    def _fetch_commit(self, bare: Path, url: GitUrl, commit: str) -> None:
        """Fetch ``commit``: shallow by name when the server allows it, else the refs."""
        wanted = [commit] if url.rev is None or _SHORT_COMMIT.match(url.rev) else [url.rev, commit]
        for what in dict.fromkeys(wanted):
            for shallow in (True, False):
                with contextlib.suppress(GitError):
                    self._fetch(bare, url.repository, [what], shallow=shallow)
                    if self._has_commit(bare, commit):
                        return
        self._fetch(bare, url.repository, ["+refs/*:refs/mach2/all/*"])
        if not self._has_commit(bare, commit):
            raise MissingCommit(
                f"{redacted(url.repository)} has no commit {commit}",
                hint="check the commit after @, or lock again to follow the branch",
            )

    def _fetch(
        self, bare: Path, repository: str, refspecs: Sequence[str], *, shallow: bool = False
    ) -> None:
        depth = ["--depth=1"] if shallow else []
        self._run_git(
            [
                "--git-dir",
                str(bare),
                "fetch",
                "--quiet",
                "--no-tags",
                *depth,
                "--",
                repository,
                *refspecs,
            ],
            what=f"cannot fetch from the git repository {repository}",
        )

    def _has_commit(self, bare: Path, commit: str) -> bool:
        try:
            self._run_git(
                ["--git-dir", str(bare), "cat-file", "-e", f"{commit}^{{commit}}"],
                what="",
                quiet=True,
            )
        except GitError:
            return False
        return True

    def _bare(self, repository: str) -> Path:
        bare = self.root / hashlib.sha256(repository.encode()).hexdigest()[:32]
        if not (bare / "HEAD").is_file():
            bare.parent.mkdir(parents=True, exist_ok=True)
            with file_lock(bare.with_suffix(".lock")):
                if not (bare / "HEAD").is_file():
                    self._run_git(
                        ["init", "--quiet", "--bare", str(bare)], what="creating the cache"
                    )
                    # Objects only a ref keeps are never pruned by an automatic gc.
                    self._run_git(
                        ["--git-dir", str(bare), "config", "gc.auto", "0"],
                        what="creating the cache",
                    )
        return bare

    def _memo_path(self, repository: str) -> Path:
        return self.root / "refs" / (hashlib.sha256(repository.encode()).hexdigest()[:32] + ".json")

    def _run_git(
        self,
        args: list[str],
        *,
        what: str,
        env: Mapping[str, str] | None = None,
        quiet: bool = False,
    ) -> str:
        base = env if env is not None else self.environ
        environment = dict(os.environ if base is None else base)
        environment.setdefault("GIT_TERMINAL_PROMPT", "0")  # never wait for a password
        git = shutil.which("git", path=environment.get("PATH"))
        if git is None:
            raise GitError(
                "git is not installed", hint="install git: mach2 runs it to lock git requirements"
            )
        try:
            done = subprocess.run(
                [git, *args],
                env=environment,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"{what}: git took longer than {_TIMEOUT:.0f} s") from None
        except OSError as error:
            raise GitError(f"{what}: cannot run git ({error.strerror})") from None
        if done.returncode != 0:
            if quiet:
                raise GitError(what)
            detail = _first_fatal(done.stderr) or f"git exited with {done.returncode}"
            raise GitError(
                f"{redacted(what)}: {redacted(detail)}",
                hint="check the URL and that you can clone it (git clone URL)",
            )
        return done.stdout


def _pick(refs: Mapping[str, str], rev: str | None) -> str | None:
    """The commit a name points at: a tag's peeled commit, a branch, or a full ref name."""
    if rev is None:
        return refs.get("HEAD")
    for name in (f"refs/tags/{rev}^{{}}", f"refs/tags/{rev}", f"refs/heads/{rev}", rev):
        if name in refs:
            return refs[name]
    return None


def _what(rev: str | None) -> str:
    return "the default branch" if rev is None else repr(rev)


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _first_fatal(text: str) -> str:
    """git's first ``fatal:``/``error:`` line (the cause; later lines are advice), else its
    last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    causes = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return causes[0] if causes else (lines[-1] if lines else "")
