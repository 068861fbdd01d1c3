"""The root flake (issue 12): lib, libFor, overlays, packages and apps (mach2 built by its own
Nix library from its own lock), devShells and templates, for the four default systems.

Nix 2.8's flakes run with ``--extra-experimental-features 'nix-command flakes'`` on a copy of
the checkout (the files git tracks or would track) whose ``nixpkgs`` input is locked to the
stand-in (``nix flake lock --override-input nixpkgs path:tests/nixpkgs-standin``, which the
stand-in's flake.nix makes possible): github is not reachable here, and a flake whose inputs
are not locked is fetched to be locked, even by ``nix flake init``.  The first tests evaluate
the outputs function directly (plain Nix, no flake machinery).
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from nixhelpers import (
    FIXTURES,
    ROOT,
    STANDIN,
    flake_checkout,
    flake_overrides,
    nix_eval,
    nix_flake,
)

from mach2.cli.main import main
from mach2.lock.model import read_lock

SYSTEMS = ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"]
LIBRARY_API = [
    "buildPythonApplication", "buildPythonPackage", "internal", "lockFileFor", "mkDockerImage",
    "mkNixpkgs", "mkOverlay", "mkPython", "mkPythonOverrides", "mkPythonShell",
]  # fmt: skip

FLAKE = (
    f"let flake = import {ROOT / 'flake.nix'}; "
    f"nixpkgs = {{ legacyPackages = builtins.listToAttrs (map (system: {{ name = system; "
    f"value = import {STANDIN} {{ inherit system; }}; }}) "
    '[ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ]); }; '
    "outputs = flake.outputs { self = outputs; inherit nixpkgs; }; in "
)
FIXTURE_ARGS = (
    f"{{ requirements = builtins.readFile {FIXTURES}/requests-pyyaml.txt; "
    f"lockFile = {FIXTURES}/requests-pyyaml.lock; }}"
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return flake_checkout(tmp_path_factory.mktemp("flake") / "mach2")


def _eval(checkout: Path, attribute: str, *extra: str) -> Any:
    return json.loads(
        nix_flake(["eval", "--json", f"path:{checkout}#{attribute}", *extra], checkout).stdout
    )


# -- the outputs function, evaluated directly -----------------------------------------------


def test_flake_lib_per_system() -> None:
    names = nix_eval(FLAKE + "builtins.mapAttrs (_: builtins.attrNames) outputs.lib")
    assert names == {s: LIBRARY_API for s in SYSTEMS}


def test_flake_mk_python_is_the_legacy_derivation() -> None:
    # mach-nix's test_flakes_legacy_consistent: the flake and a plain import agree.
    same = nix_eval(
        FLAKE
        + f"(outputs.lib.x86_64-linux.mkPython {FIXTURE_ARGS}).drvPath == "
        + f'((import {ROOT / "nix"} {{ pkgs = import {STANDIN} {{ system = "x86_64-linux"; }}; }})'
        + f".mkPython {FIXTURE_ARGS}).drvPath"
    )
    assert same is True


def test_overlay_exposes_the_library_as_pkgs_mach2() -> None:
    result = nix_eval(
        FLAKE
        + f"let pkgs = import {STANDIN} {{ overlays = [ outputs.overlays.default ]; }}; in {{ "
        + "names = builtins.attrNames pkgs.mach2; "
        + f"same = (pkgs.mach2.mkPython {FIXTURE_ARGS}).drvPath == "
        + f"((outputs.libFor (import {STANDIN} {{ }})).mkPython {FIXTURE_ARGS}).drvPath; }}"
    )
    assert result == {"names": LIBRARY_API, "same": True}


# -- mach2's own locks ------------------------------------------------------------------------


def _pins(requirements: list[str]) -> dict[str, str]:
    return {name: text.partition("==")[2].strip() for name, text in _texts(requirements).items()}


def _texts(requirements: list[str]) -> dict[str, str]:
    """Normalized name → the requirement as pyproject.toml writes it (what the lock records)."""
    texts = {}
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement!r} is not pinned (mach2 pins its own dependencies)"
        texts[name.strip().lower().replace("_", "-")] = requirement
    return texts


@pytest.mark.parametrize("kind", ["runtime", "dev"])
def test_self_locks_hold_the_pinned_versions(kind: str) -> None:
    """locks/ is what scripts/lock_self.sh makes from pyproject.toml's pins: one lock for the
    four systems, whose roots on each are mach2 itself (`-r pyproject.toml` of a project with
    a [build-system]) and the pinned requirements, each at its pinned version, and mach2's
    entry depends on exactly its pins (a pin changed without re-locking fails here)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = project["project"]["dependencies"]
    extras: list[str] = []
    if kind == "dev":
        requirements = requirements + project["project"]["optional-dependencies"]["test"]
        extras = ["test"]
    runtime = _pins(requirements)
    build = _pins(project["dependency-groups"]["nix-build"])
    path = ROOT / "locks" / ("dev" if kind == "dev" else "") / "mach2.lock"
    lock = read_lock(path)
    assert lock.system_names == ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")
    assert lock.python[:2] == (3, 11)
    itself = "mach2" + (f"[{','.join(extras)}]" if extras else "")
    for system in SYSTEMS:
        locked = lock.system(system)
        assert sorted(locked.roots) == sorted([itself, *runtime, *build]), system
        wanted = runtime | build
        assert {name: locked.packages[name].version for name in wanted} == wanted, system
        mach2 = locked.packages["mach2"]
        assert mach2.provider == "path"
        assert mach2.version == project["project"]["version"]
        assert mach2.dependencies == _texts(requirements), system


