# The stand-in as a flake, for `--override-input nixpkgs path:tests/nixpkgs-standin` in the
# flake tests: nixpkgs' flake gives `legacyPackages.<system> = import ./. { inherit system; }`
# (its flake.nix; `lib` and the rest are not used by mach2).
{
  description = "nixpkgs stand-in for mach2's tests";

  outputs =
    { self }:
    {
      legacyPackages = builtins.listToAttrs (
        map
          (system: {
            name = system;
            value = import ./. { inherit system; };
          })
          [
            "x86_64-linux"
            "aarch64-linux"
            "x86_64-darwin"
            "aarch64-darwin"
          ]
      );
    };
}
