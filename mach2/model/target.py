"""The Target: what an environment is built *for*.

The Target is the only source of PEP 508 marker environments and PEP 425 wheel tags.  Nothing
here reads the host: ``packaging.markers.Marker.evaluate`` and the ``packaging.tags`` helpers fill
gaps from the running interpreter, so we always hand them a complete environment and explicit
tag lists.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

import attrs
from attrs import frozen
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.version import Version

from mach2.errors import TargetError

__all__ = [
    "DEFAULT_GLIBC",
    "DEFAULT_MACOS",
    "NIXPKGS_PYTHON_MICRO",
    "SYSTEMS",
    "Target",
]

System = Literal["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"]
SYSTEMS: tuple[System, ...] = ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")

#: glibc of current nixpkgs (nixos-25.05 and unstable ship glibc 2.40); ``--glibc`` changes it.
DEFAULT_GLIBC = (2, 40)
#: The oldest macOS the environment must run on, by default: uv's default for its macOS
#: platforms (13.0, the oldest macOS Apple still supported when uv chose it), so a lock's
#: macOS wheels are uv's.  nixpkgs' own darwin stdenv builds for 11.3 (lib/systems/default.nix
#: ``darwinSdkVersion``), but most arm64 wheels of the scientific stack need macOS 12+
#: (scipy's are ``macosx_12_0_arm64``): with 11.0 they would be built from source.
#: ``--macos 11.0`` keeps older Macs.
DEFAULT_MACOS = (13, 0)
#: The patch release nixpkgs carries for each minor, used when only ``3.12`` is given, so that
#: ``python_full_version`` markers evaluate the way they will in the built environment.
NIXPKGS_PYTHON_MICRO = {
    (3, 8): 20,
    (3, 9): 24,
    (3, 10): 19,
    (3, 11): 14,
    (3, 12): 12,
    (3, 13): 9,
    (3, 14): 0,
}

_MANYLINUX_LEGACY = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def _parse_python_version(text: str) -> tuple[int, int, int]:
    match = _VERSION_RE.match(text.strip())
    if match is None:
        raise TargetError(
            f"invalid Python version {text!r}",
            hint="give MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 3.12",
        )
    major, minor = int(match[1]), int(match[2])
    if major != 3 or minor < 8:
        raise TargetError(
            f"unsupported Python version {text!r}", hint="mach2 builds for CPython 3.8 or newer"
        )
    if match[3] is not None:
        return major, minor, int(match[3])
    return major, minor, NIXPKGS_PYTHON_MICRO.get((major, minor), 0)


#: An example version for each ``_parse_pair`` kind, for its hint.
_PAIR_EXAMPLES = {"glibc": "2.28", "macOS": "13.0", "musl": "1.2"}


def _parse_pair(text: str, what: str) -> tuple[int, int]:
    match = re.match(r"^(\d+)\.(\d+)$", text.strip())
    if match is None:
        raise TargetError(
            f"invalid {what} version {text!r}",
            hint=f"give MAJOR.MINOR, e.g. {_PAIR_EXAMPLES.get(what, '2.28')}",
        )
    return int(match[1]), int(match[2])


@frozen(kw_only=True, cache_hash=True)
class Target:
    """Interpreter, Nix system and C library an environment is built for.

    :param python: CPython version ``(major, minor, patch)``.
    :param system: Nix system double.
    :param glibc: glibc version on Linux (ignored on Darwin); manylinux tags go up to it.
    :param macos: the oldest macOS the environment must run on (Darwin only).
    :param musl: a musl libc version instead of glibc (nixpkgs' ``pkgsMusl``): the wheel tags
        are then musllinux ones, up to it.
    """

    python: tuple[int, int, int] = attrs.field()
    system: System = attrs.field(default="x86_64-linux")
    glibc: tuple[int, int] = DEFAULT_GLIBC
    macos: tuple[int, int] = DEFAULT_MACOS
    musl: tuple[int, int] | None = None

    @system.validator
    def _check_system(self, _attribute: object, value: str) -> None:
        if value not in SYSTEMS:
            raise TargetError(f"unknown system {value!r}", hint=f"use one of {', '.join(SYSTEMS)}")

    @classmethod
    def from_strings(
        cls,
        python: str = "3.12",
        system: str = "x86_64-linux",
        glibc: str | None = None,
        macos: str | None = None,
        musl: str | None = None,
    ) -> Target:
        """Build a Target from command-line style strings (``"3.12"``, ``"2.28"``)."""
        if system not in SYSTEMS:
            raise TargetError(f"unknown system {system!r}", hint=f"use one of {', '.join(SYSTEMS)}")
        if musl and (glibc or not system.endswith("-linux")):
            raise TargetError(
                f"--musl {musl} needs a Linux system and no --glibc",
                hint="musl replaces glibc as the C library of a Linux target",
            )
        return cls(
            python=_parse_python_version(python),
            system=system,
            glibc=_parse_pair(glibc, "glibc") if glibc else DEFAULT_GLIBC,
            macos=_parse_pair(macos, "macOS") if macos else DEFAULT_MACOS,
            musl=_parse_pair(musl, "musl") if musl else None,
        )

    # -- derived facts ---------------------------------------------------------------------

    @property
    def python_version(self) -> Version:
        return Version("{}.{}.{}".format(*self.python))

    @property
    def python_minor(self) -> str:
        return "{}.{}".format(*self.python[:2])

    @property
    def arch(self) -> str:
        return self.system.split("-")[0]

    @property
    def is_linux(self) -> bool:
        return self.system.endswith("-linux")

    @cached_property
    def marker_environment(self) -> dict[str, str]:
        """The complete PEP 508 environment (every key, so nothing is filled from the host)."""
        full = "{}.{}.{}".format(*self.python)
        if self.is_linux:
            sys_platform, platform_system, machine = "linux", "Linux", self.arch
        else:
            sys_platform, platform_system = "darwin", "Darwin"
            machine = "arm64" if self.arch == "aarch64" else "x86_64"
        return {
            "implementation_name": "cpython",
            "implementation_version": full,
            "os_name": "posix",
            "platform_machine": machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": platform_system,
            "platform_version": "",
            "python_full_version": full,
            "python_version": self.python_minor,
            "sys_platform": sys_platform,
            "extra": "",
        }

    @cached_property
    def platform_tags(self) -> tuple[str, ...]:
        """Platform tags, most specific first (manylinux_2_40 … manylinux1; macOS floor … 10.x)."""
        if self.is_linux:
            return tuple(self._manylinux_tags())
        return tuple(self._macos_tags())

    def _musllinux_tags(self) -> list[str]:
        major, newest = self.musl or (1, 2)
        return [f"musllinux_{major}_{minor}_{self.arch}" for minor in range(newest, -1, -1)]

    def _manylinux_tags(self) -> list[str]:
        if self.musl is not None:
            return self._musllinux_tags()  # manylinux wheels need glibc: none of them fit
        major, newest = self.glibc
        tags = []
        for minor in range(newest, 4, -1):
            tags.append(f"manylinux_{major}_{minor}_{self.arch}")
            legacy = _MANYLINUX_LEGACY.get((major, minor))
            # manylinux1/2010 were only defined for x86 (PEP 513/571); manylinux2014 for all.
            if legacy == "manylinux2014" or (legacy is not None and self.arch == "x86_64"):
                tags.append(f"{legacy}_{self.arch}")
        return tags

    def _macos_tags(self) -> list[str]:
        # packaging's generator with every argument given explicitly reads nothing from the
        # host: arm64 gets 11+ arm64/universal2 plus 10.x universal2, x86_64 the 10.x formats.
        arch = "arm64" if self.arch == "aarch64" else "x86_64"
        # Apple silicon starts at macOS 11: a lower floor means 11 there.
        floor = max(self.macos, (11, 0)) if arch == "arm64" else self.macos
        return list(mac_platforms(floor, arch))

    @cached_property
    def tags(self) -> tuple[Tag, ...]:
        """Every compatible wheel tag, best first (PEP 425 order, abi3 forward compatible)."""
        version = self.python[:2]
        platforms = list(self.platform_tags)
        best = list(
            cpython_tags(version, abis=[f"cp{version[0]}{version[1]}"], platforms=platforms)
        )
        rest = list(
            compatible_tags(version, interpreter=f"cp{version[0]}{version[1]}", platforms=platforms)
        )
        return tuple(dict.fromkeys(best + rest))

    @cached_property
    def tag_rank(self) -> dict[tuple[str, str, str], int]:
        """``(interpreter, abi, platform)`` → rank, 0 best; a wheel fits when a tag is in here.

        Keyed by plain strings so wheel filenames are matched without building Tag objects.
        """
        return {(t.interpreter, t.abi, t.platform): rank for rank, t in enumerate(self.tags)}

    def describe(self) -> str:
        if self.musl is not None:
            libc = "musl {}.{}".format(*self.musl)
        elif self.is_linux:
            libc = "glibc {}.{}".format(*self.glibc)
        else:
            libc = "macOS {}.{}".format(*self.macos)
        return f"CPython {self.python_version} on {self.system} ({libc})"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "python": str(self.python_version),
            "system": self.system,
        }
        if self.musl is not None:
            data["musl"] = "{}.{}".format(*self.musl)
        elif self.is_linux:
            data["glibc"] = "{}.{}".format(*self.glibc)
        else:
            data["macos"] = "{}.{}".format(*self.macos)
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Target:
        return cls.from_strings(
            python=str(data["python"]),
            system=str(data["system"]),
            glibc=str(data["glibc"]) if "glibc" in data else None,
            macos=str(data["macos"]) if "macos" in data else None,
            musl=str(data["musl"]) if "musl" in data else None,
        )
