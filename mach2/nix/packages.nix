# One locked package -> one derivation, per provider, following the nixpkgs contract
# (DESIGN.md §5, implementation.md "Nix library"):
#
#   wheel  buildPythonPackage { format = "wheel"; dontStrip; autoPatchelfHook; buildInputs from
#          the lock's patchelf plan; dontCheckRuntimeDeps; doCheck = tests; }
#   sdist  buildPythonPackage { pyproject = true; build-system = the locked backends; ... }
#   conda, nixpkgs: not implemented yet -- evaluating such a package fails loudly.
{ pkgs, util, ... }:
let
  inherit (builtins)
    attrNames
    elem
    hasAttr
    isAttrs
    isList
    isString
    match
    toJSON
    ;
  inherit (util) describe getAttrPath identifierKey;

  isLinux = pkgs.stdenv.hostPlatform.isLinux or false;

  /**
    Packages nixpkgs' own build hooks are made of (mk-python-derivation.nix: isBootstrapPackage,
    isSetuptoolsDependency, plus pip and tomli).  mach2 never overrides them in place
    (mach-nix issues #529/#564: infinite recursion); their locked versions live beside them
    as `mach2-<name>`.

    Type: bootstrapNames :: [string]
  */
  bootstrapNames = [
    "build"
    "flit-core"
    "installer"
    "packaging"
    "pip"
    "pyproject-hooks"
    "setuptools"
    "tomli"
    "wheel"
  ];

  /**
    The attribute of the python package set that holds the locked package `key`.

    Type: attrFor :: string -> string
  */
  attrFor = key: if elem key bootstrapNames then "mach2-${key}" else key;

  /**
    Fetch a locked artifact (Nix checks the sha256).

    Type: fetchArtifact :: string -> attrs -> derivation
  */
  fetchArtifact =
    key: artifact:
    let
      url = artifact.url or (throw "mach2: locked package `${key}` has no `artifact.url`");
      sha256 = artifact.sha256 or (throw "mach2: locked package `${key}` has no `artifact.sha256`");
      m = match ".*/([^/?#]+)([?#].*)?" url;
      filename = artifact.filename or (if m == null then url else builtins.head m);
    in
    pkgs.fetchurl {
      inherit url sha256;
      # The name must keep the original filename: the wheel installer reads its tags.
      name = filename;
    };

  planList =
    key: pkg: field:
    let
      plan = pkg.patchelf or { };
      value = plan.${field} or [ ];
    in
    if !(isAttrs plan) then
      throw "mach2: locked package `${key}`: `patchelf` must be an object, not ${describe plan}"
    else if !(isList value) then
      throw "mach2: locked package `${key}`: `patchelf.${field}` must be a list, not ${describe value}"
    else
      value;

  /**
    Native libraries of a wheel, from the lock's patch plan: nixpkgs attribute paths such as
    "zlib" or "stdenv.cc.cc.lib" in `patchelf.attrs` (mach2.patchelf.plan's field) or
    `patchelf.libraries`.

    Type: planLibraries :: string -> attrs -> [derivation]
  */
  planLibraries =
    key: pkg:
    map (path: getAttrPath "locked package `${key}` (its patch plan)" path pkgs) (
      planList key pkg "attrs" ++ planList key pkg "libraries"
    );

  /**
    Shell commands adding the site-packages of sibling wheels (`patchelf.siblings`, e.g. the
    nvidia-* wheels torch loads libraries from) to autoPatchelf's search path.

    Type: siblingSearchPath :: attrs -> string -> attrs -> string
  */
  siblingSearchPath =
    final: key: pkg:
    builtins.concatStringsSep "" (
      map (
        sibling:
        let
          attr = attrFor (identifierKey sibling);
        in
        if hasAttr attr final then
          "addAutoPatchelfSearchPath ${final.${attr}}/${final.python.sitePackages}\n"
        else
          throw "mach2: locked package `${key}` loads libraries of `${sibling}`, which is not in the lock"
      ) (planList key pkg "siblings")
    );

  ignoreMissing = pkg: (pkg.patchelf or { })."ignore-missing" or [ ];

  /**
    The python-set attributes of a list of lock keys, minus the `skip` ones (cycle edges).

    Type: lookup :: attrs -> string -> string -> [string] -> [derivation]
  */
  lookup =
    final: what: key: keys:
    map (
      dep:
      let
        attr = attrFor (identifierKey dep);
      in
      if hasAttr attr final then
        final.${attr}
      else
        throw "mach2: locked package `${key}` needs `${dep}` (${what}), which is neither in the lock nor in the python package set"
    ) keys;

  common =
    {
      final,
      key,
      pkg,
      dependencies,
      tests,
    }:
    {
      pname = key;
      version = pkg.version or (throw "mach2: locked package `${key}` has no `version`");
      src = fetchArtifact key pkg.artifact;
      dependencies = lookup final "a dependency" key dependencies;
      # Mixed providers trip nixpkgs' runtime-deps check; the lock already resolved them.
      dontCheckRuntimeDeps = true;
      doCheck = tests;
      passthru.mach2 = {
        inherit key;
        provider = pkg.provider;
        why = pkg."why-provider" or "";
      };
    };

  wheel =
    args@{ key, pkg, ... }:
    args.final.buildPythonPackage (
      common args
      // {
        format = "wheel";
        # Stripping breaks manylinux libraries (mach-nix learned this the hard way).
        dontStrip = true;
        nativeBuildInputs = if isLinux then [ pkgs.autoPatchelfHook ] else [ ];
        buildInputs = if isLinux then planLibraries key pkg else [ ];
      }
      // (
        let
          search = siblingSearchPath args.final key pkg;
        in
        if isLinux && search != "" then { preFixup = search; } else { }
      )
      // (if ignoreMissing pkg == [ ] then { } else { autoPatchelfIgnoreMissingDeps = ignoreMissing pkg; })
    );

  sdist =
    args@{ key, pkg, final, ... }:
    final.buildPythonPackage (
      common args
      // {
        pyproject = true;
        build-system = lookup final "to build the sdist" key (attrNames (pkg."build-system" or { }));
      }
    );

  notYet =
    provider: key:
    throw "mach2: provider ${provider} for ${key} is not supported by this mach2 Nix library yet; lock ${key} with another provider (e.g. -p '${key}=wheel,sdist')";

  /**
    The derivation for locked package `key` in the python set `final`.

    Type: mkPackage :: { final, key, pkg, dependencies, tests } -> derivation
  */
  mkPackage =
    args@{ key, pkg, ... }:
    let
      provider = pkg.provider or (throw "mach2: locked package `${key}` has no `provider`");
      kind = pkg.artifact.kind or (throw "mach2: locked package `${key}` has no `artifact.kind`");
      providerName = if isString provider then provider else toJSON provider;
    in
    if provider == "wheel" then
      wheel args
    else if provider == "sdist" then
      sdist args
    else if provider == "nixpkgs" || match "conda(/.*)?" providerName != null then
      notYet providerName key
    else if provider == "url" || kind == "url" then
      (
        if match ".*\\.whl" (pkg.artifact.filename or pkg.artifact.url or "") != null then
          wheel args
        else
          sdist args
      )
    else
      throw "mach2: locked package `${key}` has unknown provider ${toJSON provider} (known: wheel, sdist, conda, nixpkgs)";
in
{
  inherit
    attrFor
    bootstrapNames
    fetchArtifact
    mkPackage
    planLibraries
    ;
}
