"""sdist metadata: static PKG-INFO, PEP 517 hooks, legacy setup.py, caching, archive safety.

The sdists are made here with tarfile/zipfile.  Backends live inside the sdists
(``backend-path``) and run on this interpreter through a fake :class:`BuildEnvironment`, so
nothing here needs the network; the real environments are covered with ``requires = []``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from mach2.errors import ArtifactError
from mach2.model.names import normalize
from mach2.providers.pypi.metadata import parse_metadata
from mach2.providers.pypi.sdist import (
    DEFAULT_BUILD_REQUIRES,
    BuildEnvironment,
    BuildEnvironmentFailed,
    MetadataBuildFailed,
    SdistMetadata,
    VenvBuildEnvironment,
    read_sdist_metadata,
)

# --- helpers ---------------------------------------------------------------------------------


def pkg_info(version: str = "2.2", *, name: str = "Demo_Pkg", extra: str = "") -> str:
    return (
        f"Metadata-Version: {version}\nName: {name}\nVersion: 1.0\n"
        + textwrap.dedent(extra)
        + "\nThe long description.\nRequires-Dist: not-a-header\n"
    )


STATIC_FIELDS = """\
    Requires-Python: >=3.9
    Requires-Dist: six>=1.5
    Requires-Dist: rich<14,>=10; extra == "cli"
    Provides-Extra: cli
"""

HATCHLING_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.24", "hatch-vcs"]
build-backend = "hatchling.build"
"""

# A backend inside the sdist: get_requires answers GET_REQUIRES; prepare_metadata writes METADATA
# (or is absent, or fails) depending on MODE.
BACKEND = """\
import os, sys, zipfile

METADATA = (
    "Metadata-Version: 2.1\\nName: demo-pkg\\nVersion: 1.0\\nRequires-Python: >=3.8\\n"
    "Requires-Dist: six>=1.5\\nRequires-Dist: rich; extra == 'cli'\\nProvides-Extra: cli\\n"
)
MODE = {mode!r}

def get_requires_for_build_wheel(config_settings=None):
    return {get_requires!r}

def _prepare(metadata_directory, config_settings=None):
    if MODE == "fail":
        print("checking for libfoo... no")
        print("lots of noise", file=sys.stderr)
        raise RuntimeError("libfoo not found")
    path = os.path.join(metadata_directory, "demo_pkg-1.0.dist-info")
    os.mkdir(path)
    with open(os.path.join(path, "METADATA"), "w") as f:
        f.write(METADATA)
    return "demo_pkg-1.0.dist-info"

if MODE != "no-prepare-hook":
    prepare_metadata_for_build_wheel = _prepare

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as whl:
        whl.writestr("demo_pkg/__init__.py", "")
        whl.writestr("demo_pkg-1.0.dist-info/METADATA", METADATA.replace("six>=1.5", "six>=1.6"))
        whl.writestr("demo_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\n")
        whl.writestr("demo_pkg-1.0.dist-info/RECORD", "")
    return name
"""


def in_tree_backend(
    *, requires: Sequence[str] = ("demo-base",), get_requires: Sequence[str] = (), mode: str = "ok"
) -> dict[str, str]:
    pyproject = (
        f"[build-system]\nrequires = {json.dumps(list(requires))}\n"
        'build-backend = "demo_backend"\nbackend-path = ["backend"]\n'
    )
    backend = BACKEND.format(mode=mode, get_requires=list(get_requires))
    return {"pyproject.toml": pyproject, "backend/demo_backend.py": backend}


def make_sdist(
    tmp_path: Path, files: dict[str, str], *, fmt: str = "tar.gz", root: str = "demo_pkg-1.0"
) -> Path:
    path = tmp_path / f"{root}.{fmt}"
    prefix = f"{root}/" if root else ""
    if fmt == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name, text in files.items():
                zf.writestr(prefix + name, text)
        return path
    with tarfile.open(path, "w:bz2" if fmt == "tar.bz2" else "w:gz") as tf:
        for name, text in files.items():
            add_tar_member(tf, prefix + name, text.encode())
    return path


