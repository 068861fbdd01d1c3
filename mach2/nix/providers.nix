# The `providers` argument: its canonical string (the lock's `inputs.providers`).
#
# Must produce exactly the string `mach2 lock` stores: package keys PEP 503 normalized
# (`_default` kept; as mach2.providers.order.ProviderOrder does), then
# mach2.lock.model.canonical_providers: keys sorted bytewise, values split on commas (a list
# is taken as is), items stripped, blanks dropped, items joined with ",", entries "key=items"
# joined with ";".
{ util, ... }:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    isAttrs
    isList
    isString
    ;
  inherit (util) describe normalizeName splitOn strip;

  normalizeKeys =
    set:
    builtins.foldl' (
      acc: key:
      let
        k = if key == "_default" then key else normalizeName key;
      in
      if acc ? ${k} then
        throw "mach2: `providers.${key}` names the same package as another entry (both are `${k}` after normalization)"
      else
        acc // { ${k} = set.${key}; }
    ) { } (attrNames set);

  /**
    The provider order as an attribute set with normalized keys: a string or list means
    `_default` only (mach-nix's shorthand), null means none.

    Type: toProviderSet :: (null | string | list | attrs) -> attrs
  */
  toProviderSet =
    providers:
    if providers == null then
      { }
    else if isString providers || isList providers then
      { _default = providers; }
    else if isAttrs providers then
      normalizeKeys providers
    else
      throw "mach2: `providers` must be an attribute set like { _default = \"wheel,sdist\"; numpy = \"conda\"; }, a string or a list, not ${describe providers}";

  items =
    key: value:
    let
      raw =
        if isString value then
          splitOn "," value
        else if isList value then
          map (
            v:
            if isString v then
              v
            else
              throw "mach2: `providers.${key}` must list provider names as strings, not ${describe v}"
          ) value
        else
          throw "mach2: `providers.${key}` must be a string like \"wheel,sdist\" or a list of strings, not ${describe value}";
    in
    filter (i: i != "") (map strip raw);

  /**
    The canonical provider string compared with the lock's `inputs.providers`.

    Type: canonicalProviders :: (null | string | list | attrs) -> string

    Example: canonicalProviders { numpy = "conda"; _default = "wheel, sdist"; }
      => "_default=wheel,sdist;numpy=conda"
  */
  canonicalProviders =
    providers:
    let
      set = toProviderSet providers;
    in
    concatStringsSep ";" (
      map (key: "${key}=${concatStringsSep "," (items key set.${key})}") (attrNames set)
    );

  /**
    Provider order as `key -> [provider]`, for comparing with the lock's effective `providers`.

    Type: providerLists :: (null | string | list | attrs) -> attrs
  */
  providerLists =
    providers:
    let
      set = toProviderSet providers;
    in
    builtins.mapAttrs items set;
in
{
  inherit canonicalProviders providerLists toProviderSet;
}
