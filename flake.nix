{
  description = "mach2: reproducible Python environments with Nix from requirements.txt (wheels, sdists, conda, nixpkgs in one lock)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  # nix run github:<owner>/mach2 -- lock -r requirements.txt     the CLI (packages.default)
  # nix flake init -t github:<owner>/mach2                        a flake for your project
  # nix flake init -t github:<owner>/mach2#all-systems            ... for the four systems
  #
  # From another flake:
  #
  #   inputs.mach2.url = "github:<owner>/mach2";
  #   inputs.mach2.inputs.nixpkgs.follows = "nixpkgs";    # build against your nixpkgs
  #   outputs = { self, nixpkgs, mach2 }: {
  #     packages.x86_64-linux.default = mach2.lib.x86_64-linux.mkPython {
  #       requirements = builtins.readFile ./requirements.txt;
  #       lockFile = ./mach2.lock;
  #     };
  #   };
  #
  # or `mach2.libFor pkgs`, or `nixpkgs.legacyPackages.<system>.extend mach2.overlays.default`
  # and then `pkgs.mach2.mkPython { ... }`.
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

      # What mach2's own build reads: pyproject.toml, README.md (its readme) and the mach2
      # package (with its Nix library); not the tests, locks or docs, so editing those does
      # not rebuild it.
      root = toString ./.;
      source = builtins.path {
        name = "mach2-source";
        path = ./.;
        filter =
          path: type:
          let
            relative = builtins.substring (builtins.stringLength root + 1) (-1) (toString path);
          in
          builtins.elem relative [
            "pyproject.toml"
            "README.md"
            "mach2"
          ]
          || (
            builtins.match "mach2/.*" relative != null
            && builtins.match "(.*/)?(__pycache__|.*\\.pyc)" relative == null
          );
      };

      # mach2 locks and builds itself: locks/mach2.lock, one lock for the four systems (its
      # runtime dependencies and build backend, and mach2 itself, whose locked dependencies
      # are the package's; `scripts/lock_self.sh`).
      mach2For =
        system:
        let
          lib = self.lib.${system};
        in
        lib.buildPythonApplication {
          src = source;
          lockFile = ./locks/mach2.lock;
        };
    in
    {
      # mach2's Nix library for pkgs of your choice.
      libFor = pkgs: import ./nix { inherit pkgs; };

      # lib.<system>.{mkPython, mkPythonShell, mkDockerImage, mkOverlay, mkNixpkgs,
      # mkPythonOverrides, buildPythonPackage, buildPythonApplication, lockFileFor}
      lib = forAllSystems (system: self.libFor nixpkgs.legacyPackages.${system});

      # pkgs.mach2 = the library for that pkgs.
      overlays.default = final: _prev: { mach2 = self.libFor final; };

      # The mach2 command, built by mach2's own Nix library from mach2's own lock.
      packages = forAllSystems (system: {
        default = self.packages.${system}.mach2;
        mach2 = mach2For system;
      });

      apps = forAllSystems (system: {
        default = {
          type = "app";
          program = "${self.packages.${system}.mach2}/bin/mach2";
        };
      });

      # For working on mach2: its runtime and test dependencies (locks/dev/mach2.lock), patchelf
      # and zstd.  The dev lock holds mach2 itself (`-r pyproject.toml` of a project with a
      # [build-system]) with an `editable` record: the shell has it as a development install
      # whose .pth puts the checkout the shell was entered from ($MACH2_CHECKOUT; in a flake
      # the lock's directory is a copy in the store) on sys.path, so `mach2`, `python -m
      # mach2` and `python -m pytest` run the working tree and an edit rebuilds nothing.
      # `inputsFrom` takes the library's shell's packages (nixpkgs'
      # pkgs/build-support/mkshell/default.nix merges their nativeBuildInputs).  `env`: the
      # Python environment alone, with mach2 built from the source.
      devShells = forAllSystems (
        system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
          lib = self.lib.${system};
          env = lib.mkPython {
            lockFile = ./locks/dev/mach2.lock;
            editableRoot = "$MACH2_CHECKOUT/locks/dev";
          };
        in
        {
          default = pkgs.mkShell {
            name = "mach2-dev";
            inputsFrom = [ env.shell ];
            packages = [
              pkgs.patchelf
              pkgs.zstd
            ];
            shellHook = ''
              export MACH2_CHECKOUT="$PWD"
            '';
            passthru = { inherit env; };
          };
        }
      );

      templates = {
        default = {
          path = ./templates/default;
          description = "A Python environment from requirements.txt, locked by mach2 for this machine's system";
        };
        all-systems = {
          path = ./templates/all-systems;
          description = "A Python environment from requirements.txt, locked by mach2 for x86_64/aarch64 Linux and macOS";
        };
      };
    };
}