def add_tar_member(
    tf: tarfile.TarFile,
    name: str,
    data: bytes = b"",
    *,
    kind: bytes = tarfile.REGTYPE,
    link: str = "",
) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tf.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FakeEnvironment:
    """Every "environment" is this interpreter; records the requirement lists asked for."""

    def __init__(self) -> None:
        self.requested: list[tuple[str, ...]] = []

    def python_with(self, requirements: Sequence[str]) -> str:
        self.requested.append(tuple(requirements))
        return sys.executable


class NoBuild:
    def python_with(self, requirements: Sequence[str]) -> str:
        raise AssertionError(f"no build expected, asked for {requirements}")


class BrokenEnvironment:
    def python_with(self, requirements: Sequence[str]) -> str:
        raise BuildEnvironmentFailed(
            requirements=requirements,
            detail="No solution found: demo-base was not found in the package registry",
            output="uv pip install demo-base\nerror: No solution found\n",
        )


def read(path: Path, builder: BuildEnvironment, cache_dir: Path | None = None) -> SdistMetadata:
    return read_sdist_metadata(
        path, sha256=sha256(path), cache_dir=cache_dir, python=sys.executable, builder=builder
    )


# --- parse_metadata --------------------------------------------------------------------------


def test_parse_metadata_reads_the_resolver_fields() -> None:
    data = (
        b"Metadata-Version: 2.4\nName: Foo.Bar_baz\nVersion: 2.0.post1\n"
        b"Requires-Python: >=3.8,\n <4\nRequires-Dist: six>=1.5\n"
        b"Requires-Dist: rich; extra == 'cli'\nProvides-Extra: cli\n"
        b"Dynamic: Requires-Dist\nDynamic: License\n"
        b"Author: J\xc3\xb6rg \xff\n\nbody\nRequires-Dist: ignored\n"
    )
    m = parse_metadata(data)
    assert m.metadata_version == "2.4"
    assert m.name == "foo-bar-baz"
    assert m.version == "2.0.post1"
    assert m.requires_python == ">=3.8, <4"
    assert m.requires_dist == ("six>=1.5", "rich; extra == 'cli'")
    assert m.provides_extra == ("cli",)
    assert m.dynamic == ("requires-dist", "license")


def test_parse_metadata_tolerates_old_and_sparse_files() -> None:
    m = parse_metadata(b"Name: old\nVersion: 0.1\nRequires: sys\n")
    assert (m.metadata_version, m.name, m.version) == ("1.0", "old", "0.1")
    assert (m.requires_dist, m.requires_python, m.provides_extra, m.dynamic) == ((), None, (), ())


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        (b"Metadata-Version: 2.1\nVersion: 1\n", "Name"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "Name"),
        (b"Metadata-Version: 2.1\nName: x\nVersion:\n", "Version"),
    ],
)
def test_parse_metadata_refuses_files_without_name_or_version(data: bytes, missing: str) -> None:
    with pytest.raises(ArtifactError) as e:
        parse_metadata(data, origin="x-1.0.tar.gz!PKG-INFO")
    assert str(e.value).startswith(f"x-1.0.tar.gz!PKG-INFO: core metadata has no '{missing}'")
    assert "\n" not in str(e.value)


# --- static PKG-INFO -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tar.gz", "tgz", "tar.bz2", "zip"])
def test_static_pkg_info_is_used_without_building(tmp_path: Path, fmt: str) -> None:
    files = {
        "PKG-INFO": pkg_info("2.2", extra=STATIC_FIELDS),
        "pyproject.toml": HATCHLING_PYPROJECT,
    }
    env = FakeEnvironment()
    m = read(make_sdist(tmp_path, files, fmt=fmt), env)
    # Only the build requirements' environment is asked for (get_requires_for_build_wheel;
    # hatchling cannot answer from here, so the declared requirements stay).
    assert env.requested == [("hatchling>=1.24", "hatch-vcs")]
    assert m == SdistMetadata(
        name=normalize("demo-pkg"),
        version="1.0",
        requires_dist=("six>=1.5", 'rich<14,>=10; extra == "cli"'),
        requires_python=">=3.9",
        provides_extra=("cli",),
        build_requires=("hatchling>=1.24", "hatch-vcs"),
        build_backend="hatchling.build",
        source="pkg-info",
    )


