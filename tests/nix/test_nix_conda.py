"""The Nix side of the conda provider (issue 5, "Done when" bullets 3 and 4).

A mixed lock -- ``_default = wheel,sdist; numpy = conda; toolz = conda`` -- made by ``mach2 env``
against a local conda channel of packages made here with gcc and conda-package-handling
(tests/fixtures/conda/local_channel.py: a native ``libfoo`` with a binary and text prefix
placeholders, its underscore-named dependency ``_libfoo_mutex``, a cp311 ``numpy`` whose
extension links libfoo through conda's ``$ORIGIN/../../..``, a ``noarch: python`` ``toolz``
with an entry point that depends on the PyPI name ``six``) and a PyPI index (a local one with a
locally made six wheel; the ``network`` test uses real PyPI's six).  The env directory is built
with the nixpkgs stand-in and the environment must import everything with ``LD_LIBRARY_PATH``
unset, loading libfoo from its own store path.  Then the refusals: malicious packages (path
traversal, absolute names, symlinks out, hard links out), a wrong hash, an md5-only record, a
library no dependency provides.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from nixhelpers import (
    LIBRARY,
    NIX_OPTIONS,
    STANDIN,
    nix_build,
    nix_build_error,
    nix_error,
    run,
    with_installed_library,
)

from mach2.cli.main import main
from mach2.emit import library_files
from mach2.nix import conda_install as install_script

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from local_channel import (
    CORE_SO,
    PLACEHOLDER,
    SimpleIndex,
    make_channel,
    make_six_wheel,
    malicious_package,
    missing_tools,
)

_MISSING = missing_tools()
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")

REQUIREMENTS = "numpy\ntoolz\nsix\n"
PROVIDERS = "_default=wheel,sdist;numpy=conda;toolz=conda"
SITE = "lib/python3.11/site-packages"
#: the standalone install script runs on any Python 3 (stdlib only, ``-I -S``): this one
HOST_PYTHON = sys.executable


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    return make_channel(tmp_path_factory.mktemp("conda-channel"))


def _mach2_env(work: Path, channel: Path, *extra: str) -> Path:
    (work / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    args = ["env", "-r", str(work / "requirements.txt"), "-p", PROVIDERS]
    args += ["--channel", f"local={channel}", "--python", "3.11", "--system", "x86_64-linux"]
    args += ["--cache-dir", str(work / "cache"), *extra, str(work / "env")]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return work / "env"


@pytest.fixture(scope="module")
def env_dir(
    tmp_path_factory: pytest.TempPathFactory, channel: tuple[Path, dict[str, Path]]
) -> Iterator[Path]:
    """``mach2 env`` with the local channel and a local PyPI index (kept up for the builds)."""
    work = tmp_path_factory.mktemp("conda-env")
    make_six_wheel(work / "wheels")
    with SimpleIndex(work / "wheels") as index:
        yield _mach2_env(work, channel[0], "--index-url", index.url)


@pytest.fixture(scope="module")
def lock(env_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((env_dir / "mach2.lock").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def env(env_dir: Path) -> Path:
    return nix_build(env_dir)


def _package(env_dir: Path, key: str) -> Path:
    """A locked package: native conda packages are the environment's nativePackages (nixpkgs'
    python.pkgs holds Python modules only: passthrufun.nix's ensurePythonModules)."""
    where = "nativePackages" if key.startswith("conda:") else "python.pkgs"
    return nix_build(env_dir, "-A", f'{where}."{key}"')


@pytest.fixture(scope="module")
def outputs(env_dir: Path, env: Path) -> dict[str, Path]:
    """Store paths of the conda packages (built already with the environment)."""
    keys = ["numpy", "toolz", "conda:libfoo", "conda:_libfoo_mutex"]
    return {key: _package(env_dir, key) for key in keys}


def _clean_env(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "PYTHON"))}
    return {**environ, **extra}


