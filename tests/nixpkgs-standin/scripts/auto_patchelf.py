"""Stand-in for nixpkgs' autoPatchelfHook (pkgs/by-name/au/auto-patchelf/source/auto-patchelf.py).

What it copies: every ELF file under the given paths is read; each DT_NEEDED soname must be
found (1) among the ELF files of the paths themselves (vendored libraries, e.g. a wheel's
``<name>.libs/``), (2) in the ``lib`` directories given with --libs (the buildInputs), or
(3) be a glibc library (nixpkgs finds those through the C library of stdenv).  A soname
found nowhere fails the build with the same wording as auto-patchelf.py, unless it is in
--ignore-missing (a list of sonames or globs; ``*`` is allowed but mach2 never uses it).
What it does not do: rewrite the interpreter or RUNPATH with patchelf.  The stand-in's
Python is the host's, whose loader finds the host's libraries anyway; the check is the part
that matters to the tests.

usage: auto_patchelf.py --paths DIR... --libs DIR... --search DIR... --ignore-missing SONAME...
(--search: directories from addAutoPatchelfSearchPath, searched recursively)
"""

import argparse
import fnmatch
import struct
import sys
from pathlib import Path

GLIBC = {
    "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libc.so.6", "libm.so.6",
    "libpthread.so.0", "libdl.so.2", "librt.so.1", "libresolv.so.2", "libutil.so.1",
    "libanl.so.1", "libmvec.so.1", "libnsl.so.1", "libBrokenLocale.so.1",
}  # fmt: skip

DT_NEEDED, DT_SONAME, DT_STRTAB = 1, 14, 5
SHT_DYNAMIC = 6


def _string(data: bytes, at: int) -> str:
    return data[at : data.index(b"\0", at)].decode()


def read_dynamic(path: Path) -> tuple[list[str], str | None] | None:
    """DT_NEEDED and DT_SONAME of an ELF file, or None for non-ELF files."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return None
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
    else:
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
    sections = []
    for i in range(shnum):
        base = shoff + i * shentsize
        if is64:
            _, sh_type, _, _, off, size, link, _, _, entsize = struct.unpack_from(
                end + "IIQQQQIIQQ", data, base
            )
        else:
            _, sh_type, _, _, off, size, link, _, _, entsize = struct.unpack_from(
                end + "IIIIIIIIII", data, base
            )
        sections.append((sh_type, off, size, link, entsize))
    needed: list[str] = []
    soname = None
    for sh_type, off, size, link, entsize in sections:
        if sh_type != SHT_DYNAMIC:
            continue
        str_off = sections[link][1]
        fmt = end + ("qQ" if is64 else "iI")
        step = entsize or struct.calcsize(fmt)

        for pos in range(off, off + size, step):
            tag, value = struct.unpack_from(fmt, data, pos)
            if tag == 0:
                break
            if tag == DT_NEEDED:
                needed.append(_string(data, str_off + value))
            elif tag == DT_SONAME:
                soname = _string(data, str_off + value)
    return needed, soname


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="?")
    parser.add_argument("--paths", nargs="*", default=[])
    parser.add_argument("--libs", nargs="*", default=[])
    parser.add_argument("--search", nargs="*", default=[])
    parser.add_argument("--ignore-missing", nargs="*", default=[])
    args = parser.parse_args()

    elves: dict[Path, list[str]] = {}
    provided: set[str] = set()
    for root in args.paths:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file() and not path.is_symlink():
                info = read_dynamic(path)
                if info is None:
                    continue
                elves[path] = info[0]
                provided.add(path.name)
                if info[1]:
                    provided.add(info[1])
    for lib in args.libs:
        directory = Path(lib)
        if directory.is_dir():
            provided.update(p.name for p in directory.iterdir())
    for root in args.search:
        provided.update(p.name for p in Path(root).rglob("*.so*"))

    failures = []
    for path, needed in elves.items():
        print(f"searching for dependencies of {path}")
        for dep in needed:
            if dep in GLIBC or dep in provided:
                print(f"    {dep} -> found")
                continue
            if any(fnmatch.fnmatch(dep, pattern) for pattern in args.ignore_missing):
                print(f"warn: auto-patchelf ignoring missing {dep} wanted by {path}")
                continue
            failures.append((dep, path))
    for dep, path in failures:
        print(
            f"error: auto-patchelf could not satisfy dependency {dep} wanted by {path}",
            file=sys.stderr,
        )
    if failures:
        sonames = " ".join(sorted({dep for dep, _ in failures}))
        sys.exit(
            f"auto-patchelf failed to find all the required dependencies of {args.name} "
            f"(missing: {sonames}).\nAdd the missing dependencies to --libs or use "
            f'`--ignore-missing="foo.so.1 bar.so etc.so"`.'
        )


if __name__ == "__main__":
    main()
