"""Conda channels: names and URLs, subdirs per target, and the priority-ordered index.

Channel strings, as given to ``--channel`` or listed in an environment.yml::

    conda-forge                 https://conda.anaconda.org/conda-forge
    main  (also pkgs/main)      https://repo.anaconda.com/pkgs/main   (likewise r, free, msys2)
    defaults                    main, then r
    https://host/path/chan      that URL, named ``chan``
    ./local/dir  /abs/dir       a local channel directory, named after the directory
    NAME=URL_OR_DIR             either of the above, named NAME (``providers`` says ``conda/NAME``)

A target reads its platform subdir plus ``noarch``.  Channels are in priority order: with
``strict`` priority (the default, as in pixi and conda-forge's advice) a package name is taken
only from the first channel that has it at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final, Protocol

import attrs
from attrs import frozen

from mach2.model.target import Target
from mach2.net.http import Http
from mach2.providers.conda.errors import ChannelError
from mach2.providers.conda.fetch import RepodataNotFound, fetch_repodata
from mach2.providers.conda.repodata import RepodataRecord, SubdirRepodata, load_repodata

__all__ = [
    "CHANNEL_ALIAS",
    "Channel",
    "ChannelIndex",
    "RecordSource",
    "RecordsInMemory",
    "open_channels",
    "parse_channels",
    "target_subdir",
]

#: Where a bare channel name lives (conda's ``channel_alias``).
CHANNEL_ALIAS: Final = "https://conda.anaconda.org"
_ANACONDA: Final = {
    name: f"https://repo.anaconda.com/pkgs/{name}" for name in ("main", "r", "free", "msys2")
}
_DEFAULTS: Final = ("main", "r")
_SUBDIR_OF_SYSTEM: Final = {
    "x86_64-linux": "linux-64",
    "aarch64-linux": "linux-aarch64",
    "x86_64-darwin": "osx-64",
    "aarch64-darwin": "osx-arm64",
}
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


def target_subdir(target: Target) -> str:
    """The conda subdir of the target's Nix system (``x86_64-linux`` → ``linux-64``)."""
    return _SUBDIR_OF_SYSTEM[target.system]


@frozen(kw_only=True, cache_hash=True)
class Channel:
    """A conda channel: its name and either a base URL or a local directory.

    :param name: what records and ``conda/NAME`` providers call it.
    :param url: base URL (``https://conda.anaconda.org/conda-forge``), no trailing slash.
    :param path: local channel directory holding ``<subdir>/repodata.json``.
    """

    name: str
    url: str | None = None
    path: Path | None = None

    @classmethod
    def parse(cls, text: str) -> Channel:
        """Parse one channel string (see the module docstring); ``defaults`` is not one channel."""
        spec = text.strip()
        if not spec:
            raise ChannelError(text, "empty channel")
        name, sep, location = spec.partition("=")
        if sep and _NAME.match(name) and location:
            return cls._located(location.strip(), name=name)
        if spec in ("defaults", "nodefaults"):
            raise ChannelError(text, "not a single channel", hint="use parse_channels")
        if spec.startswith("pkgs/") and spec[5:] in _ANACONDA:
            spec = spec[5:]
        if spec in _ANACONDA:
            return cls(name=spec, url=_ANACONDA[spec])
        if _NAME.match(spec):
            return cls(name=spec, url=f"{CHANNEL_ALIAS}/{spec}")
        return cls._located(spec, name=None)

    @classmethod
    def _located(cls, location: str, *, name: str | None) -> Channel:
        if location.startswith("file://"):
            location = location[len("file://") :]
        elif "://" in location:
            url = location.rstrip("/")
            derived = url.rsplit("/", 1)[-1]
            if name is None and not _NAME.match(derived):
                raise ChannelError(
                    location, "cannot tell the channel's name", hint="write NAME=URL"
                )
            return cls(name=name or derived, url=url)
        elif _NAME.match(location) and "/" not in location and not location.startswith("."):
            named = cls.parse(location)  # NAME=conda-forge: another name for a known channel
            return named if name is None else attrs.evolve(named, name=name)
        path = Path(location).expanduser()
        derived = path.name or path.resolve().name
        if name is None and not _NAME.match(derived):
            raise ChannelError(location, "cannot tell the channel's name", hint="write NAME=DIR")
        return cls(name=name or derived, path=path)

    def subdir_url(self, subdir: str) -> str:
        """The URL package files of ``subdir`` are downloaded from."""
        if self.url is not None:
            return f"{self.url}/{subdir}"
        assert self.path is not None
        return (self.path / subdir).absolute().as_uri()

    def __str__(self) -> str:
        return self.name


