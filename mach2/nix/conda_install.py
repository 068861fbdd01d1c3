"""Install one conda package into a Nix store path: the build-time half of mach2's conda support.

mach2's Nix library runs this file inside the derivation of every locked conda package::

    python3 -I conda_install.py --archive "$src" --filename numpy-1.26.4-py311h_0.conda \\
        --sha256 <hex> --out "$out" --zstd /nix/store/…-zstd/bin/zstd \\
        --site-packages lib/python3.11/site-packages --python /nix/store/…/bin/python3.11 \\
        --plan "$NIX_BUILD_TOP/mach2-conda-plan.json" --name numpy

and then mach2's patchelf apply script (``patchelf_apply.py``, beside this file) on the plan it
wrote.  It is deliberately self-contained: standard library only, Python 3.8 or newer, no
``tarfile`` extraction filters (Debian's 3.11.2 has none), so the Nix library (this directory)
runs it in a build where mach2 is not importable.
:mod:`mach2.providers.conda.extract` imports the extraction and prefix code from here, so there is one
implementation; when mach2 is importable the errors are mach2's
(:class:`mach2.providers.conda.errors.UnsafeArchive`, ...).

Steps:

1. the sha256 of the archive is checked (Nix's fetchurl checked it already; this is the second
   line for a store path handed in by other means);
2. the archive is unpacked member by member, never by a third-party tool: ``.tar.bz2`` with
   :mod:`tarfile`, ``.conda`` (a zip of ``info-*.tar.zst`` and ``pkg-*.tar.zst``) with
   :mod:`zipfile` plus a zstd decompressor (the ``zstd`` binary here, the ``zstandard`` module in
   mach2).  Refused, with one line naming package, member and reason: absolute names, ``..``
   components, symlinks whose target is absolute or resolves outside the output (lexically and
   on disk, also through earlier symlinks), writing through a symlink, hard links to anything
   not extracted before, device files and FIFOs.  Modes keep only the executable bits (no
   setuid, no group/other write);
3. prefix placeholders (``info/paths.json``, or the legacy ``info/has_prefix``) are replaced by
   the output path: text by substitution, binary inside each NUL-terminated string padded with
   NULs so every offset stays (a prefix longer than the placeholder is an error);
4. ``noarch: python`` packages are laid out as conda links them (``site-packages/`` into the
   interpreter's site-packages, ``python-scripts/`` into ``bin/``, entry points of
   ``info/link.json`` as scripts); ``#!<out>/bin/python…`` shebangs point at the target
   interpreter; an architecture-specific package for another Python version is refused;
5. ``info/`` moves to ``nix-support/conda/info`` (environments never link ``nix-support``, so
   packages do not collide on ``info/index.json``) and ``conda-meta/<name>-<version>-<build>.json``
   records where the package came from, as in a conda environment;
6. every dynamically linked ELF file gets a patch plan entry in the format of
   ``mach2.patchelf.plan`` (``needed`` sonames as ``wheel`` = inside this package, reached
   through ``$ORIGIN``; ``system`` = glibc or libpython; ``unresolved`` = looked up by the apply
   script in the conda dependencies' and buildInputs' ``lib`` directories).  ``$ORIGIN``
   entries of the old RUNPATH that stay inside the package are kept, others dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

try:
    from mach2.errors import ArtifactError as InstallError
    from mach2.providers.conda.errors import HashMismatch, PrefixError, UnsafeArchive
except ImportError:  # pragma: no cover - a standalone copy inside a Nix build

    class InstallError(Exception):  # type: ignore[no-redef]
        def __init__(self, message: str, *, hint: str | None = None) -> None:
            super().__init__(message)
            self.message = message
            self.hint = hint

        def __str__(self) -> str:
            return self.message if self.hint is None else f"{self.message} ({self.hint})"

    class HashMismatch(InstallError):  # type: ignore[no-redef]
        def __init__(self, filename: str, expected: str, actual: str) -> None:
            super().__init__(
                f"conda package {filename!r} has sha256 {actual}, its record says {expected}",
                hint="the download is corrupt or the channel changed the file; refusing to use it",
            )

    class UnsafeArchive(InstallError):  # type: ignore[no-redef]
        def __init__(self, filename: str, member: str, reason: str) -> None:
            super().__init__(f"conda package {filename!r}: refusing member {member!r}: {reason}")
            self.filename = filename
            self.member = member
            self.reason = reason

    class PrefixError(InstallError):  # type: ignore[no-redef]
        def __init__(self, path: str, reason: str) -> None:
            super().__init__(f"prefix replacement in {path!r}: {reason}")
            self.path = path
            self.reason = reason


__all__ = [
    "DEFAULT_PLACEHOLDER",
    "SYSTEM_LIBRARIES",
    "SYSTEM_PATTERNS",
    "ElfLinks",
    "InstallError",
    "MemberChecker",
    "PrefixFile",
    "conda_tar_streams",
    "extract_into",
    "install",
    "main",
    "patch_plan",
    "prefix_files",
    "read_elf_links",
    "relocate_noarch_python",
    "replace_prefix",
    "sha256_of",
    "zstd_binary",
]

#: conda-build's placeholder when ``info/has_prefix`` gives none.
DEFAULT_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"

#: Sonames glibc and the interpreter supply; kept equal to ``system`` of
#: ``mach2/data/sonames.json`` (a test checks).
SYSTEM_LIBRARIES = frozenset(
    {
        "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
        "libutil.so.1", "libresolv.so.2", "libanl.so.1", "libnsl.so.1", "libmvec.so.1",
        "libBrokenLocale.so.1", "libc_malloc_debug.so.0", "libthread_db.so.1",
        "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld-linux.so.2",
    }
)  # fmt: skip
SYSTEM_PATTERNS = ("libpython3.*.so*",)

if TYPE_CHECKING:
    #: A decompressor: raw ``.tar.zst`` stream and file name in, the tar stream out.
    Decompress = Callable[[IO[bytes], str], AbstractContextManager[IO[bytes]]]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while True:
            block = handle.read(1 << 20)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


# -- safe extraction -------------------------------------------------------------------------------


class MemberChecker:
    """Checks and writes the members of one package into ``dest``; refuses anything unsafe.

    Names are checked lexically (absolute, ``..``) and on disk: the real directory a member
    lands in must be inside ``dest`` (symlinks extracted earlier may point anywhere inside, but a
    chain of them may not lead out), a symlink must resolve inside, a hard link must name a
    regular file extracted before it.  :meth:`finish` checks every symlink once more, since a
    symlink made later can change where an earlier one leads.
    """

    def __init__(self, filename: str, dest: Path) -> None:
        self.filename = filename
        self.dest = dest
        self.root = os.path.realpath(dest)
        self.seen: set[str] = set()

    def refuse(self, member: str, reason: str) -> Exception:
        return UnsafeArchive(self.filename, member, reason)

    def inside(self, name: str) -> str:
        """``name`` normalized, or an error when it is absolute or climbs out."""
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise self.refuse(name, "absolute path")
        if ".." in PurePosixPath(name.replace("\\", "/")).parts:
            raise self.refuse(name, "path contains '..'")
        normalized = posixpath.normpath(name)
        if normalized in ("", "."):
            raise self.refuse(name, "empty path")
        return normalized

    def _real_parent(self, member: str, name: str) -> str:
        parent = os.path.realpath(os.path.join(self.root, posixpath.dirname(name)))
        if not _within(parent, self.root):
            raise self.refuse(member, "its directory is a symlink that leads outside the package")
        return parent

    def _clear(self, member: str, target: str) -> None:
        """Remove what is at ``target`` (never write through a symlink or into a hard link)."""
        if os.path.islink(target) or os.path.isfile(target):
            os.unlink(target)
        elif os.path.lexists(target):
            raise self.refuse(member, "replaces a directory or special file")

    def extract(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        """Write one member (streamed tar: call while ``member`` is the current one)."""
        name = self.inside(member.name)
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise self.refuse(member.name, "device file, FIFO or other special file")
        parent = self._real_parent(member.name, name)
        target = os.path.join(parent, posixpath.basename(name))
        if member.isdir():
            if os.path.islink(target):
                raise self.refuse(member.name, "directory over a symlink")
            os.makedirs(target, exist_ok=True)
            os.chmod(target, 0o755)
            return
        os.makedirs(parent, exist_ok=True)
        if member.issym():
            link = member.linkname
            if not link or link.startswith("/"):
                raise self.refuse(member.name, f"symlink to absolute path {link!r}")
            lexical = posixpath.normpath(posixpath.join(posixpath.dirname(name), link))
            if lexical == ".." or lexical.startswith("../"):
                raise self.refuse(member.name, f"symlink {link!r} points outside the package")
            if not _within(os.path.realpath(os.path.join(parent, link)), self.root):
                raise self.refuse(member.name, f"symlink {link!r} points outside the package")
            self._clear(member.name, target)
            os.symlink(link, target)
            self.seen.discard(name)
            return
        if member.islnk():
            try:
                source = self.inside(member.linkname)
            except UnsafeArchive as error:
                reason = f"hard link to {member.linkname!r}: {error.reason}"
                raise self.refuse(member.name, reason) from None
            if source not in self.seen:
                raise self.refuse(
                    member.name, f"hard link to {member.linkname!r}, not extracted before it"
                )
            real = os.path.realpath(os.path.join(self.root, source))
            if not _within(real, self.root) or not os.path.isfile(real):
                raise self.refuse(member.name, f"hard link to {member.linkname!r} outside")
            self._clear(member.name, target)
            os.link(real, target)
            self.seen.add(name)
            return
        self._clear(member.name, target)
        data = tar.extractfile(member)
        if data is None:  # pragma: no cover - regular files always have data
            raise self.refuse(member.name, "no data")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)
        os.chmod(target, 0o755 if member.mode & 0o111 else 0o644)
        self.seen.add(name)

    def finish(self) -> None:
        """Refuse the package if any symlink now resolves outside (made so by a later one)."""
        for directory, dirs, files in os.walk(self.root):
            for entry in dirs + files:
                path = os.path.join(directory, entry)
                if os.path.islink(path) and not _within(os.path.realpath(path), self.root):
                    member = os.path.relpath(path, self.root)
                    raise self.refuse(
                        member, f"symlink {os.readlink(path)!r} points outside the package"
                    )


def extract_tar(stream: IO[bytes], checker: MemberChecker, mode: str) -> None:
    """Extract one tar stream (``r|`` or ``r|bz2``) through ``checker``."""
    try:
        with tarfile.open(fileobj=stream, mode=mode) as tar:  # type: ignore[call-overload]
            for member in tar:
                checker.extract(tar, member)
    except UnsafeArchive:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise checker.refuse("", f"corrupt archive ({error})") from None


def conda_tar_streams(
    archive: Path, filename: str, decompress: Decompress
) -> Iterator[AbstractContextManager[IO[bytes]]]:
    """The info and pkg tar streams of a ``.conda`` zip, one after the other."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise UnsafeArchive(filename, "", "not a .conda (zip) file") from None
    with zf:
        names = zf.namelist()
        info = [n for n in names if n.startswith("info-") and n.endswith(".tar.zst")]
        pkg = [n for n in names if n.startswith("pkg-") and n.endswith(".tar.zst")]
        if len(info) != 1 or len(pkg) != 1:
            raise UnsafeArchive(
                filename, ",".join(names), "expected one info- and one pkg- tarball"
            )
        for name in (info[0], pkg[0]):
            with zf.open(name) as raw:
                yield decompress(raw, filename)


