"""The root flake's outputs, evaluated with the stand-in as its nixpkgs input.

(`nix flake` itself would fetch nixpkgs; the outputs function is plain Nix.)
"""

from __future__ import annotations

from nixhelpers import FIXTURES, ROOT, STANDIN, nix_eval

FLAKE = (
    f"let flake = import {ROOT / 'flake.nix'}; "
    f"nixpkgs = {{ legacyPackages = builtins.listToAttrs (map (system: {{ name = system; "
    f"value = import {STANDIN} {{ inherit system; }}; }}) "
    '[ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ]); }; '
    "outputs = flake.outputs { self = outputs; inherit nixpkgs; }; in "
)


def test_flake_lib_per_system() -> None:
    names = nix_eval(FLAKE + "builtins.mapAttrs (_: builtins.attrNames) outputs.lib")
    expected = [
        "buildPythonApplication", "buildPythonPackage", "internal", "mkDockerImage",
        "mkNixpkgs", "mkOverlay", "mkPython", "mkPythonOverrides", "mkPythonShell",
    ]  # fmt: skip
    assert names == {
        s: expected for s in ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"]
    }


def test_flake_mk_python_is_the_legacy_derivation() -> None:
    # mach-nix's test_flakes_legacy_consistent: the flake and a plain import agree.
    args = (
        f"{{ requirements = builtins.readFile {FIXTURES}/requests-pyyaml.txt; "
        f"lockFile = {FIXTURES}/requests-pyyaml.lock; }}"
    )
    same = nix_eval(
        FLAKE
        + f"(outputs.lib.x86_64-linux.mkPython {args}).drvPath == "
        + f'((import {ROOT / "nix"} {{ pkgs = import {STANDIN} {{ system = "x86_64-linux"; }}; }})'
        + f".mkPython {args}).drvPath"
    )
    assert same is True
