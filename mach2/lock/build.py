"""Resolution → Lock: one entry per package, with why it is there and where it comes from.

Conda packages (mach2.providers.conda.provider) are keyed by their resolver name: the PyPI name for a
PyPI project (``numpy``), ``conda:<conda name>`` for the rest; ``version`` is the conda
version as written, and the artifact is ``{"kind": "conda", "filename", "url", "sha256",
"size", "channel", "subdir", "conda-name", "build", "md5"?, "noarch"?}``.  A record without a
sha256 (md5-only channels such as intel) cannot be locked: MissingSha256.  ``constrains`` are
not dependencies and the :func:`~mach2.resolve.requirement.absent` pins are not packages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mach2.model.artifact import DistFile
from mach2.model.names import CONDA_NAMESPACE, PYTHON_IDENTIFIER, is_conda_native, normalize
from mach2.providers.base import Candidate
from mach2.providers.direct.git import redacted
from mach2.providers.direct.provider import SourceTree
from mach2.providers.order import is_conda_provider
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import ABSENT_PROVIDER
from mach2.resolve.resolver import Resolution

from .model import LockedArtifact, LockedPackage

if TYPE_CHECKING:
    from mach2.providers.conda.repodata import RepodataRecord

# The conda and nixpkgs modules are imported where their packages are met: a PyPI-only lock
# (the common case) should not pay for loading them.

__all__ = ["locked_packages", "source_artifact", "why_provider"]


def why_provider(factory: Factory, candidate: Candidate) -> str:
    """In words: why ``candidate`` came from its provider and not an earlier one in the order."""
    name = candidate.name
    if is_conda_native(name):
        order = factory.conda_order(name)
        return (
            f"{candidate.provider}: conda-only package, from the conda providers {','.join(order)}"
        )
    chosen = candidate.provider
    artifact = candidate.artifact
    if isinstance(artifact, SourceTree):
        return _why_source(artifact)
    url = getattr(artifact, "url", None)
    if url in factory.direct_urls:  # `name @ url`: the file decides, not the order
        if url.lower().startswith("file:"):  # no host path in the lock (it has `path`)
            return f"{chosen}: a direct reference to a local file"
        return f"{chosen}: a direct reference to {url}"
    order = factory.order.for_package(name)
    rule = factory.order.explain(name)
    if chosen not in order:
        return f"{chosen}: not in the order ({rule}), taken as a direct reference"
    earlier = order[: order.index(chosen)]
    if not earlier:
        return f"{chosen} is first for {name} in {rule}"
    notes = []
    for provider in earlier:
        if provider not in factory.providers:
            notes.append(f"{provider} is not configured")
        elif not factory.providers[provider].candidates(name):
            notes.append(f"{provider} has no {name} for the target")
        else:
            notes.append(f"no {provider} candidate of {name} fits the requirements")
    return f"{chosen} after {', '.join(earlier)} in {rule}: {'; '.join(notes)}"


def _why_source(tree: SourceTree) -> str:
    if tree.kind == "git":
        at = tree.ref or tree.rev or "the default branch"
        return f"git: a direct reference to {redacted(tree.repository or '')} at {at}"
    return "path: a local directory" + (" (editable)" if tree.editable else "")


def source_artifact(tree: SourceTree) -> LockedArtifact:
    """The lock's record of a source tree.  ``path`` is absolute here; the lock stage makes it
    relative to the lock's directory."""
    if tree.kind == "git":
        extra: dict[str, object] = {"rev": tree.rev, "nar-hash": tree.nar_hash}
        if tree.ref is not None:
            extra["ref"] = tree.ref
        if tree.subdirectory is not None:
            extra["subdirectory"] = tree.subdirectory
        return LockedArtifact(kind="git", url=tree.repository, extra=extra)
    return LockedArtifact(kind="path", extra={"path": str(tree.path)})


def _editable_fields(tree: SourceTree) -> dict[str, Any]:
    """What a development install needs (mach2/nix/editable.nix): what goes on sys.path, and
    the console scripts to write."""
    return {
        "editable": {
            "import-paths": list(tree.import_paths),
            "scripts": dict(sorted(tree.metadata.scripts)),
        }
    }


