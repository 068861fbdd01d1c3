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
from typing import Any

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
from mach2.pipeline.inputs import Request, index_urls, provider_order
from mach2.pipeline.options import LockOptions
from mach2.pipeline.providers import OpenProviders

__all__ = ["assemble", "lock_inputs", "stale_reasons"]


def assemble(
    requests: Sequence[Request],
    packages: Mapping[str, Mapping[str, LockedPackage]],
    providers: Mapping[str, OpenProviders],
    options: LockOptions,
) -> Lock:
    """The stage: the Lock record, from one request per system and each system's packages
    and providers (keyed by system)."""
    first = requests[0]
    systems: dict[str, SystemLock] = {
        request.target.system: SystemLock(
            target=request.target,
            roots=tuple(sorted({r.identifier for r in request.roots})),
            packages=packages[request.target.system],
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
    if options.nixpkgs_index is not None or options.nixpkgs is not None:
        from mach2.providers.nixpkgs.index import input_identity

        nixpkgs = input_identity(options.nixpkgs_index, options.nixpkgs)
        if nixpkgs is not None:
            parts["nixpkgs"] = nixpkgs
    return LockInputs(
        requirements_sha256=requirements_sha256,
        providers=user_providers,
        files=files,
        hash=_input_hash(parts),
        parts={
            name: sha256_text(json.dumps(value, sort_keys=True)) for name, value in parts.items()
        },
    )


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
    "nixpkgs": "the nixpkgs (--nixpkgs, --nixpkgs-index or that file)",
}
#: Parts told by the input files themselves, or by a value the lock records (below).
_TOLD_ELSEWHERE = (
    "requirements", "files", "target", "targets", "providers", "exclude-newer", "indexes",
)  # fmt: skip


def stale_reasons(
    lock: Lock, requirements: RequirementsInput, requirements_text: str, options: LockOptions
) -> tuple[str, ...]:
    """Why ``lock`` was not made from these inputs, in words (empty when it was).

    A function of the two input records (the lock's and the one these inputs give): each
    input file that changed, each part of the input hash that changed — with the old and new
    values where the lock records them (the target, the provider order, ``--exclude-newer``,
    the index URLs) — else the part's name.  Locks from before ``inputs.parts`` get the
    recorded values compared, and a general word for the rest.
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
    reasons += _recorded_changes(lock, now, requirements, options)
    names = dict.fromkeys([*before.parts, *now.parts])
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
    for system, old_target, new_target in pairs:
        if old_target == new_target:
            continue
        keys = [
            k
            for k in ("python", "system", "glibc", "musl", "macos")
            if k in old_target or k in new_target
        ]
        whose = f"the target of {system}" if system else "the target"
        found.append(
            f"{whose} changed: "
            + ", ".join(
                f"{k} {old_target.get(k, 'none')} → {new_target.get(k, 'none')}"
                for k in keys
                if old_target.get(k) != new_target.get(k)
            )
        )
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
