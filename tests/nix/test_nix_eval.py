"""Evaluation is pure: no import-from-derivation, nothing built or fetched to evaluate."""

from __future__ import annotations

from pathlib import Path

from nixhelpers import FIXTURES, NIX_OPTIONS, STANDIN, fixture_args, library_expr, run

from mach2.emit import write_env_dir
from mach2.lock.model import read_lock

NO_IFD = ["--option", "allow-import-from-derivation", "false"]


def test_env_dir_instantiates_without_ifd(tmp_path: Path) -> None:
    lock = read_lock(FIXTURES / "requests-pyyaml.lock")
    write_env_dir(lock, (FIXTURES / "requests-pyyaml.txt").read_text(encoding="utf-8"), tmp_path)
    result = run(
        ["nix-instantiate", *NIX_OPTIONS, *NO_IFD, str(tmp_path), "-I", f"nixpkgs={STANDIN}"]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("-python3-3.11-env.drv")


def test_every_function_instantiates_without_ifd() -> None:
    six = fixture_args(
        "sdist-six",
        'providers = { _default = "sdist,wheel"; setuptools = "wheel"; }; '
        'packagesExtra = [ (fixtures + "/demo-app") pkgs.hello ];',
    )
    body = (
        f"[ (mach2.mkPython {six}) (mach2.mkPythonShell {six}) (mach2.mkDockerImage {six}) "
        f"(mach2.mkNixpkgs {six}).python311.pkgs.six "
        f'(mach2.buildPythonPackage ({six} // {{ src = fixtures + "/demo-app"; }})) ]'
    )
    result = run(["nix-instantiate", *NIX_OPTIONS, *NO_IFD, "-E", library_expr(body)])
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 5
