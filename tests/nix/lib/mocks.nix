# Mocks for the unit tests: a fake nixpkgs whose builders return their arguments, and the
# library instantiated against it, so tests compare plain attribute sets, not derivations.
{ pkgs, mach2 }:
let
  fakePkgs = {
    stdenv.hostPlatform = {
      system = "x86_64-linux";
      isLinux = true;
    };
    stdenv.cc.cc.lib = "<cc-lib>";
    stdenv.mkDerivation = args: { mkDerivation = args; };
    zlib = "<zlib>";
    patchelf = "<patchelf>";
    zstd = "<zstd>";
    autoPatchelfHook = "<autoPatchelfHook>";
    fetchurl = args: { fetchurl = args; };
    fetchgit = args: { fetchgit = args; outPath = "/nix/store/00000000000000000000000000000000-fetchgit"; };
    python311 = {
      pythonVersion = "3.11";
      pythonAttr = "python311";
    };
    python3 = fakePkgs.python311;
  };
  lib = (import ../../../nix { pkgs = fakePkgs; }).internal;

  # A python package set whose builders record their arguments.
  fakeSet = extra: {
    buildPythonPackage = args: { buildPythonPackage = args; };
    buildPythonApplication = args: { buildPythonApplication = args; };
    python = fakePkgs.python311 // {
      sitePackages = "lib/python3.11/site-packages";
      interpreter = "<python>/bin/python3.11";
    };
  } // extra;
in
{
  inherit fakePkgs fakeSet lib;

  # A minimal valid lock (parsed JSON) with the given packages.
  lock = packages: roots: {
    "lock-version" = 1;
    target = {
      python = "3.11.14";
      system = "x86_64-linux";
    };
    inputs = {
      "requirements-sha256" = builtins.hashString "sha256" "requests\n";
      providers = "";
    };
    inherit packages roots;
    providers._default = [ "wheel" "sdist" "nixpkgs" ];
  };

  # A conda package of the lock (a PyPI key, or `conda:<name>`; `noarch` e.g. "python").
  conda = key: deps: noarch: {
    name = key;
    version = "1.0";
    provider = "conda";
    artifact = {
      kind = "conda";
      filename = "${key}-1.0-0.conda";
      url = "https://conda.example/linux-64/${key}-1.0-0.conda";
      sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
      channel = "example";
      subdir = "linux-64";
      "conda-name" = if builtins.substring 0 6 key == "conda:" then builtins.substring 6 (-1) key else key;
    }
    // (if noarch == null then { } else { inherit noarch; });
    dependencies = builtins.listToAttrs (map (d: { name = d; value = d; }) deps);
  };

  wheel = name: deps: {
    inherit name;
    version = "1.0";
    provider = "wheel";
    artifact = {
      kind = "wheel";
      filename = "${name}-1.0-py3-none-any.whl";
      url = "https://files.example/${name}-1.0-py3-none-any.whl";
      sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    };
    dependencies = builtins.listToAttrs (map (d: { name = d; value = d; }) deps);
  };
}
