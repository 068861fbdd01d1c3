"""Read which libraries every Mach-O file of a wheel loads, streaming from the zip.

A Mach-O file starts with its header and load commands, so only those bytes are inflated (a
few KiB per file; for a universal2 "fat" file, up to the start of each slice's commands).
Members are found by their magic number, not their names.  The layout (``mach-o/loader.h``,
``mach-o/fat.h`` of Apple's cctools, as documented in Apple's "OS X ABI Mach-O File Format
Reference"): a 28-byte (32-bit) or 32-byte (64-bit) header ``magic, cputype, cpusubtype,
filetype, ncmds, sizeofcmds, flags[, reserved]``, then ``ncmds`` commands each starting
``cmd, cmdsize``; a fat file is a big-endian ``magic, nfat_arch`` and ``nfat_arch`` records
``cputype, cpusubtype, offset, size, align`` (64-bit offsets and sizes for FAT_MAGIC_64).
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from typing import BinaryIO

from attrs import frozen

from mach2.errors import ArtifactError

__all__ = [
    "MachoFile",
    "MachoInspection",
    "MachoReadError",
    "MachoSlice",
    "inspect_macho_wheel",
    "read_macho",
]

_THIN = {
    b"\xce\xfa\xed\xfe": ("<", 28),  # MH_MAGIC, little-endian
    b"\xcf\xfa\xed\xfe": ("<", 32),  # MH_MAGIC_64
    b"\xfe\xed\xfa\xce": (">", 28),  # big-endian (PowerPC)
    b"\xfe\xed\xfa\xcf": (">", 32),
}
_FAT = {b"\xca\xfe\xba\xbe": 20, b"\xca\xfe\xba\xbf": 32}  # FAT_MAGIC, FAT_MAGIC_64
#: More slices than this is not a fat Mach-O (0xcafebabe also starts Java class files, whose
#: next word is a class file version, 45 and up).
_MAX_SLICES = 16
_MAX_COMMANDS_SIZE = 16 << 20

_CPU = {
    0x01000007: "x86_64",
    0x0100000C: "arm64",
    0x0200000C: "arm64_32",
    7: "i386",
    12: "arm",
    18: "ppc",
    0x01000012: "ppc64",
}
_FILETYPES = {1: "object", 2: "execute", 6: "dylib", 8: "bundle", 10: "dsym"}

_REQ_DYLD = 0x80000000
LC_LOAD_DYLIB = 0xC
LC_ID_DYLIB = 0xD
LC_LOAD_WEAK_DYLIB = 0x18 | _REQ_DYLD
LC_RPATH = 0x1C | _REQ_DYLD
LC_REEXPORT_DYLIB = 0x1F | _REQ_DYLD
LC_LAZY_LOAD_DYLIB = 0x20
LC_LOAD_UPWARD_DYLIB = 0x23 | _REQ_DYLD
_LOADS = {LC_LOAD_DYLIB, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB, LC_LOAD_UPWARD_DYLIB}


class MachoReadError(ArtifactError):
    """A wheel or a Mach-O file inside it cannot be read."""


@frozen(kw_only=True)
class MachoSlice:
    """One architecture's part of a Mach-O file.

    :param arch: ``arm64``, ``x86_64``, ...
    :param filetype: ``bundle`` (Python extension modules), ``dylib``, ``execute``, ...
    :param install_name: ``LC_ID_DYLIB`` of a dylib.
    :param libraries: the libraries it loads, in order (``LC_LOAD_DYLIB`` and friends).
    :param weak: libraries loaded with ``LC_LOAD_WEAK_DYLIB`` (may be absent at run time).
    :param rpaths: ``LC_RPATH`` entries, in order.
    """

    arch: str
    filetype: str
    install_name: str | None = None
    libraries: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    rpaths: tuple[str, ...] = ()


@frozen(kw_only=True)
class MachoFile:
    """A Mach-O member of a wheel: its path (``/`` separated) and its slices."""

    path: str
    slices: tuple[MachoSlice, ...]

    def slice_for(self, arch: str) -> MachoSlice | None:
        return next((s for s in self.slices if s.arch == arch), None)


@frozen(kw_only=True)
class MachoInspection:
    """Every member name of a wheel and its Mach-O files."""

    members: tuple[str, ...]
    files: tuple[MachoFile, ...]


def inspect_macho_wheel(source: str | os.PathLike[str] | BinaryIO) -> MachoInspection:
    """The Mach-O files of a wheel (found by magic) and what each slice loads.

    :raises MachoReadError: the wheel is not a zip, or a Mach-O member is truncated.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise MachoReadError(f"{_name(source)}: not a readable wheel ({error})") from error
    with archive:
        members = tuple(info.filename for info in archive.infolist() if not info.is_dir())
        files = []
        for info in archive.infolist():
            if info.is_dir() or info.file_size < 28:
                continue
            with archive.open(info) as stream:
                magic = stream.read(4)
                if magic not in _THIN and magic not in _FAT:
                    continue
                found = read_macho(_Rewound(magic, stream), info.filename)  # type: ignore[arg-type]
            if found is not None:
                files.append(found)
    return MachoInspection(members=members, files=tuple(files))


