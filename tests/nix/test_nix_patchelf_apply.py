"""The Nix library executes the lock's patch plans (issue 4, "Done when", third bullet).

A real lock (PyPI, pinned with --exclude-newer) of two binary wheels that need nixpkgs' gcc
runtime: pyzmq (vendored libzmq in ``pyzmq.libs/``, which needs libstdc++ and libgcc_s) and
ujson (its extension module needs them directly).  The env directory ``mach2 env`` writes is
built with the nixpkgs stand-in; the RUNPATHs of the built files must be the plan's
``$ORIGIN`` entries plus the /nix/store directory of ``stdenv.cc.cc.lib`` (nothing else), and
the modules must import with ``LD_LIBRARY_PATH`` unset, loading libstdc++ through that RUNPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from nixhelpers import (
    NIX_OPTIONS,
    STANDIN,
    nix_build,
    nix_build_error,
    nix_eval,
    run,
    with_installed_library,
)

from mach2.cli.main import main
from mach2.emit import library_files

pytestmark = pytest.mark.network

EXCLUDE_NEWER = "2026-11-01T00:00:00Z"
REQUIREMENTS = "pyzmq\nujson\n"
UJSON_SO = "ujson.cpython-311-x86_64-linux-gnu.so"


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mach2 env`` for pyzmq + ujson (Python 3.11, the stand-in's interpreter)."""
    work = tmp_path_factory.mktemp("patchelf-apply")
    (work / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    args = ["env", "-r", str(work / "requirements.txt"), "--python", "3.11"]
    args += ["--system", "x86_64-linux", "--exclude-newer", EXCLUDE_NEWER]
    args += ["--cache-dir", str(work / "cache"), str(work / "env")]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return work / "env"


@pytest.fixture(scope="module")
def lock(env_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((env_dir / "mach2.lock").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def cc_lib() -> str:
    """The library directory of the stand-in's ``stdenv.cc.cc.lib`` (the plan's attribute)."""
    path = nix_eval(f"(import {STANDIN} {{ }}).stdenv.cc.cc.lib.outPath")
    assert isinstance(path, str)
    return f"{path}/lib"


@pytest.fixture(scope="module")
def env(env_dir: Path) -> Path:
    return nix_build(env_dir)


def _site_packages(env: Path) -> Path:
    return env / "lib" / "python3.11" / "site-packages"


def _runpath(path: Path) -> list[str]:
    result = subprocess.run(
        ["patchelf", "--print-rpath", str(path)], capture_output=True, text=True, check=True
    )
    return [entry for entry in result.stdout.strip().split(":") if entry]


def _clean_env(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "PYTHON"))}
    return {**environ, **extra}


def _plan_file(lock: dict[str, Any], package: str, suffix: str) -> dict[str, Any]:
    files = lock["packages"][package]["patchelf"]["files"]
    [found] = [f for f in files if f["install"].endswith(suffix)]
    return dict(found)


def test_the_lock_has_full_plans(lock: dict[str, Any]) -> None:
    for name in ("pyzmq", "ujson"):
        plan = lock["packages"][name]["patchelf"]
        assert plan["attrs"] == ["stdenv.cc.cc.lib"]
        assert plan["files"]


def test_runpaths_point_at_the_store(env: Path, lock: dict[str, Any], cc_lib: str) -> None:
    site = _site_packages(env)
    ujson = _plan_file(lock, "ujson", UJSON_SO)
    assert ujson["old_runpath"] == []
    assert _runpath(site / ujson["install"]) == [cc_lib]

    # The vendored libzmq keeps its $ORIGIN entry and gains the gcc runtime's directory.
    [libzmq] = [
        f for f in lock["packages"]["pyzmq"]["patchelf"]["files"] if "/libzmq-" in f["install"]
    ]
    assert any(n.get("attr") == "stdenv.cc.cc.lib" for n in libzmq["needed"])
    assert _runpath(site / libzmq["install"]) == [*libzmq["runpath"], cc_lib]

    # A file needing only in-wheel and glibc libraries keeps exactly the plan's RUNPATH.
    zmq_ext = _plan_file(lock, "pyzmq", "_zmq.cpython-311-x86_64-linux-gnu.so")
    assert _runpath(site / zmq_ext["install"]) == zmq_ext["runpath"]

    # Every absolute entry of every planned file is a store path (no build-machine leftovers).
    for name in ("pyzmq", "ujson"):
        for file in lock["packages"][name]["patchelf"]["files"]:
            for entry in _runpath(site / file["install"]):
                assert entry.startswith(("$ORIGIN", "/nix/store/")), (file["install"], entry)


def test_the_plan_replaces_autopatchelf(env_dir: Path) -> None:
    drv = run(["nix-instantiate", *NIX_OPTIONS, str(env_dir)], check=True).stdout.strip()
    closure = run(["nix-store", "-qR", drv], check=True).stdout.split()
    names = [Path(p).name.split("-", 1)[1] for p in closure]
    assert "patchelf-standin.drv" in names
    assert "mach2-patchelf-apply.py" in names
    assert "auto-patchelf-hook.drv" not in names


def test_modules_import_through_the_new_runpath(env: Path, cc_lib: str) -> None:
    python = str(env / "bin" / "python")
    code = "import zmq, ujson; print(zmq.zmq_version(), ujson.dumps({'a': [1]}))"
    result = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, env=_clean_env()
    )
    assert result.stdout.split()[1] == '{"a":[1]}'
    # The loader finds libstdc++ in the store directory the RUNPATH names (the stand-in's
    # library is a symlink to the host's, which would also be found through ld.so.cache).
    traced = subprocess.run(
        [python, "-c", "import ujson"],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(LD_DEBUG="libs"),
    )
    assert f"trying file={cc_lib}/libstdc++.so.6" in traced.stderr
    assert f"RUNPATH from file {_site_packages(env)}/{UJSON_SO}" in traced.stderr


