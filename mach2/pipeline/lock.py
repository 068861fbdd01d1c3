"""Stage 6, lock: the packages and what they were made from → a :class:`~mach2.lock.model.Lock`.

:func:`lock_inputs` is the lock's staleness key: a hash of everything that decides the
result (files, providers, target, cutoff, indexes, channels, nixpkgs...).  Each optional part
adds nothing when unused, so that locks that do not use it keep their hash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from mach2._version import __version__
from mach2.inputs import RequirementsInput
from mach2.lock.model import (
    Lock,
    LockedPackage,
    LockInputs,
    SystemLock,
    canonical_providers,
    sha256_text,
)
from mach2.model.names import normalize
from mach2.net.files import local_file
from mach2.pipeline.inputs import Request, index_urls, provider_order
from mach2.pipeline.options import LockOptions
from mach2.pipeline.providers import OpenProviders
from mach2.providers.direct.git import parse_git_url, redacted
from mach2.providers.direct.provider import is_local_reference
from mach2.providers.direct.tree import is_inside, metadata_sha256

__all__ = ["assemble", "local_paths", "lock_directory", "lock_inputs", "stale_reasons"]


def assemble(
    requests: Sequence[Request],
    packages: Mapping[str, Mapping[str, LockedPackage]],
    providers: Mapping[str, OpenProviders],
    options: LockOptions,
) -> Lock:
    """The stage: the Lock record, from one request per system and each system's packages
    and providers (keyed by system).  Local paths are recorded relative to the lock's
    directory (:func:`lock_directory`)."""
    first = requests[0]
    directory = lock_directory(first.requirements, options)
    systems: dict[str, SystemLock] = {
        request.target.system: SystemLock(
            target=request.target,
            roots=tuple(sorted({r.identifier for r in request.roots})),
            packages={
                key: _portable(package, directory, request.project)
                for key, package in packages[request.target.system].items()
            },
            nixpkgs=_nixpkgs_record(providers[request.target.system], options),
        )
        for request in requests
    }
    return Lock(
        systems=systems,
        inputs=lock_inputs(first.requirements, first.text, options),
        exclude_newer=_timestamp(options.exclude_newer),
        indexes=first.index_urls,
        providers=first.order.effective(),
        generator=f"mach2 {__version__}",
        foreign=_foreign_record(first),
    )


def _foreign_record(request: Request) -> dict[str, str] | None:
    """Which foreign lock the pins came from (its hash is in ``inputs.files``)."""
    if request.pins is None:
        return None
    lock = request.pins.lock
    return {"format": lock.format, "file": os.path.basename(lock.path), "tool": lock.tool}


def _nixpkgs_record(providers: OpenProviders, options: LockOptions) -> Mapping[str, Any] | None:
    if providers.nixpkgs is None:
        return None
    from mach2.providers.nixpkgs.configure import lock_record

    return lock_record(providers.nixpkgs, options.nixpkgs)


def lock_inputs(
    requirements: RequirementsInput, requirements_text: str, options: LockOptions
) -> LockInputs:
    """What a lock made from these inputs records about them (its staleness key)."""
    user_providers = canonical_providers(
        {k: list(v) for k, v in provider_order(options.providers).user.items()}
    )
    requirements_sha256 = sha256_text(requirements_text)
    files = _portable_names(requirements.files)
    parts: dict[str, object] = {
        "lock-version": 1,
        "requirements": requirements_sha256,
        "files": files,
        "providers": user_providers,
        # "lock-version" is the version of this formula (1), not of the file: one system
        # hashes as lock-version 1 did, so a migrated lock stays fresh.
        **_targets(options),
        "exclude-newer": _timestamp(options.exclude_newer),
        "indexes": index_urls(requirements, options),
        "pre": options.allow_prereleases or requirements.pre,
    }
    # Each of these adds nothing when unused, so that other locks keep their hash.
    channels = [*options.channels, *requirements.channels]
    if channels:
        parts["conda-channels"] = channels
    if options.cuda is not None:
        parts["conda-cuda"] = options.cuda
    if options.extras or options.groups:
        parts["selection"] = {"extras": sorted(options.extras), "groups": sorted(options.groups)}
    if not options.install_project:
        parts["no-install-project"] = True
    if options.packages or options.all_packages:
        parts["workspace-members"] = (
            "all" if options.all_packages else sorted({normalize(p) for p in options.packages})
        )
    if options.nixpkgs_index is not None or options.nixpkgs is not None:
        from mach2.providers.nixpkgs.index import input_identity

        nixpkgs = input_identity(options.nixpkgs_index, options.nixpkgs)
        if nixpkgs is not None:
            parts["nixpkgs"] = nixpkgs
    paths = local_paths(requirements, lock_directory(requirements, options))
    if paths:
        parts["paths"] = paths
    return LockInputs(
        requirements_sha256=requirements_sha256,
        providers=user_providers,
        files=files,
        hash=_input_hash(parts),
        paths=paths,
        parts={
            name: sha256_text(json.dumps(value, sort_keys=True)) for name, value in parts.items()
        },
    )


def lock_directory(requirements: RequirementsInput, options: LockOptions) -> Path:
    """Where the lock's relative paths start: ``options.lock_dir``, else the first input
    file's directory, else ``--project``, else the current directory."""
    if options.lock_dir is not None:
        return Path(os.path.abspath(options.lock_dir))
    if requirements.files:
        return Path(os.path.abspath(requirements.files[0][0])).parent
    return Path(os.path.abspath(options.project or "."))


