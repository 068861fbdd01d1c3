"""Read what every ELF file in a wheel needs, streaming from the zip.

Cost: each zip member is probed for the ELF magic (one small read; names are not trusted),
and each ELF member is decompressed only up to the end of its ``PT_DYNAMIC`` segment.  The
program headers, not the section headers (which sit at the end of the file), lead to the
dynamic table, the string table and the version needs, so the symbol tables and debug sections
behind the dynamic segment are never inflated.  Decompressed data is kept only for the first
loadable segment and for what is actually read, so memory stays small even for a 180 MB
``.so``.  :attr:`WheelInspection.elf_bytes` reports the bytes inflated.

pyelftools supplies the header and record layouts (class, endianness and machine aware); the
few lookups are done here because pyelftools' segment helpers walk the section headers.
"""

from __future__ import annotations

import functools
import io
import os
import posixpath
import zipfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, Protocol, cast

from attrs import frozen
from elftools.common.exceptions import ELFError
from elftools.common.utils import parse_cstring_from_stream, struct_parse
from elftools.elf.structs import ELFStructs

from mach2.errors import ArtifactError

__all__ = [
    "ELF_MAGIC",
    "ElfInfo",
    "ElfReadError",
    "VersionNeed",
    "WheelInspection",
    "inspect_wheel",
    "read_elf",
]

ELF_MAGIC = b"\x7fELF"
#: The smallest ELF header (32-bit); shorter members cannot be ELF files.
_MIN_ELF_SIZE = 52
_CHUNK = 1 << 16
#: zipfile inflates at most this much to answer a small read (``ZipExtFile.MIN_READ_SIZE``).
_PROBE_COST = 4096


class ElfReadError(ArtifactError):
    """A wheel or an ELF file inside it cannot be read."""


@frozen
class VersionNeed:
    """Symbol versions one ELF file requires from one library (``DT_VERNEED``).

    :param library: the library file the versions come from, e.g. ``libc.so.6``.
    :param versions: version names, e.g. ``("GLIBC_2.14", "GLIBC_2.2.5")``.
    """

    library: str
    versions: tuple[str, ...]


@frozen(kw_only=True)
class ElfInfo:
    """What the dynamic loader needs to know about one ELF file of a wheel.

    :param path: member name inside the wheel (``/`` separated).
    :param size: uncompressed size in bytes.
    :param machine: pyelftools' ``e_machine`` name, e.g. ``EM_X86_64``.
    :param elf_type: ``ET_DYN``, ``ET_EXEC``, ``ET_REL``, ...
    :param elf_class: 32 or 64.
    :param interpreter: ``PT_INTERP`` path (executables), else ``None``.
    :param dynamic: whether the file has a ``PT_DYNAMIC`` segment (static files have none).
    :param soname: ``DT_SONAME``.
    :param needed: ``DT_NEEDED`` in file order.
    :param rpath: ``DT_RPATH`` entries (split on ``:``).
    :param runpath: ``DT_RUNPATH`` entries (split on ``:``).
    :param version_needs: ``DT_VERNEED`` per library.
    """

    path: str
    size: int
    machine: str
    elf_type: str
    elf_class: int
    interpreter: str | None = None
    dynamic: bool = True
    soname: str | None = None
    needed: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    version_needs: tuple[VersionNeed, ...] = ()

    @property
    def basename(self) -> str:
        return posixpath.basename(self.path)


@frozen(kw_only=True)
class WheelInspection:
    """The ELF files of one wheel and what reading them cost.

    :param filename: the wheel's file name when known.
    :param members: every file member of the zip (ELF or not), in zip order.
    :param elfs: the ELF members, in zip order.
    :param elf_bytes: bytes inflated from ELF members (the planning cost).
    :param probe_bytes: bytes inflated to test other members for the ELF magic (at most 4 KiB
        each, as zipfile inflates them).
    :param elf_size: total uncompressed size of the ELF members.
    :param file_bytes: compressed bytes read from the wheel file (``None`` when the caller
        handed over an open :class:`zipfile.ZipFile`).
    """

    filename: str | None
    members: tuple[str, ...]
    elfs: tuple[ElfInfo, ...]
    elf_bytes: int
    probe_bytes: int
    elf_size: int
    file_bytes: int | None = None


