"""The resolvelib adapter: a thin translation layer.

    resolvelib ──asks──▶ ResolvelibAdapter ──delegates──▶ Factory ──▶ providers (wheel, sdist, …)
                                     │                        │
                                     └── Requirement.is_satisfied_by        └── caches, prefetching

resolvelib knows nothing of packages; the adapter answers its questions in terms of
identifiers (``name``, ``name[extras]``, ``<python>``), :class:`Requirement` and
:class:`Candidate`.  Everything about providers lives in the Factory (pip's layout: see
``pip/_internal/resolution/resolvelib/provider.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from resolvelib import AbstractProvider

from mach2.model.names import PYTHON_IDENTIFIER
from mach2.providers.base import Candidate
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement

__all__ = ["ResolvelibAdapter"]


class ResolvelibAdapter(AbstractProvider[Requirement, Candidate, str]):
    def __init__(self, factory: Factory, roots: Iterable[Requirement]) -> None:
        self.factory = factory
        self._roots = {r.identifier for r in roots}

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterable[Any]],
        backtrack_causes: Sequence[Any],
    ) -> tuple[Any, ...]:
        """Sort key, smallest decided first (pip's heuristics, in this order):

        1. the interpreter (one candidate; a mismatch should fail at once);
        2. direct URLs and ``==`` pins (little choice, they narrow the rest);
        3. names in the current conflict (backjump targets resolve faster when decided early);
        4. root requirements before transitive ones;
        5. requirements with an upper bound before open ones;
        6. the identifier, for determinism.
        """
        infos = list(information[identifier])
        requirements = [info.requirement for info in infos]
        pinned = any(
            r.url is not None
            or r.pinned is not None
            or any(s.operator in ("==", "===") and "*" not in s.version for s in r.specifier)
            for r in requirements
        )
        bounded = any(
            s.operator in ("<", "<=", "~=", "==") for r in requirements for s in r.specifier
        )
        causes = {c.requirement.name for c in backtrack_causes} | {
            c.parent.name for c in backtrack_causes if c.parent is not None
        }
        name = self.factory.names.get(identifier, (identifier, frozenset()))[0]
        return (
            identifier != PYTHON_IDENTIFIER,
            not pinned,
            name not in causes,
            identifier not in self._roots,
            not bounded,
            identifier,
        )

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]]:
        return self.factory.iter_matches(
            identifier,
            list(requirements[identifier]),
            set(incompatibilities[identifier]),
        )

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        return self.factory.satisfies(requirement, candidate)

    def get_dependencies(self, candidate: Candidate) -> tuple[Requirement, ...]:
        return self.factory.dependencies(candidate)

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Iterable[str]:
        """Decide the interpreter first, then conflict names alone (as pip does)."""
        identifiers = list(identifiers)
        if PYTHON_IDENTIFIER in identifiers:
            return [PYTHON_IDENTIFIER]
        causes = {c.requirement.identifier for c in backtrack_causes}
        in_conflict = [i for i in identifiers if i in causes]
        return in_conflict or identifiers