def local_paths(requirements: RequirementsInput, lock_dir: Path) -> dict[str, str]:
    """The inputs' local directories (relative to ``lock_dir``) → their metadata hash; a
    foreign lock's directory entries count as inputs (a changed one makes its lock stale)."""
    found = {}
    urls = [entry.requirement.url for entry in requirements.requirements]
    if requirements.foreign is not None:
        urls += [p.source.url for p in requirements.foreign.packages if p.source is not None]
    for url in urls:
        if url is None or not is_local_reference(url):
            continue
        directory = local_directory(url)
        if directory is not None:
            found[_relative(directory, lock_dir)] = metadata_sha256(directory)
    return dict(sorted(found.items()))


def local_directory(url: str) -> Path | None:
    """The resolved directory a local reference names, ``None`` for a file or nothing."""
    location = url.split("#", 1)[0]
    path = local_file(location) if location.lower().startswith("file:") else Path(location)
    if path is None or not path.is_dir():
        return None
    return path.resolve()


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def _portable(package: LockedPackage, lock_dir: Path, project: Path | None) -> LockedPackage:
    """Local paths in the lock relative to the lock's directory, so the lock (and an env
    directory) can move with the project; a local file outside the project stays absolute."""
    artifact = package.artifact
    if artifact.kind == "path":
        path = Path(str(artifact.extra["path"]))
        extra = {**artifact.extra, "path": _relative(path, lock_dir)}
        return attrs.evolve(package, artifact=attrs.evolve(artifact, extra=extra))
    if artifact.kind not in ("wheel", "sdist") or artifact.url is None:
        return package  # conda's local channels keep their file:// URLs (conda.nix)
    local = local_file(artifact.url)
    if local is None:
        return package
    local = local.resolve()
    inside = project is not None and is_inside(local, project)
    extra = {**artifact.extra, "path": _relative(local, lock_dir) if inside else str(local)}
    return attrs.evolve(package, artifact=attrs.evolve(artifact, url=None, extra=extra))


def _targets(options: LockOptions) -> dict[str, object]:
    """The target of a one-system lock (as lock-version 1 hashed it), else every system's."""
    targets = options.targets
    if len(targets) == 1:
        return {"target": targets[0].to_json()}
    return {"targets": sorted((t.to_json() for t in targets), key=lambda t: str(t["system"]))}


def _input_hash(parts: Mapping[str, object]) -> str:
    return sha256_text(json.dumps(parts, sort_keys=True))


