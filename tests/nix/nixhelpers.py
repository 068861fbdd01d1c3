"""Helpers for the tests that run real Nix against the nixpkgs stand-in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STANDIN = ROOT / "tests" / "nixpkgs-standin"
LIBRARY = ROOT / "nix"
FIXTURES = Path(__file__).parent / "fixtures"

# cache.nixos.org is unreachable here; without this every build waits for its retries.
NIX_OPTIONS = ["--option", "substituters", ""]


def run(
    args: Sequence[str], *, check: bool = False, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a Nix command with the stand-in as <nixpkgs>; capture its output."""
    env = dict(os.environ, NIX_PATH=f"nixpkgs={STANDIN}")
    result = subprocess.run(
        list(args), capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result


def nix_eval(expr: str, *, strict: bool = True) -> Any:
    """Evaluate a Nix expression to JSON."""
    args = ["nix-instantiate", "--eval", "--json", *NIX_OPTIONS]
    if strict:
        args.append("--strict")
    result = run([*args, "-E", expr], check=True)
    return json.loads(result.stdout)


def nix_error(expr: str) -> str:
    """Instantiate an expression that must fail; return Nix's error output."""
    result = run(["nix-instantiate", *NIX_OPTIONS, "-E", expr])
    assert result.returncode != 0, f"expected failure, got {result.stdout}"
    return result.stderr


def nix_build(target: str | Path, *extra: str) -> Path:
    """Build a file/directory (or `-E expr` via extra) and return the output path."""
    result = run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(target), *extra], check=True)
    return Path(result.stdout.strip().splitlines()[-1])


def nix_build_error(target: str | Path, *extra: str) -> str:
    result = run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(target), *extra])
    assert result.returncode != 0, f"expected the build to fail, got {result.stdout}"
    return result.stderr


def library_expr(body: str) -> str:
    """An expression with `pkgs` (the stand-in), `mach2` (the library) and `fixtures` bound."""
    return (
        f"let pkgs = import {STANDIN} {{ }}; mach2 = import {LIBRARY} {{ inherit pkgs; }}; "
        f"fixtures = {FIXTURES}; in {body}"
    )


def fixture_args(name: str, extra: str = "") -> str:
    """mkPython arguments for a fixture lock in tests/nix/fixtures."""
    return (
        f'{{ requirements = builtins.readFile (fixtures + "/{name}.txt"); '
        f'lockFile = fixtures + "/{name}.lock"; {extra} }}'
    )


def with_installed_library(env_dir: Path, dest: Path) -> Path:
    """A copy of ``env_dir`` whose ``mach2/`` is a plain copy of the installed library directory
    (``mach2/nix`` of the importable mach2; ``cp -r``, nothing selected or renamed)."""
    shutil.copytree(env_dir, dest, ignore=shutil.ignore_patterns("mach2"))
    installed = Path(str(resources.files("mach2") / "nix"))
    shutil.copytree(installed, dest / "mach2", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


# -- flakes (Nix 2.8: experimental) ------------------------------------------------------------

#: Where a flake names mach2 (examples.md, the templates); tests point it at a checkout copy.
MACH2_FLAKE_URL = "github:owner/mach2"


def nix_flake(
    args: Sequence[str], cwd: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The ``nix`` command with flakes enabled, no substituters, the stand-in as <nixpkgs>."""
    command = ["nix", "--extra-experimental-features", "nix-command flakes", *NIX_OPTIONS, *args]
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ, NIX_PATH=f"nixpkgs={STANDIN}"),
        check=False,
        timeout=1800,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stderr[-4000:]}")
    return result


def flake_checkout(dest: Path) -> Path:
    """A copy of the checkout (the files git tracks or would track, as a clone has them) whose
    ``nixpkgs`` input is locked to the stand-in: github is not reachable here, and Nix fetches
    an unlocked input to lock it, even for ``nix flake init``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in listed.split("\0"):
        if name and os.path.lexists(ROOT / name):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target, follow_symlinks=False)
    nix_flake(["flake", "lock", "--override-input", "nixpkgs", f"path:{STANDIN}"], dest)
    return dest


def flake_overrides(checkout: Path) -> list[str]:
    """Inputs of a flake made from mach2's templates, pointed at the checkout and stand-in."""
    return ["--override-input", "mach2", f"path:{checkout}",
            "--override-input", "nixpkgs", f"path:{STANDIN}"]  # fmt: skip