def read_macho(stream: BinaryIO, path: str) -> MachoFile | None:
    """The Mach-O file in ``stream`` (read from its start, forward only), or None when it is
    not one.

    :raises MachoReadError: the file is truncated or its commands are malformed.
    """
    reader = _Reader(stream, path)
    magic = reader.read(4)
    if magic in _THIN:
        return MachoFile(path=path, slices=(_read_slice(reader, magic),))
    if magic not in _FAT:
        return None
    record = _FAT[magic]
    (count,) = struct.unpack(">I", reader.read(4))
    if not 0 < count <= _MAX_SLICES:
        return None
    table = reader.read(count * record)
    offsets = sorted(
        struct.unpack_from(">Q" if record == 32 else ">I", table, index * record + 8)[0]
        for index in range(count)
    )
    slices = []
    for offset in offsets:
        if offset < reader.position:
            raise MachoReadError(f"{path}: fat Mach-O slices overlap")
        reader.skip(offset - reader.position)
        slice_magic = reader.read(4)
        if slice_magic not in _THIN:
            raise MachoReadError(f"{path}: the fat Mach-O slice at {offset} is not a Mach-O file")
        slices.append(_read_slice(reader, slice_magic))
    return MachoFile(path=path, slices=tuple(slices))


def _read_slice(reader: _Reader, magic: bytes) -> MachoSlice:
    path = reader.path
    endian, header_size = _THIN[magic]
    header = reader.read(header_size - 4)
    cputype, _subtype, filetype, ncmds, sizeofcmds = struct.unpack(endian + "iIIII", header[:20])
    if sizeofcmds > _MAX_COMMANDS_SIZE:
        raise MachoReadError(f"{path}: Mach-O load commands of {sizeofcmds} bytes")
    commands = reader.read(sizeofcmds)
    libraries: list[str] = []
    weak: list[str] = []
    rpaths: list[str] = []
    install_name = None
    offset = 0
    for _ in range(ncmds):
        if offset + 8 > len(commands):
            raise MachoReadError(f"{path}: Mach-O load commands end early")
        cmd, size = struct.unpack_from(endian + "II", commands, offset)
        if size < 8 or offset + size > len(commands):
            raise MachoReadError(f"{path}: a Mach-O load command has size {size}")
        body = commands[offset : offset + size]
        if cmd in _LOADS or cmd in (LC_LOAD_WEAK_DYLIB, LC_ID_DYLIB, LC_RPATH):
            name = _lc_str(body, endian, path)
            if cmd == LC_ID_DYLIB:
                install_name = name
            elif cmd == LC_RPATH:
                rpaths.append(name)
            elif cmd == LC_LOAD_WEAK_DYLIB:
                weak.append(name)
                libraries.append(name)
            else:
                libraries.append(name)
        offset += size
    return MachoSlice(
        arch=_CPU.get(cputype & 0xFFFFFFFF, f"cpu-{cputype & 0xFFFFFFFF:#x}"),
        filetype=_FILETYPES.get(filetype, f"type-{filetype}"),
        install_name=install_name,
        libraries=tuple(libraries),
        weak=tuple(weak),
        rpaths=tuple(rpaths),
    )


def _lc_str(body: bytes, endian: str, path: str) -> str:
    """The string a command points to (``lc_str``: an offset from the command's start)."""
    if len(body) < 12:
        raise MachoReadError(f"{path}: a Mach-O load command is too short for its string")
    (offset,) = struct.unpack_from(endian + "I", body, 8)
    if not 12 <= offset < len(body):
        raise MachoReadError(f"{path}: a Mach-O load command's string lies outside it")
    return body[offset:].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


class _Reader:
    """Forward-only reads that count the position and fail on a short read."""

    def __init__(self, stream: BinaryIO, path: str) -> None:
        self._stream = stream
        self.path = path
        self.position = 0

    def read(self, size: int) -> bytes:
        data = self._stream.read(size)
        if len(data) != size:
            raise MachoReadError(f"{self.path}: Mach-O file ends early")
        self.position += size
        return data

    def skip(self, size: int) -> None:
        while size > 0:
            self.read(min(size, 1 << 16))
            size -= min(size, 1 << 16)


class _Rewound(io.RawIOBase):
    """A stream whose first bytes were read already (the magic probe), given back first."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        while len(data) < size:
            more = self._rest.read(size - len(data))
            if not more:
                break
            data += more
        return data


def _name(source: object) -> str:
    return str(getattr(source, "name", source))
