# The subset of nixpkgs' `lib` the stand-in itself uses (and exposes under the same names).
# Semantics follow nixpkgs lib/{fixed-points,customisation,lists,strings,attrsets}.nix.
let
  inherit (builtins)
    attrNames
    concatLists
    concatStringsSep
    elem
    filter
    foldl'
    functionArgs
    head
    isAttrs
    isFunction
    length
    listToAttrs
    mapAttrs
    substring
    stringLength
    tail
    ;

  fix =
    f:
    let
      x = f x;
    in
    x;

  # lib/fixed-points.nix
  extends =
    overlay: f: final:
    let
      prev = f final;
    in
    prev // overlay final prev;

  composeExtensions =
    f: g: final: prev:
    let
      fApplied = f final prev;
      prev' = prev // fApplied;
    in
    fApplied // g final prev';

  composeManyExtensions = foldl' composeExtensions (_: _: { });

  # lib/customisation.nix: makeOverridable.  `override` takes an attrset or a function of the
  # original arguments; the result is overridable again.
  makeOverridable =
    f: origArgs:
    let
      result = f origArgs;
      overrideWith = newArgs: origArgs // (if isFunction newArgs then newArgs origArgs else newArgs);
      overrideArgs = newArgs: makeOverridable f (overrideWith newArgs);
    in
    if isAttrs result then
      result
      // {
        override = overrideArgs;
        overrideDerivation = throw "nixpkgs stand-in: overrideDerivation is not implemented";
      }
    else if isFunction result then
      {
        override = overrideArgs;
        __functor = _self: result;
      }
    else
      result;

  unique = foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ];

  hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;
  hasSuffix =
    suffix: s:
    let
      ls = stringLength s;
      lx = stringLength suffix;
    in
    lx <= ls && substring (ls - lx) lx s == suffix;

  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  optionalString = cond: s: if cond then s else "";
  optionalAttrs = cond: as: if cond then as else { };

  isDerivation = x: isAttrs x && (x.type or null) == "derivation";

  # lib/customisation.nix: extendDerivation.  `condition` is checked when the derivation is
  # used (its outPath or drvPath), not when its other attributes are read.
  extendDerivation =
    condition: passthru: drv:
    drv
    // passthru
    // {
      outPath = assert condition; drv.outPath;
      drvPath = assert condition; drv.drvPath;
    };

  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if isAttrs set && set ? ${head path} then
      attrByPath (tail path) default set.${head path}
    else
      default;

  recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };

  getAttrFromPath =
    path: set:
    foldl' (
      acc: name:
      if acc ? ${name} then
        acc.${name}
      else
        throw "cannot find attribute `${concatStringsSep "." path}'"
    ) set path;

  makeSearchPath =
    subDir: paths: concatStringsSep ":" (map (p: "${toString p}/${subDir}") (filter (p: p != null) paths));
  makeBinPath = makeSearchPath "bin";

  catAttrs = builtins.catAttrs;

  mapAttrsToList = f: attrs: map (n: f n attrs.${n}) (attrNames attrs);

  filterAttrs =
    pred: set:
    listToAttrs (
      concatLists (
        map (
          name:
          let
            v = set.${name};
          in
          if pred name v then [ { inherit name; value = v; } ] else [ ]
        ) (attrNames set)
      )
    );

  toList = x: if builtins.isList x then x else [ x ];

  last = list: builtins.elemAt list (length list - 1);

  versionAtLeast = v1: v2: builtins.compareVersions v1 v2 >= 0;
  versionOlder = v1: v2: builtins.compareVersions v1 v2 < 0;

  throwIf = cond: msg: if cond then throw msg else (x: x);
  assertMsg = pred: msg: pred || throw msg;

  toLower = builtins.replaceStrings (builtins.genList (i: builtins.substring i 1 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") 26) (builtins.genList (i: builtins.substring i 1 "abcdefghijklmnopqrstuvwxyz") 26);
in
{
  inherit
    assertMsg
    attrByPath
    catAttrs
    composeExtensions
    composeManyExtensions
    concatStringsSep
    elem
    extendDerivation
    extends
    filter
    filterAttrs
    fix
    functionArgs
    getAttrFromPath
    hasPrefix
    hasSuffix
    head
    isDerivation
    last
    makeBinPath
    makeOverridable
    makeSearchPath
    mapAttrs
    mapAttrsToList
    optional
    optionalAttrs
    optionals
    optionalString
    recurseIntoAttrs
    tail
    throwIf
    toList
    toLower
    unique
    versionAtLeast
    versionOlder
    ;
  trivial = {
    version = "standin";
  };
}