def inspect_wheel(source: str | os.PathLike[str] | BinaryIO | zipfile.ZipFile) -> WheelInspection:
    """Read every ELF member of the wheel ``source`` (a path, a seekable binary file or a zip).

    :raises ElfReadError: the file is not a zip, or an ELF member is malformed.
    """
    filename: str | None
    if isinstance(source, zipfile.ZipFile):
        filename = posixpath.basename(str(source.filename)) if source.filename else None
        return _inspect_archive(source, filename, None)
    if isinstance(source, str | os.PathLike):
        filename = os.path.basename(os.fspath(source))
        try:
            raw: BinaryIO = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise ElfReadError(
                f"cannot open wheel {os.fspath(source)!r}: {error.strerror}"
            ) from error
    else:
        raw = source
        name = getattr(source, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) else None
    counter = _CountingFile(raw)
    try:
        try:
            archive = zipfile.ZipFile(counter)
        except (zipfile.BadZipFile, OSError) as error:
            raise ElfReadError(
                f"{filename or 'wheel'!r} is not a readable zip file: {error}"
            ) from error
        with archive:
            return _inspect_archive(archive, filename, counter)
    finally:
        if raw is not source:
            raw.close()


def _inspect_archive(
    archive: zipfile.ZipFile, filename: str | None, counter: _CountingFile | None
) -> WheelInspection:
    members: list[str] = []
    elfs: list[ElfInfo] = []
    elf_bytes = probe_bytes = elf_size = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        members.append(info.filename)
        if info.file_size < _MIN_ELF_SIZE:
            continue
        try:
            with archive.open(info) as member:
                magic = member.read(len(ELF_MAGIC))
            if magic != ELF_MAGIC:
                probe_bytes += min(info.file_size, _PROBE_COST)
                continue
            with _MemberStream(archive, info) as stream:
                elfs.append(read_elf(stream, info.filename, info.file_size))
                elf_bytes += stream.inflated
            elf_size += info.file_size
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise ElfReadError(
                f"cannot read {info.filename!r} in {filename or 'wheel'!r}: {error}"
            ) from error
    return WheelInspection(
        filename=filename,
        members=tuple(members),
        elfs=tuple(elfs),
        elf_bytes=elf_bytes,
        probe_bytes=probe_bytes,
        elf_size=elf_size,
        file_bytes=counter.count if counter is not None else None,
    )


# -- one ELF file -------------------------------------------------------------------------------


