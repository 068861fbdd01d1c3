"""Requirements as the resolver sees them: one identifier, a specifier, and who asked.

Two kinds share this class (and the resolver does not care which it holds):

- **PEP 508** (requirements files, Requires-Dist): ``specifier`` against the candidate's PEP 440
  version, whatever its provider; a conda candidate's version is its conda version read as
  PEP 440 (mach2.providers.conda.provider).
- **conda MatchSpec** (a conda package's ``depends``/``constrains``, an environment.yml line):
  ``conda`` is set and decides.  A conda candidate must match the whole spec (name, version,
  build, channel...); a wheel, sdist or nixpkgs candidate of the same project satisfies a spec
  that constrains the version only (conda's ``requests`` may take ``urllib3`` from PyPI when
  the provider order says so), never one that names a build, build number, channel or file.

``constraint=True`` marks a conda ``constrains``: binding only if the identifier is installed.
resolvelib has no such notion, so an identifier that only constraints mention gets the one
candidate :func:`absent` ("not installed"), which satisfies constraints and nothing else; when
a real requirement arrives, resolvelib re-pins it (the port of mach2.providers.conda.solve's ``Absent``).
"""

from __future__ import annotations

from collections.abc import Hashable

import attrs
from attrs import frozen
from packaging.requirements import Requirement as Pep508
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from mach2.model.artifact import DistFile
from mach2.model.names import PYTHON_IDENTIFIER, format_identifier, normalize
from mach2.providers.base import Candidate
from mach2.providers.conda.errors import InvalidVersion
from mach2.providers.conda.matchspec import MatchSpec
from mach2.providers.conda.repodata import RepodataRecord
from mach2.providers.conda.version import VersionOrder
from mach2.providers.direct.provider import SourceTree, same_reference

__all__ = ["ABSENT_PROVIDER", "Requirement", "absent"]

#: The provider of :func:`absent` candidates (never in a lock).
ABSENT_PROVIDER = "<absent>"


def absent(name: NormalizedName) -> Candidate:
    """The "not installed" candidate of an identifier that only conda ``constrains`` mention."""
    return Candidate(name=name, version=Version("0"), provider=ABSENT_PROVIDER, artifact=None)


@frozen(kw_only=True, cache_hash=True)
class Requirement:
    """A constraint on one identifier.

    :param origin: who asked, for explanations: ``requirements.txt:3`` for a root
        requirement, the parent's identifier and version for a dependency.
    :param text: the requirement as written, without its marker.
    :param url: a direct reference (``name @ url``); only that file satisfies it.
    :param hashes: ``sha256:<hex>`` values the artifact must match (``--hash``).
    :param pinned: extras candidates depend on exactly their base candidate.
    :param conda: a conda MatchSpec that decides instead of ``specifier`` (module docstring).
    :param constraint: a conda ``constrains``: only binding if the identifier is installed.
    """

    name: NormalizedName
    extras: frozenset[str] = frozenset()
    specifier: SpecifierSet = attrs.field(factory=SpecifierSet)
    origin: str = ""
    text: str = ""
    url: str | None = None
    hashes: frozenset[str] = frozenset()
    pinned: Candidate | None = None
    conda: MatchSpec | None = None
    constraint: bool = False

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

    @classmethod
    def from_matchspec(
        cls, name: NormalizedName, spec: MatchSpec, *, origin: str, constraint: bool = False
    ) -> Requirement:
        """A conda spec on identifier ``name`` (``numpy``, or ``conda:libblas``)."""
        return cls(
            name=name,
            origin=origin,
            text=f"{spec.text} (if installed)" if constraint else spec.text,
            conda=spec,
            constraint=constraint,
        )

    #: What decides :meth:`is_satisfied_by` (not who asked): equal keys accept the same
    #: candidates.  Computed once: the factory memoizes matching on it.
    match_key: Hashable = attrs.field(init=False, eq=False, repr=False)

    @match_key.default
    def _match_key(self) -> Hashable:
        spec = None if self.conda is None else self.conda.text
        return (self.name, str(self.specifier), self.url, self.hashes, self.pinned, spec,
                self.constraint)  # fmt: skip

    @property
    def by_version_only(self) -> bool:
        """Whether only the candidate's version decides (no URL, hashes, pin, conda spec)."""
        return not (self.url or self.hashes or self.pinned or self.conda or self.constraint)

    def is_satisfied_by(self, candidate: Candidate) -> bool:
        if candidate.provider == ABSENT_PROVIDER:
            return self.constraint
        if self.conda is not None:
            return _conda_accepts(self.conda, candidate)
        if self.pinned is not None:
            return candidate.base == self.pinned
        if not self.specifier.contains(candidate.version, prereleases=True):
            return False
        artifact = candidate.artifact
        if self.url is not None:
            # Its hashes were checked when the candidate was made (mach2.providers.direct).
            url = artifact.url if isinstance(artifact, (DistFile, SourceTree)) else None
            return url is not None and same_reference(url, self.url)
        if self.hashes:
            if not isinstance(artifact, DistFile) or artifact.sha256 is None:
                return False
            if f"sha256:{artifact.sha256}" not in self.hashes:
                return False
        return True

    def describe(self) -> str:
        return f"{self.text} (from {self.origin})" if self.origin else self.text


def _conda_accepts(spec: MatchSpec, candidate: Candidate) -> bool:
    """A conda spec against any candidate (the rules are in the module docstring)."""
    record = candidate.artifact
    if isinstance(record, RepodataRecord):
        return spec.matches(record)
    build_any = spec.build is None or spec.build.is_any
    if not build_any or spec.build_number or spec.channel or spec.subdir or spec.extra:
        return False  # only a conda build can meet a build, channel or file requirement
    if spec.version is None:
        return True
    try:
        return spec.version.match(VersionOrder.parse(str(candidate.version)))
    except InvalidVersion:
        return False
