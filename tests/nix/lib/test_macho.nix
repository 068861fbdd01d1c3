{ lib, mocks, ... }:
let
  m = mocks.lib.macho;
  # The mocks' nixpkgs has zlib ("<zlib>") but no llvmPackages.
  pkg = {
    macho = {
      format = 1;
      arch = "arm64";
      links = [
        { file = "lightgbm/lib.dylib"; library = "@rpath/libomp.dylib"; attr = "llvmPackages.openmp"; }
        { file = "pkg/_z.so"; library = "/usr/local/opt/zlib/lib/libz.1.dylib"; attr = "zlib"; }
        { file = "pkg/_odd.so"; library = "libmystery.dylib"; unresolved = "no package"; }
        { file = "pkg/_w.so"; library = "/opt/x/libw.dylib"; unresolved = "no package"; weak = true; }
      ];
    };
  };
  script = m.relinkScript { key = "lightgbm"; inherit pkg; sitePackages = "lib/python3.12/site-packages"; };
  lines = builtins.filter builtins.isString (builtins.split "\n" script);
  has = line: builtins.elem line lines;
in
{
  libraries = {
    testPresentOnly = { expr = m.libraries "lightgbm" pkg; expected = [ "<zlib>" ]; };
    testStandinZlib = { expr = builtins.length (lib.macho.libraries "lightgbm" pkg); expected = 1; };
    testBadPlan = { expr = m.libraries "x" { macho = [ ]; }; throws = true; };
    testBadLinks = { expr = m.libraries "x" { macho.links = "no"; }; throws = true; };
  };
  relinkScript = {
    testMissingAttrFails = {
      expr = has "echo 'mach2: lightgbm: lightgbm/lib.dylib loads @rpath/libomp.dylib from pkgs.llvmPackages.openmp, which this nixpkgs does not have' >&2; exit 1";
      expected = true;
    };
    testPresentAttrIsRelinked = {
      expr = [
        (has "if [ ! -e '<zlib>/lib/libz.1.dylib' ]; then")
        (has "install_name_tool -change '/usr/local/opt/zlib/lib/libz.1.dylib' '<zlib>/lib/libz.1.dylib' $out/lib/python3.12/site-packages/pkg/_z.so")
      ];
      expected = [ true true ];
    };
    testUnresolvedFails = {
      expr = has "echo 'mach2: lightgbm: pkg/_odd.so loads libmystery.dylib: no package; provide it with _.lightgbm.postFixup, or lock lightgbm from another provider' >&2; exit 1";
      expected = true;
    };
    testWeakIsReported = {
      expr = has "echo 'mach2: lightgbm: pkg/_w.so loads /opt/x/libw.dylib weakly, left as is: no package' >&2";
      expected = true;
    };
  };
  nativeInputs = {
    testNoSigningOffAarch64Darwin = { expr = m.nativeInputs; expected = [ ]; };
  };
}
