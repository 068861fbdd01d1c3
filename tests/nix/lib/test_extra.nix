{ mocks, ... }:
let
  e = mocks.lib.extra;
  project = ./project;
  spec = e.sourceSpec { src = project; where = "test"; };
  moduleDrv = { type = "derivation"; name = "python3.11-foo-1"; pname = "foo"; pythonModule = { pythonVersion = "3.11"; }; outPath = "/nix/store/x-foo"; };
  otherDrv = { type = "derivation"; name = "hello-2.12"; };
  classified = e.classify [ project moduleDrv otherDrv ];
  set = mocks.fakeSet { requests = "<requests>"; mach2-build-setuptools = "<setuptools>"; toPythonModule = d: { module = d.pname; }; };
in
{
  readPyproject = {
    testName = { expr = (e.readPyproject project).project.name; expected = "demo_pkg"; };
    testNone = { expr = e.readPyproject ./.; expected = { }; };
  };
  requirementName = {
    testSpecifier = { expr = e.requirementName "Requests[socks]>=2; python_version>'3'"; expected = "requests"; };
    testExtraOnly = { expr = e.requirementName "pytest; extra == 'test'"; expected = null; };
  };
  sourceSpec = {
    testFromPyproject = {
      expr = { inherit (spec) name dependencyNames buildSystemNames; inherit (spec.builderArgs) pname version pyproject; };
      expected = {
        name = "demo-pkg";
        dependencyNames = [ "requests" ];
        buildSystemNames = [ "setuptools" ];
        pname = "demo_pkg";
        version = "0.1.0";
        pyproject = true;
      };
    };
    testExtras = {
      expr = (e.sourceSpec { src = project; extras = "socks"; where = "t"; }).dependencyNames;
      expected = [ "requests" "pysocks" ];
    };
    testUnknownExtra = { expr = (e.sourceSpec { src = project; extras = [ "nope" ]; where = "t"; }).dependencyNames; throws = true; };
    testNeedsName = { expr = (e.sourceSpec { src = ./.; where = "t"; }).builderArgs.pname; throws = true; };
    testGivenName = {
      expr = (e.sourceSpec { src = ./.; args = { pname = "x"; version = "1"; }; where = "t"; }).builderArgs;
      expected = { pname = "x"; version = "1"; src = ./.; pyproject = true; };
    };
  };
  classify = {
    testKinds = {
      expr = {
        sources = map (s: s.spec.name) classified.sources;
        modules = map (m: m.pname) classified.modules;
        other = map (o: o.name) classified.other;
      };
      expected = { sources = [ "demo-pkg" ]; modules = [ "foo" ]; other = [ "hello-2.12" ]; };
    };
    testBad = { expr = e.classify [ 3 ]; throws = true; };
    testNotList = { expr = e.classify "x"; throws = true; };
  };
  extraNames = {
    testNames = { expr = e.extraNames classified; expected = [ "demo-pkg" "foo" ]; };
  };
  instantiate = {
    testArgs = {
      expr = let a = (e.instantiate set false "t" spec).buildPythonPackage; in { inherit (a) pname dependencies build-system doCheck; };
      expected = { pname = "demo_pkg"; dependencies = [ "<requests>" ]; build-system = [ "<setuptools>" ]; doCheck = false; };
    };
    testMissingDependency = { expr = (e.instantiate (mocks.fakeSet { }) false "t" spec).buildPythonPackage.dependencies; throws = true; };
  };
  extraOverlay = {
    testModule = {
      expr = ((e.extraOverlay classified false { }) set { }).foo;
      expected = { module = "foo"; };
    };
    # A member of nixpkgs' own set is taken from the environment's set (built against it).
    testNixpkgsMember = {
      expr = ((e.extraOverlay classified false { foo = moduleDrv // { outPath = "/nix/store/x-foo"; }; })
        set { foo = "<foo in this set>"; }).foo;
      expected = "<foo in this set>";
    };
  };
}