def parse_channels(
    texts: Iterable[str], *, overridden_by: Iterable[str] = ()
) -> tuple[Channel, ...]:
    """Channel strings in priority order; ``defaults`` expands to main and r; duplicates dropped.

    :param overridden_by: channels given on the command line, before ``texts`` (an
        environment file's): they come first, and one of them named like a channel of
        ``texts`` replaces it (a mirror: ``--channel conda-forge=./cf`` for a file that lists
        ``conda-forge``, as conda's ``channel_alias``/mirror settings do).

    >>> [c.name for c in parse_channels(["conda-forge", "defaults", "nodefaults"])]
    ['conda-forge', 'main', 'r']
    >>> [(c.name, c.url or str(c.path)) for c in
    ...  parse_channels(["conda-forge", "bioconda"], overridden_by=["conda-forge=/srv/cf"])]
    [('conda-forge', '/srv/cf'), ('bioconda', 'https://conda.anaconda.org/bioconda')]
    """
    first = _parse_channel_list(overridden_by)
    named = {channel.name for channel in first}
    rest = [c for c in _parse_channel_list(texts) if c.name not in named]
    return (*first, *rest)


def _parse_channel_list(texts: Iterable[str]) -> tuple[Channel, ...]:
    channels: dict[str, Channel] = {}
    for text in texts:
        spec = text.strip()
        if spec == "nodefaults":  # conda-lock: do not add defaults; we never add them anyway
            continue
        parsed = (
            [Channel.parse(n) for n in _DEFAULTS] if spec == "defaults" else [Channel.parse(spec)]
        )
        for channel in parsed:
            previous = channels.setdefault(channel.name, channel)
            if previous != channel:
                raise ChannelError(
                    text,
                    f"name {channel.name!r} already names another channel",
                    hint="name one of them otherwise with NAME=URL_OR_DIR; to point an "
                    "environment file's channel elsewhere (a mirror), give --channel "
                    f"{channel.name}=URL_OR_DIR on the command line",
                )
    return tuple(channels.values())


# -- record sources and the merged index -------------------------------------------------------


class RecordSource(Protocol):
    """Records of one channel (one or more subdirs): a :class:`SubdirRepodata` or a list."""

    @property
    def channel(self) -> str: ...

    def records(self, name: str) -> tuple[RepodataRecord, ...]: ...

    def names(self) -> frozenset[str]: ...


class RecordsInMemory:
    """A record source from a list (virtual packages, lock files, test fixtures)."""

    def __init__(self, channel: str, records: Iterable[RepodataRecord]) -> None:
        self.channel = channel
        self._by_name: dict[str, list[RepodataRecord]] = {}
        for record in records:
            self._by_name.setdefault(record.name, []).append(record)

    def records(self, name: str) -> tuple[RepodataRecord, ...]:
        return tuple(self._by_name.get(name, ()))

    def names(self) -> frozenset[str]:
        return frozenset(self._by_name)


class ChannelIndex:
    """Every record source of an environment, in channel priority order.

    ``records(name)`` concatenates the sources' records (highest priority channel first);
    ``channel_rank`` tells the solver how to order or filter them.
    """

    def __init__(self, sources: Sequence[RecordSource]) -> None:
        self.sources = tuple(sources)
        ranks: dict[str, int] = {}
        for source in self.sources:
            ranks.setdefault(source.channel, len(ranks))
        self._ranks = ranks
        self._cache: dict[str, tuple[RepodataRecord, ...]] = {}

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._ranks)

    def channel_rank(self, channel: str) -> int:
        return self._ranks.get(channel, len(self._ranks))

    def records(self, name: str) -> tuple[RepodataRecord, ...]:
        cached = self._cache.get(name)
        if cached is None:
            cached = tuple(r for source in self.sources for r in source.records(name))
            self._cache[name] = cached
        return cached

    def names(self) -> frozenset[str]:
        return frozenset().union(*(source.names() for source in self.sources))


def open_channels(
    channels: Sequence[Channel],
    subdirs: Sequence[str],
    *,
    cache_dir: Path | None,
    client: Http | None = None,
    max_age: float = 0.0,
    offline: bool = False,
) -> ChannelIndex:
    """Load (fetching where needed) every channel x subdir into one :class:`ChannelIndex`.

    A missing subdir is empty (intel has no osx-arm64), but a channel with none of the
    ``subdirs`` is an error.  Remote channels need ``client`` and ``cache_dir``.
    """
    sources: list[RecordSource] = []
    for channel in channels:
        found = [_open_subdir(channel, s, cache_dir, client, max_age, offline) for s in subdirs]
        present = [source for source in found if source is not None]
        if not present:
            raise ChannelError(channel.name, f"has no repodata for {', '.join(subdirs)}")
        sources.extend(present)
    return ChannelIndex(sources)


def _open_subdir(
    channel: Channel,
    subdir: str,
    cache_dir: Path | None,
    client: Http | None,
    max_age: float,
    offline: bool,
) -> SubdirRepodata | None:
    base_url = channel.subdir_url(subdir)
    if channel.path is not None:
        path = channel.path / subdir / "repodata.json"
        if not path.is_file():
            return None
        return load_repodata(
            path, channel=channel.name, subdir=subdir, base_url=base_url, cache_dir=cache_dir
        )
    if client is None or cache_dir is None:
        raise ChannelError(channel.name, "a remote channel needs an HTTP client and a cache")
    try:
        fetched = fetch_repodata(
            base_url, cache_dir, client=client, max_age=max_age, offline=offline
        )
    except RepodataNotFound:
        return None
    return load_repodata(
        fetched.path,
        channel=channel.name,
        subdir=subdir,
        base_url=base_url,
        cache_dir=cache_dir,
        sha256=fetched.sha256,
    )
