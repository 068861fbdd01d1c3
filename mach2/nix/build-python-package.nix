# mach2's buildPythonPackage / buildPythonApplication: build a local or fetched Python project
# against a locked environment.
#
#   buildPythonPackage ./project                    # name, version, deps from pyproject.toml
#   buildPythonPackage { src = ./project; requirements = builtins.readFile ./requirements.txt;
#                        lockFile = ./mach2.lock; }   # deps = the lock's roots
#   buildPythonApplication { src = ./.; lockFile = ./mach2.lock; }
#                        # a lock of the project itself (mach2 lock -r pyproject.toml, --project):
#                        # deps = the project's locked dependencies
#
# Any argument that is not one of mkPython's goes to nixpkgs' builder unchanged.  The result
# remembers how it was made (passthru.mach2Source), so `packagesExtra = [ it ]` rebuilds it
# inside another environment's package set.  mach-nix extracted requirements by running
# setup.py at evaluation time (import-from-derivation); mach2 reads static PEP 621 metadata
# only and otherwise takes the requirements from the lock.
{ util, environment, extra, ... }:
let
  inherit (builtins)
    attrNames
    fetchTarball
    intersectAttrs
    isPath
    isString
    listToAttrs
    match
    ;
  inherit (util) identifierKey isDerivation;

  mach2Args = environment.knownArgs ++ [ "extras" ];

  unique = list: builtins.attrNames (listToAttrs (map (n: { name = n; value = null; }) list));

  build =
    function: application: given:
    let
      args =
        if isPath given || isString given || isDerivation given then
          { src = given; }
        else if given ? requirementsExtra then
          throw "mach2.${function}: `requirementsExtra` is not supported: requirements are locked, so add them to the requirements file and run `mach2 lock`"
        else
          given;
      envArgs = intersectAttrs (listToAttrs (map (n: { name = n; value = null; }) mach2Args)) args;
      builderArgs = removeAttrs args (mach2Args ++ [ "src" ]);
      rawSrc = args.src or (throw "mach2.${function}: `src` is missing");
      src = if isString rawSrc && match "https?://.*" rawSrc != null then fetchTarball rawSrc else rawSrc;
      e = environment.mkEnv function (removeAttrs envArgs [ "extras" ]);
      hasLock = (args.requirements or null) != null || (args.lockFile or null) != null;
      spec = extra.sourceSpec {
        inherit src;
        args = builderArgs;
        extras = args.extras or [ ];
        where = "mach2.${function}";
      };
      roots = map identifierKey e.lockData.roots;
      # A lock made from the project itself (`mach2 lock -r pyproject.toml` with a
      # [build-system], `--project`) holds it as a package: its dependencies are that entry's.
      itself = e.lockData.packages.${spec.name} or null;
      lockedKeys =
        if itself != null then
          unique (map identifierKey (attrNames (itself.dependencies or { })))
        else
          builtins.filter (n: n != spec.name) (unique roots);
      # Those that are native conda packages are not Python modules: propagated inputs.
      isNative = k: e.nativePackages ? ${k};
      nativeDeps = if hasLock then builtins.filter isNative lockedKeys else [ ];
      spec' = spec // {
        inherit application;
        dependencyNames =
          if hasLock then builtins.filter (k: !(isNative k)) lockedKeys else spec.dependencyNames;
        builderArgs = spec.builderArgs // {
          propagatedBuildInputs =
            (spec.builderArgs.propagatedBuildInputs or [ ]) ++ map (k: e.nativePackages.${k}) nativeDeps;
        };
      };
    in
    extra.instantiate e.python.pkgs (args.tests or false) "mach2.${function}" spec';
in
{
  /**
    Type: buildPythonPackage :: (path | string | derivation | attrs) -> derivation
  */
  buildPythonPackage = build "buildPythonPackage" false;

  /**
    Type: buildPythonApplication :: (path | string | derivation | attrs) -> derivation
  */
  buildPythonApplication = build "buildPythonApplication" true;
}
