"""The nixpkgs stand-in itself: the nixpkgs behaviours that break real builds, copied from
nixpkgs (each file in tests/nixpkgs-standin names the nixpkgs file it follows).  mach2's
library is tested against these; here they are pinned down on their own, with small local
wheels, so a change to the stand-in that drops one fails here and not somewhere downstream.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import STANDIN, nix_build, nix_build_error, nix_eval

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from local_channel import make_wheel

SITE = "lib/python3.11/site-packages"

DEMO = {
    "demo/__init__.py": "def main():\n    print('demo main')\n",
    "tests/__init__.py": "",
    "tests/test_demo.py": "def test(): pass\n",
}


def _demo_wheel(tmp_path: Path) -> Path:
    wheel = make_wheel(tmp_path, "demo", "1.0", DEMO)
    # A console script, as installers write them from entry_points.txt.
    import zipfile

    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr(
            "demo-1.0.dist-info/entry_points.txt", "[console_scripts]\ndemo = demo:main\n"
        )
    return wheel


def _demo(wheel: Path, extra: str = "") -> str:
    """buildPythonPackage of the demo wheel (`pkgs` must be bound)."""
    return (
        "pkgs.python3.pkgs.buildPythonPackage { "
        f'pname = "demo"; version = "1.0"; format = "wheel"; src = {wheel}; {extra} }}'
    )


def _package(wheel: Path, extra: str = "") -> str:
    return f"let pkgs = import {STANDIN} {{ }}; in {_demo(wheel, extra)}"


@pytest.mark.network
def test_wheel_package_hooks(tmp_path: Path) -> None:
    """mk-python-derivation.nix + hooks/: wheelUnpack, pypaInstall (bytecode compiled), the
    `dist` output holding the wheel (python-output-dist-hook.sh), wrapPythonPrograms (wrap.sh),
    tests/ removed after postFixup (python-remove-tests-dir-hook.sh)."""
    wheel = _demo_wheel(tmp_path)
    record = 'postFixup = "ls $out/' + SITE + ' > $out/seen-in-postFixup"; doCheck = false;'
    info: dict[str, Any] = nix_eval(
        f"let d = {_package(wheel, record)}; in {{ inherit (d) outputs; }}"
    )
    assert info["outputs"] == ["out", "dist"]
    out = nix_build("-E", _package(wheel, record))
    dist = nix_build("-E", f"({_package(wheel, record)}).dist")
    assert [p.name for p in dist.iterdir()] == [wheel.name]
    site = out / SITE
    assert (site / "demo" / "__pycache__").is_dir()
    assert any(p.suffix == ".pyc" for p in (site / "demo" / "__pycache__").iterdir())
    # The postFixup text ran before the hook that removes top-level tests/.
    assert "tests" in (out / "seen-in-postFixup").read_text().split()
    assert not (site / "tests").exists()
    wrapper = (out / "bin" / "demo").read_text()
    assert wrapper.startswith("#! /bin/bash") and "PYTHONNOUSERSITE" in wrapper
    script = (out / "bin" / ".demo-wrapped").read_text()
    assert "site.addsitedir" in script and f"{out}/{SITE}" in script
    result = subprocess.run([str(out / "bin" / "demo")], capture_output=True, text=True)
    assert result.stdout == "demo main\n"


@pytest.mark.network
def test_imports_check_runs_without_do_check(tmp_path: Path) -> None:
    """python-imports-check-hook.sh appends to preDistPhases: doCheck = false does not skip it."""
    wheel = _demo_wheel(tmp_path)
    error = nix_build_error(
        "-E", _package(wheel, 'doCheck = false; pythonImportsCheck = [ "nodemo" ];')
    )
    assert "pythonImportsCheckPhase" in error
    assert "No module named 'nodemo'" in error


def test_do_check_defaults_to_true_with_check_inputs(tmp_path: Path) -> None:
    """mk-python-derivation.nix: doCheck ? true becomes doInstallCheck; nativeCheckInputs join
    the inputs only then (make-derivation.nix)."""
    wheel = _demo_wheel(tmp_path)
    probe = "nativeCheckInputs = [ pkgs.hello ];"
    result: dict[str, Any] = nix_eval(
        f"let d = {_package(wheel, probe)}; e = d.overridePythonAttrs {{ doCheck = false; }}; "
        "in { checks = d.doInstallCheck; hello = map (x: x.name) d.nativeBuildInputs; "
        "checksOff = e.doInstallCheck; helloOff = map (x: x.name) e.nativeBuildInputs; }"
    )
    assert result["checks"] is True and "hello-2.12" in result["hello"]
    assert result["checksOff"] is False and "hello-2.12" not in result["helloOff"]


FIXUP = """
let pkgs = import STANDIN { }; in
pkgs.stdenv.mkDerivation {
  name = "fixup-order";
  dontUnpack = true;
  installPhase = ''
    mkdir -p $out/lib64 $out/doc
    cp /bin/true $out/lib64/true
    chmod u+w $out/lib64/true
    /usr/bin/patchelf --set-rpath '/nonexistent/lib:$ORIGIN' $out/lib64/true
    echo readme > $out/doc/README
  '';
  postFixup = ''
    /usr/bin/patchelf --print-rpath $out/lib/true > $out/rpath-in-postFixup
    readlink $out/lib64 > $out/lib64-in-postFixup
    ls $out/share/doc > $out/doc-in-postFixup
  '';
}
"""


def test_fixup_hooks_run_before_post_fixup() -> None:
    """stdenv's fixup hooks (move-docs.sh, move-lib64.sh, patchelf's shrink-rpath setup hook)
    have run when postFixup starts."""
    out = nix_build("-E", FIXUP.replace("STANDIN", str(STANDIN)))
    assert (out / "rpath-in-postFixup").read_text() == "$ORIGIN\n"
    assert (out / "lib64-in-postFixup").read_text() == "lib\n"
    assert (out / "doc-in-postFixup").read_text() == "README\n"


STRICT = """
let pkgs = import STANDIN { }; in
pkgs.stdenv.mkDerivation {
  name = "strict-deps";
  strictDeps = STRICT;
  buildInputs = [ pkgs.hello ];
  buildCommand = "(command -v hello || echo none) > $out";
}
"""


@pytest.mark.parametrize(("strict", "found"), [("true", False), ("false", True)])
def test_strict_deps_keeps_build_inputs_off_path(strict: str, found: bool) -> None:
    """setup.sh: with strictDeps (buildPythonPackage's default) only native inputs are on PATH."""
    out = nix_build("-E", STRICT.replace("STANDIN", str(STANDIN)).replace("STRICT", strict))
    assert (out.read_text().strip() != "none") is found


def test_the_python_set_hooks_are_overridable() -> None:
    """hooks/default.nix: the hooks are members of the set, made of its own packages."""
    result: dict[str, Any] = nix_eval(
        f"let ps = (import {STANDIN} {{ }}).python3.pkgs; in {{ "
        "install = builtins.elem ps.installer.outPath (map (d: d.outPath) ps.pypaInstallHook.propagatedBuildInputs); "
        "build = ps.pypaBuildHook.provides.setupHook; "
        "bootstrapInstaller = (ps.pypaInstallHook.override { installer = ps.bootstrap.installer; }).drvPath != ps.pypaInstallHook.drvPath; }"
    )
    assert result == {"install": True, "build": True, "bootstrapInstaller": True}


@pytest.mark.network
def test_buildenv_wraps_every_program(tmp_path: Path) -> None:
    """wrapper.nix: programs of the environment's packages are wrapped with NIX_PYTHONPREFIX."""
    wheel = _demo_wheel(tmp_path)
    env_expr = (
        f"let pkgs = import {STANDIN} {{ }}; demo = {_demo(wheel)}; "
        "in pkgs.python3.withPackages (_: [ demo ])"
    )
    env = nix_build("-E", env_expr)
    assert f"NIX_PYTHONPREFIX={env}" in (env / "bin" / "demo").read_text()
    code = "import sys, demo; print(sys.prefix, demo.__file__)"
    prefix, module = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert prefix == str(env) and module == f"{env}/{SITE}/demo/__init__.py"


@pytest.mark.network
def test_two_copies_of_a_name_fail_the_build(tmp_path: Path) -> None:
    """catch_conflicts.py (pythonCatchConflictsHook, a preDist phase): the closure of a package
    holding one distribution in two store paths fails it."""
    one = make_wheel(tmp_path / "one", "dup", "1.0", {"dup.py": "V = 1\n"})
    two = make_wheel(tmp_path / "two", "dup", "2.0", {"dup.py": "V = 2\n"})
    user = make_wheel(tmp_path / "user", "user", "1.0", {"user.py": ""})
    expr = (
        f"let pkgs = import {STANDIN} {{ }}; ps = pkgs.python3.pkgs; "
        'w = src: version: ps.buildPythonPackage { pname = "dup"; inherit version src; format = "wheel"; }; '
        f'in ps.buildPythonPackage {{ pname = "user"; version = "1.0"; format = "wheel"; src = {user}; '
        f'dependencies = [ (w {one} "1.0") (w {two} "2.0") ]; }}'
    )
    error = nix_build_error("-E", expr)
    assert "pythonCatchConflictsPhase" in error
    assert "Found duplicated packages in closure for dependency 'dup'" in error
