"""Stage 3b, systems: one resolution per system, then one version per package across them.

Each system is first resolved on its own (the ``resolve`` stage, over the providers opened for
its target; the PyPI pages and metadata are shared).  Where the systems disagree on a
package's version (a wheel that exists for Linux only at the newest version, say), the
package gets an upper bound at the lowest version any system took, and the systems above it
are resolved again; this repeats until every package has one version on every system it is
on.  A bound that a system cannot satisfy means no one version fits every system: the lock
fails naming the package, or with ``split_versions`` the package keeps each system's own
version.  Every package whose version is not the one its system would take alone says why in
``why-version`` (shown by ``mach2 why``).

Packages that only some systems have (``sys_platform == "darwin"`` dependencies) are not
compared; conda's native packages (``conda:<name>``) are binary records per subdir and keep
each subdir's solution.  implementation.md ("One lock for every system") explains why this
is not uv's universal resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import attrs
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from mach2.errors import LockError, Mach2Error
from mach2.lock.model import LockedPackage
from mach2.model.names import is_conda_native
from mach2.pipeline.inputs import Request
from mach2.resolve.requirement import Requirement

__all__ = ["MAX_ROUNDS", "Resolve", "resolve_systems"]

#: Each round lowers at least one bound, so this only guards against a pathological set.
MAX_ROUNDS = 12

#: Resolves one request: the ``resolve`` stage over that system's providers.
Resolve = Callable[[Request], dict[str, LockedPackage]]

_ORIGIN = "one version on every system"


def resolve_systems(
    requests: Sequence[Request],
    resolve: Resolve,
    *,
    split_versions: bool = False,
) -> dict[str, dict[str, LockedPackage]]:
    """Every system's packages, with one version per package across systems.

    :param resolve: the resolution of one request (its system's providers).
    :param split_versions: let a package that cannot have one version differ per system.
    :raises LockError: with ``split_versions`` off, a package that cannot have one version.
    """
    by_system: dict[str, Request] = {request.target.system: request for request in requests}
    if len(by_system) == 1:
        return {system: resolve(request) for system, request in by_system.items()}
    # A foreign lock chose each system's versions (uv.lock forks on markers): they are taken
    # as it wrote them, one version or not.
    foreign = any(request.pins is not None for request in requests)
    # The systems' own resolutions run side by side: each waits on the network for its own
    # wheels' metadata (the pages are shared), so their waits overlap.
    with ThreadPoolExecutor(len(by_system), thread_name_prefix="mach2-system") as pool:
        results = dict(zip(by_system, pool.map(resolve, by_system.values()), strict=True))
    own = {system: results[system] for system in by_system}
    if foreign:
        return own
    return _Unifier(by_system, own, resolve, split_versions).run()


class _Unifier:
    def __init__(
        self,
        requests: Mapping[str, Request],
        own: dict[str, dict[str, LockedPackage]],
        resolve: Resolve,
        split_versions: bool,
    ) -> None:
        self.requests = requests
        self.own = own
        self.resolve = resolve
        self.split_versions = split_versions
        self.results = dict(own)
        #: The bounds each system's current result was resolved with.
        self.used: dict[str, dict[str, Version]] = {system: {} for system in requests}
        self.bounds: dict[str, Version] = {}
        #: Packages allowed to differ, with why.
        self.split: dict[str, str] = {}

    def run(self) -> dict[str, dict[str, LockedPackage]]:
        for _ in range(MAX_ROUNDS):
            for name, versions in self._differing().items():
                parsed = [v for v in versions.values() if isinstance(v, Version)]
                if len(parsed) != len(versions):
                    self._cannot(name, f"its versions are not all PEP 440 ({_listing(versions)})")
                    continue
                self.bounds[name] = min(parsed)
            stale = [system for system in self.requests if self._stale(system)]
            if not stale:
                break
            for system in stale:
                self._resolve_bounded(system)
        else:
            for name, versions in self._differing().items():
                self._cannot(
                    name,
                    f"the systems still disagree after {MAX_ROUNDS} rounds ({_listing(versions)})",
                )
        return self._annotated()

    # -- one round ---------------------------------------------------------------------------

    def _differing(self) -> dict[str, dict[str, Version | str]]:
        """Packages on two or more systems with more than one version (split ones aside)."""
        found: dict[str, dict[str, Version | str]] = {}
        for system, packages in self.results.items():
            for key, package in packages.items():
                if is_conda_native(key) or key in self.split:
                    continue
                found.setdefault(key, {})[system] = _parse(package.version)
        return {
            key: versions
            for key, versions in found.items()
            if len(versions) > 1 and len({str(v) for v in versions.values()}) > 1
        }

    def _active(self) -> dict[str, Version]:
        return {n: v for n, v in self.bounds.items() if n not in self.split}

    def _stale(self, system: str) -> bool:
        """Whether the system's result breaks a bound, or was made with one since dropped."""
        active = self._active()
        if any(name not in active for name in self.used[system]):
            return True
        for name, bound in active.items():
            package = self.results[system].get(name)
            if package is not None:
                version = _parse(package.version)
                if not isinstance(version, Version) or version > bound:
                    return True
        return False

    def _resolve_bounded(self, system: str) -> None:
        bounds = self._active()
        try:
            self.results[system] = self._resolve(system, bounds)
            self.used[system] = bounds
            return
        except Mach2Error:
            pass
        # Some bound does not fit this system: keep the bounds that do, one at a time.
        fitting: dict[str, Version] = {}
        result = self.own[system]
        for name in sorted(bounds):
            trial = {**fitting, name: bounds[name]}
            try:
                result = self._resolve(system, trial)
            except Mach2Error as error:
                versions = {s: self.own[s][name].version for s in self.own if name in self.own[s]}
                self._cannot(
                    name,
                    f"{system} cannot take {name}<={bounds[name]} ({_first_line(error)})",
                    f"; alone the systems take {_listing(versions)}",
                )
                continue
            fitting = trial
        self.results[system] = result
        self.used[system] = fitting

    def _resolve(self, system: str, bounds: Mapping[str, Version]) -> dict[str, LockedPackage]:
        request = self.requests[system]
        extra = tuple(
            Requirement(
                name=NormalizedName(name),
                specifier=SpecifierSet(f"<={bound}"),
                origin=_ORIGIN,
                text=f"{name}<={bound}",
            )
            for name, bound in sorted(bounds.items())
        )
        return self.resolve(attrs.evolve(request, constraints=request.constraints + extra))

    def _cannot(self, name: str, why: str, more: str = "") -> None:
        if not self.split_versions:
            raise LockError(
                f"{name} cannot have one version on every system: {why}{more}",
                hint="let its version differ per system with --split-versions, "
                "or lock fewer systems (--system …)",
            )
        self.split[name] = why

    # -- the result --------------------------------------------------------------------------

    def _annotated(self) -> dict[str, dict[str, LockedPackage]]:
        """The results, each package whose version is not its system's own saying why."""
        notes: dict[str, str] = {}
        keys = {k for packages in self.results.values() for k in packages}
        for key in sorted(keys):
            final = {s: p[key].version for s, p in self.results.items() if key in p}
            alone = {s: p[key].version for s, p in self.own.items() if key in p}
            if key in self.split:
                notes[key] = (
                    f"differs per system (--split-versions): {_listing(final)}; "
                    f"no one version fits every system: {self.split[key]}"
                )
            elif any(alone.get(s) not in (None, v) for s, v in final.items()):
                version = next(iter(final.values()))
                other = {s: v for s, v in alone.items() if v != version}
                notes[key] = (
                    f"{version} on every system (one version per package; alone, {_listing(other)})"
                )
        return {
            system: {
                key: attrs.evolve(package, why_version=notes[key]) if key in notes else package
                for key, package in packages.items()
            }
            for system, packages in self.results.items()
        }


def _parse(text: str) -> Version | str:
    try:
        return Version(text)
    except InvalidVersion:
        return text


def _listing(versions: Mapping[str, object]) -> str:
    """``x86_64-linux 2.3.1, x86_64-darwin 2.2.6``."""
    return ", ".join(f"{system} {version}" for system, version in versions.items())


def _first_line(error: Mach2Error) -> str:
    return error.message.splitlines()[0] if error.message else type(error).__name__
