"""A fake package index for offline tests of the providers, the resolver and ``lock_input``.

:class:`FakeIndex` implements :class:`mach2.providers.pypi.provider.PackageIndex` from a compact spec::

    FakeIndex({
        "pkg": {
            "1.0": {
                "deps": ["six>=1", "dask[complete]; extra == 'all'"],
                "requires_python": ">=3.8",
                "wheels": ["py3-none-any"],          # or ["cp312-cp312-manylinux_2_17_x86_64"]
                "sdist": True,
                "yanked": False,                     # or a reason string
            },
        },
    })

Per version, every key is optional:

* ``deps``: Requires-Dist strings (wheel METADATA and sdist PKG-INFO alike);
* ``sdist_deps``: Requires-Dist of the sdist when it differs from the wheels';
* ``requires_python``: written in the metadata and, unless ``index_requires_python`` is
  False, given by the index for every file (PEP 503 ``data-requires-python``);
* ``wheels``: wheel tags ``python-abi-platform`` (default ``["py3-none-any"]`` when there is
  no sdist, else none);
* ``sdist``: whether a ``.tar.gz`` exists (its PKG-INFO is static, Metadata-Version 2.2);
* ``build_requires``: ``[build-system].requires`` of the sdist (default: none, so locking
  an sdist does not pull setuptools into every test); ``None`` leaves pyproject.toml out;
* ``yanked``: ``False``/``True``/a reason, for every file of the version;
* ``extras``: Provides-Extra values (default: the ``extra == '...'`` names found in deps);
* ``unlisted``: the files exist (for direct URLs) but the project page does not list them;
  a project whose versions are all unlisted is unknown to the index.

The index also records what it was asked (:attr:`FakeIndex.calls`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from mach2.api import LockOptions, lock_input
from mach2.inputs import parse_requirements
from mach2.lock.model import Lock
from mach2.model.artifact import DistFile
from mach2.model.target import Target
from mach2.providers.pypi.client import UnknownProject

__all__ = ["BASE_URL", "INDEX_URL", "FakeIndex", "file_url", "lock_with", "metadata_text"]

INDEX_URL = "https://fake.invalid/simple/"
BASE_URL = "https://fake.invalid/files/"
_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def file_url(filename: str) -> str:
    return BASE_URL + filename


def _underscored(name: str) -> str:
    return canonicalize_name(name).replace("-", "_")


def metadata_text(
    name: str,
    version: str,
    deps: Iterable[str],
    *,
    requires_python: str | None,
    extras: Iterable[str] | None = None,
    metadata_version: str = "2.1",
) -> str:
    """A core metadata file (METADATA or PKG-INFO) with the fields the resolver reads."""
    deps = list(deps)
    if extras is None:
        extras = sorted({m for d in deps for m in _EXTRA.findall(d)})
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {e}" for e in extras]
    lines += [f"Requires-Dist: {d}" for d in deps]
    return "\n".join(lines) + "\n\nA long description nobody parses.\n"


def _sdist_bytes(name: str, version: str, pkg_info: str, pyproject: str | None) -> bytes:
    """A small, byte-for-byte reproducible ``.tar.gz`` with a static PKG-INFO."""
    root = f"{_underscored(name)}-{version}"
    buffer = io.BytesIO()
    members = {"PKG-INFO": pkg_info, "setup.py": "raise SystemExit('not built')\n"}
    if pyproject is not None:
        members["pyproject.toml"] = pyproject
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        directory = tarfile.TarInfo(root)
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        tar.addfile(directory)
        for member, text in sorted(members.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{member}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _wheel_bytes(filename: str, metadata: str) -> bytes:
    dist_info = "-".join(filename.split("-")[:2]) + ".dist-info"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        tag = "-".join(filename[: -len(".whl")].split("-")[-3:])
        wheel = f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n"
        for member, text in (("METADATA", metadata), ("WHEEL", wheel)):
            info = zipfile.ZipInfo(f"{dist_info}/{member}", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, text)
    return buffer.getvalue()


class FakeIndex:
    """An in-memory :class:`~mach2.providers.pypi.provider.PackageIndex` (see the module docstring)."""

    def __init__(
        self,
        spec: Mapping[str, Mapping[str, Mapping[str, Any]]],
        *,
        index_urls: tuple[str, ...] = (INDEX_URL,),
        download_dir: Path | None = None,
    ) -> None:
        self.index_urls = index_urls
        self.calls: list[tuple[str, str]] = []
        self._files: dict[NormalizedName, tuple[DistFile, ...]] = {}
        #: filename → (bytes of the file, its METADATA/PKG-INFO text)
        self._contents: dict[str, tuple[bytes, str]] = {}
        self._all: dict[str, DistFile] = {}
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        if download_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="mach2-fake-index-")
            download_dir = Path(self._temporary.name)
        self.download_dir = download_dir
        for name, versions in spec.items():
            files: list[DistFile] = []
            for version, entry in versions.items():
                added = self._add(name, version, entry)
                if not entry.get("unlisted", False):
                    files += added
            if files or not all(e.get("unlisted", False) for e in versions.values()):
                self._files[canonicalize_name(name)] = tuple(files)

    def _add(self, name: str, version: str, entry: Mapping[str, Any]) -> list[DistFile]:
        deps = list(entry.get("deps", ()))
        requires_python = entry.get("requires_python")
        has_sdist = bool(entry.get("sdist", False))
        wheels = list(entry.get("wheels", () if has_sdist else ["py3-none-any"]))
        yanked = entry.get("yanked", False)
        yanked_value = None if yanked is False else ("" if yanked is True else str(yanked))
        listed_python = requires_python if entry.get("index_requires_python", True) else None
        extras = entry.get("extras")
        files = []
        for tag in wheels:
            filename = f"{_underscored(name)}-{version}-{tag}.whl"
            metadata = metadata_text(
                name, version, deps, requires_python=requires_python, extras=extras
            )
            data = _wheel_bytes(filename, metadata)
            files.append(self._file(filename, data, metadata, yanked_value, listed_python))
        if has_sdist:
            filename = f"{_underscored(name)}-{version}.tar.gz"
            pkg_info = metadata_text(
                name,
                version,
                entry.get("sdist_deps", deps),
                requires_python=requires_python,
                extras=extras,
                metadata_version="2.2",
            )
            build = entry.get("build_requires", [])
            pyproject = None
            if build is not None:
                listed = ", ".join(f'"{r}"' for r in build)
                pyproject = f"[build-system]\nrequires = [{listed}]\n"
                pyproject += "build-backend = 'setuptools.build_meta'\n"
            data = _sdist_bytes(name, version, pkg_info, pyproject)
            files.append(self._file(filename, data, pkg_info, yanked_value, listed_python))
        return files

    def _file(
        self,
        filename: str,
        data: bytes,
        metadata: str,
        yanked: str | None,
        requires_python: str | None,
    ) -> DistFile:
        self._contents[filename] = (data, metadata)
        self._all[filename] = DistFile(
            filename=filename,
            url=file_url(filename),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            yanked=yanked,
            requires_python=requires_python,
            index_url=self.index_urls[0],
        )
        return self._all[filename]

    # -- lookups for tests -------------------------------------------------------------------

    def file(self, filename: str) -> DistFile:
        """The DistFile for ``filename`` (listed or not)."""
        return self._all[filename]

    def sha256(self, filename: str) -> str:
        return hashlib.sha256(self._contents[filename][0]).hexdigest()

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()

    # -- PackageIndex ----------------------------------------------------------------------

    def project_files(self, name: NormalizedName) -> tuple[DistFile, ...]:
        self.calls.append(("project_files", name))
        try:
            return self._files[name]
        except KeyError:
            raise UnknownProject(name, self.index_urls) from None

    def prefetch_projects(self, names: Iterable[NormalizedName]) -> None:
        for name in names:
            self.calls.append(("prefetch_projects", name))

    def wheel_metadata(self, file: DistFile) -> bytes:
        self.calls.append(("wheel_metadata", file.filename))
        if not file.is_wheel:
            raise ValueError(f"not a wheel: {file.filename!r}")
        return self._contents[file.filename][1].encode()

    def prefetch_metadata(self, files: Iterable[DistFile]) -> None:
        for file in files:
            self.calls.append(("prefetch_metadata", file.filename))

    def download(self, file: DistFile) -> Path:
        """Write the file (found by its name, so direct URLs work too) and return its path."""
        self.calls.append(("download", file.filename))
        data = self._contents[file.filename][0]
        path = self.download_dir / file.filename
        path.write_bytes(data)
        return path


def lock_with(
    index: FakeIndex | Mapping[str, Mapping[str, Mapping[str, Any]]],
    text: str,
    *,
    providers: str | Mapping[str, Any] | None = "wheel,sdist",
    python: str = "3.12",
    system: str = "x86_64-linux",
    base_dir: Path | None = None,
    origin: str = "requirements.txt",
    **options: Any,
) -> Lock:
    """Lock requirements ``text`` against a fake index (a :class:`FakeIndex` or its spec).

    ``base_dir`` is where ``-r``/``-c`` includes are read from; other keyword arguments go to
    :class:`~mach2.api.LockOptions` (``allow_prereleases``, ``exclude_newer``...).
    """
    if not isinstance(index, FakeIndex):
        index = FakeIndex(index)
    requirements = parse_requirements(text, origin=origin, base_dir=base_dir)
    target = Target.from_strings(python, system)
    lock_options = LockOptions(target=target, providers=providers, **options)
    return lock_input(requirements, text, lock_options, index=index)
