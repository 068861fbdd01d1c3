# Development ("editable") installs of the lock's `-e` projects, for shells.
#
# In mkPythonShell (and `nix-shell ./env`), a locked package with an `editable` record (a
# local directory given with `-e`, `--project` or a pyproject.toml with [build-system]) is
# not built from a copy of its directory: a `.pth` file puts the working tree on sys.path,
# so an edit shows without a rebuild, as nixpkgs' mkPythonEditablePackage does
# (pkgs/development/interpreters/python/editable.nix: a .pth line
# `import os.path, sys; sys.path.insert(0, os.path.expandvars(ROOT))`, the project's
# scripts, its dependencies).  Unlike that function it needs no build backend (nixpkgs builds
# a stub project with hatchling, which a lock need not hold): the dist-info, the .pth and the
# scripts are written by the installPhase.  The derivation depends on the lock only (names,
# version, the working tree's path as a string), never on the tree's content.
#
# What goes on sys.path is the lock's `editable.import-paths` (relative to the project: "src"
# for a src layout, "." for a flat one, as mach2 lock decided), under the working tree:
# `root + "/" + artifact.path`, or `editableRoot + "/" + artifact.path` when given (a string,
# e.g. "$REPO_ROOT/env", expanded by Python at start: in a flake, `root` is a copy in the store).
{ util, sources, ... }:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    head
    isAttrs
    isList
    isString
    match
    replaceStrings
    toFile
    toJSON
    ;
  inherit (util) describe;

  # `module:attr.sub` -> the Python lines that call it (as installers write console scripts).
  scriptText =
    key: name: reference:
    let
      m = match "[ \t]*([A-Za-z0-9_.]+)[ \t]*(:[ \t]*([A-Za-z0-9_.]+))?[ \t]*(\\[.*])?[ \t]*" reference;
      module = head m;
      attr = builtins.elemAt m 2;
      first = head (builtins.split "\\." attr);
    in
    if m == null then
      throw "mach2: locked package `${key}`: script `${name}` has the entry point ${toJSON reference}, not `module:function`"
    else if attr == null then
      "import runpy, sys\nsys.exit(runpy.run_module(${toJSON module}, run_name='__main__'))\n"
    else
      "import re, sys\nfrom ${module} import ${first}\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(${attr}())\n";

  /**
    The development install of locked package `key` (which has an `editable` record).

    Type: editablePackage :: { final, key, pkg, dependencies, local, lookup } -> derivation
  */
  editablePackage =
    {
      final,
      key,
      pkg,
      dependencies,
      local,
      lookup,
      ...
    }:
    let
      python = final.python;
      info =
        if isAttrs pkg.editable then
          pkg.editable
        else
          throw "mach2: locked package `${key}`: `editable` must be an object, not ${describe pkg.editable}";
      importPaths =
        let
          value = info."import-paths" or [ "." ];
        in
        if isList value && value != [ ] then
          value
        else
          throw "mach2: locked package `${key}`: `editable.import-paths` must be a non-empty list, not ${describe value}";
      scripts = info.scripts or { };
      tree = sources.workingTree local.root local.editableRoot key pkg.artifact;
      entries = map (p: if p == "." then tree else "${tree}/${p}") importPaths;
      version = pkg.version or (throw "mach2: locked package `${key}` has no `version`");
      distName = replaceStrings [ "-" ] [ "_" ] key;
      distInfo = "${distName}-${version}.dist-info";
      pth = toFile "mach2-editable-${key}.pth" (
        concatStringsSep "" (
          map (p: "import os.path, sys; sys.path.insert(0, os.path.expandvars(${toJSON p}))\n") entries
        )
      );
      metadata = toFile "METADATA" "Metadata-Version: 2.1\nName: ${pkg.name or key}\nVersion: ${version}\n";
      directUrl = toFile "direct_url.json" (toJSON {
        url = "file://${tree}";
        dir_info.editable = true;
      });
      entryPoints = toFile "entry_points.txt" (
        "[console_scripts]\n" + concatStringsSep "" (map (n: "${n} = ${scripts.${n}}\n") (attrNames scripts))
      );
      writeScripts = concatStringsSep "" (
        map (
          n:
          let
            file = toFile "mach2-script" (scriptText key n scripts.${n});
          in
          if !(isString scripts.${n}) || match "[A-Za-z0-9_.-]+" n == null then
            throw "mach2: locked package `${key}`: script ${toJSON n} = ${describe scripts.${n}} is not a script name and an entry point"
          else
            ''
              { echo "#!${python.interpreter}"; cat ${file}; } > "$out/bin/${n}"
              chmod +x "$out/bin/${n}"
            ''
        ) (attrNames scripts)
      );
    in
    final.buildPythonPackage {
      pname = key;
      inherit version;
      pyproject = false;
      dependencies = lookup final "a dependency" key dependencies;
      dontCheckRuntimeDeps = true;
      doCheck = false;
      installPhase = ''
        runHook preInstall
        site="$out/${python.sitePackages}"
        mkdir -p "$site/${distInfo}" "$out/bin"
        cp ${pth} "$site/_mach2_editable_${distName}.pth"
        cp ${metadata} "$site/${distInfo}/METADATA"
        cp ${directUrl} "$site/${distInfo}/direct_url.json"
        echo mach2 > "$site/${distInfo}/INSTALLER"
        : > "$site/${distInfo}/RECORD"
        ${if scripts == { } then "" else "cp ${entryPoints} \"$site/${distInfo}/entry_points.txt\""}
        ${writeScripts}
        runHook postInstall
      '';
      passthru.mach2 = {
        inherit key;
        provider = "path";
        editable = tree;
        why = pkg."why-provider" or "";
      };
    };
in
{
  inherit editablePackage scriptText;
}