def test_static_pkg_info_still_asks_the_backend_for_build_requirements(tmp_path: Path) -> None:
    """A PEP 517 frontend checks get_requires_for_build_wheel's answer before it builds
    (nixpkgs' pypa/build does), so the lock needs it even when the metadata is static."""
    files = in_tree_backend(get_requires=["demo-helper>=2", "demo-base"])
    files["PKG-INFO"] = pkg_info("2.2", extra=STATIC_FIELDS)
    env = FakeEnvironment()
    m = read(make_sdist(tmp_path, files), env)
    assert (m.source, m.requires_python) == ("pkg-info", ">=3.9")
    assert m.build_requires == ("demo-base", "demo-helper>=2")
    assert env.requested == [("demo-base",)]


def test_static_pkg_info_keeps_the_declared_requirements_when_the_backend_cannot_answer(
    tmp_path: Path,
) -> None:
    files = in_tree_backend(get_requires=["demo-helper>=2"])
    files["PKG-INFO"] = pkg_info("2.2", extra=STATIC_FIELDS)
    m = read(make_sdist(tmp_path, files), BrokenEnvironment())
    assert (m.source, m.build_requires) == ("pkg-info", ("demo-base",))


def test_static_pkg_info_without_pyproject_gets_the_pep517_defaults(tmp_path: Path) -> None:
    files = {"PKG-INFO": pkg_info("2.4", extra=STATIC_FIELDS), "setup.py": "raise SystemExit(1)"}
    m = read(make_sdist(tmp_path, files), BrokenEnvironment())
    assert (m.source, m.build_requires, m.build_backend) == (
        "pkg-info",
        DEFAULT_BUILD_REQUIRES,
        None,
    )
    assert DEFAULT_BUILD_REQUIRES == ("setuptools>=40.8.0",)


def test_pyproject_without_build_system_gets_the_defaults(tmp_path: Path) -> None:
    files = {"PKG-INFO": pkg_info("2.2"), "pyproject.toml": "[tool.black]\nline-length = 99\n"}
    m = read(make_sdist(tmp_path, files), BrokenEnvironment())
    assert (m.build_requires, m.build_backend, m.requires_dist) == (
        DEFAULT_BUILD_REQUIRES,
        None,
        (),
    )


def test_dynamic_fields_that_do_not_matter_keep_pkg_info_static(tmp_path: Path) -> None:
    info = pkg_info("2.2", extra=STATIC_FIELDS + "Dynamic: License\nDynamic: Keywords\n")
    files = {"PKG-INFO": info, "pyproject.toml": HATCHLING_PYPROJECT}
    assert read(make_sdist(tmp_path, files), FakeEnvironment()).source == "pkg-info"


@pytest.mark.parametrize(
    "info",
    [
        pkg_info("2.2", extra=STATIC_FIELDS + "Dynamic: Requires-Dist\n"),
        pkg_info("2.3", extra=STATIC_FIELDS + "Dynamic: requires-python\n"),
        pkg_info("2.4", extra=STATIC_FIELDS + "Dynamic: Provides-Extra\n"),
        pkg_info("2.1", extra=STATIC_FIELDS),  # before PEP 643 nothing says it is complete
        pkg_info("garbage", extra=STATIC_FIELDS),
        None,  # no PKG-INFO at all
    ],
    ids=["requires-dist", "requires-python", "provides-extra", "2.1", "bad-version", "none"],
)
def test_dynamic_or_old_pkg_info_runs_the_hooks(tmp_path: Path, info: str | None) -> None:
    files = in_tree_backend(get_requires=["demo-helper>=2", "demo-base"])
    if info is not None:
        files["PKG-INFO"] = info
    env = FakeEnvironment()
    m = read(make_sdist(tmp_path, files), env)
    assert m == SdistMetadata(
        name=normalize("demo-pkg"),
        version="1.0",
        requires_dist=("six>=1.5", "rich; extra == 'cli'"),
        requires_python=">=3.8",
        provides_extra=("cli",),
        build_requires=("demo-base", "demo-helper>=2"),
        build_backend="demo_backend",
        source="pep517",
    )
    # The hook's extra requirement needs a second environment; duplicates are merged.
    assert env.requested == [("demo-base",), ("demo-base", "demo-helper>=2")]


