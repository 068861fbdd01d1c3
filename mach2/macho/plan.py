"""Which libraries a macOS wheel loads from outside itself, and where Nix gets them (pure).

Every library a Mach-O slice of the target's architecture loads is classified:

1. part of macOS (``/usr/lib/…``, ``/System/…``): nothing to do;
2. the interpreter's (``libpython3.*``, ``Python.framework``): nothing to do;
3. inside the wheel: ``@loader_path/…`` or ``@rpath/…`` through an ``@loader_path`` rpath that
   lands on a member of the wheel (delocate's ``.dylibs/``);
4. a sibling wheel's: the same, landing on a member of a wheel the package depends on (the
   wheels share one site-packages);
5. outside: an absolute path (``/opt/homebrew/opt/libomp/lib/libomp.dylib``), a bare name,
   an ``@rpath`` no rpath resolves in site-packages.  The plan names the nixpkgs attribute
   that provides the library (:func:`dylib_attr`), or says ``unresolved`` and why.

Only case 5 makes a plan entry; a wheel without one has no plan (most wheels).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from mach2.macho.scan import MachoInspection, MachoSlice
from mach2.model.target import Target
from mach2.patchelf.sonames import SonameMap, soname_stem

__all__ = ["DARWIN_DYLIBS", "PLAN_FORMAT", "MachoLink", "MachoPlan", "dylib_attr", "plan"]

PLAN_FORMAT = 1

#: Libraries whose nixpkgs package on darwin is not the Linux soname map's (which names gcc's
#: ``stdenv.cc.cc.lib``; darwin's stdenv compiler is clang).  Curated by mach2's maintainers,
#: not evaluated against a nixpkgs revision: a wrong entry fails the build naming the library.
DARWIN_DYLIBS: Mapping[str, str] = {
    "libomp.dylib": "llvmPackages.openmp",  # LLVM's OpenMP runtime (brew's libomp)
    "libgomp.1.dylib": "gfortran.cc.lib",
    "libgfortran.5.dylib": "gfortran.cc.lib",
    "libquadmath.0.dylib": "gfortran.cc.lib",
    "libgcc_s.1.1.dylib": "gfortran.cc.lib",
    "libgcc_s.1.dylib": "gfortran.cc.lib",
}

_SYSTEM_PREFIXES = ("/usr/lib/", "/System/")
_INTERPRETER = re.compile(r"(^|/)(libpython3[.\d]*\.dylib|Python\.framework/)")
_DYLIB = re.compile(r"^(?P<stem>.+?)(?:\.(?P<version>[\d.]+))?\.dylib$")


@frozen(kw_only=True)
class MachoLink:
    """A library a Mach-O file loads from outside the wheel.

    :param file: the file's member path in the wheel.
    :param library: the load command's path, as written.
    :param attr: the nixpkgs attribute whose ``lib/`` has the library (its basename).
    :param unresolved: why no attribute is known (``attr`` is then None).
    :param weak: loaded weakly: the file loads without it.
    """

    file: str
    library: str
    attr: str | None = None
    unresolved: str | None = None
    weak: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "library": self.library}
        if self.attr is not None:
            data["attr"] = self.attr
        if self.unresolved is not None:
            data["unresolved"] = self.unresolved
        if self.weak:
            data["weak"] = True
        return data


@frozen(kw_only=True)
class MachoPlan:
    """The outside links of one wheel for one architecture (the lock's ``macho`` field)."""

    arch: str
    links: tuple[MachoLink, ...]

    @property
    def attrs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(link.attr for link in self.links if link.attr))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "arch": self.arch,
            "links": [link.to_json() for link in self.links],
        }