class Stream(Protocol):
    """What :func:`read_elf` needs: a seekable binary stream."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int: ...

    def tell(self) -> int: ...


def read_elf(stream: Stream, path: str, size: int | None = None) -> ElfInfo:
    """Parse one ELF file from a seekable stream positioned anywhere.

    :param path: the name to record (member name inside the wheel).
    :param size: the file size when the stream cannot cheaply tell it.
    :raises ElfReadError: the ELF structures are inconsistent.
    """
    try:
        return _read_elf(stream, path, size)
    except (ELFError, ValueError, KeyError) as error:
        raise ElfReadError(f"malformed ELF file {path!r}: {error}") from error


def _read_elf(source: Stream, path: str, size: int | None) -> ElfInfo:
    stream = cast(IO[bytes], source)  # pyelftools is typed for files; it only reads and seeks
    stream.seek(0)
    ident = stream.read(16)
    if (
        len(ident) < 16
        or ident[:4] != ELF_MAGIC
        or ident[4] not in (1, 2)
        or ident[5] not in (1, 2)
    ):
        raise ElfReadError(f"malformed ELF file {path!r}: bad identification bytes")
    elf_class, little_endian = 32 * ident[4], ident[5] == 1
    header = struct_parse(_basic_structs(little_endian, elf_class).Elf_Ehdr, stream, stream_pos=0)
    structs = _structs(
        little_endian,
        elf_class,
        header["e_type"],
        header["e_machine"],
        header["e_ident"]["EI_OSABI"],
    )
    if size is None:
        size = stream.seek(0, io.SEEK_END)
    phdrs = [
        struct_parse(
            structs.Elf_Phdr, stream, stream_pos=header["e_phoff"] + n * header["e_phentsize"]
        )
        for n in range(header["e_phnum"])
    ]
    loads = [p for p in phdrs if p["p_type"] == "PT_LOAD"]
    if isinstance(stream, _MemberStream) and loads:
        first = min(loads, key=lambda p: p["p_offset"])
        stream.keep_below(first["p_offset"] + first["p_filesz"])
    common: dict[str, Any] = {
        "path": path,
        "size": size,
        "machine": str(header["e_machine"]),
        "elf_type": str(header["e_type"]),
        "elf_class": elf_class,
    }
    interp = next((p for p in phdrs if p["p_type"] == "PT_INTERP"), None)
    if interp is not None:
        raw = parse_cstring_from_stream(stream, interp["p_offset"])
        common["interpreter"] = raw.decode("utf-8", "replace") if raw else None
    dynamic = next((p for p in phdrs if p["p_type"] == "PT_DYNAMIC"), None)
    if dynamic is None or dynamic["p_filesz"] == 0:
        return ElfInfo(dynamic=False, **common)
    tags = list(_dynamic_tags(stream, structs, dynamic))
    # Every string the dynamic table names lives in DT_STRTAB, found through the PT_LOADs.
    strtab = _offset_of(loads, _first(tags, "DT_STRTAB"))
    if strtab is None:
        raise ElfReadError(f"malformed ELF file {path!r}: no DT_STRTAB in a loadable segment")

    def string(offset: int) -> str:
        raw = parse_cstring_from_stream(stream, strtab + offset)
        return raw.decode("utf-8", "replace") if raw else ""

    def strings(tag: str) -> tuple[str, ...]:
        return tuple(string(value) for name, value in tags if name == tag)

    def split(tag: str) -> tuple[str, ...]:
        return tuple(entry for text in strings(tag) for entry in text.split(":") if entry)

    soname = strings("DT_SONAME")
    return ElfInfo(
        soname=soname[0] if soname else None,
        needed=strings("DT_NEEDED"),
        rpath=split("DT_RPATH"),
        runpath=split("DT_RUNPATH"),
        version_needs=_version_needs(stream, structs, loads, tags, string),
        **common,
    )


@functools.cache
def _basic_structs(little_endian: bool, elf_class: int) -> Any:
    structs = ELFStructs(little_endian=little_endian, elfclass=elf_class)
    structs.create_basic_structs()
    return structs


@functools.cache
def _structs(little_endian: bool, elf_class: int, e_type: str, e_machine: str, osabi: str) -> Any:
    """pyelftools' record layouts for one kind of ELF file (building them is not cheap)."""
    structs = ELFStructs(little_endian=little_endian, elfclass=elf_class)
    structs.create_basic_structs()
    structs.create_advanced_structs(e_type, e_machine, osabi)
    return structs


