# Choosing the interpreter: the `python` argument ("python312" or a derivation), or the lock's
# target version when it is not given.
{ pkgs, util, lock, ... }:
let
  inherit (builtins)
    attrNames
    filter
    isAttrs
    isString
    match
    replaceStrings
    toJSON
    ;
  inherit (util) describe didYouMean;

  /**
    "3.12" -> "python312".

    Type: attrForVersion :: string -> string
  */
  attrForVersion = version: "python${replaceStrings [ "." ] [ "" ] version}";

  pythonAttrs = filter (n: match "python[0-9]+" n != null) (attrNames pkgs);

  /**
    The interpreter derivation for the `python` argument.

    Type: selectPython :: { python, lock } -> derivation
  */
  selectPython =
    { python, lockData }:
    let
      target = lockData.target.python or null;
      default = if target == null then "python3" else attrForVersion (lock.majorMinor target);
      name = if python == null then default else python;
    in
    if isString name then
      if pkgs ? ${name} then
        pkgs.${name}
      else
        throw "mach2: `python = ${toJSON name}` is not an interpreter of this nixpkgs${didYouMean name pythonAttrs}${
          if python == null then " (chosen from the lock's target Python ${target}; pass `python` to choose another)" else ""
        }"
    else if isAttrs name && name ? pythonVersion then
      name
    else
      throw "mach2: `python` must be an attribute name like \"python312\" or a Python interpreter derivation, not ${describe name}";

  /**
    The attribute name of an interpreter in nixpkgs (for mkOverlay).

    Type: attrName :: (string | derivation) -> derivation -> string
  */
  attrName =
    python: interpreter:
    if isString python then python else interpreter.pythonAttr or (attrForVersion interpreter.pythonVersion);
in
{
  inherit attrForVersion attrName selectPython;
}
