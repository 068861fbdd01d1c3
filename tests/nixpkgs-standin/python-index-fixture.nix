# An overlay giving the stand-in's Python package set (nixpkgs' build tools only) a few real
# packages, as nixpkgs defines them, for the nixpkgs provider: mach2/nix/nixpkgs-index.nix lists them, and the
# overlay mach2 emits for a nixpkgs-provided package can be checked against them (an exact
# version reuses `prev.<attr>` untouched: same .drv path).  Owned by the nixpkgs provider
# (tests/nix/test_nixpkgs_index_nix.py); the rest of this directory is the stand-in itself.
#
#   import ./tests/nixpkgs-standin { overlays = [ (import ./tests/nixpkgs-standin/python-index-fixture.nix) ]; }
#
# The packages are the wheels of nixpkgs' versions around January 2020 (the 2020 index in
# tests/data/nixpkgs/index-2020.json), so they build for real.  The set also holds what the index must
# skip: an alias that throws and a broken package.  The override keeps any packageOverrides
# given before (mach2's library composes its own after this one).
final: prev:
let
  wheel =
    name: version: url: sha256:
    final.fetchurl {
      inherit url sha256;
      name = "${name}-${version}-py2.py3-none-any.whl";
    };

  packages = self: _super: {
    certifi = self.buildPythonPackage {
      pname = "certifi";
      version = "2019.11.28";
      format = "wheel";
      src = wheel "certifi" "2019.11.28" "https://files.pythonhosted.org/packages/b9/63/df50cac98ea0d5b006c55a399c3bf1db9da7b5a24de7890bc9cfd5dd9e99/certifi-2019.11.28-py2.py3-none-any.whl" "017c25db2a153ce562900032d5bc68e9f191e44e9a0f762f373977de9df1fbb3";
    };
    chardet = self.buildPythonPackage {
      pname = "chardet";
      version = "3.0.4";
      format = "wheel";
      src = wheel "chardet" "3.0.4" "https://files.pythonhosted.org/packages/bc/a9/01ffebfb562e4274b6487b4bb1ddec7ca55ec7510b22e4c51f14098443b8/chardet-3.0.4-py2.py3-none-any.whl" "fc323ffcaeaed0e0a02bf4d117757b98aed530d9ed4531e3e15460124c106691";
    };
    # doCheck defaults to true with check inputs from the final set (mk-python-derivation.nix):
    # its "tests" hold only with nixpkgs' six.
    idna = self.buildPythonPackage {
      pname = "idna";
      version = "2.8";
      format = "wheel";
      src = wheel "idna" "2.8" "https://files.pythonhosted.org/packages/14/2c/cd551d81dbe15200be1cf41cd03869a46fe7226e7450af7a6545bfc474c9/idna-2.8-py2.py3-none-any.whl" "ea8b7f6188e6fa117537c3df7da9fc686d485087abf6ac197f9c46432f7e4a3c";
      nativeCheckInputs = [ self.six ];
      checkPhase = ''
        python -c 'import six; assert six.__version__ == "1.13.0", "tested with six " + six.__version__'
      '';
    };
    urllib3 = self.buildPythonPackage {
      pname = "urllib3";
      version = "1.25.7";
      format = "wheel";
      src = wheel "urllib3" "1.25.7" "https://files.pythonhosted.org/packages/b4/40/a9837291310ee1ccc242ceb6ebfd9eb21539649f193a7c8c86ba15b98539/urllib3-1.25.7-py2.py3-none-any.whl" "a8a318824cc77d1fd4b2bec2ded92646630d7fe8619497b142c84a9e6f5a7293";
    };
    requests = self.buildPythonPackage {
      pname = "requests";
      version = "2.22.0";
      format = "wheel";
      src = wheel "requests" "2.22.0" "https://files.pythonhosted.org/packages/51/bd/23c926cd341ea6b7dd0b2a00aba99ae0f828be89d72b2190f27c11d4b7fb/requests-2.22.0-py2.py3-none-any.whl" "9cf5292fcd0f598c671cfc1e0d7d1a7f13bb8085e9a590f48c010551dc6c4b31";
      dependencies = [
        self.certifi
        self.chardet
        self.idna
        self.urllib3
      ];
    };
    # Depends on `packaging`, one of the packages nixpkgs' own build hooks are made of.
    deprecation = self.buildPythonPackage {
      pname = "deprecation";
      version = "2.1.0";
      format = "wheel";
      src = wheel "deprecation" "2.1.0" "https://files.pythonhosted.org/packages/02/c3/253a89ee03fc9b9682f1541728eb66db7db22148cd94f89ab22528cd1e1b/deprecation-2.1.0-py2.py3-none-any.whl" "a10811591210e1fb0e768a8c25517cabeabcba6f0bf96564f8ff45189f90b14a";
      dependencies = [ self.packaging ];
    };
    six = self.buildPythonPackage {
      pname = "six";
      version = "1.13.0";
      format = "wheel";
      src = wheel "six" "1.13.0" "https://files.pythonhosted.org/packages/65/26/32b8464df2a97e6dd1b656ed26b2c194606c16fe163c695a992b36c11cdf/six-1.13.0-py2.py3-none-any.whl" "1f1b7d42e254082a9db6279deae68afb421ceba6158efa6131de7b3003ee93fd";
    };
    # Build plumbing for its own source, as nixpkgs packages have: a patch and a postPatch that
    # fit 0.10.0 only, a setup hook that takes over a phase (cmake's configurePhase, which needs
    # the CMakeLists.txt postPatch writes) and vendored dependencies (cargoDeps).
    toml = self.buildPythonPackage {
      pname = "toml";
      version = "0.10.0";
      pyproject = true;
      src = final.fetchurl {
        url = "https://files.pythonhosted.org/packages/b9/19/5cbd78eac8b1783671c40e34bb0fa83133a06d340a38b55c645076d40094/toml-0.10.0.tar.gz";
        sha256 = "229f81c57791a41d65e399fc06bf0848bab550a9dfd5ed66df18ce5f05e73d5c";
      };
      build-system = [ self.setuptools ];
      patches = [ ./toml-0.10.0-fixture.patch ];
      postPatch = ''
        grep -q _nixpkgs_fixture_patch_ toml/__init__.py
        echo 'project(toml)' > CMakeLists.txt
      '';
      nativeBuildInputs = [ final.cmake ];
      cargoDeps = final.hello;
      pythonImportsCheck = [ "toml" ];
    };
    # Skipped by the index: a removed alias (nixpkgs' aliases.nix throws) and a broken package.
    requests_toolbelt = throw "requests_toolbelt has been renamed to requests-toolbelt";
    broken-package = self.buildPythonPackage {
      pname = "broken-package";
      version = "1.0";
      format = "wheel";
      src = self.six.src;
      meta.broken = true;
    };
  };

  python311 = prev.python311.override (old: {
    packageOverrides = final.lib.composeExtensions (old.packageOverrides or (_: _: { })) packages;
  });
in
{
  inherit python311;
  python3 = python311;
  python3Packages = python311.pkgs;
  python311Packages = python311.pkgs;
}
