# mach2's Nix library: a mach2.lock -> Python package sets, environments, shells and images.
#
#   mach2 = import ./nix { inherit pkgs; };
#   mach2.mkPython {
#     requirements = builtins.readFile ./requirements.txt;
#     lockFile = ./mach2.lock;
#   }
#
# The files are organised like pyproject.nix's lib/: one concern per file, siblings injected
# through a fixpoint, so each file takes the others as named arguments.
{
  pkgs ? import <nixpkgs> { },
  # Default for the `python` argument of every function ("python312" or a derivation);
  # null takes the lock's target version.
  python ? null,
  ...
}@importArgs:
let
  inherit (builtins) attrNames filter mapAttrs;

  knownImportArgs = [
    "pkgs"
    "python"
  ];
  unknownImportArgs = filter (n: !(builtins.elem n knownImportArgs)) (attrNames importArgs);

  fix =
    f:
    let
      x = f x;
    in
    x;

  modules = {
    util = ./util.nix;
    providers = ./providers.nix;
    lock = ./lock.nix;
    python = ./python.nix;
    fixes = ./fixes.nix;
    sources = ./sources.nix;
    editable = ./editable.nix;
    macho = ./macho.nix;
    packages = ./packages.nix;
    overlay = ./overlay.nix;
    underscore = ./underscore.nix;
    extra = ./extra.nix;
    docker = ./docker.nix;
    environment = ./environment.nix;
    buildPackage = ./build-python-package.nix;
  };

  lib = fix (
    self:
    mapAttrs (
      _: path:
      import path (
        {
          inherit pkgs;
          defaults = { inherit python; };
        }
        // self
      )
    ) modules
  );
in
if unknownImportArgs != [ ] then
  throw "mach2: unknown argument `${builtins.head unknownImportArgs}` when importing the library${
    lib.util.didYouMean (builtins.head unknownImportArgs) knownImportArgs
  }; it takes { pkgs ? import <nixpkgs> {}, python ? null }"
else
  {
    inherit (lib.environment)
      mkDockerImage
      mkNixpkgs
      mkOverlay
      mkPython
      mkPythonOverrides
      mkPythonShell
      ;
    inherit (lib.buildPackage) buildPythonApplication buildPythonPackage;

    /**
      The lock in `dir` for this nixpkgs' system: `mach2-<system>.lock`, else `mach2.lock`
      if it was made for this system; a clear error otherwise.

      Type: lockFileFor :: path -> path
    */
    lockFileFor = dir: lib.lock.lockFileIn dir (pkgs.stdenv.hostPlatform.system or "unknown");

    /**
      The library's internals, for tests and for building on top of mach2.
    */
    internal = lib;
  }