# -- the flake, with `nix` ----------------------------------------------------------------------


def test_flake_show_lists_every_output_for_the_four_systems(checkout: Path) -> None:
    shown = json.loads(nix_flake(["flake", "show", "--json", f"path:{checkout}"], checkout).stdout)
    assert sorted(shown) == [
        "apps", "devShells", "lib", "libFor", "overlays", "packages", "templates",
    ]  # fmt: skip
    for output in ("packages", "apps", "devShells"):
        assert sorted(shown[output]) == SYSTEMS, output
    for system in SYSTEMS:
        assert shown["packages"][system]["default"]["name"] == "mach2-0.1.0"
        assert shown["apps"][system]["default"]["type"] == "app"
        assert shown["devShells"][system]["default"]["name"] == "mach2-dev"
    assert sorted(shown["templates"]) == ["all-systems", "default"]
    assert shown["overlays"]["default"]["type"] == "nixpkgs-overlay"
    lib = _eval(checkout, "lib", "--apply", "builtins.mapAttrs (_: builtins.attrNames)")
    assert lib == {s: LIBRARY_API for s in SYSTEMS}
    # every output evaluates, on every system (lib and libFor are outputs Nix does not know)
    checked = nix_flake(["flake", "check", "--no-build", f"path:{checkout}"], checkout)
    assert "unknown flake output 'lib'" in checked.stderr


@pytest.mark.network
def test_nix_run_runs_mach2_built_by_its_own_library(checkout: Path, tmp_path: Path) -> None:
    # built by mach2's buildPythonApplication (passthru.mach2Source), from its own lock
    source = _eval(checkout, "packages.x86_64-linux.default.mach2Source.name")
    assert source == "mach2"
    run = nix_flake(["run", f"path:{checkout}#default", "--", "--help"], tmp_path)
    assert run.stdout.startswith("Usage: mach2 [OPTIONS] COMMAND [ARGS]...")
    version = nix_flake(["run", f"path:{checkout}", "--", "--version"], tmp_path)
    assert version.stdout.strip() == "mach2, version 0.1.0"
    # the Nix-built mach2 carries its Nix library, self-contained: `gen` embeds it
    (tmp_path / "requirements.txt").write_text("six\n", encoding="utf-8")
    gen = nix_flake(
        ["run", f"path:{checkout}", "--", "gen", "-r", "requirements.txt", "--python", "3.11",
         "--system", "x86_64-linux", "--no-nix-store", "-o", "env.nix"],
        tmp_path,
    )  # fmt: skip
    assert "wrote env.nix" in gen.stderr
    text = (tmp_path / "env.nix").read_text(encoding="utf-8")
    assert "mach2_patchelf_apply_py = builtins.toFile" in text
    assert "/nix/store/" not in text.split("builtins.toFile", 1)[0]


@pytest.mark.network
def test_dev_shell_has_the_test_tools(checkout: Path, tmp_path: Path) -> None:
    hook = _eval(checkout, "devShells.x86_64-linux.default.shellHook")
    assert 'export MACH2_CHECKOUT="$PWD"' in hook
    nix_flake(["build", f"path:{checkout}#devShells.x86_64-linux.default.env"], tmp_path)
    python = tmp_path / "result" / "bin" / "python"
    code = "import pytest, mypy, yaml, attrs, resolvelib, mach2; print('ok')"
    assert subprocess.run([python, "-c", code], capture_output=True, text=True).stdout == "ok\n"
    ruff = subprocess.run([tmp_path / "result" / "bin" / "ruff", "--version"], capture_output=True)
    assert ruff.stdout.startswith(b"ruff 0.17.6")


