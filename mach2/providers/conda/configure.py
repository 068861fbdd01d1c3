"""The ``conda`` and ``conda/<channel>`` providers, made from a lock's settings (the providers
stage).  The conda modules are imported inside the function: a PyPI-only lock does not load
the repodata reader or the name map.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from mach2.model.target import Target
from mach2.net.http import Http
from mach2.providers.base import Provider

__all__ = ["providers"]


def providers(
    channels: Sequence[str],
    target: Target,
    *,
    file_channels: Sequence[str] = (),
    cache_dir: Path | None,
    cuda: str | None = None,
    exclude_newer: datetime | None = None,
    refresh: bool = False,
    offline: bool = False,
    http: Http | None = None,
) -> dict[str, Provider]:
    """``conda`` (every channel, strict priority) and ``conda/<name>`` per channel.

    :param channels: ``conda-forge``, ``NAME=URL_OR_DIR``, highest priority first (the
        command line's).
    :param file_channels: an environment file's, after ``channels``; one that ``channels``
        names too is replaced by it (a mirror).
    :param cache_dir: remote repodata is fetched into ``<cache_dir>/conda`` and revalidated
        after an hour (``refresh``: always).
    :param http: the HTTP client for remote channels (default: one of its own, closed after).
    """
    if not channels and not file_channels:
        return {}
    from mach2.providers.conda.channels import (
        ChannelIndex,
        open_channels,
        parse_channels,
        target_subdir,
    )
    from mach2.providers.conda.provider import CondaProvider

    parsed = parse_channels(file_channels, overridden_by=channels)
    client = http if http is not None else Http()
    try:
        index = open_channels(
            parsed,
            (target_subdir(target), "noarch"),
            cache_dir=cache_dir / "conda" if cache_dir else None,
            client=client,
            max_age=0.0 if refresh else 3600.0,
            offline=offline,
        )
    finally:
        if http is None:
            client.close()  # connections are made on first use: local channels open none

    def provider(name: str, channel_index: ChannelIndex) -> CondaProvider:
        return CondaProvider(name, channel_index, target, cuda=cuda, exclude_newer=exclude_newer)

    made: dict[str, Provider] = {"conda": provider("conda", index)}
    for channel in parsed:
        own = ChannelIndex([s for s in index.sources if s.channel == channel.name])
        made[f"conda/{channel.name}"] = provider(f"conda/{channel.name}", own)
    return made
