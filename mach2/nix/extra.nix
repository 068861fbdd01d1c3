# `packagesExtra`: what else goes into an environment besides the lock.
#
#   a path or a "https://..." tarball URL   a Python project, built with pyproject = true; name,
#                                           version, dependencies and build-system are read from
#                                           its pyproject.toml (PEP 621), dependencies are taken
#                                           from the environment's package set
#   a package built with mach2's            rebuilt inside the environment's package set, so it
#   buildPythonPackage                      shares the environment's dependencies
#   any other Python package (derivation    added as is (made a module of this interpreter)
#   with `pythonModule`)
#   any other derivation                    put on PATH (wrapped programs, shell, image)
#
# Reading pyproject.toml of a path or of a fetched tarball is plain evaluation (no
# import-from-derivation); sources that are derivations must say pname and version.
{ util, packages, ... }:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elemAt
    fetchTarball
    filter
    fromTOML
    hasAttr
    head
    isList
    isPath
    isString
    listToAttrs
    match
    pathExists
    readFile
    ;
  inherit (util) describe isDerivation normalizeName;
  inherit (packages) attrIn;

  child = src: name: if isPath src then src + "/${name}" else "${src}/${name}";

  /**
    The parsed pyproject.toml of a source (a path or a fetched store path), or {} when it
    cannot be read without building something.

    Type: readPyproject :: (path | string | derivation) -> attrs
  */
  readPyproject =
    src:
    if (isPath src || isString src) && pathExists (child src "pyproject.toml") then
      fromTOML (readFile (child src "pyproject.toml"))
    else
      { };

  /**
    The distribution name of a PEP 508 requirement string, or null for one that only applies
    to an extra.

    Type: requirementName :: string -> (string | null)
  */
  requirementName =
    req:
    let
      m = match "[ \t]*([A-Za-z0-9][A-Za-z0-9._-]*).*" req;
    in
    if m == null || match ".*extra[ \t]*==.*" req != null then null else normalizeName (head m);

  names = reqs: filter (n: n != null) (map requirementName reqs);

  /**
    A buildable description of a Python source: nixpkgs builder arguments plus the names of
    its dependencies and build backends, resolved later in the environment's package set.

    Type: sourceSpec :: { src, args, extras, where } -> attrs
  */
  sourceSpec =
    {
      src,
      args ? { },
      extras ? [ ],
      where,
    }:
    let
      pyproject = readPyproject src;
      project = pyproject.project or { };
      optional = project.optional-dependencies or { };
      extraList = if isString extras then [ extras ] else extras;
      extraDeps = builtins.concatLists (
        map (
          e:
          optional.${e}
            or (throw "mach2: ${where}: extra `${e}` is not in [project.optional-dependencies] of its pyproject.toml (known: ${concatStringsSep ", " (attrNames optional)})")
        ) extraList
      );
      pname =
        args.pname or project.name
          or (throw "mach2: ${where}: cannot tell the package name: give `pname` (and `version`), or a source with a PEP 621 pyproject.toml");
      version =
        args.version or project.version
          or (throw "mach2: ${where}: cannot tell the version of ${pname}: give `version` (its pyproject.toml has no static [project] version)");
    in
    {
      name = normalizeName pname;
      builderArgs = {
        inherit pname version src;
      }
      // (if args ? format then { } else { pyproject = args.pyproject or true; })
      // removeAttrs args [
        "dependencies"
        "build-system"
      ];
      dependencyNames = names (project.dependencies or [ ] ++ extraDeps);
      buildSystemNames = names (pyproject.build-system.requires or [ ]);
      extraDependencies = args.dependencies or [ ];
      extraBuildSystem = args.build-system or [ ];
    };

  /**
    Build a source spec in the python package set `final`.

    Type: instantiate :: attrs -> bool -> string -> attrs -> derivation
  */
  instantiate =
    final: tests: where: spec:
    let
      get =
        what: name:
        let
          attr = attrIn final name;
        in
        if hasAttr attr final then
          final.${attr}
        else
          throw "mach2: ${where} (${spec.name}) needs ${what} `${name}`, which is not in the environment: add it to the requirements and refresh the lock";
      builder =
        if spec.application or false then final.buildPythonApplication else final.buildPythonPackage;
    in
    builder (
      {
        doCheck = tests;
        dontCheckRuntimeDeps = true;
      }
      // spec.builderArgs
      // {
        dependencies = map (get "the dependency") spec.dependencyNames ++ spec.extraDependencies;
        build-system = map (get "the build backend") spec.buildSystemNames ++ spec.extraBuildSystem;
        passthru = (spec.builderArgs.passthru or { }) // {
          mach2Source = spec;
        };
      }
    );

  isUrl = x: isString x && match "https?://.*" x != null;

  /**
    Sort `packagesExtra` into Python sources, Python packages and other derivations.

    Type: classify :: list -> { sources, modules, other }
  */
  classify =
    packagesExtra:
    let
      entries =
        if isList packagesExtra then
          packagesExtra
        else
          throw "mach2: `packagesExtra` must be a list, not ${describe packagesExtra}";
      indexed = builtins.genList (i: {
        index = i;
        value = elemAt entries i;
      }) (builtins.length entries);
      where = e: "packagesExtra entry ${toString e.index}";
      kind =
        e:
        let
          x = e.value;
        in
        if isPath x then
          "source"
        else if isUrl x then
          "source"
        else if isDerivation x && x ? mach2Source then
          "mach2"
        else if isDerivation x && (x.pythonModule or false) != false then
          "module"
        else if isDerivation x then
          "other"
        else
          throw "mach2: ${where e} is ${describe x}; give a path, an http(s) tarball URL or a derivation";
      ofKind = k: filter (e: kind e == k) indexed;
      sourceOf =
        e:
        sourceSpec {
          src = if isPath e.value then e.value else fetchTarball e.value;
          where = "${where e} (${toString e.value})";
        };
    in
    {
      sources =
        map (e: {
          where = where e;
          spec = sourceOf e;
        }) (ofKind "source")
        ++ map (e: {
          where = where e;
          # Inside an environment even an application is installed as a module (nixpkgs'
          # buildEnv drops derivations that are not modules of its interpreter).
          spec = e.value.mach2Source // {
            application = false;
          };
        }) (ofKind "mach2");
      modules = map (e: e.value) (ofKind "module");
      other = map (e: e.value) (ofKind "other");
    };

  /**
    The attribute names the extra Python packages get in the package set.

    Type: extraNames :: attrs -> [string]
  */
  extraNames =
    classified:
    map (s: s.spec.name) classified.sources
    ++ map (m: normalizeName (m.pname or (throw "mach2: packagesExtra: Python package ${m.name} has no pname"))) classified.modules;

  /**
    The overlay adding the extra Python packages.  A package of nixpkgs' own set `basePkgs`
    (the same derivation as its attribute there) is taken from this set instead, so it is built
    against the environment's packages: one copy of each name in a closure.

    Type: extraOverlay :: attrs -> bool -> attrs -> overlay
  */
  extraOverlay =
    classified: tests: basePkgs: final: prev:
    listToAttrs (
      map (s: {
        name = s.spec.name;
        value = instantiate final tests s.where s.spec;
      }) classified.sources
      ++ map (
        m:
        let
          name = normalizeName m.pname;
          fromNixpkgs =
            hasAttr name basePkgs && hasAttr name prev && (basePkgs.${name}.outPath or null) == m.outPath;
        in
        {
          inherit name;
          # A package of another set of the same interpreter version: make it a module of this
          # one, or withPackages would silently drop it (requiredPythonModules).
          value =
            if (m.pythonModule.pythonVersion or null) != final.python.pythonVersion then
              throw "mach2: packagesExtra: ${m.name} is built for Python ${m.pythonModule.pythonVersion or "?"}, the environment's interpreter is Python ${final.python.pythonVersion}"
            else if fromNixpkgs then
              prev.${name}
            else
              final.toPythonModule m;
        }
      ) classified.modules
    );
in
{
  inherit
    classify
    extraNames
    extraOverlay
    instantiate
    readPyproject
    requirementName
    sourceSpec
    ;
}
