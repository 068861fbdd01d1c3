"""The crates of an sdist's Cargo.lock, for building it offline (the Nix sandbox has no network).

Read at lock time from the sdist itself; the Nix library fetches each crate from crates.io
by the checksum Cargo.lock records (a sha256) and vendors them, so evaluation reads no file
of the sdist (no import-from-derivation).  Reading members by name writes nothing, so the
archive needs none of the extraction checks of :mod:`mach2.providers.pypi.archive`.
"""

from __future__ import annotations

import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

from attrs import frozen

from mach2.errors import ArtifactError

__all__ = ["CRATES_IO", "Crate", "read_crates"]

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


@frozen(kw_only=True, order=True)
class Crate:
    name: str
    version: str
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


def read_crates(sdist: Path) -> tuple[Crate, ...]:
    """Every crates.io crate of every ``Cargo.lock`` in the sdist, sorted, each once.

    :raises ArtifactError: no Cargo.lock, an unreadable one, or a crate from elsewhere (git,
        another registry), which cannot be fetched by checksum.
    """
    crates: set[Crate] = set()
    found = False
    for member, text in _cargo_locks(sdist):
        found = True
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ArtifactError(f"{sdist.name}: {member} is not valid TOML ({error})") from None
        for package in data.get("package", []):
            source = package.get("source")
            if source is None:  # a path crate: part of the sdist
                continue
            name, version = package.get("name"), package.get("version")
            checksum = package.get("checksum")
            if source != CRATES_IO or not isinstance(checksum, str):
                raise ArtifactError(
                    f"{sdist.name}: crate {name} {version} comes from {source}, which mach2 cannot vendor by checksum",
                    hint="take this package as a wheel (-p NAME=wheel) or build it with a `_` override",
                )
            crates.add(Crate(name=str(name), version=str(version), sha256=checksum))
    if not found:
        raise ArtifactError(
            f"{sdist.name}: builds Rust crates but has no Cargo.lock, so its crates cannot be pinned",
            hint="take this package as a wheel (-p NAME=wheel)",
        )
    return tuple(sorted(crates))


def _cargo_locks(sdist: Path) -> Iterator[tuple[str, str]]:
    try:
        if sdist.is_dir():  # a git checkout or a local project
            for path in sorted(sdist.rglob("Cargo.lock")):
                relative = path.relative_to(sdist)
                if path.is_file() and not {"target", ".git"} & set(relative.parts):
                    yield relative.as_posix(), path.read_text(encoding="utf-8")
            return
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as archive:
                for info in archive.infolist():
                    if info.filename.rsplit("/", 1)[-1] == "Cargo.lock" and not info.is_dir():
                        yield info.filename, archive.read(info).decode("utf-8")
            return
        with tarfile.open(sdist) as archive:
            for member in archive:
                if member.isfile() and member.name.rsplit("/", 1)[-1] == "Cargo.lock":
                    stream = archive.extractfile(member)
                    if stream is not None:
                        yield member.name, stream.read().decode("utf-8")
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise ArtifactError(
            f"{sdist.name}: cannot read its Cargo.lock ({error})",
            hint="delete the file so it is downloaded again",
        ) from error
