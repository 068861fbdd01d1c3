"""Candidates and the interface every provider implements.

A *provider* turns the raw records of one source (PyPI files, conda repodata, the nixpkgs
index) into :class:`Candidate` objects for a Target.  Listing candidates is cheap; reading
their dependencies may cost network, so :meth:`Provider.dependencies` is only called when the
resolver reaches a candidate (and :meth:`Provider.prefetch` lets it start early).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs
from attrs import frozen
from packaging.utils import NormalizedName
from packaging.version import Version

from mach2.model.names import format_identifier

__all__ = ["Candidate", "Dependencies", "Provider"]


@frozen(kw_only=True, cache_hash=True)
class Candidate:
    """One version of one project from one provider.

    :param provider: the provider that supplies it (``wheel``, ``sdist``, ``conda/<channel>``,
        ``nixpkgs``, or ``python`` for the interpreter pseudo-package).
    :param artifact: the provider's record for the file or attribute (a ``DistFile`` for PyPI);
        excluded from equality so that equal versions of a provider compare equal.
    :param extras: non-empty for an extras candidate ``name[extras]``, which depends exactly on
        its base candidate (same provider and version).
    :param variant: tells apart candidates that share name, version and provider: a conda
        record's ``channel/subdir/filename`` (one version has many builds: the openblas and
        the mkl ``libblas 3.9.0``); empty for the other providers.
    """

    name: NormalizedName
    version: Version
    provider: str
    artifact: object = attrs.field(eq=False, repr=False)
    extras: frozenset[str] = frozenset()
    variant: str = ""

    @property
    def identifier(self) -> str:
        return format_identifier(self.name, self.extras)

    @property
    def base(self) -> Candidate:
        return attrs.evolve(self, extras=frozenset()) if self.extras else self

    def with_extras(self, extras: frozenset[str]) -> Candidate:
        return attrs.evolve(self, extras=extras)

    def describe(self) -> str:
        build = f" {self.variant.rsplit('/', 1)[-1]}" if self.variant else ""
        return f"{self.identifier} {self.version}{build} ({self.provider})"


@frozen(kw_only=True)
class Dependencies:
    """What a candidate needs: PEP 508 requirement strings plus its Requires-Python."""

    requires_dist: tuple[str, ...]
    requires_python: str | None = None
    provides_extra: tuple[str, ...] = ()
    #: Where the list came from (``metadata``, ``pkg-info``, ``pep517``, ``nixpkgs``, ``conda``, ...).
    source: str = "metadata"
    #: sdists: the build-system requirements.
    build_requires: tuple[str, ...] | None = None
    #: conda candidates (``requires_dist`` is empty): ``(identifier name, MatchSpec text)`` of
    #: each ``depends`` the resolver must meet (the interpreter's and virtual packages' are
    #: already met by every candidate the provider lists), and of each ``constrains`` (binding
    #: only when that identifier is installed).
    conda_depends: tuple[tuple[str, str], ...] = ()
    conda_constrains: tuple[tuple[str, str], ...] = ()


class Provider(Protocol):
    """A source of candidates of one kind (``wheel``, ``sdist``, ``conda/<channel>``, …)."""

    @property
    def name(self) -> str: ...

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        """Every candidate for ``name`` usable on the target, newest version first."""
        ...

    def dependencies(self, candidate: Candidate) -> Dependencies:
        """Read the candidate's dependencies (may download metadata; blocking)."""
        ...

    def prefetch(self, name: NormalizedName) -> None:
        """Start fetching what :meth:`candidates` will need for ``name`` (non-blocking)."""
        ...
