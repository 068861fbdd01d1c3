"""Stage 4, artifacts: every locked artifact gets what the Nix side needs to fetch and build it.

- a ``name @ url`` without a sha256 is downloaded and hashed (every artifact in a lock has one);
- an sdist gets the build fixes that apply to it (``mach2.buildfix``: entries of the table,
  the crates of a Rust sdist);
- a nixpkgs package gets PyPI's sdist of its version, for the Nix side's override path.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import tempfile
from pathlib import Path

import attrs
from packaging.version import Version

from mach2.buildfix import add_build_fixes
from mach2.errors import LockError
from mach2.lock.model import LockedPackage
from mach2.model.artifact import DistFile
from mach2.model.names import normalize
from mach2.pipeline.providers import OpenProviders
from mach2.providers.direct.git import GitUrl
from mach2.providers.pypi.provider import PackageIndex

__all__ = ["complete", "download", "hash_direct_references", "source_of", "with_nixpkgs_sources"]


def complete(
    packages: dict[str, LockedPackage], providers: OpenProviders
) -> dict[str, LockedPackage]:
    """The stage: direct references hashed, sdists' build fixes named, nixpkgs packages given
    their PyPI sdist."""
    packages = hash_direct_references(packages, providers.index)
    with contextlib.ExitStack() as stack:
        packages = add_build_fixes(packages, functools.partial(source_of, providers, stack))
    if providers.nixpkgs is not None:
        packages = with_nixpkgs_sources(packages, providers.index)
    return packages


def source_of(
    providers: OpenProviders, stack: contextlib.ExitStack, package: LockedPackage
) -> Path:
    """What Nix builds ``package`` from: the sdist file, a local directory, or a checkout
    (made in a temporary directory that ``stack`` removes)."""
    artifact = package.artifact
    if artifact.kind == "path":
        return Path(str(artifact.extra["path"]))
    if artifact.kind == "git" and providers.direct is not None:
        url = GitUrl(
            repository=str(artifact.url),
            rev=str(artifact.extra["rev"]),
            subdirectory=artifact.extra.get("subdirectory"),
        )
        checkout = (
            Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mach2-git-"))) / "src"
        )
        providers.direct.git.checkout(url, str(artifact.extra["rev"]), checkout)
        return checkout / url.subdirectory if url.subdirectory else checkout
    return download(providers.index, package)


def download(index: PackageIndex, package: LockedPackage) -> Path:
    """The locked file of ``package``, from the download cache (downloaded once, hash-checked)."""
    artifact = package.artifact
    if not (artifact.filename and artifact.url):
        raise LockError(f"locked package {package.key} has no file to download")
    return index.download(
        DistFile(
            filename=artifact.filename, url=artifact.url, sha256=artifact.sha256, size=artifact.size
        )
    )


def hash_direct_references(
    packages: dict[str, LockedPackage], index: PackageIndex
) -> dict[str, LockedPackage]:
    """Every artifact in the lock has a sha256: a `name @ url` without one is downloaded and hashed."""
    result = dict(packages)
    for key, package in packages.items():
        artifact = package.artifact
        if artifact.sha256 is None and artifact.url and artifact.filename:
            path = index.download(
                DistFile(filename=artifact.filename, url=artifact.url, sha256=None)
            )
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            result[key] = attrs.evolve(
                package, artifact=attrs.evolve(artifact, sha256=digest, size=path.stat().st_size)
            )
    return result


def with_nixpkgs_sources(
    packages: dict[str, LockedPackage], index: PackageIndex
) -> dict[str, LockedPackage]:
    """Give nixpkgs packages PyPI's sdist of their version, for the Nix side's override path."""
    from mach2.providers.nixpkgs.provider import pypi_source

    result = dict(packages)
    for key, package in packages.items():
        if package.provider != "nixpkgs":
            continue
        sdist = pypi_source(index, normalize(package.name), Version(package.version))
        if sdist is not None:
            artifact = attrs.evolve(
                package.artifact, filename=sdist.filename, url=sdist.url, sha256=sdist.sha256
            )
            result[key] = attrs.evolve(package, artifact=artifact)
    return result