def _timestamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _portable_names(files: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Input files named relative to the first one's directory (``req.txt``, ``sub/more.txt``),
    so a lock records no host paths and is the same wherever the command was run from."""
    if not files:
        return {}
    base = os.path.dirname(os.path.abspath(files[0][0]))
    return {os.path.relpath(os.path.abspath(path), base): sha for path, sha in files}


#: What each part of the input hash is, in the user's words (a changed part whose value the
#: lock does not record is named by this); parts missing here are named as they are.
_PART_WORDS = {
    "lock-version": "the lock format (this mach2 writes another lock-version)",
    "pre": "--pre",
    "conda-channels": "the conda channels",
    "conda-cuda": "--cuda",
    "selection": "the --extra/--group selection",
    "no-install-project": "--no-install-project",
    "nixpkgs": "the nixpkgs (--nixpkgs, --nixpkgs-index or that file)",
}
#: Parts told by the input files themselves, or by a value the lock records (below).
_TOLD_ELSEWHERE = (
    "requirements", "files", "paths", "target", "targets", "providers", "exclude-newer",
    "indexes",
)  # fmt: skip


def stale_reasons(
    lock: Lock, requirements: RequirementsInput, requirements_text: str, options: LockOptions
) -> tuple[str, ...]:
    """Why ``lock`` was not made from these inputs, in words (empty when it was).

    A function of the two input records (the lock's and the one these inputs give): each
    input file that changed, each local path whose metadata files changed, each git
    requirement's ``@rev``, URL or subdirectory that differs from the lock's, each part of the
    input hash that changed — with the old and new values where the lock records them (the
    target, the provider order, ``--exclude-newer``, the index URLs) — else the part's name.
    Locks from before ``inputs.parts`` get the recorded values compared, and a general word
    for the rest.
    """
    now = lock_inputs(requirements, requirements_text, options)
    before = lock.inputs
    if now.hash == before.hash:
        return ()
    reasons = []
    for name, sha in now.files.items():
        if name not in before.files:
            reasons.append(f"{name} is new")
        elif before.files[name] != sha:
            reasons.append(f"{name} changed")
    reasons += [f"{name} is no longer an input" for name in before.files if name not in now.files]
    if not reasons and before.requirements_sha256 != now.requirements_sha256:
        reasons.append("the requirements changed")
    for path, sha in now.paths.items():
        if path not in before.paths:
            reasons.append(f"local path {path} is new")
        elif before.paths[path] != sha:
            reasons.append(
                f"local path {path} changed (its pyproject.toml, setup.py, setup.cfg or PKG-INFO)"
            )
    reasons += [
        f"local path {path} is no longer an input" for path in before.paths if path not in now.paths
    ]
    reasons += _git_changes(lock, requirements)
    reasons += _recorded_changes(lock, now, requirements, options)
    # A lock from before ``inputs.parts`` records none: its other parts cannot be compared
    # (naming every one as changed would be wrong), so the general word below stands in.
    names = dict.fromkeys([*before.parts, *now.parts]) if before.parts else {}
    reasons += [
        f"{_PART_WORDS.get(name, name)} changed"
        for name in names
        if name not in _TOLD_ELSEWHERE and before.parts.get(name) != now.parts.get(name)
    ]
    if not reasons:
        reasons.append("an option differs (--pre, channels, --cuda, extras, groups or nixpkgs)")
    return tuple(dict.fromkeys(reasons))


def _recorded_changes(
    lock: Lock, now: LockInputs, requirements: RequirementsInput, options: LockOptions
) -> list[str]:
    """The parts whose values the lock records: old → new."""
    found = []
    old: dict[str, dict[str, object]] = {t.system: t.to_json() for t in lock.targets}
    new: dict[str, dict[str, object]] = {t.system: t.to_json() for t in options.targets}
    pairs: list[tuple[str | None, dict[str, object], dict[str, object]]] = [
        (None, next(iter(old.values())), next(iter(new.values())))
    ]
    if len(old) > 1 or len(new) > 1:
        if set(old) != set(new):
            found.append(f"the systems changed: {', '.join(old)} → {', '.join(new)}")
        pairs = [(system, old[system], new[system]) for system in old if system in new]
    # The systems whose target changed, by the change: one line for a change they share
    # (`--python` differs on every system alike), not one per system.
    changes: dict[str, list[str | None]] = {}
    for system, old_target, new_target in pairs:
        if old_target == new_target:
            continue
        keys = [
            k
            for k in ("python", "system", "glibc", "musl", "macos")
            if k in old_target or k in new_target
        ]
        change = ", ".join(
            f"{k} {old_target.get(k, 'none')} → {new_target.get(k, 'none')}"
            for k in keys
            if old_target.get(k) != new_target.get(k)
        )
        changes.setdefault(change, []).append(system)
    for change, systems in changes.items():
        named = [s for s in systems if s]
        if not named:
            whose = "the target"
        elif len(pairs) > 1 and len(named) == len(pairs):
            whose = "the target of every system"
        else:
            whose = f"the target of {', '.join(named)}"
        found.append(f"{whose} changed: {change}")
    if lock.inputs.providers != now.providers:
        found.append(
            f"the provider order changed: {lock.inputs.providers or 'built-in'} → "
            f"{now.providers or 'built-in'}"
        )
    cutoff = _timestamp(options.exclude_newer)
    if lock.exclude_newer != cutoff:
        found.append(
            f"--exclude-newer changed: {lock.exclude_newer or 'none'} → {cutoff or 'none'}"
        )
    indexes = tuple(index_urls(requirements, options))
    if lock.indexes and tuple(lock.indexes) != indexes:
        found.append(f"the index URLs changed: {', '.join(lock.indexes)} → {', '.join(indexes)}")
    return found


def _git_changes(lock: Lock, requirements: RequirementsInput) -> list[str]:
    """Git requirements that ask for another reference than the lock holds."""
    found = []
    for entry in requirements.requirements:
        url = entry.requirement.url
        key = normalize(entry.requirement.name)
        # A git package is the same checkout on every system: the first system's holds it.
        package = next((s.packages[key] for s in lock.systems.values() if key in s.packages), None)
        if url is None or not url.startswith("git+") or package is None:
            continue
        artifact = package.artifact
        wanted = parse_git_url(url)
        if artifact.kind != "git":
            found.append(f"{entry.origin}: {package.key} is now a git requirement")
            continue
        locked_ref = artifact.extra.get("ref")
        rev = str(artifact.extra.get("rev", ""))
        if wanted.repository != artifact.url:
            found.append(
                f"{entry.origin}: {package.key} now comes from {redacted(wanted.repository)}"
            )
        elif wanted.rev not in (locked_ref, rev):
            had = locked_ref or "the default branch"
            asked = wanted.rev or "the default branch"
            found.append(
                f"{entry.origin}: {package.key} asks for {asked}, the lock has {had} ({rev[:12]})"
            )
        elif wanted.subdirectory != artifact.extra.get("subdirectory"):
            found.append(
                f"{entry.origin}: {package.key} now has subdirectory {wanted.subdirectory}"
            )
    return found
