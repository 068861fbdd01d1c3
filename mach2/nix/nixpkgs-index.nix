# The nixpkgs index: every Python package of `pkgs.${python}.pkgs` as JSON, for mach2's
# nixpkgs provider (docs/nixpkgs.md has the format; mach2.providers.nixpkgs.index runs this).
#
#   nix-instantiate --eval --strict --json mach2/nix/nixpkgs-index.nix \
#     --arg pkgs 'import <nixpkgs> { config = { }; overlays = [ ]; }' --argstr python python3
#
# Output: { format = 1; python = "3.12.8"; nixpkgs = { version; revision; };
#           packages = [ { attr; name; version; dependencies = [ attr ]; extras = { x = [ attr ]; }; } ]; }
# sorted by attribute name.
#
# What counts as a package: a derivation (`type = "derivation"`) whose `pythonModule` is an
# interpreter (buildPythonPackage / toPythonModule) other than itself; so functions, `lib`,
# `pkgs`, the interpreter (a module of its own set), `recurseForDerivations` sets and
# applications (`pythonModule = false`) are skipped, and so is anything marked `meta.broken`
# or `meta.available = false`.
#
# Robustness: every attribute is evaluated on its own inside builtins.tryEval (deeply, with
# deepSeq), so aliases that `throw`, failed `assert`s and packages whose fields throw are
# skipped.  tryEval cannot catch every error (a missing attribute, a type error: mach-nix issue
# #514); for those, the caller evaluates `attrs` in halves until the culprit is found and
# skipped (mach2.providers.nixpkgs.index does that).  Only builtins are used here.
{
  pkgs ? import <nixpkgs> { },
  python ? "python3",
  # null: every attribute of the package set; a list: only these (the rest still name
  # dependencies).
  attrs ? null,
}:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    deepSeq
    elemAt
    filter
    head
    isAttrs
    isBool
    isList
    isString
    listToAttrs
    mapAttrs
    match
    parseDrvName
    replaceStrings
    split
    stringLength
    substring
    tryEval
    ;

  interpreter = pkgs.${python};
  set = interpreter.pkgs;

  /**
    `value` forced deeply, or null when that throws (or fails an assert).

    Type: attempt :: a -> a | null

    Example: attempt (throw "removed") => null
  */
  attempt =
    value:
    let
      r = tryEval (deepSeq value value);
    in
    if r.success then r.value else null;

  isDerivation = v: isAttrs v && (v.type or null) == "derivation";

  # A Python module of some interpreter (applications have pythonModule = false), but not the
  # interpreter itself: python-packages-base.nix makes it a module of its own set
  # (`python = toPythonModule python`) and mk-python-derivation.nix has every package propagate
  # it, so it would be a package and everyone's dependency.
  isModule =
    v:
    isDerivation v
    && v ? pythonModule
    && !(isBool v.pythonModule)
    && (v.pythonModule.name or null) != v.name;

  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  toLower = replaceStrings upper lower;

  /**
    PEP 503 normalized project name.

    Type: normalize :: string -> string

    Example: normalize "Zope.Interface_x" => "zope-interface-x"
  */
  normalize = s: toLower (concatStringsSep "-" (filter isString (split "[-_.]+" s)));

  /**
    The PyPI project name in a PyPI download URL (fetchPypi's `mirror://pypi/<l>/<name>/<file>`,
    files.pythonhosted.org/packages/{source,py3,...}/<l>/<name>/<file>), or null.

    Type: pypiNameOfUrl :: string -> string | null

    Example: pypiNameOfUrl "mirror://pypi/D/Django/Django-2.2.8.tar.gz" => "Django"
  */
  pypiNameOfUrl =
    url:
    let
      m = match "(mirror://pypi|https?://files[.]pythonhosted[.]org/packages|https?://pypi[.]python[.]org/packages)/(source/|[a-z0-9.]+/)?([^/])/([^/]+)/[^/]+" url;
      name = elemAt m 3;
    in
    if m == null then null else if toLower (elemAt m 2) == toLower (substring 0 1 name) then name else null;

  srcUrls =
    v:
    let
      src = v.src or null;
      urls = if isAttrs src then src.urls or (if src ? url then [ src.url ] else [ ]) else [ ];
    in
    if isList urls then filter isString urls else [ ];

  # "python3.12-requests-2.32.3" -> "requests" (old derivations without pname).
  nameOfDrvName =
    drvName:
    let
      parsed = (parseDrvName drvName).name;
      m = match "python[0-9.]*-(.*)" parsed;
    in
    if m == null then parsed else head m;

  /**
    The normalized PyPI name of a package: from its PyPI source URL when it has one (the
    attribute's pname can differ: pname "pytorch" for torch), else pname, else its name.

    Type: pypiName :: derivation -> string
  */
  pypiName =
    v:
    let
      fromUrls = filter (n: n != null) (map pypiNameOfUrl (srcUrls v));
      # The URL is read under its own tryEval: a src that throws must not drop the package.
      fromSrc = attempt (if fromUrls == [ ] then null else head fromUrls);
    in
    normalize (if fromSrc != null then fromSrc else v.pname or (nameOfDrvName v.name));

  usable =
    v: isModule v && !(v.meta.broken or false) && (v.meta.available or true) != false;

  # Derivation name -> attribute, over the whole set (the first attribute in sorted order
  # wins; aliases of one derivation share its name).  This is how dependencies, which are
  # derivations, become attributes.
  attrOfDrvName = listToAttrs (
    filter (e: e != null) (
      map (
        attr:
        attempt (
          let
            v = set.${attr};
          in
          if isModule v then
            {
              name = v.name;
              value = attr;
            }
          else
            null
        )
      ) (attrNames set)
    )
  );

  attrsOf =
    drvs:
    let
      found = map (d: if isModule d then attrOfDrvName.${d.name} or null else null) (
        filter isAttrs drvs
      );
    in
    uniq (filter (a: a != null) found);

  uniq =
    list:
    attrNames (
      listToAttrs (
        map (a: {
          name = a;
          value = true;
        }) list
      )
    );

  # The Python dependencies: `propagatedBuildInputs` (nixpkgs' mk-python-derivation adds
  # `dependencies` to it) plus `dependencies` for sets where that is not so.
  dependenciesOf =
    v:
    let
      listOr = x: if isList x then x else [ ];
    in
    attrsOf (listOr (v.propagatedBuildInputs or [ ]) ++ listOr (v.dependencies or [ ]));

  extrasOf =
    v:
    let
      optional = v.optional-dependencies or { };
    in
    if isAttrs optional && !(isDerivation optional) then
      mapAttrs (_: drvs: if isList drvs then attrsOf drvs else [ ]) optional
    else
      { };

  /**
    The index entry of attribute `attr`, or null when it is not a usable Python package or
    any of its fields throws.

    Type: entry :: string -> attrs | null
  */
  entry =
    attr:
    attempt (
      let
        v = set.${attr};
        version = v.version or (parseDrvName v.name).version;
      in
      if !(usable v) || !(isString version) || stringLength version == 0 then
        null
      else
        {
          inherit attr version;
          name = pypiName v;
          dependencies = dependenciesOf v;
          extras = extrasOf v;
        }
    );

  names = if attrs == null then attrNames set else attrs;
in
{
  format = 1;
  python = attempt (interpreter.version or null);
  nixpkgs = {
    version = attempt (pkgs.lib.version or null);
    revision = attempt ((pkgs.lib.trivial.revisionWithDefault or (_: null)) null);
  };
  packages = filter (e: e != null) (map entry names);
}
