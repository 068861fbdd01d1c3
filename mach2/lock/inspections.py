"""Facts read from a wheel's files (ELF or Mach-O), kept on disk by the wheel's sha256.

A wheel's bytes never change for a given sha256, so an entry is never revalidated: a warm
lock reads no wheel again.  An unreadable entry, or one of another ``format``, is ignored and
rewritten.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs
from attrs import AttrsInstance

from mach2.atomic import write_atomic
from mach2.lock.model import LockedPackage

__all__ = ["InspectionStore", "inspect_wheels"]

T = TypeVar("T", bound=AttrsInstance)


class InspectionStore(Generic[T]):
    """``<directory>/<sha256[:2]>/<sha256>.json``: an attrs record as JSON, with ``format``.

    :param directory: where the entries live; ``None`` keeps nothing.
    :param from_json: the record from its JSON (tuples rebuilt from lists).
    :param format: bumped when the record's fields change, so old entries are re-read.
    """

    def __init__(
        self, directory: Path | None, *, from_json: Callable[[dict[str, Any]], T], format: int
    ) -> None:
        self.directory = directory
        self._from_json = from_json
        self._format = format

    def _path(self, sha256: str | None) -> Path | None:
        if self.directory is None or sha256 is None or len(sha256) != 64:
            return None
        return self.directory / sha256[:2] / f"{sha256}.json"

    def get(self, sha256: str | None) -> T | None:
        path = self._path(sha256)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != self._format:
                return None
            return self._from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, sha256: str | None, record: T) -> None:
        path = self._path(sha256)
        if path is not None:
            data = attrs.asdict(record, recurse=True) | {"format": self._format}
            write_atomic(path, json.dumps(data, sort_keys=True))


def inspect_wheels(
    keys: Sequence[str],
    packages: Mapping[str, LockedPackage],
    *,
    store: InspectionStore[T],
    read: Callable[[Path], T],
    download: Callable[[LockedPackage], Path],
    workers: int,
    on_inspected: Callable[[str, int, int], None] | None,
    thread_name: str,
) -> dict[str, T]:
    """The facts of each wheel of ``keys``: from ``store``, else ``read`` from its download
    (and stored); side by side, since each mostly waits on the network.  ``on_inspected`` is
    told of each wheel done (key, count done, count of all)."""
    done = 0
    lock = threading.Lock()

    def inspect(key: str) -> T:
        nonlocal done
        try:
            sha256 = packages[key].artifact.sha256
            found = store.get(sha256)
            if found is None:
                found = read(download(packages[key]))
                store.put(sha256, found)
            return found
        finally:
            with lock:
                done += 1
                if on_inspected is not None:
                    on_inspected(key, done, len(keys))

    with ThreadPoolExecutor(workers, thread_name_prefix=thread_name) as pool:
        return dict(zip(keys, pool.map(inspect, keys), strict=True))
