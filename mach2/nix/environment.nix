# From mach-nix style arguments to a python package set and an environment:
# lock -> overlay (+ packagesExtra, overridesPre/Post, `_`) -> python.override -> buildEnv.
#
# Every public function (mkPython, mkPythonShell, mkDockerImage, mkOverlay, mkNixpkgs,
# mkPythonOverrides) is one view of `mkEnv`.
{
  pkgs,
  util,
  lock,
  python,
  overlay,
  underscore,
  extra,
  docker,
  defaults,
  ...
}:
let
  inherit (builtins)
    all
    any
    concatStringsSep
    dirOf
    elem
    filter
    isBool
    isFunction
    isList
    isPath
    isString
    substring
    ;
  inherit (util)
    checkArgs
    composeExtensions
    composeManyExtensions
    describe
    identifierKey
    ;

  /**
    The arguments every mk* function takes (mach-nix's surface plus `lockFile`).
  */
  knownArgs = [
    "_"
    "_providerDefaults"
    "editableRoot"
    "ignoreCollisions"
    "lockFile"
    "overridesPost"
    "overridesPre"
    "packagesExtra"
    "postBuild"
    "providers"
    "python"
    "requirements"
    "root"
    "tests"
  ];

  overlayList =
    name: value:
    if isList value && all isFunction value then
      value
    else if isFunction value then
      [ value ]
    else
      throw "mach2: `${name}` must be a list of overlays (final: prev: { ... }), not ${describe value}";

  typed =
    name: check: expected: value:
    if check value then value else throw "mach2: `${name}` must be ${expected}, not ${describe value}";

  /**
    Everything mkPython & co. are views of.

    Type: mkEnv :: string -> (attrs | list) -> attrs
  */
  mkEnv =
    function: givenArgs:
    let
      # mach-nix: `mkPython [ ... ]` means packagesExtra only.
      args = if isList givenArgs then { packagesExtra = givenArgs; } else checkArgs function knownArgs givenArgs;
      requirements = args.requirements or null;
      lockFile = args.lockFile or null;
      hasLock = lockFile != null || requirements != null;
      tests = typed "tests" isBool "true or false" (args.tests or false);
      ignoreCollisions = typed "ignoreCollisions" isBool "true or false" (args.ignoreCollisions or false);
      postBuild = typed "postBuild" isString "a string of shell commands" (args.postBuild or "");

      # The host platform's entries of the lock (a lock of several systems holds each one's).
      rawLock =
        if hasLock then
          lock.forSystem {
            inherit lockFile;
            system = pkgs.stdenv.hostPlatform.system or null;
            lock = lock.readLock lockFile;
          }
        else
          lock.emptyLock;
      interpreter = python.selectPython {
        python = args.python or defaults.python;
        lockData = rawLock;
      };
      lockData =
        if hasLock then
          lock.checkFresh {
            lock = rawLock;
            inherit lockFile requirements;
            providers = args.providers or null;
            providerDefaults = args._providerDefaults or null;
            pythonVersion = interpreter.pythonVersion;
            system = pkgs.stdenv.hostPlatform.system or null;
          }
        else
          rawLock;

      # Where the lock's local paths start (sources.nix): `root`, else the lock's directory.
      root =
        let
          given = args.root or null;
        in
        if given != null then
          (
            if isPath given then
              given
            else if isString given && substring 0 1 given == "/" then
              /. + given
            else
              throw "mach2: `root` must be a path (the directory the lock was written to), not ${describe given}"
          )
        else if isPath lockFile then
          dirOf lockFile
        else if isString lockFile && substring 0 1 lockFile == "/" then
          /. + dirOf lockFile
        else
          null;
      editableRoot = typed "editableRoot" (x: x == null || isString x) "a string such as \"$REPO_ROOT/env\"" (args.editableRoot or null);

      extras = extra.classify (args.packagesExtra or [ ]);
      # Python packages of the lock (members of the python set) and native conda packages
      # (their own set: nixpkgs' python set holds Python modules only).
      lockKeys = overlay.pythonKeys lockData;
      nativeKeys = overlay.nativeKeys lockData;
      extraNames = extra.extraNames extras;
      known = lockKeys ++ nativeKeys ++ extraNames;
      underscoreArg = args._ or { };

      selectPkgs = ps: map (k: ps.${k}) lockKeys ++ map (n: ps.${n}) extraNames;

      # `develop`: the `-e` projects as development installs (the shell), else built.
      overridesFor =
        develop:
        composeManyExtensions (
          overlayList "overridesPre" (args.overridesPre or [ ])
          ++ [
            (overlay.lockOverlay {
              inherit lockData tests;
              underscore = underscoreArg;
              basePkgs = interpreter.pkgs;
              local = { inherit root editableRoot develop; };
            })
            (overlay.buildToolHooks interpreter.pkgs)
            (extra.extraOverlay extras tests interpreter.pkgs)
          ]
          ++ overlayList "overridesPost" (args.overridesPost or [ ])
          ++ [
            (underscore.underscoreOverlay {
              underscore = underscoreArg;
              inherit known;
              natives = nativeKeys;
            })
            # mach-nix compatibility: `python.pkgs.selectPkgs python.pkgs` lists the env's packages.
            (_: _: { inherit selectPkgs; })
          ]
        );
      pythonOverrides = overridesFor false;

      pythonFor =
        overrides:
        let
          self = interpreter.override (old: {
            inherit self;
            packageOverrides = composeExtensions (old.packageOverrides or (_: _: { })) overrides;
          });
        in
        self;
      python' = pythonFor pythonOverrides;

      # The native conda packages, made against the environment's python set; the roots among
      # them are programs of the environment, like non-Python packagesExtra entries.
      nativePackages = overlay.nativePackages {
        inherit lockData tests;
        underscore = underscoreArg;
      } python'.pkgs;
      nativeRoots = map (k: nativePackages.${k}) (
        filter (k: elem k nativeKeys) (map identifierKey (lockData.roots or [ ]))
      );
      programs = extras.other ++ nativeRoots;

      binPath = concatStringsSep ":" (map (p: "${p}/bin") programs);

      envOf =
        python:
        python.buildEnv.override {
          extraLibs = selectPkgs python.pkgs;
          inherit ignoreCollisions postBuild;
          makeWrapperArgs = if programs == [ ] then [ ] else [ "--suffix" "PATH" ":" binPath ];
        };
      env = envOf python';

      # A lock without `-e` projects gives the shell the very environment `env` is.
      hasEditables = any (k: lockData.packages.${k} ? editable) lockKeys;
      shellEnv = if hasEditables then envOf (pythonFor (overridesFor true)) else env;

      shell = pkgs.mkShell {
        name = "mach2-python-shell";
        packages = [ shellEnv ] ++ programs;
      };

      attrName = python.attrName (args.python or defaults.python) interpreter;

      nixpkgsOverlay = _final: prev: {
        ${attrName} = prev.${attrName}.override (old: {
          packageOverrides = composeExtensions (old.packageOverrides or (_: _: { })) pythonOverrides;
        });
      };

      nixpkgs = import pkgs.path {
        system = pkgs.stdenv.hostPlatform.system;
        overlays = (pkgs.overlays or [ ]) ++ [ nixpkgsOverlay ];
        config = pkgs.config or { };
      };

      dockerImage = docker.mkImage {
        inherit env;
        contents = programs;
      };
    in
    {
      inherit
        dockerImage
        env
        lockData
        nativePackages
        nixpkgs
        pythonOverrides
        selectPkgs
        shell
        ;
      overlay = nixpkgsOverlay;
      python = python';
    };

  /**
    The environment, with the other views as attributes (mach-nix's passthru).

    Type: mkPython :: (attrs | list) -> derivation
  */
  mkPython =
    args:
    let
      e = mkEnv "mkPython" args;
    in
    e.env
    // {
      inherit (e)
        dockerImage
        nativePackages
        nixpkgs
        overlay
        python
        pythonOverrides
        selectPkgs
        shell
        ;
      lock = e.lockData;
    };
