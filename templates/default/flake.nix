{
  description = "A Python environment from requirements.txt, locked by mach2";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.mach2.url = "github:owner/mach2"; # mach2's repository
  inputs.mach2.inputs.nixpkgs.follows = "nixpkgs";

  outputs =
    { self, nixpkgs, mach2 }:
    let
      # `mach2 lock` writes mach2.lock for this machine's system (or those of --system,
      # --all-systems) and one Python (--python); the flake builds for the lock's systems.
      lock =
        if builtins.pathExists ./mach2.lock then
          builtins.fromJSON (builtins.readFile ./mach2.lock)
        else
          throw "no mach2.lock yet: run `mach2 lock -r requirements.txt` (or `nix run github:owner/mach2 -- lock -r requirements.txt`), then `git add mach2.lock`";
      # lock-version 2 names its systems; lock-version 1 had one target.
      systems = if lock ? systems then builtins.attrNames lock.systems else [ lock.target.system ];
      forSystems =
        f:
        builtins.listToAttrs (
          map (system: {
            name = system;
            value = f mach2.lib.${system};
          }) systems
        );
      args = {
        requirements = builtins.readFile ./requirements.txt;
        lockFile = ./mach2.lock;
      };
    in
    {
      packages = forSystems (lib: {
        default = lib.mkPython args;
      });
      devShells = forSystems (lib: {
        default = lib.mkPythonShell args;
      });
    };
}
