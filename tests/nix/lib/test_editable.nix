{ mocks, ... }:
let
  e = mocks.lib.editable;
  set = mocks.fakeSet { helper = "<helper>"; };
  pkg = {
    name = "My-App";
    version = "0.1";
    provider = "path";
    artifact = { kind = "path"; path = "project"; };
    editable = { "import-paths" = [ "src" "." ]; scripts = { my-app = "my_app.cli:main"; }; };
  };
  lookup = final: what: key: deps: map (d: final.${d}) deps;
  build = pkg: (e.editablePackage {
    final = set;
    key = "my-app";
    inherit pkg lookup;
    dependencies = [ "helper" ];
    local = { root = ./.; develop = true; editableRoot = null; };
  }).buildPythonPackage;
  args = build pkg;
in
{
  editablePackage = {
    testNoBuildBackend = { expr = { inherit (args) pyproject pname version dependencies; }; expected = { pyproject = false; pname = "my-app"; version = "0.1"; dependencies = [ "<helper>" ]; }; };
    # The derivation refers to the working tree by name only: no copy, no rebuild on edits.
    testTreeIsAString = { expr = args.passthru.mach2.editable; expected = toString ./project; };
    testPth = {
      expr = builtins.match ".*cp (/nix/store/[^ ]*-mach2-editable-my-app.pth) .*" args.installPhase != null;
      expected = true;
    };
    testScriptWritten = { expr = builtins.match ".*\"\\$out/bin/my-app\".*" args.installPhase != null; expected = true; };
    testBadImportPaths = { expr = build (pkg // { editable = { "import-paths" = [ ]; }; }); throws = true; };
    testBadRecord = { expr = build (pkg // { editable = "yes"; }); throws = true; };
  };
  scriptText = {
    testFunction = {
      expr = e.scriptText "k" "tool" "my_app.cli:main";
      expected = "import re, sys\nfrom my_app.cli import main\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n";
    };
    testAttribute = { expr = builtins.match ".*from m import obj\n.*sys.exit\\(obj.run\\(\\)\\)\n" (e.scriptText "k" "t" "m:obj.run [extra]") != null; expected = true; };
    testModuleOnly = { expr = builtins.match ".*runpy.run_module\\(\"m\".*" (e.scriptText "k" "t" "m") != null; expected = true; };
    testMalformed = { expr = e.scriptText "k" "t" "not a reference"; throws = true; };
  };
}
