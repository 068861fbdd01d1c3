"""Turn resolvelib's failures into sentences a user can act on (implementation.md, "Resolver")."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import attrs
from packaging.utils import NormalizedName

from mach2.errors import Mach2Error, ResolutionFailed
from mach2.model.names import PYTHON_IDENTIFIER
from mach2.resolve.factory import Factory

__all__ = ["explain_impossible"]


def _chain(factory: Factory, info: Any) -> str:
    return factory.chain(info.requirement, info.parent)


def _name(factory: Factory, identifier: str) -> NormalizedName:
    return factory.names.get(identifier, (NormalizedName(identifier), frozenset()))[0]


def _rejections(factory: Factory, identifier: str) -> list[str]:
    name = _name(factory, identifier)
    lines = []
    for kind, provider in factory.providers_for(name):
        notes = getattr(provider, "rejections", None)
        if notes is None:
            continue
        for reason, versions in notes(name).items():
            shown = ", ".join(versions[:5]) + (" …" if len(versions) > 5 else "")
            lines.append(f"{kind}: {reason}: {shown}")
    return lines


def _left_out(factory: Factory, name: NormalizedName) -> list[str]:
    """Providers outside the package's order that would have had it (a hint, not a rejection)."""
    allowed = {kind for kind, _ in factory.providers_for(name)}
    notes = []
    for kind, provider in sorted(factory.providers.items()):
        if kind in allowed:
            continue
        try:
            versions = [str(c.version) for c in provider.candidates(name)]
        except Mach2Error:
            continue  # that provider does not know the name either
        if versions:
            shown = ", ".join(versions[:5]) + (" …" if len(versions) > 5 else "")
            rule = factory.order.explain(name)
            notes.append(f"{kind} has {shown} but is not in the order ({rule})")
    return notes


def explain_impossible(factory: Factory, causes: Collection[Any]) -> ResolutionFailed:
    by_identifier: dict[str, list[Any]] = {}
    for info in causes:
        by_identifier.setdefault(info.requirement.identifier, []).append(info)
    target = factory.target.describe()
    for identifier, infos in by_identifier.items():
        if identifier == PYTHON_IDENTIFIER:
            needs = "; ".join(
                f"{i.parent.identifier} {i.parent.version} needs {i.requirement.text}"
                for i in infos
                if i.parent is not None
            )
            return ResolutionFailed(
                f"no candidate fits the target Python: {needs} but the target is {target}",
                hint="pick another --python or pin an older version of that package",
            )
    reasons: list[str] = []
    for identifier, infos in by_identifier.items():
        name = _name(factory, identifier)
        pool = [c for _, p in factory.providers_for(name) for c in p.candidates(name)]
        if not pool:
            rejected = _rejections(factory, identifier) + _left_out(factory, name)
            providers = ",".join(k for k, _ in factory.providers_for(name)) or "no provider"
            detail = "; ".join(rejected) if rejected else "no files at all"
            return ResolutionFailed(
                f"no distribution of {name} is compatible with {target} "
                f"(providers {providers}): {detail}",
                reasons=tuple(rejected),
                hint="try another --python/--system/--glibc, or allow another provider with -p",
            )
        for info in infos:
            requirement = info.requirement
            if requirement.hashes and not any(factory.satisfies(requirement, c) for c in pool):
                ignoring = attrs.evolve(requirement, hashes=frozenset())
                if any(ignoring.is_satisfied_by(c) for c in pool):
                    return ResolutionFailed(
                        f"no file of {name} has a sha256 named by the --hash values of "
                        f"{_chain(factory, info)}",
                        reasons=(_chain(factory, info),),
                        hint="check the --hash lines (pip hash FILE prints a file's)",
                    )
            if not any(info.requirement.is_satisfied_by(c) for c in pool):
                versions = sorted({c.version for c in pool}, reverse=True)
                shown = ", ".join(str(v) for v in versions[:5]) + (
                    " …" if len(versions) > 5 else ""
                )
                return ResolutionFailed(
                    f"no version of {name} matches {_chain(factory, info)}; {target} has {shown}",
                    reasons=(_chain(factory, info),),
                    hint="loosen that requirement",
                )
            reasons.append(_chain(factory, info))
        for constraint in factory.constraints.get(name, ()):
            reasons.append(f"{constraint.text} (constraint) ← {constraint.origin}")
    names = ", ".join(sorted({factory.names.get(i, (i,))[0] for i in by_identifier}))
    # One chain per story: resolvelib reports a requirement once per candidate of its parent
    # it tried (flask 2.0.0's wheel, then its sdist), which reads the same.
    reasons = list(dict.fromkeys(reasons))
    return ResolutionFailed(
        f"conflicting requirements for {names}: " + " | ".join(reasons),
        reasons=tuple(reasons),
        hint="loosen one of these requirements",
    )