in
{
  inherit knownArgs mkEnv mkPython;

  /**
    A shell (pkgs.mkShell) with the environment and the extra non-Python packages.

    Type: mkPythonShell :: (attrs | list) -> derivation
  */
  mkPythonShell = args: (mkEnv "mkPythonShell" args).shell;

  /**
    A layered docker image of the environment (dockerTools.buildLayeredImage); override it
    with `.override (old: { name = ...; config.Cmd = [ ... ]; })`: `config` is merged key
    by key over the image's (`Cmd` replaced, `Env` with SSL_CERT_FILE and PATH kept).

    Type: mkDockerImage :: (attrs | list) -> derivation
  */
  mkDockerImage = args: (mkEnv "mkDockerImage" args).dockerImage;

  /**
    A nixpkgs overlay that gives the interpreter's package set the environment's packages.

    Type: mkOverlay :: (attrs | list) -> (final -> prev -> attrs)
  */
  mkOverlay = args: (mkEnv "mkOverlay" args).overlay;

  /**
    nixpkgs re-imported with mkOverlay's overlay.

    Type: mkNixpkgs :: (attrs | list) -> attrs
  */
  mkNixpkgs = args: (mkEnv "mkNixpkgs" args).nixpkgs;

  /**
    The python package-set overlay (for `python.override { packageOverrides = ...; }`).

    Type: mkPythonOverrides :: (attrs | list) -> (final -> prev -> attrs)
  */
  mkPythonOverrides = args: (mkEnv "mkPythonOverrides" args).pythonOverrides;
}
