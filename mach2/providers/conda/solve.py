"""A standalone conda solver on resolvelib, and the pieces the shared resolver reuses.

Reusable, side-effect free building blocks (the shared adapter calls these for conda
candidates):

- :func:`records_for` — the candidates of one name under some specs, best first;
- :func:`preference_key` — that order: channel priority, fewest (track_)features, highest
  version, highest build number, newest build;
- :func:`dependencies` / :func:`constraints` — a record's ``depends`` and ``constrains``;
- :class:`Requirement` / :class:`Absent` — how ``constrains`` becomes resolvelib input.

``constrains`` are not dependencies: "if X is installed it must match".  resolvelib pins every
identifier it hears of, so a constraint is a requirement with ``constraint=True``, and an
identifier that only constraints mention is given one candidate, :class:`Absent` ("not
installed"), which satisfies constraints and nothing else.  When a real requirement for that
name arrives later, ``Absent`` stops satisfying the criterion and resolvelib re-pins it with a
real record.  ``Absent`` pins are dropped from the result.

Fixed names: virtual packages and (when the target supplies the interpreter) ``python`` and
``python_abi`` have exactly one record.  :func:`records_for` drops every candidate with a
dependency on a fixed name that the fixed record does not satisfy (a py3.13 build of numpy on a
3.12 target), so the resolver never even tries those.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Literal

from attrs import frozen
from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import RequirementInformation, ResolutionImpossible, ResolutionTooDeep

from mach2.model.target import Target
from mach2.providers.conda.channels import ChannelIndex, target_subdir
from mach2.providers.conda.errors import CondaResolutionFailed
from mach2.providers.conda.matchspec import MatchSpec, parse_matchspec
from mach2.providers.conda.repodata import RepodataRecord
from mach2.providers.conda.virtual import interpreter_packages, virtual_packages

__all__ = [
    "Absent",
    "ChannelPriority",
    "Requirement",
    "Solution",
    "constraints",
    "dependencies",
    "preference_key",
    "records_for",
    "solve",
    "sort_records",
    "unmet",
]

ChannelPriority = Literal["strict", "flexible", "disabled"]
PythonMode = Literal["target", "channel", "any"]


@frozen(cache_hash=True)
class Requirement:
    """A MatchSpec on one name; ``constraint`` marks one that came from ``constrains``.

    :param parent: the record that asked (``None`` for the user's request).
    """

    spec: MatchSpec
    constraint: bool = False
    parent: RepodataRecord | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def describe(self) -> str:
        who = "the request" if self.parent is None else self.parent.describe()
        kind = "constrained" if self.constraint else "required"
        return f"{self.spec.text!r} {kind} by {who}"


@frozen(cache_hash=True)
class Absent:
    """The "not installed" candidate of a name that only constraints mention."""

    name: str


Candidate = RepodataRecord | Absent


def dependencies(
    record: RepodataRecord, *, add_pip_to_python: bool = False
) -> tuple[MatchSpec, ...]:
    """The record's ``depends`` as MatchSpecs (conda's ``add_pip_as_python_dependency`` adds
    ``pip`` to ``python``)."""
    specs = tuple(parse_matchspec(text) for text in record.depends)
    if add_pip_to_python and record.name == "python" and not any(s.name == "pip" for s in specs):
        specs += (parse_matchspec("pip"),)
    return specs


def constraints(record: RepodataRecord) -> tuple[MatchSpec, ...]:
    """The record's ``constrains`` as MatchSpecs: binding only if that name is installed."""
    return tuple(parse_matchspec(text) for text in record.constrains)


def preference_key(
    record: RepodataRecord, index: ChannelIndex, priority: ChannelPriority = "strict"
) -> tuple[int, int]:
    """The ascending part of the candidate order (channel rank, number of features).

    Within equal keys the order is highest version, build number, then timestamp; use
    :func:`sort_records`, which applies both.
    """
    rank = index.channel_rank(record.channel) if priority != "disabled" else 0
    return rank, len(record.track_features) + len(record.features)


def sort_records(
    records: Iterable[RepodataRecord], index: ChannelIndex, priority: ChannelPriority = "strict"
) -> list[RepodataRecord]:
    """Best first: :func:`preference_key` ascending, then version, build number, time descending."""
    ordered = sorted(records, key=lambda r: (r.version, r.build_number, r.timestamp), reverse=True)
    ordered.sort(key=lambda r: preference_key(r, index, priority))
    return ordered


def _fits_fixed(record: RepodataRecord, fixed: Mapping[str, RepodataRecord]) -> bool:
    for text in record.depends:
        spec = parse_matchspec(text)
        pinned = fixed.get(spec.name)
        if pinned is not None and not spec.matches(pinned):
            return False
        if pinned is None and spec.name.startswith("__"):
            return False  # a virtual package the target does not have (__cuda, __osx on linux)
    return True


