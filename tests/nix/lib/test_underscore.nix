{ mocks, ... }:
let
  u = mocks.lib.underscore;
  # A fake derivation whose overridePythonAttrs applies the function to its attributes.
  fake = attrs: attrs // { overridePythonAttrs = f: fake (attrs // f attrs); };
  prev = {
    requests = fake { buildInputs = [ "a" ]; postInstall = "x"; env = { A = "1"; }; };
    setuptools = fake { patches = [ ]; };
  };
  overlay = underscore: u.underscoreOverlay {
    inherit underscore;
    known = [ "requests" "setuptools" ];
  };
  apply = underscore: removeAttrs ((overlay underscore) { marker = "final"; } prev).requests [ "overridePythonAttrs" ];
in
{
  addTo = {
    testList = { expr = u.addTo "w" [ 1 ] [ 2 ]; expected = [ 1 2 ]; };
    testListElement = { expr = u.addTo "w" [ 1 ] 2; expected = [ 1 2 ]; };
    testAttrs = { expr = u.addTo "w" { a = 1; } { b = 2; }; expected = { a = 1; b = 2; }; };
    testString = { expr = u.addTo "w" "a" "b"; expected = "ab"; };
    testMissing = { expr = u.addTo "w" null [ 1 ]; expected = [ 1 ]; };
    testMismatch = { expr = u.addTo "w" "a" [ 1 ]; throws = true; };
  };
  applySpec = {
    testReplace = { expr = u.applySpec "w" { } { x = 1; } "x" 2; expected = 2; };
    testAdd = { expr = u.applySpec "w" { } { x = [ 1 ]; } "x" { add = [ 2 ]; }; expected = [ 1 2 ]; };
    testMod = { expr = u.applySpec "w" { } { x = 1; } "x" { mod = old: old + 1; }; expected = 2; };
    testModMissing = { expr = u.applySpec "w" { } { } "x" { mod = old: old == null; }; expected = true; };
    testModThreeArgs = {
      expr = u.applySpec "w" { v = 10; } { x = 1; y = 5; } "x" { mod = pySelf: oldAttrs: old: pySelf.v + oldAttrs.y + old; };
      expected = 16;
    };
    testAttrsetWithOtherKeysIsReplaced = {
      expr = u.applySpec "w" { } { x = { }; } "x" { add = 1; other = 2; };
      expected = { add = 1; other = 2; };
    };
  };
  overridePackage = {
    testPythonAttrs = {
      expr = removeAttrs (u.overridePackage "w" { } (fake { x = [ 1 ]; }) { x.add = 2; }) [ "overridePythonAttrs" ];
      expected = { x = [ 1 2 ]; };
    };
    testNotOverridable = { expr = u.overridePackage "w" { } { } { x = 1; }; throws = true; };
  };
  underscoreOverlay = {
    # Native conda packages are not in the python set: overlay.nix's nativePackages applies them.
    testNativeLeftToNativePackages = {
      expr = builtins.attrNames (
        (u.underscoreOverlay {
          underscore."conda:libfoo".postInstall = "x";
          known = [ "conda:libfoo" ];
          natives = [ "conda:libfoo" ];
        })
          { }
          prev
      );
      expected = [ ];
    };
    testOps = {
      expr = apply {
        requests = {
          buildInputs.add = [ "b" ];
          postInstall.mod = old: old + "y";
          env.add = { B = "2"; };
          doCheck = false;
        };
      };
      expected = { buildInputs = [ "a" "b" ]; postInstall = "xy"; env = { A = "1"; B = "2"; }; doCheck = false; };
    };
    testNormalizedName = {
      expr = builtins.attrNames ((overlay { Requests.doCheck = true; }) { } prev);
      expected = [ "requests" ];
    };
    testBootstrapInPlace = {
      expr = builtins.attrNames ((overlay { setuptools.patches.add = [ "p" ]; }) { } prev);
      expected = [ "setuptools" ];
    };
    testUnknownPackage = { expr = (overlay { flask.doCheck = true; }) { } prev; throws = true; };
    testNotAttrs = { expr = overlay [ ]; throws = true; };
  };
}
