"""One download: the files a lock already downloaded, added to the Nix store as the very
fixed-output paths the build asks for.

``mach2 lock`` downloads every binary wheel once to plan its RUNPATHs (and some sdists, for
metadata or Cargo.lock); the Nix library fetches each locked file with
``pkgs.fetchurl { url; sha256; name = <locked filename>; }``.  That derivation's output is a
*flat sha256 fixed-output path*: it depends only on the name and the sha256, not on the URL
(``makeFixedOutputPath`` in Nix; nixpkgs' pkgs/build-support/fetchurl/default.nix sets
``outputHashMode = "flat"`` and ``outputHashAlgo = "sha256"`` for a ``sha256`` argument).
``nix-store --add-fixed sha256 <file named as the locked filename>`` makes exactly that path,
so a later ``nix-build`` finds the output valid and downloads nothing.

:func:`fixed_output_path` computes the path in Python (tested against ``nix-store`` and against
the library's ``fetchurl`` with the stand-in and real nixpkgs); :func:`add_to_store` checks
which paths are missing and adds only those.  Nothing here is needed for correctness: a file
that is not added is downloaded by Nix as before.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from attrs import frozen

from mach2.errors import Mach2Error
from mach2.lock.model import LockedPackage

__all__ = [
    "FindCached",
    "NixStore",
    "StoreError",
    "StoreFile",
    "StoreReport",
    "add_to_store",
    "fixed_output_path",
    "nix_base32",
    "store_files",
]

_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz"
#: Nix's store path name characters (``checkName`` in libstore).
_STORE_NAME = re.compile(r"^[A-Za-z0-9+\-._?=]+$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class StoreError(Mach2Error):
    """``nix-store`` failed or gave another path than the one the build will ask for."""


def nix_base32(data: bytes) -> str:
    """Nix's base-32 (its own alphabet, least significant bits last), as in store paths."""
    length = (len(data) * 8 + 4) // 5
    chars = []
    for n in range(length - 1, -1, -1):
        bit = n * 5
        byte, offset = divmod(bit, 8)
        value = data[byte] >> offset
        if byte + 1 < len(data):
            value |= data[byte + 1] << (8 - offset)
        chars.append(_BASE32[value & 0x1F])
    return "".join(chars)


def _compress(digest: bytes, size: int) -> bytes:
    out = bytearray(size)
    for index, byte in enumerate(digest):
        out[index % size] ^= byte
    return bytes(out)


def fixed_output_path(name: str, sha256_hex: str, store_dir: str = "/nix/store") -> str:
    """The store path of a flat, sha256 fixed-output derivation (``fetchurl``) named ``name``.

    Nix's makeFixedOutputPath: ``sha256("fixed:out:sha256:<hex>:")`` is the inner hash, and the
    path is makeStorePath("output:out", inner, name): ``sha256("output:out:sha256:<inner hex>:
    <store dir>:<name>")`` folded to 20 bytes, in Nix's base-32.

    >>> fixed_output_path("hello.txt", "0" * 64)[:11]
    '/nix/store/'
    """
    if not _HEX64.match(sha256_hex):
        raise ValueError(f"not a hex sha256: {sha256_hex!r}")
    inner = hashlib.sha256(f"fixed:out:sha256:{sha256_hex}:".encode()).hexdigest()
    fingerprint = f"output:out:sha256:{inner}:{store_dir}:{name}"
    digest = _compress(hashlib.sha256(fingerprint.encode()).digest(), 20)
    return f"{store_dir}/{nix_base32(digest)}-{name}"


@frozen(kw_only=True)
class StoreFile:
    """A locked file mach2 has in its cache, and the store path the build will fetch it to."""

    key: str
    name: str
    sha256: str
    source: Path
    size: int
    store_path: str


@frozen(kw_only=True)
class StoreReport:
    """What :func:`add_to_store` did.

    :param added: files copied into the store now.
    :param present: files whose store path was valid already.
    :param not_cached: keys of fetched packages whose file mach2 never downloaded (Nix will).
    """

    added: tuple[StoreFile, ...]
    present: tuple[StoreFile, ...]
    not_cached: tuple[str, ...]

    @property
    def bytes_added(self) -> int:
        return sum(f.size for f in self.added)


#: Finds a cached file by (sha256, filename, size); None when mach2 never downloaded it.
FindCached = Callable[[str, str, int | None], Path | None]


