"""Direct references (``name @ URL``, ``-e PATH``): one candidate each, made from the URL.

No index lists them, so the resolver asks :class:`DirectReferences` for the single candidate
of a requirement that carries a URL, instead of listing candidates by name:

* ``git+…`` → provider ``git``: the commit the reference names now, its NAR hash, and the
  metadata of the checkout (of its ``subdirectory``);
* a local directory (``./pkg``, ``file:///…``, ``-e .``) → provider ``path``: the metadata of
  the tree (filtered as Nix will copy it), the hash of its metadata files (staleness), and for
  editables the directories a development install puts on ``sys.path``;
* a wheel or sdist by URL or path (``https://…/x.whl``, ``file:///…/x.tar.gz``, ``./x.whl``)
  → provider ``wheel`` or ``sdist`` as if an index listed it: the file is fetched (a local one
  copied) into the download cache now and its sha256 checked against the URL's
  ``#sha256=`` and the ``--hash`` options, so a wrong hash fails the lock, not the build.

Source trees (git and path) keep their metadata on the artifact (:class:`SourceTree`); the
``git`` and ``path`` providers (:class:`SourceProvider`) answer the resolver's questions from
it.  Metadata is read as for an sdist (static PKG-INFO or ``[project]`` first, else PEP 517
hooks) and cached by what identifies the tree: the commit, or the filtered tree's NAR hash.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs
from attrs import frozen
from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from mach2.atomic import write_atomic
from mach2.errors import ArtifactError, InputError, Mach2Error, ProviderError
from mach2.model.artifact import DistFile
from mach2.net.files import HashMismatch, local_file
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.direct.git import GitCache, parse_git_url, redacted
from mach2.providers.direct.nar import nar_sha256, sri_sha256
from mach2.providers.direct.tree import copy_tree, import_paths, is_inside, metadata_sha256
from mach2.providers.pypi.provider import PackageIndex, sdist_version, wheel_tags
from mach2.providers.pypi.sdist import SdistMetadata

__all__ = [
    "DirectReferences",
    "References",
    "SourceProvider",
    "SourceTree",
    "TreeReader",
    "is_local_reference",
    "same_reference",
]

#: Reads a source tree's metadata: ``(directory to read (may be written into), origin, log)``.
TreeReader = Callable[[Path, str, Path | None], SdistMetadata]

_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar")
_CACHE_FORMAT = 1


@frozen(kw_only=True)
class SourceTree:
    """A source tree a requirement points at: a git commit or a local directory.

    :param url: the requirement's URL (what other requirements for the name must match).
    :param repository: git: the URL git fetches; ``rev`` the commit, ``ref`` the name the user
        wrote after ``@`` (``None``: the default branch), ``nar_hash`` the checkout's NAR hash
        (SRI), ``subdirectory`` the project's directory in it.
    :param path: a local directory, absolute and resolved.
    :param editable: installed in development mode in shells (``-e``).
    :param metadata_sha256: a local directory's metadata files (the lock's staleness key).
    :param import_paths: for editables, what goes on ``sys.path`` (relative to ``path``).
    """

    kind: Literal["git", "path"]
    url: str
    metadata: SdistMetadata = attrs.field(eq=False, repr=False)
    repository: str | None = None
    ref: str | None = None
    rev: str | None = None
    nar_hash: str | None = None
    subdirectory: str | None = None
    path: Path | None = None
    editable: bool = False
    metadata_sha256: str | None = None
    import_paths: tuple[str, ...] = ()


def is_local_reference(url: str) -> bool:
    """A ``file:`` URL or a plain path (not ``https://``, not ``git+…``)."""
    scheme = urlsplit(url).scheme.lower()
    return scheme == "file" or scheme == "" or len(scheme) == 1  # "c:" is a drive


def same_reference(first: str, second: str) -> bool:
    """Whether two direct-reference URLs name the same thing: local paths compared resolved,
    git URLs without ``egg=`` (a name hint), files without their fragment (the hashes)."""
    if is_local_reference(first) and is_local_reference(second):
        return _local(first).resolve() == _local(second).resolve()
    if first.startswith("git+") or second.startswith("git+"):  # #subdirectory= matters
        return _without_egg(first) == _without_egg(second)
    return first.split("#", 1)[0] == second.split("#", 1)[0]  # a file: hashes are checked


def _without_egg(url: str) -> str:
    base, _, fragment = url.partition("#")
    kept = [f"{k}={v}" for k, v in parse_qsl(fragment) if k != "egg"]
    return base + ("#" + "&".join(kept) if kept else "")


def _local(url: str) -> Path:
    """The absolute path of a local reference (relative ones are relative to the current
    directory, where the input reader left them)."""
    bare = url.split("#", 1)[0]
    path = local_file(bare) if urlsplit(bare).scheme.lower() == "file" else Path(unquote(bare))
    assert path is not None
    return path.absolute()


class References(Protocol):
    """What makes the one candidate of ``name @ URL`` (:class:`DirectReferences`, or a
    wrapper that checks it against a foreign lock)."""

    def candidate(
        self, name: NormalizedName, url: str, *, origin: str, hashes: Collection[str] = ()
    ) -> Candidate: ...


class DirectReferences:
    """The candidate of each direct reference of one lock (made once per URL).

    :param index: fetches (and checks) wheels and sdists by URL, local ones included.
    :param git: the git cache.
    :param read_tree: reads a source tree's metadata (static or PEP 517).
    :param project: the project root: local directories must lie inside it.
    :param editables: URLs given with ``-e``.
    :param providers: the configured providers (a wheel needs ``wheel``, an sdist ``sdist``).
    :param cache_dir: where tree metadata and NAR hashes are cached (``source-trees-v1``).
    """

    def __init__(
        self,
        *,
        index: PackageIndex,
        git: GitCache,
        read_tree: TreeReader,
        project: Path | None,
        editables: Collection[str] = (),
        providers: Collection[str] = ("wheel", "sdist"),
        cache_dir: Path | None = None,
    ) -> None:
        self.index = index
        self.git = git
        self.read_tree = read_tree
        self.project = project
        self.editables = tuple(editables)
        self.providers = frozenset(providers)
        self.cache = None if cache_dir is None else cache_dir / "source-trees-v1"
        self._made: dict[tuple[str, str], Candidate] = {}

    def candidate(
        self, name: NormalizedName, url: str, *, origin: str, hashes: Collection[str] = ()
    ) -> Candidate:
        """The one candidate of ``name @ url``.

        :raises InputError: the reference is malformed, names another project, or a local
            directory lies outside the project.
        :raises GitError: the repository or reference cannot be found.
        :raises ArtifactError: a file does not have the hash the URL or ``--hash`` gives.
        """
        key = (name, url)
        found = self._made.get(key)
        if found is None:
            try:
                found = self._make(name, url, origin, frozenset(hashes))
            except Mach2Error as error:
                if error.message.startswith(origin):
                    raise
                # Say which line asked: "requirements.txt:3: <what went wrong>".
                kind = type(error) if type(error).__init__ is Mach2Error.__init__ else ArtifactError
                raise kind(f"{origin}: {error.message}", hint=error.hint) from None
            self._made[key] = found
        return found

    def _make(
        self, name: NormalizedName, url: str, origin: str, hashes: frozenset[str]
    ) -> Candidate:
        if url.startswith("git+"):
            return self._git(name, url, origin)
        if urlsplit(url).scheme.lower() in ("http", "https"):
            return self._archive(name, url, url.split("#", 1)[0], hashes)
        if not is_local_reference(url):
            raise InputError(f"{url!r}: mach2 cannot fetch this URL", hint=_SCHEMES)
        path = _local(url)
        if path.is_dir():
            return self._directory(name, url, path)
        if not path.exists():
            raise InputError(
                f"no such file or directory {str(path)!r} (in {url!r})", hint="check the path"
            )
        return self._archive(name, url, path.as_uri(), hashes)

    # -- wheels and sdists by URL ---------------------------------------------------------

    def _archive(
        self, name: NormalizedName, url: str, location: str, hashes: frozenset[str]
    ) -> Candidate:
        filename = unquote(location.rstrip("/").rsplit("/", 1)[-1])
        fields = wheel_tags(filename) if filename.endswith(".whl") else None
        version_text = fields[0] if fields else sdist_version(filename, name)
        if fields is None and not filename.endswith(_ARCHIVES):
            raise InputError(
                f"{filename!r} is not a wheel or an sdist ({url})",
                hint="point at a .whl or .tar.gz, a local directory, or a git+ URL",
            )
        try:
            version = Version(version_text or "")
        except InvalidVersion:
            raise InputError(
                f"cannot tell the version of {name} from {filename!r}",
                hint="link a wheel or an sdist named NAME-VERSION.tar.gz",
            ) from None
        provider = "wheel" if fields else "sdist"
        if provider not in self.providers:
            raise ProviderError(f"{filename} needs the {provider} provider")
        fragment = _fragment_hashes(url)
        sha256 = self._checked_sha256(url, location, filename, fragment, hashes - fragment)
        path = self.index.download(DistFile(filename=filename, url=location, sha256=sha256))
        file = DistFile(filename=filename, url=location, sha256=sha256, size=path.stat().st_size)
        return Candidate(name=name, version=version, provider=provider, artifact=file)

    def _checked_sha256(
        self,
        url: str,
        location: str,
        filename: str,
        fragment: frozenset[str],
        options: frozenset[str],
    ) -> str:
        """The file's sha256, after checking it against the URL's fragment and ``--hash``."""
        expected = next(
            (h.partition(":")[2] for h in sorted(fragment) if h.startswith("sha256:")), None
        )
        try:
            path = self.index.download(DistFile(filename=filename, url=location, sha256=expected))
        except HashMismatch as error:
            raise ArtifactError(
                f"{filename}: the file's sha256 is {error.actual}, but its URL says "
                f"#sha256={error.expected} ({_bare(url)})",
                hint="correct the #sha256= fragment (or remove it: mach2 then records the file's own hash)",
            ) from None
        digests = _digests(path, {h.partition(":")[0] for h in fragment | options})
        for given in sorted(fragment):
            algorithm, _, value = given.partition(":")
            if digests[algorithm] != value:
                raise ArtifactError(
                    f"{filename}: the file's {algorithm} is {digests[algorithm]}, but its URL says "
                    f"#{algorithm}={value} ({_bare(url)})",
                    hint=f"correct the #{algorithm}= fragment (or remove it: mach2 then records the file's own hash)",
                )
        if options and not any(
            digests[h.partition(":")[0]] == h.partition(":")[2] for h in options
        ):
            raise ArtifactError(
                f"{filename}: its sha256 {digests['sha256']} is none of the --hash values given for it",
                hint="correct the --hash option (pip hash FILE prints a file's)",
            )
        return digests["sha256"]

    # -- git --------------------------------------------------------------------------------

    def _git(self, name: NormalizedName, url: str, origin: str) -> Candidate:
        parsed = parse_git_url(url)
        commit = self.git.resolve(parsed)
        record = self._cached(f"git-{commit}-{_digest(parsed.subdirectory or '')}")
        if record is None:
            with tempfile.TemporaryDirectory(prefix="mach2-checkout-") as temporary:
                checkout = Path(temporary) / "source"
                self.git.checkout(parsed, commit, checkout)
                nar = sri_sha256(nar_sha256(checkout))
                directory = checkout
                if parsed.subdirectory is not None:
                    directory = checkout / parsed.subdirectory
                    if not is_inside(directory, checkout):
                        raise InputError(
                            f"subdirectory {parsed.subdirectory!r} of {url!r} leaves the repository "
                            "(through a symbolic link)",
                            hint="give a path inside the repository",
                        )
                    if not directory.is_dir():
                        raise InputError(
                            f"{redacted(parsed.repository)} at {commit[:12]} has no directory "
                            f"{parsed.subdirectory!r}",
                            hint="check #subdirectory=",
                        )
                metadata = self.read_tree(directory, _bare(url), self._log(f"git-{commit}"))
            record = {"nar-hash": nar, "metadata": metadata.to_json()}
            self._store(f"git-{commit}-{_digest(parsed.subdirectory or '')}", record)
        metadata = _metadata_of(record)
        _check_name(name, metadata, url)
        tree = SourceTree(
            kind="git",
            url=url,
            metadata=metadata,
            repository=parsed.repository,
            ref=parsed.rev if parsed.rev != commit else None,
            rev=commit,
            nar_hash=str(record["nar-hash"]),
            subdirectory=parsed.subdirectory,
        )
        return Candidate(name=name, version=_version(metadata, url), provider="git", artifact=tree)

    # -- local directories -------------------------------------------------------------------

    def _directory(self, name: NormalizedName, url: str, path: Path) -> Candidate:
        directory = path.resolve()
        if self.project is not None and not is_inside(directory, self.project):
            raise InputError(
                f"local directory {str(directory)!r} is outside the project {str(self.project)!r}",
                hint="move it into the project (its git working tree), or reference a built wheel or a git URL",
            )
        with tempfile.TemporaryDirectory(prefix="mach2-tree-") as temporary:
            copy = Path(temporary) / "source"
            copy_tree(directory, copy)
            key = "path-" + nar_sha256(copy).hex()
            record = self._cached(key)
            if record is None:
                metadata = self.read_tree(copy, _bare(url), self._log(key))
                record = {"metadata": metadata.to_json()}
                self._store(key, record)
        metadata = _metadata_of(record)
        _check_name(name, metadata, url)
        editable = any(same_reference(url, e) for e in self.editables)
        tree = SourceTree(
            kind="path",
            url=url,
            metadata=metadata,
            path=directory,
            editable=editable,
            metadata_sha256=metadata_sha256(directory),
            import_paths=import_paths(directory) if editable else (),
        )
        return Candidate(name=name, version=_version(metadata, url), provider="path", artifact=tree)

    # -- the cache of tree records ---------------------------------------------------------

    def _cached(self, key: str) -> dict[str, object] | None:
        if self.cache is None:
            return None
        try:
            data = json.loads((self.cache / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT:
            return None
        if SdistMetadata.from_json(data.get("metadata")) is None:
            return None
        return data

    def _store(self, key: str, record: dict[str, object]) -> None:
        if self.cache is not None:
            record = {**record, "format": _CACHE_FORMAT}
            write_atomic(self.cache / f"{key}.json", json.dumps(record, indent=1, sort_keys=True))

    def _log(self, key: str) -> Path | None:
        return None if self.cache is None else self.cache / f"{key}.log"


class SourceProvider:
    """The ``git`` and ``path`` providers: they list nothing by name (a direct reference makes
    its candidate) and answer dependencies from the tree's metadata."""

    def __init__(self, name: Literal["git", "path"]) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        return ()

    def dependencies(self, candidate: Candidate) -> Dependencies:
        tree = candidate.artifact
        assert isinstance(tree, SourceTree)
        return tree.metadata.dependencies()

    def prefetch(self, name: NormalizedName) -> None:
        return None


_SCHEMES = "mach2 takes https:// and file:// URLs of wheels and sdists, local paths, and git+ URLs"


def _bare(url: str) -> str:
    """``url`` without its fragment and password, for messages."""
    return redacted(url.split("#", 1)[0]) if "://" in url else url.split("#", 1)[0]


def _fragment_hashes(url: str) -> frozenset[str]:
    fragment = urlsplit(url).fragment
    return frozenset(
        f"{k.lower()}:{v.lower()}"
        for k, v in parse_qsl(fragment)
        if k.lower() in ("sha256", "sha384", "sha512")
    )


def _digests(path: Path, algorithms: Collection[str]) -> dict[str, str]:
    hashers = {a: hashlib.new(a) for a in {"sha256", *algorithms}}
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _metadata_of(record: dict[str, object]) -> SdistMetadata:
    metadata = SdistMetadata.from_json(record["metadata"])
    assert metadata is not None  # checked by _cached, or just made
    return metadata


def _check_name(name: NormalizedName, metadata: SdistMetadata, url: str) -> None:
    if metadata.name != name:
        raise InputError(
            f"{_bare(url)} is the project {metadata.name!r}, not {name!r}",
            hint=f"write {metadata.name} @ … (or fix #egg=)",
        )


def _version(metadata: SdistMetadata, url: str) -> Version:
    try:
        return Version(metadata.version)
    except InvalidVersion:
        raise ArtifactError(
            f"{_bare(url)}: version {metadata.version!r} is not a PEP 440 version",
            hint="fix the project's version",
        ) from None
