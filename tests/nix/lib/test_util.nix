{ lib, ... }:
let
  u = lib.util;
  double = final: prev: { x = (prev.x or 1) * 2; };
  plusOne = final: prev: { x = prev.x + 1; y = final.x; };
in
{
  toLower = {
    testAscii = { expr = u.toLower "PyYAML-6"; expected = "pyyaml-6"; };
  };
  strip = {
    testBoth = { expr = u.strip " \t wheel \n"; expected = "wheel"; };
    testBlank = { expr = u.strip "   "; expected = ""; };
    testInner = { expr = u.strip " a b "; expected = "a b"; };
  };
  splitOn = {
    testComma = { expr = u.splitOn "," "a,,b"; expected = [ "a" "" "b" ]; };
  };
  normalizeName = {
    testPep503 = { expr = u.normalizeName "Foo.Bar__baz-_Q"; expected = "foo-bar-baz-q"; };
    testPlain = { expr = u.normalizeName "requests"; expected = "requests"; };
  };
  identifierKey = {
    testExtras = { expr = u.identifierKey "Celery[redis,sqs]"; expected = "celery"; };
    testPlain = { expr = u.identifierKey "zope.interface"; expected = "zope-interface"; };
    testCondaKept = { expr = u.identifierKey "conda:_openmp_mutex"; expected = "conda:_openmp_mutex"; };
  };
  packageKey = {
    testPypi = { expr = u.packageKey "Foo.Bar__baz"; expected = "foo-bar-baz"; };
    testConda = { expr = u.packageKey "conda:_libfoo_mutex"; expected = "conda:_libfoo_mutex"; };
  };
  bundledScript = {
    testFixedStoreName = {
      expr = builtins.match "/nix/store/[a-z0-9]{32}-mach2-x\\.py" (
        toString (u.bundledScript "mach2-x.py" "x" ./test_util.nix)
      ) != null;
      expected = true;
    };
    testMissing = { expr = u.bundledScript "mach2-x.py" "x" ./missing.py; throws = true; };
  };
  composeExtensions = {
    testOrder = {
      expr = (u.composeExtensions double plusOne) { x = 10; y = 0; } { x = 5; };
      expected = { x = 11; y = 10; };
    };
  };
  composeManyExtensions = {
    testEmpty = { expr = u.composeManyExtensions [ ] { } { }; expected = { }; };
    testTwo = {
      expr = (u.composeManyExtensions [ double double ]) { } { x = 3; };
      expected = { x = 12; };
    };
  };
  editDistance = {
    testTypo = { expr = u.editDistance "requirments" "requirements"; expected = 1; };
    testEmpty = { expr = u.editDistance "" "abc"; expected = 3; };
    testSwap = { expr = u.editDistance "reqeusts" "requests"; expected = 2; };
  };
  suggest = {
    testClosestFirst = {
      expr = u.suggest "lockfile" [ "lockFile" "python" "tests" ];
      expected = [ "lockFile" ];
    };
    testNormalized = { expr = u.suggest "PyYAML" [ "pyyaml" "six" ]; expected = [ "pyyaml" ]; };
    testNone = { expr = u.suggest "zzz" [ "requests" ]; expected = [ ]; };
  };
  didYouMean = {
    testHit = { expr = u.didYouMean "pyton" [ "python" ]; expected = " (did you mean `python`?)"; };
    testMiss = { expr = u.didYouMean "zzzzzz" [ "python" ]; expected = ""; };
  };
  checkArgs = {
    testKnown = { expr = u.checkArgs "f" [ "a" "b" ] { a = 1; }; expected = { a = 1; }; };
    testUnknown = { expr = u.checkArgs "f" [ "a" ] { b = 1; }; throws = true; };
  };
  isDerivation = {
    testYes = { expr = u.isDerivation { type = "derivation"; }; expected = true; };
    testNo = { expr = u.isDerivation "x"; expected = false; };
  };
  getAttrPath = {
    testNested = { expr = u.getAttrPath "t" "a.b.c" { a.b.c = 1; }; expected = 1; };
    testMissing = { expr = u.getAttrPath "t" "a.x" { a.b = 1; }; throws = true; };
  };
  describe = {
    testString = { expr = u.describe "x"; expected = "\"x\""; };
    testInt = { expr = u.describe 3; expected = "a int"; };
    testList = { expr = u.describe [ 1 2 ]; expected = "a list of 2"; };
  };
}
