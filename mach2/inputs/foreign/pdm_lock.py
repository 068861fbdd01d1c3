"""``pdm.lock`` (``[metadata] lock_version`` 4.x) written with the ``inherit_metadata`` strategy.

Each ``[[package]]`` has ``name``, ``version``, ``requires_python``, ``groups``, ``marker``
(both inherited from the dependents, which is what ``inherit_metadata`` means: pdm's default
since 2.11), ``extras`` (an entry per extras set, repeating the package) and ``files``
(``{file, hash}``, plus ``url`` with the ``static_urls`` strategy).  ``git`` entries (at
``revision``, with ``subdirectory``; ``ref`` is what was asked) and ``path`` entries (a
directory, ``editable = true`` for a development install, or a wheel or sdist checked against
``files``' hash) are direct references (``_sources``), paths relative to the lock's directory;
``hg``, ``svn`` and ``bzr`` are named as not supported.

Selection is by marker: a package is installed when one of the chosen groups (``default``
unless ``--group`` adds more) lists it and its marker holds.  Without ``inherit_metadata``
the lock does not say which packages a target needs: refused.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from mach2.inputs.foreign._files import file_from_url, parse_hash
from mach2.inputs.foreign._sources import at_lock_directory, git_source, local_source
from mach2.inputs.foreign._toml import Doc, load
from mach2.inputs.foreign.model import ForeignFile, ForeignLock, ForeignPackage, ForeignSource

__all__ = ["read_pdm_lock"]


def read_pdm_lock(path: Path) -> tuple[ForeignLock, str, str]:
    """The lock, its text and sha256.

    :raises InputError: malformed TOML or entry (naming the place), a lock without
        ``inherit_metadata``, an unknown lock version.
    """
    doc, text, digest = load(path)
    metadata = doc.table("metadata")
    if metadata is None:
        doc.fail("metadata", "missing: not a pdm.lock")
    version = metadata.required_string("lock_version")
    if not version.startswith("4."):
        metadata.fail("lock_version", f"pdm.lock {version} is not one mach2 reads (4.x)")
    if "inherit_metadata" not in metadata.strings("strategy"):
        metadata.fail(
            "strategy",
            "the lock was written without inherit_metadata, so it does not say which "
            "packages each group and platform installs (lock again: `pdm lock --strategy "
            "inherit_metadata`)",
        )
    targets = metadata.tables("targets")
    pythons = [t.string("requires_python") for t in targets]
    base = path.absolute().parent
    packages = tuple(_package(p, base) for p in doc.tables("package"))
    return (
        ForeignLock(
            format="pdm.lock",
            path=doc.file,
            tool="PDM",
            packages=packages,
            requires_python=pythons[0] if len(pythons) == 1 else None,
            default_groups=frozenset({"default"}),
            groups=frozenset(canonicalize_name(g) for g in metadata.strings("groups")),
        ),
        text,
        digest,
    )


def _package(doc: Doc, base: Path) -> ForeignPackage:
    name = doc.name()
    version = doc.version(required=False)
    origin = f"{doc.file}: package {name!r}" + (f" {version}" if version else "")
    unsupported = None
    source: ForeignSource | None = None
    project = False
    files = [_file(f) for f in doc.tables("files")]
    url = doc.string("url")  # a direct reference: the one file has this URL
    if url is not None and len(files) == 1 and files[0].url is None:
        files = [file_from_url(doc, url, dict(files[0].hashes), None)]
    other_vcs = next((k for k in ("hg", "svn", "bzr") if doc.string(k) is not None), None)
    if other_vcs is not None:
        unsupported = f"{other_vcs} {doc.string(other_vcs)}"
    elif doc.string("git") is not None:
        repository = doc.required_string("git")
        revision = doc.string("revision")
        written = f"git {repository}@{doc.string('ref') or revision}"
        found = git_source(repository, revision, doc.string("subdirectory"), written)
        source, unsupported = (found, None) if isinstance(found, ForeignSource) else (None, found)
    elif doc.string("path") is not None:
        where = doc.required_string("path")
        editable = doc.boolean("editable")
        inner = where + (f"/{s}" if (s := doc.string("subdirectory")) else "")
        hashes = {a: h for f in files for a, h in f.hashes.items()}
        written = f"{'editable ' if editable else ''}path {where}"
        source = local_source(base, inner, written, editable=editable, hashes=hashes)
        project = at_lock_directory(base, inner)
    if source is not None:
        files = []
    marker = doc.marker("marker")
    groups: list[str] = [canonicalize_name(g) for g in doc.strings("groups")] or ["default"]
    return ForeignPackage(
        name=name,
        version=version,
        origin=origin,
        wheels=tuple(f for f in files if f.is_wheel),
        sdist=next((f for f in files if not f.is_wheel), None),
        unsupported=unsupported,
        source=source,
        project=project,
        requires_python=doc.string("requires_python"),
        extras=frozenset(canonicalize_name(e) for e in doc.strings("extras")),
        applies=dict.fromkeys(groups, marker),
    )


def _file(doc: Doc) -> ForeignFile:
    filename = doc.required_string("file")
    algorithm, digest = parse_hash(doc, "hash", doc.required_string("hash"))
    url = doc.string("url")
    if url is not None:
        return file_from_url(doc, url, {algorithm: digest}, None, filename)
    return ForeignFile(filename=filename, url=None, hashes={algorithm: digest}, origin=doc.where)
