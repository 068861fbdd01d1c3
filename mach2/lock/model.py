"""The lock: the single source of truth between resolving (Python) and building (Nix).

The JSON shape is documented in implementation.md ("Lock format"); the Nix library reads it
with ``builtins.fromJSON``.  Bytes are deterministic: keys sorted, two-space indent, a final
newline, no timestamps other than the user's ``exclude-newer``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from mach2.atomic import write_atomic
from mach2.errors import LockError, TargetError
from mach2.model.target import SYSTEMS, Target

__all__ = [
    "LOCK_VERSION",
    "Lock",
    "LockInputs",
    "LockedArtifact",
    "LockedPackage",
    "SystemLock",
    "canonical_providers",
    "factor",
    "read_lock",
    "write_lock",
]

#: The lock-version this mach2 writes: one file for several systems (implementation.md,
#: "Lock format").  lock-version 1 (one system) is still read, and written back as 2.
LOCK_VERSION = 2
READABLE_VERSIONS = (1, 2)


def canonical_providers(providers: Mapping[str, str | list[str] | tuple[str, ...]]) -> str:
    """The provider order as the user gave it, in one canonical string.

    The Nix library computes the same string from its ``providers`` argument to detect a
    stale lock, so the rule is deliberately simple: keys sorted bytewise, values split on
    commas, blanks dropped, joined with ``,``; entries joined with ``;``.

    >>> canonical_providers({"numpy": "conda", "_default": "wheel, sdist"})
    '_default=wheel,sdist;numpy=conda'
    """
    parts = []
    for key in sorted(providers):
        value = providers[key]
        items = value.split(",") if isinstance(value, str) else list(value)
        parts.append(f"{key}={','.join(i.strip() for i in items if i.strip())}")
    return ";".join(parts)


@frozen(kw_only=True)
class LockInputs:
    """What the lock was made from, so a stale lock is detected (by mach2 and by Nix).

    :param requirements_sha256: sha256 of the requirements text exactly as given (the
        concatenated bytes of the top-level files); Nix compares it with
        ``builtins.hashString "sha256" requirements``.
    :param providers: :func:`canonical_providers` of the user's provider order.
    :param files: every input file read (includes too) → sha256.
    :param hash: sha256 over everything that influences the result (requirements, all files,
        providers, target, exclude-newer, index URLs, lock version, local paths).
    :param parts: the sha256 of each part of ``hash`` (``target``, ``providers``,
        ``conda-channels``...), so that a stale lock can say which part changed
        (``mach2 lock --check``); empty in locks from before.
    """

    requirements_sha256: str
    providers: str
    files: Mapping[str, str] = attrs.field(factory=dict)
    hash: str = ""
    #: Local directories of the inputs (relative to the lock) → sha256 of their metadata
    #: files (mach2.providers.direct.tree.metadata_sha256): an edit there makes the lock stale.
    paths: Mapping[str, str] = attrs.field(factory=dict)
    parts: Mapping[str, str] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "requirements-sha256": self.requirements_sha256,
            "providers": self.providers,
            "files": dict(sorted(self.files.items())),
            "hash": self.hash,
        }
        if self.paths:
            data["paths"] = dict(sorted(self.paths.items()))
        if self.parts:
            data["parts"] = dict(sorted(self.parts.items()))
        return data


@frozen(kw_only=True)
class LockedArtifact:
    """The file a package is built from.  ``kind``: wheel, sdist, conda, nixpkgs, url."""

    kind: str
    filename: str | None = None
    url: str | None = None
    sha256: str | None = None
    size: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for key, value in (
            ("filename", self.filename),
            ("url", self.url),
            ("sha256", self.sha256),
            ("size", self.size),
        ):
            if value is not None:
                data[key] = value
        data.update(self.extra)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LockedArtifact:
        known = {"kind", "filename", "url", "sha256", "size"}
        return cls(
            kind=data["kind"],
            filename=data.get("filename"),
            url=data.get("url"),
            sha256=data.get("sha256"),
            size=data.get("size"),
            extra={k: v for k, v in data.items() if k not in known},
        )


@frozen(kw_only=True)
class LockedPackage:
    """One package of the environment.

    :param key: the key in ``packages``: the normalized name, or ``conda:<name>`` for conda
        packages that are not Python projects.
    :param dependencies: key of each dependency → the requirement text(s) that pulled it in.
    :param build_system: for sdists, key of each build dependency → its requirement text.
    :param build_only: True when only needed to build sdists (not installed in the env).
    :param why_version: in a lock of several systems, why the version is not the one this
        system would take alone (one version per package), or why it differs per system.
    :param extra: provider-specific fields (``patchelf`` plan, ``nixpkgs`` attr, conda info).
    """

    key: str
    name: str
    version: str
    provider: str
    why_provider: str
    artifact: LockedArtifact
    extras: tuple[str, ...] = ()
    dependencies: Mapping[str, str] = attrs.field(factory=dict)
    build_system: Mapping[str, str] | None = None
    build_only: bool = False
    requires_python: str | None = None
    why_version: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "provider": self.provider,
            "why-provider": self.why_provider,
            "artifact": self.artifact.to_json(),
            "extras": sorted(self.extras),
            "dependencies": dict(sorted(self.dependencies.items())),
            "build-only": self.build_only,
        }
        if self.build_system is not None:
            data["build-system"] = dict(sorted(self.build_system.items()))
        if self.requires_python is not None:
            data["requires-python"] = self.requires_python
        if self.why_version is not None:
            data["why-version"] = self.why_version
        data.update(self.extra)
        return data

    @classmethod
    def from_json(cls, key: str, data: Mapping[str, Any]) -> LockedPackage:
        known = {
            "name", "version", "provider", "why-provider", "artifact", "extras",
            "dependencies", "build-only", "build-system", "requires-python", "why-version",
        }  # fmt: skip
        return cls(
            key=key,
            name=data["name"],
            version=data["version"],
            provider=data["provider"],
            why_provider=data["why-provider"],
            artifact=LockedArtifact.from_json(data["artifact"]),
            extras=tuple(data.get("extras", ())),
            dependencies=dict(data.get("dependencies", {})),
            build_system=data.get("build-system"),
            build_only=bool(data.get("build-only", False)),
            requires_python=data.get("requires-python"),
            why_version=data.get("why-version"),
            extra={k: v for k, v in data.items() if k not in known},
        )


@frozen(kw_only=True)
class SystemLock:
    """One system's resolution: its target, roots and packages (what lock-version 1 held).

    :param nixpkgs: the nixpkgs the nixpkgs provider's packages came from for this system
        (revision, tarball URL and sha256 when pinned, its Python); ``None`` when unused.
    """

    target: Target
    roots: tuple[str, ...]
    packages: Mapping[str, LockedPackage]
    nixpkgs: Mapping[str, Any] | None = None


def _ordered_systems(systems: Mapping[str, SystemLock]) -> dict[str, SystemLock]:
    """Systems in :data:`SYSTEMS` order (x86_64-linux, aarch64-linux, x86_64-darwin, …)."""
    return {name: systems[name] for name in sorted(systems, key=_system_rank)}


def _system_rank(name: str) -> tuple[int, str]:
    known: tuple[str, ...] = SYSTEMS
    return (known.index(name), name) if name in known else (len(known), name)


@frozen(kw_only=True)
class Lock:
    """A resolved environment for one or more systems (lock-version 2).

    Everything that decides the result is shared (inputs, providers, indexes, the cutoff, the
    Python version); each system has its own resolution (:class:`SystemLock`).  The file
    stores what the systems' packages have in common once (see :meth:`to_json`).

    :param read_version: the lock-version the lock was read from (1: migrated on read; it is
        written as lock-version 2).  Not part of equality.
    """

    systems: Mapping[str, SystemLock] = attrs.field(converter=_ordered_systems)
    inputs: LockInputs
    exclude_newer: str | None = None
    indexes: tuple[str, ...] = ()
    providers: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    generator: str = "mach2"
    #: The foreign lock the pins came from (``format``, ``file``, ``tool``), when there was one.
    foreign: Mapping[str, Any] | None = None
    read_version: int = attrs.field(default=LOCK_VERSION, eq=False)

    @systems.validator
    def _check_systems(self, _attribute: object, value: Mapping[str, SystemLock]) -> None:
        if not value:
            raise ValueError("a lock has at least one system")
        pythons = {s.target.python for s in value.values()}
        if len(pythons) != 1:
            raise ValueError(f"the systems of a lock share one Python, not {sorted(pythons)}")
        for name, system in value.items():
            if system.target.system != name:
                raise ValueError(f"system {name} holds a target for {system.target.system}")

    @classmethod
    def single(
        cls,
        *,
        target: Target,
        roots: tuple[str, ...] | list[str],
        packages: Mapping[str, LockedPackage],
        nixpkgs: Mapping[str, Any] | None = None,
        **shared: Any,
    ) -> Lock:
        """A lock of one system (what lock-version 1 held)."""
        system = SystemLock(target=target, roots=tuple(roots), packages=packages, nixpkgs=nixpkgs)
        return cls(systems={target.system: system}, **shared)

    # -- views ---------------------------------------------------------------------------------

    @property
    def system_names(self) -> tuple[str, ...]:
        return tuple(self.systems)

    @property
    def python(self) -> tuple[int, int, int]:
        return next(iter(self.systems.values())).target.python

    @property
    def targets(self) -> tuple[Target, ...]:
        return tuple(s.target for s in self.systems.values())

    def system(self, name: str, *, origin: str = "the lock") -> SystemLock:
        """The resolution of system ``name``.

        :raises LockError: the lock has no entries for it (with the command that adds it), or
            ``name`` is no system mach2 locks for (then adding it would fail too).
        """
        try:
            return self.systems[name]
        except KeyError:
            if name not in SYSTEMS:
                raise LockError(
                    f"unknown system {name!r} (the lock has {', '.join(self.systems)})",
                    hint=f"use one of {', '.join(SYSTEMS)}",
                ) from None
            names = [*self.systems, name]
            raise LockError(
                f"{origin} has no entries for {name} (it has {', '.join(self.systems)})",
                hint="add it with `mach2 lock " + " ".join(f"--system {n}" for n in names) + "`",
            ) from None

    def _only(self, what: str) -> SystemLock:
        if len(self.systems) != 1:
            raise LockError(
                f"`Lock.{what}` needs a lock of one system; this one has {', '.join(self.systems)}",
                hint="use `Lock.system(NAME)` or `Lock.systems`",
            )
        return next(iter(self.systems.values()))

    @property
    def target(self) -> Target:
        """The target of a one-system lock (:meth:`system` for a multi-system one)."""
        return self._only("target").target

    @property
    def packages(self) -> Mapping[str, LockedPackage]:
        """The packages of a one-system lock (:meth:`system` for a multi-system one)."""
        return self._only("packages").packages

    @property
    def roots(self) -> tuple[str, ...]:
        """The roots of a one-system lock (:meth:`system` for a multi-system one)."""
        return self._only("roots").roots

    @property
    def nixpkgs(self) -> Mapping[str, Any] | None:
        """The nixpkgs record of a one-system lock (:meth:`system` for a multi-system one)."""
        return self._only("nixpkgs").nixpkgs

    # -- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The lock-version 2 document.

        Per package, a field equal on every system the package is on is written once; the
        rest goes under ``systems.<system>``, whose keys are the systems the package is on.
        ``systems`` is left out when the package is on every system with nothing differing
        (so a lock of one system reads like lock-version 1).  The same rule puts ``roots``
        and ``nixpkgs`` at the top or under the lock's ``systems.<system>``.
        """
        names = list(self.systems)
        data: dict[str, Any] = {
            "lock-version": LOCK_VERSION,
            "generator": self.generator,
            "python": "{}.{}.{}".format(*self.python),
            "inputs": self.inputs.to_json(),
            "exclude-newer": self.exclude_newer,
            "indexes": list(self.indexes),
            "providers": {k: list(v) for k, v in sorted(self.providers.items())},
        }
        if self.foreign:
            data["foreign"] = dict(sorted(self.foreign.items()))
        entries = {name: _target_fields(s.target) for name, s in self.systems.items()}
        shared: dict[str, dict[str, Any]] = {
            name: {"roots": sorted(s.roots)}
            | ({"nixpkgs": dict(sorted(s.nixpkgs.items()))} if s.nixpkgs else {})
            for name, s in self.systems.items()
        }
        common, differing = factor(shared, names)
        data.update(common)
        for name, fields in differing.items():
            entries[name].update(fields)
        data["systems"] = entries
        keys = sorted({k for s in self.systems.values() for k in s.packages})
        packages = {}
        for key in keys:
            records = {
                name: s.packages[key].to_json()
                for name, s in self.systems.items()
                if key in s.packages
            }
            common, differing = factor(records, names)
            packages[key] = common | ({"systems": differing} if differing else {})
        data["packages"] = packages
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, origin: str = "<lock>") -> Lock:
        version = data.get("lock-version") if isinstance(data, Mapping) else None
        if isinstance(version, int) and not isinstance(version, bool) and version > LOCK_VERSION:
            raise LockError(
                f"{origin}: lock-version {version} was written by a newer mach2 "
                f"(this mach2 reads lock-version {' and '.join(map(str, READABLE_VERSIONS))})",
                hint="upgrade mach2 (or re-create the lock with this one: `mach2 lock`)",
            )
        if version not in READABLE_VERSIONS:
            raise LockError(
                f"{origin}: unsupported lock-version {version!r} "
                f"(this mach2 reads {' and '.join(map(str, READABLE_VERSIONS))})",
                hint="re-create it with `mach2 lock`",
            )
        try:
            inputs = data["inputs"]
            shared = {
                "inputs": LockInputs(
                    requirements_sha256=inputs["requirements-sha256"],
                    providers=inputs["providers"],
                    files=dict(inputs.get("files", {})),
                    hash=inputs.get("hash", ""),
                    paths=dict(inputs.get("paths", {})),
                    parts=dict(inputs.get("parts", {})),
                ),
                "exclude_newer": data.get("exclude-newer"),
                "indexes": tuple(data.get("indexes", ())),
                "providers": {k: tuple(v) for k, v in data.get("providers", {}).items()},
                "generator": data.get("generator", "mach2"),
                "foreign": data.get("foreign"),
            }
            if version == 1:
                return cls.single(
                    target=Target.from_json(data["target"]),
                    roots=tuple(data["roots"]),
                    packages={
                        k: LockedPackage.from_json(k, v) for k, v in data["packages"].items()
                    },
                    nixpkgs=data.get("nixpkgs"),
                    read_version=1,
                    **shared,
                )
            return cls(systems=_systems_from_json(data, origin), **shared)
        except TargetError as error:
            raise LockError(
                f"{origin}: malformed target: {error.message}",
                hint="re-create it with `mach2 lock`",
            ) from error
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise LockError(
                f"{origin}: malformed lock ({type(error).__name__}: {error})",
                hint="re-create it with `mach2 lock`",
            ) from error


