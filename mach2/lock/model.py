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
from mach2.model.target import Target

__all__ = [
    "LOCK_VERSION",
    "Lock",
    "LockInputs",
    "LockedArtifact",
    "LockedPackage",
    "canonical_providers",
    "read_lock",
    "write_lock",
]

LOCK_VERSION = 1


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
        data.update(self.extra)
        return data

    @classmethod
    def from_json(cls, key: str, data: Mapping[str, Any]) -> LockedPackage:
        known = {
            "name", "version", "provider", "why-provider", "artifact", "extras",
            "dependencies", "build-only", "build-system", "requires-python",
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
            extra={k: v for k, v in data.items() if k not in known},
        )


@frozen(kw_only=True)
class Lock:
    """A resolved environment for one Target."""

    target: Target
    inputs: LockInputs
    roots: tuple[str, ...]
    packages: Mapping[str, LockedPackage]
    exclude_newer: str | None = None
    indexes: tuple[str, ...] = ()
    providers: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    generator: str = "mach2"
    #: The nixpkgs the nixpkgs provider's packages came from (revision, tarball URL and
    #: sha256 when pinned, its Python); ``None`` when that provider was not used.
    nixpkgs: Mapping[str, Any] | None = None
    #: The foreign lock the pins came from (``format``, ``file``, ``tool``), when there was one.
    foreign: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        optional = {
            key: dict(sorted(value.items()))
            for key, value in (("nixpkgs", self.nixpkgs), ("foreign", self.foreign))
            if value
        }
        return {
            "lock-version": LOCK_VERSION,
            "generator": self.generator,
            "target": self.target.to_json(),
            "inputs": self.inputs.to_json(),
            "exclude-newer": self.exclude_newer,
            "indexes": list(self.indexes),
            "providers": {k: list(v) for k, v in sorted(self.providers.items())},
            "roots": sorted(self.roots),
            "packages": {k: p.to_json() for k, p in sorted(self.packages.items())},
        } | optional

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, origin: str = "<lock>") -> Lock:
        version = data.get("lock-version") if isinstance(data, Mapping) else None
        if version != LOCK_VERSION:
            raise LockError(
                f"{origin}: unsupported lock-version {version!r} (this mach2 reads {LOCK_VERSION})",
                hint="re-create it with `mach2 lock`",
            )
        try:
            inputs = data["inputs"]
            return cls(
                target=Target.from_json(data["target"]),
                inputs=LockInputs(
                    requirements_sha256=inputs["requirements-sha256"],
                    providers=inputs["providers"],
                    files=dict(inputs.get("files", {})),
                    hash=inputs.get("hash", ""),
                    paths=dict(inputs.get("paths", {})),
                    parts=dict(inputs.get("parts", {})),
                ),
                roots=tuple(data["roots"]),
                packages={k: LockedPackage.from_json(k, v) for k, v in data["packages"].items()},
                exclude_newer=data.get("exclude-newer"),
                indexes=tuple(data.get("indexes", ())),
                providers={k: tuple(v) for k, v in data.get("providers", {}).items()},
                generator=data.get("generator", "mach2"),
                nixpkgs=data.get("nixpkgs"),
                foreign=data.get("foreign"),
            )
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
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LockError(
            f"{path}: not valid JSON (line {error.lineno}: {error.msg})",
            hint="re-create it with `mach2 lock`",
        ) from error
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
