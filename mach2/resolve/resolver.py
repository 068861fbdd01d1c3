"""``resolve``: requirements + providers + target → one candidate per identifier."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver

from mach2.errors import ResolutionFailed
from mach2.providers.base import Candidate
from mach2.resolve.adapter import ResolvelibAdapter
from mach2.resolve.explain import explain_impossible
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement

__all__ = ["Resolution", "resolve"]

MAX_ROUNDS = 200_000


@frozen(kw_only=True)
class Resolution:
    """The chosen candidate per identifier and, per identifier, its requirements."""

    mapping: dict[str, Candidate]
    dependencies: dict[str, tuple[Requirement, ...]]
    roots: tuple[Requirement, ...]


class _Progress(BaseReporter[Requirement, Candidate, str]):
    def __init__(self, on_pin: object) -> None:
        self._on_pin = on_pin

    def pinning(self, candidate: Candidate) -> None:
        if callable(self._on_pin):
            self._on_pin(candidate)


def resolve(
    factory: Factory,
    roots: Sequence[Requirement],
    *,
    on_pin: object = None,
) -> Resolution:
    """Resolve ``roots``; raise :class:`ResolutionFailed` with the story when impossible."""
    for root in roots:
        factory.register(root)
        factory.root_origin.setdefault(root.identifier, root.origin)
        if root.url is not None:
            factory.direct_roots.setdefault(root.name, root)
    factory.prefetch(roots)
    resolver = Resolver(ResolvelibAdapter(factory, roots), _Progress(on_pin))
    try:
        result = resolver.resolve(list(roots), max_rounds=MAX_ROUNDS)
    except ResolutionImpossible as error:
        raise explain_impossible(factory, error.causes) from None
    except ResolutionTooDeep:
        raise ResolutionFailed(
            f"gave up after {MAX_ROUNDS} resolution rounds",
            hint="pin some versions to narrow the search",
        ) from None
    mapping = dict(result.mapping)
    dependencies = {ident: factory.dependencies(c) for ident, c in mapping.items()}
    return Resolution(mapping=mapping, dependencies=dependencies, roots=tuple(roots))
