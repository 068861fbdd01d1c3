{
  description = "mach2: reproducible Python environments with Nix from requirements.txt (wheels, sdists, conda, nixpkgs in one lock)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  # Usage from another flake:
  #
  #   inputs.mach2.url = "github:<owner>/mach2";
  #   outputs = { self, nixpkgs, mach2 }: {
  #     packages.x86_64-linux.default = mach2.lib.x86_64-linux.mkPython {
  #       requirements = builtins.readFile ./requirements.txt;
  #       lockFile = ./mach2.lock;
  #     };
  #   };
  #
  # To build against your own nixpkgs, set `inputs.mach2.inputs.nixpkgs.follows = "nixpkgs";`
  # or call `mach2.libFor pkgs` (import of ./nix with that pkgs).
  outputs =
    { self, nixpkgs }:
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
    in
    {
      # mach2's Nix library for pkgs of your choice.
      libFor = pkgs: import ./nix { inherit pkgs; };

      # lib.<system>.{mkPython, mkPythonShell, mkDockerImage, mkOverlay, mkNixpkgs,
      # mkPythonOverrides, buildPythonPackage, buildPythonApplication}
      lib = forAllSystems (system: self.libFor nixpkgs.legacyPackages.${system});
    };
}
