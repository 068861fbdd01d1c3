{ mocks, ... }:
let
  o = mocks.lib.overlay;
  packages = {
    a = mocks.wheel "a" [ "b" ];
    b = mocks.wheel "b" [ "c" ];
    c = mocks.wheel "c" [ "a" "d" ];
    d = (mocks.wheel "d" [ ]) // { "build-only" = true; };
  };
  lockData = mocks.lock packages [ "a" ];
  overlay = o.lockOverlay { inherit lockData; tests = false; };
  final = mocks.fakeSet (overlay final { });
in
{
  backEdges = {
    testCycle = { expr = o.backEdges packages; expected = { "c a" = true; }; };
    testAcyclic = { expr = o.backEdges { x = mocks.wheel "x" [ "y" ]; y = mocks.wheel "y" [ ]; }; expected = { }; };
    testSelfLoop = { expr = o.backEdges { x = mocks.wheel "x" [ "x" ]; }; expected = { "x x" = true; }; };
  };
  installedKeys = {
    testSkipsBuildOnly = { expr = o.installedKeys lockData; expected = [ "a" "b" "c" ]; };
  };
  lockOverlay = {
    testNames = { expr = builtins.attrNames (overlay final { }); expected = [ "a" "b" "c" "d" ]; };
    testCycleBroken = {
      expr = map (d: d.buildPythonPackage.pname) final.c.buildPythonPackage.dependencies;
      expected = [ "d" ];
    };
    testDeps = {
      expr = map (d: d.buildPythonPackage.pname) final.a.buildPythonPackage.dependencies;
      expected = [ "b" ];
    };
  };
}
