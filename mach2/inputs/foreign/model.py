"""A lock written by another tool, read into one shape, and what of it applies to a target.

Every reader (``uv.lock``, ``pylock.toml``, ``poetry.lock``, ``pdm.lock``, a hash-pinned
requirements file) gives a :class:`ForeignLock`: its package entries with their files and
hashes as written, and how to tell which entries a target installs.  Formats say that in two
ways, and :meth:`ForeignLock.select` follows the one the file uses:

* **by marker** (pylock, poetry, pdm, requirements): each entry carries the marker (per group,
  for poetry and pdm) under which it is installed; the target's marker environment decides;
* **by graph** (uv): entries carry their dependency edges with markers; the walk starts where
  ``uv sync`` starts (the root project, or the workspace members chosen) and follows the edges
  that hold on the target.

The selection is per target, so a lock that covers several platforms (uv.lock and pylock are
universal) gives each target its own entries and files: a multi-system mach2 lock selects once
per system.  Nothing here touches the network; the pins are checked against the index by the
resolve stage (``mach2.pipeline.pins``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import attrs
from attrs import frozen
from packaging.markers import Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from mach2.errors import InputError
from mach2.model.target import Target

__all__ = [
    "Edge",
    "ForeignFile",
    "ForeignLock",
    "ForeignPackage",
    "ForeignSource",
    "Pin",
    "Pins",
]


@frozen(kw_only=True)
class ForeignFile:
    """One wheel or sdist as the foreign lock names it.

    :param url: where to get it; ``None`` when the format names files only (poetry, pdm): the
        index's listing gives the URL.
    :param hashes: algorithm → lower-case hex digest, as written (sha256 in practice).
    """

    filename: str
    url: str | None
    hashes: Mapping[str, str]
    size: int | None = None
    origin: str = ""

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@frozen(kw_only=True)
class Edge:
    """A dependency as a graph-shaped lock (uv.lock) writes it: which entry, under which marker.

    ``version`` and ``source`` are given by uv only when several entries share the name (a
    lock forked by markers); they pick the entry.
    """

    name: NormalizedName
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None
    version: str | None = None
    source: str | None = None


@frozen(kw_only=True)
class ForeignSource:
    """Where an entry that names its source comes from: a git commit, a local directory or a
    local wheel or sdist, as the direct reference mach2 builds it from
    (``mach2.providers.direct``; ``mach2.pipeline.pinned_sources``).

    :param url: the reference: ``git+REPOSITORY@COMMIT#subdirectory=…`` (the commit the lock
        recorded), or the ``file:`` URL of a directory or file (the lock's relative path
        joined to the lock's directory).
    :param written: what the lock wrote, for messages (``directory libs/helper``).
    :param editable: a development install (uv's ``editable``, pylock's ``editable = true``,
        poetry's ``develop = true``, pdm's ``editable = true``).
    :param hashes: a local file's hashes as the lock gives them (algorithm → hex).
    """

    url: str
    written: str
    editable: bool = False
    hashes: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def is_git(self) -> bool:
        return self.url.startswith("git+")


@frozen(kw_only=True)
class ForeignPackage:
    """One package entry of a foreign lock.

    :param origin: how errors name the entry (``uv.lock: package 'numpy' 2.0.0``).
    :param hashes: ``algo:hex`` hashes not tied to a file name (a hash-pinned requirements
        file): the index's files of the version with one of these hashes are the candidates.
    :param unsupported: what mach2 cannot build from (``hg https://…@rev``, ``local
        registry ./wheels``), or ``None``.
    :param source: a git commit, local directory or local file the entry is built from (a
        direct reference), else ``None`` (files of an index or URL).
    :param virtual: not installed, only its dependencies (uv's ``virtual`` source).
    :param project: the project itself (uv's workspace members, a ``directory`` entry at the
        lock's own directory): by marker, ``--no-install-project`` leaves it out.
    :param applies: by-marker selection: group (``None`` where the format has no groups) →
        the marker under which the entry is installed in that group (``None``: always).
    :param with_extras: installed only when one of these extras is asked for (poetry's
        ``optional = true`` packages and its ``[extras]`` table); ``None``: not optional.
    :param dependencies: by-graph selection (uv): the entry's edges, its extras' edges and its
        dependency groups' edges.
    """

    name: NormalizedName
    version: Version | None
    origin: str
    wheels: tuple[ForeignFile, ...] = ()
    sdist: ForeignFile | None = None
    hashes: frozenset[str] = frozenset()
    index: str | None = None
    unsupported: str | None = None
    source: ForeignSource | None = None
    virtual: bool = False
    project: bool = False
    requires_python: str | None = None
    extras: frozenset[str] = frozenset()
    applies: Mapping[str | None, Marker | None] = attrs.field(factory=lambda: {None: None})
    with_extras: frozenset[str] | None = None
    dependencies: tuple[Edge, ...] = ()
    optional_dependencies: Mapping[str, tuple[Edge, ...]] = attrs.field(factory=dict)
    group_dependencies: Mapping[str, tuple[Edge, ...]] = attrs.field(factory=dict)

    @property
    def files(self) -> tuple[ForeignFile, ...]:
        return (*self.wheels, *((self.sdist,) if self.sdist else ()))

    def describe(self) -> str:
        return f"{self.name} {self.version}" if self.version is not None else str(self.name)


@frozen(kw_only=True)
class Pin:
    """One package the target installs: the entry and the extras in use."""

    package: ForeignPackage
    extras: frozenset[str] = frozenset()


@frozen(kw_only=True)
class Pins:
    """What a foreign lock installs on one target.

    :param project: the entries that are the project itself (uv's workspace members): their
        dependencies are installed, they are not.
    :param other_environments: entries left out because they are for other environments
        (markers that do not hold on the target).
    """

    lock: ForeignLock
    pins: Mapping[NormalizedName, Pin]
    project: tuple[str, ...] = ()
    other_environments: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.lock.label


@frozen(kw_only=True)
class ForeignLock:
    """A lock written by another tool (see the module docs).

    :param format: ``uv.lock``, ``pylock.toml``, ``poetry.lock``, ``pdm.lock``, ``requirements``.
    :param path: the file as given (errors name it).
    :param tool: who wrote it, as the file says (``uv``, ``Poetry 2.5.1``, ``PDM``).
    :param members: by-graph selection: the names the walk starts from by default (uv: the
        project at the lock's root, else every workspace member), else ``None`` (by marker).
    :param workspace: every member of a uv workspace (``--all-packages``, ``--package``).
    :param root: the project at the lock's directory (uv), which ``--no-install-project``
        leaves out; ``None`` for a virtual workspace root.
    :param default_groups: the groups installed when the user names none (``main`` for poetry,
        ``default`` for pdm, pylock's ``default-groups``); ``None`` stands for "no group".
    :param groups: every group the lock knows (to refuse a misspelt ``--group``).
    :param extras: every extra the lock knows (to refuse a misspelt ``--extra``).
    :param index_urls: the registries the lock names, first seen first.
    """

    format: str
    path: str
    tool: str
    packages: tuple[ForeignPackage, ...]
    members: tuple[NormalizedName, ...] | None = None
    workspace: tuple[NormalizedName, ...] = ()
    root: NormalizedName | None = None
    requires_python: str | None = None
    environments: tuple[Marker, ...] = ()
    default_groups: frozenset[str | None] = frozenset({None})
    groups: frozenset[str] = frozenset()
    extras: frozenset[str] = frozenset()
    index_urls: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.path

    def select(
        self,
        target: Target,
        *,
        extras: Sequence[str] = (),
        groups: Sequence[str] = (),
        install_project: bool = True,
        packages: Sequence[str] = (),
        all_packages: bool = False,
    ) -> Pins:
        """The entries ``target`` installs, with the extras and groups asked for.

        :param install_project: install the project itself (uv: the root project, or the one
            ``packages`` member; a directory entry at the lock's directory) as ``uv sync``
            does; ``False``: only its dependencies (``uv sync --no-install-project``).
        :param packages: uv workspace members to install with their dependencies instead of
            the root project (``uv sync --package``).
        :param all_packages: every uv workspace member (``uv sync --all-packages``).
        :raises InputError: the lock is for another Python or environment, an unknown extra
            or group, two entries of one package apply, an applying entry mach2 cannot build
            from (all of them named in one line), or an edge to no entry.
        """
        self._check_environment(target)
        wanted_extras = frozenset(_normal(e) for e in extras)
        wanted_groups = frozenset(_normal(g) for g in groups)
        for kind, asked, known in (("extra", wanted_extras, self.extras),
                                   ("group", wanted_groups, self.groups)):  # fmt: skip
            unknown = sorted(asked - known)
            if unknown:
                raise InputError(
                    f"{self.path}: no {kind} named {unknown[0]!r} in the lock",
                    hint=f"the lock knows {kind}s: {', '.join(sorted(known)) or 'none'}",
                )
        if self.members is not None:
            starts, left_out = self._starts(packages, all_packages, install_project)
            chosen, project = _walk(self, target, wanted_extras, wanted_groups, starts, left_out)
        else:
            chosen = _by_marker(self, target, wanted_extras, wanted_groups, install_project)
            project = tuple(sorted({str(p.name) for p in self.packages if p.project}))
        # Virtual entries (uv) are walked for their dependencies, never built.
        virtual = {n for n, p in chosen.items() if p.package.virtual}
        chosen = {n: p for n, p in chosen.items() if n not in virtual}
        project = tuple(sorted({*project, *virtual} - set(chosen)))
        picked = {id(pin.package) for pin in chosen.values()}
        others = tuple(
            sorted(
                {
                    p.describe()
                    for p in self.packages
                    if id(p) not in picked and p.name not in project and p.name not in chosen
                }
            )
        )
        unsupported = [
            f"{pin.package.describe()} ({pin.package.unsupported})"
            for pin in chosen.values()
            if pin.package.unsupported
        ]
        if unsupported:
            raise InputError(
                f"{self.path}: mach2 cannot install {len(unsupported)} of its entries for "
                f"{target.describe()}: {'; '.join(sorted(unsupported))}",
                hint="mach2 builds git commits, local directories and files, and index files: "
                "publish these as wheels or sdists, or lock from requirements",
            )
        credentials = sorted(
            {pin.package.describe() for pin in chosen.values() if _has_credentials(pin.package)}
        )
        if credentials:
            raise InputError(
                f"{self.path}: URLs with credentials (user:password@) for {', '.join(credentials)}",
                hint="mach2 never writes credentials into a lock: remove them from the file "
                "and give them in ~/.netrc",
            )
        for pin in sorted(chosen.values(), key=lambda p: p.package.name):
            wanted = pin.package.requires_python
            if wanted and not _fits(wanted, target.python_version):
                raise InputError(
                    f"{pin.package.origin}: requires Python {wanted}, the target is Python "
                    f"{target.python_version}",
                    hint="pick the target with --python, or lock the project for this Python",
                )
        return Pins(lock=self, pins=chosen, project=project, other_environments=others)

    def _starts(
        self, packages: Sequence[str], all_packages: bool, install_project: bool
    ) -> tuple[frozenset[NormalizedName], frozenset[NormalizedName]]:
        """Where the walk starts, and the project ``--no-install-project`` leaves out, as
        ``uv sync`` (0.13) chooses them: the root project, else (a virtual root) every
        member; ``--package`` names the members (one of them is the project; of several,
        none is); ``--all-packages`` is every member with the root as the project."""
        wanted = [NormalizedName(_normal(p)) for p in packages]
        unknown = [p for p in wanted if p not in self.workspace]
        if unknown:
            raise InputError(
                f"{self.path}: no workspace member named {unknown[0]!r}",
                hint=f"the workspace's members: {', '.join(sorted(self.workspace)) or 'none'}",
            )
        if wanted:
            starts, project = frozenset(wanted), frozenset(wanted if len(wanted) == 1 else ())
        else:
            starts = frozenset(self.workspace if all_packages else self.members or ())
            project = frozenset((self.root,) if self.root is not None else ())
        return starts, frozenset() if install_project else project

    def _check_environment(self, target: Target) -> None:
        python = target.python_version
        if self.requires_python and not _fits(self.requires_python, python):
            raise InputError(
                f"{self.path}: locked for Python {self.requires_python}, the target is "
                f"Python {python}",
                hint="pick the target with --python, or lock the project for this Python",
            )
        environment = target.marker_environment
        if self.environments and not any(m.evaluate(environment) for m in self.environments):
            shown = " | ".join(str(m) for m in self.environments)
            raise InputError(
                f"{self.path}: locked for the environments {shown}, not {target.describe()}",
                hint="pick the target with --python/--system, or lock for this environment",
            )


def _fits(specifier: str, python: Version) -> bool:
    try:
        return SpecifierSet(specifier).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True  # as pip: an unparseable Requires-Python does not exclude


def _normal(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def _has_credentials(package: ForeignPackage) -> bool:
    urls = [f.url for f in package.files if f.url] + ([package.index] if package.index else [])
    if any("@" in urlsplit(u).netloc for u in urls):
        return True
    if package.source is None or not package.source.is_git:
        return False
    # git: an ssh user (git@host) is no secret; a password, or a token as an https user, is.
    repository = urlsplit(package.source.url.removeprefix("git+"))
    if repository.scheme == "ssh":
        return repository.password is not None
    return "@" in repository.netloc


def _holds(
    marker: Marker | None, target: Target, extras: frozenset[str], groups: frozenset[str]
) -> bool:
    """A marker on the target, for each extra in use (``extra == 'x'``), and with PEP 751's
    ``extras``/``dependency_groups`` sets."""
    if marker is None:
        return True
    environment: dict[str, str | frozenset[str]] = dict(target.marker_environment)
    text = str(marker)
    if "extras" in text or "dependency_groups" in text:
        environment["extras"] = extras
        environment["dependency_groups"] = groups
        return marker.evaluate(environment, context="lock_file")
    return any(
        marker.evaluate({**environment, "extra": extra}) for extra in (sorted(extras) or [""])
    )


def _by_marker(
    lock: ForeignLock,
    target: Target,
    extras: frozenset[str],
    groups: frozenset[str],
    install_project: bool,
) -> dict[NormalizedName, Pin]:
    selected_groups: frozenset[str | None] = lock.default_groups | groups
    set_groups = frozenset(g for g in selected_groups if g is not None)
    chosen: dict[NormalizedName, Pin] = {}
    for package in lock.packages:
        if package.project and not install_project:
            continue
        if package.with_extras is not None and not package.with_extras & extras:
            continue
        if not any(
            group in selected_groups and _holds(marker, target, extras, set_groups)
            for group, marker in package.applies.items()
        ):
            continue
        before = chosen.get(package.name)
        if before is not None and before.package.version != package.version:
            raise InputError(
                f"{lock.path}: both {before.package.origin} and {package.origin} apply to "
                f"{target.describe()}",
                hint="a lock must narrow down to one entry per package for the target",
            )
        extras_in_use = (before.extras if before else frozenset()) | package.extras
        package = before.package if before else package  # pdm: `name[extra]` entries repeat it
        chosen[package.name] = Pin(package=package, extras=extras_in_use)
    return chosen


def _walk(
    lock: ForeignLock,
    target: Target,
    extras: frozenset[str],
    groups: frozenset[str],
    starts: frozenset[NormalizedName],
    left_out: frozenset[NormalizedName],
) -> tuple[dict[NormalizedName, Pin], tuple[str, ...]]:
    """By graph: from ``starts`` (with the extras and groups asked for), along the edges whose
    markers hold on the target.  The starts are installed too unless ``left_out`` (the
    project, ``--no-install-project``) or virtual; other members an edge reaches are
    installed as any dependency."""
    by_name: dict[NormalizedName, list[ForeignPackage]] = {}
    for package in lock.packages:
        by_name.setdefault(package.name, []).append(package)
    chosen: dict[NormalizedName, Pin] = {}
    queue: list[tuple[ForeignPackage, list[Edge]]] = []
    for name in sorted(starts):
        for member in by_name.get(name, []):
            edges = list(member.dependencies)
            for extra in sorted(extras):
                edges += member.optional_dependencies.get(extra, ())
            for group in sorted(groups):
                edges += member.group_dependencies.get(group, ())
            queue.append((member, edges))
            if name not in left_out and not member.virtual:
                chosen[name] = Pin(
                    package=member, extras=extras & set(member.optional_dependencies)
                )
    while queue:
        parent, edges = queue.pop()
        for edge in edges:
            if edge.name in left_out or not _holds(edge.marker, target, frozenset(), frozenset()):
                continue  # the project left out; or another platform's
            package = _entry_for(lock, parent, edge, by_name.get(edge.name, []))
            before = chosen.get(edge.name)
            if before is not None and before.package is not package:
                raise InputError(
                    f"{lock.path}: both {before.package.origin} and {package.origin} apply to "
                    f"{target.describe()}",
                    hint="the lock forks this package on conflicting extras or groups: "
                    "select one with --extra/--group",
                )
            known = before.extras if before else frozenset()
            if before is not None and edge.extras <= known:
                continue  # seen, with these extras
            chosen[edge.name] = Pin(package=package, extras=known | edge.extras)
            following = [] if before is not None else list(package.dependencies)
            for extra in sorted(edge.extras - known):
                following += package.optional_dependencies.get(extra, ())
            queue.append((package, following))
    # The starts not installed (left out, or virtual): their dependencies are.
    return chosen, tuple(sorted(str(n) for n in starts if n not in chosen))


def _entry_for(
    lock: ForeignLock, parent: ForeignPackage, edge: Edge, entries: Sequence[ForeignPackage]
) -> ForeignPackage:
    fitting = [
        p
        for p in entries
        if (edge.version is None or str(p.version) == edge.version or _same(p.version, edge))
        and (edge.source is None or edge.source == _source_key(p))
    ]
    if len(fitting) != 1:
        what = "no entry" if not fitting else f"{len(fitting)} entries"
        raise InputError(
            f"{lock.path}: {parent.origin} depends on {edge.name} and the lock has {what} for it",
            hint="the lock is inconsistent: lock the project again with its tool",
        )
    return fitting[0]


def _same(version: Version | None, edge: Edge) -> bool:
    try:
        return version is not None and edge.version is not None and version == Version(edge.version)
    except ValueError:
        return False


def _source_key(package: ForeignPackage) -> str | None:
    return package.index
