"""The conda providers: conda records as candidates of the shared resolver.

One :class:`CondaProvider` per provider name of the order: ``conda`` holds every configured
channel (strict channel priority among them, as conda and pixi do), ``conda/<name>`` that
channel alone.

**Identifiers** (implementation.md, "conda and nixpkgs in the shared resolution").  A conda package that is a PyPI project competes under its
PyPI name with wheels and sdists: the name map (:mod:`mach2.providers.conda.names`) says which conda
packages are which project (``numpy``; ``pytorch`` is ``torch``; ``matplotlib`` and
``matplotlib-base`` are both ``matplotlib``).  Every other conda package, including names the
map does not know, is conda-only and lives under ``conda:<name>`` (``conda:libgcc-ng``,
``conda:_openmp_mutex``), which only conda providers serve.  A dependency on a conda package
that is the *same* project as its parent (``matplotlib`` → ``matplotlib-base``) is conda-only
too, so that a metapackage never depends on itself.

**Candidates.**  For a PyPI name: the records of each of its conda names (the one spelled like
the PyPI name first), each name's best first (:func:`mach2.providers.conda.solve.records_for`: channel
priority, fewest track_features, version, build number, timestamp).  Their version is the conda
version read as PEP 440; a record whose version is not PEP 440 is left out for a PyPI name
(:meth:`rejections` says so).  For ``conda:<name>``: that name's records; a version that is
not PEP 440 (``9e``, ``1.1.1w``) is read as its numeric release with the rest as a local label
(``9+e``), which only orders and prints it: conda specs decide what matches.  Records that
cannot work on the target are never listed: a dependency (or ``constrains``) on ``python``,
``python_abi`` or a virtual package (``__glibc``, ``__unix``, ``__cuda``...) that the target's
interpreter and virtual packages (mach2.providers.conda.virtual) do not meet, records built after
``exclude_newer``, and records of the other platforms.

**Dependencies** are the record's ``depends`` and ``constrains`` with their names mapped as
above (``Dependencies.conda_depends``/``conda_constrains``).  Those on ``python``,
``python_abi`` and virtual packages are dropped: every listed record already meets them, and
the target's interpreter stands for conda's python (nothing of conda's python is installed).
``pip`` is an ordinary PyPI project.

Cost: everything is in memory or in the per-name repodata index; a name's records are decoded
once, the first time the resolver asks for it.  Nothing here does I/O beyond that index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from mach2.model.names import CONDA_NAMESPACE, conda_native, is_conda_native
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.conda.channels import ChannelIndex
from mach2.providers.conda.matchspec import parse_matchspec
from mach2.providers.conda.names import NameMap, default_map
from mach2.providers.conda.repodata import RepodataRecord
from mach2.providers.conda.solve import ChannelPriority, records_for
from mach2.providers.conda.version import pep440
from mach2.providers.conda.virtual import interpreter_packages, virtual_packages

__all__ = ["CondaProvider", "conda_identifier", "native_version"]

_RELEASE = re.compile(r"^(\d+(?:\.\d+)*)[._-]?(.*)$")
_NOT_LOCAL = re.compile(r"[^a-z0-9]+")


def conda_identifier(
    conda_name: str, names: NameMap, *, parent: NormalizedName | None = None
) -> NormalizedName:
    """The resolver name of conda package ``conda_name``: its PyPI project, or ``conda:<name>``.

    :param parent: the name of the candidate that depends on it; a dependency on the same
        project (a metapackage on its base package) is conda-only.

    >>> from mach2.providers.conda.names import default_map
    >>> [conda_identifier(n, default_map()) for n in ("pytorch", "libgcc-ng")]
    ['torch', 'conda:libgcc-ng']
    """
    project = names.pypi_name(conda_name)
    if project is None or project == parent:
        return conda_native(conda_name)
    return project


def native_version(text: str) -> Version | None:
    """A conda-only package's version as PEP 440, for ordering and printing only.

    >>> [str(native_version(v)) for v in ("13.2.0", "9e", "1.1.1w", "2024a")]
    ['13.2.0', '9+e', '1.1.1+w', '2024a0']
    """
    found = pep440(text)
    if found is not None:
        return found
    match = _RELEASE.match(text.lower())
    if match is None:
        return None
    release, rest = match.groups()
    local = _NOT_LOCAL.sub(".", rest).strip(".")
    try:
        return Version(f"{release}+{local}" if local else release)
    except InvalidVersion:
        return None


class CondaProvider:
    """Candidates from conda channels for one provider name (``conda`` or ``conda/<name>``).

    :param index: the channels of this provider, in priority order, target subdir + noarch.
    :param names: the conda ↔ PyPI name map (default: the shipped conda-forge map).
    :param cuda: offer ``__cuda`` at this driver version (none unless given).
    :param exclude_newer: leave out records built after this time (records without a
        timestamp are kept: old repodata has none).
    """

    def __init__(
        self,
        name: str,
        index: ChannelIndex,
        target: Target,
        *,
        names: NameMap | None = None,
        cuda: str | None = None,
        priority: ChannelPriority = "strict",
        exclude_newer: datetime | None = None,
    ) -> None:
        self._name = name
        self.index = index
        self.target = target
        self.names = names or default_map()
        self.priority = priority
        fixed = (*virtual_packages(target, cuda=cuda), *interpreter_packages(target))
        self.fixed: Mapping[str, RepodataRecord] = {r.name: r for r in fixed}
        self._newest_ms = None if exclude_newer is None else int(exclude_newer.timestamp() * 1000)
        self._candidates: dict[NormalizedName, tuple[Candidate, ...]] = {}
        self._rejected: dict[NormalizedName, dict[str, list[str]]] = {}

    @property
    def name(self) -> str:
        return self._name

    # -- candidates ------------------------------------------------------------------------

    def conda_names(self, name: NormalizedName) -> tuple[str, ...]:
        """The conda packages that may stand for resolver name ``name``."""
        if is_conda_native(name):
            conda_name = name[len(CONDA_NAMESPACE) :]
            return () if conda_name in self.fixed else (conda_name,)
        return self.names.conda_names(name)

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        found = self._candidates.get(name)
        if found is None:
            found = self._candidates[name] = tuple(self._list(name))
        return found

    def _list(self, name: NormalizedName) -> Iterable[Candidate]:
        native = is_conda_native(name)
        rejected = self._rejected.setdefault(name, {})
        for conda_name in self.conda_names(name):
            fitting = frozenset(
                records_for(self.index, conda_name, (), priority=self.priority, fixed=self.fixed)
            )
            for record in records_for(self.index, conda_name, (), priority=self.priority):
                text = record.version.text
                version = native_version(text) if native else pep440(text)
                why = "not for the target" if record not in fitting else self._misfit(record)
                if why is not None:
                    rejected.setdefault(f"{conda_name}: {why}", []).append(f"{text} {record.build}")
                elif version is None:
                    rejected.setdefault("version is not PEP 440", []).append(text)
                else:
                    variant = f"{record.channel}/{record.subdir}/{record.filename}"
                    yield Candidate(
                        name=name, version=version, provider=self._name, artifact=record,
                        variant=variant,
                    )  # fmt: skip

    def _misfit(self, record: RepodataRecord) -> str | None:
        """What records_for does not check: ``constrains`` on the fixed names, the date."""
        if self._newest_ms is not None and record.timestamp > self._newest_ms:
            return "built after exclude-newer"
        for text in record.constrains:
            spec = parse_matchspec(text)
            fixed = self.fixed.get(spec.name)
            if fixed is not None and not spec.matches(fixed):
                return "not for the target"
        return None

    def rejections(self, name: NormalizedName) -> dict[str, list[str]]:
        """Why records of ``name`` were left out (for error messages), after :meth:`candidates`."""
        self.candidates(name)
        return {reason: versions for reason, versions in self._rejected.get(name, {}).items()}

    # -- dependencies ----------------------------------------------------------------------

    def dependencies(self, candidate: Candidate) -> Dependencies:
        record = candidate.artifact
        assert isinstance(record, RepodataRecord), candidate
        return Dependencies(
            requires_dist=(),
            source="conda",
            conda_depends=self._mapped(record.depends, candidate.name),
            conda_constrains=self._mapped(record.constrains, candidate.name),
        )

    def _mapped(self, specs: Sequence[str], parent: NormalizedName) -> tuple[tuple[str, str], ...]:
        result = []
        for text in specs:
            spec = parse_matchspec(text)
            if spec.name in self.fixed or spec.name.startswith("__"):
                continue  # met by every listed record (see the module docstring)
            result.append((str(conda_identifier(spec.name, self.names, parent=parent)), text))
        return tuple(result)

    def prefetch(self, name: NormalizedName) -> None:
        """Nothing to fetch: the channels were loaded when the provider was made."""
