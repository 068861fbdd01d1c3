# Reading, validating and freshness-checking mach2.lock (lock-version 1, see implementation.md).
#
# Pure evaluation: the lock is read with builtins.readFile + builtins.fromJSON; nothing is
# built or fetched to read it.
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
    match
    pathExists
    readFile
    toJSON
    toString
    ;
  inherit (util) identifierKey;
  inherit (providers) canonicalProviders providerLists;

  supportedVersion = 1;

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

    Type: refreshCommand :: { lockFile, providers, pythonVersion } -> string
  */
  refreshCommand =
    {
      lockFile,
      providerString,
      pythonVersion,
    }:
    concatStringsSep " " (
      [
        "mach2 lock -r requirements.txt"
      ]
      ++ (if providerString == "" then [ ] else [ "-p '${providerString}'" ])
      ++ [
        "--python ${pythonVersion}"
        "-o ${lockName lockFile}"
      ]
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
    Check the top-level shape of a parsed lock; packages are checked when built.

    Type: validateLock :: string -> attrs -> attrs
  */
  validateLock =
    name: lock:
    let
      fail = msg: throw "mach2: lock ${name}: ${msg}; re-create it with `mach2 lock`";
      version = lock."lock-version" or null;
      roots = lock.roots or null;
      packages = lock.packages or null;
      missingRoots = filter (r: !(packages ? ${identifierKey r})) roots;
    in
    if !(isAttrs lock) then
      fail "not a JSON object"
    else if version != supportedVersion then
      fail "unsupported lock-version ${toJSON version} (this mach2 Nix library reads ${toString supportedVersion})"
    else if !(isAttrs (lock.target or null)) || !(isString (lock.target.python or null)) then
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
      throw "mach2: lock ${name} targets ${lockSystem} but nixpkgs builds for ${system}; lock for this system with `mach2 lock --system ${system}`"
    else
      lock;

  /**
    An empty lock, used when only `packagesExtra` is given.

    Type: emptyLock :: attrs
  */
  /**
    The lock of `dir` for `system`: `mach2-<system>.lock` (one lock per system), else
    `mach2.lock` when it was made for that system.  A flake for several systems keeps one lock
    per system beside it and asks this function for each; a system without one throws with
    the `mach2 lock` command that makes it.  (Locks hold one target today; when a lock can
    hold several, "made for that system" is the one test to widen.)

    Type: lockFileIn :: path -> string -> path
  */
  lockFileIn =
    dir: system:
    let
      perSystem = dir + "/mach2-${system}.lock";
      single = dir + "/mach2.lock";
      singleSystem = if pathExists single then (readLock single).target.system or null else null;
      present = filter (n: match "mach2(-.*)?\\.lock" n != null) (
        if pathExists dir then attrNames (builtins.readDir dir) else [ ]
      );
    in
    if pathExists perSystem then
      perSystem
    else if singleSystem == system then
      single
    else
      throw "mach2: no lock for ${system} in ${toString dir} (${
        if present == [ ] then "it has none" else "it has ${concatStringsSep ", " present}"
      }${
        if singleSystem != null then "; mach2.lock is for ${singleSystem}" else ""
      }); make it with `mach2 lock --system ${system} -o mach2-${system}.lock` (same requirements and options as the others)";

  emptyLock = {
    "lock-version" = supportedVersion;
    target = { };
    inputs = { };
    roots = [ ];
    packages = { };
  };
in
{
  inherit
    checkFresh
    emptyLock
    lockFileIn
    lockName
    majorMinor
    readLock
    refreshCommand
    validateLock
    ;
}
