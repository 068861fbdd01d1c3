"""``uv.lock`` (uv's universal lock, lock ``version = 1``), read as uv documents it.

What mach2 reads: ``requires-python``; ``[manifest] members`` (a workspace) and the entry
whose source is ``editable``/``virtual`` ``"."`` (the root project; none in a virtual
workspace); each ``[[package]]``'s
``name``, ``version``, ``source`` (``registry``, ``url``; ``git`` at its recorded commit,
``directory``, ``editable`` and ``path`` as direct references (``_sources``); ``virtual``: not
installed, its dependencies are), ``dependencies``,
``optional-dependencies`` and ``dev-dependencies`` (each an edge ``{name, extra, marker,
version, source}``), ``sdist`` and ``wheels`` (``url``/``path``, ``hash``, ``size``).
``resolution-markers`` need no reading: the edges' markers already say which fork a target
takes.  The selection walks the graph from where ``uv sync`` starts (``ForeignLock.select``):
the root project, else every member.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import attrs
from packaging.utils import NormalizedName

from mach2.inputs.foreign._files import file_from_url, parse_hash
from mach2.inputs.foreign._sources import at_lock_directory, git_source, local_source
from mach2.inputs.foreign._toml import Doc, load
from mach2.inputs.foreign.model import (
    Edge,
    ForeignFile,
    ForeignLock,
    ForeignPackage,
    ForeignSource,
)

__all__ = ["read_uv_lock"]

_SUPPORTED_VERSIONS = (1,)
_LOCAL_SOURCES = ("directory", "editable", "path", "virtual")
#: The query keys of a uv git source that mach2 honours (the commit is the fragment).
_GIT_KEYS = frozenset({"rev", "tag", "branch", "subdirectory"})


def read_uv_lock(path: Path) -> tuple[ForeignLock, str, str]:
    """The lock, its text and sha256.

    :raises InputError: malformed TOML or entry (naming the place), an unknown lock version.
    """
    doc, text, digest = load(path)
    version = doc.integer("version")
    if version is None:
        doc.fail("version", "missing: not a uv.lock")
    if version not in _SUPPORTED_VERSIONS:
        doc.fail("version", f"uv.lock version {version!r} is not one mach2 reads (1)")
    base = path.absolute().parent
    packages = [_package(p, base) for p in doc.tables("package")]
    manifest = doc.table("manifest")
    members: list[NormalizedName] = []
    if manifest is not None:
        members = [NormalizedName(m) for m in (_normal(m) for m in manifest.strings("members"))]
    roots = [p.name for p, root in packages if root]
    if not members:
        members = roots
    packages = [(attrs.evolve(p, project=p.name in members), root) for p, root in packages]
    extras = {e for p, _ in packages if p.name in members for e in p.optional_dependencies}
    groups = {g for p, _ in packages if p.name in members for g in p.group_dependencies}
    indexes = dict.fromkeys(p.index for p, _ in packages if p.index)
    lock = ForeignLock(
        format="uv.lock",
        path=doc.file,
        tool="uv",
        packages=tuple(p for p, _ in packages),
        # uv sync's default: the root project, or every member of a virtual workspace.
        members=tuple(roots[:1] or members),
        workspace=tuple(members),
        root=roots[0] if roots else None,
        requires_python=doc.string("requires-python"),
        extras=frozenset(extras),
        groups=frozenset(groups),
        index_urls=tuple(i for i in indexes if i),
    )
    return lock, text, digest


def _normal(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def _package(doc: Doc, base: Path) -> tuple[ForeignPackage, bool]:
    """The entry, and whether it is the project at the lock's root."""
    name = doc.name()
    version = doc.version(required=False)
    origin = f"{doc.file}: package {name!r}" + (f" {version}" if version else "")
    source = doc.table("source")
    index = url_source = unsupported = None
    direct: ForeignSource | None = None
    root = virtual = False
    if source is not None:
        if source.string("registry") is not None:
            index = source.string("registry")
            if index is not None and not index.startswith(("http://", "https://")):
                unsupported = f"local registry {index}"
        elif source.string("url") is not None:
            url_source = source.string("url")
        elif source.string("git") is not None:
            found = _git(source.required_string("git"))
            direct, unsupported = (
                (found, None) if isinstance(found, ForeignSource) else (None, found)
            )
        else:
            key = next((k for k in _LOCAL_SOURCES if source.string(k) is not None), None)
            if key is None:
                source.fail("", "no source kind mach2 knows (registry, url, git, path, …)")
            value = source.required_string(key)
            root = key in ("editable", "virtual") and at_lock_directory(base, value)
            virtual = key == "virtual"
            if not virtual:
                hashes = _hashes(doc) if key == "path" else {}
                direct = local_source(
                    base, value, f"{key} {value}", editable=key == "editable", hashes=hashes
                )
    wheels: tuple[ForeignFile, ...] = ()
    sdist = None
    if direct is None:
        wheels = tuple(_file(w, url_source) for w in doc.tables("wheels"))
        sdist_doc = doc.table("sdist")
        sdist = _file(sdist_doc, url_source) if sdist_doc is not None else None
    local = [f for f in (*wheels, *((sdist,) if sdist else ())) if f.url is None]
    if local and unsupported is None:
        unsupported = f"local file {local[0].filename}"
    optional = doc.table("optional-dependencies")
    dev = doc.table("dev-dependencies")
    package = ForeignPackage(
        name=name,
        version=version,
        origin=origin,
        wheels=wheels,
        sdist=sdist,
        index=index,
        unsupported=unsupported,
        source=direct,
        virtual=virtual,
        dependencies=_edges(doc, "dependencies"),
        optional_dependencies=_edge_table(optional),
        group_dependencies=_edge_table(dev),
    )
    return package, root