def _target_fields(target: Target) -> dict[str, Any]:
    """A system's entry in the lock: its target without the shared Python and the key."""
    return {k: v for k, v in target.to_json().items() if k not in ("python", "system")}


def factor(
    records: Mapping[str, Mapping[str, Any]], systems: list[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split per-system records into what they share and what each system has of its own.

    A field is shared when every system of ``records`` has it with one value.  The second
    result maps each system of ``records`` to its own fields; it is empty when the records
    are on every system of ``systems`` and share everything.

    >>> factor({"a": {"v": 1, "f": "x"}, "b": {"v": 1, "f": "y"}}, ["a", "b"])
    ({'v': 1}, {'a': {'f': 'x'}, 'b': {'f': 'y'}})
    >>> factor({"a": {"v": 1}}, ["a", "b"])
    ({'v': 1}, {'a': {}})
    """
    values = list(records.values())
    first = values[0]
    common = {
        field: value
        for field, value in first.items()
        if all(field in other and other[field] == value for other in values[1:])
    }
    own = {
        name: {k: v for k, v in record.items() if k not in common}
        for name, record in records.items()
    }
    if set(records) == set(systems) and not any(own.values()):
        return common, {}
    return common, own


def _systems_from_json(data: Mapping[str, Any], origin: str) -> dict[str, SystemLock]:
    """The systems of a lock-version 2 document: each package's shared fields, then its own."""
    python = data["python"]
    entries = data["systems"]
    if not isinstance(entries, Mapping) or not entries:
        raise ValueError("`systems` must name at least one system")
    packages = data["packages"]
    for key, package in packages.items():
        own = package.get("systems")
        if own is not None:
            unknown = [name for name in own if name not in entries]
            if unknown:
                raise ValueError(
                    f"package {key} has entries for {unknown[0]}, not a system of the lock"
                )
    systems = {}
    for name, entry in entries.items():
        target = Target.from_json({"python": python, "system": name, **_target_only(entry)})
        found = {}
        for key, package in packages.items():
            own = package.get("systems")
            if own is None:
                record = package
            elif name in own:
                record = {k: v for k, v in package.items() if k != "systems"} | own[name]
            else:
                continue
            found[key] = LockedPackage.from_json(key, record)
        systems[name] = SystemLock(
            target=target,
            roots=tuple(entry.get("roots", data.get("roots", ()))),
            packages=found,
            nixpkgs=entry.get("nixpkgs", data.get("nixpkgs")),
        )
    return systems


def _target_only(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("glibc", "macos", "musl") if k in entry}


def read_lock(path: Path) -> Lock:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise LockError(
            f"{path}: not a mach2 lock (not UTF-8 text at byte {error.start})",
            hint="re-create it with `mach2 lock`",
        ) from None
    except FileNotFoundError:
        raise LockError(
            f"no lock file at {str(path)!r}", hint="create it with `mach2 lock`"
        ) from None
    except OSError as error:
        raise LockError(f"cannot read lock {str(path)!r}: {error.strerror}") from error
    from mach2.inputs.foreign import foreign_format

    kind = foreign_format(path)
    if kind is not None:
        # `mach2 why X --lock uv.lock`: another tool's lock, which mach2 takes as an input.
        raise LockError(
            f"{path} is a {kind}, not a mach2 lock",
            hint=f"make a mach2 lock from it: `mach2 lock -r {path}`, then --lock mach2.lock",
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LockError(
            f"{path}: not valid JSON (line {error.lineno}: {error.msg})",
            hint="re-create it with `mach2 lock`",
        ) from error
    if not isinstance(data, dict) or "lock-version" not in data:
        raise LockError(
            f"{path}: not a mach2 lock (JSON without a lock-version)",
            hint="pass the file `mach2 lock` wrote (mach2.lock, or its -o)",
        )
    return Lock.from_json(data, origin=str(path))


def write_lock(lock: Lock, path: Path) -> bool:
    """Write the lock atomically; return False (and touch nothing) when the bytes are unchanged."""
    text = lock.dumps()
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    write_atomic(path, text)
    return True


def sha256_text(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()
