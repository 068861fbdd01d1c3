"""mach2's library API: everything the CLI does, as typed functions.

>>> from mach2 import Target, lock_requirements   # doctest: +SKIP
>>> lock = lock_requirements([Path("requirements.txt")], target=Target.from_strings("3.12"),
...                          providers="wheel,sdist", cache_dir=Path("~/.cache/mach2"))
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from mach2 import __version__
from mach2.buildfix import add_build_fixes
from mach2.errors import InputError, LockError, ResolutionFailed
from mach2.inputs import RequirementsInput, read_input
from mach2.lock.build import build_system_entries, locked_packages
from mach2.lock.model import (
    Lock,
    LockedPackage,
    LockInputs,
    canonical_providers,
    sha256_text,
)
from mach2.model.artifact import DistFile
from mach2.model.names import PYTHON_IDENTIFIER, is_conda_native, normalize
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies, Provider
from mach2.providers.conda import locking as conda_locking
from mach2.providers.order import ProviderOrder, parse_provider_option
from mach2.providers.pypi.client import DEFAULT_INDEX_URL, PyPIClient
from mach2.providers.pypi.metadata import parse_metadata
from mach2.providers.pypi.provider import PackageIndex, SdistProvider, WheelProvider
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement
from mach2.resolve.resolver import Resolution, resolve

__all__ = [
    "LockOptions",
    "is_fresh",
    "lock_input",
    "lock_inputs",
    "lock_requirements",
    "read_requirement_files",
]

if TYPE_CHECKING:
    from mach2.providers.nixpkgs.index import NixpkgsIndex, NixpkgsSource

# The nixpkgs, sdist-build and patchelf modules are imported where they are used: a lock that
# needs none of them (warm, PyPI wheels) should not pay for loading them.

#: ``on_progress(stage, item, done, total)``: stage ``"resolve"`` (item: the package just
#: pinned, done: pins so far, total: None) or ``"plan"`` (item: the binary wheel just
#: inspected, done/total: wheels).  Called from the thread doing the work.
ProgressCallback = Callable[[str, str, int, int | None], None]


@frozen(kw_only=True)
class LockOptions:
    """How to lock, apart from the requirements themselves.

    :param providers: ``"wheel,sdist"``, ``"_default=wheel;numpy=sdist"`` or a mapping.
    :param host_python: interpreter that runs PEP 517 hooks for sdist metadata.
    """

    target: Target
    providers: str | Mapping[str, str | Sequence[str]] | None = None
    exclude_newer: datetime | None = None
    index_urls: Sequence[str] | None = None
    cache_dir: Path | None = None
    host_python: str = "python3"
    #: Interpreters to prefer for the PEP 517 hooks when one exists and has the target's
    #: minor version (the CLI passes ``python3.12`` for a 3.12 target): a ``setup.py`` that
    #: computes its dependencies from the running Python then sees the right one.
    host_pythons: Sequence[str] = ()
    offline: bool = False
    refresh: bool = False
    allow_prereleases: bool = False
    #: Plan the RUNPATH rewrites of binary wheels (downloads them once, cached by sha256).
    patchelf: bool = True
    #: Extra soname → nixpkgs attribute entries (JSON file, see ``mach2 patchelf``).
    soname_map: Path | None = None
    #: Conda channels (``conda-forge``, ``NAME=URL_OR_DIR``), before an environment.yml's:
    #: the ``conda`` provider is all of them, ``conda/NAME`` one (see mach2.providers.conda.locking).
    channels: Sequence[str] = ()
    #: Optional dependencies (extras) and PEP 735 groups of pyproject.toml inputs to include.
    extras: Sequence[str] = ()
    groups: Sequence[str] = ()
    #: Offer conda's ``__cuda`` virtual package at this driver version.
    cuda: str | None = None
    #: The nixpkgs provider's packages: a prepared index file (docs/nixpkgs.md) ...
    nixpkgs_index: Path | None = None
    #: ... or a nixpkgs to index with Nix: a path, ``<nixpkgs>``, a flake reference, a
    #: revision, or ``NixpkgsSource.github(rev, sha256)`` (the env dir's pin).  Neither: no
    #: nixpkgs provider (a ``nixpkgs`` entry of the user is then an error).
    nixpkgs: str | NixpkgsSource | None = None


def read_requirement_files(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] = {},
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> tuple[RequirementsInput, str]:
    """Read and merge the inputs; also return their raw text (for the lock's input hash).

    :param extras: optional-dependency groups of the ``pyproject.toml`` inputs to include.
    :param groups: PEP 735 dependency groups of the ``pyproject.toml`` inputs to include.
    """
    if not paths:
        raise InputError(
            "no requirements given", hint="pass -r requirements.txt (or a pyproject.toml)"
        )
    if (extras or groups) and not any(p.name == "pyproject.toml" for p in paths):
        raise InputError(
            "--extra and --group select parts of a pyproject.toml, and none was given",
            hint="pass -r pyproject.toml",
        )
    merged = RequirementsInput()
    texts = []
    for path in paths:
        selection = {"extras": extras, "groups": groups} if path.name == "pyproject.toml" else {}
        merged = merged.merged(read_input(path, environ=environ, **selection))
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return merged, "".join(texts)


def _order(
    providers: str | Mapping[str, str | Sequence[str]] | None,
    requirements: RequirementsInput | None = None,
) -> ProviderOrder:
    builtin = conda_locking.builtin_order(requirements)
    if providers is None:
        return ProviderOrder.from_mapping({}, builtin=builtin)
    if isinstance(providers, str):
        return ProviderOrder.from_mapping(
            parse_provider_option(providers), where=f"-p {providers!r}", builtin=builtin
        )
    return ProviderOrder.from_mapping(providers, builtin=builtin)


def _roots(
    requirements: RequirementsInput, target: Target
) -> tuple[list[Requirement], list[Requirement]]:
    environment = dict(target.marker_environment)
    roots, constraints = [], []
    for entry in requirements.requirements:
        marker = entry.requirement.marker
        if marker is not None and not marker.evaluate(environment):
            continue
        if entry.editable:
            raise InputError(
                f"{entry.origin}: editable requirements are not supported by mach2 lock yet",
                hint="reference a built wheel or sdist with NAME @ URL instead",
            )
        roots.append(
            Requirement.from_pep508(
                entry.requirement, origin=entry.origin, hashes=frozenset(entry.hashes)
            )
        )
    for entry in requirements.constraints:
        marker = entry.requirement.marker
        if marker is None or marker.evaluate(environment):
            constraints.append(
                Requirement.from_pep508(
                    entry.requirement, origin=entry.origin, hashes=frozenset(entry.hashes)
                )
            )
    roots += conda_locking.roots(requirements, target)
    return roots, constraints


def _wheel_dependencies(data: bytes) -> Dependencies:
    metadata = parse_metadata(data)
    return Dependencies(
        requires_dist=metadata.requires_dist,
        requires_python=metadata.requires_python,
        provides_extra=metadata.provides_extra,
    )


def _hook_interpreter(options: LockOptions) -> str:
    """The first of ``host_pythons`` that runs and has the target's minor version, else
    ``host_python``."""
    import shutil
    import subprocess

    wanted = "{}.{}".format(*options.target.python[:2])
    for name in options.host_pythons:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            probe = subprocess.run(
                [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0 and probe.stdout.strip() == wanted:
            return path
    return options.host_python


def _sdist_reader(options: LockOptions) -> Callable[[Path, DistFile], Dependencies]:
    interpreter: list[str] = []  # chosen on first use: most locks build no sdist metadata

    def read(path: Path, file: DistFile) -> Dependencies:
        from mach2.providers.pypi.sdist import read_sdist_metadata

        if not interpreter:
            interpreter.append(_hook_interpreter(options))
        sha256 = file.sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
        metadata = read_sdist_metadata(
            path, sha256=sha256, cache_dir=options.cache_dir, python=interpreter[0]
        )
        return Dependencies(
            requires_dist=metadata.requires_dist,
            requires_python=metadata.requires_python,
            provides_extra=metadata.provides_extra,
            source=metadata.source,
            build_requires=metadata.build_requires,
        )

    return read


def _nixpkgs_index(options: LockOptions) -> NixpkgsIndex | None:
    from mach2.providers.nixpkgs.index import (
        NixpkgsSource,
        evaluate_index,
        parse_nixpkgs_source,
        python_attr,
        read_index,
    )

    if options.nixpkgs_index is not None:
        return read_index(options.nixpkgs_index)
    if options.nixpkgs is not None:
        source = options.nixpkgs
        return evaluate_index(
            source if isinstance(source, NixpkgsSource) else parse_nixpkgs_source(source),
            python=python_attr(options.target.python),
            system=options.target.system,
            cache_dir=options.cache_dir,
            refresh=options.refresh,
        )
    return None


def _nixpkgs_record(options: LockOptions, index: NixpkgsIndex | None) -> dict[str, Any] | None:
    """What the lock says about the nixpkgs the nixpkgs provider used (None: not used)."""
    if index is None:
        return None
    record: dict[str, Any] = {k: v for k, v in index.nixpkgs.items() if v is not None}
    if index.python:
        record["python"] = index.python
    source = options.nixpkgs
    if source is not None and not isinstance(source, str):  # a pinned NixpkgsSource
        record.update({"kind": source.kind, "source": source.value})
        if source.sha256:
            record["sha256"] = source.sha256
    elif source is not None:
        record["source"] = source
    return record


def _with_nixpkgs_sources(
    packages: dict[str, LockedPackage], index: PackageIndex
) -> dict[str, LockedPackage]:
    """Give nixpkgs packages PyPI's sdist of their version, for the Nix side's override path."""
    from mach2.providers.nixpkgs.provider import pypi_source

    result = dict(packages)
    for key, package in packages.items():
        if package.provider != "nixpkgs":
            continue
        sdist = pypi_source(index, normalize(package.name), Version(package.version))
        if sdist is not None:
            artifact = attrs.evolve(
                package.artifact, filename=sdist.filename, url=sdist.url, sha256=sdist.sha256
            )
            result[key] = attrs.evolve(package, artifact=artifact)
    return result


def _input_hash(parts: Mapping[str, object]) -> str:
    return sha256_text(json.dumps(parts, sort_keys=True))


def _timestamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _index_urls(requirements: RequirementsInput, options: LockOptions) -> list[str]:
    urls = list(options.index_urls or [])
    return urls or [requirements.index_url or DEFAULT_INDEX_URL, *requirements.extra_index_urls]


def _portable_names(files: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Input files named relative to the first one's directory (``req.txt``, ``sub/more.txt``),
    so a lock records no host paths and is the same wherever the command was run from."""
    if not files:
        return {}
    base = os.path.dirname(os.path.abspath(files[0][0]))
    return {os.path.relpath(os.path.abspath(path), base): sha for path, sha in files}


def lock_inputs(
    requirements: RequirementsInput, requirements_text: str, options: LockOptions
) -> LockInputs:
    """What a lock made from these inputs records about them (its staleness key)."""
    user_providers = canonical_providers(
        {k: list(v) for k, v in _order(options.providers).user.items()}
    )
    requirements_sha256 = sha256_text(requirements_text)
    files = _portable_names(requirements.files)
    parts: dict[str, object] = {
        "lock-version": 1,
        "requirements": requirements_sha256,
        "files": files,
        "providers": user_providers,
        "target": options.target.to_json(),
        "exclude-newer": _timestamp(options.exclude_newer),
        "indexes": _index_urls(requirements, options),
        "pre": options.allow_prereleases or requirements.pre,
    }
    # Each of these adds nothing when unused, so that other locks keep their hash.
    parts.update(conda_locking.hash_parts(requirements, options))
    if options.extras or options.groups:
        parts["selection"] = {"extras": sorted(options.extras), "groups": sorted(options.groups)}
    nixpkgs = None
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
    )


