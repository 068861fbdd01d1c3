"""Resolution → Lock: one entry per package, with why it is there and where it comes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mach2.model.artifact import DistFile
from mach2.model.names import PYTHON_IDENTIFIER, normalize
from mach2.providers.base import Candidate
from mach2.resolve.factory import Factory
from mach2.resolve.resolver import Resolution

from .model import LockedArtifact, LockedPackage

__all__ = ["locked_packages", "why_provider"]


def why_provider(factory: Factory, candidate: Candidate) -> str:
    """In words: why ``candidate`` came from its provider and not an earlier one in the order."""
    name = candidate.name
    order = factory.order.for_package(name)
    rule = factory.order.explain(name)
    chosen = candidate.provider
    if chosen not in order:  # a direct URL picks its own provider
        return f"{chosen}: a direct reference"
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


def _artifact(candidate: Candidate) -> LockedArtifact:
    file = candidate.artifact
    if isinstance(file, DistFile):
        return LockedArtifact(
            kind=candidate.provider,
            filename=file.filename,
            url=file.url,
            sha256=file.sha256,
            size=file.size,
        )
    raise TypeError(f"no lock artifact for {candidate.describe()}")


def locked_packages(
    factory: Factory,
    resolution: Resolution,
    *,
    build_only: frozenset[str] = frozenset(),
    build_system: Mapping[str, Sequence[str]] | None = None,
    sha256_of: Mapping[str, str] | None = None,
) -> dict[str, LockedPackage]:
    """One :class:`LockedPackage` per base candidate of ``resolution``.

    :param build_only: names only needed to build sdists.
    :param build_system: sdist name → its build requirement texts (already resolved).
    :param sha256_of: URL → sha256 for direct references the index gave no hash for.
    """
    extras: dict[str, set[str]] = {}
    dependencies: dict[str, dict[str, set[str]]] = {}
    bases: dict[str, Candidate] = {}
    for identifier, candidate in resolution.mapping.items():
        if identifier == PYTHON_IDENTIFIER:
            continue
        name: str = candidate.name
        bases.setdefault(name, candidate.base)
        extras.setdefault(name, set()).update(candidate.extras)
        needed = dependencies.setdefault(name, {})
        for requirement in resolution.dependencies[identifier]:
            if requirement.name in (PYTHON_IDENTIFIER, name):
                continue
            needed.setdefault(requirement.name, set()).add(requirement.text)
    packages: dict[str, LockedPackage] = {}
    for key, candidate in bases.items():
        name = str(key)
        artifact = _artifact(candidate)
        if artifact.sha256 is None and sha256_of and artifact.url in sha256_of:
            assert artifact.url is not None
            artifact = LockedArtifact(
                kind=artifact.kind,
                filename=artifact.filename,
                url=artifact.url,
                sha256=sha256_of[artifact.url],
                size=artifact.size,
            )
        raw = factory.raw_dependencies(candidate)
        build = None
        if candidate.provider == "sdist" and build_system is not None:
            texts: dict[str, set[str]] = {}
            for text in build_system.get(name, ()):
                parsed = factory.parse(text)
                if parsed is not None and factory.marker_holds(parsed.marker):
                    texts.setdefault(normalize(parsed.name), set()).add(text)
            build = {k: " ; ".join(sorted(v)) for k, v in sorted(texts.items())}
        packages[name] = LockedPackage(
            key=name,
            name=name,
            version=str(candidate.version),
            provider=candidate.provider,
            why_provider=why_provider(factory, candidate),
            artifact=artifact,
            extras=tuple(sorted(extras[name])),
            dependencies={k: " ; ".join(sorted(v)) for k, v in sorted(dependencies[name].items())},
            build_system=build,
            build_only=name in build_only,
            requires_python=raw.requires_python,
        )
    return packages
