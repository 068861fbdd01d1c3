# The Python part of the stand-in: an interpreter (the host's /usr/bin/python3.11) with
# nixpkgs' attribute names, and a package set built like nixpkgs' (read in a late-2025
# nixpkgs, pkgs/development/interpreters/python/):
#
#   cpython/default.nix + passthrufun.nix: `override { self; packageOverrides; }` (other
#     arguments of the original call are kept); passthru pythonVersion, sitePackages,
#     libPrefix, executable, interpreter, pkgs, withPackages, buildEnv, pythonAttr,
#     pythonAtLeast/Older, pythonOnBuildForHost; `pkgs` is `ensurePythonModules` of the set: a
#     member that is a derivation but neither a Python module of this interpreter nor a setup
#     hook throws "<name> should use `buildPythonPackage` or `toPythonModule` if it is to be
#     part of the Python packages set." when it is used (extendDerivation).
#   The set is `fix (extends packageOverrides (extends packages (extends hooks base)))`:
#   python-packages-base.nix: buildPythonPackage / buildPythonApplication with
#     overridePythonAttrs, toPythonModule, toPythonApplication, hasPythonModule,
#     requiredPythonModules, makePythonPath, and `python = toPythonModule python`: the
#     interpreter is a module of its own set, and every package propagates it;
#   hooks/default.nix: makePythonHook and the hooks, made from the set's own members
#     (pypaBuildHook from `build` and `wheel`, pypaInstallHook from `installer`,
#     pythonRuntimeDepsCheckHook from `packaging`), overridable (`.override { installer = ...; }`);
#   top-level/python-packages.nix, in miniature: `bootstrap` (flit-core, installer, build,
#     packaging, pyproject-hooks, installed by a plain unzip) and build, flit-core, installer,
#     packaging, pyproject-hooks, setuptools, wheel as buildPythonPackage (from PyPI's wheels;
#     nixpkgs builds them from source);
#   mk-python-derivation.nix: see mkPythonDerivation below.
#   wrapper.nix / with-packages.nix: buildEnv (overridable: extraLibs, ignoreCollisions,
#     postBuild, makeWrapperArgs, permitUserSite) and withPackages.
# Not copied: nixpkgs' thousands of packages, the "setuptools" and "egg" formats,
# pythonRelaxDeps, pythonNamespacesHook, cross compilation (pythonOnBuildForHost is the
# interpreter itself, so the hooks come from the same set, where nixpkgs uses a second set with
# the same overrides).
{
  lib,
  stdenv,
  mkDerivation,
  pkgs,
  # The interpreter is the host's /usr/bin/python3.<minor>.  default.nix makes 3.11 (the
  # stand-in's python3) and 3.12, which evaluates anywhere (locks of foreign systems are
  # evaluated with it) and builds only where the host has python3.12.
  minor ? "11",
}:
let
  inherit (builtins)
    concatStringsSep
    elem
    filter
    isBool
    isFunction
    mapAttrs
    toJSON
    ;
  inherit (lib)
    attrByPath
    extendDerivation
    isDerivation
    makeOverridable
    optional
    optionals
    optionalString
    unique
    ;

  hostPython = "/usr/bin/python3.${minor}";
  pythonVersion = "3.${minor}";
  attr = "python3${minor}";
  executable = "python${pythonVersion}";
  libPrefix = executable;
  sitePackages = "lib/${libPrefix}/site-packages";
  scripts = ./scripts;
  hooksDir = ./hooks;

  mkInterpreter =
    {
      self ? null,
      packageOverrides ? (_: _: { }),
      pythonAttr ? attr,
      ...
    }:
    let
      # The interpreter the package set refers to (nixpkgs: `self`).
      python = if self == null then interpreter else self;

      # The passthru is part of the derivation's arguments (as in cpython/default.nix), so
      # toPythonModule (overrideAttrs) keeps it.
      interpreter = mkDerivation {
        pname = "python3";
        inherit passthru;
        version = pythonVersion;
        inherit hostPython executable pythonVersion;
        setupHook = ./python-setup-hook.sh;
        # A bash wrapper around the host's interpreter: run as itself it is a venv without
        # the host's site-packages (pyvenv.cfg); with NIX_PYTHONPREFIX (set by buildEnv's
        # wrappers) it becomes that environment, as nixpkgs' sitecustomize.py makes it.
        buildCommand = ''
          if ! [ -x "$hostPython" ]; then
            echo "nixpkgs stand-in: needs the host interpreter $hostPython (apt-get install python3)" >&2
            exit 1
          fi
          "$hostPython" -c 'import sys; assert sys.version_info[:2] == (3, ${minor}), sys.version' || {
            echo "nixpkgs stand-in: $hostPython is not Python $pythonVersion" >&2
            exit 1
          }
          mkdir -p $out/bin $out/nix-support
          printf 'home = %s\ninclude-system-site-packages = false\nversion = %s\n' \
            "$(dirname "$hostPython")" "$pythonVersion" > $out/pyvenv.cfg
          cat > $out/bin/$executable <<EOF
          #!/bin/bash
          if [ -n "\''${NIX_PYTHONPREFIX-}" ]; then
            prefix="\$NIX_PYTHONPREFIX"
            unset NIX_PYTHONPREFIX NIX_PYTHONEXECUTABLE NIX_PYTHONPATH
            exec -a "\$prefix/bin/$executable" $hostPython "\$@"
          fi
          exec -a "\$0" $hostPython "\$@"
          EOF
          chmod +x $out/bin/$executable
          ln -s $executable $out/bin/python3
          ln -s $executable $out/bin/python
          sed -e "s|@sitePackages@|${sitePackages}|g" $setupHook > $out/nix-support/setup-hook
        '';
      };

      passthru = {
        inherit
          executable
          libPrefix
          pythonAttr
          pythonVersion
          sitePackages
          ;
        implementation = "cpython";
        isPy3k = true;
        isPy3 = true;
        "isPy3${minor}" = true;
        isPyPy = false;
        sourceVersion = {
          major = "3";
          inherit minor;
          patch = "0";
          suffix = "";
        };
        interpreter = "${interpreter}/bin/${executable}";
        pythonAtLeast = lib.versionAtLeast pythonVersion;
        pythonOlder = lib.versionOlder pythonVersion;
        pythonOnBuildForHost = python;
        pkgs = pythonPackages;
        inherit stdenv;
        buildEnv = makeOverridable (wrapper python pythonPackages) { };
        withPackages = f: passthru.buildEnv.override { extraLibs = f pythonPackages; };
      };

      # passthrufun.nix: ensurePythonModules over the fixed point.
      set = lib.fix (
        lib.extends packageOverrides (
          lib.extends (packages python) (lib.extends (hooks python) (packagesBase python))
        )
      );
      valid = value: set.hasPythonModule value || attrByPath [ "provides" "setupHook" ] false value;
      pythonPackages = mapAttrs (
        name: value:
        if isDerivation value then
          extendDerivation (
            valid value
            || throw "${name} should use `buildPythonPackage` or `toPythonModule` if it is to be part of the Python packages set."
          ) { } value
        else
          value
      ) set;
    in
    interpreter;

  # python-packages-base.nix
  packagesBase =
    python: self:
    let
      hasPythonModule = drv: drv ? pythonModule && drv.pythonModule == python;
      requiredPythonModules =
        drvs:
        let
          modules = filter hasPythonModule drvs;
        in
        unique ([ python ] ++ modules ++ builtins.concatLists (lib.catAttrs "requiredPythonModules" modules));
      toPythonModule =
        drv:
        drv.overrideAttrs (old: {
          passthru = (old.passthru or { }) // {
            pythonModule = python;
            pythonPath = [ ];
            requiredPythonModules = requiredPythonModules (drv.propagatedBuildInputs or [ ]);
          };
        });
      toPythonApplication =
        drv:
        drv.overrideAttrs (old: {
          passthru = (old.passthru or { }) // {
            pythonModule = false;
          };
        });
      makeOverridablePythonPackage =
        f: origArgs:
        let
          args = origArgs // {
            passthru = (origArgs.passthru or { }) // {
              overridePythonAttrs =
                newArgs:
                makeOverridablePythonPackage f (origArgs // (if isFunction newArgs then newArgs origArgs else newArgs));
            };
          };
        in
        f args;
      mk = mkPythonDerivation {
        inherit python self toPythonModule;
      };
    in
    {
      inherit
        hasPythonModule
        lib
        requiredPythonModules
        stdenv
        toPythonApplication
        toPythonModule
        ;
      inherit pkgs;
      # The interpreter is a module of its own set, so every package propagates a module.
      python = toPythonModule python;
      pythonPackages = self;
      buildPythonPackage = makeOverridablePythonPackage (mk {
        namePrefix = "${libPrefix}-";
        module = true;
      });
      buildPythonApplication = makeOverridablePythonPackage (mk {
        namePrefix = "";
        module = false;
      });
      makePythonPath = drvs: lib.makeSearchPath sitePackages (requiredPythonModules drvs);
    };

  # hooks/default.nix.  pythonInterpreter is pythonOnBuildForHost.interpreter.
  hooks =
    python: self: _super:
    let
      pythonInterpreter = "${python}/bin/${executable}";
      makePythonHook =
        {
          name,
          propagatedBuildInputs ? [ ],
          substitutions ? { },
        }:
        script:
        mkDerivation {
          inherit name script;
          propagatedBuildInputs = filter (d: d != null) propagatedBuildInputs;
          substitutionsJSON = toJSON (mapAttrs (_: toString) substitutions);
          buildCommand = ''
            mkdir -p $out/nix-support
            "${hostPython}" -I -c '
            import json, os, sys
            text = open(os.environ["script"]).read()
            for key, value in json.loads(os.environ["substitutionsJSON"]).items():
                text = text.replace("@" + key + "@", value)
            open(os.environ["out"] + "/nix-support/setup-hook", "w").write(text)
            '
            if [ -n "$propagatedBuildInputs" ]; then
              echo "$propagatedBuildInputs" > $out/nix-support/propagated-build-inputs
            fi
          '';
          passthru.provides.setupHook = true;
        };
    in
    {
      inherit makePythonHook;

      wheelUnpackHook = makePythonHook { name = "wheel-unpack-hook.sh"; } "${hooksDir}/wheel-unpack-hook.sh";

      pypaBuildHook = makeOverridable (
        { build, wheel }:
        makePythonHook {
          name = "pypa-build-hook.sh";
          propagatedBuildInputs = [ wheel ];
          substitutions = { inherit build; };
        } "${hooksDir}/pypa-build-hook.sh"
      ) { inherit (self) build wheel; };

      pypaInstallHook = makeOverridable (
        { installer }:
        makePythonHook {
          name = "pypa-install-hook";
          propagatedBuildInputs = [ installer ];
          substitutions = {
            inherit pythonInterpreter;
            pythonSitePackages = sitePackages;
          };
        } "${hooksDir}/pypa-install-hook.sh"
      ) { inherit (self) installer; };

      pythonRuntimeDepsCheckHook = makeOverridable (
        { packaging }:
        makePythonHook {
          name = "python-runtime-deps-check-hook.sh";
          propagatedBuildInputs = [ packaging ];
          substitutions = {
            inherit pythonInterpreter;
            hook = "${scripts}/runtime_deps_check.py";
          };
        } "${hooksDir}/python-runtime-deps-check-hook.sh"
      ) { inherit (self) packaging; };

      pythonCatchConflictsHook = makePythonHook {
        name = "python-catch-conflicts-hook";
        substitutions = {
          inherit pythonInterpreter;
          catchConflicts = "${scripts}/catch_conflicts.py";
        };
      } "${hooksDir}/python-catch-conflicts-hook.sh";

      pythonImportsCheckHook = makePythonHook {
        name = "python-imports-check-hook.sh";
        substitutions.pythonCheckInterpreter = pythonInterpreter;
      } "${hooksDir}/python-imports-check-hook.sh";

      pythonOutputDistHook = makePythonHook { name = "python-output-dist-hook"; } "${hooksDir}/python-output-dist-hook.sh";

      pythonRemoveTestsDirHook = makePythonHook {
        name = "python-remove-tests-dir-hook";
        substitutions.pythonSitePackages = sitePackages;
      } "${hooksDir}/python-remove-tests-dir-hook.sh";

      pythonRemoveBinBytecodeHook = makePythonHook { name = "python-remove-bin-bytecode-hook"; } "${hooksDir}/python-remove-bin-bytecode-hook.sh";

      # wrap-python.nix
      wrapPython = makePythonHook {
        name = "wrap-python-hook";
        propagatedBuildInputs = [ pkgs.makeWrapper ];
        substitutions = {
          inherit sitePackages;
          executable = pythonInterpreter;
          pythonHost = python;
          patchScript = "${scripts}/patch_python_script.py";
        };
      } "${hooksDir}/wrap.sh";
    };

  # top-level/python-packages.nix, in miniature: the packages nixpkgs' own hooks are made of.
  # Real wheels from PyPI (nixpkgs builds them from source); `bootstrap` installs them without
  # any hook (nixpkgs: development/python-modules/bootstrap/), the set builds them with
  # buildPythonPackage, whose bootstrap rules (mk-python-derivation.nix) use `bootstrap`'s.
  packages =
    python: self: _super:
    let
      wheel =
        pname: version: url: sha256:
        pkgs.fetchurl {
          inherit url sha256;
          name = "${builtins.replaceStrings [ "-" ] [ "_" ] pname}-${version}-py3-none-any.whl";
        };
      pypi = "https://files.pythonhosted.org/packages";
      sources = {
        build = {
          version = "1.3.0";
          src = wheel "build" "1.3.0" "${pypi}/cb/8c/2b30c12155ad8de0cf641d76a8b396a16d2c36bc6d50b621a62b7c4567c1/build-1.3.0-py3-none-any.whl" "7145f0b5061ba90a1500d60bd1b13ca0a8a4cebdd0cc16ed8adf1c0e739f43b4";
          deps = [
            "packaging"
            "pyproject-hooks"
          ];
        };
        flit-core = {
          version = "3.12.0";
          src = wheel "flit-core" "3.12.0" "${pypi}/f2/65/b6ba90634c984a4fcc02c7e3afe523fef500c4980fec67cc27536ee50acf/flit_core-3.12.0-py3-none-any.whl" "e7a0304069ea895172e3c7bb703292e992c5d1555dd1233ab7b5621b5b69e62c";
          deps = [ ];
        };
        installer = {
          version = "0.7.0";
          src = wheel "installer" "0.7.0" "${pypi}/e5/ca/1172b6638d52f2d6caa2dd262ec4c811ba59eee96d54a7701930726bce18/installer-0.7.0-py3-none-any.whl" "05d1933f0a5ba7d8d6296bb6d5018e7c94fa473ceb10cf198a92ccea19c27b53";
          deps = [ ];
        };
        packaging = {
          version = "25.0";
          src = wheel "packaging" "25.0" "${pypi}/20/12/38679034af332785aac8774540895e234f4d07f7545804097de4b666afd8/packaging-25.0-py3-none-any.whl" "29572ef2b1f17581046b3a2227d5c611fb25ec70ca1ba8554b24b0e69331a484";
          deps = [ ];
        };
        pyproject-hooks = {
          version = "1.2.0";
          src = wheel "pyproject-hooks" "1.2.0" "${pypi}/bd/24/12818598c362d7f300f18e74db45963dbcb85150324092410c8b49405e42/pyproject_hooks-1.2.0-py3-none-any.whl" "9e5c6bfa8dcc30091c74b0cf803c81fdd29d94f01992a7707bc97babb1141913";
          deps = [ ];
        };
        setuptools = {
          version = "80.9.0";
          src = wheel "setuptools" "80.9.0" "${pypi}/a3/dc/17031897dae0efacfea57dfd3a82fdd2a2aeb58e0ff71b77b87e44edc772/setuptools-80.9.0-py3-none-any.whl" "062d34222ad13e0cc312a4c02d73f059e86a4acbfbdea8f8f76b28c99f306922";
          deps = [ ];
        };
        wheel = {
          version = "0.45.1";
          src = wheel "wheel" "0.45.1" "${pypi}/0b/2c/87f3254fd8ffd29e4c02732eee68a83a1d3c346ae39bc6822dcbcb697f2b/wheel-0.45.1-py3-none-any.whl" "708e7481cc80179af0e556bbf0cc00b8444c7321e2700b8d8580231d13017248";
          deps = [ ];
        };
      };

      bootstrapPackage =
        pname:
        let
          source = sources.${pname};
          deps = map (d: bootstrap.${d}) source.deps;
        in
        self.toPythonModule (mkDerivation {
          inherit pname;
          inherit (source) version src;
          name = "${libPrefix}-${pname}-${source.version}";
          propagatedBuildInputs = deps ++ [ python ];
          inherit sitePackages;
          pythonInterpreter = "${python}/bin/${executable}";
          siteDirs = concatStringsSep ":" (map (d: "${d}/${sitePackages}") deps);
          buildCommand = ''
            "$pythonInterpreter" ${scripts}/install_wheel.py "$src" "$out" "$sitePackages" "$pythonInterpreter"
            for f in $out/bin/*; do
              "$pythonInterpreter" ${scripts}/patch_python_script.py "$f" "$(basename "$f")" "$out/$sitePackages:$siteDirs"
            done
            mkdir -p $out/nix-support
            echo "$propagatedBuildInputs" > $out/nix-support/propagated-build-inputs
          '';
        });

      bootstrap = lib.recurseIntoAttrs {
        flit-core = bootstrapPackage "flit-core";
        installer = bootstrapPackage "installer";
        build = bootstrapPackage "build";
        packaging = bootstrapPackage "packaging";
        pyproject-hooks = bootstrapPackage "pyproject-hooks";
      };

      package =
        pname:
        self.buildPythonPackage {
          inherit pname;
          inherit (sources.${pname}) version src;
          format = "wheel";
          dependencies = map (d: self.${d}) sources.${pname}.deps;
        };
    in
    {
      inherit bootstrap;
      build = package "build";
      flit-core = package "flit-core";
      installer = package "installer";
      packaging = package "packaging";
      pyproject-hooks = package "pyproject-hooks";
      setuptools = package "setuptools";
      wheel = package "wheel";
    };

  # mk-python-derivation.nix.  Copied: name "python3.11-<pname>-<version>"; `pyproject` and
  # `format` are exclusive and one of format = "wheel" / pyproject = true / pyproject = false
  # (format "other": the caller's own phases) is required (the stand-in refuses nixpkgs'
  # implicit "setuptools" format, so mach2 cannot rely on it; "other" without an installPhase
  # is refused too, as it would install nothing); the hooks, in nixpkgs' order:
  #   python, wrapPython, pythonRemoveTestsDirHook,
  #   pythonCatchConflictsHook (catchConflicts, default true, and not a bootstrap package:
  #     build, packaging, pyproject-hooks, wheel, flit-core, installer, nor setuptools/wheel;
  #     a preDist phase failing on two copies of one distribution in the closure of $out),
  #   pythonRemoveBinBytecodeHook, pypaBuildHook + pythonRuntimeDepsCheckHook (pyproject),
  #   wheelUnpackHook (wheel), pypaInstallHook (all but "other"), pythonImportsCheckHook,
  #   pythonOutputDistHook (pyproject and wheel: a `dist` output holding dist/),
  #   then nativeBuildInputs ++ build-system;
  # bootstrap packages get hooks made of `bootstrap`'s build/packaging/installer;
  # `dependencies` ++ propagatedBuildInputs ++ [ python ] are propagated; strictDeps = true;
  # doCheck (default true) becomes doInstallCheck, nativeCheckInputs nativeInstallCheckInputs
  # (taken from the set the package is instantiated in), checkPhase installCheckPhase;
  # postFixup = "wrapPythonPrograms" (unless dontWrapPythonPrograms) + the given postFixup;
  # Python modules of another interpreter throw "Python version mismatch"; passthru carries
  # dependencies / build-system / optional-dependencies; the result is toPythonModule'd.
  mkPythonDerivation =
    {
      python,
      self,
      toPythonModule,
    }:
    { namePrefix, module }:
    attrs@{
      pname ? null,
      version ? null,
      format ? null,
      pyproject ? null,
      dependencies ? [ ],
      optional-dependencies ? { },
      build-system ? [ ],
      nativeBuildInputs ? [ ],
      buildInputs ? [ ],
      propagatedBuildInputs ? [ ],
      nativeCheckInputs ? [ ],
      checkInputs ? [ ],
      doCheck ? true,
      catchConflicts ? true,
      dontWrapPythonPrograms ? false,
      removeBinBytecode ? true,
      strictDeps ? true,
      outputs ? [ "out" ],
      pythonImportsCheck ? [ ],
      passthru ? { },
      ...
    }:
    let
      name = namePrefix + (attrs.name or "${pname}-${version}");
      format' =
        if pyproject != null && format != null then
          throw "nixpkgs stand-in: ${name}: `pyproject` and `format` are mutually exclusive (mk-python-derivation.nix asserts it)"
        else if pyproject != null then
          (if pyproject then "pyproject" else "other")
        else if format != null then
          format
        else
          "setuptools";
      withDistOutput = elem format' [
        "pyproject"
        "setuptools"
        "wheel"
      ];
      isBootstrapInstallPackage = elem pname [
        "flit-core"
        "installer"
      ];
      isBootstrapPackage =
        isBootstrapInstallPackage
        || elem pname [
          "build"
          "packaging"
          "pyproject-hooks"
          "wheel"
        ];
      isSetuptoolsDependency = elem pname [
        "setuptools"
        "wheel"
      ];
      boot = python.pythonOnBuildForHost.pkgs.bootstrap;
      checkDrv =
        attrName: drv:
        if (drv ? pythonModule) && !(isBool drv.pythonModule) && drv.pythonModule != python then
          throw "Python version mismatch in '${name}': it depends on '${drv.name}' (in ${attrName}), which uses another Python"
        else
          drv;
      validate = attrName: map (checkDrv attrName);
      hookInputs = [
        self.python
        self.wrapPython
        self.pythonRemoveTestsDirHook
      ]
      ++ optional (catchConflicts && !isBootstrapPackage && !isSetuptoolsDependency) self.pythonCatchConflictsHook
      ++ optional removeBinBytecode self.pythonRemoveBinBytecodeHook
      ++ optionals (format' == "pyproject") [
        (
          if isBootstrapPackage then
            self.pypaBuildHook.override {
              inherit (boot) build;
              wheel = null;
            }
          else
            self.pypaBuildHook
        )
        (
          if isBootstrapPackage then
            self.pythonRuntimeDepsCheckHook.override { inherit (boot) packaging; }
          else
            self.pythonRuntimeDepsCheckHook
        )
      ]
      ++ optional (format' == "wheel") self.wheelUnpackHook
      ++ optional (format' != "other") (
        if isBootstrapInstallPackage then
          self.pypaInstallHook.override { inherit (boot) installer; }
        else
          self.pypaInstallHook
      )
      ++ [ self.pythonImportsCheckHook ]
      ++ optional withDistOutput self.pythonOutputDistHook;
      drv = mkDerivation (
        removeAttrs attrs [
          "dependencies"
          "optional-dependencies"
          "build-system"
          "pyproject"
          "format"
          "doCheck"
          "checkPhase"
          "nativeCheckInputs"
          "checkInputs"
          "pythonImportsCheck"
          "passthru"
          "disabled"
          "outputs"
        ]
        // {
          inherit name strictDeps dontWrapPythonPrograms;
          catchConflicts = catchConflicts;
          nativeBuildInputs = hookInputs ++ nativeBuildInputs ++ build-system;
          buildInputs = validate "buildInputs" buildInputs;
          propagatedBuildInputs = validate "propagatedBuildInputs" (
            propagatedBuildInputs ++ dependencies ++ [ self.python ]
          );
          format = format';
          pythonImportsCheck = concatStringsSep " " pythonImportsCheck;
          doCheck = false;
          doInstallCheck = doCheck;
          nativeInstallCheckInputs = nativeCheckInputs;
          installCheckInputs = checkInputs;
          postFixup = optionalString (!dontWrapPythonPrograms) "wrapPythonPrograms\n" + (attrs.postFixup or "");
          outputs = outputs ++ optional withDistOutput "dist";
          passthru =
            (if dependencies != [ ] then { inherit dependencies; } else { })
            // (if optional-dependencies != { } then { inherit optional-dependencies; } else { })
            // (if build-system != [ ] then { inherit build-system; } else { })
            // passthru
            // (if module then { } else { pythonModule = false; });
        }
        // (if attrs ? checkPhase then { installCheckPhase = attrs.checkPhase; } else { })
      );
    in
    if !(elem format' [
      "wheel"
      "pyproject"
      "other"
    ]) then
      throw "nixpkgs stand-in: ${name}: buildPythonPackage format ${toJSON format'} is not implemented (mach2 must pass format = \"wheel\", pyproject = true or pyproject = false)"
    else if format' == "other" && !(attrs ? installPhase) then
      throw "nixpkgs stand-in: ${name}: pyproject = false (format \"other\") needs an installPhase"
    else if module then
      toPythonModule drv
    else
      drv;

  # wrapper.nix
  wrapper =
    python: pythonPackages:
    {
      extraLibs ? [ ],
      extraOutputsToInstall ? [ ],
      postBuild ? "",
      ignoreCollisions ? false,
      permitUserSite ? false,
      makeWrapperArgs ? [ ],
    }:
    let
      paths = pythonPackages.requiredPythonModules (extraLibs ++ [ python ]);
      env = mkDerivation {
        name = "${python.name}-env";
        paths = concatStringsSep " " (map toString paths);
        inherit
          executable
          hostPython
          ignoreCollisions
          permitUserSite
          postBuild
          pythonVersion
          sitePackages
          ;
        makeWrapperArgsJSON = toJSON makeWrapperArgs;
        buildCommand = ''
          "$hostPython" -I ${scripts}/make_env.py
          eval "$postBuild"
        '';
        passthru = python.passthru // {
          interpreter = "${env}/bin/${executable}";
          inherit python;
          env = mkDerivation {
            name = "interactive-${python.name}-environment";
            nativeBuildInputs = [ env ];
            buildCommand = ''
              echo >&2 ""
              echo >&2 "*** Python 'env' attributes are intended for interactive nix-shell sessions, not for building! ***"
              echo >&2 ""
              exit 1
            '';
          };
        };
      };
    in
    env;

  thisPython = makeOverridable mkInterpreter { };
in
{
  ${attr} = thisPython;
  "${attr}Packages" = thisPython.pkgs;
  python3 = thisPython;
  python3Packages = thisPython.pkgs;
}
