# The lock as a python package-set overlay (`final: prev: { <name> = derivation; }`).
# <name> is the lock key (`mach2-build-<key>` for packages needed only to build sdists); a
# nixpkgs package is defined from `prev.<attr>`, so `final.django = prev.django_4` when key and
# attribute differ.
#
# One copy of each Python name: every installed package is defined under its key, also the
# ones nixpkgs' build hooks are made of (packaging, setuptools, wheel, installer, build, ...),
# so nixpkgs' packages in the environment depend on the locked version and a closure never
# holds two (nixpkgs' pythonCatchConflictsHook and buildEnv fail on that).  That cannot recurse
# (mach-nix #529/#564) because the hooks themselves are taken from nixpkgs' own set
# (buildToolHooks): the tools that build a package never depend on the overlay.
#
# Native conda packages (`conda:<name>`, not `noarch: python`) are not Python modules, and
# nixpkgs refuses those in the python set (passthrufun.nix, ensurePythonModules): they are a
# set of their own, `nativePackages`, made from the python set (they may depend on Python
# packages) and handed to the Python packages that depend on them.
#
# Attribute names come from the lock alone (never from `final`/`prev`), so the overlay is
# cheap to evaluate and cannot recurse.  Dependency cycles, which buildPythonPackage's
# propagation cannot express, are broken at their back edges; every installed package is
# selected into the environment explicitly, so a dropped edge loses nothing there.
{
  util,
  packages,
  underscore,
  ...
}:
let
  inherit (builtins)
    attrNames
    filter
    foldl'
    hasAttr
    listToAttrs
    ;
  inherit (util) identifierKey;
  inherit (packages) attrFor mkPackage;

  /**
    Dependency keys of a locked package that are packages of the lock.

    Type: depKeys :: attrs -> string -> [string]
  */
  depKeys =
    lockPackages: key:
    filter (d: hasAttr d lockPackages) (
      map identifierKey (attrNames (lockPackages.${key}.dependencies or { }))
    );

  /**
    The back edges of a depth-first walk over the lock's dependency graph, as an attribute set
    with names "<from> <to>"; removing them leaves the graph acyclic.

    Type: backEdges :: attrs -> attrs
  */
  backEdges =
    lockPackages:
    let
      visit =
        stack: state: node:
        if hasAttr node state.visited then
          state
        else
          let
            stack' = stack // {
              ${node} = true;
            };
            start = state // {
              visited = state.visited // {
                ${node} = true;
              };
            };
          in
          foldl' (
            st: dep:
            if hasAttr dep stack' then
              st
              // {
                back = st.back // {
                  "${node} ${dep}" = true;
                };
              }
            else
              visit stack' st dep
          ) start (depKeys lockPackages node);
    in
    (foldl' (visit { }) {
      visited = { };
      back = { };
    } (attrNames lockPackages)).back;

  /**
    Keys of the packages installed into the environment (all but build-only ones).

    Type: installedKeys :: attrs -> [string]
  */
  installedKeys =
    lockData: filter (k: !(lockData.packages.${k}."build-only" or false)) (attrNames lockData.packages);

  /**
    Whether a lock key is a native conda package (outside the python set).

    Type: isNativeKey :: attrs -> string -> bool
  */
  isNativeKey = lockData: key: packages.conda.isNativePackage key lockData.packages.${key};

  /**
    The installed keys that are Python packages (members of the python set), and the
    installed native ones.

    Type: pythonKeys :: attrs -> [string]
    Type: nativeKeys :: attrs -> [string]
  */
  pythonKeys = lockData: filter (k: !(isNativeKey lockData k)) (installedKeys lockData);
  nativeKeys = lockData: filter (isNativeKey lockData) (installedKeys lockData);

  dependenciesOf =
    lockPackages: back: key:
    filter (dep: !(hasAttr "${key} ${identifierKey dep}" back)) (
      attrNames (lockPackages.${key}.dependencies or { })
    );

  /**
    The native conda packages of a lock, made against the python set `final`; `_` overrides
    naming them apply here (they are not in the python set the `_` overlay changes).

    Type: nativePackages :: { lockData, tests, underscore? } -> attrs -> attrs
  */
  nativePackages =
    {
      lockData,
      tests,
      underscore ? { },
    }:
    final:
    let
      lockPackages = lockData.packages;
      back = backEdges lockPackages;
      natives = listToAttrs (
        map (key: {
          name = key;
          value =
            let
              drv = mkPackage {
                inherit final key tests natives;
                pkg = lockPackages.${key};
                dependencies = dependenciesOf lockPackages back key;
              };
            in
            if underscore ? ${key} then
              overrideUnderscore "_.\"${key}\"" final drv underscore.${key}
            else
              drv;
        }) (filter (isNativeKey lockData) (attrNames lockPackages))
      );
    in
    natives;

  overrideUnderscore = underscore.overridePackage;

  /**
    The overlay for a parsed lock: its Python packages (native conda packages are made on the
    side, see nativePackages).

    `local` = { root; develop; editableRoot; } (packages.nix): where the lock's local paths
    are, and whether editables are development installs (shells).  An editable is defined
    under its key either way, so the set still has one copy of its name.

    Type: lockOverlay :: { lockData, tests, underscore?, basePkgs?, local? } -> (final -> prev -> attrs)
  */
  lockOverlay =
    {
      lockData,
      tests,
      underscore ? { },
      # nixpkgs' own python set (the interpreter's, unmodified): whether an untouched nixpkgs
      # package is still nixpkgs' derivation (packages.nix nixpkgsPackage).
      basePkgs ? null,
      local ? {
        root = null;
        develop = false;
        editableRoot = null;
      },
    }:
    let
      lockPackages = lockData.packages;
      back = backEdges lockPackages;
      keys = filter (k: !(isNativeKey lockData k)) (attrNames lockPackages);
    in
    final: prev:
    let
      natives = nativePackages { inherit lockData tests underscore; } final;
    in
    listToAttrs (
      map (key: {
        name = attrFor key lockPackages.${key};
        value = mkPackage {
          # `prev` is for nixpkgs packages: `prev.<attr>` untouched, or overridden.
          inherit final prev key tests natives basePkgs local;
          pkg = lockPackages.${key};
          dependencies = dependenciesOf lockPackages back key;
        };
      }) keys
    );

  /**
    The hooks of nixpkgs' python set that are made of Python packages (hooks/default.nix:
    pypaBuildHook of build and wheel, pypaInstallHook of installer, pythonRuntimeDepsCheckHook
    of packaging, ...), taken from nixpkgs' own set `basePkgs`, so overriding those packages in
    place never reaches the tools that build the set: no infinite recursion, and nixpkgs'
    packages keep their derivations.

    Type: buildToolHooks :: attrs -> (final -> prev -> attrs)
  */
  buildToolHooks =
    basePkgs: _final: _prev:
    listToAttrs (
      map (name: {
        inherit name;
        value = basePkgs.${name};
      }) (filter (name: hasAttr name basePkgs) buildToolHookNames)
    );

  buildToolHookNames = [
    "eggInstallHook"
    "pipBuildHook"
    "pipInstallHook"
    "pypaBuildHook"
    "pypaInstallHook"
    "pythonRelaxDepsHook"
    "pythonRuntimeDepsCheckHook"
    "setuptoolsBuildHook"
  ];
in
{
  inherit
    backEdges
    buildToolHooks
    installedKeys
    isNativeKey
    lockOverlay
    nativeKeys
    nativePackages
    pythonKeys
    ;
}
