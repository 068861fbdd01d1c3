"""Bad input fails evaluation (or the build) with a message naming the cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nixhelpers import FIXTURES, fixture_args, library_expr, nix_build_error, nix_error


def _mk(args: str, function: str = "mkPython") -> str:
    return library_expr(f"(mach2.{function} ({args})).drvPath")


def _variant(tmp_path: Path, change: dict[str, object], name: str = "requests-pyyaml") -> str:
    """A copy of a fixture lock with top-level fields replaced; returns mkPython arguments."""
    data = json.loads((FIXTURES / f"{name}.lock").read_text(encoding="utf-8"))
    data.update(change)
    lock = tmp_path / "variant.lock"
    lock.write_text(json.dumps(data), encoding="utf-8")
    return f'{{ requirements = builtins.readFile (fixtures + "/{name}.txt"); lockFile = {lock}; }}'


def test_no_lock() -> None:
    error = nix_error(_mk('{ requirements = "requests\\n"; }'))
    assert "mach2: no lock given: pass `lockFile = ./mach2.lock;`" in error
    assert "mach2 lock -r requirements.txt -o mach2.lock" in error


def test_lock_file_missing(tmp_path: Path) -> None:
    error = nix_error(_mk(f'{{ requirements = "x"; lockFile = {tmp_path}/nope.lock; }}'))
    assert f"lock file {tmp_path}/nope.lock does not exist" in error
    assert "mach2 lock -r requirements.txt -o nope.lock" in error


def test_stale_requirements() -> None:
    error = nix_error(
        _mk(f'({fixture_args("requests-pyyaml")}) // {{ requirements = "requests\\nflask\\n"; }}')
    )
    assert "lock requests-pyyaml.lock is stale: the requirements changed" in error
    assert "mach2 lock -r requirements.txt --python 3.11 -o requests-pyyaml.lock" in error


def test_stale_providers() -> None:
    error = nix_error(_mk(fixture_args("requests-pyyaml", 'providers = { NumPy = "conda"; };')))
    assert 'providers are "numpy=conda" but the lock was made with ""' in error
    assert "-p 'numpy=conda'" in error


def test_lock_for_another_python_without_that_interpreter(tmp_path: Path) -> None:
    args = _variant(tmp_path, {"target": {"python": "3.13.9", "system": "x86_64-linux"}})
    error = nix_error(_mk(args))
    assert '`python = "python313"` is not an interpreter of this nixpkgs' in error
    assert "chosen from the lock's target Python 3.13" in error


def test_python_mismatch(tmp_path: Path) -> None:
    args = _variant(tmp_path, {"target": {"python": "3.12.12", "system": "x86_64-linux"}})
    error = nix_error(_mk(f'({args}) // {{ python = "python311"; }}'))
    assert "targets Python 3.12 but the interpreter is Python 3.11" in error
    assert "--python 3.11" in error


def test_system_mismatch(tmp_path: Path) -> None:
    args = _variant(tmp_path, {"target": {"python": "3.11.14", "system": "aarch64-darwin"}})
    error = nix_error(_mk(args))
    assert (
        "mach2: lock variant.lock has no entries for x86_64-linux (it has aarch64-darwin); add it "
        "with `mach2 lock -r requirements.txt --system aarch64-darwin --system x86_64-linux "
        "-o variant.lock` (use your own requirements file and options; for an env directory re-run "
        "`mach2 env DIR` with those --system options)"
    ) in error


def test_unsupported_lock_version(tmp_path: Path) -> None:
    error = nix_error(_mk(_variant(tmp_path, {"lock-version": 0})))
    assert "unsupported lock-version 0 (this mach2 Nix library reads 1 and 2)" in error
    error = nix_error(_mk(_variant(tmp_path, {"lock-version": 7})))
    assert (
        "lock-version 7 was written by a newer mach2 (this mach2 Nix library reads "
        "lock-versions 1 and 2); update the mach2 library"
    ) in error


def test_underscore_for_package_not_in_env() -> None:
    error = nix_error(_mk(fixture_args("requests-pyyaml", "_.reqeusts.doCheck = true;")))
    assert "`_.reqeusts` names a package that is not in the environment" in error
    assert "did you mean `requests`?" in error


def test_misspelt_argument() -> None:
    error = nix_error(_mk(fixture_args("requests-pyyaml", "ignoreCollision = true;")))
    assert "mach2.mkPython: unknown argument `ignoreCollision`" in error
    assert "did you mean `ignoreCollisions`?" in error


@pytest.mark.parametrize("function", ["mkPythonShell", "mkDockerImage"])
def test_misspelt_argument_other_functions(function: str) -> None:
    error = nix_error(_mk('{ requirement = ""; }', function))
    assert f"mach2.{function}: unknown argument `requirement`" in error


def test_misspelt_import_argument() -> None:
    error = nix_error(library_expr("(import ./nix { pkgs = pkgs; pyhton = 1; }).mkPython"))
    assert "unknown argument `pyhton` when importing the library (did you mean `python`?)" in error


def test_conda_provider_with_a_wheel_artifact_fails_loudly(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "requests-pyyaml.lock").read_text(encoding="utf-8"))
    data["packages"]["pyyaml"]["provider"] = "conda/conda-forge"
    error = nix_error(_mk(_variant(tmp_path, {"packages": data["packages"]})))
    assert (
        'locked package `pyyaml` has provider conda/conda-forge but artifact kind "wheel" '
        '(expected "conda")'
    ) in error


def test_nixpkgs_provider_without_its_lock_fields(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "requests-pyyaml.lock").read_text(encoding="utf-8"))
    data["packages"]["idna"]["provider"] = "nixpkgs"
    error = nix_error(_mk(_variant(tmp_path, {"packages": data["packages"]})))
    assert "locked package `idna` has provider nixpkgs but no `nixpkgs` object" in error


@pytest.mark.network
def test_tampered_hash_is_refused(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "requests-pyyaml.lock").read_text(encoding="utf-8"))
    data["packages"]["idna"]["artifact"]["sha256"] = "1" * 64
    args = _variant(tmp_path, {"packages": data["packages"]})
    error = nix_build_error("-E", library_expr(f"mach2.mkPython {args}"))
    assert "hash mismatch in fixed-output derivation" in error
    assert "idna-3.10-py3-none-any.whl" in error


def test_bad_patchelf_attribute(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "ujson.lock").read_text(encoding="utf-8"))
    data["packages"]["ujson"]["patchelf"] = {"attrs": ["libfoo"]}
    args = _variant(tmp_path, {"packages": data["packages"]}, name="ujson")
    error = nix_error(_mk(args))
    assert "locked package `ujson` (its patch plan) needs `pkgs.libfoo`" in error
