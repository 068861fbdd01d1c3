"""Turn resolvelib's failures into sentences a user can act on (DESIGN.md §3 "Errors tell the story")."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from packaging.utils import NormalizedName

from mach2.errors import ResolutionFailed
from mach2.model.names import PYTHON_IDENTIFIER
from mach2.resolve.factory import Factory

__all__ = ["explain_impossible"]


def _chain(factory: Factory, info: Any) -> str:
    """``numpy<1 ← seaborn 0.13.2 ← requirements.txt:2``: the requirement and who asked."""
    links = [info.requirement.text]
    parent, top = info.parent, None
    while parent is not None and len(links) < 50:  # the bound guards against cycles
        links.append(f"{parent.identifier} {parent.version}")
        top = parent.identifier
        if top in factory.root_origin:
            break
        parent = factory.required_by.get(top)
    origin = info.requirement.origin if top is None else factory.root_origin.get(top)
    if origin:
        links.append(origin)
    return " ← ".join(links)


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
            rejected = _rejections(factory, identifier)
            providers = ",".join(k for k, _ in factory.providers_for(name)) or "no provider"
            detail = "; ".join(rejected) if rejected else "no files at all"
            return ResolutionFailed(
                f"no distribution of {name} is compatible with {target} "
                f"(providers {providers}): {detail}",
                reasons=tuple(rejected),
                hint="try another --python/--system/--glibc, or allow another provider with -p",
            )
        for info in infos:
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
    names = ", ".join(sorted({factory.names.get(i, (i,))[0] for i in by_identifier}))
    return ResolutionFailed(
        f"conflicting requirements for {names}: " + " | ".join(reasons),
        reasons=tuple(reasons),
        hint="loosen one of these requirements",
    )