def test_a_copy_of_the_installed_library_builds_the_env(env_dir: Path, tmp_path: Path) -> None:
    """The library directory is self-contained: the env built with a plain copy of the
    installed ``mach2/nix`` is the same derivation as with ``mach2 env``'s copy and builds."""
    copy = with_installed_library(env_dir, tmp_path / "env")
    assert (copy / "mach2" / "patchelf_apply.py").is_file()
    for name, text in library_files().items():  # one layout: the env's copy is a subset
        assert (env_dir / "mach2" / name).read_text(encoding="utf-8") == text
        assert (copy / "mach2" / name).read_text(encoding="utf-8") == text
    drv = run(["nix-instantiate", *NIX_OPTIONS, str(env_dir)], check=True).stdout.strip()
    assert run(["nix-instantiate", *NIX_OPTIONS, str(copy)], check=True).stdout.strip() == drv
    built = nix_build(copy)
    assert (
        subprocess.run(
            [str(built / "bin" / "python"), "-c", "import zmq, ujson"],
            env=_clean_env(),
            check=False,
        ).returncode
        == 0
    )


def _variant(
    env_dir: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None], extra: str = ""
) -> Path:
    """A copy of the env directory whose lock `edit` changed; with `extra`, a default.nix
    that passes more mkPython arguments."""
    out = tmp_path / "env"
    shutil.copytree(env_dir, out)
    data = json.loads((out / "mach2.lock").read_text(encoding="utf-8"))
    edit(data)
    (out / "mach2.lock").write_text(json.dumps(data, indent=2), encoding="utf-8")
    if extra:
        (out / "default.nix").write_text(
            "{ pkgs ? import <nixpkgs> { } }:\n"
            "(import ./mach2 { inherit pkgs; }).mkPython {\n"
            '  lockFile = ./mach2.lock; python = "python311";\n'
            "  requirements = builtins.readFile ./requirements.txt;\n"
            f"  {extra}\n}}\n",
            encoding="utf-8",
        )
    return out


