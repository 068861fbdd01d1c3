{
  description = "A Python environment from requirements.txt, locked by mach2 for four systems";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.mach2.url = "github:owner/mach2"; # mach2's repository
  inputs.mach2.inputs.nixpkgs.follows = "nixpkgs";

  outputs =
    { self, nixpkgs, mach2 }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems =
        f:
        builtins.listToAttrs (
          map (system: {
            name = system;
            value = f system;
          }) systems
        );
      # One lock for the four systems, mach2.lock (`mach2 lock -r requirements.txt
      # --all-systems`), or one per system, mach2-<system>.lock (`mach2 lock --system <system>
      # -o mach2-<system>.lock`); a system without one is an error that says so.
      args = system: {
        requirements = builtins.readFile ./requirements.txt;
        lockFile = mach2.lib.${system}.lockFileFor ./.;
      };
    in
    {
      packages = forAllSystems (system: {
        default = mach2.lib.${system}.mkPython (args system);
      });
      devShells = forAllSystems (system: {
        default = mach2.lib.${system}.mkPythonShell (args system);
      });
    };
}
