"""Conda repodata: records, a streaming loader and a per-name binary index cached on disk.

conda-forge's ``linux-64/repodata.json`` is hundreds of MB.  ``json.load`` of it holds the
text and then several GB of dicts at once, and would be repeated on every run.  Instead:

1. The file is read in chunks and decoded one record at a time (``JSONDecoder.raw_decode``
   on a sliding window), so neither the whole text nor all the dicts are ever in memory.
2. Each record becomes a compact tuple, ``marshal``-ed and appended to an index file, and the
   index remembers, per package name, where that name's records are.
3. The index file is keyed by the sha256 of the repodata (a stat fingerprint avoids re-hashing
   an unchanged file) and written atomically.  Opening it costs one ``marshal.loads`` of the
   name table; a name's records are read (``pread``) and decoded only when the solver asks for
   that name.

Cost: the first load parses everything once (seconds for conda-forge); later loads are
milliseconds plus the names actually used.  ``bench/conda_repodata.py`` measures both.

Formats accepted: ``{"info", "packages", "packages.conda", ...}`` and conda's test indexes,
which are a bare ``{filename: record}`` dict.  When a build exists as both ``.tar.bz2`` and
``.conda`` only the ``.conda`` is kept.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import struct
import tempfile
import weakref
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final

from attrs import frozen

from mach2.providers.conda._jsonstream import PACKAGE_SUFFIXES, iter_repodata
from mach2.providers.conda.errors import RepodataError
from mach2.providers.conda.version import VersionOrder

__all__ = [
    "RepodataRecord",
    "SubdirRepodata",
    "file_sha256",
    "load_repodata",
    "record_from_json",
]

_MAGIC: Final = b"MACH2CRI"  # mach2 conda repodata index
_FORMAT: Final = 1


@frozen(kw_only=True, cache_hash=True)
class RepodataRecord:
    """One conda package file as its channel's repodata describes it.

    :param depends: MatchSpec strings of what it needs.
    :param constrains: MatchSpec strings that bind other packages only *if* they are installed.
    :param track_features: features that make the solver avoid this record.
    :param features: the old-style ``features`` field (also avoided by the solver).
    :param noarch: ``"python"``, ``"generic"`` or ``None`` (an architecture-specific build).
    :param subdir: the record's subdir (``linux-64``, ``noarch``).
    :param url: where to download it from.
    :param sha256: hex digest; ``None`` in md5-only channels (Nix cannot fetch those).
    :param timestamp: build time in milliseconds since the epoch, 0 when unknown.
    :param channel: the channel's name (``conda-forge``, ``main``, a local name).
    """

    name: str
    version: VersionOrder
    build: str
    build_number: int
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    track_features: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    noarch: str | None = None
    subdir: str
    filename: str
    url: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    timestamp: int = 0
    channel: str

    @property
    def stem(self) -> str:
        """The filename without ``.conda``/``.tar.bz2``: ``name-version-build``."""
        for suffix in PACKAGE_SUFFIXES:
            if self.filename.endswith(suffix):
                return self.filename[: -len(suffix)]
        return self.filename

    def describe(self) -> str:
        """``numpy 1.26.4 py312h…_0 (conda-forge/linux-64)`` for messages."""
        return f"{self.name} {self.version} {self.build} ({self.channel}/{self.subdir})"


# -- JSON record -> compact tuple -> RepodataRecord -------------------------------------------

Compact = tuple[Any, ...]


def _features(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(f for f in value.replace(",", " ").split() if f)
    if isinstance(value, list | tuple):
        return tuple(str(f) for f in value if f)
    return ()


def _noarch(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("noarch")
    if value == "python" or raw.get("noarch_python"):
        return "python"
    if value:  # "generic", or true in old repodata
        return "generic"
    return None


def _compact(filename: str, raw: Mapping[str, Any], default_subdir: str) -> Compact:
    """The fields mach2 uses, as a tuple of builtins (what ``marshal`` stores)."""
    # Types are checked when a name's records are decoded (_record), not here: this runs for
    # every record of the channel, that only for the names the solver asks about.
    get = raw.get
    try:
        track, features, noarch = get("track_features"), get("features"), get("noarch")
        return (
            filename,
            raw["name"],
            raw["version"],
            raw["build"],
            get("build_number") or 0,
            tuple(get("depends") or ()),
            tuple(get("constrains") or ()),
            _features(track) if track else (),
            _features(features) if features else (),
            _noarch(raw) if noarch or "noarch_python" in raw else None,
            get("subdir") or default_subdir,
            get("sha256") or None,
            get("md5") or None,
            get("size"),
            get("timestamp") or 0,
        )
    except (KeyError, TypeError) as error:
        raise RepodataError(filename, f"malformed record ({error!r})") from None


def _record(compact: Compact, channel: str, base_url: str) -> RepodataRecord:
    (filename, name, version, build, build_number, depends, constrains, track_features,
     features, noarch, subdir, sha256, md5, size, timestamp) = compact  # fmt: skip
    strings = (name, version, build, subdir, *depends, *constrains)
    if not all(isinstance(s, str) for s in strings) or not isinstance(build_number, int):
        raise RepodataError(filename, "malformed record (a field has the wrong type)")
    timestamp = int(timestamp)
    if timestamp and timestamp < 100_000_000_000:  # seconds in old repodata, ms in new
        timestamp *= 1000
    return RepodataRecord(
        name=name,
        version=VersionOrder.parse(version),
        build=build,
        build_number=build_number,
        depends=tuple(depends),
        constrains=tuple(constrains),
        track_features=tuple(track_features),
        features=tuple(features),
        noarch=noarch,
        subdir=subdir,
        filename=filename,
        url=f"{base_url.rstrip('/')}/{filename}",
        sha256=sha256,
        md5=md5,
        size=int(size) if size is not None else None,
        timestamp=timestamp,
        channel=channel,
    )


def record_from_json(
    filename: str, raw: Mapping[str, Any], *, channel: str, subdir: str, base_url: str
) -> RepodataRecord:
    """One repodata ``packages`` entry as a record (for tests and lock files)."""
    return _record(_compact(filename, raw, subdir), channel, base_url)


# -- the index file -------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _build_index(source: Path, out: IO[bytes], default_subdir: str) -> None:
    """Stream ``source`` into ``out``: header length, data blobs, then the marshal-ed header."""
    out.write(_MAGIC + struct.pack("<Q", 0))
    offset = len(_MAGIC) + 8
    positions: dict[str, array[int]] = {}
    info: dict[str, Any] = {}
    pending: list[bytes] = []
    with source.open("rb") as handle:
        for key, raw in iter_repodata(handle, str(source)):
            if key == "info":
                info = raw if isinstance(raw, dict) else {}
                default_subdir = str(info.get("subdir") or default_subdir)
                continue
            if not isinstance(raw, dict):
                raise RepodataError(str(source), f"record {key!r} is not an object")
            compact = _compact(key, raw, default_subdir)
            blob = marshal.dumps(compact)
            pending.append(blob)
            if len(pending) >= 4096:
                out.write(b"".join(pending))
                pending.clear()
            slots = positions.get(compact[1])
            if slots is None:
                if not isinstance(compact[1], str):
                    raise RepodataError(str(source), f"record {key!r} has no string name")
                slots = positions[compact[1]] = array("Q")
            slots.append(offset)
            slots.append(len(blob))
            offset += len(blob)
    out.write(b"".join(pending))
    header = {
        "format": _FORMAT,
        "info": {k: v for k, v in info.items() if isinstance(v, str | int | float)},
        "names": {name: slots.tobytes() for name, slots in positions.items()},
    }
    out.write(marshal.dumps(header))
    out.seek(len(_MAGIC))
    out.write(struct.pack("<Q", offset))


class _Blob:
    """Random access to an index: bytes in memory, or a file read with ``pread``.

    Not ``mmap``: page faults on a mapping pull in whole page-cache folios, so touching a few
    hundred scattered records showed up as 150+ MB of RSS; ``pread`` copies only what is asked.
    """

    def __init__(self, *, data: bytes | None = None, path: Path | None = None) -> None:
        self._data = data
        self._fd = -1
        if path is not None:
            self._fd = os.open(path, os.O_RDONLY)
            weakref.finalize(self, os.close, self._fd)
            self.size = os.fstat(self._fd).st_size
        else:
            self.size = len(data or b"")

    def read(self, offset: int, length: int) -> bytes:
        if self._data is not None:
            return self._data[offset : offset + length]
        chunk = os.pread(self._fd, length, offset)
        if len(chunk) != length:
            raise EOFError("index file is truncated")
        return chunk


class SubdirRepodata:
    """The records of one repodata.json (one channel, one subdir), decoded per name on demand.

    Obtain with :func:`load_repodata`.  ``records(name)`` is cached.
    """

    def __init__(
        self, blob: _Blob, *, channel: str, subdir: str, base_url: str, source: str
    ) -> None:
        start = blob.read(0, len(_MAGIC) + 8)
        if start[: len(_MAGIC)] != _MAGIC:
            raise RepodataError(source, "not a mach2 repodata index")
        (data_end,) = struct.unpack_from("<Q", start, len(_MAGIC))
        if not len(_MAGIC) + 8 <= data_end < blob.size:
            raise RepodataError(source, "truncated mach2 repodata index")
        header = marshal.loads(blob.read(data_end, blob.size - data_end))
        if not isinstance(header, dict) or header.get("format") != _FORMAT:
            raise RepodataError(source, "index written by another mach2 version")
        self._blob = blob
        self._names: dict[str, bytes] = header["names"]
        self._cache: dict[str, tuple[RepodataRecord, ...]] = {}
        self.info: dict[str, Any] = header["info"]
        self.channel = channel
        self.subdir = str(self.info.get("subdir") or subdir)
        base = self.info.get("base_url")
        self.base_url = str(base) if base else base_url
        self.source = source

    def names(self) -> frozenset[str]:
        return frozenset(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def entry_count(self) -> int:
        """How many entries the file had (a build in both formats counts twice)."""
        return sum(len(slots) // 16 for slots in self._names.values())

    def records(self, name: str) -> tuple[RepodataRecord, ...]:
        """Every record of ``name`` (``.conda`` preferred over ``.tar.bz2`` of the same build)."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        slots = array("Q")
        slots.frombytes(self._names.get(name, b""))
        by_stem: dict[str, RepodataRecord] = {}
        for i in range(0, len(slots), 2):
            start = slots[i]
            compact = marshal.loads(self._blob.read(start, slots[i + 1]))
            record = _record(compact, self.channel, self.base_url)
            kept = by_stem.get(record.stem)
            if kept is None or record.filename.endswith(".conda"):
                by_stem[record.stem] = record
        result = tuple(by_stem.values())
        self._cache[name] = result
        return result

    def __iter__(self) -> Iterator[RepodataRecord]:
        for name in sorted(self._names):
            yield from self.records(name)