def _dynamic_tags(stream: IO[bytes], structs: Any, dynamic: Any) -> Iterator[tuple[str, int]]:
    entry_size = structs.Elf_Dyn.sizeof()
    for n in range(dynamic["p_filesz"] // entry_size):
        entry = struct_parse(
            structs.Elf_Dyn, stream, stream_pos=dynamic["p_offset"] + n * entry_size
        )
        if entry["d_tag"] == "DT_NULL":
            return
        yield str(entry["d_tag"]), int(entry["d_val"])


def _version_needs(
    stream: IO[bytes], structs: Any, loads: list[Any], tags: list[tuple[str, int]], string: Any
) -> tuple[VersionNeed, ...]:
    offset = _offset_of(loads, _first(tags, "DT_VERNEED"))
    count = _first(tags, "DT_VERNEEDNUM") or 0
    needs: list[VersionNeed] = []
    for _ in range(count if offset is not None else 0):
        assert offset is not None
        need = struct_parse(structs.Elf_Verneed, stream, stream_pos=offset)
        versions = []
        aux = offset + need["vn_aux"]
        for _ in range(need["vn_cnt"]):
            entry = struct_parse(structs.Elf_Vernaux, stream, stream_pos=aux)
            versions.append(string(entry["vna_name"]))
            aux += entry["vna_next"]
        needs.append(VersionNeed(string(need["vn_file"]), tuple(versions)))
        if not need["vn_next"]:
            break
        offset += need["vn_next"]
    return tuple(needs)


def _first(tags: list[tuple[str, int]], name: str) -> int | None:
    return next((value for tag, value in tags if tag == name), None)


def _offset_of(loads: list[Any], address: int | None) -> int | None:
    """File offset of a virtual address, through the loadable segment that maps it."""
    if address is None:
        return None
    for load in loads:
        if load["p_vaddr"] <= address < load["p_vaddr"] + load["p_filesz"]:
            return int(address - load["p_vaddr"] + load["p_offset"])
    return None


# -- streams ------------------------------------------------------------------------------------


class _CountingFile:
    """A binary file that counts the bytes read through it (the wheel's compressed bytes)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.count += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


class _MemberStream:
    """A seekable view of one zip member that inflates forward only as far as it is read.

    Inflated data is kept in 64 KiB chunks: those below :meth:`keep_below` and those actually
    read.  A read of a chunk that was skipped restarts inflation from the start of the member
    (correct, slower, and counted in :attr:`inflated`).  Seeking never inflates; the size comes
    from the zip directory.
    """

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._info = info
        self._size = info.file_size
        self._source: IO[bytes] = archive.open(info)
        self._position = 0  # where the next read starts
        self._inflated_to = 0  # how far the current pass of the source has inflated
        self._chunks: dict[int, bytes] = {}
        self._keep_limit = 0
        self.inflated = 0

    def keep_below(self, limit: int) -> None:
        """Keep every chunk below ``limit`` in memory once inflated (the headers' segment)."""
        self._keep_limit = max(self._keep_limit, limit)

    def __enter__(self) -> _MemberStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def read(self, size: int = -1, /) -> bytes:
        end = self._size if size < 0 else min(self._size, self._position + size)
        if end <= self._position:
            return b""
        parts = []
        for index in range(self._position // _CHUNK, (end - 1) // _CHUNK + 1):
            chunk = self._chunk(index)
            start = index * _CHUNK
            parts.append(chunk[max(self._position - start, 0) : end - start])
        self._position = end
        return b"".join(parts)

    def close(self) -> None:
        self._source.close()
        self._chunks.clear()

    def _chunk(self, index: int) -> bytes:
        if index in self._chunks:
            return self._chunks[index]
        start = index * _CHUNK
        if start < self._inflated_to:  # skipped earlier: inflate again from the start
            self._source.close()
            self._source = self._archive.open(self._info)
            self._inflated_to = 0
        while True:
            data = self._source.read(min(_CHUNK, self._size - self._inflated_to))
            if not data:
                raise EOFError(f"{self._info.filename!r} ends before byte {start}")
            here = self._inflated_to // _CHUNK
            self._inflated_to += len(data)
            self.inflated += len(data)
            if here == index:
                self._chunks[here] = data
                return data
            if here * _CHUNK < self._keep_limit:
                self._chunks[here] = data
