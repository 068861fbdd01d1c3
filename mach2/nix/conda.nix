# Locked conda packages -> derivations (docs/conda.md, implementation.md "Nix library").
#
# Imported by packages.nix, whose mkPackage hands it every package with provider `conda` or
# `conda/<channel>`.  Lock keys are PyPI names (numpy) or `conda:<conda name>` (libgcc-ng,
# _openmp_mutex); `artifact` = { kind = "conda"; filename; url; sha256; size; channel;
# subdir; conda-name; build; md5?; noarch?; }.
#
#   src      fetchurl { url; sha256; name = filename; } -- Nix checks the hash; a local
#            channel's file:// URL with builtins.fetchurl (see fetchConda); a record without
#            sha256 (md5 only) is refused at evaluation.
#   install  mach2's conda install script (./conda_install.py, standard library only) run
#            with the build platform's Python: checks the sha256 again, unpacks `.conda` (zip + zstd, with
#            pkgs.zstd) or `.tar.bz2` refusing anything that would leave $out (absolute
#            names, `..`, symlinks out, hard links out, devices), replaces the prefix
#            placeholders with $out, lays `noarch: python` packages out in python.sitePackages
#            (entry points with the interpreter as shebang), moves info/ to
#            nix-support/conda/info, writes conda-meta/<dist>.json and a patch plan.
#   patch    postFixup: mach2's patchelf apply script (./patchelf_apply.py) executes that
#            plan: RUNPATH = the package's own `$ORIGIN` entries, then the lib/ directory of
#            each conda dependency (recursively, through propagated-build-inputs) or
#            buildInputs entry holding a needed soname; a soname found nowhere fails the build
#            naming the package, file and soname.  Executables get $NIX_CC's loader.
#
# Python packages (a PyPI key, or any `noarch: python` package) are buildPythonPackage with
# `pyproject = false` (own phases), so environments link them; other conda packages are
# plain stdenv derivations that propagate their conda dependencies.  Those are not members of
# the python package set (nixpkgs' ensurePythonModules refuses derivations there that are not
# Python modules, passthrufun.nix): they form their own set, `natives` (overlay.nix), which
# the Python packages' dependencies are looked up in.  Environments do not link them (the
# RUNPATHs of the packages that need them point at their lib/), but put the roots among them
# on PATH.
{
  pkgs,
  util,
  attrIn,
  fetchArtifact,
  applyScript,
  shellQuote,
  libraryWalk,
}:
let
  inherit (builtins)
    concatStringsSep
    hasAttr
    isAttrs
    isString
    match
    replaceStrings
    ;
  inherit (util) describe identifierKey;

  /**
    mach2's conda install script (standard library only), a file of this directory.  The
    store name is fixed, so every copy of the library gives the same derivations.

    Type: installScript :: path
  */
  installScript = util.bundledScript "mach2-conda-install.py" "conda install" ./conda_install.py;

  /**
    Whether a lock key is a conda-only package (`conda:<name>`).

    Type: isNative :: string -> bool
  */
  isNative = key: match "conda:.*" key != null;

  /**
    The attribute of a dependency key in the python set `final` (packages.nix's attrIn);
    `conda:<name>` keys keep their name (conda names are not PEP 503-normalized:
    `conda:_openmp_mutex`) and are looked up in the natives' set.

    Type: dependencyAttr :: attrs -> string -> string
  */
  dependencyAttr = final: dep: if isNative dep then dep else attrIn final (identifierKey dep);

  /**
    Whether a locked package is a native conda package: a `conda:<name>` key that is not
    `noarch: python`.  These are not Python modules and live outside the python set.

    Type: isNativePackage :: string -> attrs -> bool
  */
  isNativePackage =
    key: pkg: isNative key && (if isAttrs (pkg.artifact or null) then pkg.artifact.noarch or null else null) != "python";

  /**
    A string usable in a store path name: conda versions may hold `!` (epochs), keys `:`.

    Type: storeName :: string -> string

    Example: storeName "conda:_openmp_mutex" => "conda-_openmp_mutex"
  */
  storeName = replaceStrings [ ":" "!" "/" " " ] [ "-" "_" "-" "-" ];

  /**
    The checked `artifact` of a locked conda package.

    Type: condaArtifact :: string -> attrs -> attrs
  */
  condaArtifact =
    key: pkg:
    let
      artifact = pkg.artifact or null;
      filename = artifact.filename or "";
      channel = artifact.channel or "?";
    in
    if !(isAttrs artifact) then
      throw "mach2: locked conda package `${key}` has no `artifact` object (${describe artifact}); re-create the lock with `mach2 lock`"
    else if (artifact.kind or null) != "conda" then
      throw "mach2: locked package `${key}` has provider ${pkg.provider} but artifact kind ${describe (artifact.kind or null)} (expected \"conda\"); re-create the lock with `mach2 lock`"
    else if match ".*\\.(conda|tar\\.bz2)" filename == null then
      throw "mach2: locked conda package `${key}`: `artifact.filename` ${describe filename} is not a .conda or .tar.bz2 file"
    else if !(isString (artifact.sha256 or null)) || artifact.sha256 == "" then
      throw "mach2: locked conda package `${key}` (${filename} from channel ${channel}) has no sha256 (md5 only): Nix needs a sha256 to fetch it; re-create the lock with `mach2 lock` (it refuses md5-only records) or take `${key}` from another provider"
    else
      artifact;

  /**
    The package file.  Channel URLs: `fetchurl` (a fixed-output derivation; Nix checks the
    sha256).  A local channel's `file://` URLs: `builtins.fetchurl` at evaluation time (also
    hash-checked, allowed in pure evaluation, no import-from-derivation): a fixed-output
    derivation runs as a build user, usually in a sandbox, and cannot read the user's files.
    Both give the same store path.

    Type: fetchConda :: string -> attrs -> path
  */
  fetchConda =
    key: artifact:
    if match "file://.*" (artifact.url or "") != null then
      builtins.fetchurl {
        inherit (artifact) url sha256;
        name = artifact.filename;
      }
    else
      fetchArtifact key artifact;

  /**
    Whether the package is built as a Python module (linked into environments): a PyPI
    project, or a `noarch: python` package of the conda-only namespace.

    Type: isPythonPackage :: string -> attrs -> bool
  */
  isPythonPackage = key: artifact: !(isNative key) || (artifact.noarch or null) == "python";

  # Shell commands: the install script (installPhase), then the patch plan (postFixup).
  installCommands =
    {
      final,
      key,
      artifact,
      python,
    }:
    let
      buildPython = final.python.pythonOnBuildForHost or final.python;
      zstd = pkgs.zstd.bin or pkgs.zstd;
      isConda = match ".*\\.conda" artifact.filename != null;
      q = shellQuote;
    in
    ''
      runHook preInstall
      ${buildPython.interpreter} -I ${installScript} \
        --archive "$src" --out "$out" \
        --filename ${q artifact.filename} --sha256 ${q artifact.sha256} --name ${q key} \
        --plan "$NIX_BUILD_TOP/mach2-conda-plan.json"${
          if isConda then " \\\n  --zstd ${zstd}/bin/zstd" else ""
        }${
          if isString (artifact.noarch or null) then " \\\n  --noarch ${q artifact.noarch}" else ""
        }${
          if python then
            " \\\n  --site-packages ${q final.python.sitePackages} --python ${q final.python.interpreter}"
          else
            ""
        }
      runHook postInstall
    '';

  patchCommands =
    { final, key }:
    let
      buildPython = final.python.pythonOnBuildForHost or final.python;
    in
    ''
      mach2CondaPatch() {
        local libraryPath=""
        ${libraryWalk}
        # The conda dependencies first (what the package was built against), then buildInputs.
        mach2AddLibraries ''${propagatedBuildInputs-} ''${buildInputs-}
        echo "mach2: patching the conda package ${key} (RUNPATHs into /nix/store)"
        ${buildPython.interpreter} -I ${applyScript} --plan "$NIX_BUILD_TOP/mach2-conda-plan.json" \
          --site-packages "$out" --library-path "$libraryPath" \
          --patchelf ${pkgs.patchelf}/bin/patchelf "''${interpreter[@]}"
      }
      mach2CondaPatch
    '';

  /**
    The dependencies of a locked conda package in the python set `final`.

    Type: lookupDependencies :: attrs -> attrs -> string -> [string] -> [derivation]
  */
  lookupDependencies =
    final: natives: key: deps:
    map (
      dep:
      let
        attr = dependencyAttr final dep;
      in
      if hasAttr attr natives then
        natives.${attr}
      else if hasAttr attr final then
        final.${attr}
      else
        throw "mach2: locked conda package `${key}` needs `${dep}`, which is neither in the lock nor in the python package set"
    ) deps;

  /**
    The derivation of a locked conda package (see the top of this file).

    Type: condaPackage :: { final, natives, key, pkg, dependencies, tests, ... } -> derivation
  */
  condaPackage =
    {
      final,
      key,
      pkg,
      dependencies,
      tests,
      natives ? { },
      ...
    }:
    let
      artifact = condaArtifact key pkg;
      python = isPythonPackage key artifact;
      version = pkg.version or (throw "mach2: locked package `${key}` has no `version`");
      isConda = match ".*\\.conda" artifact.filename != null;
      common = {
        version = storeName version;
        src = fetchConda key artifact;
        nativeBuildInputs = [ pkgs.patchelf ] ++ (if isConda then [ (pkgs.zstd.bin or pkgs.zstd) ] else [ ]);
        # Stripping breaks some conda libraries, and they are stripped already; the RUNPATHs
        # are the plan's (stdenv's shrink-rpath would run before it and change what the
        # plan compares with).
        dontStrip = true;
        dontPatchELF = true;
        dontConfigure = true;
        dontBuild = true;
        # Nothing to unpack: the install script reads $src itself.
        unpackPhase = ''
          runHook preUnpack
          runHook postUnpack
        '';
        installPhase = installCommands {
          inherit final key artifact python;
        };
        postFixup = patchCommands { inherit final key; };
        passthru.mach2 = {
          inherit key;
          provider = pkg.provider;
          why = pkg."why-provider" or "";
          conda = {
            name = artifact."conda-name" or pkg.name or key;
            inherit version;
            build = artifact.build or null;
            channel = artifact.channel or null;
            subdir = artifact.subdir or null;
            inherit (artifact) filename;
          };
        };
      };
      deps = lookupDependencies final natives key dependencies;
    in
    if python then
      final.buildPythonPackage (
        common
        // {
          pname = storeName key;
          # Own phases (nixpkgs' format = "other"): no wheel/PEP 517 hooks.
          pyproject = false;
          dependencies = deps;
          dontCheckRuntimeDeps = true;
          doCheck = tests;
        }
      )
    else
      pkgs.stdenv.mkDerivation (
        common
        // {
          pname = storeName (
            "conda-" + (artifact."conda-name" or pkg.name or (builtins.substring 6 (-1) key))
          );
          # Their RUNPATHs name these, and packages that need this one find them through it.
          propagatedBuildInputs = deps;
        }
      );
in
{
  inherit
    condaArtifact
    condaPackage
    dependencyAttr
    fetchConda
    installScript
    isNative
    isNativePackage
    isPythonPackage
    lookupDependencies
    storeName
    ;
}
