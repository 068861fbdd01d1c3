"""Stage 3, resolve: the request's roots → locked packages, then the build systems of the
sdists among them (until none is new), each in its own resolution with the runtime versions
pinned as constraints (one version per package in the package set).

With a foreign lock (``request.pins``) the runtime resolution runs over providers that offer
only the lock's pins (``mach2.pipeline.pins``): the lock's versions and files are taken, the
resolver only checks that they fit together; build systems are resolved as usual."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName

from mach2.errors import LockError, ResolutionFailed
from mach2.lock.build import build_system_entries, locked_packages
from mach2.lock.model import LockedPackage
from mach2.model.names import PYTHON_IDENTIFIER, is_conda_native, normalize
from mach2.pipeline import pins
from mach2.pipeline.inputs import Request
from mach2.pipeline.options import ProgressCallback
from mach2.pipeline.pinned_sources import PinnedReferences
from mach2.pipeline.providers import OpenProviders
from mach2.providers.base import Candidate, Provider
from mach2.providers.direct.provider import References
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement
from mach2.resolve.resolver import Resolution, resolve

__all__ = ["resolve_all"]

#: Providers whose packages Nix builds from source (their build systems are locked too).
_BUILT = frozenset({"sdist", "git", "path"})
#: Build backends are wheels in practice; the bound guards against build-system cycles.
_MAX_BUILD_ROUNDS = 10


def resolve_all(
    request: Request, providers: OpenProviders, on_progress: ProgressCallback | None = None
) -> dict[str, LockedPackage]:
    """The runtime resolution, then the build systems of its sdists (marked ``build-only``)."""
    pinned = 0

    def on_pin(candidate: Candidate) -> None:
        nonlocal pinned
        pinned += 1
        if on_progress is not None:
            on_progress("resolve", candidate.name, pinned, None)

    def factory(
        by_name: Mapping[str, Provider] = providers.by_name,
        direct: References | None = providers.direct,
    ) -> Factory:
        return Factory(
            target=request.target,
            order=request.order,
            providers=by_name,
            constraints=request.constraints,
            allow_prereleases=request.allow_prereleases,
            direct=direct,
        )

    if request.pins is None:
        runtime_factory = factory()
    else:  # a foreign lock: the providers offer only its pins (mach2.pipeline.pins)
        runtime_factory = factory(
            pins.pinned_providers(request.pins, providers.by_name, providers.index, request.target),
            None if providers.direct is None else PinnedReferences(providers.direct, request.pins),
        )
    try:
        runtime = resolve(runtime_factory, list(request.roots), on_pin=on_pin)
    except ResolutionFailed as error:
        if request.pins is None:
            raise
        raise LockError(
            f"{request.pins.label}: its pins do not fit together on {request.target.describe()}: "
            f"{error.message}",
            hint="lock again with the tool that wrote it, for this target",
        ) from None
    finally:
        runtime_factory.close()
    packages = locked_packages(runtime_factory, runtime)
    if request.pins is not None:
        rules = {k: runtime_factory.order.explain(NormalizedName(k)) for k in packages}
        packages = pins.annotate(packages, request.pins, rules)
    build_system: dict[str, tuple[str, ...]] = {}
    pending = _sdists(runtime_factory, runtime)
    build_roots: list[Requirement] = []
    for _ in range(_MAX_BUILD_ROUNDS):
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
        if identifier == PYTHON_IDENTIFIER or candidate.extras or candidate.provider not in _BUILT:
            continue
        raw = factory.raw_dependencies(candidate)
        found[str(candidate.name)] = raw.build_requires or ()
    return found