def dylib_attr(name: str, soname_map: SonameMap) -> str | None:
    """The nixpkgs attribute that provides the library ``name`` (a basename) on darwin.

    :data:`DARWIN_DYLIBS` first; then the soname map under the library's Linux name
    (``libz.1.dylib`` → ``libz.so.1``, an unversioned ``libz.dylib`` → any ``libz.so.*``),
    leaving out gcc's libraries (``stdenv.cc.cc…``, clang's on darwin).

    >>> from mach2.patchelf import load_soname_map
    >>> [dylib_attr(n, load_soname_map()) for n in ("libomp.dylib", "libz.1.dylib", "libnope.dylib")]
    ['llvmPackages.openmp', 'zlib', None]
    """
    own = soname_map.lookup(name)  # a user's --soname-map entry for the dylib itself
    if own is not None:
        return own.attr
    if name in DARWIN_DYLIBS:
        return DARWIN_DYLIBS[name]
    match = _DYLIB.match(name)
    if match is None:
        return None
    stem, version = match["stem"], match["version"]
    candidates = []
    if version:
        entry = soname_map.lookup(f"{stem}.so.{version}")
        if entry is not None:
            candidates.append(entry.attr)
    wanted = soname_stem(f"{stem}.so")
    candidates += [
        entry.attr
        for soname, entry in sorted(soname_map.entries.items())
        if soname_stem(soname) == wanted
    ]
    return next((a for a in candidates if not a.startswith("stdenv.cc.cc")), None)


def plan(
    inspection: MachoInspection,
    *,
    target: Target,
    soname_map: SonameMap,
    siblings: Iterable[str] = (),
) -> MachoPlan | None:
    """The wheel's outside links for ``target``'s architecture; None when it has none.

    :param siblings: member paths of the wheels the package depends on (they share the
        wheel's site-packages, so ``@loader_path/../torch/lib/x.dylib`` may land there).
    """
    arch = "arm64" if target.arch == "aarch64" else "x86_64"
    members = set(inspection.members)
    shared = members | set(siblings)
    links: list[MachoLink] = []
    for file in inspection.files:
        found = file.slice_for(arch)
        if found is None:
            have = ", ".join(s.arch for s in file.slices)
            links.append(
                MachoLink(
                    file=file.path,
                    library="",
                    unresolved=f"has no {arch} code (it has {have}), so it cannot load on {target.system}",
                )
            )
            continue
        for library in found.libraries:
            link = _classify(file.path, library, found, shared, soname_map)
            if link is not None:
                links.append(link)
    return MachoPlan(arch=arch, links=tuple(links)) if links else None


def _classify(
    path: str, library: str, found: MachoSlice, shared: set[str], soname_map: SonameMap
) -> MachoLink | None:
    if library.startswith(_SYSTEM_PREFIXES) or _INTERPRETER.search(library):
        return None
    directory = posixpath.dirname(path)
    if library.startswith("@loader_path/"):
        if _inside(directory, library.removeprefix("@loader_path/"), shared):
            return None
    elif library.startswith("@rpath/"):
        rest = library.removeprefix("@rpath/")
        for rpath in found.rpaths:
            if rpath.startswith("@loader_path") and _inside(
                directory,
                posixpath.join(rpath.removeprefix("@loader_path").lstrip("/"), rest),
                shared,
            ):
                return None
    weak = library in found.weak
    name = posixpath.basename(library)
    if name in soname_map.ignored:  # the user's map says `null`: it needs no library
        return None
    attr = dylib_attr(name, soname_map)
    if attr is not None:
        return MachoLink(file=path, library=library, attr=attr, weak=weak)
    where = (
        "a bare name dyld looks up in /usr/local/lib" if "/" not in library else "outside the wheel"
    )
    if library.startswith("@rpath/"):
        where = "an @rpath no rpath of the file resolves inside site-packages"
    return MachoLink(
        file=path,
        library=library,
        unresolved=f"{where}, not part of macOS, and no nixpkgs package is known for {name} "
        "(add one with --soname-map)",
        weak=weak,
    )


def _inside(directory: str, relative: str, members: set[str]) -> bool:
    resolved = posixpath.normpath(posixpath.join(directory, relative))
    return resolved in members
