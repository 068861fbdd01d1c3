"""What a lock needs from conda: channels → providers, environment.yml specs → roots.

Kept together so that :mod:`mach2.api` only calls these four.  The conda modules are imported
inside the functions: they load httpx and the name map, which PyPI-only locks do not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mach2.errors import InputError
from mach2.providers.base import Provider
from mach2.resolve.requirement import Requirement

if TYPE_CHECKING:
    from mach2.api import LockOptions
    from mach2.inputs import RequirementsInput
    from mach2.model.target import Target

__all__ = ["builtin_order", "hash_parts", "providers", "roots"]


def builtin_order(requirements: RequirementsInput | None) -> dict[str, tuple[str, ...]]:
    """The built-in order: with an environment.yml's conda specs or channels, conda first.

    ``conda,wheel,sdist,nixpkgs``: the file's conda packages come from its channels, and its
    ``pip:`` lines from conda as well when a channel has a fitting version, else from PyPI.
    A user ``_default`` (``-p``) still replaces it, as it replaces the usual default.
    """
    from mach2.providers.order import BUILTIN_DEFAULTS

    if requirements is None or not (requirements.conda or requirements.channels):
        return dict(BUILTIN_DEFAULTS)
    return {"_default": ("conda", *BUILTIN_DEFAULTS["_default"])}


def hash_parts(requirements: RequirementsInput, options: LockOptions) -> dict[str, object]:
    """What the input hash adds for conda: the channels and ``__cuda`` (nothing without)."""
    channels = [*options.channels, *requirements.channels]
    parts: dict[str, object] = {}
    if channels:
        parts["conda-channels"] = channels
    if options.cuda is not None:
        parts["conda-cuda"] = options.cuda
    return parts


def roots(requirements: RequirementsInput, target: Target) -> list[Requirement]:
    """An environment.yml's conda specs as requirements on their resolver names.

    ``python`` (and ``python_abi``, virtual packages) are checked against the target here: the
    target's interpreter is the environment's python, so ``python=3.11`` on a 3.12 target is
    an input error, not a resolution.
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


def providers(requirements: RequirementsInput, options: LockOptions) -> dict[str, Provider]:
    """``conda`` (every channel, strict priority) and ``conda/<name>`` per channel.

    Channels: ``options.channels`` first, then the environment files'.  Remote repodata is
    fetched into ``<cache_dir>/conda`` and revalidated after an hour (``refresh``: always).
    No channel: no conda provider, so an order naming one fails with the way to add it.

    :raises InputError: conda specs of an environment.yml but no channel at all.
    """
    texts = [*options.channels, *requirements.channels]
    if not texts:
        for entry in requirements.conda:
            if entry.spec.name not in ("python", "pip") and not entry.spec.name.startswith("__"):
                raise InputError(
                    f"{entry.origin}: conda package {entry.spec.text!r} but no conda channel",
                    hint="list channels: in the environment file or pass --channel NAME=URL_OR_DIR",
                )
        return {}
    import httpx

    from mach2.providers.conda.channels import (
        ChannelIndex,
        open_channels,
        parse_channels,
        target_subdir,
    )
    from mach2.providers.conda.provider import CondaProvider

    channels = parse_channels(texts)
    remote = any(channel.url is not None for channel in channels)
    client = httpx.Client(follow_redirects=True, timeout=60.0) if remote else None
    try:
        index = open_channels(
            channels,
            (target_subdir(options.target), "noarch"),
            cache_dir=options.cache_dir / "conda" if options.cache_dir else None,
            client=client,
            max_age=0.0 if options.refresh else 3600.0,
            offline=options.offline,
        )
    finally:
        if client is not None:
            client.close()

    def provider(name: str, channel_index: ChannelIndex) -> CondaProvider:
        return CondaProvider(
            name, channel_index, options.target, cuda=options.cuda,
            exclude_newer=options.exclude_newer,
        )  # fmt: skip

    made: dict[str, Provider] = {"conda": provider("conda", index)}
    for channel in channels:
        own = ChannelIndex([s for s in index.sources if s.channel == channel.name])
        made[f"conda/{channel.name}"] = provider(f"conda/{channel.name}", own)
    return made
