# The `_` argument: mach-nix's shorthand overrides.
#
#   _.<pkg>.<attr> = value;                      replace
#   _.<pkg>.<attr>.add = value;                  append to a list (a non-list value is one
#                                                element), merge an attrset, concatenate a string;
#                                                a missing attribute counts as empty
#   _.<pkg>.<attr>.mod = old: new;               modify (a missing attribute gives null)
#   _.<pkg>.<attr>.mod = pySelf: oldAttrs: old: new;   the same with the package set and all
#                                                old attributes (detected by `mod old` being a
#                                                function, as in mach-nix)
#
# Package names are PEP 503 normalized (`_.PyYAML` is `_.pyyaml`); a name that is not in the
# environment is an error.  The overrides go through `overridePythonAttrs` (the arguments of
# buildPythonPackage, so `dependencies` and `build-system` can be changed) and fall back to
# `overrideAttrs` for derivations without it.
{ util, ... }:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elem
    isAttrs
    isFunction
    isList
    isString
    listToAttrs
    mapAttrs
    typeOf
    ;
  inherit (util) describe didYouMean packageKey;

  listSome =
    names:
    let
      n = builtins.length names;
    in
    if n <= 30 then
      concatStringsSep ", " names
    else
      "${concatStringsSep ", " (builtins.genList (builtins.elemAt names) 30)} and ${toString (n - 30)} more";

  isOp = name: spec: isAttrs spec && !(spec ? type) && attrNames spec == [ name ];

  /**
    `old` extended by `.add`'s value.

    Type: addTo :: string -> string -> any -> any -> any
  */
  addTo =
    where: old: new:
    if old == null then
      new
    else if isList old then
      old ++ (if isList new then new else [ new ])
    else if isAttrs old && isAttrs new then
      old // new
    else if isString old && isString new then
      old + new
    else
      throw "mach2: ${where}.add: cannot add ${describe new} to the existing ${typeOf old} value";

  /**
    The new value of one attribute under one `_` spec.

    Type: applySpec :: string -> attrs -> attrs -> string -> any -> any
  */
  applySpec =
    where: final: oldAttrs: attr: spec:
    let
      old = oldAttrs.${attr} or null;
    in
    if isOp "add" spec then
      addTo "${where}.${attr}" old spec.add
    else if isOp "mod" spec then
      (
        if !(isFunction spec.mod) then
          throw "mach2: ${where}.${attr}.mod must be a function (old: new), not ${describe spec.mod}"
        else
          let
            first = spec.mod old;
          in
          if isFunction first then spec.mod final oldAttrs old else first
      )
    else
      spec;

  /**
    Apply the attribute specs of one package to its derivation.

    Type: overridePackage :: string -> attrs -> derivation -> attrs -> derivation
  */
  overridePackage =
    where: final: drv: specs:
    let
      f = oldAttrs: mapAttrs (applySpec where final oldAttrs) specs;
    in
    if !(isAttrs specs) then
      throw "mach2: ${where} must be an attribute set of attributes to override, not ${describe specs}"
    else if drv ? overridePythonAttrs then
      drv.overridePythonAttrs f
    else if drv ? overrideAttrs then
      drv.overrideAttrs f
    else
      throw "mach2: ${where}: ${describe drv} cannot be overridden (no overridePythonAttrs or overrideAttrs)";

  /**
    The overlay for `_`.  `known` lists the normalized names of the environment's packages
    (each the attribute of its package in the set).

    `natives` are the native conda packages among `known`: they are not in the python set,
    overlay.nix's nativePackages applies their overrides.

    Type: underscoreOverlay :: { underscore, known, natives? } -> overlay
  */
  underscoreOverlay =
    {
      underscore,
      known,
      natives ? [ ],
    }:
    if !(isAttrs underscore) then
      throw "mach2: `_` must be an attribute set like { requests.buildInputs.add = [ ... ]; }, not ${describe underscore}"
    else
      final: prev:
      listToAttrs (
        builtins.filter (entry: entry != null) (map (
          name:
          let
            key = packageKey name;
            attr = key;
            where = "_.${name}";
          in
          if !(elem key known) then
            throw "mach2: `_.${name}` names a package that is not in the environment${didYouMean name known}; packages in the environment: ${listSome known}"
          else if elem key natives then
            # Native conda packages are not in the python set: nativePackages applies these.
            null
          else
            {
              name = attr;
              value = overridePackage where final prev.${attr} underscore.${name};
            }
        ) (attrNames underscore))
      );
in
{
  inherit
    addTo
    applySpec
    overridePackage
    underscoreOverlay
    ;
}
