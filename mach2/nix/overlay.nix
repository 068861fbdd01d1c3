# The lock as a python package-set overlay (`final: prev: { <name> = derivation; }`).
# <name> is the lock key (`mach2-<key>` for bootstrap packages); a nixpkgs package is defined
# from `prev.<attr>`, so `final.django = prev.django_4` when key and attribute differ.
#
# Attribute names come from the lock alone (never from `final`/`prev`), so the overlay is
# cheap to evaluate and cannot recurse.  Dependency cycles, which buildPythonPackage's
# propagation cannot express, are broken at their back edges; every installed package is
# selected into the environment explicitly, so a dropped edge loses nothing there.
{ util, packages, ... }:
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
    The overlay for a parsed lock.

    `local` = { root; develop; editableRoot; } (packages.nix): where the lock's local paths
    are, and whether editables are development installs (shells).

    Type: lockOverlay :: { lockData, tests, local? } -> (final -> prev -> attrs)
  */
  lockOverlay =
    {
      lockData,
      tests,
      local ? {
        root = null;
        develop = false;
        editableRoot = null;
      },
    }:
    let
      lockPackages = lockData.packages;
      back = backEdges lockPackages;
      keys = attrNames lockPackages;
      dependenciesOf =
        key:
        filter (dep: !(hasAttr "${key} ${identifierKey dep}" back)) (
          attrNames (lockPackages.${key}.dependencies or { })
        );
    in
    final: prev:
    listToAttrs (
      map (key: {
        name = attrFor key;
        value = mkPackage {
          # `prev` is for nixpkgs packages: `prev.<attr>` untouched, or overridden.
          inherit final prev key tests local;
          pkg = lockPackages.${key};
          dependencies = dependenciesOf key;
        };
      }) keys
    );
in
{
  inherit backEdges installedKeys lockOverlay;
}
