"""Metadata of a source distribution, for the resolver's sdist provider.

Two ways, cheapest first (implementation.md, "sdist metadata"):

1. **Static PKG-INFO** (PEP 643): ``Metadata-Version`` 2.2 or later and none of
   ``Requires-Dist``, ``Requires-Python``, ``Provides-Extra`` listed under ``Dynamic``.
   The metadata is read from the archive; nothing is built.  The backend is still asked for
   ``get_requires_for_build_wheel`` (in the environment of ``[build-system].requires``): a
   PEP 517 frontend checks those requirements before it builds (nixpkgs' pypa/build does), so
   the lock must list them.  A backend that cannot answer leaves ``[build-system].requires``.
2. **PEP 517 hooks**: the archive is extracted (safely: :mod:`mach2.providers.pypi.archive`) to a
   temporary directory and the backend's ``get_requires_for_build_wheel`` and
   ``prepare_metadata_for_build_wheel`` hooks run in an isolated build environment
   (``build_wheel`` when the backend lacks the latter).
   Costs seconds: creating the environment (cached by its requirement list, see
   :class:`VenvBuildEnvironment`) and running the backend.

Either result is cached as JSON under ``<cache_dir>/sdist-metadata/<sha256>.json``; a cache hit
reads one small file and nothing else.  Build failures are not cached (the next run retries);
their full log is kept next to the cache entry.

Metadata built by a backend is the one it computes *on the interpreter it runs on* (the
``python`` the environments are made from): setup.py files that branch on ``sys.version_info``
give the answer for that interpreter, so pass one matching the target when it matters.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeGuard

import attrs
from attrs import frozen
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version
from pyproject_hooks import BackendUnavailable, BuildBackendHookCaller, HookMissing

from mach2.atomic import file_lock, write_atomic
from mach2.errors import ArtifactError, Mach2Error
from mach2.model.names import NormalizedName, normalize
from mach2.providers.base import Dependencies
from mach2.providers.pypi.archive import SdistArchive
from mach2.providers.pypi.metadata import CoreMetadata, parse_metadata

__all__ = [
    "DEFAULT_BUILD_REQUIRES",
    "BuildEnvironment",
    "BuildEnvironmentFailed",
    "MetadataBuildFailed",
    "SdistMetadata",
    "VenvBuildEnvironment",
    "read_sdist_metadata",
    "read_tree_metadata",
]

#: What PEP 517/518 frontends install when an sdist declares no ``[build-system]``.
DEFAULT_BUILD_REQUIRES = ("setuptools>=40.8.0",)
_LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
#: PKG-INFO is usable only when none of these is dynamic (PEP 643).
_RESOLVER_FIELDS = frozenset({"requires-dist", "requires-python", "provides-extra"})
_CACHE_FORMAT = 1
#: Seconds one backend hook or one installer command may take.
_TIMEOUT = 900.0


@frozen(kw_only=True)
class SdistMetadata:
    """What the resolver needs from an sdist.

    :param requires_dist: PEP 508 strings as in METADATA.
    :param build_requires: ``[build-system].requires`` (or :data:`DEFAULT_BUILD_REQUIRES`), plus
        what ``get_requires_for_build_wheel`` returned when the hooks had to run.
    :param build_backend: ``[build-system].build-backend``; ``None`` means legacy setuptools.
    :param source: where ``requires_dist`` came from.
    """

    name: NormalizedName
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str | None
    provides_extra: tuple[str, ...]
    build_requires: tuple[str, ...]
    build_backend: str | None
    source: Literal["pkg-info", "pep517", "pyproject"]
    #: ``(name, "module:function")`` of the console and GUI scripts, when known (a source
    #: tree's: development installs write them; sdists leave it empty).
    scripts: tuple[tuple[str, str], ...] = ()

    def dependencies(self) -> Dependencies:
        """What the resolver reads (a candidate's :class:`Dependencies`)."""
        return Dependencies(
            requires_dist=self.requires_dist,
            requires_python=self.requires_python,
            provides_extra=self.provides_extra,
            source=self.source,
            build_requires=self.build_requires,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _CACHE_FORMAT,
            "name": self.name,
            "version": self.version,
            "requires_dist": list(self.requires_dist),
            "requires_python": self.requires_python,
            "provides_extra": list(self.provides_extra),
            "build_requires": list(self.build_requires),
            "build_backend": self.build_backend,
            "source": self.source,
            "scripts": [list(s) for s in self.scripts],
        }

    @classmethod
    def from_json(cls, data: Any) -> SdistMetadata | None:
        """The record :meth:`to_json` wrote, or ``None`` when ``data`` is not one (stale cache)."""
        if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT:
            return None
        lists = ("requires_dist", "provides_extra", "build_requires")
        optional = ("requires_python", "build_backend")
        if not (
            all(isinstance(data.get(k), str) for k in ("name", "version"))
            and all(_is_str_list(data.get(k)) for k in lists)
            and all(data.get(k) is None or isinstance(data.get(k), str) for k in optional)
            and data.get("source") in ("pkg-info", "pep517", "pyproject")
        ):
            return None
        scripts = data.get("scripts", [])
        if not (
            isinstance(scripts, list) and all(_is_str_list(s) and len(s) == 2 for s in scripts)
        ):
            return None
        return cls(
            name=normalize(data["name"]),
            version=data["version"],
            requires_dist=tuple(data["requires_dist"]),
            requires_python=data["requires_python"],
            provides_extra=tuple(data["provides_extra"]),
            build_requires=tuple(data["build_requires"]),
            build_backend=data["build_backend"],
            source=data["source"],
            scripts=tuple((s[0], s[1]) for s in scripts),
        )


class BuildEnvironmentFailed(Mach2Error):
    """Creating an isolated build environment or installing into it failed.

    ``output`` is the installer's full output, for the log.
    """

    def __init__(self, *, requirements: Sequence[str], detail: str, output: str) -> None:
        super().__init__(
            f"installing build requirements {list(requirements)!r} failed: {detail}",
            hint="check the requirements exist for this Python and the index is reachable",
        )
        self.requirements = tuple(requirements)
        self.detail = detail
        self.output = output


class MetadataBuildFailed(Mach2Error):
    """The PEP 517 backend (or its build environment) could not produce metadata for an sdist."""

    def __init__(self, *, sdist: str, detail: str, log: Path) -> None:
        super().__init__(
            f"{sdist}: building metadata failed: {detail}",
            hint=f"full log in {log}; pick another version of this package or another provider",
        )
        self.sdist = sdist
        self.detail = detail
        self.log = log


class BuildEnvironment(Protocol):
    """Makes isolated Python environments for running build backends.

    Tests fake this; :class:`VenvBuildEnvironment` is the real one.
    """

    def python_with(self, requirements: Sequence[str]) -> str:
        """Path of an interpreter that sees exactly ``requirements`` (and their dependencies).

        :raises BuildEnvironmentFailed: when the environment cannot be made.
        """
        ...


@frozen(kw_only=True)
class VenvBuildEnvironment:
    """Build environments as virtualenvs under ``root``, one per sorted requirement list.

    An environment, once complete, is reused by every later sdist that needs the same
    requirements (it is never modified after).  Made with ``uv`` when ``uv`` is given (about a
    second), else ``python -m venv --without-pip`` and the host's ``pip --python``.

    :param python: the interpreter the environments are made from (and backends run on).
    :param root: where environments live, e.g. ``<cache_dir>/build-envs``.
    :param uv: path of the ``uv`` executable, or ``None`` to use venv + pip.
    """

    python: str
    root: Path
    uv: str | None = None

    @classmethod
    def from_host(cls, *, python: str, root: Path) -> VenvBuildEnvironment:
        """Use ``uv`` when it is on ``PATH``."""
        return cls(python=python, root=root, uv=shutil.which("uv"))

    def python_with(self, requirements: Sequence[str]) -> str:
        wanted = sorted({str(Requirement(r)) for r in requirements})
        key_data = json.dumps([self.python, self.uv is not None, wanted])
        env = self.root / hashlib.sha256(key_data.encode()).hexdigest()[:32]
        env_python = env / "bin" / "python"
        complete = env / ".mach2-complete"
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(env.with_suffix(".lock")):
            if not complete.exists():
                shutil.rmtree(env, ignore_errors=True)
                for command in self._commands(env, wanted):
                    _run_installer(command, wanted)
                complete.write_text("\n".join(wanted) + "\n", encoding="utf-8")
        return str(env_python)

    def _commands(self, env: Path, wanted: list[str]) -> list[list[str]]:
        env_python = str(env / "bin" / "python")
        if self.uv is not None:
            create = [self.uv, "venv", "--no-config", "--quiet", "--python", self.python, str(env)]
            install = [self.uv, "pip", "install", "--no-config", "--python", env_python]
        else:
            create = [self.python, "-m", "venv", "--without-pip", str(env)]
            install = [self.python, "-m", "pip", "--python", env_python, "install", "--no-input"]
        return [create, [*install, "--", *wanted]] if wanted else [create]


def read_sdist_metadata(
    path: Path,
    *,
    sha256: str,
    cache_dir: Path | None,
    python: str,
    builder: BuildEnvironment | None = None,
) -> SdistMetadata:
    """Metadata of the sdist at ``path``, from its PKG-INFO or by running its build backend.

    :param sha256: the file's hex digest: the cache key, checked against the file on a miss.
    :param cache_dir: mach2's cache directory; ``None`` caches nothing.
    :param python: interpreter for build environments when ``builder`` is ``None``.
    :param builder: build environments to use; default :class:`VenvBuildEnvironment` under
        ``<cache_dir>/build-envs`` (a temporary directory without a cache).
    :raises ArtifactError: hash mismatch, unknown or unsafe archive, broken PKG-INFO or
        pyproject.toml.
    :raises MetadataBuildFailed: the backend or its environment failed.
    """
    digest = sha256.lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ArtifactError(f"{path.name}: {sha256!r} is not a sha256 hex digest")
    entry = None if cache_dir is None else cache_dir / "sdist-metadata" / f"{digest}.json"
    if entry is not None and (cached := _load_cached(entry)) is not None:
        return cached
    _check_hash(path, digest)
    with contextlib.ExitStack() as stack:
        builder = builder or _default_builder(cache_dir, python, stack)
        log = entry.with_suffix(".log") if entry is not None else None
        metadata = _read(path, builder, log)
    if entry is not None:
        write_atomic(entry, json.dumps(metadata.to_json(), indent=1, sort_keys=True))
    return metadata


def _default_builder(
    cache_dir: Path | None, python: str, stack: contextlib.ExitStack
) -> BuildEnvironment:
    envs = (
        cache_dir / "build-envs"
        if cache_dir is not None
        else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mach2-env-")))
    )
    return VenvBuildEnvironment.from_host(python=python, root=envs)


def read_tree_metadata(
    source: Path,
    *,
    origin: str,
    cache_dir: Path | None,
    python: str,
    log: Path | None = None,
    builder: BuildEnvironment | None = None,
) -> SdistMetadata:
    """Metadata of a source tree (a git checkout, a local project), read as for an sdist.

    Static first: a PKG-INFO as for sdists, else a PEP 621 ``[project]`` table whose name,
    version, dependencies, extras and Requires-Python are not ``dynamic``.  Otherwise the
    PEP 517 hooks run *in* ``source``, which must be a copy the caller may let the backend
    write into (setuptools leaves ``*.egg-info`` there).  Nothing is cached here: the caller
    knows what identifies the tree.

    :param origin: how the tree is named in errors (the requirement's URL or path).
    :raises ArtifactError: a malformed pyproject.toml or PKG-INFO.
    :raises MetadataBuildFailed: the backend or its environment failed.
    """
    pyproject_path = source / "pyproject.toml"
    pyproject = pyproject_path.read_bytes() if pyproject_path.is_file() else None
    build_system = _BuildSystem.from_pyproject(pyproject, origin)
    pkg_info = source / "PKG-INFO"
    if pkg_info.is_file():
        core = parse_metadata(pkg_info.read_bytes(), origin=f"{origin}!PKG-INFO")
        if _is_static(core):
            return _metadata(core, build_system.requires, build_system.backend, "pkg-info")
    static = _static_project(pyproject, origin)
    if static is not None:
        return attrs.evolve(
            static, build_requires=build_system.requires, build_backend=build_system.backend
        )
    with contextlib.ExitStack() as stack:
        builder = builder or _default_builder(cache_dir, python, stack)
        metadata_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mach2-meta-")))
        return _build(source, metadata_dir / "out", build_system, builder, origin, log)


#: What a static ``[project]`` table must not list as dynamic for mach2 to skip the hooks.
_STATIC_FIELDS = (
    "version",
    "dependencies",
    "optional-dependencies",
    "requires-python",
    "scripts",
    "gui-scripts",
)


def _static_project(data: bytes | None, origin: str) -> SdistMetadata | None:
    """The metadata a PEP 621 ``[project]`` table states, or ``None`` when it is dynamic."""
    if data is None:
        return None
    project = _toml(data, origin).get("project")
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic", [])
    name, version = project.get("name"), project.get("version")
    if not (isinstance(name, str) and isinstance(version, str) and isinstance(dynamic, list)):
        return None
    if any(field in dynamic for field in _STATIC_FIELDS):
        return None
    dependencies = project.get("dependencies", [])
    optional = project.get("optional-dependencies", {})
    requires_python = project.get("requires-python")
    if not (
        _is_str_list(dependencies)
        and isinstance(optional, dict)
        and all(_is_str_list(v) for v in optional.values())
        and (requires_python is None or isinstance(requires_python, str))
    ):
        raise _bad_pyproject(origin, "has a malformed [project] dependency table")
    requires = list(dependencies)
    for extra, items in optional.items():
        for item in items:
            requires.append(_for_extra(item, str(extra), origin))
    scripts = []
    for table in ("scripts", "gui-scripts"):
        entries = project.get(table, {})
        if isinstance(entries, dict):
            scripts += [(k, v) for k, v in entries.items() if isinstance(v, str)]
    return SdistMetadata(
        name=normalize(name),
        version=version,
        requires_dist=tuple(requires),
        requires_python=requires_python,
        provides_extra=tuple(str(e) for e in optional),
        build_requires=(),
        build_backend=None,
        source="pyproject",
        scripts=tuple(sorted(scripts)),
    )


def _for_extra(text: str, extra: str, origin: str) -> str:
    """``text`` only for ``extra``: its marker and ``extra == "name"`` together."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as e:
        raise _bad_pyproject(origin, f"optional dependency {text!r}: {e}") from e
    condition = f'extra == "{extra}"'
    inner = requirement.marker
    requirement.marker = Marker(condition if inner is None else f"({inner}) and {condition}")
    return str(requirement)


def _read(path: Path, builder: BuildEnvironment, log: Path | None) -> SdistMetadata:
    with SdistArchive.open(path) as archive:
        build_system = _BuildSystem.from_pyproject(archive.read("pyproject.toml"), path.name)
        pkg_info = archive.read("PKG-INFO")
        if pkg_info is not None:
            core = parse_metadata(pkg_info, origin=f"{path.name}!PKG-INFO")
            if _is_static(core):
                with tempfile.TemporaryDirectory(prefix="mach2-sdist-") as tmp:
                    source = archive.extract(Path(tmp) / "src")
                    requires = _static_build_requires(source, build_system, builder, path.name)
                return _metadata(core, requires, build_system.backend, "pkg-info")
        with tempfile.TemporaryDirectory(prefix="mach2-sdist-") as tmp:
            source = archive.extract(Path(tmp) / "src")
            return _build(source, Path(tmp) / "metadata", build_system, builder, path.name, log)


def _static_build_requires(
    source: Path, build_system: _BuildSystem, builder: BuildEnvironment, sdist: str
) -> tuple[str, ...]:
    """``[build-system].requires`` plus what ``get_requires_for_build_wheel`` adds, for an sdist
    whose metadata needs no hook.  The metadata stands without it, so a backend that cannot
    answer here (or an environment that cannot be made) keeps the declared requirements: the
    build then reports what is missing."""
    requires = build_system.requires
    runner = _HookRunner()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            python = builder.python_with(requires)
            extra = _hook_caller(
                source, build_system, python, runner, sdist
            ).get_requires_for_build_wheel()
        if _is_str_list(extra):
            return _merge(requires, _checked_requirements(extra))
    except (BuildEnvironmentFailed, BackendUnavailable, HookMissing, _HookError, ArtifactError):
        pass
    except (subprocess.SubprocessError, OSError):
        pass
    return requires


def _is_static(core: CoreMetadata) -> bool:
    try:
        version = Version(core.metadata_version)
    except InvalidVersion:
        return False
    return version >= Version("2.2") and not _RESOLVER_FIELDS.intersection(core.dynamic)


def _metadata(
    core: CoreMetadata,
    build_requires: tuple[str, ...],
    backend: str | None,
    source: Literal["pkg-info", "pep517", "pyproject"],
) -> SdistMetadata:
    return SdistMetadata(
        name=core.name,
        version=core.version,
        requires_dist=core.requires_dist,
        requires_python=core.requires_python,
        provides_extra=core.provides_extra,
        build_requires=build_requires,
        build_backend=backend,
        source=source,
    )


# --- PEP 517 ---------------------------------------------------------------------------------


@frozen(kw_only=True)
class _BuildSystem:
    requires: tuple[str, ...]
    backend: str | None
    backend_path: tuple[str, ...]

    @classmethod
    def from_pyproject(cls, data: bytes | None, sdist: str) -> _BuildSystem:
        """``[build-system]`` of pyproject.toml, with PEP 517's defaults when absent."""
        default = cls(requires=DEFAULT_BUILD_REQUIRES, backend=None, backend_path=())
        if data is None:
            return default
        table = _toml(data, sdist).get("build-system")
        if table is None:
            return default
        requires = table.get("requires") if isinstance(table, dict) else None
        if not _is_str_list(requires):
            raise _bad_pyproject(sdist, "has no list of strings [build-system].requires")
        for requirement in requires:
            try:
                Requirement(requirement)
            except InvalidRequirement as e:
                raise _bad_pyproject(sdist, f"build requirement {requirement!r}: {e}") from e
        backend = table.get("build-backend")
        backend_path = table.get("backend-path", [])
        if not (backend is None or isinstance(backend, str)) or not _is_str_list(backend_path):
            raise _bad_pyproject(sdist, "has a malformed build-backend or backend-path")
        return cls(requires=tuple(requires), backend=backend, backend_path=tuple(backend_path))


def _toml(data: bytes, origin: str) -> dict[str, Any]:
    """A pyproject.toml's tables.

    :raises ArtifactError: not UTF-8 or not TOML.
    """
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise _bad_pyproject(origin, f"is not valid TOML ({e})") from e


def _bad_pyproject(sdist: str, what: str) -> ArtifactError:
    return ArtifactError(
        f"{sdist}: pyproject.toml {what}",
        hint="the sdist cannot be built as published; pick another version or provider",
    )


def _build(
    source: Path,
    metadata_dir: Path,
    build_system: _BuildSystem,
    builder: BuildEnvironment,
    sdist: str,
    log_path: Path | None,
) -> SdistMetadata:
    """Run the hooks; every failure becomes :class:`MetadataBuildFailed` with a log file."""
    runner = _HookRunner()
    try:
        # Backends' warnings go to the log, not to the user's terminal (not thread-safe).
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                data, dist_info, requires, entry_points = _run_hooks(
                    source, metadata_dir, build_system, builder, runner, sdist
                )
            finally:
                runner.output.extend(f"warning: {w.message}\n" for w in caught)
    except BuildEnvironmentFailed as e:
        runner.output.append(e.output)
        raise _failed(sdist, e.message, runner, log_path) from e
    except (_HookError, HookMissing) as e:
        raise _failed(sdist, str(e), runner, log_path) from e
    except BackendUnavailable as e:
        runner.output.append(e.traceback)
        detail = _last_line(e.traceback) or f"cannot import backend {e.backend_name!r}"
        raise _failed(sdist, detail, runner, log_path) from e
    except subprocess.CalledProcessError as e:
        raise _failed(sdist, runner.last_error or str(e), runner, log_path) from e
    except subprocess.TimeoutExpired as e:
        raise _failed(sdist, f"a hook took longer than {e.timeout:.0f} s", runner, log_path) from e
    except OSError as e:  # e.g. the environment's interpreter cannot be run
        raise _failed(sdist, str(e), runner, log_path) from e
    core = parse_metadata(data, origin=f"{sdist}!{dist_info}/METADATA")
    if log_path is not None:
        log_path.unlink(missing_ok=True)  # an older failure's log would only mislead
    metadata = _metadata(core, requires, build_system.backend, "pep517")
    return attrs.evolve(metadata, scripts=_scripts_of_entry_points(entry_points))


def _scripts_of_entry_points(text: str | None) -> tuple[tuple[str, str], ...]:
    """``console_scripts`` and ``gui_scripts`` of an entry_points.txt."""
    if not text:
        return ()
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error:
        return ()
    found = []
    for section in ("console_scripts", "gui_scripts"):
        if parser.has_section(section):
            found += [(k.strip(), v.strip()) for k, v in parser.items(section)]
    return tuple(sorted(found))


def _run_hooks(
    source: Path,
    metadata_dir: Path,
    build_system: _BuildSystem,
    builder: BuildEnvironment,
    runner: _HookRunner,
    sdist: str,
) -> tuple[bytes, str, tuple[str, ...], str | None]:
    """METADATA's bytes, the dist-info name, all build requirements, and entry_points.txt."""
    requires = build_system.requires
    hooks = _hook_caller(source, build_system, builder.python_with(requires), runner, sdist)
    extra = hooks.get_requires_for_build_wheel()
    if not _is_str_list(extra):
        raise _HookError(f"get_requires_for_build_wheel returned {extra!r}")
    all_requires = _merge(requires, _checked_requirements(extra))
    if all_requires != requires:
        # Environments are never modified once made: the larger set is another environment.
        python = builder.python_with(all_requires)
        hooks = _hook_caller(source, build_system, python, runner, sdist)
    metadata_dir.mkdir()
    dist_info = hooks.prepare_metadata_for_build_wheel(str(metadata_dir))
    metadata_file = metadata_dir / dist_info / "METADATA"
    if not metadata_file.is_file():
        raise _HookError(f"the backend wrote no {dist_info}/METADATA")
    entry_points = metadata_dir / dist_info / "entry_points.txt"
    entry_text = (
        entry_points.read_text(encoding="utf-8", errors="replace")
        if entry_points.is_file()
        else None
    )
    return metadata_file.read_bytes(), dist_info, all_requires, entry_text


class _HookError(Exception):
    """A backend answered something unusable."""


def _hook_caller(
    source: Path, build_system: _BuildSystem, python: str, runner: _HookRunner, sdist: str
) -> BuildBackendHookCaller:
    try:
        return BuildBackendHookCaller(
            str(source),
            build_system.backend or _LEGACY_BACKEND,
            backend_path=list(build_system.backend_path) or None,
            runner=runner,
            python_executable=python,
        )
    except ValueError as e:  # backend-path outside the source tree
        raise _bad_pyproject(sdist, f"backend-path {list(build_system.backend_path)!r}: {e}") from e


def _checked_requirements(requirements: Sequence[str]) -> tuple[str, ...]:
    for requirement in requirements:
        try:
            Requirement(requirement)
        except InvalidRequirement as e:
            raise _HookError(f"the backend asked for an invalid requirement: {e}") from e
    return tuple(requirements)


def _merge(first: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(r for r in dict.fromkeys(more) if r not in first)


class _HookRunner:
    """pyproject-hooks subprocess runner that keeps the output instead of printing it."""

    def __init__(self) -> None:
        self.output: list[str] = []
        self.last_error = ""

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        # Isolation: the caller's PYTHONPATH and user site-packages would leak host packages in.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(extra_environ or {}, PYTHONNOUSERSITE="1")
        self.output.append(f"$ {' '.join(cmd)}\n")
        try:
            done = _run(cmd, cwd=cwd, env=env)
        except subprocess.TimeoutExpired as e:
            self.output.append(_text(e.stdout) + _text(e.stderr))
            raise
        self.output.append(done.stdout + done.stderr)
        if done.returncode != 0:
            self.last_error = _last_line(done.stderr) or _last_line(done.stdout)
            done.check_returncode()


def _failed(sdist: str, detail: str, runner: _HookRunner, log: Path | None) -> MetadataBuildFailed:
    if log is None:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", sdist)[-80:]  # a URL or path names a tree
        fd, name = tempfile.mkstemp(prefix=f"mach2-{safe}-", suffix=".log")
        os.close(fd)
        log = Path(name)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(runner.output), encoding="utf-8", errors="replace")
    one_line = " ".join(detail.split())
    return MetadataBuildFailed(sdist=sdist, detail=one_line[:300], log=log)


def _run_installer(command: list[str], requirements: list[str]) -> None:
    try:
        done = _run(command, cwd=None, env=None)
    except subprocess.TimeoutExpired as e:
        output = _text(e.stdout) + _text(e.stderr)
        detail = f"{command[0]} took longer than {e.timeout:.0f} s"
        raise BuildEnvironmentFailed(requirements=requirements, detail=detail, output=output) from e
    except OSError as e:
        raise BuildEnvironmentFailed(requirements=requirements, detail=str(e), output="") from e
    if done.returncode != 0:
        detail = _last_line(done.stderr) or _last_line(done.stdout) or f"exit {done.returncode}"
        output = f"$ {' '.join(command)}\n{done.stdout}{done.stderr}"
        raise BuildEnvironmentFailed(requirements=requirements, detail=detail, output=output)


def _run(
    cmd: Sequence[str], *, cwd: str | None, env: dict[str, str] | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=_TIMEOUT,
        check=False,
    )


# --- small helpers ---------------------------------------------------------------------------


def _is_str_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return output or ""


def _check_hash(path: Path, digest: str) -> None:
    try:
        with path.open("rb") as f:
            actual = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as e:
        raise ArtifactError(f"{path.name}: cannot read the sdist ({e.strerror})") from e
    if actual != digest:
        raise ArtifactError(
            f"{path.name}: sha256 is {actual}, expected {digest}",
            hint="the download is corrupt or was replaced; delete it so it is fetched again",
        )


def _load_cached(entry: Path) -> SdistMetadata | None:
    try:
        return SdistMetadata.from_json(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError):  # missing, or torn by something other than mach2: rebuild
        return None
