# A stand-in for nixpkgs, for testing mach2's Nix library with real Nix where nixpkgs cannot
# be fetched (current nixpkgs needs Nix 2.18, lib/minver.nix).  It implements the part of the
# nixpkgs API the library uses, with the same attribute and argument names and, where it breaks
# builds, the same behaviour (hooks, checks, defaults), from builtins.derivation and host
# tools (/bin/bash, coreutils, tar, unzip, zstd, /usr/bin/python3.11, /usr/bin/patchelf,
# /usr/bin/strip).  It is importable like nixpkgs:
#
#   import ./tests/nixpkgs-standin { }
#   nix-build ./env -I nixpkgs=tests/nixpkgs-standin
#
# Which nixpkgs behaviour each part copies, and what it leaves out, is written at the top
# of each file (stdenv.nix, setup.sh, python.nix, hooks/*.sh, docker.nix, scripts/*.py) and in
# implementation.md, with one table of where it still differs.
{
  system ? builtins.currentSystem,
  overlays ? [ ],
  config ? { },
  ...
}:
let
  lib = import ./lib.nix;

  base =
    final:
    let
      std = import ./stdenv.nix { inherit lib system; };
      inherit (std) mkDerivation;
      native = import ./native.nix { inherit mkDerivation; };
      python = import ./python.nix {
        inherit lib mkDerivation;
        inherit (std) stdenv;
        pkgs = final;
      };
      python312 = import ./python.nix {
        inherit lib mkDerivation;
        inherit (std) stdenv;
        pkgs = final;
        minor = "12";
      };
    in
    python
    // {
      inherit (python312) python312 python312Packages;
    }
    # The native packages mach2's build fixes name (native.nix).
    // native
    // {
      inherit lib system config overlays;
      inherit (std) stdenv fetchurl fetchgit;
      path = ./.;

      # pkgs/build-support/mkshell: a derivation for nix-shell that nix-build can still build.
      mkShell =
        {
          name ? "nix-shell",
          packages ? [ ],
          inputsFrom ? [ ],
          buildInputs ? [ ],
          nativeBuildInputs ? [ ],
          propagatedBuildInputs ? [ ],
          shellHook ? "",
          ...
        }@attrs:
        mkDerivation (
          removeAttrs attrs [
            "packages"
            "inputsFrom"
          ]
          // {
            inherit name shellHook;
            nativeBuildInputs = packages ++ nativeBuildInputs ++ builtins.concatLists (
              map (d: d.nativeBuildInputs or [ ]) inputsFrom
            );
            buildInputs = buildInputs ++ builtins.concatLists (map (d: d.buildInputs or [ ]) inputsFrom);
            inherit propagatedBuildInputs;
            phases = [ "buildPhase" ];
            buildPhase = ''
              { echo "------------------------------------------------------------";
                echo " WARNING: the existence of this path is not guaranteed.";
                echo " It is an internal implementation detail for pkgs.mkShell.";
                echo "------------------------------------------------------------";
                echo;
                export;
              } >> "$out"
            '';
            preferLocalBuild = true;
          }
        );

      # pkgs/build-support/setup-hooks/make-wrapper.sh: makeWrapper / wrapProgram (a setup hook).
      makeWrapper = mkDerivation {
        name = "make-wrapper-hook";
        buildCommand = ''
          mkdir -p $out/nix-support
          cp ${./hooks/make-wrapper.sh} $out/nix-support/setup-hook
        '';
        passthru.provides.setupHook = true;
      };

      # pkgs/by-name/cm/cmake: the host's program (native.nix) and, as nixpkgs' cmake, its setup
      # hook (configurePhase = cmakeConfigurePhase unless dontUseCmakeConfigure).
      cmake = native.cmake.overrideAttrs (old: {
        buildCommand = old.buildCommand + ''
          mkdir -p $out/nix-support
          cp ${./hooks/cmake-setup-hook.sh} $out/nix-support/setup-hook
        '';
      });

      # setup-hooks/auto-patchelf.sh + auto-patchelf.py: see scripts/auto_patchelf.py.
      autoPatchelfHook = mkDerivation {
        name = "auto-patchelf-hook";
        hook = ./auto-patchelf-hook.sh;
        script = ./scripts/auto_patchelf.py;
        buildCommand = ''
          mkdir -p $out/nix-support
          sed -e "s|@script@|$script|g" "$hook" > $out/nix-support/setup-hook
        '';
      };

      # pkgs/by-name/pa/patchelf: the host's patchelf (test.sh installs it); bin/patchelf as in
      # nixpkgs.  The stand-in's stdenv does not put it on PATH by itself (nixpkgs' does).
      patchelf = mkDerivation {
        name = "patchelf-standin";
        buildCommand = ''
          if ! [ -x /usr/bin/patchelf ]; then
            echo "nixpkgs stand-in: needs the host's /usr/bin/patchelf (apt-get install patchelf)" >&2
            exit 1
          fi
          mkdir -p $out/bin
          ln -s /usr/bin/patchelf $out/bin/patchelf
        '';
      };

      # pkgs/tools/compression/zstd: the host's zstd (test.sh installs it); bin/zstd as in
      # nixpkgs (whose default output is `bin`).  mach2 unpacks .conda packages with it.
      zstd = mkDerivation {
        name = "zstd-standin";
        buildCommand = ''
          if ! [ -x /usr/bin/zstd ]; then
            echo "nixpkgs stand-in: needs the host's /usr/bin/zstd (apt-get install zstd)" >&2
            exit 1
          fi
          mkdir -p $out/bin
          ln -s /usr/bin/zstd $out/bin/zstd
        '';
      };

      # pkgs/data/misc/cacert: the host's CA bundle under the nixpkgs file name.
      cacert = mkDerivation {
        name = "nss-cacert-standin";
        buildCommand = ''
          mkdir -p $out/etc/ssl/certs
          cp /etc/ssl/certs/ca-certificates.crt $out/etc/ssl/certs/ca-bundle.crt
        '';
      };

      # Needed by `nix-shell` itself, which runs (import <nixpkgs> {}).bashInteractive.
      bashInteractive = std.hostProgram {
        name = "bash-interactive-standin";
        programs = [ "/bin/bash" ];
      };

      # A tiny non-Python package (mach-nix's examples put `hello` on PATH).
      hello = mkDerivation {
        pname = "hello";
        version = "2.12";
        buildCommand = ''
          mkdir -p $out/bin
          printf '#!/bin/sh\necho "Hello, world!"\n' > $out/bin/hello
          chmod +x $out/bin/hello
        '';
      };

      zlib = std.hostLibrary {
        name = "zlib-standin";
        sonames = [ "libz.so.1" ];
      };

      dockerTools = import ./docker.nix {
        inherit lib mkDerivation;
        pkgs = final;
      };
    };

  pkgs = lib.fix (builtins.foldl' (f: overlay: lib.extends overlay f) base overlays);
in
pkgs