def test_no_extra_build_requirements_means_one_environment(tmp_path: Path) -> None:
    env = FakeEnvironment()
    m = read(make_sdist(tmp_path, in_tree_backend(requires=["a", "b>1"])), env)
    assert m.build_requires == ("a", "b>1")
    assert env.requested == [("a", "b>1")]


def test_backend_without_prepare_hook_builds_a_wheel(tmp_path: Path) -> None:
    m = read(make_sdist(tmp_path, in_tree_backend(mode="no-prepare-hook")), FakeEnvironment())
    assert m.source == "pep517"
    assert m.requires_dist == ("six>=1.6", "rich; extra == 'cli'")  # the wheel's METADATA


def test_setup_py_only_sdist_uses_the_legacy_setuptools_backend(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    setup_py = """\
        from setuptools import setup
        setup(
            name="Legacy.Demo",
            version="0.3",
            py_modules=["legacy_demo"],
            install_requires=["six>=1.5", "requests[socks]<3"],
            extras_require={"fast": ["ujson>=5"]},
            python_requires=">=3.7",
        )
    """
    files = {"setup.py": textwrap.dedent(setup_py), "legacy_demo.py": ""}
    files["PKG-INFO"] = "Metadata-Version: 1.0\nName: Legacy.Demo\nVersion: 0.3\n"
    env = FakeEnvironment()
    m = read(make_sdist(tmp_path, files, root="Legacy.Demo-0.3"), env)
    assert (m.name, m.version, m.source, m.build_backend) == ("legacy-demo", "0.3", "pep517", None)
    assert m.requires_dist == ("six>=1.5", "requests[socks]<3", 'ujson>=5; extra == "fast"')
    assert (m.requires_python, m.provides_extra) == (">=3.7", ("fast",))
    # Older setuptools also asks for "wheel" in get_requires_for_build_wheel.
    assert m.build_requires[0] == "setuptools>=40.8.0"
    assert set(m.build_requires[1:]) <= {"wheel"}
    assert env.requested[0] == ("setuptools>=40.8.0",)


# --- failures --------------------------------------------------------------------------------


def test_failing_backend_names_the_sdist_and_keeps_the_log(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, in_tree_backend(mode="fail"))
    cache = tmp_path / "cache"
    with pytest.raises(MetadataBuildFailed) as e:
        read(sdist, FakeEnvironment(), cache)
    log = cache / "sdist-metadata" / f"{sha256(sdist)}.log"
    assert e.value.log == log
    assert str(e.value) == (
        "demo_pkg-1.0.tar.gz: building metadata failed: RuntimeError: libfoo not found "
        f"(full log in {log}; pick another version of this package or another provider)"
    )
    text = log.read_text()
    assert "checking for libfoo... no" in text
    assert "lots of noise" in text
    assert "Traceback" in text
    assert not (cache / "sdist-metadata" / f"{sha256(sdist)}.json").exists()  # retried next time


def test_failing_backend_without_cache_dir_logs_to_a_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(MetadataBuildFailed) as e:
        read(make_sdist(tmp_path, in_tree_backend(mode="fail")), FakeEnvironment())
    try:
        assert "RuntimeError: libfoo not found" in e.value.log.read_text()
        assert str(e.value.log) in str(e.value)
    finally:
        e.value.log.unlink()


def test_missing_backend_module(tmp_path: Path) -> None:
    pyproject = '[build-system]\nrequires = []\nbuild-backend = "no_such_backend_mod"\n'
    sdist = make_sdist(tmp_path, {"pyproject.toml": pyproject})
    with pytest.raises(MetadataBuildFailed) as e:
        read(sdist, FakeEnvironment(), tmp_path / "cache")
    assert "No module named 'no_such_backend_mod'" in e.value.detail
    assert "\n" not in str(e.value)


def test_failing_build_environment(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, in_tree_backend())
    with pytest.raises(MetadataBuildFailed) as e:
        read(sdist, BrokenEnvironment(), tmp_path / "cache")
    assert str(e.value).startswith(
        "demo_pkg-1.0.tar.gz: building metadata failed: installing build requirements "
        "['demo-base'] failed: No solution found: demo-base was not found"
    )
    assert "error: No solution found" in e.value.log.read_text()


def test_environment_interpreter_that_does_not_run(tmp_path: Path) -> None:
    class Missing:
        def python_with(self, requirements: Sequence[str]) -> str:
            return str(tmp_path / "no-such-python")

    with pytest.raises(MetadataBuildFailed, match="No such file or directory"):
        read(make_sdist(tmp_path, in_tree_backend()), Missing(), tmp_path / "cache")


def test_invalid_requirement_from_the_backend(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, in_tree_backend(get_requires=["--index-url=http://evil"]))
    with pytest.raises(MetadataBuildFailed, match="invalid requirement"):
        read(sdist, FakeEnvironment(), tmp_path / "cache")


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("[build-system\nrequires = [", "pyproject.toml is not valid TOML"),
        ('[build-system]\nbuild-backend = "x"\n', "has no list of strings [build-system].requires"),
        ("[build-system]\nrequires = ['ok', 'not valid!!']\n", "build requirement 'not valid!!'"),
        ("[build-system]\nrequires = []\nbuild-backend = 3\n", "malformed build-backend"),
    ],
)
def test_broken_pyproject(tmp_path: Path, pyproject: str, message: str) -> None:
    sdist = make_sdist(tmp_path, {"PKG-INFO": pkg_info("2.2"), "pyproject.toml": pyproject})
    with pytest.raises(ArtifactError) as e:
        read(sdist, NoBuild())
    assert str(e.value).startswith("demo_pkg-1.0.tar.gz: pyproject.toml ")
    assert message in str(e.value)


