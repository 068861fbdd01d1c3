"""One lock, every system: the Nix library picks the host platform's entries.

``fixtures/universal.lock`` is a lock of ``fixtures/universal.txt`` (requests, pyyaml, and
``appnope; sys_platform == "darwin"``) for the four systems, made with::

    mach2 lock -r universal.txt --python 3.11 --all-systems --glibc 2.28 \\
        --exclude-newer 2026-11-01T00:00:00Z -o universal.lock

The stand-in takes ``system`` like nixpkgs: every system evaluates (nothing is built for a
foreign one); only the host's builds.  The live tests lock ``bench/sets/universal.txt``
(requests numpy pandas scipy pillow lxml) for all four systems and evaluate each, then build
and import it on this x86_64-linux host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nixhelpers import FIXTURES, LIBRARY, NIX_OPTIONS, ROOT, STANDIN, nix_build, run

from mach2.model.target import SYSTEMS

NO_IFD = [*NIX_OPTIONS, "--option", "allow-import-from-derivation", "false"]
SET = ROOT / "bench" / "sets" / "universal.txt"


def env_expr(lock: Path, requirements: Path, system: str, attr: str = "", body: str = "") -> str:
    """mkPython of the lock with the stand-in for ``system``: ``env<attr>``, or ``body``."""
    return (
        f'let pkgs = import {STANDIN} {{ system = "{system}"; }}; '
        f"mach2 = import {LIBRARY} {{ inherit pkgs; }}; "
        f"env = mach2.mkPython {{ requirements = builtins.readFile {requirements}; "
        f"lockFile = {lock}; }}; in {body or 'env' + attr}"
    )


def instantiate(expr: str) -> str:
    result = run(["nix-instantiate", *NO_IFD, "-E", expr], check=True)
    return result.stdout.strip().splitlines()[-1]


def evaluate(expr: str) -> object:
    result = run(
        ["nix-instantiate", "--eval", "--strict", "--json", *NO_IFD, "-E", expr], check=True
    )
    return json.loads(result.stdout)


def closure(drv: str) -> list[str]:
    result = run(["nix-store", "--query", "--requisites", drv], check=True)
    return result.stdout.split()


LOCK, TEXT = FIXTURES / "universal.lock", FIXTURES / "universal.txt"
WHEEL_OF = {
    "x86_64-linux": "manylinux_2_17_x86_64",
    "aarch64-linux": "manylinux_2_17_aarch64",
    "x86_64-darwin": "macosx_10_13_x86_64",
    "aarch64-darwin": "macosx_11_0_arm64",
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_evaluates_with_its_own_artifacts(system: str) -> None:
    drv = instantiate(env_expr(LOCK, TEXT, system))
    assert drv.endswith("-python3-3.11-env.drv")
    pyyaml = evaluate(env_expr(LOCK, TEXT, system, ".python.pkgs.pyyaml.src.name"))
    assert isinstance(pyyaml, str) and WHEEL_OF[system] in pyyaml, pyyaml
    shared = evaluate(env_expr(LOCK, TEXT, system, ".python.pkgs.requests.src.name"))
    assert shared == "requests-2.32.5-py3-none-any.whl" or str(shared).endswith("-py3-none-any.whl")
    # the darwin-only dependency is in the darwin closures only
    appnope = [p for p in closure(drv) if "-appnope-" in p]
    assert bool(appnope) == system.endswith("-darwin"), (system, appnope)


def test_the_linux_wheels_carry_their_patch_plan_and_the_darwin_ones_none() -> None:
    plans = {
        system: evaluate(env_expr(LOCK, TEXT, system, ".lock.packages.pyyaml ? patchelf"))
        for system in SYSTEMS
    }
    assert plans == {s: s.endswith("-linux") for s in SYSTEMS}


def test_a_system_the_lock_lacks_fails_naming_it_and_the_command(tmp_path: Path) -> None:
    data = json.loads(LOCK.read_text())
    data["systems"] = {s: e for s, e in data["systems"].items() if s.endswith("-darwin")}
    for package in data["packages"].values():
        if "systems" in package:
            package["systems"] = {
                s: e for s, e in package["systems"].items() if s.endswith("-darwin")
            }
    lock = tmp_path / "mach2.lock"
    lock.write_text(json.dumps(data))
    result = run(["nix-instantiate", *NO_IFD, "-E", env_expr(lock, TEXT, "x86_64-linux")])
    assert result.returncode != 0
    assert (
        "mach2: lock mach2.lock has no entries for x86_64-linux (it has aarch64-darwin, "
        "x86_64-darwin); add it with `mach2 lock -r requirements.txt --system aarch64-darwin "
        "--system x86_64-darwin --system x86_64-linux -o mach2.lock` (use your own requirements "
        "file and options; for an env directory re-run `mach2 env DIR` with those --system "
        "options)"
    ) in result.stderr


def test_the_flake_lib_of_every_system_reads_the_lock() -> None:
    flake = (
        f"let flake = import {ROOT / 'flake.nix'}; "
        f"nixpkgs = {{ legacyPackages = builtins.listToAttrs (map (system: {{ name = system; "
        f"value = import {STANDIN} {{ inherit system; }}; }}) "
        '[ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ]); }; '
        "outputs = flake.outputs { self = outputs; inherit nixpkgs; }; in "
        "builtins.mapAttrs (system: lib: (lib.mkPython { "
        f"requirements = builtins.readFile {TEXT}; lockFile = {LOCK}; }}).python.pkgs.pyyaml.src.name) "
        "outputs.lib"
    )
    names = evaluate(flake)
    assert isinstance(names, dict) and sorted(names) == sorted(SYSTEMS)
    assert all(WHEEL_OF[s] in str(names[s]) for s in SYSTEMS), names


@pytest.mark.network
def test_the_fixture_builds_and_imports_on_this_host() -> None:
    out = nix_build("-E", env_expr(LOCK, TEXT, "x86_64-linux"))
    result = subprocess.run(
        [out / "bin" / "python", "-c", "import requests, yaml; print(yaml.__with_libyaml__)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert not (out / "lib" / "python3.11" / "site-packages" / "appnope").exists()


# -- the issue's set, from PyPI ----------------------------------------------------------------


def mach2_lock(tmp_path: Path, *args: str) -> Path:
    lock = tmp_path / "mach2.lock"
    # the cache the live tests share (tests/functional/fakes.py: cache_root)
    cache = Path(os.environ.get("MACH2_TEST_CACHE") or Path.home() / ".cache" / "mach2-tests")
    result = subprocess.run(
        [sys.executable, "-m", "mach2", "lock", "-r", str(SET), "--glibc", "2.28",
         "--exclude-newer", "2026-11-01T00:00:00Z", "--cache-dir", str(cache / "mach2"),
         "-o", str(lock), *args],
        capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return lock


@pytest.mark.network
def test_the_sets_four_systems_evaluate_with_their_own_wheels(tmp_path: Path) -> None:
    lock = mach2_lock(tmp_path, "--python", "3.12", "--all-systems", "--no-patchelf")
    for system in SYSTEMS:
        drv = instantiate(env_expr(lock, SET, system))
        assert drv.endswith("-python3-3.12-env.drv")
        body = 'map (n: env.python.pkgs.${n}.src.name) [ "numpy" "scipy" "lxml" ]'
        names = evaluate(env_expr(lock, SET, system, body=body))
        assert isinstance(names, list)
        arch = "arm64" if system == "aarch64-darwin" else system.split("-")[0]
        platform = "macosx" if system.endswith("-darwin") else "manylinux"
        # a universal2 wheel holds both macOS architectures
        assert all(platform in n and (arch in n or "universal2" in n) for n in names), names


@pytest.mark.network
def test_the_set_builds_and_imports_on_this_host_from_a_two_system_lock(tmp_path: Path) -> None:
    # The stand-in builds with the host's Python 3.11; the lock also holds aarch64-darwin
    # (with its Mach-O check), which this host only evaluates.
    lock = mach2_lock(
        tmp_path, "--python", "3.11", "--system", "x86_64-linux", "--system", "aarch64-darwin"
    )
    data = json.loads(lock.read_text())
    assert sorted(data["systems"]) == ["aarch64-darwin", "x86_64-linux"]
    instantiate(env_expr(lock, SET, "aarch64-darwin"))
    out = nix_build("-E", env_expr(lock, SET, "x86_64-linux"))
    code = (
        "import numpy, pandas, scipy.linalg, PIL.Image, lxml.etree, requests; "
        "print(numpy.linalg.inv(numpy.eye(2))[0, 0], scipy.linalg.det(numpy.eye(3)), "
        "pandas.DataFrame({'a': [1, 2]}).a.sum(), PIL.Image.new('RGB', (2, 2)).size, "
        "lxml.etree.fromstring('<a>x</a>').text)"
    )
    result = subprocess.run(
        [out / "bin" / "python", "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1.0", "1.0", "3", "(2,", "2)", "x"]
