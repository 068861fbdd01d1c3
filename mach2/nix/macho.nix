# macOS wheels whose lock entry has a `macho` plan (mach2.macho: a Mach-O file loads a library
# from outside the wheel, e.g. lightgbm's `@rpath/libomp.dylib` with a Homebrew rpath).  Each
# link with an `attr` is rewritten to that package's lib/<name> with install_name_tool (from the
# darwin stdenv's PATH, as nixpkgs' pkgs/build-support/setup-hooks/fix-darwin-dylib-names.sh
# calls it); a link the lock could not resolve fails the build naming the package, file and
# library (a weak one is only reported).  On aarch64-darwin the rewritten files are signed again
# by nixpkgs' darwin.autoSignDarwinBinariesHook (pkgs/os-specific/darwin/signing-utils/
# auto-sign-hook.sh: a postFixupHooks entry, so it runs after this postFixup).
{ pkgs, util, ... }:
let
  inherit (builtins)
    baseNameOf
    concatStringsSep
    filter
    foldl'
    isAttrs
    isList
    isString
    replaceStrings
    ;
  inherit (util) describe splitOn;

  shellQuote = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  # A nixpkgs attribute path such as "llvmPackages.openmp", or null when this nixpkgs lacks it.
  findAttr =
    path:
    foldl' (acc: name: if acc != null && isAttrs acc && acc ? ${name} then acc.${name} else null) pkgs (
      splitOn "\\." path
    );

  # nixpkgs' lib.getLib: the `lib` output if there is one and none was chosen, else `out`.
  getLib = drv: if drv.outputSpecified or false then drv else drv.lib or drv.out or drv;

  /**
    The plan's links, checked.

    Type: links :: string -> attrs -> [attrs]
  */
  links =
    key: pkg:
    let
      plan = pkg.macho;
      value = plan.links or null;
    in
    if !(isAttrs plan) then
      throw "mach2: locked package `${key}`: `macho` must be an object, not ${describe plan}"
    else if !(isList value) then
      throw "mach2: locked package `${key}`: `macho.links` must be a list, not ${describe value}"
    else
      value;

  /**
    The nixpkgs packages the plan's links name that this nixpkgs has.

    Type: libraries :: string -> attrs -> [derivation]
  */
  libraries =
    key: pkg:
    filter (d: d != null) (
      map (link: findAttr link.attr) (filter (link: isString (link.attr or null)) (links key pkg))
    );

  /**
    The postFixup commands that point each outside link at its /nix/store library.

    Type: relinkScript :: { key, pkg, sitePackages } -> string
  */
  relinkScript =
    {
      key,
      pkg,
      sitePackages,
    }:
    let
      command =
        link:
        let
          file = "$out/${sitePackages}/${link.file}";
          library = link.library or "";
          say = msg: "echo ${shellQuote "mach2: ${key}: ${link.file} ${msg}"} >&2";
          drv = if isString (link.attr or null) then findAttr link.attr else null;
        in
        if isString (link.attr or null) then
          (
            if drv == null then
              "${say "loads ${library} from pkgs.${link.attr}, which this nixpkgs does not have"}; exit 1\n"
            else
              let
                target = "${getLib drv}/lib/${baseNameOf library}";
              in
              ''
                if [ ! -e ${shellQuote target} ]; then
                  ${say "loads ${library}, but pkgs.${link.attr} has no lib/${baseNameOf library}; give the library with _.${key}.postFixup or --soname-map"}
                  exit 1
                fi
                install_name_tool -change ${shellQuote library} ${shellQuote target} ${file}
              ''
          )
        else if link.weak or false then
          "${say "loads ${library} weakly, left as is: ${link.unresolved or "unresolved"}"}\n"
        else
          "${say "loads ${library}: ${
            link.unresolved or "unresolved"
          }; provide it with _.${key}.postFixup, or lock ${key} from another provider"}; exit 1\n";
    in
    concatStringsSep "" (map command (links key pkg));

  /**
    Build inputs for a wheel with a `macho` plan: the linked packages, and on aarch64-darwin
    the re-signing hook (a changed Mach-O file must be signed again to load there).

    Type: nativeInputs :: [derivation]
  */
  nativeInputs =
    let
      sign = pkgs.darwin.autoSignDarwinBinariesHook or null;
    in
    if (pkgs.stdenv.hostPlatform.isAarch64 or false) && sign != null then [ sign ] else [ ];
in
{
  inherit libraries nativeInputs relinkScript;
}
