"""``pdm.lock`` (``[metadata] lock_version`` 4.x) written with the ``inherit_metadata`` strategy.

Each ``[[package]]`` has ``name``, ``version``, ``requires_python``, ``groups``, ``marker``
(both inherited from the dependents, which is what ``inherit_metadata`` means: pdm's default
since 2.11), ``extras`` (an entry per extras set, repeating the package) and ``files``
(``{file, hash}``, plus ``url`` with the ``static_urls`` strategy).  Git and local entries
carry ``git``/``path``/``url`` keys and are named as not supported yet.

Selection is by marker: a package is installed when one of the chosen groups (``default``
unless ``--group`` adds more) lists it and its marker holds.  Without ``inherit_metadata``
the lock does not say which packages a target needs: refused.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from mach2.inputs.foreign._files import file_from_url, parse_hash
from mach2.inputs.foreign._toml import Doc, load
from mach2.inputs.foreign.model import ForeignFile, ForeignLock, ForeignPackage

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
    packages = tuple(_package(p) for p in doc.tables("package"))
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


def _package(doc: Doc) -> ForeignPackage:
    name = doc.name()
    version = doc.version(required=False)
    origin = f"{doc.file}: package {name!r}" + (f" {version}" if version else "")
    unsupported = None
    for key, what in (("git", "git"), ("path", "local path"), ("editable", "editable")):
        value = doc.data.get(key)
        if value:
            unsupported = f"{what} {value}"
            break
    files = [_file(f) for f in doc.tables("files")]
    url = doc.string("url")  # a direct reference: the one file has this URL
    if url is not None and len(files) == 1 and files[0].url is None:
        files = [file_from_url(doc, url, dict(files[0].hashes), None)]
    marker = doc.marker("marker")
    groups: list[str] = [canonicalize_name(g) for g in doc.strings("groups")] or ["default"]
    return ForeignPackage(
        name=name,
        version=version,
        origin=origin,
        wheels=tuple(f for f in files if f.is_wheel),
        sdist=next((f for f in files if not f.is_wheel), None),
        unsupported=unsupported,
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