def _filename(package: LockedPackage) -> str | None:
    """The fetchurl name the Nix library gives the artifact (packages.nix artifactFilename)."""
    artifact = package.artifact
    if artifact.filename:
        return artifact.filename
    if artifact.url:
        return artifact.url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None
    return None


def store_files(
    packages: Mapping[str, LockedPackage], find: FindCached, store_dir: str
) -> tuple[list[StoreFile], list[str]]:
    """The locked files Nix fetches by URL that are in mach2's cache; and the keys of those
    that are not.  Local ``file://`` artifacts are skipped (Nix reads them itself)."""
    found: list[StoreFile] = []
    missing: list[str] = []
    for key, package in sorted(packages.items()):
        artifact = package.artifact
        name = _filename(package)
        if not (artifact.url and artifact.sha256 and name) or not artifact.url.startswith(
            ("https://", "http://")
        ):
            continue
        if not _STORE_NAME.match(name) or name.startswith("."):
            continue  # fetchurl would refuse the name too
        source = find(artifact.sha256, name, artifact.size)
        if source is None:
            missing.append(key)
            continue
        found.append(
            StoreFile(
                key=key,
                name=name,
                sha256=artifact.sha256,
                source=source,
                size=source.stat().st_size,
                store_path=fixed_output_path(name, artifact.sha256, store_dir),
            )
        )
    return found, missing


class NixStore:
    """The ``nix-store`` commands this module needs.

    :param nix_store: the ``nix-store`` program.
    :param store_dir: the store directory (``builtins.storeDir``).
    """

    def __init__(self, nix_store: str, store_dir: str) -> None:
        self.nix_store = nix_store
        self.store_dir = store_dir

    @classmethod
    def find(cls, environ: Mapping[str, str]) -> NixStore | None:
        """The machine's Nix store, or None when Nix is not installed."""
        path = environ.get("PATH", os.defpath)
        program = shutil.which("nix-store", path=path)
        if program is None:
            return None
        return cls(program, environ.get("NIX_STORE_DIR") or "/nix/store")

    def _run(self, args: Sequence[str]) -> str:
        try:
            done = subprocess.run(
                [self.nix_store, *args], capture_output=True, text=True, check=False, timeout=3600
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise StoreError(f"cannot run {self.nix_store}: {error}") from error
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise StoreError(f"`nix-store {args[0]}` failed: {last}")
        return done.stdout

    def invalid(self, paths: Iterable[str]) -> set[str]:
        """The paths of ``paths`` that are not valid in the store."""
        wanted = list(paths)
        if not wanted:
            return set()
        out = self._run(["--check-validity", "--print-invalid", *wanted])
        return set(out.split())

    def add_fixed(self, files: Sequence[StoreFile]) -> None:
        """``nix-store --add-fixed sha256`` each file under its locked name; every resulting
        path must be the one the build asks for."""
        if not files:
            return
        with tempfile.TemporaryDirectory(prefix="mach2-store-") as directory:
            named = []
            for index, file in enumerate(files):
                target = Path(directory) / str(index) / file.name
                target.parent.mkdir()
                try:
                    os.link(file.source, target)
                except OSError:
                    shutil.copyfile(file.source, target)
                named.append(str(target))
            got = self._run(["--add-fixed", "sha256", *named]).split()
        expected = [file.store_path for file in files]
        if got != expected:
            wrong = next((e, g) for e, g in zip(expected, got, strict=False) if e != g)
            raise StoreError(
                f"nix-store added {wrong[1]}, expected {wrong[0]} (the path fetchurl gives)",
                hint="report this: the store's fixed-output path formula differs",
            )


def add_to_store(
    packages: Mapping[str, LockedPackage], find: FindCached, store: NixStore
) -> StoreReport:
    """Add the cached locked files whose store paths are missing; report what was done.

    :raises StoreError: ``nix-store`` failed (the lock itself is fine; Nix downloads then).
    """
    files, not_cached = store_files(packages, find, store.store_dir)
    invalid = store.invalid(f.store_path for f in files)
    to_add = [f for f in files if f.store_path in invalid]
    store.add_fixed(to_add)
    return StoreReport(
        added=tuple(to_add),
        present=tuple(f for f in files if f.store_path not in invalid),
        not_cached=tuple(not_cached),
    )
