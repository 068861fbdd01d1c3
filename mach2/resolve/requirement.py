"""Requirements as the resolver sees them: one identifier, a specifier, and who asked."""

from __future__ import annotations

from collections.abc import Hashable

import attrs
from attrs import frozen
from packaging.requirements import Requirement as Pep508
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName

from mach2.model.artifact import DistFile
from mach2.model.names import PYTHON_IDENTIFIER, format_identifier, normalize
from mach2.providers.base import Candidate

__all__ = ["Requirement"]


@frozen(kw_only=True, cache_hash=True)
class Requirement:
    """A constraint on one identifier.

    :param origin: who asked, for explanations: ``requirements.txt:3`` for a root
        requirement, the parent's identifier and version for a dependency.
    :param text: the requirement as written, without its marker.
    :param url: a direct reference (``name @ url``); only that file satisfies it.
    :param hashes: ``sha256:<hex>`` values the artifact must match (``--hash``).
    :param pinned: extras candidates depend on exactly their base candidate.
    """

    name: NormalizedName
    extras: frozenset[str] = frozenset()
    specifier: SpecifierSet = attrs.field(factory=SpecifierSet)
    origin: str = ""
    text: str = ""
    url: str | None = None
    hashes: frozenset[str] = frozenset()
    pinned: Candidate | None = None

    @property
    def identifier(self) -> str:
        if self.name == PYTHON_IDENTIFIER:
            return PYTHON_IDENTIFIER
        return format_identifier(self.name, self.extras)

    @classmethod
    def from_pep508(
        cls, requirement: Pep508, *, origin: str, hashes: frozenset[str] = frozenset()
    ) -> Requirement:
        text = str(requirement).split(";", 1)[0].strip()
        return cls(
            name=normalize(requirement.name),
            extras=frozenset(normalize(e) for e in requirement.extras),
            specifier=requirement.specifier,
            origin=origin,
            text=text,
            url=requirement.url,
            hashes=hashes,
        )

    @classmethod
    def python(cls, specifier: str, *, origin: str) -> Requirement:
        return cls(
            name=NormalizedName(PYTHON_IDENTIFIER),
            specifier=SpecifierSet(specifier),
            origin=origin,
            text=f"Python {specifier}",
        )

    @classmethod
    def exactly(cls, candidate: Candidate, *, origin: str) -> Requirement:
        return cls(
            name=candidate.name,
            specifier=SpecifierSet(f"=={candidate.version}"),
            origin=origin,
            text=f"{candidate.name}=={candidate.version}",
            pinned=candidate,
        )

    #: What decides :meth:`is_satisfied_by` (not who asked): equal keys accept the same
    #: candidates.  Computed once: the factory memoizes matching on it.
    match_key: Hashable = attrs.field(init=False, eq=False, repr=False)

    @match_key.default
    def _match_key(self) -> Hashable:
        return (self.name, str(self.specifier), self.url, self.hashes, self.pinned)

    def is_satisfied_by(self, candidate: Candidate) -> bool:
        if self.pinned is not None:
            return candidate.base == self.pinned
        if not self.specifier.contains(candidate.version, prereleases=True):
            return False
        artifact = candidate.artifact
        if self.url is not None:
            if not isinstance(artifact, DistFile):
                return False
            if artifact.url.split("#", 1)[0] != self.url.split("#", 1)[0]:
                return False
        if self.hashes:
            if not isinstance(artifact, DistFile) or artifact.sha256 is None:
                return False
            if f"sha256:{artifact.sha256}" not in self.hashes:
                return False
        return True

    def describe(self) -> str:
        return f"{self.text} (from {self.origin})" if self.origin else self.text
