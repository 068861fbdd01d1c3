"""One member of a remote zip (a wheel's METADATA), read with a few HTTP range requests.

When an index has no PEP 658 ``.metadata`` file for a wheel, its METADATA can still be had
without downloading the wheel, the way uv does: the file's tail (:data:`ZIP_TAIL` bytes) holds
the end-of-central-directory record and usually the whole central directory, and often the
member itself, as wheels store ``.dist-info`` last; one or two more ranges fetch what is
missing.  This module only parses zip structures: the caller fetches the bytes (see
:meth:`mach2.net.http.Http.get_range`), so it is kept apart from the HTTP client and can
be tested on zips made in memory.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

__all__ = ["ZIP_TAIL", "ZipReadError", "read_zip_member"]

#: Bytes fetched from the end of a zip first: the end-of-central-directory record, the
#: central directory of most wheels and, as wheels store ``.dist-info`` last, often the member.
ZIP_TAIL = 64 * 1024
_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD64_LOCATOR = struct.Struct("<4sIQI")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")


class ZipReadError(Exception):
    """The remote zip (or the server's range answers) could not be read; fall back to a download."""


def read_zip_member(
    tail: bytes,
    size: int,
    fetch: Callable[[int, int], bytes],
    pick: Callable[[list[str]], str | None],
) -> bytes:
    """One member of a remote zip, read from its tail plus as few ranges as possible.

    :param tail: the last ``len(tail)`` bytes of the file.
    :param size: the file's size.
    :param fetch: ``fetch(start, end)`` returns bytes ``start`` (inclusive) to ``end``
        (exclusive) of the file, with one range request.
    :param pick: chooses the member from the list of names (``None``: not there).
    :raises ZipReadError: anything unexpected (zip64 beyond the tail, encryption, an unknown
        compression, a CRC mismatch, no member picked).
    """
    window = _Window(tail, size - len(tail), fetch)
    entries_total, cd_size, cd_offset = _central_directory(window, size)
    directory = window.read(cd_offset, cd_offset + cd_size, extend=True)
    entries: dict[str, tuple[int, int, int, int, int, int]] = {}
    position = 0
    for _ in range(entries_total):
        fields = _unpack(_CENTRAL, directory, position, b"PK\x01\x02")
        flags, method, crc, compressed, uncompressed = fields[3], fields[4], *fields[7:10]
        name_length, extra_length, comment_length, offset = *fields[10:13], fields[16]
        start = position + _CENTRAL.size
        name = directory[start : start + name_length].decode("utf-8", "replace")
        extra = directory[start + name_length : start + name_length + extra_length]
        if 0xFFFFFFFF in (compressed, uncompressed, offset):
            uncompressed, compressed, offset = _zip64_extra(extra, uncompressed, compressed, offset)
        entries[name] = (flags, method, crc, compressed, uncompressed, offset)
        position = start + name_length + extra_length + comment_length
    chosen = pick(list(entries))
    if chosen is None:
        raise ZipReadError("member not found")
    flags, method, crc, compressed, uncompressed, offset = entries[chosen]
    if flags & 0x1:
        raise ZipReadError("encrypted member")
    # The local header repeats the name and has its own extra field: guess generously, then
    # read what is missing (one more request at most).
    guess = offset + _LOCAL.size + len(chosen.encode()) + 256 + compressed
    head = window.read(offset, min(guess, size))
    local = _unpack(_LOCAL, head, 0, b"PK\x03\x04")
    data_start = offset + _LOCAL.size + local[9] + local[10]
    data_end = data_start + compressed
    if data_end > offset + len(head):
        head += window.read(offset + len(head), data_end)
    raw = head[data_start - offset : data_end - offset]
    if method == 0:
        data = raw
    elif method == 8:
        try:
            data = zlib.decompress(raw, -15)
        except zlib.error as error:
            raise ZipReadError(f"cannot inflate: {error}") from error
    else:
        raise ZipReadError(f"compression method {method}")
    if len(data) != uncompressed or zlib.crc32(data) != crc:
        raise ZipReadError("CRC or size mismatch")
    return data


class _Window:
    """The bytes of the file known so far: a suffix, grown to the left for the directory."""

    def __init__(self, data: bytes, start: int, fetch: Callable[[int, int], bytes]) -> None:
        self.data = data
        self.start = start
        self._fetch = fetch

    def read(self, start: int, end: int, *, extend: bool = False) -> bytes:
        if start >= self.start:
            return self.data[start - self.start : end - self.start]
        if extend:  # the central directory runs up to the end: fetch the gap and keep it
            self.data = self._fetch(start, self.start) + self.data
            self.start = start
            return self.data[: end - start]
        if end <= self.start:
            return self._fetch(start, end)
        return self._fetch(start, self.start) + self.data[: end - self.start]


def _central_directory(window: _Window, size: int) -> tuple[int, int, int]:
    """``(entries, size, offset)`` of the central directory, from the (zip64) end record."""
    tail = window.data
    position = tail.rfind(b"PK\x05\x06")
    while position >= 0:
        if position + _EOCD.size <= len(tail):
            comment_length = _EOCD.unpack_from(tail, position)[7]
            if position + _EOCD.size + comment_length == len(tail):
                break
        position = tail.rfind(b"PK\x05\x06", 0, position)
    if position < 0:
        raise ZipReadError("no end-of-central-directory record")
    _, _, _, _, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, position)
    if entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        locator = _unpack(_EOCD64_LOCATOR, tail, position - _EOCD64_LOCATOR.size, b"PK\x06\x07")
        record = window.read(locator[2], locator[2] + _EOCD64.size)
        fields = _unpack(_EOCD64, record, 0, b"PK\x06\x06")
        entries, cd_size, cd_offset = fields[7], fields[8], fields[9]
    if cd_offset + cd_size > size:
        raise ZipReadError("central directory beyond the end of the file")
    return entries, cd_size, cd_offset


def _zip64_extra(extra: bytes, uncompressed: int, compressed: int, offset: int) -> tuple[int, ...]:
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, position)
        if kind == 0x0001:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, position + 4))
            result = []
            for value in (uncompressed, compressed, offset):
                result.append(values.pop(0) if value == 0xFFFFFFFF and values else value)
            return tuple(result)
        position += 4 + length
    raise ZipReadError("zip64 sizes without a zip64 extra field")


def _unpack(layout: struct.Struct, data: bytes, position: int, signature: bytes) -> tuple[Any, ...]:
    if position < 0 or position + layout.size > len(data):
        raise ZipReadError("truncated zip record")
    fields = layout.unpack_from(data, position)
    if fields[0] != signature:
        raise ZipReadError(f"expected zip record {signature!r} at {position}")
    return fields
