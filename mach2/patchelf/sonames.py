"""The soname → nixpkgs attribute map: which Nix package supplies a library a wheel needs.

The built-in map is data (``mach2/data/sonames.json``): versioned, and every entry names its
sources (the manylinux policy, nixpkgs' own manylinux list, the wheel scan, replit/upm, or
the maintainers).  It also lists the sonames glibc and the interpreter supply (``system``) and
the patterns of libraries the host's GPU driver supplies at run time (``host``).

Users extend it at lock time with a small JSON file, either ``{"libfoo.so.1": "foo"}`` or a
file shaped like the built-in one; :meth:`SonameMap.merged` puts their entries first.  A
``null`` (``{"libmpi.so.12": null}``) says the soname needs no library: the wheel's file that
needs it is never loaded, or the host supplies it (the plan's ``ignore-missing``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import attrs
from attrs import frozen

from mach2.errors import InputError

__all__ = [
    "SonameEntry",
    "SonameMap",
    "SonameMapError",
    "load_soname_map",
    "load_user_map",
    "soname_stem",
]

MAP_FORMAT = 1


class SonameMapError(InputError):
    """A soname map file is malformed."""


@frozen
class SonameEntry:
    """One soname's nixpkgs attribute and where that knowledge comes from.

    :param attr: attribute path below ``pkgs``, e.g. ``xorg.libX11`` or ``stdenv.cc.cc.lib``.
    :param sources: keys of :attr:`SonameMap.sources` (``user`` for user entries).
    :param note: a caveat worth showing next to the entry.
    """

    attr: str
    sources: tuple[str, ...] = ()
    note: str | None = None


def _freeze_entries(mapping: Mapping[str, SonameEntry]) -> Mapping[str, SonameEntry]:
    return MappingProxyType(dict(mapping))


def _freeze_sources(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@frozen(kw_only=True)
class SonameMap:
    """Soname knowledge the planner consults (see the module docstring).

    :param version: the data version (``mach2/data/sonames.json`` ``version``).
    :param entries: soname → :class:`SonameEntry`.
    :param system: sonames glibc and the interpreter supply.
    :param system_patterns: :mod:`fnmatch` patterns for the same (``libpython3.*.so*``).
    :param host_patterns: patterns of libraries that come from the host's GPU driver.
    :param sources: source key → description.
    :param ignored: sonames the user says need no library (``null`` in their map).
    """

    version: str
    entries: Mapping[str, SonameEntry] = attrs.field(converter=_freeze_entries, factory=dict)
    system: frozenset[str] = frozenset()
    system_patterns: tuple[str, ...] = ()
    host_patterns: tuple[str, ...] = ()
    sources: Mapping[str, str] = attrs.field(converter=_freeze_sources, factory=dict)
    ignored: frozenset[str] = frozenset()

    def lookup(self, soname: str) -> SonameEntry | None:
        return self.entries.get(soname)

    def is_system(self, soname: str) -> bool:
        return soname in self.system or any(
            fnmatch.fnmatchcase(soname, p) for p in self.system_patterns
        )

    def is_host(self, soname: str) -> bool:
        return any(fnmatch.fnmatchcase(soname, p) for p in self.host_patterns)

    def relatives(self, soname: str) -> tuple[tuple[str, SonameEntry], ...]:
        """Entries for other versions of the library (``libssl.so.3`` for ``libssl.so.1.1``)."""
        stem = soname_stem(soname)
        return tuple(
            (name, entry)
            for name, entry in sorted(self.entries.items())
            if name != soname and soname_stem(name) == stem
        )

    def merged(
        self, user: Mapping[str, str | SonameEntry | None], *, source: str = "user"
    ) -> SonameMap:
        """A copy with ``user`` entries (soname → attribute) taking precedence; ``None``
        ignores the soname (see the module docstring)."""
        extra = {
            soname: value if isinstance(value, SonameEntry) else SonameEntry(value, (source,))
            for soname, value in user.items()
            if value is not None
        }
        ignored = {soname for soname, value in user.items() if value is None}
        sources = dict(self.sources)
        sources.setdefault(source, "given by the user")
        return attrs.evolve(
            self,
            entries={k: v for k, v in {**self.entries, **extra}.items() if k not in ignored},
            sources=sources,
            ignored=(self.ignored - set(extra)) | ignored,
        )

    @classmethod
    def from_json(cls, data: object, *, origin: str = "soname map") -> SonameMap:
        """Read the built-in file's shape (see ``mach2/data/sonames.json``).

        :raises SonameMapError: a field is missing or has the wrong type.
        """
        if not isinstance(data, dict) or data.get("format") != MAP_FORMAT:
            raise SonameMapError(f"{origin}: not a soname map of format {MAP_FORMAT}")
        entries = {}
        for soname, raw in _dict(data, "sonames", origin).items():
            if not isinstance(raw, dict) or not isinstance(raw.get("attr"), str):
                raise SonameMapError(f'{origin}: sonames[{soname!r}] needs an "attr" string')
            entries[soname] = SonameEntry(
                raw["attr"], tuple(str(s) for s in raw.get("sources", ())), raw.get("note")
            )
        system = _dict(data, "system", origin)
        host = _dict(data, "host", origin)
        return cls(
            version=str(data.get("version", "unknown")),
            entries=entries,
            system=frozenset(_strings(system, "sonames", origin)),
            system_patterns=tuple(_strings(system, "patterns", origin)),
            host_patterns=tuple(_strings(host, "patterns", origin)),
            sources={str(k): str(v) for k, v in _dict(data, "sources", origin).items()},
        )


def _dict(data: dict[str, object], key: str, origin: str) -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise SonameMapError(f"{origin}: {key!r} must be an object")
    return value


def _strings(data: dict[str, object], key: str, origin: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SonameMapError(f"{origin}: {key!r} must be a list of strings")
    return value


def load_soname_map() -> SonameMap:
    """The built-in map shipped in ``mach2/data/sonames.json``."""
    text = resources.files("mach2").joinpath("data/sonames.json").read_text(encoding="utf-8")
    return SonameMap.from_json(json.loads(text), origin="mach2/data/sonames.json")


def load_user_map(path: str | Path) -> dict[str, SonameEntry | None]:
    """Read a user's map: ``{"libfoo.so.1": "foo", "libbar.so.2": null}`` (``null``: needs no
    library), or a file shaped like the built-in one.

    :raises SonameMapError: the file is unreadable or not of either shape.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SonameMapError(f"cannot read soname map {str(path)!r}: {error}") from error
    if isinstance(data, dict) and "format" in data:
        return dict(SonameMap.from_json(data, origin=str(path)).entries)
    if not isinstance(data, dict) or not all(
        v is None or isinstance(v, str) for v in data.values()
    ):
        raise SonameMapError(
            f"soname map {str(path)!r} must map sonames to nixpkgs attributes (or null)",
            hint='e.g. {"libodbc.so.2": "unixODBC", "libmpi.so.12": null}',
        )
    return {
        soname: None if attr is None else SonameEntry(attr, ("user",))
        for soname, attr in data.items()
    }


_SO_RE = re.compile(r"\.so(?:\.|$)")
_VERSION_TAIL_RE = re.compile(r"[-_.]?[0-9][0-9.]*$")


def soname_stem(soname: str) -> str:
    """The library's name without any version, for finding other versions of it.

    >>> [soname_stem(s) for s in ("libssl.so.1.1", "libtcl8.6.so", "libSDL2-2.0.so.0", "libz.so.1")]
    ['libssl.so', 'libtcl.so', 'libSDL2.so', 'libz.so']
    """
    match = _SO_RE.search(soname)
    base = soname[: match.start()] if match else soname
    return _VERSION_TAIL_RE.sub("", base) + ".so"
