# Build fixes: what sdists need from nixpkgs to build (native inputs, environment variables,
# derivation attributes, vendored Rust crates), as data in ./build-fixes.json.
#
# The lock decides which entries apply (PEP 440 ranges are compared in Python at lock time:
# Nix has no PEP 440 comparison) and names them on the package: `"build-fixes": [ids]`, plus
# `"cargo-crates"` for sdists that build Rust crates.  This file only applies what the lock
# names, to sdist builds (packages.nix calls `apply` there and nowhere else), so wheels,
# conda and nixpkgs packages are untouched.  The `_` overrides come later in the overlay
# order, so the user's word wins.
{ pkgs, util, ... }:
let
  inherit (builtins)
    all
    concatLists
    concatStringsSep
    elemAt
    filter
    foldl'
    fromJSON
    head
    isAttrs
    isList
    isString
    length
    mapAttrs
    match
    readFile
    split
    toString
    ;
  inherit (util) describe getAttrPath splitOn;

  /**
    The table shipped with this library (format 1; see implementation.md "Build fixes").

    Type: table :: { format; revision; fixes; }
  */
  table =
    let
      data = fromJSON (readFile ./build-fixes.json);
    in
    if (data.format or null) == 1 then
      data
    else
      throw "mach2: build-fixes.json has format ${describe (data.format or null)}; this library reads format 1";

  /**
    A nixpkgs attribute path such as "libxml2.dev", or null when this nixpkgs lacks it.

    Type: findAttrPath :: string -> any
  */
  findAttrPath =
    path:
    foldl' (acc: name: if acc != null && isAttrs acc && acc ? ${name} then acc.${name} else null) pkgs (
      splitOn "\\." path
    );

  # nixpkgs' lib.getDev: the `dev` output unless an output was chosen.
  getDev = drv: if drv.outputSpecified or false then drv else drv.dev or drv.out or drv;

  /**
    One input of an entry: an attribute path, or a list of alternatives of which the first
    this nixpkgs has is taken.  `what` names the package and the fix for the error.

    Type: resolveInput :: string -> (string | [string]) -> derivation
  */
  resolveInput =
    what: input:
    let
      alternatives = if isList input then input else [ input ];
      present = filter (path: findAttrPath path != null) alternatives;
      names = concatStringsSep " or " (map (p: "`pkgs.${p}`") alternatives);
    in
    if !(all isString alternatives) || alternatives == [ ] then
      throw "mach2: ${what}: input ${describe input} is not an attribute path or a list of them"
    else if present == [ ] then
      throw "mach2: ${what} needs ${names}, which this nixpkgs does not have; give the library yourself with a `_` override (nativeBuildInputs/buildInputs), or take the package as a wheel"
    else
      findAttrPath (head present);

  /**
    An environment value with its placeholders replaced: `@attr.path@` by that package's store
    path, `@dev:attr.path@` by its dev output's.

    Type: substitute :: string -> string -> string
  */
  substitute =
    what: text:
    concatStringsSep "" (
      map (
        part:
        if isList part then
          let
            drv = getAttrPath what (elemAt part 1) pkgs;
          in
          toString (if elemAt part 0 == null then drv else getDev drv)
        else
          part
      ) (split "@(dev:)?([^@]*)@" text)
    );

  # Crate fields go into file names and shell words: only what Cargo.lock can hold for a
  # crates.io crate is accepted.
  checkCrate =
    key: crate:
    if
      isAttrs crate
      && match "[A-Za-z0-9_-]+" (crate.name or "") != null
      && match "[A-Za-z0-9.+-]+" (crate.version or "") != null
      && match "[0-9a-f]{64}" (crate.sha256 or "") != null
    then
      crate
    else
      throw "mach2: locked package `${key}`: ${describe crate} in `cargo-crates` is not a crate (name, version, sha256); re-create the lock with `mach2 lock`";

  /**
    The crates of an sdist's Cargo.lock, each fetched from crates.io by its checksum and
    unpacked into a vendor directory cargo reads instead of the network (as nixpkgs'
    importCargoLock does); its setup hook points CARGO_HOME at a config that says so before
    the build phase.  Returned as a native build input.

    Type: cargoVendor :: string -> [attrs] -> derivation
  */
  cargoVendor =
    key: crates:
    let
      checked = map (checkCrate key) crates;
      fetchCrate =
        crate:
        pkgs.fetchurl {
          # `url` (a mirror, a local file) when the lock gives one; crates.io by default.
          url = crate.url or "https://static.crates.io/crates/${crate.name}/${crate.name}-${crate.version}.crate";
          inherit (crate) sha256;
          name = "crate-${crate.name}-${crate.version}.tar.gz";
        };
    in
    if !(isList crates) then
      throw "mach2: locked package `${key}`: `cargo-crates` must be a list, not ${describe crates}"
    else
      pkgs.stdenv.mkDerivation {
        name = "${key}-cargo-vendor";
        buildCommand = ''
          mkdir -p "$out/vendor" "$out/nix-support"
          unpackCrate() {
            mkdir "$out/vendor/$1"
            tar -xzf "$2" -C "$out/vendor/$1" --strip-components=1
            printf '{"files":{},"package":"%s"}' "$3" > "$out/vendor/$1/.cargo-checksum.json"
          }
        ''
        + concatStringsSep "" (
          map (c: "unpackCrate ${c.name}-${c.version} ${fetchCrate c} ${c.sha256}\n") checked
        )
        + ''
          printf '%s\n' '[source.crates-io]' 'replace-with = "mach2-vendored"' \
            '[source.mach2-vendored]' "directory = \"$out/vendor\"" '[net]' 'offline = true' \
            > "$out/config.toml"
          cat > "$out/nix-support/setup-hook" <<EOF
          mach2CargoVendor() {
            export CARGO_HOME="\$NIX_BUILD_TOP/.mach2-cargo-home"
            mkdir -p "\$CARGO_HOME"
            cp "$out/config.toml" "\$CARGO_HOME/config.toml"
          }
          preBuildHooks+=(mach2CargoVendor)
          EOF
        '';
      };

  /**
    The table entry `id` that the lock names for package `key`.

    Type: entryFor :: string -> string -> attrs
  */
  entryFor =
    key: id:
    if !(isString id) then
      throw "mach2: locked package `${key}`: `build-fixes` holds ${describe id}, not a fix name; re-create the lock with `mach2 lock`"
    else
      table.fixes.${id}
        or (throw "mach2: locked package `${key}` names build fix `${id}`, which this copy of mach2's Nix library does not have (table revision ${toString table.revision}); re-lock with this mach2 (`mach2 lock`), or use the library the lock was made with");

  /**
    The arguments of an sdist's buildPythonPackage with the fixes the lock names for it
    added: inputs appended (entry by entry, in the lock's order), `env` merged, `attrs` set,
    vendored crates as a native input, and `passthru.mach2.buildFixes` = the names.

    Type: apply :: string -> attrs -> attrs -> attrs
  */
  apply =
    key: pkg: args:
    let
      ids = pkg."build-fixes" or [ ];
      entries = map (entryFor key) ids;
      inputsOf =
        field:
        concatLists (
          map (
            id:
            map (resolveInput "locked package `${key}` (build fix `${id}`)") (
              (entryFor key id).${field} or [ ]
            )
          ) ids
        );
      env = foldl' (
        acc: id:
        acc // mapAttrs (_: substitute "locked package `${key}` (build fix `${id}`)") ((entryFor key id).env or { })
      ) { } ids;
      attrs = foldl' (acc: entry: acc // (entry.attrs or { })) { } entries;
      cargo = if pkg ? "cargo-crates" then [ (cargoVendor key pkg."cargo-crates") ] else [ ];
      passthru = args.passthru or { };
    in
    if !(isList ids) then
      throw "mach2: locked package `${key}`: `build-fixes` must be a list, not ${describe ids}; re-create the lock with `mach2 lock`"
    else if ids == [ ] && cargo == [ ] then
      args
    else
      args
      // attrs
      // {
        nativeBuildInputs = (args.nativeBuildInputs or [ ]) ++ inputsOf "nativeBuildInputs" ++ cargo;
        buildInputs = (args.buildInputs or [ ]) ++ inputsOf "buildInputs";
        propagatedBuildInputs = (args.propagatedBuildInputs or [ ]) ++ inputsOf "propagatedBuildInputs";
        passthru = passthru // {
          mach2 = (passthru.mach2 or { }) // {
            buildFixes = ids;
          };
        };
      }
      // (if env == { } then { } else { env = (args.env or { }) // env; });
in
{
  inherit
    apply
    cargoVendor
    entryFor
    findAttrPath
    resolveInput
    substitute
    table
    ;
}
