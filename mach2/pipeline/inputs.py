"""Stage 1, inputs: the files the user gave → a :class:`Request` (what to lock, for which target).

Requirements whose markers do not hold on the target are dropped here; an environment.yml's
conda specs become MatchSpec requirements on their resolver names, and its ``python`` /
virtual package specs are checked against the target (``python=3.11`` on a 3.12 target is an
input error, not a resolution).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
from attrs import frozen

from mach2.errors import InputError, Mach2Error
from mach2.inputs import RequirementsInput, project_input, read_input
from mach2.inputs.foreign import foreign_format
from mach2.inputs.foreign.hashed import hashed_lock
from mach2.inputs.foreign.model import Pins
from mach2.model.target import Target
from mach2.pipeline.options import LockOptions
from mach2.providers.direct.tree import find_project_root
from mach2.providers.order import BUILTIN_DEFAULTS, ProviderOrder, parse_provider_option
from mach2.providers.pypi.client import DEFAULT_INDEX_URL
from mach2.resolve.requirement import Requirement

__all__ = [
    "Request",
    "builtin_order",
    "index_urls",
    "project_root",
    "provider_order",
    "read_requirement_files",
    "request",
    "requested_at",
    "roots",
]


@frozen(kw_only=True)
class Request:
    """What to lock: read by every later stage.

    :param requirements: the merged inputs (files, channels, conda specs, index URLs).
    :param text: the inputs as the user wrote them (the lock's staleness key hashes it).
    :param roots: the requirements whose markers hold on ``target``.
    :param constraints: ``-c`` entries, which restrict but never add.
    """

    target: Target
    requirements: RequirementsInput
    text: str
    order: ProviderOrder
    roots: tuple[Requirement, ...]
    constraints: tuple[Requirement, ...]
    index_urls: tuple[str, ...]
    allow_prereleases: bool
    #: The project root (mach2.providers.direct.tree): local directories must lie in it.
    project: Path | None = None
    #: The URLs of ``-e`` requirements (development installs in shells).
    editables: tuple[str, ...] = ()
    #: A foreign lock's entries for the target: the resolve stage takes them as they are.
    pins: Pins | None = None


def request(
    requirements: RequirementsInput,
    text: str,
    options: LockOptions,
    *,
    target: Target | None = None,
) -> Request:
    """The stage: inputs and options → :class:`Request` for ``target`` (default:
    ``options.target``; a lock of several systems makes one per ``options.targets``).

    With a foreign lock, its entries for the target are the pins and the roots
    (``mach2.pipeline.pins``): nothing is resolved anew.
    """
    target = target or options.target
    order = provider_order(options.providers, requirements)
    pins = None
    editables = editable_urls(requirements)
    if not options.install_project and requirements.foreign is None:
        raise InputError(
            "--no-install-project leaves a foreign lock's project out, and no lock was given",
            hint="pass -r uv.lock (or pylock.toml, poetry.lock, pdm.lock), or drop "
            "--no-install-project",
        )
    _check_members(requirements, options)
    if requirements.foreign is not None:
        from mach2.pipeline import pinned_sources
        from mach2.pipeline.pins import pin_roots

        pins = requirements.foreign.select(
            target,
            extras=options.extras,
            groups=options.groups,
            install_project=options.install_project,
            packages=options.packages,
            all_packages=options.all_packages,
        )
        found, constraints = list(pin_roots(pins)), list[Requirement]()
        editables += pinned_sources.editable_urls(pins)
    else:
        found, constraints = roots(requirements, target)
    return Request(
        project=project_root(requirements, options),
        editables=editables,
        target=target,
        requirements=requirements,
        text=text,
        order=order,
        roots=tuple(found),
        constraints=tuple(constraints),
        index_urls=tuple(index_urls(requirements, options)),
        allow_prereleases=options.allow_prereleases or requirements.pre,
        pins=pins,
    )


def _check_members(requirements: RequirementsInput, options: LockOptions) -> None:
    """``--package``/``--all-packages`` choose uv workspace members: a uv.lock is needed."""
    if not (options.packages or options.all_packages):
        return
    if options.packages and options.all_packages:
        raise InputError(
            "--package and --all-packages both choose workspace members",
            hint="give one of them, as uv sync takes one",
        )
    foreign = requirements.foreign
    if foreign is None or foreign.format != "uv.lock":
        given = f"{foreign.path} is a {foreign.format}" if foreign else "no lock was given"
        flag = "--all-packages" if options.all_packages else "--package"
        raise InputError(
            f"{flag} chooses members of a uv workspace (-r uv.lock), and {given}",
            hint=f"pass -r uv.lock, or drop {flag}",
        )


def read_requirement_files(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] = {},
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    project: Path | None = None,
) -> tuple[RequirementsInput, str]:
    """Read and merge the inputs; also return their raw text (for the lock's input hash).

    :param extras: optional-dependency groups of the ``pyproject.toml`` inputs to include.
    :param groups: PEP 735 dependency groups of the ``pyproject.toml`` inputs to include.
    :param project: the user's own project (``--project``), locked as an editable root.
    """
    if project is not None:
        merged, text = project_input(project)
        if not paths:
            return merged, text
        more, more_text = read_requirement_files(
            paths, environ=environ, extras=extras, groups=groups
        )
        return merged.merged(more), text + more_text
    if not paths:
        raise InputError(
            "no requirements given", hint="pass -r requirements.txt (or a pyproject.toml)"
        )
    selectable = [p for p in paths if p.name == "pyproject.toml" or foreign_format(p)]
    if (extras or groups) and not selectable:
        raise InputError(
            "--extra and --group select parts of a pyproject.toml or a lock, and none was given",
            hint="pass -r pyproject.toml (or -r uv.lock, pylock.toml, poetry.lock, pdm.lock)",
        )
    merged = RequirementsInput()
    texts = []
    for path in paths:
        selection = {"extras": extras, "groups": groups} if path.name == "pyproject.toml" else {}
        merged = merged.merged(read_input(path, environ=environ, **selection))
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    hashed = hashed_lock(merged)
    if hashed is not None:  # every line pinned and hashed: a lock, taken as it is (as pip does)
        merged = attrs.evolve(merged, requirements=(), foreign=hashed)
    return merged, "".join(texts)


def editable_urls(requirements: RequirementsInput) -> tuple[str, ...]:
    """The URLs of the ``-e`` requirements."""
    return tuple(
        url for e in requirements.requirements if e.editable for url in [e.requirement.url] if url
    )


def project_root(requirements: RequirementsInput, options: LockOptions) -> Path | None:
    """The git working tree of ``--project``, else of the first input file (its directory
    when it is in none); ``None`` when the inputs came from no file."""
    if options.project is not None:
        return find_project_root(options.project)
    if requirements.files:
        return find_project_root(Path(os.path.abspath(requirements.files[0][0])).parent)
    return None


def builtin_order(requirements: RequirementsInput | None) -> dict[str, tuple[str, ...]]:
    """The built-in order: with an environment.yml's conda specs or channels, conda first.

    ``conda,wheel,sdist,nixpkgs``: the file's conda packages come from its channels, and its
    ``pip:`` lines from conda as well when a channel has a fitting version, else from PyPI.
    A user ``_default`` (``-p``) still replaces it, as it replaces the usual default.
    """
    if requirements is None or not (requirements.conda or requirements.channels):
        return dict(BUILTIN_DEFAULTS)
    return {"_default": ("conda", *BUILTIN_DEFAULTS["_default"])}


def provider_order(
    providers: str | Mapping[str, str | Sequence[str]] | None,
    requirements: RequirementsInput | None = None,
) -> ProviderOrder:
    """The user's provider order (``-p`` text or a mapping) over the built-in one."""
    builtin = builtin_order(requirements)
    if providers is None:
        return ProviderOrder.from_mapping({}, builtin=builtin)
    if isinstance(providers, str):
        return ProviderOrder.from_mapping(
            parse_provider_option(providers), where=f"-p {providers!r}", builtin=builtin
        )
    return ProviderOrder.from_mapping(providers, builtin=builtin)


def index_urls(requirements: RequirementsInput, options: LockOptions) -> list[str]:
    """The options' index URLs, else the files' (``-i``/``--extra-index-url``), else PyPI."""
    urls = list(options.index_urls or [])
    return urls or [requirements.index_url or DEFAULT_INDEX_URL, *requirements.extra_index_urls]


def roots(
    requirements: RequirementsInput, target: Target
) -> tuple[list[Requirement], list[Requirement]]:
    """The root requirements and the constraints whose markers hold on ``target``."""
    environment = dict(target.marker_environment)
    found, constraints = [], []
    for entry in requirements.requirements:
        marker = entry.requirement.marker
        if marker is not None and not marker.evaluate(environment):
            continue
        found.append(
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
    found += conda_roots(requirements, target)
    return found, constraints


def conda_roots(requirements: RequirementsInput, target: Target) -> list[Requirement]:
    """An environment.yml's conda specs as requirements on their resolver names.

    ``python`` (and ``python_abi``, virtual packages) are checked against the target here: the
    target's interpreter is the environment's python.
    """
    if not requirements.conda:
        return []
    from mach2.providers.conda.names import default_map
    from mach2.providers.conda.provider import conda_identifier
    from mach2.providers.conda.virtual import interpreter_packages, virtual_packages

    fixed = {r.name: r for r in (*interpreter_packages(target), *virtual_packages(target))}
    environment = dict(target.marker_environment)
    found = []
    for entry in requirements.conda:
        if entry.marker is not None and not entry.marker.evaluate(environment):
            continue
        spec = entry.spec
        if spec.name in fixed or spec.name.startswith("__"):
            have = fixed.get(spec.name)
            if have is None or not spec.matches(have):
                what = "nothing" if have is None else f"{have.name} {have.version}"
                raise InputError(
                    f"{entry.origin}: {spec.text!r} does not fit the target "
                    f"({target.describe()} provides {what})",
                    hint="pick the target with --python/--system/--glibc",
                )
            continue
        name = conda_identifier(spec.name, default_map())
        found.append(Requirement.from_matchspec(name, spec, origin=entry.origin))
    return found


def requested_at(
    files: Mapping[str, str],
    directories: Sequence[Path],
    target: Target,
    *,
    environ: Mapping[str, str] = {},
) -> dict[str, Requirement]:
    """Where each root of a lock was asked for: its identifier (without extras) → the root
    requirement, whose ``origin`` is ``file:line`` and ``text`` the requirement as written.

    The files are a lock's ``inputs.files`` (names relative to the first input's directory →
    sha256), looked for in ``directories`` in turn and read again; a file whose bytes changed
    since is skipped (its line numbers may be wrong), as is one that is gone or unreadable.
    A file that others include with ``-c`` is a constraints file: its lines request nothing.
    """
    inputs: list[RequirementsInput] = []
    for name, sha256 in files.items():
        for directory in directories:
            path = directory / name
            try:
                if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
                    continue
                inputs.append(read_input(path, environ=environ))
            except (OSError, Mach2Error):
                continue
            break
    constraint_files = {
        entry.origin.rsplit(":", 1)[0] for found in inputs for entry in found.constraints
    }
    requested: dict[str, Requirement] = {}
    for found in inputs:
        try:
            requirements, _ = roots(found, target)
        except Mach2Error:
            continue
        for requirement in requirements:
            if requirement.origin.rsplit(":", 1)[0] not in constraint_files:
                requested.setdefault(requirement.identifier.split("[", 1)[0], requirement)
    return requested
