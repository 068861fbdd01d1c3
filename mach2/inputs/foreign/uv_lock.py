"""``uv.lock`` (uv's universal lock, lock ``version = 1``), read as uv documents it.

What mach2 reads: ``requires-python``; ``[manifest] members`` (a workspace), else the entries
whose source is ``editable``/``virtual`` ``"."`` (the project); each ``[[package]]``'s
``name``, ``version``, ``source`` (``registry``, ``url``, and — named as not supported yet —
``git``, ``path``, ``directory``, ``editable``, ``virtual``), ``dependencies``,
``optional-dependencies`` and ``dev-dependencies`` (each an edge ``{name, extra, marker,
version, source}``), ``sdist`` and ``wheels`` (``url``/``path``, ``hash``, ``size``).
``resolution-markers`` need no reading: the edges' markers already say which fork a target
takes.  The selection walks the graph from the members (``ForeignLock.select``).
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import NormalizedName

from mach2.inputs.foreign._files import file_from_url, parse_hash
from mach2.inputs.foreign._toml import Doc, load
from mach2.inputs.foreign.model import Edge, ForeignFile, ForeignLock, ForeignPackage

__all__ = ["read_uv_lock"]

_SUPPORTED_VERSIONS = (1,)
_UNSUPPORTED_SOURCES = {
    "git": "git",
    "path": "local file",
    "directory": "directory",
    "editable": "editable",
    "virtual": "virtual project",
}


def read_uv_lock(path: Path) -> tuple[ForeignLock, str, str]:
    """The lock, its text and sha256.

    :raises InputError: malformed TOML or entry (naming the place), an unknown lock version.
    """
    doc, text, digest = load(path)
    version = doc.integer("version")
    if version not in _SUPPORTED_VERSIONS:
        doc.fail("version", f"uv.lock version {version!r} is not one mach2 reads (1)")
    packages = [_package(p) for p in doc.tables("package")]
    manifest = doc.table("manifest")
    members: list[NormalizedName] = []
    if manifest is not None:
        members = [NormalizedName(m) for m in (_normal(m) for m in manifest.strings("members"))]
    if not members:
        members = [p.name for p, root in packages if root]
    extras = {e for p, _ in packages if p.name in members for e in p.optional_dependencies}
    groups = {g for p, _ in packages if p.name in members for g in p.group_dependencies}
    indexes = dict.fromkeys(p.index for p, _ in packages if p.index)
    lock = ForeignLock(
        format="uv.lock",
        path=doc.file,
        tool="uv",
        packages=tuple(p for p, _ in packages),
        members=tuple(members),
        requires_python=doc.string("requires-python"),
        extras=frozenset(extras),
        groups=frozenset(groups),
        index_urls=tuple(i for i in indexes if i),
    )
    return lock, text, digest


def _normal(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def _package(doc: Doc) -> tuple[ForeignPackage, bool]:
    """The entry, and whether it is the project at the lock's root."""
    name = doc.name()
    version = doc.version(required=False)
    origin = f"{doc.file}: package {name!r}" + (f" {version}" if version else "")
    source = doc.table("source")
    index = url_source = unsupported = None
    root = False
    if source is not None:
        if source.string("registry") is not None:
            index = source.string("registry")
            if index is not None and not index.startswith(("http://", "https://")):
                unsupported = f"local registry {index}"
        elif source.string("url") is not None:
            url_source = source.string("url")
        else:
            for key, what in _UNSUPPORTED_SOURCES.items():
                value = source.string(key)
                if value is not None:
                    unsupported = f"{what} {value}"
                    root = key in ("editable", "virtual") and value == "."
                    break
            else:
                source.fail("", "no source kind mach2 knows (registry, url, git, path, …)")
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
        dependencies=_edges(doc, "dependencies"),
        optional_dependencies=_edge_table(optional),
        group_dependencies=_edge_table(dev),
    )
    return package, root


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
