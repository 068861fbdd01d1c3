# Small helpers shared by the other files: strings, names, overlays, argument checks.
#
# Only builtins are used here, so the library needs very little of nixpkgs' `lib`
# (the nixpkgs stand-in in tests/ implements only what is used).
{ ... }:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elemAt
    filter
    pathExists
    foldl'
    genList
    head
    isAttrs
    isList
    isString
    length
    match
    replaceStrings
    sort
    split
    stringLength
    substring
    tail
    typeOf
    ;

  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];

  /**
    Lower-case ASCII letters.

    Type: toLower :: string -> string
  */
  toLower = replaceStrings upper lower;

  /**
    Drop leading and trailing whitespace (space, tab, newline, carriage return).

    Type: strip :: string -> string

    Example: strip "  wheel " => "wheel"
  */
  strip =
    s:
    let
      m = match "[ \t\r\n]*(.*[^ \t\r\n])[ \t\r\n]*" s;
    in
    if m == null then "" else head m;

  /**
    Split a string on a separator regex, keeping only the pieces (not the matches).

    Type: splitOn :: string -> string -> [string]
  */
  splitOn = regex: s: filter isString (split regex s);

  /**
    PEP 503 name normalization: lower case, runs of `-`, `_` and `.` become one `-`.

    Type: normalizeName :: string -> string

    Example: normalizeName "Foo.Bar__baz" => "foo-bar-baz"
  */
  normalizeName = name: toLower (concatStringsSep "-" (splitOn "[-_.]+" name));

  /**
    The package key of a resolver identifier: `celery[redis]` -> `celery`.

    Type: identifierKey :: string -> string
  */
  identifierKey =
    identifier:
    let
      m = match "([^[]*)\\[.*" identifier;
    in
    packageKey (strip (if m == null then identifier else head m));

  /**
    The lock key of a package name: PEP 503 normalized, except conda-only packages
    (`conda:_openmp_mutex`), whose conda names are kept as written.

    Type: packageKey :: string -> string

    Example: packageKey "conda:_openmp_mutex" => "conda:_openmp_mutex"
  */
  packageKey = name: if match "conda:.*" name != null then name else normalizeName name;

  /**
    One of mach2's standard-library-only scripts (patchelf apply, conda install), a file of
    the library directory, as a store path with a fixed name: every copy of the library (the
    source tree, pip's installed package, an env directory, the flake) gives the same path.

    Type: bundledScript :: string -> string -> path -> path
  */
  bundledScript =
    name: what: file:
    if !(pathExists file) then
      throw "mach2: the ${what} script ${toString file} is missing from mach2's Nix library directory; copy the whole directory (it is self-contained) or re-run `mach2 env`"
    else
      builtins.path {
        inherit name;
        path = file;
      };

  /**
    Compose two python package-set overlays (`final: prev: attrs`), left first.

    Type: composeExtensions :: overlay -> overlay -> overlay
  */
  composeExtensions =
    f: g: final: prev:
    let
      fApplied = f final prev;
      prev' = prev // fApplied;
    in
    fApplied // g final prev';

  /**
    Compose a list of overlays, first element first.

    Type: composeManyExtensions :: [overlay] -> overlay
  */
  composeManyExtensions = foldl' composeExtensions (_: _: { });

  /**
    Levenshtein distance (small strings only: argument and package names).

    Type: editDistance :: string -> string -> int
  */
  editDistance =
    a: b:
    let
      la = stringLength a;
      lb = stringLength b;
      charA = i: substring i 1 a;
      charB = j: substring j 1 b;
      min3 =
        x: y: z:
        let
          m = if x < y then x else y;
        in
        if m < z then m else z;
      # One row of the dynamic programme per character of `a`.
      step =
        prevRow: i:
        foldl' (
          row: j:
          row
          ++ [
            (min3 (elemAt prevRow (j + 1) + 1) (elemAt row j + 1) (
              elemAt prevRow j + (if charA i == charB j then 0 else 1)
            ))
          ]
        ) [ (i + 1) ] (genList (j: j) lb);
      lastRow = foldl' step (genList (j: j) (lb + 1)) (genList (i: i) la);
    in
    elemAt lastRow lb;

  /**
    The candidates closest to `name` (distance at most 2, or a case/separator variant).

    Type: suggest :: string -> [string] -> [string]
  */
  suggest =
    name: candidates:
    let
      scored = map (c: {
        name = c;
        distance = if normalizeName c == normalizeName name then 0 else editDistance name c;
      }) candidates;
      close = filter (s: s.distance <= 2) scored;
    in
    map (s: s.name) (sort (x: y: x.distance < y.distance) close);

  /**
    " (did you mean `x`?)" or "".

    Type: didYouMean :: string -> [string] -> string
  */
  didYouMean =
    name: candidates:
    let
      s = suggest name candidates;
    in
    if s == [ ] then "" else " (did you mean `${head s}`?)";

  /**
    Throw when `args` has a key outside `known`, naming it; otherwise return `args`.

    Type: checkArgs :: string -> [string] -> attrs -> attrs
  */
  checkArgs =
    function: known: args:
    let
      unknown = filter (k: !(builtins.elem k known)) (attrNames args);
      first = head unknown;
    in
    if unknown == [ ] then
      args
    else
      throw "mach2.${function}: unknown argument `${first}`${didYouMean first known}; known arguments: ${concatStringsSep ", " known}";

  /**
    Whether a value is a derivation.

    Type: isDerivation :: any -> bool
  */
  isDerivation = x: isAttrs x && (x.type or null) == "derivation";

  /**
    Look up a dotted attribute path ("stdenv.cc.cc.lib") in an attribute set, or throw naming
    the path and `what` needed it.

    Type: getAttrPath :: string -> string -> attrs -> any
  */
  getAttrPath =
    what: path: set:
    let
      go =
        value: parts: done:
        if parts == [ ] then
          value
        else if isAttrs value && value ? ${head parts} then
          go value.${head parts} (tail parts) (done ++ [ (head parts) ])
        else
          throw "mach2: ${what} needs `pkgs.${path}`, but `pkgs.${concatStringsSep "." (done ++ [ (head parts) ])}` does not exist in this nixpkgs";
    in
    go set (splitOn "\\." path) [ ];

  /**
    A short description of a Nix value for error messages.

    Type: describe :: any -> string
  */
  describe =
    x:
    if isString x then
      "\"${x}\""
    else if isDerivation x then
      "derivation ${x.name or "?"}"
    else if isList x then
      "a list of ${toString (length x)}"
    else
      "a ${typeOf x}";
in
{
  inherit
    bundledScript
    checkArgs
    composeExtensions
    composeManyExtensions
    describe
    didYouMean
    editDistance
    getAttrPath
    identifierKey
    isDerivation
    normalizeName
    packageKey
    splitOn
    strip
    suggest
    toLower
    ;
}