def load_repodata(
    path: Path,
    *,
    channel: str,
    subdir: str,
    base_url: str,
    cache_dir: Path | None = None,
    sha256: str | None = None,
) -> SubdirRepodata:
    """Open ``path`` (a repodata.json) through its cached index, building the index if needed.

    :param base_url: the subdir URL the package files live under (record URLs are
        ``base_url/filename``); ``info.base_url`` in the repodata wins over it.
    :param cache_dir: where indexes live; ``None`` builds the index in memory (small files).
    :param sha256: the file's digest when the caller knows it (saves hashing the file).
    :raises RepodataError: the file is missing or not repodata.
    """
    if not path.is_file():
        raise RepodataError(str(path), "no such file")
    if cache_dir is None:
        with tempfile.TemporaryFile() as scratch:
            _build_index(path, scratch, subdir)
            scratch.seek(0)
            data = scratch.read()
        return SubdirRepodata(
            _Blob(data=data), channel=channel, subdir=subdir, base_url=base_url, source=str(path)
        )
    digest = sha256 or _fingerprinted_sha256(path, cache_dir)
    index = cache_dir / "repodata-index" / f"{digest}.idx"
    for attempt in range(2):
        if not index.is_file():
            _write_index(path, index, subdir)
        try:
            return SubdirRepodata(
                _Blob(path=index), channel=channel, subdir=subdir, base_url=base_url,
                source=str(path),
            )  # fmt: skip
        except (RepodataError, ValueError, EOFError, TypeError, struct.error):
            if attempt:
                raise
            index.unlink(missing_ok=True)  # corrupt or from another version: rebuild once
    raise AssertionError("unreachable")


def _write_index(source: Path, index: Path, subdir: str) -> None:
    index.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=index.parent, prefix=".tmp-", suffix=".idx")
    try:
        with os.fdopen(fd, "w+b") as out:
            _build_index(source, out, subdir)
        os.replace(scratch, index)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def _fingerprinted_sha256(path: Path, cache_dir: Path) -> str:
    """sha256 of ``path``, remembered by (path, size, mtime, inode) so it is computed once."""
    stat = path.stat()
    resolved = str(path.resolve())
    key = hashlib.sha256(resolved.encode()).hexdigest()[:32]
    memo = cache_dir / "repodata-index" / f"stat-{key}.json"
    fingerprint = [resolved, stat.st_size, stat.st_mtime_ns, stat.st_ino]
    try:
        saved = json.loads(memo.read_text())
        if saved["fingerprint"] == fingerprint:
            return str(saved["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = file_sha256(path)
    memo.parent.mkdir(parents=True, exist_ok=True)
    scratch = memo.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps({"fingerprint": fingerprint, "sha256": digest}))
    os.replace(scratch, memo)
    return digest
