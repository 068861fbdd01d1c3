{ mocks, ... }:
let
  p = mocks.lib.packages;
  set = mocks.fakeSet { idna = "<idna>"; mach2-setuptools = "<setuptools>"; sib = "<sib>"; };
  pkg = mocks.wheel "requests" [ "idna" ];
  build = key: pkg: deps: p.mkPackage {
    final = set;
    inherit key pkg;
    dependencies = deps;
    tests = false;
  };
  wheelArgs = (build "requests" pkg [ "idna" ]).buildPythonPackage;
  sdistPkg = pkg // {
    provider = "sdist";
    artifact = pkg.artifact // { kind = "sdist"; filename = "requests-1.0.tar.gz"; };
    "build-system" = { setuptools = "setuptools>=61"; };
  };
  sdistArgs = (build "requests" sdistPkg [ ]).buildPythonPackage;
in
{
  bootstrapNames = {
    testHasSetuptools = { expr = builtins.elem "setuptools" p.bootstrapNames; expected = true; };
  };
  attrFor = {
    testPlain = { expr = p.attrFor "requests"; expected = "requests"; };
    testBootstrap = { expr = p.attrFor "setuptools"; expected = "mach2-setuptools"; };
  };
  fetchArtifact = {
    testArgs = {
      expr = (p.fetchArtifact "requests" pkg.artifact).fetchurl;
      expected = {
        url = "https://files.example/requests-1.0-py3-none-any.whl";
        sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
        name = "requests-1.0-py3-none-any.whl";
      };
    };
    testNameFromUrl = {
      expr = (p.fetchArtifact "x" { url = "https://h/p/x-1.tar.gz#sha=1"; sha256 = "0"; }).fetchurl.name;
      expected = "x-1.tar.gz";
    };
    testNoSha = { expr = (p.fetchArtifact "x" { url = "https://h/x.whl"; }).fetchurl.sha256; throws = true; };
  };
  planLibraries = {
    testAttrsAndLibraries = {
      expr = p.planLibraries "x" { patchelf = { attrs = [ "zlib" ]; libraries = [ "stdenv.cc.cc.lib" ]; }; };
      expected = [ "<zlib>" "<cc-lib>" ];
    };
    testNone = { expr = p.planLibraries "x" { }; expected = [ ]; };
    testUnknownAttr = { expr = p.planLibraries "x" { patchelf.attrs = [ "libfoo" ]; }; throws = true; };
    testNotAList = { expr = p.planLibraries "x" { patchelf.attrs = "zlib"; }; throws = true; };
  };
  mkPackage = {
    testWheel = {
      expr = {
        inherit (wheelArgs) pname version format dontStrip dontCheckRuntimeDeps doCheck dependencies nativeBuildInputs buildInputs;
      };
      expected = {
        pname = "requests";
        version = "1.0";
        format = "wheel";
        dontStrip = true;
        dontCheckRuntimeDeps = true;
        doCheck = false;
        dependencies = [ "<idna>" ];
        nativeBuildInputs = [ "<autoPatchelfHook>" ];
        buildInputs = [ ];
      };
    };
    testWheelSrc = { expr = wheelArgs.src.fetchurl.name; expected = "requests-1.0-py3-none-any.whl"; };
    testSdist = {
      expr = { inherit (sdistArgs) pyproject build-system; hasFormat = sdistArgs ? format; };
      expected = { pyproject = true; build-system = [ "<setuptools>" ]; hasFormat = false; };
    };
    testIgnoreMissing = {
      expr = (build "x" (pkg // { patchelf."ignore-missing" = [ "libcuda.so.1" ]; }) [ ]).buildPythonPackage.autoPatchelfIgnoreMissingDeps;
      expected = [ "libcuda.so.1" ];
    };
    testSiblings = {
      expr = (build "x" (pkg // { patchelf.siblings = [ "Sib" ]; }) [ ]).buildPythonPackage.preFixup;
      expected = "addAutoPatchelfSearchPath <sib>/lib/python3.11/site-packages\n";
    };
    testMissingDependency = { expr = build "requests" pkg [ "flask" ]; throws = true; };
    testConda = { expr = build "numpy" (pkg // { provider = "conda/conda-forge"; }) [ ]; throws = true; };
    testNixpkgs = { expr = build "numpy" (pkg // { provider = "nixpkgs"; }) [ ]; throws = true; };
    testUnknownProvider = { expr = build "numpy" (pkg // { provider = "pypi"; }) [ ]; throws = true; };
    testUrlWheel = {
      expr = (build "x" (pkg // { provider = "url"; artifact = pkg.artifact // { kind = "url"; }; }) [ ]).buildPythonPackage.format;
      expected = "wheel";
    };
  };
}
