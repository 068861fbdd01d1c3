"""`mach2 gen` is portable: its expression, copied to another directory, evaluates there to the
same environment as the library directory gives, with no file of this checkout reachable."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from nixhelpers import FIXTURES, LIBRARY, NIX_OPTIONS, STANDIN, nix_build, run

import mach2.nix
from mach2.emit import render_expression
from mach2.lock.model import read_lock

ROOT = LIBRARY.resolve().parents[1]


def _expression() -> str:
    lock = read_lock(FIXTURES / "requests-pyyaml.lock")
    return render_expression(lock, (FIXTURES / "requests-pyyaml.txt").read_text(encoding="utf-8"))


def _from_the_library() -> str:
    expr = (
        f"(import {LIBRARY} {{ pkgs = import {STANDIN} {{ }}; }}).mkPython {{ "
        f"requirements = builtins.readFile {FIXTURES}/requests-pyyaml.txt; "
        f"lockFile = {FIXTURES}/requests-pyyaml.lock; }}"
    )
    return run(["nix-instantiate", *NIX_OPTIONS, "-E", expr], check=True).stdout.strip()


def _can_hide_directories() -> bool:
    probe = ["unshare", "--mount", "sh", "-c", "mount -t tmpfs none /mnt"]
    try:
        return subprocess.run(probe, capture_output=True, check=False).returncode == 0
    except OSError:
        return False


def test_gen_evaluates_elsewhere_to_the_same_environment(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "env.nix").write_text(_expression(), encoding="utf-8")
    result = run(["nix-instantiate", *NIX_OPTIONS, "env.nix"], cwd=elsewhere, check=True)
    assert result.stdout.strip() == _from_the_library()


@pytest.mark.skipif(not _can_hide_directories(), reason="needs unshare --mount (root)")
def test_gen_evaluates_with_the_checkout_and_the_installed_library_hidden(tmp_path: Path) -> None:
    """Another machine, simulated: the checkout and the installed mach2 are covered by empty
    tmpfs mounts in a private mount namespace; only the expression and a copy of the stand-in
    (as <nixpkgs>) are there.  It still gives the same derivation."""
    expected = _from_the_library()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "env.nix").write_text(_expression(), encoding="utf-8")
    standin = shutil.copytree(STANDIN, tmp_path / "nixpkgs")
    candidates = sorted({ROOT, Path(mach2.nix.__file__).resolve().parents[1]})
    hidden = [str(c) for c in candidates if not any(o in c.parents for o in candidates)]
    assert not any(str(tmp_path).startswith(h) for h in hidden)
    commands = [["mount", "-t", "tmpfs", "none", h] for h in hidden]
    commands.append(["test", "!", "-e", str(LIBRARY.resolve() / "default.nix")])
    commands.append(["nix-instantiate", *NIX_OPTIONS, "-I", f"nixpkgs={standin}", "env.nix"])
    script = " && ".join(shlex.join(command) for command in commands)
    environ = {k: v for k, v in os.environ.items() if k != "NIX_PATH"}
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_gen_builds(tmp_path: Path) -> None:
    (tmp_path / "env.nix").write_text(_expression(), encoding="utf-8")
    env = nix_build(tmp_path / "env.nix")
    done = subprocess.run([str(env / "bin" / "python"), "-c", "import requests, yaml"], check=False)
    assert done.returncode == 0
