"""The Factory: builds and caches what the resolvelib adapter hands around.

It owns one resolution's state: the Target, the provider order, the providers by name, the
constraints (``-c`` files), and the caches of parsed requirements and dependencies.  The
adapter (``adapter.py``) stays thin by delegating here.

Candidates are yielded *provider-major*: all candidates of the first provider allowed for a
package (newest first), then those of the next (implementation.md, "Provider order").

Conda (mach2.providers.conda.provider): conda candidates' dependencies are conda MatchSpecs
(``Dependencies.conda_depends``/``conda_constrains``), turned into
``Requirement.from_matchspec``; an identifier only ``constrains`` mention gets the single
:func:`absent` candidate.  ``conda:<name>`` identifiers (conda-only packages) take their
providers from :meth:`Factory.providers_for`.  Conda candidates never serve an extras
identifier (conda packages have no extras): ``name[extra]`` comes from the next provider,
which then also supplies the base (the extras candidate pins it exactly).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import attrs
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508
from packaging.utils import NormalizedName

from mach2.errors import InputError, Mach2Error, ProviderError
from mach2.model.names import PYTHON_IDENTIFIER, is_conda_native, normalize
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies, Provider
from mach2.providers.conda.matchspec import parse_matchspec
from mach2.providers.direct.provider import References
from mach2.providers.order import ProviderOrder, is_conda_provider
from mach2.providers.pypi.client import UnknownProject
from mach2.resolve.requirement import ABSENT_PROVIDER, Requirement, absent

__all__ = ["Factory"]


class Factory:
    """Candidates, dependencies and caches for one resolution."""

    def __init__(
        self,
        *,
        target: Target,
        order: ProviderOrder,
        providers: Mapping[str, Provider],
        constraints: Iterable[Requirement] = (),
        allow_prereleases: bool = False,
        prefetch_workers: int = 16,
        direct: References | None = None,
    ) -> None:
        self.target = target
        #: makes the one candidate of each ``name @ URL`` requirement (git, paths, files)
        self.direct = direct
        self.order = order
        self.providers = dict(providers)
        self.constraints: dict[NormalizedName, list[Requirement]] = {}
        for constraint in constraints:
            self.constraints.setdefault(constraint.name, []).append(constraint)
        self.allow_prereleases = allow_prereleases
        self.python_candidate = Candidate(
            name=NormalizedName(PYTHON_IDENTIFIER),
            version=target.python_version,
            provider="python",
            artifact=None,
        )
        self.names: dict[str, tuple[NormalizedName, frozenset[str]]] = {}
        #: identifier → the candidate whose dependency first brought it in (for explanations)
        self.required_by: dict[str, Candidate] = {}
        #: identifier → the first requirement that asked for it (its text, for explanations)
        self.introduced_by: dict[str, Requirement] = {}
        #: URLs of direct references (``name @ url``) turned into candidates
        self.direct_urls: set[str] = set()
        #: identifier → where the root requirement for it was written
        self.root_origin: dict[str, str] = {}
        #: name → the root requirement that references it directly (``name @ URL``)
        self.direct_roots: dict[NormalizedName, Requirement] = {}
        self._pep508: dict[str, Pep508 | None] = {}
        self._markers: dict[tuple[str, str], bool] = {}
        self._dependencies: dict[Candidate, tuple[Requirement, ...]] = {}
        self._raw: dict[Candidate, Dependencies] = {}
        self._satisfied: dict[tuple[Hashable, str | None, int], frozenset[Candidate]] = {}
        self._satisfies: dict[tuple[Hashable, Candidate, str | None], bool] = {}
        self._prefetched: set[NormalizedName] = set()
        self._prefetch_lock = threading.Lock()
        self._pool = (
            ThreadPoolExecutor(prefetch_workers, thread_name_prefix="mach2-prefetch")
            if prefetch_workers
            else None
        )
        self._check_user_providers()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _check_user_providers(self) -> None:
        for key, names in self.order.user.items():
            for provider in names:
                if provider not in self.providers:
                    raise ProviderError(
                        f"provider {provider!r} (asked for {key}) is not available",
                        hint=_HOW_TO_ENABLE.get(provider.split("/")[0], "check the provider name"),
                    )

    # -- requirements --------------------------------------------------------------------

    def register(self, requirement: Requirement) -> Requirement:
        self.names.setdefault(requirement.identifier, (requirement.name, requirement.extras))
        return requirement

    def parse(self, text: str) -> Pep508 | None:
        """Parse a Requires-Dist string once per run; None for a malformed one (skipped)."""
        try:
            return self._pep508[text]
        except KeyError:
            try:
                parsed: Pep508 | None = Pep508(text)
            except InvalidRequirement:
                parsed = None
            self._pep508[text] = parsed
            return parsed

    def marker_holds(self, marker: Marker | None, extra: str = "") -> bool:
        if marker is None:
            return True
        key = (str(marker), extra)
        try:
            return self._markers[key]
        except KeyError:
            env = dict(self.target.marker_environment)
            env["extra"] = extra
            result = marker.evaluate(env)
            self._markers[key] = result
            return result

    # -- candidates ----------------------------------------------------------------------

    def providers_for(self, name: NormalizedName) -> list[tuple[str, Provider]]:
        kinds = self.conda_order(name) if is_conda_native(name) else self.order.for_package(name)
        return [(p, self.providers[p]) for p in kinds if p in self.providers]

    def conda_order(self, name: NormalizedName) -> tuple[str, ...]:
        """The providers of a conda-only package (``conda:<name>``), best first.

        The conda providers of the user's entry for ``conda:<name>`` when there is one; else
        every conda provider the order names, in the order they are first named (``_default``
        first, then the entries as written): ``numpy = "conda/intel"`` takes numpy's
        libraries from intel.
        """
        key = normalize(name)
        if key in self.order.user:
            return tuple(p for p in self.order.user[key] if is_conda_provider(p))
        entries = [self.order.for_package("_default"), *self.order.user.values()]
        named = dict.fromkeys(p for entry in entries for p in entry if is_conda_provider(p))
        return tuple(named) or tuple(p for p in self.providers if is_conda_provider(p))

    def find_matches(
        self,
        identifier: str,
        requirements: Sequence[Requirement],
        incompatible: set[Candidate],
    ) -> list[Candidate]:
        """Every candidate for ``identifier`` that fits, best first (see :meth:`iter_matches`)."""
        return list(self.iter_matches(identifier, requirements, incompatible)())

    def iter_matches(
        self,
        identifier: str,
        requirements: Sequence[Requirement],
        incompatible: set[Candidate],
    ) -> Callable[[], Iterator[Candidate]]:
        """The candidates that fit, as a re-iterable stream (what resolvelib takes).

        Provider-major and lazy: the next provider's candidates are only listed when the
        resolver looks past the previous provider's, so an sdist page is never parsed for a
        package whose wheels do.
        """
        if identifier != PYTHON_IDENTIFIER and not (
            requirements and all(r.constraint for r in requirements)
        ):
            name, extras = self.names[identifier]
            wanted = self._wanted(name, requirements)
            if not any(r.url is not None or r.hashes for r in wanted):
                return lambda: self._stream(name, extras, requirements, wanted, incompatible)
        matches = self._eager_matches(identifier, requirements, incompatible)
        return lambda: iter(matches)

    def _wanted(
        self, name: NormalizedName, requirements: Sequence[Requirement]
    ) -> list[Requirement]:
        """The requirements a candidate of ``name`` must meet: the resolver's, the constraints,
        and a root's direct reference to ``name`` (``./libs/pkg`` decides what ``pkg`` is for
        every package that asks for it, as in pip and uv, even before the resolver reached
        that root)."""
        wanted = [*requirements, *self.constraints.get(name, ())]
        root = self.direct_roots.get(name)
        if root is not None and not any(r.url is not None for r in wanted):
            wanted.append(root)
        return wanted

    def _stream(
        self,
        name: NormalizedName,
        extras: frozenset[str],
        requirements: Sequence[Requirement],
        wanted: Sequence[Requirement],
        incompatible: set[Candidate],
    ) -> Iterator[Candidate]:
        all_allowed = self._prereleases_asked(wanted)
        held: list[Candidate] = []  # pre-releases, in case nothing else fits
        found = False
        for kind, provider in self.providers_for(name):
            if extras and is_conda_provider(kind):
                continue  # conda packages have no extras
            pool = self._listing(provider, name, requirements)
            matches = self._matching(pool, kind, wanted, incompatible, extras)
            ahead = getattr(provider, "prefetch_dependencies", None)
            offered = 0  # of this provider's candidates; held pre-releases do not count
            for index, candidate in enumerate(matches):
                if all_allowed or not _prerelease(candidate):
                    found = True
                    if offered and ahead is not None:
                        # Asked past the first: the resolver is backtracking through this
                        # package's versions; fetch the next ones' metadata in parallel.
                        later = matches[index + 1 :]
                        if not all_allowed:
                            later = [c for c in later if not _prerelease(c)]
                        for next_one in later[:_BACKTRACK_PREFETCH]:
                            ahead(next_one)
                    offered += 1
                    yield candidate
                else:
                    held.append(candidate)
        if found:
            return
        yield from held
        if not held and _pins_exactly(wanted):
            # PEP 592: a yanked file is chosen only when an exact pin matches nothing else.
            yield from self._matching(self._yanked(name), "yanked", wanted, incompatible, extras)

    def _eager_matches(
        self,
        identifier: str,
        requirements: Sequence[Requirement],
        incompatible: set[Candidate],
    ) -> list[Candidate]:
        if identifier == PYTHON_IDENTIFIER:
            ok = all(r.is_satisfied_by(self.python_candidate) for r in requirements)
            return [self.python_candidate] if ok else []
        name, extras = self.names[identifier]
        if requirements and all(r.constraint for r in requirements):
            nothing = absent(name)  # only conda `constrains` mention it: "not installed" fits
            return [] if nothing in incompatible else [nothing]
        wanted = self._wanted(name, requirements)
        direct = next((r for r in wanted if r.url is not None), None)
        hashes = [r.hashes for r in wanted if r.hashes]
        if direct is not None:
            pool, pool_key = [self._url_candidate(direct)], direct.url
        else:
            pool, pool_key = self._candidates_of(name, extras, requirements), None
        if hashes and direct is None:  # --hash may name another file of a version than the best
            pool = [self._file_with_hashes(c, hashes) for c in pool]
            pool_key = "hashes"
        matches = self._matching(pool, pool_key, wanted, incompatible, extras)
        if not matches and direct is None and _pins_exactly(wanted):
            # PEP 592: a yanked file is chosen only when an exact pin matches nothing else.
            matches = self._matching(self._yanked(name), "yanked", wanted, incompatible, extras)
        return self._filter_prereleases(matches, wanted)

    def _candidates_of(
        self, name: NormalizedName, extras: frozenset[str], requirements: Sequence[Requirement]
    ) -> list[Candidate]:
        return [
            c
            for kind, provider in self.providers_for(name)
            if not (extras and is_conda_provider(kind))  # conda packages have no extras
            for c in self._listing(provider, name, requirements)
        ]

    def _listing(
        self, provider: Provider, name: NormalizedName, requirements: Sequence[Requirement]
    ) -> Sequence[Candidate]:
        try:
            return provider.candidates(name)
        except UnknownProject as error:
            # Say who asked: a misspelt name deep in someone's metadata is otherwise a riddle.
            asked = requirements[0] if requirements else None
            parent = self.required_by.get(asked.identifier) if asked else None
            transitive = asked is not None and asked.identifier not in self.root_origin
            chain = self.chain(asked, parent) if transitive and parent else ""
            raise error.with_chain(chain) from None

    def _matching(
        self,
        pool: Sequence[Candidate],
        pool_key: str | None,
        wanted: Sequence[Requirement],
        incompatible: set[Candidate],
        extras: frozenset[str],
    ) -> list[Candidate]:
        allowed = [self._satisfying(r, pool, pool_key) for r in wanted]
        matches = [
            c.with_extras(extras) if extras else c for c in pool if all(c in ok for ok in allowed)
        ]
        return [c for c in matches if c not in incompatible]

    def _file_with_hashes(
        self, candidate: Candidate, hashes: Sequence[frozenset[str]]
    ) -> Candidate:
        """The candidate with the first of its files whose sha256 every --hash list names."""
        alternatives = getattr(self.providers.get(candidate.provider), "alternatives", None)
        if alternatives is None:
            return candidate
        for file in alternatives(candidate):
            if all(f"sha256:{file.sha256}" in allowed for allowed in hashes):
                return attrs.evolve(candidate, artifact=file)
        return candidate

    def _yanked(self, name: NormalizedName) -> list[Candidate]:
        return [
            c
            for _, provider in self.providers_for(name)
            for c in getattr(provider, "yanked", lambda _: ())(name)
        ]

    def chain(self, requirement: Requirement | None, parent: Candidate | None) -> str:
        """``nope>=1 ← b 1.0 ← a 1.0 ← requirements.txt:1``: a requirement and who asked.

        Extras candidates depend on their base by an exact pin; the story shows the
        requirement that brought in the extras identifier instead.
        """
        if requirement is None:
            return ""
        if requirement.pinned is not None and parent is not None:
            introduced = self.introduced_by.get(parent.identifier)
            if introduced is not None:
                requirement, parent = introduced, self.required_by.get(parent.identifier)
        links = [requirement.text]
        top = None
        while parent is not None and len(links) < 50:  # the bound guards against cycles
            links.append(f"{parent.identifier} {parent.version}")
            top = parent.identifier
            if top in self.root_origin:
                break
            parent = self.required_by.get(top)
        origin = requirement.origin if top is None else self.root_origin.get(top)
        if origin:
            links.append(origin)
        return " ← ".join(links)

    def _satisfying(
        self, requirement: Requirement, pool: Sequence[Candidate], pool_key: str | None
    ) -> frozenset[Candidate]:
        """The candidates of ``pool`` that satisfy ``requirement``, computed once per requirement.

        resolvelib asks for the same identifier's matches again after every pin; checking each
        specifier against each version every time was most of a warm run.  ``pool_key`` tells
        apart pools of the same size that are not the index's (a direct URL, hashed files).
        """
        key = (requirement.match_key, pool_key, len(pool))
        found = self._satisfied.get(key)
        if found is None:
            if requirement.by_version_only:
                # One specifier check per distinct version (a wheel and an sdist share one).
                versions = {c.version for c in pool if c.provider != ABSENT_PROVIDER}
                accepted = set(requirement.specifier.filter(versions, prereleases=True))
                found = frozenset(
                    c for c in pool if c.version in accepted and c.provider != ABSENT_PROVIDER
                )
            else:
                found = frozenset(c for c in pool if self.satisfies(requirement, c))
            self._satisfied[key] = found
        return found

    def satisfies(self, requirement: Requirement, candidate: Candidate) -> bool:
        """:meth:`Requirement.is_satisfied_by`, memoized: resolvelib re-checks every pin after
        every step, and specifier matching is the hot spot of a warm run.  Candidates compare
        by version and provider; the file's URL is part of the key because URL and hash
        requirements look at it."""
        key = (requirement.match_key, candidate, getattr(candidate.artifact, "url", None))
        found = self._satisfies.get(key)
        if found is None:
            found = self._satisfies[key] = requirement.is_satisfied_by(candidate)
        return found

    def _filter_prereleases(
        self, matches: list[Candidate], wanted: Sequence[Requirement]
    ) -> list[Candidate]:
        """Pre-releases only when asked for (--pre, a specifier naming one) or nothing else fits."""
        if self._prereleases_asked(wanted):
            return matches
        finals = [c for c in matches if not _prerelease(c)]
        return finals or matches

    def _prereleases_asked(self, wanted: Sequence[Requirement]) -> bool:
        return self.allow_prereleases or any(r.specifier.prereleases for r in wanted)

    def _url_candidate(self, requirement: Requirement) -> Candidate:
        """The candidate a direct reference (``name @ URL``) names (mach2.providers.direct)."""
        assert requirement.url is not None
        if self.direct is None:
            raise InputError(
                f"{requirement.origin}: {requirement.name} @ {requirement.url}: direct references "
                "are not available here",
                hint="lock with mach2.api.lock_input",
            )
        candidate = self.direct.candidate(
            requirement.name, requirement.url, origin=requirement.origin, hashes=requirement.hashes
        )
        url = getattr(candidate.artifact, "url", None)
        if url is not None:
            self.direct_urls.add(url)
        if candidate.provider not in self.providers:
            raise ProviderError(
                f"{requirement.origin}: {requirement.name} @ {requirement.url} needs the "
                f"{candidate.provider} provider"
            )
        return candidate

    # -- dependencies --------------------------------------------------------------------

    def raw_dependencies(self, candidate: Candidate) -> Dependencies:
        base = candidate.base
        found = self._raw.get(base)
        if found is None:
            provider = self.providers[base.provider]
            found = provider.dependencies(base)
            self._raw[base] = found
        return found

    def dependencies(self, candidate: Candidate) -> tuple[Requirement, ...]:
        """The candidate's requirements for the target (markers evaluated, extras applied)."""
        if candidate.provider in ("python", ABSENT_PROVIDER):
            return ()
        found = self._dependencies.get(candidate)
        if found is not None:
            return found
        raw = self.raw_dependencies(candidate)
        origin = f"{candidate.identifier} {candidate.version}"
        if raw.source == "conda":
            found = self._conda_dependencies(candidate, raw, origin)
            self._dependencies[candidate] = found
            return found
        result: list[Requirement] = []
        if candidate.extras:
            result.append(self.register(Requirement.exactly(candidate.base, origin=origin)))
        elif raw.requires_python:
            result.append(Requirement.python(raw.requires_python, origin=origin))
        extras = sorted(candidate.extras) or [""]
        seen: set[Requirement] = set()
        for text in raw.requires_dist:
            parsed = self.parse(text)
            if parsed is None:
                continue
            if not any(self.marker_holds(parsed.marker, extra) for extra in extras):
                continue
            if candidate.extras and (parsed.marker is None or "extra" not in str(parsed.marker)):
                continue  # the base candidate, pinned above, brings the unconditional ones
            requirement = Requirement.from_pep508(parsed, origin=origin)
            self.required_by.setdefault(requirement.identifier, candidate)
            self.introduced_by.setdefault(requirement.identifier, requirement)
            if requirement not in seen:
                seen.add(requirement)
                result.append(self.register(requirement))
        found = tuple(result)
        self._dependencies[candidate] = found
        self.prefetch(r for r in found if r.name != PYTHON_IDENTIFIER)
        return found

    def _conda_dependencies(
        self, candidate: Candidate, raw: Dependencies, origin: str
    ) -> tuple[Requirement, ...]:
        """A conda candidate's ``depends`` and ``constrains`` as MatchSpec requirements."""
        result: list[Requirement] = []
        if candidate.extras:  # not offered by find_matches; kept exact should that change
            result.append(self.register(Requirement.exactly(candidate.base, origin=origin)))
        for specs, constraint in ((raw.conda_depends, False), (raw.conda_constrains, True)):
            for name, text in specs:
                requirement = Requirement.from_matchspec(
                    NormalizedName(name), parse_matchspec(text), origin=origin,
                    constraint=constraint,
                )  # fmt: skip
                if not constraint:
                    self.required_by.setdefault(requirement.identifier, candidate)
                result.append(self.register(requirement))
        return tuple(result)

    # -- speculative prefetching -----------------------------------------------------------

    def prefetch(self, requirements: Iterable[Requirement]) -> None:
        """Crawl ahead of the resolver: fetch pages and the likely candidate's metadata.

        resolvelib asks for one thing at a time; the network wants many requests in flight.
        For each new name we fetch its page, take the best wheel that satisfies the
        requirement, read its dependencies, and recurse, in a thread pool.  Results land in
        the providers' and the client's caches; a wrong guess costs only a request.  The
        wheel provider is crawled wherever it stands in the order: with ``nixpkgs,wheel`` the
        nixpkgs candidates' dependencies come from the same PyPI pages and metadata.
        """
        if self._pool is None:
            return
        for requirement in requirements:
            with self._prefetch_lock:
                if requirement.name in self._prefetched:
                    continue
                self._prefetched.add(requirement.name)
            wheels = self._wheel_provider(requirement.name)
            if (
                wheels is None
                or requirement.url is not None
                or requirement.name in self.direct_roots
            ):
                continue
            offline = getattr(wheels, "answers_offline", None)
            if offline is not None and offline(requirement.name):
                continue  # a warm cache answers at once: crawling would only compete for the GIL
            wheels.prefetch(requirement.name)
            self._pool.submit(self._crawl, requirement, wheels)

    def _wheel_provider(self, name: NormalizedName) -> Provider | None:
        return next((p for kind, p in self.providers_for(name) if kind == "wheel"), None)

    def _crawl(self, requirement: Requirement, provider: Provider) -> None:
        try:
            constraints = self.constraints.get(requirement.name, ())
            candidate = next(
                (
                    c
                    for c in provider.candidates(requirement.name)
                    if not c.version.is_prerelease
                    and requirement.is_satisfied_by(c)
                    and all(r.is_satisfied_by(c) for r in constraints)
                ),
                None,
            )
            if candidate is None:
                return
            extras = sorted(requirement.extras) or [""]
            children = []
            for text in provider.dependencies(candidate).requires_dist:
                parsed = self.parse(text)
                if parsed is not None and any(self.marker_holds(parsed.marker, e) for e in extras):
                    children.append(Requirement.from_pep508(parsed, origin=""))
            self.prefetch(children)
        except Mach2Error:
            pass  # the resolver meets the same error in its own time and reports it


_HOW_TO_ENABLE = {
    "nixpkgs": "give a nixpkgs index with --nixpkgs-index or --nixpkgs",
    "conda": "name the channel with --channel NAME=URL_OR_DIR",
    "wheel": "the wheel provider is always available; check the spelling",
    "sdist": "the sdist provider is always available; check the spelling",
}


def _pins_exactly(requirements: Sequence[Requirement]) -> bool:
    """Whether a requirement pins one version (``==1.0`` or ``===1.0``, not ``==1.*``)."""
    return any(
        s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
        for r in requirements
        for s in r.specifier
    )


#: How many older versions' metadata to fetch ahead once the resolver backtracks a package.
_BACKTRACK_PREFETCH = 8


def _prerelease(candidate: Candidate) -> bool:
    # conda-only packages follow conda, which has no such rule (its pre-releases live in
    # channel labels); a conda candidate of a PyPI project follows pip's rule.
    return candidate.version.is_prerelease and not is_conda_native(candidate.name)