def _runpath(path: Path) -> list[str]:
    result = subprocess.run(
        ["patchelf", "--print-rpath", str(path)], capture_output=True, text=True, check=True
    )
    return [entry for entry in result.stdout.strip().split(":") if entry]


def _python(env: Path, code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(env / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(**extra),
    )


# -- the mixed lock and its environment ---------------------------------------------------------


def test_the_lock_is_mixed(lock: dict[str, Any]) -> None:
    packages = lock["packages"]
    assert {k: p["provider"] for k, p in packages.items()} == {
        "numpy": "conda",
        "toolz": "conda",
        "conda:libfoo": "conda",
        "conda:_libfoo_mutex": "conda",
        "six": "wheel",
    }
    assert packages["numpy"]["dependencies"] == {"conda:libfoo": "libfoo >=1.0"}
    assert packages["conda:libfoo"]["dependencies"] == {
        "conda:_libfoo_mutex": "_libfoo_mutex 1.0 0"
    }
    assert packages["toolz"]["dependencies"] == {"six": "six >=1.10"}
    assert packages["toolz"]["artifact"]["noarch"] == "python"
    for key in ("numpy", "toolz", "conda:libfoo"):
        artifact = packages[key]["artifact"]
        assert artifact["kind"] == "conda" and artifact["url"].startswith("file:///")
        assert len(artifact["sha256"]) == 64


def test_the_environment_imports_everything(env: Path, outputs: dict[str, Path]) -> None:
    """numpy's extension loads libfoo from libfoo's own store path (nothing in LD_*)."""
    code = (
        "import numpy, six, toolz; "
        "print(numpy.answer(), numpy.prefix(), six.__version__, toolz.PREFIX, sep='\\n')"
    )
    answer, prefix, six_version, toolz_prefix = _python(env, code).stdout.split()
    assert answer == "42"
    # libfoo's binary placeholder, NUL-padded in the .so, is libfoo's store path.
    assert prefix == f"{outputs['conda:libfoo']}/share/libfoo"
    assert six_version == "1.16.0"
    assert toolz_prefix == str(outputs["toolz"])
    traced = _python(env, "import numpy", LD_DEBUG="libs")
    libfoo = f"{outputs['conda:libfoo']}/lib/libfoo.so.1"
    assert f"trying file={libfoo}" in traced.stderr
    assert f"RUNPATH from file {env}/{SITE}/numpy/{CORE_SO}" in traced.stderr


def test_the_extension_runpath(outputs: dict[str, Path]) -> None:
    """conda's $ORIGIN/../../.. (inside the package: kept) plus libfoo's store lib/."""
    core = outputs["numpy"] / SITE / "numpy" / CORE_SO
    assert _runpath(core) == ["$ORIGIN/../../..", f"{outputs['conda:libfoo']}/lib"]


def test_the_native_package(outputs: dict[str, Path]) -> None:
    libfoo = outputs["conda:libfoo"]
    assert libfoo.name.endswith("-conda-libfoo-1.0")
    assert os.readlink(libfoo / "lib" / "libfoo.so") == "libfoo.so.1"
    # The executable finds libfoo next to it ($ORIGIN/../lib, unchanged) and prints the
    # replaced binary placeholder.
    assert _runpath(libfoo / "bin" / "foo-info") == ["$ORIGIN/../lib"]
    run_info = subprocess.run(
        [str(libfoo / "bin" / "foo-info")], capture_output=True, text=True, check=True,
        env=_clean_env(),
    )  # fmt: skip
    assert run_info.stdout == f"{libfoo}/share/libfoo 42\n"
    assert (libfoo / "share" / "libfoo" / "config.txt").read_text() == (
        f"prefix={libfoo}\nlibdir={libfoo}/lib\n"
    )
    script = subprocess.run(
        [str(libfoo / "bin" / "foo-config")], capture_output=True, text=True, check=True
    )
    assert script.stdout == f"{libfoo}/lib\n"
    # info/ is kept out of the way of environments; conda-meta records the package.
    assert not (libfoo / "info").exists()
    index = json.loads((libfoo / "nix-support" / "conda" / "info" / "index.json").read_text())
    assert index["name"] == "libfoo"
    meta = json.loads((libfoo / "conda-meta" / "libfoo-1.0-h0_0.json").read_text())
    assert meta["fn"] == "libfoo-1.0-h0_0.conda" and meta["installed-by"] == "mach2"
    # The underscore-named dependency is built and propagated (conda: names are not
    # PEP 503-normalized).
    mutex = outputs["conda:_libfoo_mutex"]
    assert mutex.name.endswith("-conda-_libfoo_mutex-1.0")
    assert (mutex / "share" / "libfoo-mutex" / "README").is_file()
    propagated = (libfoo / "nix-support" / "propagated-build-inputs").read_text().split()
    assert propagated == [str(mutex)]


def test_no_placeholder_is_left(outputs: dict[str, Path]) -> None:
    for output in outputs.values():
        for path in output.rglob("*"):
            if path.is_file() and not path.is_symlink() and "nix-support" not in path.parts:
                assert PLACEHOLDER.encode() not in path.read_bytes(), path


def test_noarch_python_layout(env: Path, outputs: dict[str, Path]) -> None:
    toolz = outputs["toolz"]
    assert (toolz / SITE / "toolz" / "__init__.py").is_file()
    assert not (toolz / "site-packages").exists() and not (toolz / "python-scripts").exists()
    # buildPythonPackage's wrapPythonPrograms made bin/toolz-hello a wrapper of the script.
    assert (toolz / "bin" / "toolz-hello").read_text().startswith("#! /bin/bash")
    hello = (toolz / "bin" / ".toolz-hello-wrapped").read_text()
    first = hello.splitlines()[0]
    assert first.startswith("#!/nix/store/") and first.endswith("/bin/python3.11")
    assert "from toolz import main" in hello
    result = subprocess.run(
        [str(env / "bin" / "toolz-hello")], capture_output=True, text=True, check=True,
        env=_clean_env(),
    )  # fmt: skip
    assert result.stdout == f"toolz {toolz}\n"
    raw = subprocess.run([str(env / "bin" / "toolz-raw")], capture_output=True, text=True)
    assert raw.stdout == "raw toolz\n"


def test_python_shebangs_point_at_the_interpreter(env: Path, outputs: dict[str, Path]) -> None:
    """numpy's bin/numpy-where had #!<placeholder>/bin/python3.11 (conda's python)."""
    first = (outputs["numpy"] / "bin" / ".numpy-where-wrapped").read_text().splitlines()[0]
    assert first.startswith("#!/nix/store/") and first.endswith("/bin/python3.11")
    assert str(outputs["numpy"]) not in first
    result = subprocess.run(
        [str(env / "bin" / "numpy-where")], capture_output=True, text=True, check=True,
        env=_clean_env(),
    )  # fmt: skip
    assert result.stdout.split()[0] == f"{env}/{SITE}/numpy/__init__.py"


def test_native_packages_stay_out_of_the_environment(env: Path) -> None:
    assert not (env / "lib" / "libfoo.so.1").exists()
    assert not (env / "share" / "libfoo").exists()
    assert sorted(p.name for p in (env / "conda-meta").iterdir()) == [
        "numpy-1.26.4-py311h0_0.json",
        "toolz-0.12.1-pyhd8ed1ab_0.json",
    ]


def test_a_copy_of_the_installed_library_builds_the_env(
    env_dir: Path, env: Path, tmp_path: Path
) -> None:
    """The library directory is self-contained: the conda install script is a file of it
    (mach2.nix.conda_install, which mach2.providers.conda.extract imports), so a plain copy of the
    installed ``mach2/nix``, the env directory's copy and the source tree give one derivation,
    and the copy builds the environment."""
    text = Path(install_script.__file__).read_text(encoding="utf-8")
    assert Path(install_script.__file__).parent == LIBRARY.resolve()
    assert library_files()["conda_install.py"] == text
    assert (env_dir / "mach2" / "conda_install.py").read_text(encoding="utf-8") == text
    from_env = run(["nix-instantiate", *NIX_OPTIONS, str(env_dir)], check=True).stdout.strip()
    expr = (
        f"(import {LIBRARY} {{ pkgs = import {STANDIN} {{ }}; }}).mkPython {{ "
        f'lockFile = {env_dir}/mach2.lock; python = "python311"; '
        f'providers = {{ _default = "wheel,sdist"; numpy = "conda"; toolz = "conda"; }}; '
        f"requirements = builtins.readFile {env_dir}/requirements.txt; }}"
    )
    from_tree = run(["nix-instantiate", *NIX_OPTIONS, "-E", expr], check=True).stdout.strip()
    assert from_env == from_tree
    copy = with_installed_library(env_dir, tmp_path / "env")
    assert run(["nix-instantiate", *NIX_OPTIONS, str(copy)], check=True).stdout.strip() == from_env
    assert nix_build(copy) == env
    assert _python(env, "import numpy, toolz").returncode == 0


# -- refusals --------------------------------------------------------------------------------------


def _variant(env_dir: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    out = tmp_path / "env"
    shutil.copytree(env_dir, out)
    data = json.loads((out / "mach2.lock").read_text(encoding="utf-8"))
    edit(data)
    (out / "mach2.lock").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return out


def _swap_toolz(package: Path) -> Callable[[dict[str, Any]], None]:
    """Put ``package`` (with its true hash) where toolz's file was."""

    def edit(data: dict[str, Any]) -> None:
        artifact = data["packages"]["toolz"]["artifact"]
        artifact.update(
            filename=package.name,
            url=package.as_uri(),
            sha256=hashlib.sha256(package.read_bytes()).hexdigest(),
            size=package.stat().st_size,
        )
        artifact.pop("noarch")

    return edit


MALICIOUS = {
    "traversal": ("evil-1.0-0.tar.bz2", [("../evil", b"x", "file")], "'../evil'", "'..'"),
    "absolute": (
        "evil-1.0-1.conda",
        [("/tmp/mach2-evil", b"x", "file")],
        "'/tmp/mach2-evil'",
        "absolute path",
    ),
    "symlink-out": (
        "evil-1.0-2.conda",
        [("lib/link", b"../../../../../etc/passwd", "symlink")],
        "'lib/link'",
        "points outside the package",
    ),
    "symlink-absolute": (
        "evil-1.0-3.tar.bz2",
        [("lib/link", b"/etc", "symlink")],
        "'lib/link'",
        "symlink to absolute path '/etc'",
    ),
    # lib/a -> lib itself, so lib/a/b -> ../.. is really outside (only the disk knows).
    "symlink-via-symlink": (
        "evil-1.0-4.conda",
        [("lib/a", b".", "symlink"), ("lib/a/b", b"../..", "symlink")],
        "'lib/a/b'",
        "points outside the package",
    ),
    # lib/l -> d/../.. is inside until lib/d -> .. appears after it.
    "symlink-escaping-later": (
        "evil-1.0-5.tar.bz2",
        [("lib/l", b"d/../..", "symlink"), ("lib/d", b"..", "symlink")],
        "'lib/l'",
        "points outside the package",
    ),
    "hardlink-out": (
        "evil-1.0-6.tar.bz2",
        [("lib/h", b"../../etc/passwd", "hardlink")],
        "'lib/h'",
        "'..'",
    ),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_packages_are_refused(case: str, env_dir: Path, tmp_path: Path) -> None:
    filename, payload, member, reason = MALICIOUS[case]
    package = malicious_package(tmp_path / "evil", filename, payload)
    error = nix_build_error(_variant(env_dir, tmp_path, _swap_toolz(package)))
    assert f"error: conda package '{filename}': refusing member {member}" in error
    assert reason in error
    assert "python3.11-toolz-0.12.1.drv' failed" in error
    assert not Path("/nix/store/evil").exists() and not Path("/tmp/mach2-evil").exists()


def test_wrong_hash_is_refused(env_dir: Path, tmp_path: Path) -> None:
    wrong = hashlib.sha256(os.urandom(16)).hexdigest()

    def edit(data: dict[str, Any]) -> None:
        data["packages"]["numpy"]["artifact"]["sha256"] = wrong

    error = nix_build_error(_variant(env_dir, tmp_path, edit))
    # A local channel's file is fetched at evaluation time (builtins.fetchurl), a channel
    # URL's by a fixed-output derivation; Nix checks the hash either way.
    assert "hash mismatch in file downloaded from 'file:///" in error
    assert "/linux-64/numpy-1.26.4-py311h0_0.conda'" in error
    assert "specified: sha256:" in error and "got:" in error


def test_md5_only_is_refused(env_dir: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["packages"]["numpy"]["artifact"]["sha256"]

    out = _variant(env_dir, tmp_path, edit)
    error = nix_error(f"import {out}/default.nix {{ }}")
    assert (
        "locked conda package `numpy` (numpy-1.26.4-py311h0_0.conda from channel local) has no "
        "sha256 (md5 only)"
    ) in error


def test_a_library_no_dependency_provides(env_dir: Path, tmp_path: Path) -> None:
    """numpy without its libfoo dependency: the apply script names package, file and soname."""

    def edit(data: dict[str, Any]) -> None:
        data["packages"]["numpy"]["dependencies"] = {}

    error = nix_build_error(_variant(env_dir, tmp_path, edit))
    assert (
        f"error: numpy: no library found for libfoo.so.1 (needed by {SITE}/numpy/{CORE_SO}; "
        "not in the conda package; looked for in its conda dependencies and buildInputs)"
    ) in error
    assert "hint: add it in Nix with `_.numpy.buildInputs.add" in error


# -- the script on its own (standard library only, the host's Python 3.11) -----------------------


def _standalone(tmp_path: Path, package: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "conda-install.py"
    shutil.copy(install_script.__file__, script)
    args = [HOST_PYTHON, "-I", "-S", str(script), "--archive", str(package)]
    args += ["--filename", package.name, "--out", str(tmp_path / "out")]
    args += ["--plan", str(tmp_path / "plan.json"), "--zstd", shutil.which("zstd") or "zstd"]
    if "--sha256" not in extra:
        args += ["--sha256", hashlib.sha256(package.read_bytes()).hexdigest()]
    return subprocess.run([*args, *extra], capture_output=True, text=True, env=_clean_env())


def test_standalone_script_plans_the_runpaths(
    tmp_path: Path, channel: tuple[Path, dict[str, Path]]
) -> None:
    result = _standalone(tmp_path, channel[1]["libfoo"], "--name", "conda:libfoo")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "mach2: installed conda package libfoo-1.0-h0_0.conda (2 ELF files to patch)\n"
    )
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["name"] == "conda:libfoo"
    files = {f["install"]: f for f in plan["files"]}
    assert sorted(files) == ["bin/foo-info", "lib/libfoo.so.1"]
    info = files["bin/foo-info"]
    assert info["runpath"] == info["old_runpath"] == ["$ORIGIN/../lib"]
    assert info["interpreter"] == "/lib64/ld-linux-x86-64.so.2"
    assert {n["soname"]: n["source"] for n in info["needed"]} == {
        "libfoo.so.1": "wheel",
        "libc.so.6": "system",
    }
    assert files["lib/libfoo.so.1"]["runpath"] == []
    config = (tmp_path / "out" / "share" / "libfoo" / "config.txt").read_text()
    assert config.startswith(f"prefix={tmp_path / 'out'}\n")


def test_standalone_script_errors(tmp_path: Path, channel: tuple[Path, dict[str, Path]]) -> None:
    libfoo = channel[1]["libfoo"]
    wrong = _standalone(tmp_path / "a", libfoo, "--sha256", "0" * 64)
    actual = hashlib.sha256(libfoo.read_bytes()).hexdigest()
    assert wrong.returncode == 1
    assert wrong.stderr.splitlines() == [
        f"error: conda package 'libfoo-1.0-h0_0.conda' has sha256 {actual}, its record says "
        + "0" * 64,
        "hint: the download is corrupt or the channel changed the file; refusing to use it",
    ]
    assert not (tmp_path / "a" / "out").exists()

    py312 = malicious_package(
        tmp_path / "p", "other-1.0-0.tar.bz2", [("lib/python3.12/site-packages/x.py", b"", "file")]
    )
    result = _standalone(tmp_path / "b", py312, "--site-packages", SITE, "--python", HOST_PYTHON)
    assert result.returncode == 1
    assert (
        "error: other-1.0-0.tar.bz2 installs into lib/python3.12/site-packages, but the "
        "environment's Python uses lib/python3.11/site-packages"
    ) in result.stderr

    evil = malicious_package(tmp_path / "e", "evil-1.0-0.conda", [("../evil", b"x", "file")])
    result = _standalone(tmp_path / "c", evil)
    assert result.stderr.splitlines()[0] == (
        "error: conda package 'evil-1.0-0.conda': refusing member '../evil': path contains '..'"
    )
    assert not (tmp_path / "c" / "evil").exists()

    corrupt = tmp_path / "corrupt-1.0-0.conda"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    result = _standalone(tmp_path / "d", corrupt)
    assert "not a .conda (zip) file" in result.stderr


def test_system_libraries_match_the_soname_map() -> None:
    sonames = Path(install_script.__file__).parents[1] / "data" / "sonames.json"
    data = json.loads(sonames.read_text(encoding="utf-8"))
    assert frozenset(data["system"]["sonames"]) == install_script.SYSTEM_LIBRARIES
    assert tuple(data["system"]["patterns"]) == install_script.SYSTEM_PATTERNS


# -- a conda-only root ------------------------------------------------------------------------------

ENVIRONMENT_YML = """\
channels:
  - CHANNEL
dependencies:
  - libfoo
  - pip:
    - six
"""


# A project whose only dependency is the lock's roots (buildPythonPackage with a lock), with
# an in-tree backend so it needs no build system from the lock.
ROOT_PROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "demo-root"
version = "1.0"
"""

ROOT_BACKEND = """\
import os, zipfile

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "demo_root-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as whl:
        whl.write("demo_root/__init__.py")
        whl.writestr("demo_root-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: demo-root\\nVersion: 1.0\\n")
        whl.writestr("demo_root-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
        whl.writestr("demo_root-1.0.dist-info/RECORD", "")
    return name
"""


@pytest.fixture(scope="module")
def conda_only_root(
    tmp_path_factory: pytest.TempPathFactory, channel: tuple[Path, dict[str, Path]]
) -> Iterator[Path]:
    """An env directory whose roots are the conda-only ``conda:libfoo`` and six."""
    work = tmp_path_factory.mktemp("conda-root")
    make_six_wheel(work / "wheels")
    yml = ENVIRONMENT_YML.replace("CHANNEL", str(channel[0]))
    (work / "environment.yml").write_text(yml, encoding="utf-8")
    args = ["env", "-r", str(work / "environment.yml")]
    args += ["--python", "3.11", "--system", "x86_64-linux", "--cache-dir", str(work / "cache")]
    with SimpleIndex(work / "wheels") as index:
        result = CliRunner().invoke(
            main, [*args, "--index-url", index.url, str(work / "env")], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        yield work / "env"


def test_native_packages_are_not_members_of_the_python_set(env_dir: Path) -> None:
    """Only Python modules are members of python.pkgs; the conda-only packages are the
    environment's `nativePackages`."""
    expr = (
        f"let e = import {env_dir} {{ }}; in {{ "
        'members = builtins.filter (n: builtins.substring 0 6 n == "conda:") '
        "(builtins.attrNames e.python.pkgs); "
        "natives = builtins.attrNames e.nativePackages; }"
    )
    result = run(["nix-instantiate", "--eval", "--strict", "--json", *NIX_OPTIONS, "-E", expr])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "members": [],
        "natives": ["conda:_libfoo_mutex", "conda:libfoo"],
    }
    # `_` reaches them there.
    underscore = (
        f"let mach2 = import {env_dir}/mach2 {{ pkgs = import {STANDIN} {{ }}; }}; "
        f"e = mach2.mkPython {{ lockFile = {env_dir}/mach2.lock; "
        '_."conda:libfoo".postFixup.add = "\necho overridden"; }; '
        'in e.nativePackages."conda:libfoo".postFixup'
    )
    result = run(
        ["nix-instantiate", "--eval", "--strict", "--json", *NIX_OPTIONS, "-E", underscore]
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout).endswith("\necho overridden")


def test_a_conda_only_root(conda_only_root: Path, tmp_path: Path) -> None:
    """A root that is not a Python package (conda's libfoo) is a program of the environment,
    like a non-Python packagesExtra entry, and buildPythonPackage propagates it."""
    lock = json.loads((conda_only_root / "mach2.lock").read_text(encoding="utf-8"))
    assert lock["roots"] == ["conda:libfoo", "six"]
    env = nix_build(conda_only_root)
    found = _python(env, "import shutil; print(shutil.which('foo-info'))").stdout.strip()
    assert found.endswith("-conda-libfoo-1.0/bin/foo-info")
    info = subprocess.run([found], capture_output=True, text=True, check=True, env=_clean_env())
    assert info.stdout.endswith(" 42\n")
    project = tmp_path / "project"
    (project / "demo_root").mkdir(parents=True)
    (project / "demo_root" / "__init__.py").write_text("", encoding="utf-8")
    (project / "pyproject.toml").write_text(ROOT_PROJECT, encoding="utf-8")
    (project / "backend.py").write_text(ROOT_BACKEND, encoding="utf-8")
    package = (
        f"let e = import {conda_only_root} {{ }}; mach2 = import {conda_only_root}/mach2 "
        f"{{ pkgs = import {STANDIN} {{ }}; }}; in mach2.buildPythonPackage {{ src = {project}; "
        f"lockFile = {conda_only_root}/mach2.lock; }}"
    )
    out = nix_build("-E", package)
    propagated = (out / "nix-support" / "propagated-build-inputs").read_text()
    assert "-conda-libfoo-1.0" in propagated


# -- with real PyPI ----------------------------------------------------------------------------------


@pytest.mark.network
def test_mixed_lock_with_pypi(
    tmp_path: Path, channel: tuple[Path, dict[str, Path]], env_dir: Path
) -> None:
    """The done-when as written: numpy from conda, the rest (six) from real PyPI's wheels."""
    work = tmp_path / "pypi"
    work.mkdir()
    out = _mach2_env(work, channel[0], "--exclude-newer", "2026-11-01T00:00:00Z")
    data = json.loads((out / "mach2.lock").read_text(encoding="utf-8"))
    six = data["packages"]["six"]
    assert six["provider"] == "wheel"
    assert six["artifact"]["url"].startswith("https://files.pythonhosted.org/")
    env = nix_build(out)
    result = _python(env, "import numpy, six, toolz; print(numpy.answer(), six.__version__)")
    assert result.stdout.split() == ["42", six["version"]]