def test_backend_path_outside_the_tree(tmp_path: Path) -> None:
    files = in_tree_backend()
    files["pyproject.toml"] = files["pyproject.toml"].replace('["backend"]', '["../elsewhere"]')
    with pytest.raises(ArtifactError, match="backend-path"):
        read(make_sdist(tmp_path, files), FakeEnvironment())


# --- cache -----------------------------------------------------------------------------------


def test_cache_hit_does_no_work(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, in_tree_backend())
    digest, cache = sha256(sdist), tmp_path / "cache"
    first = read(sdist, FakeEnvironment(), cache)
    entry = cache / "sdist-metadata" / f"{digest}.json"
    assert json.loads(entry.read_text())["build_requires"] == ["demo-base"]
    sdist.unlink()  # neither the archive nor the builder is touched again
    again = read_sdist_metadata(
        sdist, sha256=digest.upper(), cache_dir=cache, python="/nonexistent", builder=NoBuild()
    )
    assert again == first
    assert [p.name for p in (cache / "sdist-metadata").iterdir()] == [entry.name]


def test_corrupt_or_stale_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    files = {
        "PKG-INFO": pkg_info("2.2", extra=STATIC_FIELDS),
        "pyproject.toml": HATCHLING_PYPROJECT,
    }
    sdist, cache = make_sdist(tmp_path, files), tmp_path / "cache"
    entry = cache / "sdist-metadata" / f"{sha256(sdist)}.json"
    entry.parent.mkdir(parents=True)
    for junk in ("{not json", '{"format": 0}', '{"format": 1, "name": 3}'):
        entry.write_text(junk)
        assert read(sdist, FakeEnvironment(), cache).requires_dist[0] == "six>=1.5"
        assert json.loads(entry.read_text())["format"] == 1


def test_hash_mismatch_and_bad_digest(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, {"PKG-INFO": pkg_info("2.2")})
    with pytest.raises(
        ArtifactError, match=r"demo_pkg-1.0.tar.gz: sha256 is [0-9a-f]{64}, expected 0{64}"
    ):
        read_sdist_metadata(sdist, sha256="0" * 64, cache_dir=None, python=sys.executable)
    with pytest.raises(ArtifactError, match="is not a sha256 hex digest"):
        read_sdist_metadata(sdist, sha256="../../x", cache_dir=tmp_path, python=sys.executable)


# --- archive safety --------------------------------------------------------------------------


def unsafe_tar(tmp_path: Path, name: str, *, kind: bytes = tarfile.REGTYPE, link: str = "") -> Path:
    path = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        add_tar_member(tf, "evil-1.0/PKG-INFO", pkg_info("2.2").encode())
        add_tar_member(tf, name, b"x", kind=kind, link=link)
    return path