def is_fresh(lock: Lock, paths: Sequence[Path], options: LockOptions) -> bool:
    """Whether ``lock`` was made from exactly these inputs (files, providers, target, …)."""
    requirements, text = read_requirement_files(paths, extras=options.extras, groups=options.groups)
    return lock.inputs.hash == lock_inputs(requirements, text, options).hash


def lock_input(
    requirements: RequirementsInput,
    requirements_text: str,
    options: LockOptions,
    *,
    index: PackageIndex | None = None,
    on_progress: ProgressCallback | None = None,
) -> Lock:
    """Resolve ``requirements`` for ``options.target`` into a :class:`Lock`.

    :param requirements_text: the requirements as the user wrote them; its sha256 lets the Nix
        library tell a stale lock from its ``requirements`` argument.
    :param index: a package index to use instead of a :class:`PyPIClient` (tests, mirrors).
    :raises Mach2Error: bad input, an unreachable index, or no solution (with the story).
    """
    order = _order(options.providers, requirements)
    index_urls = _index_urls(requirements, options)
    client = None
    if index is None:
        client = PyPIClient(
            index_urls=index_urls,
            cache_dir=options.cache_dir / "pypi" if options.cache_dir else None,
            exclude_newer=options.exclude_newer,
            offline=options.offline,
            refresh=options.refresh,
        )
        index = client
    providers: dict[str, Provider] = {
        "wheel": WheelProvider(index, options.target, _wheel_dependencies),
        "sdist": SdistProvider(index, options.target, _sdist_reader(options)),
    }
    roots, constraints = _roots(requirements, options.target)
    nixpkgs_index: NixpkgsIndex | None = None
    try:
        providers.update(conda_locking.providers(requirements, options))
        nixpkgs_index = _nixpkgs_index(options)
        if nixpkgs_index is not None:
            from mach2.providers.nixpkgs.provider import NixpkgsProvider, pypi_dependencies

            providers["nixpkgs"] = NixpkgsProvider(
                nixpkgs_index,
                options.target,
                pypi_dependencies(index, _wheel_dependencies, options.target),
            )
        packages = _resolve_all(
            order, providers, roots, constraints, requirements, options, on_progress
        )
        packages = _hash_direct_references(packages, index)
        packages = add_build_fixes(packages, functools.partial(_download, index))
        if options.patchelf:
            packages = _plan_binaries(packages, index, options, on_progress)
        if nixpkgs_index is not None:
            packages = _with_nixpkgs_sources(packages, index)
        if client is not None:
            client.flush()  # the pages fetched, into the cache (a cache error surfaces here)
    finally:
        if client is not None:
            client.close()
    inputs = lock_inputs(requirements, requirements_text, options)
    exclude_newer = _timestamp(options.exclude_newer)
    return Lock(
        target=options.target,
        inputs=inputs,
        roots=tuple(sorted({r.identifier for r in roots})),
        packages=packages,
        exclude_newer=exclude_newer,
        indexes=tuple(index_urls),
        providers=order.effective(),
        generator=f"mach2 {__version__}",
        nixpkgs=_nixpkgs_record(options, nixpkgs_index),
    )


