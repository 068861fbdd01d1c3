# dockerTools stand-in: buildLayeredImage, overridable like nixpkgs' (lib.makeOverridable),
# with the argument names of pkgs/build-support/docker/default.nix.  What the image holds
# is described in scripts/docker_image.py.
{
  lib,
  mkDerivation,
  pkgs,
}:
let
  inherit (builtins) toJSON;

  buildLayeredImage = lib.makeOverridable (
    {
      name,
      tag ? null,
      contents ? [ ],
      config ? { },
      architecture ? "amd64",
      created ? "1970-01-01T00:00:01Z",
      maxLayers ? 100,
      extraCommands ? "",
      compressor ? "gz",
      fakeRootCommands ? "",
      enableFakechroot ? false,
      fromImage ? null,
      includeNixDB ? false,
      ...
    }:
    let
      contentsList = lib.toList contents;
      unsupported = lib.filter (x: x.set) [
        {
          set = compressor != "gz";
          what = "compressor ${compressor}";
        }
        {
          set = fakeRootCommands != "";
          what = "fakeRootCommands";
        }
        {
          set = enableFakechroot;
          what = "enableFakechroot";
        }
        {
          set = fromImage != null;
          what = "fromImage";
        }
        {
          set = includeNixDB;
          what = "includeNixDB";
        }
      ];
      # Everything the image must contain, for exportReferencesGraph.
      root = mkDerivation {
        name = "${baseNameOf name}-contents";
        paths = builtins.concatStringsSep " " (map toString contentsList);
        configJSON = toJSON config;
        buildCommand = ''
          mkdir -p $out
          echo "$paths" > $out/paths
          echo "$configJSON" > $out/config.json
        '';
      };
    in
    if unsupported != [ ] then
      throw "nixpkgs stand-in: dockerTools.buildLayeredImage ${name}: ${(builtins.head unsupported).what} is not implemented"
    else
      mkDerivation {
        name = "${baseNameOf name}.tar.gz";
        imageName = lib.toLower name;
        imageTag = if tag == null then "latest" else tag;
        contents = builtins.concatStringsSep " " (map toString contentsList);
        configJSON = toJSON config;
        inherit architecture created maxLayers extraCommands;
        exportReferencesGraph = [
          "closureFile"
          root
        ];
        script = ./scripts/docker_image.py;
        buildCommand = ''
          export closureFile=$NIX_BUILD_TOP/closureFile
          /usr/bin/python3 -I "$script"
        '';
        passthru = {
          imageTag = if tag == null then "latest" else tag;
          inherit (pkgs) cacert;
        };
      }
  );
in
{
  inherit buildLayeredImage;
  streamLayeredImage = _: throw "nixpkgs stand-in: dockerTools.streamLayeredImage is not implemented";
}
