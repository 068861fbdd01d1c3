# Reading, validating and freshness-checking mach2.lock (lock-versions 1 and 2, see
# implementation.md "Lock format").
#
# Pure evaluation: the lock is read with builtins.readFile + builtins.fromJSON; nothing is
# built or fetched to read it.  A lock-version 2 file holds several systems; `forSystem` gives
# the one system's view the rest of the library reads, shaped like lock-version 1 (`target`,
# `roots`, `packages`, each package its shared fields with its system's own merged over them).
{ util, providers, ... }:
let
  inherit (builtins)
    attrNames
    baseNameOf
    concatStringsSep
    elemAt
    filter
    fromJSON
    hashString
    head
    isAttrs
    isList
    isString
    listToAttrs
    match
    pathExists
    readFile
    removeAttrs
    toJSON
    toString
    ;
  inherit (util) identifierKey;
  inherit (providers) canonicalProviders providerLists;

  # The lock-version this library writes' counterpart reads; 1 (one system) is still read.
  supportedVersion = 2;
  supportedVersions = [
    1
    2
  ];

  # The error for a system the lock lacks, with the command that adds it to the lock's.
  absentSystem =
    name: systems: system:
    throw "mach2: lock ${name} has no entries for ${system} (it has ${concatStringsSep ", " systems}); add it with `mach2 lock -r requirements.txt ${
      concatStringsSep " " (map (s: "--system ${s}") (systems ++ [ system ]))
    } -o ${name}` (use your own requirements file and options; for an env directory re-run `mach2 env DIR` with those --system options)";

  /**
    The name used for the lock in messages and commands.

    Type: lockName :: (path | string | null) -> string
  */
  lockName =
    lockFile:
    let
      base = baseNameOf (toString lockFile);
      # builtins.toFile / store paths: drop the hash part.
      m = match "[0-9a-df-np-sv-z]{32}-(.*)" base;
    in
    if lockFile == null then
      "mach2.lock"
    else if m == null then
      base
    else
      builtins.head m;

  /**
    "3.12.4" -> "3.12".

    Type: majorMinor :: string -> string
  */
  majorMinor =
    version:
    let
      m = match "([0-9]+)\\.([0-9]+).*" version;
    in
    if m == null then
      throw "mach2: lock target python ${toJSON version} is not a version like \"3.12.4\""
    else
      "${elemAt m 0}.${elemAt m 1}";

  /**
    The command that (re)creates the lock, with the given inputs spelled out.

    Type: refreshCommand :: { lockFile, providerString, pythonVersion, systems ? [] } -> string
  */
  refreshCommand =
    {
      lockFile,
      providerString,
      pythonVersion,
      systems ? [ ],
    }:
    concatStringsSep " " (
      [
        "mach2 lock -r requirements.txt"
      ]
      ++ (if providerString == "" then [ ] else [ "-p '${providerString}'" ])
      ++ [ "--python ${pythonVersion}" ]
      ++ map (system: "--system ${system}") systems
      ++ [ "-o ${lockName lockFile}" ]
    );

  refreshHint =
    args:
    "refresh it with `${refreshCommand args}` (use your own requirements file; for an env directory re-run `mach2 env`)";

  /**
    Read and parse the lock file, or throw saying how to create it.

    Type: readLock :: (path | string | null) -> attrs
  */
  readLock =
    lockFile:
    if lockFile == null then
      throw "mach2: no lock given: pass `lockFile = ./mach2.lock;` (create it with `mach2 lock -r requirements.txt -o mach2.lock`)"
    else if !(pathExists lockFile) then
      throw "mach2: lock file ${toString lockFile} does not exist; create it with `mach2 lock -r requirements.txt -o ${lockName lockFile}`"
    else
      validateLock (lockName lockFile) (
        builtins.addErrorContext "while reading the mach2 lock ${toString lockFile}" (
          fromJSON (readFile lockFile)
        )
      );

  /**
    Check the top-level shape of a parsed lock; packages are checked when built.  A
    lock-version 1 lock is one system's view already, so its roots are checked here; a
    lock-version 2 lock's are checked in its system's view (`forSystem`).

    Type: validateLock :: string -> attrs -> attrs
  */
  validateLock =
    name: lock:
    let
      fail = msg: throw "mach2: lock ${name}: ${msg}; re-create it with `mach2 lock`";
      version = lock."lock-version" or null;
    in
    if !(isAttrs lock) then
      fail "not a JSON object"
    else if builtins.isInt version && version > supportedVersion then
      throw "mach2: lock ${name}: lock-version ${toString version} was written by a newer mach2 (this mach2 Nix library reads lock-versions ${
        concatStringsSep " and " (map toString supportedVersions)
      }); update the mach2 library (or re-create the lock with this mach2: `mach2 lock`)"
    else if !(builtins.elem version supportedVersions) then
      fail "unsupported lock-version ${toJSON version} (this mach2 Nix library reads ${
        concatStringsSep " and " (map toString supportedVersions)
      })"
    else if version == 1 then
      validateView name lock
    else if !(isString (lock.python or null)) then
      fail "`python` is missing"
    else if !(isAttrs (lock.systems or null)) || lock.systems == { } then
      fail "`systems` is missing or names no system"
    else if !(isAttrs (lock.inputs or null)) then
      fail "`inputs` is missing"
    else if !(isAttrs (lock.packages or null)) then
      fail "`packages` is missing or not an object"
    else
      lock;

  /**
    Check one system's view: target, inputs, packages and roots that are keys of packages.

    Type: validateView :: string -> attrs -> attrs
  */
  validateView =
    name: lock:
    let
      fail = msg: throw "mach2: lock ${name}: ${msg}; re-create it with `mach2 lock`";
      roots = lock.roots or null;
      packages = lock.packages or null;
      missingRoots = filter (r: !(packages ? ${identifierKey r})) roots;
    in
    if !(isAttrs (lock.target or null)) || !(isString (lock.target.python or null)) then
      fail "`target.python` is missing"
    else if !(isAttrs (lock.inputs or null)) then
      fail "`inputs` is missing"
    else if !(isAttrs packages) then
      fail "`packages` is missing or not an object"
    else if !(isList roots) then
      fail "`roots` is missing or not a list"
    else if missingRoots != [ ] then
      fail "root `${head missingRoots}` is not a key of `packages`"
    else
      lock;

  /**
    The systems a lock has entries for.

    Type: lockSystems :: attrs -> [string]
  */
  lockSystems =
    lock:
    if (lock."lock-version" or null) == 1 then
      (if isString (lock.target.system or null) then [ lock.target.system ] else [ ])
    else
      attrNames (lock.systems or { });

  /**
    One system's view of a lock (lock-version 1 is one already): `target` (the shared
    `python`, the system, its glibc/macOS floor), `roots`, `nixpkgs`, and the packages on that
    system, each its shared fields with `systems.<system>` merged over them.  A system the lock
    lacks throws, naming it and the `mach2 lock` command that adds it.  `system` null (a pkgs
    without hostPlatform.system) takes the lock's only system.

    Type: forSystem :: { lockFile, system, lock } -> attrs
  */
  forSystem =
    {
      lockFile,
      system,
      lock,
    }:
    let
      name = lockName lockFile;
      systems = lockSystems lock;
      chosen =
        if system != null then
          system
        else if builtins.length systems == 1 then
          head systems
        else
          throw "mach2: lock ${name} has several systems (${concatStringsSep ", " systems}) and this nixpkgs does not say which it builds for (no `stdenv.hostPlatform.system`)";
      entry = lock.systems.${chosen};
      fail = msg: throw "mach2: lock ${name}: ${msg}; re-create it with `mach2 lock`";
      own =
        key: package:
        let
          perSystem = package.systems;
        in
        if !(isAttrs perSystem) then
          fail "`packages.${key}.systems` must be an object, not ${builtins.typeOf perSystem}"
        else
          perSystem;
      onSystem = key: !(lock.packages.${key} ? systems) || (own key lock.packages.${key}) ? ${chosen};
      project =
        key:
        let
          package = lock.packages.${key};
        in
        if package ? systems then removeAttrs package [ "systems" ] // package.systems.${chosen} else package;
      keys = filter onSystem (attrNames lock.packages);
    in
    if (lock."lock-version" or null) == 1 then
      lock // { systems = systems; }
    else if !(lock.systems ? ${chosen}) then
      absentSystem name systems chosen
    else
      validateView name (
        removeAttrs lock [
          "python"
          "systems"
          "roots"
          "nixpkgs"
        ]
        // {
          "lock-version" = supportedVersion;
          target = {
            python = lock.python;
            system = chosen;
          }
          // removeAttrs entry [
            "roots"
            "nixpkgs"
          ];
          roots = entry.roots or lock.roots or null;
          packages = listToAttrs (
            map (key: {
              name = key;
              value = project key;
            }) keys
          );
          inherit systems;
        }
        // (
          if entry ? nixpkgs || lock ? nixpkgs then { nixpkgs = entry.nixpkgs or lock.nixpkgs; } else { }
        )
      );

  /**
    Throw when the lock was not made from these inputs (stale lock), else return the lock.

    `requirements` null skips the requirements check; `providers` is checked when given or
    when `requirements` is given (null then means "no providers").  `pythonVersion` is the
    interpreter's major.minor and `system` the host platform's Nix system.

    Type: checkFresh :: attrs -> attrs
  */
  checkFresh =
    {
      lock,
      lockFile,
      requirements,
      providers,
      providerDefaults,
      pythonVersion,
      system,
    }:
    let
      name = lockName lockFile;
      inputs = lock.inputs;
      lockPython = majorMinor lock.target.python;
      providerString = canonicalProviders providers;
      hint = refreshHint {
        inherit lockFile providerString;
        pythonVersion = pythonVersion;
        # `mach2 lock` keeps the lock's systems; several are spelled out anyway.
        systems = if builtins.length (lock.systems or [ ]) > 1 then lock.systems else [ ];
      };
      requirementsHash = hashString "sha256" requirements;
      checkProviders = providers != null || requirements != null;
      lockSystem = lock.target.system or null;
      # `_providerDefaults` replaces mach2's built-in defaults, of which only `_default` is
      # used (mach2.providers.order.ProviderOrder.effective): the lock's `providers` is the
      # user's `_default`, else the defaults' one, plus the user's entries.
      userLists = providerLists providers;
      defaultLists = providerLists providerDefaults;
      effective =
        (if defaultLists ? _default then { inherit (defaultLists) _default; } else { }) // userLists;
      lockEffective = lock.providers or { };
      differingKeys = filter (k: (effective.${k} or null) != (lockEffective.${k} or null)) (
        attrNames (effective // lockEffective)
      );
    in
    if requirements != null && !(isString requirements) then
      throw "mach2: `requirements` must be the requirements text (e.g. builtins.readFile ./requirements.txt), not a ${builtins.typeOf requirements}"
    else if requirements != null && requirementsHash != (inputs."requirements-sha256" or null) then
      throw "mach2: lock ${name} is stale: the requirements changed since it was locked (sha256 ${requirementsHash}, the lock has ${toJSON (inputs."requirements-sha256" or null)}); ${hint}"
    else if checkProviders && providerString != (inputs.providers or null) then
      throw "mach2: lock ${name} is stale: providers are ${toJSON providerString} but the lock was made with ${toJSON (inputs.providers or null)}; ${hint}"
    else if providerDefaults != null && differingKeys != [ ] then
      throw "mach2: lock ${name} is stale: with these `_providerDefaults` the provider order for `${head differingKeys}` is ${toJSON (effective.${head differingKeys} or null)} but the lock used ${toJSON (lockEffective.${head differingKeys} or null)}; ${hint}"
    else if lockPython != pythonVersion then
      throw "mach2: lock ${name} targets Python ${lockPython} but the interpreter is Python ${pythonVersion}; pass `python = \"python${
        builtins.replaceStrings [ "." ] [ "" ] lockPython
      }\"` or ${hint}"
    else if system != null && lockSystem != null && lockSystem != system then
      absentSystem name [ lockSystem ] system
    else
      lock;

  /**
    The lock of `dir` for `system`: `mach2-<system>.lock` (one lock per system), else
    `mach2.lock` when it has entries for that system (one lock for several systems, or one
    made for that system).  A flake for several systems asks this function for each; a system
    without a lock throws with the `mach2 lock` commands that make one.

    Type: lockFileIn :: path -> string -> path
  */
  lockFileIn =
    dir: system:
    let
      perSystem = dir + "/mach2-${system}.lock";
      single = dir + "/mach2.lock";
      singleSystems = if pathExists single then lockSystems (readLock single) else [ ];
      present = filter (n: match "mach2(-.*)?\\.lock" n != null) (
        if pathExists dir then attrNames (builtins.readDir dir) else [ ]
      );
    in
    if pathExists perSystem then
      perSystem
    else if builtins.elem system singleSystems then
      single
    else
      throw "mach2: no lock for ${system} in ${toString dir} (${
        if present == [ ] then "it has none" else "it has ${concatStringsSep ", " present}"
      }${
        if singleSystems != [ ] then "; mach2.lock is for ${concatStringsSep ", " singleSystems}" else ""
      }); add it to mach2.lock with `mach2 lock ${
        concatStringsSep " " (map (s: "--system ${s}") (singleSystems ++ [ system ]))
      }`, or make `mach2 lock --system ${system} -o mach2-${system}.lock` (same requirements and options as the others)";

  /**
    An empty lock, used when only `packagesExtra` is given.

    Type: emptyLock :: attrs
  */
  emptyLock = {
    "lock-version" = supportedVersion;
    target = { };
    inputs = { };
    roots = [ ];
    packages = { };
    systems = [ ];
  };
in
{
  inherit
    checkFresh
    emptyLock
    forSystem
    lockFileIn
    lockName
    lockSystems
    majorMinor
    readLock
    refreshCommand
    validateLock
    validateView
    ;
}