@pytest.mark.parametrize(
    ("name", "kind", "link", "what"),
    [
        ("evil-1.0/../../escaped", tarfile.REGTYPE, "", "points outside the sdist"),
        ("/tmp/escaped", tarfile.REGTYPE, "", "points outside the sdist"),
        ("evil-1.0/link", tarfile.SYMTYPE, "../../etc/passwd", "points outside the sdist"),
        ("evil-1.0/link", tarfile.SYMTYPE, "/etc/passwd", "points outside the sdist"),
        ("evil-1.0/hard", tarfile.LNKTYPE, "../outside", "points outside the sdist"),
        ("evil-1.0/dev", tarfile.CHRTYPE, "", "is a device or pipe"),
        ("evil-1.0/fifo", tarfile.FIFOTYPE, "", "is a device or pipe"),
    ],
)
def test_unsafe_tar_members_are_refused(
    tmp_path: Path, name: str, kind: bytes, link: str, what: str
) -> None:
    with pytest.raises(ArtifactError) as e:
        read(unsafe_tar(tmp_path, name, kind=kind, link=link), NoBuild())
    assert str(e.value).startswith("evil-1.0.tar.gz: ")
    assert what in str(e.value)
    assert not (tmp_path.parent / "escaped").exists()


LINK = ("evil-1.0/up", tarfile.SYMTYPE, "..")  # itself harmless: it points at the archive root


@pytest.mark.parametrize(
    ("members", "what"),
    [
        ([LINK, ("evil-1.0/up/escaped", tarfile.REGTYPE, "")], "lies under a link"),
        ([LINK, ("evil-1.0/up", tarfile.REGTYPE, "")], "replaces a link"),
        ([("evil-1.0/f", tarfile.REGTYPE, ""), ("evil-1.0/f", tarfile.SYMTYPE, "..")], "replaces"),
        ([LINK, ("evil-1.0/h", tarfile.LNKTYPE, "evil-1.0/up/x")], "lies under a link"),
        (
            [("evil-1.0/a/../../escaped", tarfile.REGTYPE, "")],
            "points outside",
        ),  # normalizes inside
    ],
)
def test_writing_through_links_is_refused(
    tmp_path: Path, members: list[tuple[str, bytes, str]], what: str
) -> None:
    path = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        add_tar_member(tf, "evil-1.0/PKG-INFO", pkg_info("2.2").encode())
        for name, kind, link in members:
            add_tar_member(tf, name, b"x", kind=kind, link=link)
    with pytest.raises(ArtifactError, match=what):
        read(path, NoBuild())


@pytest.mark.parametrize("name", ["../escaped", "evil-1.0/../../escaped", "C:/escaped"])
def test_unsafe_zip_members_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "evil-1.0.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("evil-1.0/PKG-INFO", pkg_info("2.2"))
        zf.writestr(name, "x")
    with pytest.raises(ArtifactError, match="points outside the sdist"):
        read(path, NoBuild())


def test_links_inside_the_sdist_are_fine(tmp_path: Path) -> None:
    files = in_tree_backend()
    path = tmp_path / "demo_pkg-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, text in files.items():
            add_tar_member(tf, f"demo_pkg-1.0/{name}", text.encode())
        add_tar_member(
            tf, "demo_pkg-1.0/docs/README", kind=tarfile.SYMTYPE, link="../pyproject.toml"
        )
        add_tar_member(
            tf, "demo_pkg-1.0/copy", kind=tarfile.LNKTYPE, link="demo_pkg-1.0/pyproject.toml"
        )
        add_tar_member(tf, "./demo_pkg-1.0/PKG-INFO", pkg_info("2.1").encode())
    assert read(path, FakeEnvironment()).source == "pep517"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("demo-1.0.tar.xz", b"", "not an sdist archive"),
        ("demo-1.0-py3-none-any.whl", b"", "not an sdist archive"),
        ("demo-1.0.tar.gz", b"\x1f\x8b garbage", "cannot read the archive"),
        ("demo-1.0.zip", b"PK garbage", "cannot read the archive"),
    ],
)
def test_unreadable_archives(tmp_path: Path, filename: str, content: bytes, message: str) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(ArtifactError) as e:
        read(path, NoBuild())
    assert str(e.value).startswith(f"{filename}: {message}")