def _git(value: str) -> ForeignSource | str:
    """``URL?branch=main&subdirectory=pkg#COMMIT`` (uv's git source) as a reference to the
    commit."""
    parts = urlsplit(value)
    query = dict(parse_qsl(parts.query))
    unknown = sorted(set(query) - _GIT_KEYS)
    if unknown:  # lfs=true: mach2 fetches no LFS objects
        return f"git {value} (with {', '.join(unknown)})"
    repository = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return git_source(repository, parts.fragment or None, query.get("subdirectory"), f"git {value}")


def _hashes(doc: Doc) -> dict[str, str]:
    """A local file's hashes: its ``wheels``/``sdist`` entry's ``hash``."""
    entries = [*doc.tables("wheels"), *([s] if (s := doc.table("sdist")) is not None else [])]
    hashes: dict[str, str] = {}
    for entry in entries:
        text = entry.string("hash")
        if text is not None:
            algorithm, digest = parse_hash(entry, "hash", text)
            hashes[algorithm] = digest
    return hashes


def _edge_table(doc: Doc | None) -> dict[str, tuple[Edge, ...]]:
    if doc is None:
        return {}
    return {_normal(key): _edges(doc, key) for key in sorted(doc.data)}


def _edges(doc: Doc, key: str) -> tuple[Edge, ...]:
    edges = []
    for item in doc.tables(key):
        source = item.table("source")
        registry = source.string("registry") if source is not None else None
        edges.append(
            Edge(
                name=item.name(),
                extras=frozenset(_normal(e) for e in item.strings("extra")),
                marker=item.marker(),
                version=item.string("version"),
                source=registry,
            )
        )
    return tuple(edges)


def _file(doc: Doc, url_source: str | None) -> ForeignFile:
    hashes = {}
    text = doc.string("hash")
    if text is not None:
        algorithm, digest = parse_hash(doc, "hash", text)
        hashes[algorithm] = digest
    size = doc.integer("size")
    url = doc.string("url") or url_source
    filename = doc.string("filename")
    if url is not None:
        return file_from_url(doc, url, hashes, size, filename)
    local = doc.string("path")
    if local is None:
        doc.fail("url", "missing (a file needs a url or a path)")
    name = filename or local.rsplit("/", 1)[-1]
    return ForeignFile(filename=name, url=None, hashes=hashes, size=size, origin=doc.where)