def _artifact(candidate: Candidate) -> LockedArtifact:
    file = candidate.artifact
    if isinstance(file, SourceTree):
        return source_artifact(file)
    if isinstance(file, DistFile):
        return LockedArtifact(
            kind=candidate.provider,
            filename=file.filename,
            url=file.url,
            sha256=file.sha256,
            size=file.size,
        )
    record: Any = file  # a NixpkgsArtifact or a RepodataRecord, told apart by the provider
    if candidate.provider == "nixpkgs":
        # url/sha256/filename of PyPI's sdist of the version: the artifacts stage, when known.
        return LockedArtifact(kind="nixpkgs", extra={"attr": record.attr})
    if is_conda_provider(candidate.provider):
        return _conda_artifact(record)
    raise TypeError(f"no lock artifact for {candidate.describe()}")


def _conda_artifact(record: RepodataRecord) -> LockedArtifact:
    from mach2.providers.conda.extract import require_sha256

    extra: dict[str, object] = {
        "channel": record.channel,
        "subdir": record.subdir,
        "conda-name": record.name,
        "build": record.build,
    }
    if record.md5:
        extra["md5"] = record.md5
    if record.noarch:
        extra["noarch"] = record.noarch
    return LockedArtifact(
        kind="conda",
        filename=record.filename,
        url=record.url,
        sha256=require_sha256(record),
        size=record.size,
        extra=extra,
    )


def _version(candidate: Candidate) -> str:
    if is_conda_provider(candidate.provider):
        record: Any = candidate.artifact
        return str(record.version.text)
    return str(candidate.version)


def build_system_entries(factory: Factory, texts: Sequence[str]) -> dict[str, str]:
    """An sdist's build requirements for the lock: key → the requirement texts that apply."""
    found: dict[str, set[str]] = {}
    for text in texts:
        parsed = factory.parse(text)
        if parsed is not None and factory.marker_holds(parsed.marker):
            found.setdefault(normalize(parsed.name), set()).add(text)
    return {k: " ; ".join(sorted(v)) for k, v in sorted(found.items())}


def locked_packages(factory: Factory, resolution: Resolution) -> dict[str, LockedPackage]:
    """One :class:`LockedPackage` per base candidate of ``resolution``.

    Build systems, ``build-only`` marks and the hashes of unhashed direct references are
    added by the pipeline (``mach2.pipeline.resolve``, ``.artifacts``), which knows the whole lock.
    """
    extras: dict[str, set[str]] = {}
    dependencies: dict[str, dict[str, set[str]]] = {}
    bases: dict[str, Candidate] = {}
    for identifier, candidate in resolution.mapping.items():
        if identifier == PYTHON_IDENTIFIER or candidate.provider == ABSENT_PROVIDER:
            continue
        name: str = candidate.name
        bases.setdefault(name, candidate.base)
        extras.setdefault(name, set()).update(candidate.extras)
        needed = dependencies.setdefault(name, {})
        for requirement in resolution.dependencies[identifier]:
            if requirement.name in (PYTHON_IDENTIFIER, name) or requirement.constraint:
                continue
            needed.setdefault(requirement.name, set()).add(requirement.text)
    packages: dict[str, LockedPackage] = {}
    for key, candidate in bases.items():
        name = str(key)
        raw = factory.raw_dependencies(candidate)
        packages[name] = LockedPackage(
            key=name,
            name=name.removeprefix(CONDA_NAMESPACE),
            version=_version(candidate),
            provider=candidate.provider,
            why_provider=why_provider(factory, candidate),
            artifact=_artifact(candidate),
            extras=tuple(sorted(extras[name])),
            dependencies={k: " ; ".join(sorted(v)) for k, v in sorted(dependencies[name].items())},
            requires_python=raw.requires_python,
            extra=_extra_fields(candidate, raw),
        )
    return packages


def _extra_fields(candidate: Candidate, raw: Any) -> dict[str, Any]:
    if candidate.provider == "nixpkgs":
        return {"nixpkgs": _nixpkgs_fields(candidate, raw)}
    tree = candidate.artifact
    if isinstance(tree, SourceTree) and tree.editable:
        return _editable_fields(tree)
    return {}


def _nixpkgs_fields(candidate: Candidate, raw: Any) -> dict[str, Any]:
    from mach2.providers.nixpkgs.provider import lock_fields

    return lock_fields(candidate, raw)