def _download(index: PackageIndex, package: LockedPackage) -> Path:
    """The locked file of ``package``, from the index's cache (downloaded once, hash-checked)."""
    artifact = package.artifact
    if not (artifact.filename and artifact.url):
        raise LockError(f"locked package {package.key} has no file to download")
    return index.download(
        DistFile(
            filename=artifact.filename, url=artifact.url, sha256=artifact.sha256, size=artifact.size
        )
    )


def _hash_direct_references(
    packages: dict[str, LockedPackage], index: PackageIndex
) -> dict[str, LockedPackage]:
    """Every artifact in the lock has a sha256: a `name @ url` without one is downloaded and hashed."""
    result = dict(packages)
    for key, package in packages.items():
        artifact = package.artifact
        if artifact.sha256 is None and artifact.url and artifact.filename:
            path = index.download(
                DistFile(filename=artifact.filename, url=artifact.url, sha256=None)
            )
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            result[key] = attrs.evolve(
                package, artifact=attrs.evolve(artifact, sha256=digest, size=path.stat().st_size)
            )
    return result


def _plan_binaries(
    packages: dict[str, LockedPackage],
    index: PackageIndex,
    options: LockOptions,
    on_progress: ProgressCallback | None = None,
) -> dict[str, LockedPackage]:
    from mach2.patchelf import load_soname_map, load_user_map

    soname_map = load_soname_map()
    if options.soname_map is not None:
        soname_map = soname_map.merged(load_user_map(options.soname_map))

    from mach2.lock.patchelf import InspectionCache, add_patch_plans

    cache = InspectionCache(options.cache_dir / "elf-inspections" if options.cache_dir else None)

    def inspected(key: str, done: int, total: int) -> None:
        if on_progress is not None:
            on_progress("plan", key, done, total)

    return add_patch_plans(
        packages,
        target=options.target,
        download=functools.partial(_download, index),
        soname_map=soname_map,
        cache=cache,
        on_inspected=inspected,
    )


