# One locked package -> one derivation, per provider, following the nixpkgs contract
# (implementation.md, "Nix library" and "The contract with nixpkgs"):
#
#   wheel  buildPythonPackage { format = "wheel"; dontStrip; dontCheckRuntimeDeps; doCheck = tests;
#          buildInputs = the nixpkgs libraries of the lock's patch plan; }
#          With a full plan (`patchelf.files`, what `mach2 lock` writes): postFixup runs
#          mach2's patchelf apply script (./patchelf_apply.py) on the installed files, which
#          sets each ELF file's RUNPATH to the plan's $ORIGIN entries plus the /nix/store
#          directories holding its libraries; nativeBuildInputs = [ patchelf ].
#          Without one (hand-written `{ attrs = [...]; }`, or no plan): autoPatchelfHook.
#          macOS: no ELF patching; a wheel with a `macho` plan (a library from outside the
#          wheel) has its links pointed at /nix/store by macho.nix.
#   sdist  buildPythonPackage { pyproject = true; build-system = the locked backends; ... }
#   nixpkgs  (docs/nixpkgs.md §5) `prev.<attr>` itself when this nixpkgs has the locked version
#          (same .drv, a binary-cache hit); else `prev.<attr>.overridePythonAttrs` with the
#          lock's version, src and Python dependencies (native inputs, patches, phases kept).
#   conda  conda.nix: the package unpacked safely by mach2's conda install script, placeholders
#          replaced, `noarch: python` laid out in site-packages, ELF files patched by the
#          apply script against the conda dependencies' lib/ (and buildInputs).  Python
#          packages are buildPythonPackage { pyproject = false; }, `conda:<name>` packages
#          plain derivations.
#   git, path  built like an sdist from a git checkout or a local directory (sources.nix);
#          in a shell (`local.develop`), a `path` package with an `editable` record is a
#          development install instead (editable.nix).
#   A wheel or sdist with `artifact.path` is a local file (sources.nix: hash-checked).
#
# `local` = { root; develop; editableRoot; }: the directory the lock's paths are relative to,
# whether editables are installed in development mode, and their working tree's root.
{
  pkgs,
  util,
  fixes,
  macho,
  sources,
  editable,
  ...
}:
let
  inherit (builtins)
    attrNames
    baseNameOf
    concatStringsSep
    elem
    filter
    foldl'
    hasAttr
    isAttrs
    isBool
    isList
    isString
    match
    replaceStrings
    toJSON
    ;
  inherit (util) bundledScript describe getAttrPath identifierKey splitOn;

  isLinux = pkgs.stdenv.hostPlatform.isLinux or false;
  isDarwin = pkgs.stdenv.hostPlatform.isDarwin or false;

  /**
    The attribute of the python package set that holds locked package `key`: the key itself,
    so the set has one copy of each name (nixpkgs' packages that depend on it get the locked
    one; that includes the packages nixpkgs' build hooks are made of, whose hooks come from
    nixpkgs' own set, see overlay.nix buildToolHooks).  Packages the lock needs only to build
    its sdists ("build-only") sit beside nixpkgs' as `mach2-build-<key>`: they are in no
    runtime closure, and nixpkgs' packages keep building with nixpkgs' tools.

    Type: attrFor :: string -> attrs -> string
  */
  attrFor = key: pkg: if pkg."build-only" or false then buildOnlyAttr key else key;

  /**
    Type: buildOnlyAttr :: string -> string

    Example: buildOnlyAttr "setuptools" => "mach2-build-setuptools"
  */
  buildOnlyAttr = key: "mach2-build-${key}";

  /**
    The attribute holding package `key` in the python set `final`: the lock's build-only pin
    when there is one, else the key.

    Type: attrIn :: attrs -> string -> string
  */
  attrIn = final: key: if hasAttr (buildOnlyAttr key) final then buildOnlyAttr key else key;

  /**
    Fetch a locked artifact (Nix checks the sha256).

    Type: fetchArtifact :: string -> attrs -> derivation
  */
  fetchArtifact =
    key: artifact:
    let
      url = artifact.url or (throw "mach2: locked package `${key}` has no `artifact.url`");
      sha256 = artifact.sha256 or (throw "mach2: locked package `${key}` has no `artifact.sha256`");
    in
    pkgs.fetchurl {
      inherit url sha256;
      # The name must keep the original filename: the wheel installer reads its tags.
      name = artifactFilename key artifact;
    };

  # The artifact's file name: `artifact.filename`, else the last path segment of its url.
  artifactFilename =
    key: artifact:
    let
      url = artifact.url or (throw "mach2: locked package `${key}` has no `artifact.url`");
      m = match ".*/([^/?#]+)([?#].*)?" url;
    in
    artifact.filename or (if m == null then url else builtins.head m);

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
          attr = attrIn final (identifierKey sibling);
        in
        if hasAttr attr final then
          "addAutoPatchelfSearchPath ${final.${attr}}/${final.python.sitePackages}\n"
        else
          throw "mach2: locked package `${key}` loads libraries of `${sibling}`, which is not in the lock"
      ) (planList key pkg "siblings")
    );

  ignoreMissing = pkg: (pkg.patchelf or { })."ignore-missing" or [ ];

  /**
    Whether the lock holds a full patch plan for the wheel (mach2.patchelf.plan's
    WheelPatchPlan: it lists the ELF `files`), which the apply script executes.  Plans that
    only name libraries (`{ attrs = [ ... ]; }`) go to autoPatchelfHook.

    Type: hasFullPlan :: attrs -> bool
  */
  hasFullPlan = pkg: isAttrs (pkg.patchelf or null) && pkg.patchelf ? files;

  /**
    mach2's patchelf apply script (standard library only), a file of this directory like
    every file the library reads, so a copy of the directory is complete.  The store name is
    fixed, so every copy gives the same store path and the same derivations.

    Type: applyScript :: path
  */
  applyScript = bundledScript "mach2-patchelf-apply.py" "patchelf apply" ./patchelf_apply.py;

  shellQuote = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  /**
    A nixpkgs attribute path such as "stdenv.cc.cc.lib", or null when this nixpkgs lacks it.

    Type: findAttr :: string -> any
  */
  findAttr =
    path:
    foldl' (acc: name: if acc != null && isAttrs acc && acc ? ${name} then acc.${name} else null) pkgs (
      splitOn "\\." path
    );

  # nixpkgs' lib.getLib: the `lib` output if there is one and none was chosen, else `out`.
  getLib = drv: if drv.outputSpecified or false then drv else drv.lib or drv.out or drv;

  /**
    The postFixup commands that execute the wheel's patch plan (postFixup: after stdenv's
    patchELF/shrink-rpath, which would drop /run/opengl-driver/lib).  The library path is the
    plan's nixpkgs libraries, then every buildInputs entry (and what it propagates), so
    `_.<pkg>.buildInputs.add` supplies libraries the plan could not map.  A plan attribute
    this nixpkgs lacks is left out and reported; the apply script then fails the build naming
    the package, file and soname (as for `unresolved` ones).  `ignore-missing` sonames are
    passed as host libraries (like the built-in libcuda/GPU-driver allow-list).

    Type: applyPlan :: attrs -> string -> attrs -> string
  */
  applyPlan =
    final: key: pkg:
    let
      python = final.python;
      buildPython = python.pythonOnBuildForHost or python;
      attrPaths = planList key pkg "attrs" ++ planList key pkg "libraries";
      absent = filter (path: findAttr path == null) attrPaths;
      present = map findAttr (filter (path: findAttr path != null) attrPaths);
      files =
        if isList pkg.patchelf.files then
          pkg.patchelf.files
        else
          throw "mach2: locked package `${key}`: `patchelf.files` must be a list, not ${describe pkg.patchelf.files}";
      needing =
        path:
        concatStringsSep ", " (
          builtins.concatLists (
            map (
              file:
              map (n: "${n.soname} (needed by ${file.install or file.path or "?"})") (
                filter (n: (n.attr or null) == path) (file.needed or [ ])
              )
            ) files
          )
        );
      siblingArgs = map (
        sibling:
        let
          attr = attrIn final (identifierKey sibling);
        in
        if hasAttr attr final then
          "--sibling ${shellQuote "${sibling}=${final.${attr}}/${python.sitePackages}"}"
        else
          throw "mach2: locked package `${key}` loads libraries of `${sibling}`, which is not in the lock"
      ) (planList key pkg "siblings");
      allowArgs = map (pattern: "--allow ${shellQuote pattern}") (ignoreMissing pkg);
      plan = builtins.toFile "mach2-patchelf-plan-${key}.json" (toJSON pkg.patchelf);
    in
    ''
      mach2ApplyPatchPlan() {
        local libraryPath=${shellQuote (concatStringsSep ":" (map (d: "${getLib d}/lib") present))}
        ${libraryWalk}
        mach2AddLibraries ''${buildInputs-}
    ''
    + concatStringsSep "" (
      map (
        path:
        "  echo ${
          shellQuote "mach2: ${key}: this nixpkgs has no `pkgs.${path}` (the patch plan's library for ${needing path}); looking for it in buildInputs only"
        } >&2\n"
      ) absent
    )
    + ''
        echo "mach2: applying the patch plan of ${key} (RUNPATHs into /nix/store)"
        ${buildPython.interpreter} -I ${applyScript} --plan ${plan} \
          --site-packages "$out/${python.sitePackages}" \
          --library-path "$libraryPath" \
          --patchelf ${pkgs.patchelf}/bin/patchelf \
          "''${interpreter[@]}" ${concatStringsSep " " (siblingArgs ++ allowArgs)}
      }
      mach2ApplyPatchPlan
    '';

  /**
    The python-set attributes of a list of lock keys, minus the `skip` ones (cycle edges).

    Type: lookup :: attrs -> string -> string -> [string] -> [derivation]
  */
  lookup =
    final: what: key: keys:
    map (
      dep:
      let
        attr = attrIn final (identifierKey dep);
      in
      if hasAttr attr final then
        final.${attr}
      else
        throw "mach2: locked package `${key}` needs `${dep}` (${what}), which is neither in the lock nor in the python package set"
    ) keys;

  noLocal = {
    root = null;
    develop = false;
    editableRoot = null;
  };

  /**
    The file a wheel or sdist is built from: a local file (`artifact.path`, hash-checked by
    sources.nix) or a download (`artifact.url`).

    Type: artifactSource :: attrs -> string -> attrs -> derivation
  */
  artifactSource =
    local: key: artifact:
    if artifact ? path then
      sources.localFile local.root key (artifact.filename or (baseNameOf artifact.path)) artifact
    else
      fetchArtifact key artifact;

  /**
    nixpkgs gives wheel and pyproject builds a `dist` output holding dist/, the wheel that was
    installed (python-output-dist-hook.sh, appended to preFixupPhases).  For mach2's packages
    that is a second copy of every wheel in the store (gigabytes for torch): this phase, which
    comes before it in preFixupPhases, empties dist/, so `dist` is an empty directory.

    Type: noDistCopy :: attrs
  */
  noDistCopy = {
    preFixupPhases = [ "mach2RemoveDistWheels" ];
    mach2RemoveDistWheels = "rm -f dist/*.whl";
  };

  common =
    {
      final,
      key,
      pkg,
      dependencies,
      tests,
      local ? noLocal,
      ...
    }:
    {
      pname = key;
      version = pkg.version or (throw "mach2: locked package `${key}` has no `version`");
      src = artifactSource local key pkg.artifact;
      dependencies = lookup final "a dependency" key dependencies;
      # Mixed providers trip nixpkgs' runtime-deps check; the lock already resolved them.
      dontCheckRuntimeDeps = true;
      doCheck = tests;
      passthru.mach2 = {
        inherit key;
        provider = pkg.provider;
        why = pkg."why-provider" or "";
      };
    }
    // noDistCopy;

  wheel =
    args@{ key, pkg, ... }:
    if isLinux && hasFullPlan pkg then
      planWheel args
    else if isDarwin && pkg ? macho then
      machoWheel args
    else
      autoPatchelfWheel args;

  # A macOS wheel that loads libraries from outside itself (macho.nix).
  machoWheel =
    args@{ key, pkg, final, ... }:
    final.buildPythonPackage (
      common args
      // {
        format = "wheel";
        dontStrip = true;
        nativeBuildInputs = macho.nativeInputs;
        buildInputs = macho.libraries key pkg;
        postFixup = macho.relinkScript {
          inherit key pkg;
          inherit (final.python) sitePackages;
        };
      }
    );

  # A wheel with a full patch plan: the plan replaces autoPatchelfHook.
  planWheel =
    args@{ key, pkg, final, ... }:
    final.buildPythonPackage (
      common args
      // {
        format = "wheel";
        # Stripping breaks manylinux libraries (mach-nix learned this the hard way).
        dontStrip = true;
        nativeBuildInputs = [ pkgs.patchelf ];
        # The plan's libraries that this nixpkgs has; a missing one fails at apply, by soname.
        buildInputs = filter (d: d != null) (
          map findAttr (planList key pkg "attrs" ++ planList key pkg "libraries")
        );
        postFixup = applyPlan final key pkg;
      }
    );

  autoPatchelfWheel =
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
      # The build fixes the lock names for this sdist (fixes.nix); sdists only.
      fixes.apply key pkg (
        common args
        // {
          pyproject = true;
          build-system = lookup final "to build the sdist" key (attrNames (pkg."build-system" or { }));
        }
      )
    );

  /**
    A git checkout or a local directory, built as an sdist is (its build systems, its build
    fixes), from sources.nix's tree.

    A working tree often holds wheels an earlier `pip wheel`/`python -m build` left in dist/
    (or a repository commits them).  nixpkgs' pypaBuildHook writes the new wheel to dist/ and
    pypaInstallHook installs every dist/*.whl (hooks/pypa-build-hook.sh,
    pypa-install-hook.sh), so those would be installed too (a second copy of a distribution,
    which catchConflicts refuses, or a stale one): a phase before the build removes them.
  */
  sourceBuild =
    args@{
      key,
      pkg,
      final,
      local ? noLocal,
      ...
    }:
    final.buildPythonPackage (
      fixes.apply key pkg (
        common args
        // {
          src = sources.sourceTree local.root key pkg.artifact;
          pyproject = true;
          build-system = lookup final "to build the source tree" key (attrNames (pkg."build-system" or { }));
          preBuildPhases = [ "mach2RemoveStaleWheels" ];
          mach2RemoveStaleWheels = "rm -f dist/*.whl";
        }
      )
    );

  # A Python module of any interpreter (buildPythonPackage, toPythonModule); applications
  # (`pythonModule = false`) and native libraries are not.
  isPythonModule = d: isAttrs d && (d.pythonModule or false) != false;

  /**
    What `format`/`pyproject` the override needs for the lock's file: a wheel installs as
    `format = "wheel"`; an sdist replacing a nixpkgs wheel builds with `pyproject = true` and
    the lock's `build-system` (if it has one, else nixpkgs' own).  Otherwise nixpkgs' way of
    building is kept.

    Type: overrideFormat :: attrs -> string -> attrs -> attrs -> attrs
  */
  isWheelArtifact = key: pkg: match ".*\\.whl" (artifactFilename key pkg.artifact) != null;

  overrideFormat =
    final: key: pkg: old:
    let
      isWheel = isWheelArtifact key pkg;
      oldFormat = old.format or null;
    in
    if isWheel then
      (
        if oldFormat == "wheel" then
          { }
        else
          {
            format = "wheel";
            pyproject = null;
            dontStrip = true;
          }
      )
    else if oldFormat == "wheel" then
      {
        format = null;
        pyproject = true;
      }
      // (
        if pkg ? "build-system" then
          { build-system = lookup final "to build the sdist" key (attrNames pkg."build-system"); }
        else
          { }
      )
    else
      { };

  /**
    What mach2 drops when it changes the version of a nixpkgs package: what nixpkgs wrote for
    the old version's source.  Always the patches (and prePatch, postPatch), vendored
    dependencies (cargoDeps and friends) and the source layout (sourceRoot, setSourceRoot,
    pre/postUnpack).  When a source build becomes a wheel, which has nothing to build, also
    the build: nativeBuildInputs and build-system (setup hooks such as cmake's, meson's, ninja's
    or maturin's take over phases), the configure/build/install phases and their pre/post hooks,
    the checks and their inputs.  `_.<pkg>.<attr>` puts any of them back.

    Type: oldSourcePlumbing :: bool -> attrs
  */
  oldSourcePlumbing =
    toWheel:
    {
      patches = [ ];
      prePatch = null;
      postPatch = null;
      patchPhase = null;
      cargoDeps = null;
      cargoHash = null;
      cargoSha256 = null;
      cargoRoot = null;
      cargoVendorDir = null;
      sourceRoot = null;
      setSourceRoot = null;
      preUnpack = null;
      postUnpack = null;
    }
    // (
      if toWheel then
        {
          nativeBuildInputs = [ ];
          build-system = [ ];
          preConfigure = null;
          configurePhase = null;
          postConfigure = null;
          preBuild = null;
          buildPhase = null;
          postBuild = null;
          preInstall = null;
          installPhase = null;
          postInstall = null;
          checkPhase = null;
          installCheckPhase = null;
          nativeCheckInputs = [ ];
          checkInputs = [ ];
        }
      else
        { }
    );

  /**
    A package of the nixpkgs provider (docs/nixpkgs.md §5).  `prev.<attr>` itself, untouched,
    when the lock says the version is nixpkgs' (`nixpkgs.exact`) and this nixpkgs has that
    version (so the .drv is nixpkgs' own when its dependencies are too: a binary-cache hit).
    An untouched package whose derivation is not nixpkgs' own anyway (in `basePkgs`, the
    interpreter's unmodified set: an input was replaced, e.g. a check input the lock pins)
    gets `doCheck = false` unless `tests`: it is rebuilt, and nixpkgs' tests would run against
    the lock's versions.  Where it is nixpkgs' own it stays untouched: a cache hit, whose tests
    ran where it was built.
    Otherwise its `overridePythonAttrs` with the lock's version and src and the lock's Python
    dependencies (Python modules are dropped from the inherited propagatedBuildInputs), without
    the old source's plumbing (oldSourcePlumbing).  With `dependencies-from = "unknown"` the
    lock has no dependency list and nixpkgs' own are kept.  Never taken from `final`: the
    overlay defines `final.<key>` from it.

    Type: nixpkgsPackage :: { final, prev, key, pkg, dependencies, tests, basePkgs? } -> derivation
  */
  nixpkgsPackage =
    args@{
      final,
      key,
      pkg,
      dependencies,
      tests,
      basePkgs ? null,
      ...
    }:
    let
      prev =
        args.prev
          or (throw "mach2: locked package `${key}` comes from nixpkgs: mkPackage needs the overlay's `prev` for it");
      info =
        if isAttrs (pkg.nixpkgs or null) then
          pkg.nixpkgs
        else
          throw "mach2: locked package `${key}` has provider nixpkgs but no `nixpkgs` object (${
            describe (pkg.nixpkgs or null)
          }); re-create the lock with `mach2 lock`";
      attr =
        let
          a = info.attr or pkg.artifact.attr or null;
        in
        if isString a && a != "" then
          a
        else
          throw "mach2: locked package `${key}` has provider nixpkgs but `nixpkgs.attr` is ${describe a}; re-create the lock with `mach2 lock`";
      version = pkg.version or (throw "mach2: locked package `${key}` has no `version`");
      nixpkgsVersion = info.version or version;
      exact = info.exact or false;
      old =
        if hasAttr attr prev then
          prev.${attr}
        else
          throw "mach2: locked package `${key}` is nixpkgs attribute `${attr}`, which this nixpkgs does not have; re-lock against it (mach2 lock --nixpkgs <this nixpkgs>) or lock ${key} with another provider (e.g. -p '${key}=wheel,sdist')";
      oldVersion = old.version or null;
      has =
        if oldVersion == null then "`${attr}` of unknown version" else "`${attr}` ${toString oldVersion}";
      same = exact == true && oldVersion == nixpkgsVersion;
      locked =
        if exact != true then
          "locked at ${version} over nixpkgs' `${attr}`"
        else if nixpkgsVersion == version then
          "nixpkgs' `${attr}` ${version}"
        else
          "nixpkgs' `${attr}` ${toString nixpkgsVersion} (${version})";
      keepDependencies = (info."dependencies-from" or null) == "unknown";
    in
    if !(isBool exact) then
      throw "mach2: locked package `${key}`: `nixpkgs.exact` must be true or false, not ${describe exact}"
    else if same then
      (
        if tests || basePkgs == null || (hasAttr attr basePkgs && old.drvPath == basePkgs.${attr}.drvPath) then
          old
        else
          old.overridePythonAttrs { doCheck = false; }
      )
    else if !(isAttrs (pkg.artifact or null) && pkg.artifact ? url) then
      throw "mach2: locked package `${key}` is ${locked}, but this nixpkgs has ${has} and the lock has no source for ${version} (PyPI has no sdist of it); lock ${key} with another provider (e.g. -p '${key}=wheel,sdist') or re-lock against this nixpkgs (mach2 lock --nixpkgs <this nixpkgs>)"
    else if !(old ? overridePythonAttrs) then
      throw "mach2: locked package `${key}` is ${locked}, but this nixpkgs has ${has} and `${attr}` is not a buildPythonPackage (no overridePythonAttrs), so mach2 cannot change its version; lock ${key} with another provider (e.g. -p '${key}=wheel,sdist')"
    else
      old.overridePythonAttrs (
        o:
        {
          inherit version;
          src = fetchArtifact key pkg.artifact;
          # Mixed providers trip nixpkgs' runtime-deps check; the lock already resolved them.
          dontCheckRuntimeDeps = true;
          doCheck = tests;
          preFixupPhases = (o.preFixupPhases or [ ]) ++ noDistCopy.preFixupPhases;
          inherit (noDistCopy) mach2RemoveDistWheels;
          passthru = (o.passthru or { }) // {
            mach2 = {
              inherit key attr;
              provider = "nixpkgs";
              why = pkg."why-provider" or "";
            };
          };
        }
        // (
          if keepDependencies then
            { }
          else
            {
              dependencies = lookup final "a dependency" key dependencies;
              propagatedBuildInputs = filter (d: !(isPythonModule d)) (o.propagatedBuildInputs or [ ]);
            }
        )
        // oldSourcePlumbing (isWheelArtifact key pkg && (o.format or null) != "wheel")
        // overrideFormat final key pkg o
      );

  /**
    Conda packages (conda.nix), built with this file's fetcher and apply script.
  */
  /**
    Shell for the apply script's arguments, shared by wheels and conda packages: a function
    `mach2AddLibraries INPUT...` appending each input's lib/ to `$libraryPath`, following
    nix-support/propagated-build-inputs (each input once), and `interpreter`, the
    `--interpreter` argument when `$NIX_CC` knows the dynamic linker.  Meant to be spliced
    into a shell function that declares `libraryPath`.
  */
  libraryWalk = ''
        local -A seen=()
        mach2AddLibraries() {
          local input
          for input in "$@"; do
            [ -n "''${seen[$input]-}" ] && continue
            seen[$input]=1
            [ -d "$input/lib" ] && libraryPath="''${libraryPath:+$libraryPath:}$input/lib"
            if [ -f "$input/nix-support/propagated-build-inputs" ]; then
              mach2AddLibraries $(< "$input/nix-support/propagated-build-inputs")
            fi
          done
          return 0
        }
        local interpreter=()
        if [ -n "''${NIX_CC-}" ] && [ -f "$NIX_CC/nix-support/dynamic-linker" ]; then
          interpreter=(--interpreter "$(< "$NIX_CC/nix-support/dynamic-linker")")
        fi
  '';

  conda = import ./conda.nix {
    inherit
      pkgs
      util
      attrIn
      fetchArtifact
      applyScript
      shellQuote
      libraryWalk
      ;
  };

  /**
    The derivation for locked package `key` in the python set `final`.

    `prev` (the package set below the lock's overlay) is needed for nixpkgs packages only;
    `local` (see the top of this file) for local paths and development installs.

    Type: mkPackage :: { final, prev?, key, pkg, dependencies, tests, local? } -> derivation
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
    else if provider == "nixpkgs" then
      nixpkgsPackage args
    else if match "conda(/.*)?" providerName != null then
      conda.condaPackage args
    else if provider == "path" && (args.local or noLocal).develop && pkg ? editable then
      editable.editablePackage (args // { inherit lookup; })
    else if provider == "git" || provider == "path" then
      sourceBuild args
    else if provider == "url" || kind == "url" then
      (
        if match ".*\\.whl" (pkg.artifact.filename or pkg.artifact.url or "") != null then
          wheel args
        else
          sdist args
      )
    else
      throw "mach2: locked package `${key}` has unknown provider ${toJSON provider} (known: wheel, sdist, conda, nixpkgs, git, path)";
in
{
  inherit
    attrFor
    attrIn
    buildOnlyAttr
    conda
    fetchArtifact
    mkPackage
    noDistCopy
    oldSourcePlumbing
    planLibraries
    ;
}
