{
  description = "A Python environment from requirements.txt, locked by mach2";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.mach2.url = "github:owner/mach2"; # mach2's repository
  inputs.mach2.inputs.nixpkgs.follows = "nixpkgs";

  outputs =
    { self, nixpkgs, mach2 }:
    let
      # `mach2 lock` writes mach2.lock for one system (this machine's, or --system) and one
      # Python (--python); the flake builds for the system the lock was made for.
      lock =
        if builtins.pathExists ./mach2.lock then
          builtins.fromJSON (builtins.readFile ./mach2.lock)
        else
          throw "no mach2.lock yet: run `mach2 lock -r requirements.txt` (or `nix run github:owner/mach2 -- lock -r requirements.txt`), then `git add mach2.lock`";
      system = lock.target.system;
      mach2Lib = mach2.lib.${system};
      args = {
        requirements = builtins.readFile ./requirements.txt;
        lockFile = ./mach2.lock;
      };
    in
    {
      packages.${system}.default = mach2Lib.mkPython args;
      devShells.${system}.default = mach2Lib.mkPythonShell args;
    };
}