@pytest.mark.network
def test_dev_shell_runs_mach2_from_the_checkout(checkout: Path, tmp_path: Path) -> None:
    # The shell's environment has mach2 as a development install of $MACH2_CHECKOUT (what its
    # shellHook sets to the directory the shell is entered from), not a copy in the store.
    drv = nix_flake(
        ["eval", "--raw", f"path:{checkout}#devShells.x86_64-linux.default", "--apply",
         'shell: (builtins.head (builtins.filter (p: builtins.match ".*-env" p.name != null) '
         "shell.nativeBuildInputs)).drvPath"],
        tmp_path,
    ).stdout  # fmt: skip
    realised = subprocess.run(["nix-store", "-r", drv], capture_output=True, text=True, check=True)
    env = Path(realised.stdout.strip())
    work = tmp_path / "work"  # a checkout: the lock's path to mach2 is locks/dev/../..
    (work / "mach2").mkdir(parents=True)
    (work / "locks" / "dev").mkdir(parents=True)
    (work / "mach2" / "__init__.py").write_text("EDITED = True\n", encoding="utf-8")
    code = "import os, mach2, pytest; print(mach2.EDITED, os.path.realpath(mach2.__file__))"
    ran = subprocess.run(
        [env / "bin" / "python", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"MACH2_CHECKOUT": str(work), "PATH": "/usr/bin:/bin"},
    )
    assert ran.stdout == f"True {work / 'mach2' / '__init__.py'}\n", ran.stderr
    assert not (env / "lib" / "python3.11" / "site-packages" / "mach2").exists()
    # its script runs the checkout's mach2 (this one)
    version = subprocess.run(
        [env / "bin" / "mach2", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"MACH2_CHECKOUT": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert version.stdout == "mach2, version 0.1.0\n", version.stderr


def _init(checkout: Path, directory: Path, template: str = "") -> None:
    directory.mkdir()
    nix_flake(["flake", "init", "-t", f"path:{checkout}{template}"], directory)


def _lock(directory: Path, *extra: str) -> None:
    args = ["lock", "-r", str(directory / "requirements.txt"), "--python", "3.11", *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.mark.network
def test_template_default(checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    _init(checkout, project)
    assert sorted(p.name for p in project.iterdir()) == [
        "README.md",
        "flake.nix",
        "requirements.txt",
    ]
    assert "mach2 lock" in (project / "README.md").read_text(encoding="utf-8")
    before = nix_flake(["build", *flake_overrides(checkout)], project, check=False)
    assert before.returncode != 0
    assert "no mach2.lock yet: run `mach2 lock -r requirements.txt`" in before.stderr
    monkeypatch.chdir(project)
    _lock(project, "--system", "x86_64-linux", "-o", "mach2.lock")
    nix_flake(["build", *flake_overrides(checkout)], project)
    imported = subprocess.run(
        [project / "result" / "bin" / "python", "-c", "import requests"], check=False
    )
    assert imported.returncode == 0


@pytest.mark.network
def test_template_all_systems(checkout: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    _init(checkout, project, "#all-systems")
    _lock(project, "--system", "x86_64-linux", "-o", str(project / "mach2-x86_64-linux.lock"))
    nix_flake(["build", ".#packages.x86_64-linux.default", *flake_overrides(checkout)], project)
    assert (project / "result" / "bin" / "python").exists()
    other = nix_flake(
        ["eval", ".#packages.aarch64-linux.default.drvPath", *flake_overrides(checkout)],
        project,
        check=False,
    )
    assert other.returncode != 0
    assert "no lock for aarch64-linux" in other.stderr
    assert "mach2 lock --system aarch64-linux -o mach2-aarch64-linux.lock" in other.stderr
    # one mach2.lock for several systems serves each of them
    _lock(project, "--system", "x86_64-linux", "--system", "aarch64-darwin", "-o",
          str(project / "mach2.lock"))  # fmt: skip
    (project / "mach2-x86_64-linux.lock").unlink()
    for system in ("x86_64-linux", "aarch64-darwin"):
        drv = nix_flake(
            ["eval", "--raw", f".#packages.{system}.default.drvPath", *flake_overrides(checkout)],
            project,
        )
        assert drv.stdout.endswith("-env.drv")
    missing = nix_flake(
        ["eval", ".#packages.aarch64-linux.default.drvPath", *flake_overrides(checkout)],
        project,
        check=False,
    )
    assert "mach2.lock is for aarch64-darwin, x86_64-linux" in missing.stderr
    assert "mach2 lock --system aarch64-darwin --system x86_64-linux --system aarch64-linux" in (
        missing.stderr
    )