def _ujson_needs(data: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> None:
    plan = data["packages"]["ujson"]["patchelf"]
    for file in plan["files"]:
        for needed in file["needed"]:
            if needed["soname"] in ("libstdc++.so.6", "libgcc_s.so.1"):
                change(needed)
    plan["attrs"] = sorted({n["attr"] for f in plan["files"] for n in f["needed"] if "attr" in n})


def _missing_attr(data: dict[str, Any]) -> None:
    _ujson_needs(data, lambda n: n.update(attr="libfoo"))


def _unresolved(data: dict[str, Any]) -> None:
    def change(needed: dict[str, Any]) -> None:
        needed.pop("attr")
        needed.update(source="unresolved", reason="not in the soname map")

    _ujson_needs(data, change)


def test_missing_nixpkgs_attribute_fails_naming_the_soname(
    env_dir: Path, tmp_path: Path, lock: dict[str, Any]
) -> None:
    error = nix_build_error(_variant(env_dir, tmp_path, _missing_attr))
    assert "mach2: ujson: this nixpkgs has no `pkgs.libfoo`" in error
    assert (
        f"error: ujson: no library found for libstdc++.so.6 (needed by {UJSON_SO}; "
        "nixpkgs attribute libfoo)"
    ) in error
    assert "libgcc_s.so.1" in error
    assert "hint: add it in Nix with `_.ujson.buildInputs.add" in error
    assert f"python3.11-ujson-{lock['packages']['ujson']['version']}.drv' failed" in error


def test_unresolved_soname_fails_naming_it(env_dir: Path, tmp_path: Path) -> None:
    error = nix_build_error(_variant(env_dir, tmp_path, _unresolved))
    assert (
        f"error: ujson: no library found for libstdc++.so.6 (needed by {UJSON_SO}; "
        "not in the soname map)"
    ) in error


def test_buildinputs_add_supplies_an_unresolved_library(
    env_dir: Path, tmp_path: Path, cc_lib: str
) -> None:
    out = _variant(
        env_dir, tmp_path, _unresolved, "_.ujson.buildInputs.add = [ pkgs.stdenv.cc.cc.lib ];"
    )
    env = nix_build(out)
    assert _runpath(_site_packages(env) / UJSON_SO) == [cc_lib]


def test_host_libraries_and_siblings(env_dir: Path, tmp_path: Path, cc_lib: str) -> None:
    """libcuda passes through the host allow-list (RUNPATH gains /run/opengl-driver/lib, kept
    after fixup); a library of a sibling wheel is found in that wheel's store path."""
    libsodium = "pyzmq.libs/libsodium-1c6bac97.so.26.4.0"

    def edit(data: dict[str, Any]) -> None:
        plan = data["packages"]["ujson"]["patchelf"]
        [file] = plan["files"]
        file["needed"] += [
            {"soname": "libcuda.so.1", "source": "unresolved", "reason": "host driver"},
            {
                "soname": "libsodium-1c6bac97.so.26.4.0",
                "source": "sibling",
                "package": "pyzmq",
                "path": libsodium,
            },
        ]
        plan["siblings"] = ["pyzmq"]

    env = nix_build(_variant(env_dir, tmp_path, edit))
    entries = _runpath(_site_packages(env) / UJSON_SO)
    assert entries[0] == cc_lib
    assert entries[1] == "/run/opengl-driver/lib"
    assert entries[2].startswith("/nix/store/")
    version = json.loads((env_dir / "mach2.lock").read_text(encoding="utf-8"))["packages"]["pyzmq"][
        "version"
    ]
    assert entries[2].endswith(
        f"-python3.11-pyzmq-{version}/lib/python3.11/site-packages/pyzmq.libs"
    )
    assert Path(entries[2], Path(libsodium).name).is_file()
    assert len(entries) == 3
