"""The PatchPlan: where every library an ELF file of a wheel needs will come from.  Pure.

:func:`plan` turns a :class:`~mach2.patchelf.scan.WheelInspection` into a
:class:`WheelPatchPlan` without touching files or the network; :mod:`mach2.nix.patchelf_apply`
executes it at build time.  Each needed soname is classified by these rules, in order:

1. ``wheel``: a file of the same wheel is named so or carries that ``DT_SONAME`` (vendored
   ``*.libs/`` copies with hashed names, odd directories such as ``python_rtmidi.``, duplicate
   copies: the one already reachable wins, then the one next to the file).
2. ``sibling``: another wheel of the same lock ships it (``nvidia-*`` libraries); the caller
   passes soname → :class:`SiblingLibrary`, e.g. from :func:`sibling_libraries`.
3. ``system``: glibc or the interpreter supply it (``libc.so.6``, ``libpython3.12.so.1.0``).
4. ``nixpkgs``: the soname map names a nixpkgs attribute (user entries first).
5. ``unresolved``: everything else, with the reason; libraries of the host's GPU driver are
   unresolved too, and apply's allow-list lets them pass, as it lets the sonames the user's
   map ignores pass (the plan's ``ignore_missing``, checked before rules 3 and 4).

Each file's new RUNPATH keeps its ``$ORIGIN`` entries, adds ``$ORIGIN`` entries for in-wheel
libraries it could not reach, and drops everything else (``/usr/local/lib64`` left by a build);
apply appends the directories of the external libraries.  Symbol versions the wheel needs from
outside (``GLIBC_2.28``, ``GLIBCXX_3.4.22``) are checked against the target glibc and the
libstdc++ of nixpkgs' gcc (:class:`CxxRuntime`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal, TypeVar, cast

from attrs import asdict, field, frozen
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from mach2.errors import LockError
from mach2.model.target import Target
from mach2.patchelf.scan import ElfInfo, WheelInspection
from mach2.patchelf.sonames import SonameMap

__all__ = [
    "DEFAULT_CXX_RUNTIME",
    "IGNORED_REASON",
    "PLAN_FORMAT",
    "CxxRuntime",
    "FilePlan",
    "Link",
    "Needed",
    "PlanError",
    "SiblingLibrary",
    "Skipped",
    "Source",
    "VersionProblem",
    "WheelPatchPlan",
    "install_path",
    "plan",
    "sibling_libraries",
]

PLAN_FORMAT = 1
Source = Literal["wheel", "sibling", "system", "nixpkgs", "unresolved"]
SOURCES: tuple[Source, ...] = ("wheel", "sibling", "system", "nixpkgs", "unresolved")
#: The reason of an ``unresolved`` soname the user's soname map ignores.
IGNORED_REASON = "ignored: the soname map says no library is needed"

_MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
_ORIGIN_RE = re.compile(r"^\$(?:ORIGIN|\{ORIGIN\})(?=/|$)")
_SYMBOL_VERSION_RE = re.compile(r"^(GLIBC|GLIBCXX|CXXABI|GCC)_([0-9]+(?:\.[0-9]+)*)$")
_DATA_RE = re.compile(r"^[^/]+\.data/(purelib|platlib|scripts|data|headers)/(.+)$")


class PlanError(LockError):
    """A stored patch plan is malformed (it lives in the lock)."""


# -- records ------------------------------------------------------------------------------------


@frozen
class CxxRuntime:
    """The newest symbol versions nixpkgs' gcc runtime provides (``libstdc++``, ``libgcc_s``).

    :param gcc: gcc major version the numbers belong to.
    :param glibcxx: newest ``GLIBCXX_`` version of ``libstdc++.so.6``.
    :param cxxabi: newest ``CXXABI_`` version of ``libstdc++.so.6``.
    :param libgcc: newest ``GCC_`` version of ``libgcc_s.so.1``.
    """

    gcc: int
    glibcxx: tuple[int, ...]
    cxxabi: tuple[int, ...]
    libgcc: tuple[int, ...]

    @classmethod
    def for_gcc(cls, major: int) -> CxxRuntime:
        """The runtime of gcc ``major`` (12, 13 or 14; libstdc++'s ABI policy table).

        :raises ValueError: a gcc mach2 has no numbers for.
        """
        table = {
            12: ((3, 4, 30), (1, 3, 13), (12, 0, 0)),
            13: ((3, 4, 32), (1, 3, 14), (13, 0, 0)),
            14: ((3, 4, 33), (1, 3, 15), (14, 0, 0)),
        }
        if major not in table:
            raise ValueError(
                f"no libstdc++ versions known for gcc {major}; use one of {sorted(table)}"
            )
        glibcxx, cxxabi, libgcc = table[major]
        return cls(major, glibcxx, cxxabi, libgcc)

    def available(self, family: str, target: Target) -> tuple[int, ...]:
        return {
            "GLIBC": target.glibc,
            "GLIBCXX": self.glibcxx,
            "CXXABI": self.cxxabi,
            "GCC": self.libgcc,
        }[family]


#: gcc 14: the stdenv compiler of nixos-25.05 and of nixpkgs-unstable in late 2025, whose lib
#: output (``stdenv.cc.cc.lib``) supplies ``libstdc++.so.6`` and ``libgcc_s.so.1``.
DEFAULT_CXX_RUNTIME = CxxRuntime.for_gcc(14)


@frozen
class SiblingLibrary:
    """A library another wheel of the lock ships.

    :param package: the sibling's normalized project name.
    :param path: the library's path relative to the sibling's site-packages.
    """

    package: str
    path: str


@frozen(kw_only=True)
class Needed:
    """One ``DT_NEEDED`` entry and where it will come from.

    :param soname: the needed name.
    :param source: one of :data:`SOURCES`.
    :param path: ``wheel``: member path of the file providing it; ``sibling``: its path in the
        sibling's site-packages.
    :param attr: ``nixpkgs``: the attribute below ``pkgs``.
    :param package: ``sibling``: the sibling's project name.
    :param reason: ``unresolved``: why.
    """

    soname: str
    source: Source
    path: str | None = None
    attr: str | None = None
    package: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, str]:
        data = {"soname": self.soname, "source": self.source}
        for key in ("path", "attr", "package", "reason"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@frozen(kw_only=True)
class FilePlan:
    """What happens to one ELF file.

    :param path: member path in the wheel.
    :param install: path relative to site-packages once installed (differs for ``.data/``).
    :param needed: every ``DT_NEEDED``, in file order.
    :param runpath: the ``$ORIGIN`` part of the new RUNPATH; apply appends library directories.
    :param old_runpath: the entries of the file's ``DT_RPATH``/``DT_RUNPATH`` today.
    :param interpreter: ``PT_INTERP`` of an executable, which apply points at the Nix loader.
    """

    path: str
    install: str
    needed: tuple[Needed, ...]
    runpath: tuple[str, ...] = ()
    old_runpath: tuple[str, ...] = ()
    interpreter: str | None = None

    @property
    def dropped(self) -> tuple[str, ...]:
        """Old entries the new RUNPATH leaves out (absolute paths of some build machine)."""
        return tuple(entry for entry in self.old_runpath if entry not in self.runpath)


@frozen
class Skipped:
    """An ELF file the plan leaves alone, and why."""

    path: str
    reason: str


@frozen
class Link:
    """A symlink apply creates: ``path`` (relative to site-packages) → ``target`` (a file name).

    Needed when a library is found only by its ``DT_SONAME`` while the loader looks files up
    by name (zips hold no symlinks).
    """

    path: str
    target: str


@frozen(kw_only=True)
class VersionProblem:
    """A symbol version the target's libraries are too old for."""

    path: str
    library: str
    version: str
    available: str

    @property
    def message(self) -> str:
        return (
            f"{self.path} needs {self.version} from {self.library}, the target has {self.available}"
        )


def _freeze_versions(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(sorted(value.items())))


@frozen(kw_only=True)
class WheelPatchPlan:
    """The plan for one wheel on one target; stored per package in the lock.

    :param name: normalized project name.
    :param version: the wheel's version.
    :param wheel: the wheel's file name.
    :param sha256: the wheel's hash when the caller knows it.
    :param system: the target's Nix system.
    :param glibc: the target's glibc (``"2.40"``).
    :param gcc: the gcc whose runtime the libstdc++ check assumed.
    :param soname_map: version of the soname map used.
    :param files: one plan per dynamic ELF file, in zip order.
    :param skipped: ELF files left alone (static, object files, another machine).
    :param links: symlinks apply creates.
    :param symbol_versions: newest version per family (``GLIBC``, ``GLIBCXX``, ``CXXABI``,
        ``GCC``) the wheel needs from outside itself.
    :param problems: symbol versions the target cannot supply.
    :param ignore_missing: sonames the user's soname map ignores (``null``): ``unresolved``
        in ``files``, and apply lets them pass like the host's libraries.
    """

    name: str
    version: str
    wheel: str | None = None
    sha256: str | None = None
    system: str
    glibc: str
    gcc: int
    soname_map: str
    files: tuple[FilePlan, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    links: tuple[Link, ...] = ()
    symbol_versions: Mapping[str, str] = field(converter=_freeze_versions, factory=dict)
    problems: tuple[VersionProblem, ...] = ()
    ignore_missing: tuple[str, ...] = ()

    # -- derived views -------------------------------------------------------------------------

    def _needed(self, source: Source) -> Iterable[tuple[FilePlan, Needed]]:
        return ((f, n) for f in self.files for n in f.needed if n.source == source)

    @property
    def attrs(self) -> tuple[str, ...]:
        """nixpkgs attributes the wheel's derivation needs in ``buildInputs``, sorted."""
        return tuple(sorted({cast(str, n.attr) for _, n in self._needed("nixpkgs")}))

    @property
    def siblings(self) -> tuple[str, ...]:
        """Sibling packages whose libraries the wheel uses, sorted."""
        return tuple(sorted({cast(str, n.package) for _, n in self._needed("sibling")}))

    @property
    def unresolved(self) -> tuple[tuple[FilePlan, Needed], ...]:
        return tuple(self._needed("unresolved"))

    @property
    def external(self) -> frozenset[str]:
        """Every soname needed from outside the wheel (system ones included)."""
        return frozenset(n.soname for f in self.files for n in f.needed if n.source != "wheel")

    # -- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        """The stored shape.  ``attrs`` and ``siblings`` are derived, written for Nix's
        convenience and ignored by :meth:`from_json`; ``ignore-missing`` only when there are
        some (older plans keep their bytes)."""
        ignored = {"ignore-missing": list(self.ignore_missing)} if self.ignore_missing else {}
        return ignored | {
            "format": PLAN_FORMAT,
            "name": self.name,
            "version": self.version,
            "wheel": self.wheel,
            "sha256": self.sha256,
            "system": self.system,
            "glibc": self.glibc,
            "gcc": self.gcc,
            "soname_map": self.soname_map,
            "attrs": list(self.attrs),
            "siblings": list(self.siblings),
            "symbol_versions": dict(self.symbol_versions),
            "problems": [asdict(p) for p in self.problems],
            "skipped": [asdict(s) for s in self.skipped],
            "links": [asdict(link) for link in self.links],
            "files": [
                {
                    "path": f.path,
                    "install": f.install,
                    "interpreter": f.interpreter,
                    "old_runpath": list(f.old_runpath),
                    "runpath": list(f.runpath),
                    "needed": [n.to_json() for n in f.needed],
                }
                for f in self.files
            ],
        }

    @classmethod
    def from_json(cls, data: object) -> WheelPatchPlan:
        """Read :meth:`to_json`'s shape back.

        :raises PlanError: naming the first field that is missing or of the wrong type.
        """
        reader = _Reader(data, "plan")
        if reader.get("format", int) != PLAN_FORMAT:
            raise PlanError(f"plan.format: unknown patch plan format {reader.data.get('format')!r}")
        return cls(
            name=reader.get("name", str),
            version=reader.get("version", str),
            wheel=reader.optional("wheel", str),
            sha256=reader.optional("sha256", str),
            system=reader.get("system", str),
            glibc=reader.get("glibc", str),
            gcc=reader.get("gcc", int),
            soname_map=reader.get("soname_map", str),
            symbol_versions={k: str(v) for k, v in reader.get("symbol_versions", dict).items()},
            problems=tuple(
                VersionProblem(
                    **{k: r.get(k, str) for k in ("path", "library", "version", "available")}
                )
                for r in reader.items("problems")
            ),
            skipped=tuple(
                Skipped(r.get("path", str), r.get("reason", str)) for r in reader.items("skipped")
            ),
            links=tuple(
                Link(r.get("path", str), r.get("target", str)) for r in reader.items("links")
            ),
            files=tuple(_file_from_json(r) for r in reader.items("files")),
            ignore_missing=reader.strings("ignore-missing")
            if "ignore-missing" in reader.data
            else (),
        )


def _file_from_json(reader: _Reader) -> FilePlan:
    return FilePlan(
        path=reader.get("path", str),
        install=reader.get("install", str),
        interpreter=reader.optional("interpreter", str),
        old_runpath=reader.strings("old_runpath"),
        runpath=reader.strings("runpath"),
        needed=tuple(_needed_from_json(r) for r in reader.items("needed")),
    )


def _needed_from_json(reader: _Reader) -> Needed:
    source = reader.get("source", str)
    if source not in SOURCES:
        raise PlanError(
            f"{reader.where}.source: unknown source {source!r}", hint=f"one of {', '.join(SOURCES)}"
        )
    needed = Needed(
        soname=reader.get("soname", str),
        source=source,
        path=reader.optional("path", str),
        attr=reader.optional("attr", str),
        package=reader.optional("package", str),
        reason=reader.optional("reason", str),
    )
    required = {
        "wheel": "path",
        "sibling": "package",
        "nixpkgs": "attr",
        "unresolved": "reason",
    }.get(source)
    if required is not None and getattr(needed, required) is None:
        raise PlanError(f"{reader.where}.{required}: missing for source {source!r}")
    return needed


_T = TypeVar("_T")


class _Reader:
    """Typed access to one JSON object, naming the path of the field that is wrong."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise PlanError(f"{where}: expected an object, got {type(data).__name__}")
        self.data: dict[str, object] = data
        self.where = where

    def get(self, key: str, kind: type[_T]) -> _T:
        value = self.data.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise PlanError(f"{self.where}.{key}: expected {kind.__name__}, got {value!r}")
        return value

    def optional(self, key: str, kind: type[_T]) -> _T | None:
        return None if self.data.get(key) is None else self.get(key, kind)

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.get(key, list)
        if not all(isinstance(v, str) for v in values):
            raise PlanError(f"{self.where}.{key}: expected a list of strings")
        return tuple(values)

    def items(self, key: str) -> list[_Reader]:
        return [
            _Reader(item, f"{self.where}.{key}[{n}]") for n, item in enumerate(self.get(key, list))
        ]


# -- planning -----------------------------------------------------------------------------------


def install_path(member: str) -> str:
    """Where a wheel member lands, relative to site-packages (``.data/`` directories move).

    >>> install_path("foo-1.0.data/platlib/foo/_x.so"), install_path("foo-1.0.data/scripts/foo")
    ('foo/_x.so', '../../../bin/foo')
    """
    match = _DATA_RE.match(member)
    if match is None:
        return member
    scheme, rest = match[1], match[2]
    prefix = {
        "purelib": "",
        "platlib": "",
        "scripts": "../../../bin/",
        "data": "../../../",
        "headers": "../../../include/",
    }
    return prefix[scheme] + rest


def sibling_libraries(inspection: WheelInspection, package: str) -> dict[str, SiblingLibrary]:
    """soname → :class:`SiblingLibrary` for the libraries a (sibling) wheel ships."""
    found: dict[str, SiblingLibrary] = {}
    for elf in inspection.elfs:
        library = SiblingLibrary(package, install_path(elf.path))
        for name in filter(None, (elf.soname, elf.basename)):
            found.setdefault(name, library)
    return found


@frozen
class _Context:
    site: str  # an absolute stand-in for site-packages, as deep as the target's
    soname_map: SonameMap
    siblings: Mapping[str, SiblingLibrary]
    by_name: Mapping[str, tuple[ElfInfo, ...]]
    by_soname: Mapping[str, tuple[ElfInfo, ...]]


def plan(
    inspection: WheelInspection,
    *,
    target: Target,
    soname_map: SonameMap,
    siblings: Mapping[str, SiblingLibrary] | None = None,
    cxx: CxxRuntime = DEFAULT_CXX_RUNTIME,
    name: str | None = None,
    version: str | None = None,
    sha256: str | None = None,
) -> WheelPatchPlan:
    """Classify every needed library of every ELF file of a wheel; see the module docstring.

    :param name: project name (default: parsed from the wheel's file name).
    :param version: version (default: parsed from the wheel's file name).
    """
    name, version = _name_version(inspection.filename, name, version)
    by_name: dict[str, list[ElfInfo]] = {}
    by_soname: dict[str, list[ElfInfo]] = {}
    for elf in inspection.elfs:
        by_name.setdefault(elf.basename, []).append(elf)
        if elf.soname:
            by_soname.setdefault(elf.soname, []).append(elf)
    context = _Context(
        f"/prefix/lib/python{target.python_minor}/site-packages",
        soname_map,
        siblings or {},
        {k: tuple(v) for k, v in by_name.items()},
        {k: tuple(v) for k, v in by_soname.items()},
    )
    files: list[FilePlan] = []
    skipped: list[Skipped] = []
    links: dict[str, Link] = {}
    for elf in inspection.elfs:
        reason = _skip_reason(elf, target)
        if reason is not None:
            skipped.append(Skipped(elf.path, reason))
            continue
        file_plan, file_links = _plan_file(elf, context)
        files.append(file_plan)
        links.update((link.path, link) for link in file_links)
    versions, problems = _check_versions(files, inspection.elfs, target, cxx)
    ignored = sorted(
        {n.soname for f in files for n in f.needed if n.source == "unresolved"} & soname_map.ignored
    )
    return WheelPatchPlan(
        name=name,
        version=version,
        wheel=inspection.filename,
        sha256=sha256,
        system=target.system,
        glibc="{}.{}".format(*target.glibc),
        gcc=cxx.gcc,
        soname_map=soname_map.version,
        files=tuple(files),
        skipped=tuple(skipped),
        links=tuple(links.values()),
        symbol_versions=versions,
        problems=problems,
        ignore_missing=tuple(ignored),
    )


def _name_version(filename: str | None, name: str | None, version: str | None) -> tuple[str, str]:
    if (name is None or version is None) and filename:
        try:
            parsed_name, parsed_version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            pass
        else:
            return name or parsed_name, version or str(parsed_version)
    return name or "unknown", version or "unknown"


def _skip_reason(elf: ElfInfo, target: Target) -> str | None:
    machine = _MACHINES.get(target.arch)
    if machine is not None and elf.machine != machine:
        return f"{elf.machine} code does not run on {target.system}"
    if elf.elf_type not in ("ET_DYN", "ET_EXEC"):
        return f"{elf.elf_type} file (not loaded by the dynamic loader)"
    if not elf.dynamic:
        return "statically linked"
    return None


def _directory(path: str) -> str:
    """The directory of an install path, ``.`` for site-packages itself."""
    return posixpath.dirname(path) or "."


def _origin_entry(where: str, here: str, site: str) -> str:
    """The ``$ORIGIN`` entry that leads from directory ``here`` to directory ``where``.

    Both are relative to site-packages and may climb out of it (``../../../bin``), so they are
    joined to ``site``, a stand-in as deep as the real one (``lib/python3.12/site-packages``).
    """
    relative = posixpath.relpath(posixpath.join(site, where), posixpath.join(site, here))
    return "$ORIGIN" if relative == "." else f"$ORIGIN/{relative}"


def _plan_file(elf: ElfInfo, context: _Context) -> tuple[FilePlan, list[Link]]:
    install = install_path(elf.path)
    here = _directory(install)
    old = elf.runpath or elf.rpath
    kept = list(dict.fromkeys(entry for entry in old if _ORIGIN_RE.match(entry)))
    reachable = {_resolve(entry, here) for entry in kept}
    needed: list[Needed] = []
    links: list[Link] = []
    for soname in elf.needed:
        provider = _in_wheel(soname, here, reachable, context)
        if provider is None:
            needed.append(_outside(soname, context))
            continue
        needed.append(Needed(soname=soname, source="wheel", path=provider.path))
        where = _directory(install_path(provider.path))
        if where not in reachable:
            kept.append(_origin_entry(where, here, context.site))
            reachable.add(where)
        if provider.basename != soname:
            links.append(Link(posixpath.join(where, soname), provider.basename))
    return (
        FilePlan(
            path=elf.path,
            install=install,
            needed=tuple(needed),
            runpath=tuple(kept),
            old_runpath=old,
            interpreter=elf.interpreter,
        ),
        links,
    )


def _resolve(entry: str, here: str) -> str:
    """The directory (relative to site-packages) ``$ORIGIN…`` names for a file in ``here``."""
    rest = _ORIGIN_RE.sub("", entry).lstrip("/")
    return posixpath.normpath(posixpath.join(here, rest))


def _in_wheel(soname: str, here: str, reachable: set[str], context: _Context) -> ElfInfo | None:
    # Rule 1; among several copies prefer one the file reaches already, then one next to it,
    # then one the loader finds by name (rather than by DT_SONAME only), then the first path.
    candidates = {
        e.path: e for e in (*context.by_name.get(soname, ()), *context.by_soname.get(soname, ()))
    }
    if not candidates:
        return None

    def rank(elf: ElfInfo) -> tuple[bool, bool, bool, str]:
        where = _directory(install_path(elf.path))
        return (where not in reachable, where != here, elf.basename != soname, elf.path)

    return min(candidates.values(), key=rank)


def _outside(soname: str, context: _Context) -> Needed:
    sibling = context.siblings.get(soname)  # rule 2
    if sibling is not None:
        return Needed(soname=soname, source="sibling", package=sibling.package, path=sibling.path)
    soname_map = context.soname_map
    if soname in soname_map.ignored:  # the user's word, before rules 3 and 4
        return Needed(soname=soname, source="unresolved", reason=IGNORED_REASON)
    if soname_map.is_system(soname):  # rule 3
        return Needed(soname=soname, source="system")
    entry = soname_map.lookup(soname)  # rule 4
    if entry is not None:
        return Needed(soname=soname, source="nixpkgs", attr=entry.attr)
    return Needed(
        soname=soname, source="unresolved", reason=_unresolved_reason(soname, soname_map)
    )  # rule 5


def _unresolved_reason(soname: str, soname_map: SonameMap) -> str:
    if soname_map.is_host(soname):
        return "comes from the host's GPU driver at run time (apply's host allow-list)"
    relatives = soname_map.relatives(soname)
    if relatives:
        known = ", ".join(f"{entry.attr} has {other}" for other, entry in relatives)
        return f"no nixpkgs package known for this version ({known})"
    return "no nixpkgs package known for this soname"


def _parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _format_version(number: tuple[int, ...]) -> str:
    return ".".join(map(str, number))


def _check_versions(
    files: list[FilePlan], elfs: Iterable[ElfInfo], target: Target, cxx: CxxRuntime
) -> tuple[dict[str, str], tuple[VersionProblem, ...]]:
    """Newest symbol version per family needed from outside the wheel, and what is too new."""
    external = {(f.path, n.soname) for f in files for n in f.needed if n.source != "wheel"}
    newest: dict[str, tuple[int, ...]] = {}
    problems: list[VersionProblem] = []
    for elf in elfs:
        for need in elf.version_needs:
            if (elf.path, need.library) not in external:
                continue
            highest: dict[str, tuple[int, ...]] = {}
            for version in need.versions:
                match = _SYMBOL_VERSION_RE.match(version)
                if match is not None:
                    number = _parse_version(match[2])
                    highest[match[1]] = max(highest.get(match[1], number), number)
            for family, number in highest.items():
                newest[family] = max(newest.get(family, number), number)
                available = cxx.available(family, target)
                if number > available:
                    problems.append(
                        VersionProblem(
                            path=elf.path,
                            library=need.library,
                            version=f"{family}_{_format_version(number)}",
                            available=f"{family}_{_format_version(available)}",
                        )
                    )
    return {family: _format_version(number) for family, number in newest.items()}, tuple(problems)