def _resolve_all(
    order: ProviderOrder,
    providers: Mapping[str, Provider],
    roots: list[Requirement],
    constraints: list[Requirement],
    requirements: RequirementsInput,
    options: LockOptions,
    on_progress: ProgressCallback | None,
) -> dict[str, LockedPackage]:
    """The runtime resolution, then the build systems of its sdists (until none are new)."""
    pinned = 0

    def on_pin(candidate: Candidate) -> None:
        nonlocal pinned
        pinned += 1
        if on_progress is not None:
            on_progress("resolve", candidate.name, pinned, None)

    def factory() -> Factory:
        return Factory(
            target=options.target,
            order=order,
            providers=providers,
            constraints=constraints,
            allow_prereleases=options.allow_prereleases or requirements.pre,
        )

    runtime_factory = factory()
    try:
        runtime = resolve(runtime_factory, roots, on_pin=on_pin)
    finally:
        runtime_factory.close()
    packages = locked_packages(runtime_factory, runtime)
    build_system: dict[str, tuple[str, ...]] = {}
    pending = _sdists(runtime_factory, runtime)
    build_roots: list[Requirement] = []
    for _ in range(10):  # build backends are wheels in practice; the bound guards cycles
        new = {n: reqs for n, reqs in pending.items() if n not in build_system}
        if not new:
            break
        build_system.update(new)
        build_roots += [
            Requirement.from_pep508(p, origin=f"build-system of {name}")
            for name, texts in new.items()
            for p in (runtime_factory.parse(t) for t in texts)
            if p is not None and runtime_factory.marker_holds(p.marker)
        ]
        build_factory = factory()
        build_factory.constraints.update(
            {
                normalize(k): [*build_factory.constraints.get(normalize(k), []), _pin(p)]
                for k, p in packages.items()
                if not is_conda_native(k)  # build requirements are PyPI names
            }
        )
        try:
            build = resolve(build_factory, build_roots, on_pin=on_pin)
        except ResolutionFailed as error:
            raise LockError(
                f"the build systems of {', '.join(sorted(build_system))} do not fit the environment's versions: {error.message}",
                hint="pin the conflicting package, or take those packages as wheels (-p)",
            ) from None
        finally:
            build_factory.close()
        for key, package in locked_packages(build_factory, build).items():
            if key not in packages:
                packages[key] = attrs.evolve(package, build_only=True)
        pending = _sdists(build_factory, build)
    for name, texts in build_system.items():
        if name in packages:
            entries = build_system_entries(runtime_factory, texts)
            packages[name] = attrs.evolve(packages[name], build_system=entries)
    return packages


def _pin(package: LockedPackage) -> Requirement:
    return Requirement(
        name=normalize(package.name),
        specifier=SpecifierSet(f"=={package.version}"),
        origin="the runtime environment",
        text=f"{package.name}=={package.version}",
    )


def _sdists(factory: Factory, resolution: Resolution) -> dict[str, tuple[str, ...]]:
    found = {}
    for identifier, candidate in resolution.mapping.items():
        if identifier == PYTHON_IDENTIFIER or candidate.extras or candidate.provider != "sdist":
            continue
        raw = factory.raw_dependencies(candidate)
        found[str(candidate.name)] = raw.build_requires or ()
    return found


def lock_requirements(
    paths: Sequence[Path],
    options: LockOptions,
    *,
    environ: Mapping[str, str] = {},
    on_progress: ProgressCallback | None = None,
) -> Lock:
    """Read requirement files (requirements.txt, pyproject.toml) and lock them."""
    requirements, text = read_requirement_files(
        paths, environ=environ, extras=options.extras, groups=options.groups
    )
    return lock_input(requirements, text, options, on_progress=on_progress)
