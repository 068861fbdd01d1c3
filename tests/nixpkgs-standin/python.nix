# The Python part of the stand-in: an interpreter (the host's /usr/bin/python3.11) with
# nixpkgs' attribute names and an empty package set built like nixpkgs' python-packages-base.
#
# Copied from nixpkgs (pkgs/development/interpreters/python/):
#   cpython/default.nix + passthrufun.nix: `override { self; packageOverrides; }` (any other
#     argument of the original call is kept), passthru pythonVersion, sitePackages, libPrefix,
#     executable, interpreter, pkgs, withPackages, buildEnv, pythonAttr, pythonAtLeast/Older;
#   python-packages-base.nix: buildPythonPackage / buildPythonApplication with
#     overridePythonAttrs, toPythonModule (passthru pythonModule, requiredPythonModules),
#     hasPythonModule, requiredPythonModules, makePythonPath; the set is
#     `fix (extends packageOverrides base)`;
#   mk-python-derivation.nix: name "python3.11-<pname>-<version>", `pyproject` and `format`
#     are exclusive and one of format = "wheel" / pyproject = true / pyproject = false
#     (format "other": the caller's own phases, no wheel or PEP 517 hooks) is required (the
#     stand-in refuses nixpkgs' implicit "setuptools" format, so mach2 cannot rely on it;
#     "other" without an installPhase is refused too, as it would install nothing),
#     `dependencies` ++ propagatedBuildInputs ++ [ python ] are propagated,
#     `build-system` joins nativeBuildInputs, doCheck becomes doInstallCheck, Python modules
#     of another interpreter in buildInputs/dependencies throw "Python version mismatch",
#     passthru carries dependencies / build-system / optional-dependencies;
#   hooks: wheelUnpackHook (copy the .whl to dist/), pypaBuildHook (PEP 517 build without
#     isolation; `pypaBuildFlags` -C/--config-setting pass config settings), pypaInstallHook (install dist/*.whl into $out), pythonRuntimeDepsCheckHook
#     (pyproject builds, skipped with dontCheckRuntimeDeps), pythonImportsCheckHook;
#   wrap.sh: wrapPythonPrograms in postFixup (unless dontWrapPythonPrograms): the Python
#     scripts of $out/bin add their package's site-packages closure (scripts/
#     wrap_python_programs.py; no makeWrapper shell wrapper);
#   wrapper.nix / with-packages.nix: buildEnv (overridable: extraLibs, ignoreCollisions,
#     postBuild, makeWrapperArgs, permitUserSite) and withPackages = f: buildEnv.override
#     { extraLibs = f pkgs; }.
# Not copied: any package of nixpkgs' python set (the set is empty), the "setuptools" and
# "egg" formats, pythonRelaxDeps, pythonNamespacesHook, catchConflicts, the dist
# output, cross compilation, bytecode compilation.
{
  lib,
  stdenv,
  mkDerivation,
  pkgs,
}:
let
  inherit (builtins)
    concatLists
    elem
    filter
    isBool
    isFunction
    toJSON
    ;
  inherit (lib) makeOverridable unique;

  hostPython = "/usr/bin/python3.11";
  pythonVersion = "3.11";
  executable = "python${pythonVersion}";
  libPrefix = executable;
  sitePackages = "lib/${libPrefix}/site-packages";
  scripts = ./scripts;

  mkInterpreter =
    {
      self ? null,
      packageOverrides ? (_: _: { }),
      pythonAttr ? "python311",
      ...
    }:
    let
      # The interpreter the package set refers to (nixpkgs: `self`).
      python = if self == null then interpreter else self;

      base = mkDerivation {
        pname = "python3";
        version = pythonVersion;
        inherit hostPython executable pythonVersion;
        setupHook = ./python-setup-hook.sh;
        buildCommand = ''
          if ! [ -x "$hostPython" ]; then
            echo "nixpkgs stand-in: needs the host interpreter $hostPython (apt-get install python3)" >&2
            exit 1
          fi
          "$hostPython" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || {
            echo "nixpkgs stand-in: $hostPython is not Python $pythonVersion" >&2
            exit 1
          }
          mkdir -p $out/bin $out/nix-support
          printf 'home = %s\ninclude-system-site-packages = false\nversion = %s\n' \
            "$(dirname "$hostPython")" "$pythonVersion" > $out/pyvenv.cfg
          printf '#!/bin/bash\nexec -a "$0" %s "$@"\n' "$hostPython" > $out/bin/$executable
          chmod +x $out/bin/$executable
          ln -s $executable $out/bin/python3
          ln -s $executable $out/bin/python
          substitute() { sed -e "s|@sitePackages@|${sitePackages}|g" "$1"; }
          substitute $setupHook > $out/nix-support/setup-hook
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
        isPy311 = true;
        isPyPy = false;
        sourceVersion = {
          major = "3";
          minor = "11";
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

      interpreter = base // passthru // { passthru = base.passthru // passthru; };

      pythonPackages = lib.fix (lib.extends packageOverrides (packagesBase python));
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
        unique ([ python ] ++ modules ++ concatLists (lib.catAttrs "requiredPythonModules" modules));
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
        inherit python requiredPythonModules;
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
      python = python;
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

  # mk-python-derivation.nix
  mkPythonDerivation =
    { python, requiredPythonModules }:
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
      doCheck ? true,
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
      checkDrv =
        attrName: drv:
        if (drv ? pythonModule) && !(isBool drv.pythonModule) && drv.pythonModule != python then
          throw "Python version mismatch in '${name}': it depends on '${drv.name}' (in ${attrName}), which uses another Python"
        else
          drv;
      validate = attrName: map (checkDrv attrName);
      drv = mkDerivation (
        removeAttrs attrs [
          "dependencies"
          "optional-dependencies"
          "build-system"
          "pyproject"
          "format"
          "doCheck"
          "pythonImportsCheck"
          "passthru"
          "disabled"
        ]
        // {
          inherit name;
          nativeBuildInputs = [ python ] ++ nativeBuildInputs ++ build-system;
          buildInputs = validate "buildInputs" buildInputs;
          propagatedBuildInputs = validate "propagatedBuildInputs" (
            propagatedBuildInputs ++ dependencies ++ [ python ]
          );
          format = format';
          inherit scripts sitePackages;
          pythonInterpreter = "${python}/bin/${executable}";
          pythonImportsCheck = builtins.concatStringsSep " " pythonImportsCheck;
          doInstallCheck = doCheck;
          # mk-python-derivation.nix: postFixup = "wrapPythonPrograms" (unless
          # dontWrapPythonPrograms) + the given postFixup.
          postFixup =
            (
              if attrs.dontWrapPythonPrograms or false then
                ""
              else
                "\"$pythonInterpreter\" \"$scripts/wrap_python_programs.py\" \"$out\" \"$sitePackages\"\n"
            )
            + (attrs.postFixup or "");
          unpackPhase = attrs.unpackPhase or (
            if format' == "wheel" then
              ''
                runHook preUnpack
                mkdir -p dist
                cp "$src" "dist/$(stripHash "$src")"
                runHook postUnpack
              ''
            else
              null
          );
          buildPhase = attrs.buildPhase or ''
            runHook preBuild
            if [ "$format" = pyproject ]; then
              "$pythonInterpreter" "$scripts/build_wheel.py" . "$NIX_BUILD_TOP/dist" ''${pypaBuildFlags-}
            fi
            runHook postBuild
          '';
          installPhase = attrs.installPhase or (if format' == "other" then null else ''
            runHook preInstall
            cd "$NIX_BUILD_TOP"
            for whl in dist/*.whl; do
              "$pythonInterpreter" "$scripts/install_wheel.py" "$whl" "$out" "$sitePackages" "$pythonInterpreter"
            done
            if [ "$format" = pyproject ] && [ -z "''${dontCheckRuntimeDeps-}" ]; then
              "$pythonInterpreter" "$scripts/runtime_deps_check.py" "$out/$sitePackages"
            fi
            runHook postInstall
          '');
          installCheckPhase = attrs.installCheckPhase or ''
            runHook preInstallCheck
            for module in $pythonImportsCheck; do
              echo "Check whether the following module can be imported: $module"
              PYTHONPATH="$out/$sitePackages''${PYTHONPATH:+:$PYTHONPATH}" "$pythonInterpreter" -c "import $module"
            done
            runHook postInstallCheck
          '';
          passthru =
            (if dependencies != [ ] then { inherit dependencies; } else { })
            // (if optional-dependencies != { } then { inherit optional-dependencies; } else { })
            // (if build-system != [ ] then { inherit build-system; } else { })
            // passthru
            // (
              if module then
                {
                  pythonModule = python;
                  pythonPath = [ ];
                  requiredPythonModules = requiredPythonModules (
                    propagatedBuildInputs ++ dependencies ++ [ python ]
                  );
                }
              else
                { pythonModule = false; }
            );
        }
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
        paths = builtins.concatStringsSep " " (map toString paths);
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

  python311 = makeOverridable mkInterpreter { };
in
{
  inherit python311;
  python3 = python311;
  python3Packages = python311.pkgs;
  python311Packages = python311.pkgs;
}