def test_sdist_without_top_level_directory(tmp_path: Path) -> None:
    files = {
        "PKG-INFO": pkg_info("2.3", extra=STATIC_FIELDS),
        "pyproject.toml": HATCHLING_PYPROJECT,
    }
    m = read(make_sdist(tmp_path, files, root=""), FakeEnvironment())
    assert (m.name, m.build_backend) == ("demo-pkg", "hatchling.build")


# --- the real build environments (offline: nothing to install) -------------------------------

INSTALLERS = [
    pytest.param(
        shutil.which("uv"),
        id="uv",
        marks=pytest.mark.skipif(not shutil.which("uv"), reason="no uv"),
    ),
    pytest.param(None, id="venv+pip"),
]


@pytest.mark.parametrize("uv", INSTALLERS)
def test_venv_build_environment_is_isolated_and_reused(tmp_path: Path, uv: str | None) -> None:
    envs = VenvBuildEnvironment(python=sys.executable, root=tmp_path / "envs", uv=uv)
    python = envs.python_with([])
    assert Path(python).is_relative_to(tmp_path / "envs")
    assert envs.python_with([]) == python
    assert len([p for p in (tmp_path / "envs").iterdir() if p.is_dir()]) == 1
    # Nothing of the host's site-packages (pytest is certainly there) is visible.
    probe = subprocess.run([python, "-c", "import pytest"], capture_output=True, check=False)
    assert probe.returncode != 0

    m = read(make_sdist(tmp_path, in_tree_backend(requires=[])), envs)
    assert (m.source, m.build_requires) == ("pep517", ())
    assert len([p for p in (tmp_path / "envs").iterdir() if p.is_dir()]) == 1


def test_default_builder_lives_in_the_cache_dir(tmp_path: Path) -> None:
    sdist, cache = make_sdist(tmp_path, in_tree_backend(requires=[])), tmp_path / "cache"
    m = read_sdist_metadata(sdist, sha256=sha256(sdist), cache_dir=cache, python=sys.executable)
    assert m.requires_dist == ("six>=1.5", "rich; extra == 'cli'")
    assert len([p for p in (cache / "build-envs").iterdir() if p.is_dir()]) == 1
    assert os.listdir(cache / "sdist-metadata") == [f"{sha256(sdist)}.json"]


# -- source trees (git checkouts, local projects) -----------------------------------------


def test_a_tree_with_a_static_project_table_needs_no_hook(tmp_path: Path) -> None:
    from mach2.providers.pypi.sdist import read_tree_metadata

    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["flit_core>=3"]\nbuild-backend = "flit_core.buildapi"\n'
        '[project]\nname = "My_Tool"\nversion = "1.2"\nrequires-python = ">=3.9"\n'
        'dependencies = ["a>=1"]\n'
        '[project.optional-dependencies]\ncli = ["click; python_version < \'4\'", "rich"]\n'
        '[project.scripts]\nmy-tool = "my_tool:main"\n'
    )
    metadata = read_tree_metadata(tmp_path, origin="./tool", cache_dir=None, python="/nonexistent")
    assert (metadata.name, metadata.version, metadata.source) == ("my-tool", "1.2", "pyproject")
    assert metadata.requires_dist == (
        "a>=1",
        'click; python_version < "4" and extra == "cli"',
        'rich; extra == "cli"',
    )
    assert (metadata.requires_python, metadata.provides_extra) == (">=3.9", ("cli",))
    assert metadata.build_requires == ("flit_core>=3",)
    assert metadata.scripts == (("my-tool", "my_tool:main"),)


def test_a_tree_with_dynamic_dependencies_runs_the_hook(tmp_path: Path) -> None:
    from mach2.providers.pypi.sdist import read_tree_metadata

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n'
    )
    with pytest.raises(MetadataBuildFailed) as info:  # the hook runs: no such interpreter
        read_tree_metadata(tmp_path, origin="./x", cache_dir=None, python="/nonexistent/python")
    assert info.value.message.startswith("./x: building metadata failed")
