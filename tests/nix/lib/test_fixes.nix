# fixes.nix against the stand-in (its native packages, native.nix): the table, attribute
# lookup with alternatives, placeholders, crate vendoring and `apply` on sdist arguments.
{ lib, pkgs, ... }:
let
  f = lib.fixes;
  names = map (d: d.name or d);
  crate = { name = "itoa"; version = "1.0.11"; sha256 = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"; };
  base = { pname = "x"; nativeBuildInputs = [ "<own>" ]; buildInputs = [ "<lib>" ]; passthru.mach2.key = "x"; };
  applied = fixes: extra: f.apply "x" ({ "build-fixes" = fixes; } // extra) base;
in
{
  table = {
    testFormat = { expr = f.table.format; expected = 1; };
    testEveryEntryHasSourcesAndWhy = {
      expr = builtins.all (e: e.sources != [ ] && e.why != "") (builtins.attrValues f.table.fixes);
      expected = true;
    };
  };
  findAttrPath = {
    testTopLevel = { expr = (f.findAttrPath "libffi").name; expected = "libffi-standin"; };
    testNested = { expr = (f.findAttrPath "libpq.pg_config").name; expected = "pg_config-standin"; };
    testMissing = { expr = f.findAttrPath "no-such-package"; expected = null; };
    testMissingNested = { expr = f.findAttrPath "libffi.no.such"; expected = null; };
  };
  resolveInput = {
    testString = { expr = (f.resolveInput "w" "pkg-config").name; expected = "pkg-config-wrapper-standin"; };
    testFirstAlternativePresent = { expr = (f.resolveInput "w" [ "no-such" "libpq" ]).name; expected = "libpq-standin"; };
    testNoneThrows = { expr = f.resolveInput "w" [ "no-such" "nope" ]; throws = true; };
    testNotAPathThrows = { expr = f.resolveInput "w" [ 1 ]; throws = true; };
  };
  substitute = {
    testPlain = { expr = f.substitute "w" "1"; expected = "1"; };
    testOut = { expr = f.substitute "w" "@libffi@/lib"; expected = "${pkgs.libffi}/lib"; };
    testDev = { expr = f.substitute "w" "x=@dev:libxml2@"; expected = "x=${pkgs.libxml2.dev}"; };
    testMissingThrows = { expr = f.substitute "w" "@no-such@"; throws = true; };
  };
  entryFor = {
    testKnown = { expr = (f.entryFor "x" "psycopg2").package; expected = "psycopg2"; };
    testUnknownThrows = { expr = f.entryFor "x" "no-such-fix"; throws = true; };
    testNotAStringThrows = { expr = f.entryFor "x" 1; throws = true; };
  };
  cargoVendor = {
    testName = { expr = (f.cargoVendor "rpds-py" [ crate ]).name; expected = "rpds-py-cargo-vendor"; };
    testFetchesTheCrateByChecksum = {
      expr = builtins.match ".*unpackCrate itoa-1.0.11 /nix/store/[a-z0-9]+-crate-itoa-1.0.11.tar.gz 49f1f1.*" (f.cargoVendor "x" [ crate ]).buildCommand != null;
      expected = true;
    };
    testBadCrateThrows = { expr = (f.cargoVendor "x" [ (crate // { name = "a b"; }) ]).drvPath; throws = true; };
    testNotAListThrows = { expr = f.cargoVendor "x" { }; throws = true; };
  };
  apply = {
    testNoFixesKeepsTheArguments = { expr = f.apply "x" { } base; expected = base; };
    testInputsAppended = {
      expr = let r = applied [ "cffi" ] { }; in [ (names r.nativeBuildInputs) (names r.buildInputs) ];
      expected = [ [ "<own>" "pkg-config-wrapper-standin" ] [ "<lib>" "libffi-standin" ] ];
    };
    testPassthruNamesTheFixes = {
      expr = (applied [ "cffi" ] { }).passthru.mach2;
      expected = { key = "x"; buildFixes = [ "cffi" ]; };
    };
    testEnvMerged = {
      expr = (f.apply "x" { "build-fixes" = [ "pyyaml" ]; } (base // { env.KEEP = "1"; })).env;
      expected = { KEEP = "1"; PYYAML_FORCE_LIBYAML = "1"; };
    };
    testAttrsSet = { expr = (applied [ "scikit-build-core" ] { }).dontUseCmakeConfigure; expected = true; };
    testEntriesInLockOrder = {
      expr = names (applied [ "meson-python" "pycairo" ] { }).nativeBuildInputs;
      expected = [ "<own>" "ninja-standin" "pkg-config-wrapper-standin" "pkg-config-wrapper-standin" ];
    };
    testCargoCratesVendored = {
      expr = builtins.elemAt (names (applied [ "maturin" ] { "cargo-crates" = [ crate ]; }).nativeBuildInputs) 3;
      expected = "x-cargo-vendor";
    };
    testNotAListThrows = { expr = applied "cffi" { }; throws = true; };
  };
}
