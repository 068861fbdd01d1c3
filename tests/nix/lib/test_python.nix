{ mocks, ... }:
let
  p = mocks.lib.python;
  py = mocks.fakePkgs.python311;
in
{
  attrForVersion = {
    testVersion = { expr = p.attrForVersion "3.12"; expected = "python312"; };
  };
  attrName = {
    testString = { expr = p.attrName "python39" py; expected = "python39"; };
    testDerivation = { expr = p.attrName null py; expected = "python311"; };
    testNoPythonAttr = { expr = p.attrName null { pythonVersion = "3.13"; }; expected = "python313"; };
  };
  selectPython = {
    testFromLock = {
      expr = p.selectPython { python = null; lockData = { target.python = "3.11.2"; }; };
      expected = py;
    };
    testByName = {
      expr = p.selectPython { python = "python3"; lockData = { }; };
      expected = py;
    };
    testDerivation = {
      expr = p.selectPython { python = { pythonVersion = "3.10"; }; lockData = { }; };
      expected = { pythonVersion = "3.10"; };
    };
    testUnknownName = { expr = p.selectPython { python = "python27"; lockData = { }; }; throws = true; };
    testLockTargetMissing = {
      expr = p.selectPython { python = null; lockData = { target.python = "3.13.0"; }; };
      throws = true;
    };
    testWrongType = { expr = p.selectPython { python = 3; lockData = { }; }; throws = true; };
  };
}