@contextlib.contextmanager
def _zstd_process(zstd: str, raw: IO[bytes], filename: str) -> Iterator[IO[bytes]]:
    """``zstd -dc`` fed from ``raw`` by a thread; its output as a stream."""
    try:
        process = subprocess.Popen(
            [zstd, "-d", "-c", "-q"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise InstallError(
            f"cannot run the zstd decompressor {zstd!r}: {error.strerror}",
            hint="a .conda package needs zstd (pkgs.zstd)",
        ) from None
    assert process.stdin is not None and process.stdout is not None
    stdin = process.stdin

    def feed() -> None:
        try:
            shutil.copyfileobj(raw, stdin, 1 << 20)
        except (BrokenPipeError, OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    failed = True
    try:
        yield process.stdout
        process.stdout.read()  # the tar end may leave padding behind
        failed = False
    finally:
        if failed:
            process.kill()
        process.stdout.close()
        thread.join()
        errors = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        code = process.wait()
        if code != 0 and not failed:
            detail = (errors.strip().splitlines() or [f"exit status {code}"])[-1]
            raise UnsafeArchive(filename, "", f"corrupt archive (zstd: {detail})")


def zstd_binary(zstd: str) -> Decompress:
    """A :data:`Decompress` running the ``zstd`` program."""
    return lambda raw, filename: _zstd_process(zstd, raw, filename)


def extract_into(archive: Path, dest: Path, filename: str, decompress: Decompress | None) -> None:
    """Unpack ``archive`` (named ``filename``) into the empty or absent directory ``dest``.

    :param decompress: needed for ``.conda`` packages.
    :raises UnsafeArchive: a member would escape ``dest``, is special, or the file is corrupt.
    """
    if dest.exists() and any(dest.iterdir()):
        raise UnsafeArchive(filename, str(dest), "the output directory is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    checker = MemberChecker(filename, dest)
    if filename.endswith(".conda"):
        if decompress is None:
            raise InstallError(f"{filename}: a .conda package needs a zstd decompressor")
        for opened in conda_tar_streams(archive, filename, decompress):
            with opened as stream:
                extract_tar(stream, checker, "r|")
    elif filename.endswith(".tar.bz2"):
        with archive.open("rb") as raw:
            extract_tar(raw, checker, "r|bz2")
    else:
        raise UnsafeArchive(filename, "", "not a .conda or .tar.bz2 file")
    checker.finish()


# -- prefix placeholders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrefixFile:
    """A file with the build prefix in it: relative path, placeholder, ``text`` or ``binary``."""

    path: str
    placeholder: str
    mode: str


def prefix_files(root: Path) -> tuple[PrefixFile, ...]:
    """The files of an unpacked package that carry a prefix placeholder."""
    paths_json = root / "info" / "paths.json"
    if paths_json.is_file():
        data = json.loads(paths_json.read_text(encoding="utf-8"))
        return tuple(
            PrefixFile(entry["_path"], entry["prefix_placeholder"], entry.get("file_mode", "text"))
            for entry in data.get("paths", ())
            if entry.get("prefix_placeholder")
        )
    has_prefix = root / "info" / "has_prefix"
    if not has_prefix.is_file():
        return ()
    found = []
    for line in has_prefix.read_text(encoding="utf-8").splitlines():
        fields = _split_has_prefix(line)
        if len(fields) == 1:
            found.append(PrefixFile(fields[0], DEFAULT_PLACEHOLDER, "text"))
        elif len(fields) == 3:
            found.append(PrefixFile(fields[2], fields[0], fields[1]))
    return tuple(found)


def _split_has_prefix(line: str) -> list[str]:
    """``placeholder mode path`` (fields may be double-quoted) or just ``path``."""
    return [a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', line)]


def _binary_replace(data: bytes, old: bytes, new: bytes, path: str) -> bytes:
    if len(new) > len(old):
        raise PrefixError(path, f"binary placeholder is {len(old)} bytes, prefix {len(new)}")

    def pad(match: re.Match[bytes]) -> bytes:
        text = match.group()
        return text.replace(old, new) + b"\0" * ((len(old) - len(new)) * text.count(old))

    result = re.sub(re.escape(old) + rb"[^\0]*?\0", pad, data)
    if len(result) != len(data):
        raise PrefixError(path, "replacement changed the file size")
    return result


def replace_prefix(root: Path, prefix: str) -> tuple[str, ...]:
    """Write ``prefix`` over the placeholders of an unpacked package; return the paths changed.

    :raises PrefixError: a listed path escapes ``root`` or is a symlink, or a binary
        placeholder is shorter than ``prefix``.
    """
    changed = []
    base = os.path.realpath(root)
    new = prefix.encode()
    for entry in prefix_files(root):
        target = root / entry.path
        if ".." in PurePosixPath(entry.path).parts or entry.path.startswith("/"):
            raise PrefixError(entry.path, "path outside the package")
        if target.is_symlink() or not _within(os.path.realpath(target), base):
            raise PrefixError(entry.path, "refusing to rewrite through a symlink")
        if not target.is_file():
            continue
        data = target.read_bytes()
        old = entry.placeholder.encode()
        if entry.mode == "binary":
            updated = _binary_replace(data, old, new, entry.path)
        else:
            updated = data.replace(old, new)
        if updated != data:
            _rewrite(target, updated)
            changed.append(entry.path)
    return tuple(changed)


def _rewrite(target: Path, data: bytes) -> None:
    """Replace the file (not its hard-link siblings), keeping its mode."""
    mode = target.stat().st_mode
    fd, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(scratch, mode & 0o7777)
    os.replace(scratch, target)


# -- noarch: python ---------------------------------------------------------------------------------

_ENTRY_POINT = re.compile(r"^\s*([A-Za-z0-9_][\w.+-]*)\s*=\s*([\w.]+)\s*:\s*([\w.]+)\s*$")


def entry_point_script(python: str, module: str, function: str) -> str:
    """The console script conda writes for ``name = module:function``."""
    attribute = function.split(".")[0]
    return (
        f"#!{python}\n"
        "# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n\n"
        f"from {module} import {attribute}\n\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
        f"    sys.exit({function}())\n"
    )


def _move_tree(source: Path, target: Path) -> list[str]:
    moved = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        relative = path.relative_to(source)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        moved.append(relative.as_posix())
    shutil.rmtree(source)
    return moved


def relocate_noarch_python(root: Path, site_packages: str, python: str) -> tuple[str, ...]:
    """Lay out a ``noarch: python`` package as conda links it; return the new paths.

    :param site_packages: the interpreter's site-packages relative to the prefix
        (``lib/python3.12/site-packages``, nixpkgs' ``python.sitePackages``).
    :param python: absolute path of the interpreter, for entry-point shebangs.
    :raises PrefixError: an entry point in ``info/link.json`` is malformed.
    """
    if not re.fullmatch(r"lib/python\d+\.\d+[a-z]*/site-packages", site_packages):
        raise PrefixError(str(root), f"not a site-packages directory: {site_packages!r}")
    placed: list[str] = []
    if (root / "site-packages").is_dir():
        moved = _move_tree(root / "site-packages", root / site_packages)
        placed += [f"{site_packages}/{p}" for p in moved]
    if (root / "python-scripts").is_dir():
        placed += [f"bin/{p}" for p in _move_tree(root / "python-scripts", root / "bin")]
    link = root / "info" / "link.json"
    entry_points: list[str] = []
    if link.is_file():
        data = json.loads(link.read_text(encoding="utf-8"))
        entry_points = list((data.get("noarch") or {}).get("entry_points") or [])
    for text in entry_points:
        match = _ENTRY_POINT.match(text)
        if match is None:
            raise PrefixError(str(link), f"malformed entry point {text!r}")
        name, module, function = match.groups()
        script = root / "bin" / name
        script.parent.mkdir(parents=True, exist_ok=True)
        if script.is_symlink():
            script.unlink()
        script.write_text(entry_point_script(python, module, function), encoding="utf-8")
        script.chmod(0o755)
        placed.append(f"bin/{name}")
    return tuple(placed)


def _fix_python_shebangs(root: Path, python: str) -> list[str]:
    """Point ``#!<root>/bin/python…`` shebangs (conda's own interpreter) at ``python``."""
    bindir = root / "bin"
    if not bindir.is_dir():
        return []
    pattern = re.compile(
        rb"^#!\s*" + re.escape(str(root).encode()) + rb"/bin/python[0-9.]*(?=\s|$)"
    )
    fixed = []
    for script in sorted(bindir.iterdir()):
        if script.is_symlink() or not script.is_file():
            continue
        with script.open("rb") as handle:
            head = handle.read(2)
        if head != b"#!":
            continue
        data = script.read_bytes()
        updated = pattern.sub(b"#!" + python.encode(), data, count=1)
        if updated != data:
            _rewrite(script, updated)
            fixed.append(f"bin/{script.name}")
    return fixed


# -- ELF files and the patch plan -------------------------------------------------------------------

PT_DYNAMIC, PT_INTERP, PT_LOAD = 2, 3, 1
DT_NEEDED, DT_STRTAB, DT_SONAME, DT_RPATH, DT_RUNPATH = 1, 5, 14, 15, 29


@dataclass(frozen=True)
class ElfLinks:
    """What the dynamic loader reads from one ELF file."""

    needed: tuple[str, ...]
    runpath: tuple[str, ...]
    rpath: tuple[str, ...]
    soname: str | None
    interpreter: str | None


def read_elf_links(path: Path) -> ElfLinks | None:
    """The dynamic section of an ELF file, ``None`` for anything else or a static binary.

    Program headers only (stripped files have no usable sections): ``PT_INTERP``, then the
    ``PT_DYNAMIC`` entries, whose strings live in ``DT_STRTAB`` found through the ``PT_LOAD``s.
    """
    with path.open("rb") as handle:
        ident = handle.read(16)
        if len(ident) < 16 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2):
            return None
        end = "<" if ident[5] == 1 else ">"
        wide = ident[4] == 2
        handle.seek(0)
        header = handle.read(64 if wide else 52)
        try:
            if wide:
                phoff, phentsize, phnum = (
                    struct.unpack_from(end + "Q", header, 0x20)[0],
                    *struct.unpack_from(end + "HH", header, 0x36),
                )
                phdr = end + "IIQQQQQQ"
            else:
                phoff, phentsize, phnum = (
                    struct.unpack_from(end + "I", header, 0x1C)[0],
                    *struct.unpack_from(end + "HH", header, 0x2A),
                )
                phdr = end + "IIIIIIII"
            segments = []
            for n in range(phnum):
                handle.seek(phoff + n * phentsize)
                raw = handle.read(struct.calcsize(phdr))
                fields = struct.unpack(phdr, raw)
                if wide:
                    p_type, _, offset, vaddr, _, filesz, _, _ = fields
                else:
                    p_type, offset, vaddr, _, filesz, _, _, _ = fields
                segments.append((p_type, offset, vaddr, filesz))
        except struct.error:
            return None

        def cstring(at: int) -> str:
            handle.seek(at)
            data = b""
            while b"\0" not in data:
                chunk = handle.read(256)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\0", 1)[0].decode("utf-8", "replace")

        interpreter = next((cstring(s[1]) for s in segments if s[0] == PT_INTERP), None)
        dynamic = next((s for s in segments if s[0] == PT_DYNAMIC and s[3]), None)
        if dynamic is None:
            return None
        entry = end + ("qQ" if wide else "iI")
        size = struct.calcsize(entry)
        handle.seek(dynamic[1])
        table = handle.read(dynamic[3])
        tags: list[tuple[int, int]] = []
        for at in range(0, len(table) - size + 1, size):
            tag, value = struct.unpack_from(entry, table, at)
            if tag == 0:
                break
            tags.append((tag, value))
        strtab_address = next((v for t, v in tags if t == DT_STRTAB), None)
        strtab = None
        for p_type, offset, vaddr, filesz in segments:
            if (
                p_type == PT_LOAD
                and strtab_address is not None
                and vaddr <= strtab_address < vaddr + filesz
            ):
                strtab = offset + strtab_address - vaddr
        if strtab is None:
            return None
        base: int = strtab

        def strings(kind: int) -> tuple[str, ...]:
            return tuple(cstring(base + v) for t, v in tags if t == kind)

        def split(kind: int) -> tuple[str, ...]:
            return tuple(e for text in strings(kind) for e in text.split(":") if e)

        sonames = strings(DT_SONAME)
        return ElfLinks(
            needed=strings(DT_NEEDED),
            runpath=split(DT_RUNPATH),
            rpath=split(DT_RPATH),
            soname=sonames[0] if sonames else None,
            interpreter=interpreter,
        )


def _is_system(soname: str) -> bool:
    import fnmatch

    return soname in SYSTEM_LIBRARIES or any(
        fnmatch.fnmatchcase(soname, pattern) for pattern in SYSTEM_PATTERNS
    )


def _origin_entry(directory: str, target: str) -> str:
    relative = posixpath.relpath(target, directory)
    return "$ORIGIN" if relative == "." else f"$ORIGIN/{relative}"


def _kept_entries(entries: tuple[str, ...], directory: str, out: str) -> list[str]:
    """The old RUNPATH entries that stay inside the package (``$ORIGIN``-relative or ``out``)."""
    kept: list[str] = []
    for entry in entries:
        origin = re.match(r"^\$(ORIGIN|\{ORIGIN\})(/.*)?$", entry)
        if origin:
            rest = (origin.group(2) or "").lstrip("/")
            resolved = posixpath.normpath(posixpath.join(directory, rest)) if rest else directory
            if resolved == ".." or resolved.startswith("../"):
                continue
        elif not _within(entry, out):
            continue
        if entry not in kept:
            kept.append(entry)
    return kept


def patch_plan(root: Path, name: str) -> dict[str, Any]:
    """A patch plan (``mach2.patchelf.plan`` format, ``install`` relative to ``root``).

    Each dynamically linked ELF file (not symlinks) lists its ``needed`` sonames: found inside
    the package (any file of that name) → ``wheel``, with an ``$ORIGIN`` RUNPATH entry to its
    directory; glibc or libpython → ``system``; anything else → ``unresolved``, which the apply
    script finds in its ``--library-path`` (the conda dependencies' ``lib`` directories, then
    the buildInputs') or reports by soname.
    """
    out = str(root)
    by_name: dict[str, str] = {}
    elves: list[tuple[str, ElfLinks]] = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        relative_dir = os.path.relpath(directory, root)
        relative_dir = "" if relative_dir == "." else relative_dir.replace(os.sep, "/")
        if relative_dir.split("/")[0] == "nix-support":
            continue
        for entry in sorted(files):
            relative = posixpath.join(relative_dir, entry) if relative_dir else entry
            by_name.setdefault(entry, relative_dir)
            path = Path(directory) / entry
            if path.is_symlink() or not path.is_file():
                continue
            try:
                links = read_elf_links(path)
            except OSError:
                links = None
            if links is not None:
                elves.append((relative, links))
                if links.soname:
                    by_name.setdefault(links.soname, relative_dir)
    files_plan = []
    for relative, links in elves:
        directory = posixpath.dirname(relative)
        old = links.runpath or links.rpath
        runpath = _kept_entries(old, directory, out)
        needed = []
        for soname in links.needed:
            if soname in by_name:
                entry = _origin_entry(directory, by_name[soname])
                if entry not in runpath:
                    runpath.append(entry)
                needed.append({"soname": soname, "source": "wheel", "path": soname})
            elif _is_system(soname):
                needed.append({"soname": soname, "source": "system"})
            else:
                needed.append(
                    {
                        "soname": soname,
                        "source": "unresolved",
                        "reason": "not in the conda package; looked for in its conda "
                        "dependencies and buildInputs",
                    }
                )
        record: dict[str, Any] = {
            "install": relative,
            "needed": needed,
            "runpath": runpath,
            "old_runpath": list(old),
        }
        if links.interpreter:
            record["interpreter"] = links.interpreter
        files_plan.append(record)
    return {"name": name, "files": files_plan, "links": []}


# -- the whole installation -------------------------------------------------------------------------


def install(
    archive: Path,
    out: Path,
    *,
    filename: str,
    sha256: str,
    decompress: Decompress | None = None,
    site_packages: str | None = None,
    python: str | None = None,
    noarch: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Steps 1-6 of the module docstring; returns the patch plan."""
    actual = sha256_of(archive)
    if actual != sha256.lower():
        raise HashMismatch(filename, sha256.lower(), actual)
    extract_into(archive, out, filename, decompress)
    replace_prefix(out, str(out))
    index_path = out / "info" / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.is_file() else {}
    kind = noarch or index.get("noarch")
    if kind == "python":
        if site_packages is None or python is None:
            raise InstallError(
                f"{filename} is a noarch: python package; it needs --site-packages and --python"
            )
        relocate_noarch_python(out, site_packages, python)
    elif site_packages is not None:
        versions = sorted(p.parent.name for p in (out / "lib").glob("python*/site-packages"))
        wanted = site_packages.split("/")[1]
        if versions and wanted not in versions:
            raise InstallError(
                f"{filename} installs into lib/{versions[0]}/site-packages, but the "
                f"environment's Python uses {site_packages}",
                hint="lock again for this Python version",
            )
    if python is not None:
        _fix_python_shebangs(out, python)
    info = out / "info"
    if info.is_dir():
        meta = out / "nix-support" / "conda"
        meta.mkdir(parents=True, exist_ok=True)
        os.replace(info, meta / "info")
    dist = re.sub(r"\.(conda|tar\.bz2)$", "", filename)
    (out / "conda-meta").mkdir(exist_ok=True)
    record = {
        key: index[key]
        for key in ("name", "version", "build", "build_number", "subdir", "noarch", "depends")
        if key in index
    }
    record.update({"fn": filename, "sha256": sha256.lower(), "installed-by": "mach2"})
    (out / "conda-meta" / f"{dist}.json").write_text(
        json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return patch_plan(out, name or str(index.get("name") or dist))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mach2-conda-install",
        description="Unpack a conda package into a Nix output and plan its RUNPATHs.",
    )
    parser.add_argument("--archive", required=True, help="the .conda or .tar.bz2 file")
    parser.add_argument("--filename", required=True, help="its original file name")
    parser.add_argument("--sha256", required=True, help="its sha256 (hex)")
    parser.add_argument("--out", required=True, help="the output directory ($out)")
    parser.add_argument("--zstd", help="the zstd program (for .conda packages)")
    parser.add_argument("--site-packages", help="the interpreter's site-packages, relative")
    parser.add_argument("--python", help="the interpreter, for scripts and entry points")
    parser.add_argument("--noarch", help="the lock's noarch kind (python, generic)")
    parser.add_argument("--name", help="the package's name in messages and the plan")
    parser.add_argument("--plan", help="where to write the patch plan (JSON)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The script's entry point; errors are one line (plus a hint) on stderr."""
    args = _parser().parse_args(argv)
    try:
        plan = install(
            Path(args.archive),
            Path(args.out),
            filename=args.filename,
            sha256=args.sha256,
            decompress=zstd_binary(args.zstd) if args.zstd else None,
            site_packages=args.site_packages,
            python=args.python,
            noarch=args.noarch,
            name=args.name,
        )
    except InstallError as error:
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 1
    if args.plan:
        with open(args.plan, "w", encoding="utf-8") as handle:
            json.dump(plan, handle, indent=2, sort_keys=True)
    elves = len(plan["files"])
    print(f"mach2: installed conda package {args.filename} ({elves} ELF files to patch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