def records_for(
    index: ChannelIndex,
    name: str,
    specs: Iterable[MatchSpec],
    *,
    priority: ChannelPriority = "strict",
    fixed: Mapping[str, RepodataRecord] | None = None,
) -> list[RepodataRecord]:
    """Every record of ``name`` that matches all ``specs``, best first.

    :param priority: ``strict`` keeps only the highest-priority channel that has ``name`` at
        all; ``flexible`` lists every channel, higher ones first; ``disabled`` ignores channels.
    :param fixed: name → the one record that name has (virtual packages, the interpreter);
        records whose dependencies on those names cannot be met are left out, and so are
        records needing a virtual package (``__cuda``) that is not among them.  ``None``:
        no such filtering.
    """
    if fixed is not None and name in fixed:
        pool: Sequence[RepodataRecord] = (fixed[name],)
    else:
        pool = index.records(name)
        if priority == "strict" and pool:
            best = min(index.channel_rank(r.channel) for r in pool)
            pool = [r for r in pool if index.channel_rank(r.channel) == best]
    spec_list = list(specs)
    matching = (r for r in pool if all(s.matches(r) for s in spec_list))
    if fixed is not None:
        matching = (r for r in matching if _fits_fixed(r, fixed))
    return sort_records(matching, index, priority)


# -- the resolvelib provider --------------------------------------------------------------------


class _Provider(AbstractProvider[Requirement, Candidate, str]):
    """resolvelib callbacks over a ChannelIndex; ``find_matches`` results are memoized."""

    def __init__(
        self,
        index: ChannelIndex,
        fixed: Mapping[str, RepodataRecord],
        priority: ChannelPriority,
        add_pip_to_python: bool,
    ) -> None:
        self.index = index
        self.fixed = fixed
        self.priority = priority
        self.add_pip_to_python = add_pip_to_python
        self._matches: dict[tuple[str, frozenset[MatchSpec]], list[RepodataRecord]] = {}

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.name

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Requirement, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Requirement, Candidate]],
    ) -> tuple[bool, bool, int, str]:
        in_causes = any(c.requirement.name == identifier for c in backtrack_causes)
        count = sum(1 for _ in islice(candidates[identifier], 64))
        return identifier not in self.fixed, not in_causes, count, identifier

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate]:
        reqs = list(requirements[identifier])
        bad = set(incompatibilities[identifier])
        if all(r.constraint for r in reqs):
            absent = Absent(identifier)
            return [] if absent in bad else [absent]
        key = (identifier, frozenset(r.spec for r in reqs))
        found = self._matches.get(key)
        if found is None:
            found = records_for(
                self.index, identifier, key[1], priority=self.priority, fixed=self.fixed
            )
            self._matches[key] = found
        return [c for c in found if c not in bad]

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if isinstance(candidate, Absent):
            return requirement.constraint
        return requirement.spec.matches(candidate)

    def get_dependencies(self, candidate: Candidate) -> list[Requirement]:
        if isinstance(candidate, Absent):
            return []
        add_pip = self.add_pip_to_python and candidate.name not in self.fixed
        needs = [
            Requirement(spec, parent=candidate)
            for spec in dependencies(candidate, add_pip_to_python=add_pip)
        ]
        limits = [Requirement(spec, True, candidate) for spec in constraints(candidate)]
        return needs + limits


@frozen(kw_only=True)
class Solution:
    """What a solve installs and what the target provides.

    :param records: the packages to install, sorted by name.
    :param provided: virtual packages and interpreter records that were needed.
    :param edges: ``(name, dependency name)`` pairs among all of them, sorted.
    """

    records: tuple[RepodataRecord, ...]
    provided: tuple[RepodataRecord, ...]
    edges: tuple[tuple[str, str], ...]

    def names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.records)

    def by_name(self) -> dict[str, RepodataRecord]:
        return {r.name: r for r in (*self.records, *self.provided)}


