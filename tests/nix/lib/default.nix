# Runs the Nix library's unit tests (pyproject.nix style: one test_<file>.nix per library file,
# `{ <function> = { test<Case> = { expr; expected; }; }; }`) and returns, per test,
# { pass; expr; expected; }.  A case may say `throws = true;` instead of `expected` (the
# expression must fail with a throw/assert; messages are checked by the pytest tests).
#
#   nix-instantiate --eval --strict --json tests/nix/lib
#
# It ends with a coverage check: every function a tested file exports has a test.
let
  pkgs = import ../../nixpkgs-standin { };
  mach2 = import ../../../nix { inherit pkgs; };
  lib = mach2.internal;
  mocks = import ./mocks.nix { inherit pkgs mach2; };

  files = {
    util = ./test_util.nix;
    providers = ./test_providers.nix;
    lock = ./test_lock.nix;
    python = ./test_python.nix;
    fixes = ./test_fixes.nix;
    sources = ./test_sources.nix;
    editable = ./test_editable.nix;
    macho = ./test_macho.nix;
    packages = ./test_packages.nix;
    overlay = ./test_overlay.nix;
    underscore = ./test_underscore.nix;
    extra = ./test_extra.nix;
  };

  run =
    case:
    if case ? throws then
      let
        result = builtins.tryEval (builtins.deepSeq case.expr case.expr);
      in
      {
        pass = !result.success;
        expr = if result.success then result.value else "<threw>";
        expected = "<throws>";
      }
    else
      {
        pass = case.expr == case.expected;
        inherit (case) expr expected;
      };

  results = builtins.mapAttrs (
    module: file:
    let
      tests = import file { inherit lib pkgs mach2 mocks; };
      exported = builtins.attrNames lib.${module};
      untested = builtins.filter (f: !(tests ? ${f})) exported;
    in
    builtins.mapAttrs (_: cases: builtins.mapAttrs (_: run) cases) tests
    // {
      _coverage.testEveryExportHasATest = {
        pass = untested == [ ];
        expr = untested;
        expected = [ ];
      };
    }
  ) files;
in
results
