# stdenv.mkDerivation, fetchurl and host-library stand-ins built from builtins.derivation.
#
# Copied from nixpkgs (pkgs/stdenv/generic/make-derivation.nix, pkgs/build-support/fetchurl):
#   * mkDerivation takes an attribute set or `finalAttrs: { ... }`; `name` defaults to
#     "${pname}-${version}"; `passthru` attributes are added to the result and not passed to
#     the builder; `env` attributes become environment variables; `overrideAttrs` takes
#     `prev: { ... }` or `final: prev: { ... }` and keeps the result overridable;
#   * the builder sources $stdenv/setup (setup.sh) and runs genericBuild;
#   * `outputs` (the first is the default; each is an attribute of the result);
#   * check inputs (make-derivation.nix): nativeCheckInputs/checkInputs join
#     nativeBuildInputs/buildInputs only when doCheck, nativeInstallCheckInputs/
#     installCheckInputs only when doInstallCheck, and are not passed to the builder;
#   * fetchurl is a fixed-output derivation: Nix itself checks the sha256 (builtin:fetchurl,
#     as nixpkgs' bootstrap fetchurl does).
# Not copied: cross compilation (no build/host offsets: every input is native), stdenv.cc as
# a real compiler, `meta` checks, structured attrs.
{ lib, system }:
let
  inherit (builtins)
    attrNames
    baseNameOf
    filter
    isAttrs
    isBool
    isFunction
    isInt
    isList
    isPath
    isString
    listToAttrs
    match
    removeAttrs
    ;

  hostPlatform = {
    inherit system;
    isLinux = match ".*-linux" system != null;
    isDarwin = match ".*-darwin" system != null;
    isx86_64 = match "x86_64-.*" system != null;
    isAarch64 = match "aarch64-.*" system != null;
  };

  # The file nix-shell and the builder source as $stdenv/setup.
  stdenvSetup = derivation {
    name = "stdenv-standin";
    inherit system;
    builder = "/bin/sh";
    args = [
      "-c"
      "/bin/mkdir $out && /bin/cp ${./setup.sh} $out/setup"
    ];
  };

  # Attributes that are Nix-only and never reach the builder.
  nixOnly = [
    "passthru"
    "meta"
    "env"
    "pos"
    "finalPackage"
    "__structuredAttrs"
    "nativeCheckInputs"
    "checkInputs"
    "nativeInstallCheckInputs"
    "installCheckInputs"
  ];

  truthy = v: v != null && v != false && v != "";

  build =
    attrs:
    let
      checks = attrs.doCheck or false;
      installChecks = attrs.doInstallCheck or false;
      raw =
        removeAttrs attrs nixOnly
        // {
          nativeBuildInputs =
            (attrs.nativeBuildInputs or [ ])
            ++ (if truthy checks then attrs.nativeCheckInputs or [ ] else [ ])
            ++ (if truthy installChecks then attrs.nativeInstallCheckInputs or [ ] else [ ]);
          buildInputs =
            (attrs.buildInputs or [ ])
            ++ (if truthy checks then attrs.checkInputs or [ ] else [ ])
            ++ (if truthy installChecks then attrs.installCheckInputs or [ ] else [ ]);
        };
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      # Every other attribute reaches the builder, null ones left out (make-derivation.nix:
      # __ignoreNulls); values are forced only when the derivation is instantiated, so its
      # attribute names never depend on its inputs.
      drv = derivation (
        raw
        // (attrs.env or { })
        // {
          inherit name system;
          __ignoreNulls = true;
          builder = "/bin/bash";
          args = [ ./default-builder.sh ];
          stdenv = stdenvSetup;
        }
      );
      passthru = attrs.passthru or { };
    in
    raw
    // drv
    // passthru
    // {
      inherit name passthru;
      meta = attrs.meta or { };
      overrideAttrs =
        f:
        let
          r = f attrs;
          new = if isFunction r then f (attrs // r) attrs else r;
        in
        mkDerivation (attrs // new);
    };

  mkDerivation =
    fnOrAttrs:
    if isFunction fnOrAttrs then
      let
        attrs = fnOrAttrs (attrs // { finalPackage = result; });
        result = build attrs;
      in
      result
    else
      build fnOrAttrs;

  # lib.fetchers.proxyImpureEnvVars: what a fetcher takes from the caller's environment.
  proxyVars = [
    "http_proxy"
    "https_proxy"
    "ftp_proxy"
    "all_proxy"
    "no_proxy"
  ];

  fetchurl =
    {
      url ? null,
      urls ? [ ],
      sha256 ? "",
      hash ? "",
      name ? null,
      executable ? false,
      ...
    }:
    let
      theUrl = if url != null then url else builtins.head urls;
      outputHash =
        if hash != "" then
          hash
        else if sha256 != "" then
          sha256
        else
          throw "nixpkgs stand-in: fetchurl ${theUrl} needs `hash` or `sha256`";
      sri = match "[a-z0-9]+-.*" outputHash != null;
    in
    derivation (
      {
        name = if name != null then name else baseNameOf theUrl;
        builder = "builtin:fetchurl";
        system = "builtin";
        url = theUrl;
        urls = [ theUrl ];
        inherit outputHash executable;
        outputHashMode = "flat";
        unpack = false;
        preferLocalBuild = true;
        impureEnvVars = proxyVars;
      }
      // (if sri then { } else { outputHashAlgo = "sha256"; })
    );

  # pkgs/build-support/fetchgit (default.nix + nix-prefetch-git, read at faukah/nixpkgs@3b20077
  # and NixOS/nixpkgs@00ed9cc): a fixed-output derivation, outputHashMode "recursive", whose
  # builder clones `url` at `rev` (or `refs/tags/<tag>`) with git: `git init`, `fetch --depth=1
  # origin <rev>`, else `fetch -t origin` (dumb HTTP cannot fetch shallow), `checkout -b
  # fetchgit <rev>`, submodules when `fetchSubmodules` (nixpkgs' default: true), then every
  # `.git` removed, all with HOME in a temporary directory and GIT_CONFIG_NOSYSTEM=1 (no user
  # or system git configuration).  Nix checks the NAR hash.  The host's /usr/bin/git stands
  # in for nixpkgs' git.  Not copied: sparse checkouts, LFS, deepClone/leaveDotGit, netrc,
  # checking out a ref name found by ls-remote before the commit (the same tree either way).
  fetchgit =
    {
      url,
      rev ? null,
      tag ? null,
      hash ? "",
      sha256 ? "",
      name ? "source",
      fetchSubmodules ? true,
      leaveDotGit ? false,
      ...
    }:
    let
      outputHash =
        if hash != "" then
          hash
        else if sha256 != "" then
          sha256
        else
          throw "nixpkgs stand-in: fetchgit ${url} needs `hash` or `sha256`";
      sri = match "[a-z0-9]+-.*" outputHash != null;
    in
    if leaveDotGit then
      throw "nixpkgs stand-in: fetchgit: leaveDotGit is not implemented"
    else if rev != null && tag != null then
      throw "fetchgit requires one of either `rev` or `tag` to be provided (not both)."
    else
      derivation (
        {
          inherit name system url outputHash;
          rev = if tag != null then "refs/tags/${tag}" else if rev != null then rev else "HEAD";
          fetchSubmodules = if fetchSubmodules then "1" else "";
          outputHashMode = "recursive";
          builder = "/bin/bash";
          args = [
            "-euc"
            ''
              export PATH=/usr/bin:/bin HOME="$(mktemp -d)" GIT_CONFIG_NOSYSTEM=1
              if ! [ -x /usr/bin/git ]; then
                echo "nixpkgs stand-in: fetchgit needs the host's /usr/bin/git" >&2; exit 1
              fi
              mkdir -p "$out"; cd "$out"
              git init -q --initial-branch=master
              git remote add origin "$url"
              git fetch -q --depth=1 origin "$rev" 2>/dev/null || git fetch -q -t origin || {
                echo "Unable to checkout $rev from $url." >&2; exit 1; }
              git checkout -q -b fetchgit "$rev" 2>/dev/null || git checkout -q -b fetchgit FETCH_HEAD
              if [ -n "$fetchSubmodules" ]; then git submodule -q update --init --recursive; fi
              find "$out" -name .git -print0 | xargs -0 rm -rf
            ''
          ];
          preferLocalBuild = true;
          impureEnvVars = proxyVars;
        }
        // (if sri then { } else { outputHashAlgo = "sha256"; })
      );

  # A "library package" made of the host's shared objects (symlinks), standing in for nixpkgs
  # packages such as zlib or gcc's lib output: `lib/` holds the sonames.
  hostLibrary =
    { name, sonames }:
    mkDerivation {
      inherit name;
      sonames = builtins.concatStringsSep " " sonames;
      buildCommand = ''
        mkdir -p $out/lib
        for soname in $sonames; do
          found=
          for dir in /usr/lib/${
            if hostPlatform.isAarch64 then "aarch64" else "x86_64"
          }-linux-gnu /lib/${if hostPlatform.isAarch64 then "aarch64" else "x86_64"}-linux-gnu /usr/lib64 /usr/lib /lib; do
            if [ -e "$dir/$soname" ]; then
              ln -s "$dir/$soname" "$out/lib/$soname"
              found=1
              break
            fi
          done
          if [ -z "$found" ]; then
            echo "nixpkgs stand-in: the host has no $soname (needed by $name)" >&2
            exit 1
          fi
        done
      '';
    };

  # A derivation that is only a symlink to a host program.
  hostProgram =
    { name, programs }:
    mkDerivation {
      inherit name;
      programs = builtins.concatStringsSep " " programs;
      buildCommand = ''
        mkdir -p $out/bin
        for p in $programs; do ln -s "$p" "$out/bin/$(basename "$p")"; done
      '';
    };

  ccLib = hostLibrary {
    name = "gcc-lib-standin";
    sonames = [
      "libstdc++.so.6"
      "libgcc_s.so.1"
    ];
  };
in
{
  inherit
    fetchgit
    fetchurl
    hostLibrary
    hostProgram
    mkDerivation
    ;
  stdenv = {
    inherit hostPlatform mkDerivation;
    buildPlatform = hostPlatform;
    targetPlatform = hostPlatform;
    inherit system;
    isLinux = hostPlatform.isLinux;
    isDarwin = hostPlatform.isDarwin;
    cc = {
      cc = {
        lib = ccLib;
      };
    };
    shell = "/bin/bash";
  };
}