def solve(
    specs: Sequence[str | MatchSpec],
    index: ChannelIndex,
    target: Target,
    *,
    python: PythonMode = "target",
    cuda: str | None = None,
    channel_priority: ChannelPriority = "strict",
    add_pip_as_python_dependency: bool = False,
    max_rounds: int = 20_000,
) -> Solution:
    """Resolve ``specs`` against ``index`` for ``target`` with conda semantics.

    :param python: ``target`` — the target's interpreter provides ``python``/``python_abi``
        (nothing of conda's python is installed); ``channel`` — conda's python, pinned to the
        target's minor version; ``any`` — conda's python, unpinned.
    :param cuda: offer ``__cuda`` at this version.
    :param add_pip_as_python_dependency: conda's setting of that name (on in conda itself).
    :raises CondaResolutionFailed: no consistent set exists; ``reasons`` name the clashing specs.
    """
    fixed = {r.name: r for r in virtual_packages(target, cuda=cuda)}
    if python == "target":
        fixed.update((r.name, r) for r in interpreter_packages(target))
    roots = [Requirement(s if isinstance(s, MatchSpec) else parse_matchspec(s)) for s in specs]
    if python == "channel":
        roots.append(Requirement(parse_matchspec(f"python {target.python_minor}.*")))
    provider = _Provider(index, fixed, channel_priority, add_pip_as_python_dependency)
    resolver: Resolver[Requirement, Candidate, str] = Resolver(provider, BaseReporter())
    what = ", ".join(repr(r.spec.text) for r in roots) or "nothing"
    try:
        result = resolver.resolve(roots, max_rounds=max_rounds)
    except ResolutionImpossible as error:
        reasons = _explain(index, [c.requirement for c in error.causes], fixed, channel_priority)
        raise CondaResolutionFailed(
            f"no consistent set of conda packages for {what} on {target_subdir(target)}: "
            + "; ".join(reasons),
            reasons=reasons,
        ) from None
    except ResolutionTooDeep:
        raise CondaResolutionFailed(
            f"conda solve for {what} gave up after {max_rounds} rounds"
        ) from None
    chosen = {name: c for name, c in result.mapping.items() if isinstance(c, RepodataRecord)}
    edges = sorted(
        (parent, child)
        for parent in chosen
        for child in result.graph.iter_children(parent)
        if child in chosen
    )
    return Solution(
        records=tuple(sorted((r for r in chosen.values() if r.name not in fixed), key=_by_name)),
        provided=tuple(sorted((r for r in chosen.values() if r.name in fixed), key=_by_name)),
        edges=tuple(edges),
    )


def unmet(records: Iterable[RepodataRecord], *, add_pip_to_python: bool = False) -> tuple[str, ...]:
    """Why a set of records (one per name) is not a consistent environment; empty when it is.

    Every ``depends`` must be met by the record of that name, every ``constrains`` by the
    record of that name if there is one.  Use it to check locks made elsewhere.
    """
    by_name = {r.name: r for r in records}
    problems = []
    for record in by_name.values():
        for spec in dependencies(record, add_pip_to_python=add_pip_to_python):
            other = by_name.get(spec.name)
            if other is None:
                problems.append(f"{record.describe()} needs {spec.text!r}: missing")
            elif not spec.matches(other):
                problems.append(f"{record.describe()} needs {spec.text!r}: {other.describe()}")
        for spec in constraints(record):
            other = by_name.get(spec.name)
            if other is not None and not spec.matches(other):
                problems.append(f"{record.describe()} constrains {spec.text!r}: {other.describe()}")
    return tuple(sorted(problems))


def _by_name(record: RepodataRecord) -> str:
    return record.name


def _explain(
    index: ChannelIndex,
    causes: Sequence[Requirement],
    fixed: Mapping[str, RepodataRecord],
    priority: ChannelPriority,
) -> tuple[str, ...]:
    """One reason per name involved: missing, nothing matches, or nothing fits the target."""
    by_name: dict[str, list[Requirement]] = {}
    for requirement in causes:
        by_name.setdefault(requirement.name, []).append(requirement)
    reasons = []
    for name, requirements in sorted(by_name.items()):
        asked = ", ".join(sorted({r.describe() for r in requirements}))
        specs = [r.spec for r in requirements]
        if name in fixed:
            reasons.append(f"{asked}, but the target provides {fixed[name].describe()}")
        elif not index.records(name):
            channels = ", ".join(index.channels) or "no channels"
            reasons.append(f"{asked}, but no channel ({channels}) has {name!r}")
        elif not (matching := records_for(index, name, specs, priority=priority)):
            reasons.append(f"{asked}, and no record of {name!r} matches all of them")
        elif not records_for(index, name, specs, priority=priority, fixed=fixed):
            reasons.append(f"{asked}: {_misfit(matching[0], fixed)}")
        else:
            reasons.append(f"{asked}, which conflicts with the other requirements")
    return tuple(reasons)


def _misfit(record: RepodataRecord, fixed: Mapping[str, RepodataRecord]) -> str:
    for text in record.depends:
        spec = parse_matchspec(text)
        pinned = fixed.get(spec.name)
        if pinned is not None and not spec.matches(pinned):
            have = f"{pinned.name} {pinned.version}"
            example = f"{record.describe()} needs {text!r}, the target has {have}"
            return f"no build fits the target (e.g. {example})"
        if pinned is None and spec.name.startswith("__"):
            return f"no build fits the target (e.g. {record.describe()} needs {text!r})"
    return "no build fits the target"
