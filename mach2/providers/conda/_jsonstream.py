"""Decode one big JSON object (a repodata.json) one entry at a time.

A sliding window of text over the file; each value is decoded by the C scanner behind
``json.JSONDecoder.raw_decode``.  An entry cut by the window's end fails to decode (or, for a
bare number, ends exactly at the window's end) and is retried after reading more, so memory
holds one window (8 MB) plus one entry, never the whole text or all the records.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

from mach2.providers.conda.errors import RepodataError

__all__ = ["PACKAGE_SUFFIXES", "iter_repodata"]

_CHUNK = 8 << 20
PACKAGE_SUFFIXES: Final = (".tar.bz2", ".conda")
_SECTIONS: Final = ("packages", "packages.conda")
_SCANSTRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class _Stream:
    """A sliding window over a JSON text file, decoding one value at a time."""

    def __init__(self, handle: IO[bytes], source: str) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._json = json.JSONDecoder()
        # the C scanner behind raw_decode, without its wrapper (typeshed does not list it)
        self.scan_once: Callable[[str, int], tuple[Any, int]] = self._json.scan_once  # type: ignore[attr-defined]
        self._source = source
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        data = self._handle.read(_CHUNK)
        self.eof = not data
        text = self._decoder.decode(data, final=self.eof)
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf) or not self._more():
                return self.buf[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next JSON value; reads more when the window ends inside it."""
        self.peek()
        while True:
            try:
                obj, end = self._json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._more():
                    continue
                raise self.error("invalid JSON") from None
            if end == len(self.buf) and self._more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return obj

    def error(self, reason: str) -> RepodataError:
        return RepodataError(self._source, f"{reason} near character {self.pos} of the window")


def iter_repodata(handle: IO[bytes], source: str) -> Iterator[tuple[str, Any]]:
    """Yield ``("info", dict)`` and ``(filename, raw record)`` pairs, one at a time."""
    stream = _Stream(handle, source)
    stream.expect("{")
    if stream.peek() == "}":
        return
    while True:
        key = stream.value()
        stream.expect(":")
        if key in _SECTIONS:
            yield from _iter_section(stream)
        elif isinstance(key, str) and key.endswith(PACKAGE_SUFFIXES):
            yield key, stream.value()  # conda's test indexes: a bare packages dict
        elif key == "info":
            yield "info", stream.value()
        else:
            stream.value()  # removed, repodata_version, signatures, _etag, ...
        if stream.peek() == ",":
            stream.pos += 1
            continue
        stream.expect("}")
        return


def _iter_section(stream: _Stream) -> Iterator[tuple[str, Any]]:
    if stream.peek() == "n":  # "packages.conda": null
        stream.value()
        return
    stream.expect("{")
    if stream.peek() == "}":
        stream.pos += 1
        return
    scan, scanstring = stream.scan_once, _SCANSTRING
    while True:
        # fast path for compact JSON: "key":{...} followed by ',' or '}' in the window
        buf, pos = stream.buf, stream.pos
        try:
            if buf[pos] == '"':
                key, pos = scanstring(buf, pos + 1)
                if buf[pos] == ":":
                    value, pos = scan(buf, pos + 1)
                    follow = buf[pos]  # IndexError at the window's end: take the slow path
                    if follow == ",":
                        stream.pos = pos + 1
                        yield key, value
                        continue
                    if follow == "}":
                        stream.pos = pos + 1
                        yield key, value
                        return
        except (StopIteration, ValueError, IndexError):
            pass
        # slow path: whitespace, or the entry runs past the window (reads more)
        filename = stream.value()
        stream.expect(":")
        yield filename, stream.value()
        if stream.peek() == ",":
            stream.pos += 1
            continue
        stream.expect("}")
        return
