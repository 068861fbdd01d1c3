# Native packages for mach2's build fixes (mach2/nix/build-fixes.json): every attribute the
# table names exists here, so each fix evaluates against the stand-in.
#
# Three kinds:
#   * host tools and libraries (what Debian's -dev packages install; test.sh apt-gets the
#     ones the build tests use): the package's pkg-config files under lib/pkgconfig and its
#     programs under bin/ (xml2-config, pg_config), as links to the host's.  Headers and
#     libraries stay where the host compiler finds them by itself (/usr/include, /usr/lib).
#     `dev` is the package itself (nixpkgs splits outputs; the stand-in has only `out`);
#     `libpq.pg_config` / `postgresql.pg_config` are the pg_config outputs of current nixpkgs
#     (pkgs/servers/sql/postgresql/libpq.nix, generic.nix).
#   * pkg-config: nixpkgs' pkg-config setup hook (pkgs/build-support/pkg-config-wrapper)
#     puts every input's lib/pkgconfig and share/pkgconfig on PKG_CONFIG_PATH, and the
#     wrapper sees nothing else: the stand-in's wrapper sets PKG_CONFIG_LIBDIR so the host's
#     own .pc directories are not searched either.  (The host's /usr/bin/pkg-config stays on
#     the stand-in's PATH, so a build without this input can still find it: a known gap.)
#   * evaluation-only placeholders for what the host does not have (gfortran, hdf5, …):
#     they evaluate like the real package and fail when built, saying so.  Builds that need
#     them run against real nixpkgs (MACH2_TEST_NIXPKGS).
{ mkDerivation }:
let
  inherit (builtins) concatStringsSep listToAttrs;

  withOutputs = drv: drv // { dev = drv; out = drv; lib = drv; bin = drv; };

  # A host library: its .pc files and programs linked, its propagated inputs recorded.
  hostDev =
    {
      name,
      pkgconfig ? [ ],
      programs ? [ ],
      propagated ? [ ],
      passthru ? { },
    }:
    withOutputs (mkDerivation {
      name = "${name}-standin";
      pcNames = concatStringsSep " " pkgconfig;
      programs = concatStringsSep " " programs;
      propagated = concatStringsSep " " (map toString propagated);
      inherit passthru;
      buildCommand = ''
        mkdir -p $out/lib/pkgconfig $out/bin $out/nix-support
        for pc in $pcNames; do
          found=
          for dir in /usr/lib/x86_64-linux-gnu/pkgconfig /usr/lib/aarch64-linux-gnu/pkgconfig /usr/lib/pkgconfig /usr/share/pkgconfig; do
            if [ -e "$dir/$pc.pc" ]; then ln -s "$dir/$pc.pc" "$out/lib/pkgconfig/$pc.pc"; found=1; break; fi
          done
          if [ -z "$found" ]; then
            echo "nixpkgs stand-in: the host has no $pc.pc, needed by $name (apt-get install its -dev package; test.sh does for the tested ones)" >&2
            exit 1
          fi
        done
        for p in $programs; do
          if ! [ -x "/usr/bin/$p" ]; then
            echo "nixpkgs stand-in: the host has no /usr/bin/$p, needed by $name" >&2
            exit 1
          fi
          ln -s "/usr/bin/$p" "$out/bin/$p"
        done
        if [ -n "$propagated" ]; then echo "$propagated" > $out/nix-support/propagated-build-inputs; fi
      '';
    });

  # A host program found at build time (the first candidate that exists).
  hostTool =
    { name, programs, candidates }:
    mkDerivation {
      name = "${name}-standin";
      programs = concatStringsSep " " programs;
      candidates = concatStringsSep " " candidates;
      buildCommand = ''
        mkdir -p $out/bin
        for p in $programs; do
          found=
          for dir in $candidates; do
            if [ -x "$dir/$p" ]; then ln -s "$dir/$p" "$out/bin/$p"; found=1; break; fi
          done
          if [ -z "$found" ]; then
            echo "nixpkgs stand-in: no $p on this host (looked in $candidates), needed by $name" >&2
            exit 1
          fi
        done
      '';
    };

  placeholder =
    name:
    withOutputs (mkDerivation {
      name = "${name}-standin-placeholder";
      buildCommand = ''
        echo "nixpkgs stand-in: ${name} is an evaluation-only placeholder (the host does not provide it); build this against real nixpkgs (MACH2_TEST_NIXPKGS)" >&2
        exit 1
      '';
    });

  # The host's cargo and rustc (Debian: cargo-web/rustc-web, test.sh installs them).  Not a
  # rustup toolchain under /root: builds run as nixbld users, who cannot read /root.
  rustDirs = [ "/usr/bin" ];

  openssl = hostDev {
    name = "openssl";
    pkgconfig = [ "openssl" "libssl" "libcrypto" ];
  };
  libxml2 = hostDev {
    name = "libxml2";
    pkgconfig = [ "libxml-2.0" ];
    programs = [ "xml2-config" ];
  };
  pgConfig = hostDev {
    name = "pg_config";
    programs = [ "pg_config" ];
  };
  libpq = hostDev {
    name = "libpq";
    pkgconfig = [ "libpq" ];
    propagated = [ openssl ];
    passthru.pg_config = pgConfig;
  };

  placeholders = [
    "bzip2" "c-ares" "c-blosc" "cairo" "cups" "curl" "cyrus_sasl" "dbus" "fftw" "fftwFloat"
    "fftwLongDouble" "freetds" "freetype" "gdal" "geos" "gfortran" "glib"
    "gobject-introspection" "graphviz" "hdf5" "icu" "krb5" "lcms2" "libgit2" "libjpeg"
    "libmemcached" "libmysqlclient" "libsodium" "libtiff" "libtool" "libvirt" "libwebp" "llvm"
    "lzo" "mpi" "netcdf" "openblas" "openjpeg" "openldap" "pcsclite" "portaudio" "proj" "qhull"
    "rdkafka" "snappy" "swig" "systemd" "unixODBC" "vips" "xmlsec" "xz" "zeromq"
  ];
in
listToAttrs (
  map (name: {
    inherit name;
    value = placeholder name;
  }) placeholders
)
// {
  inherit libpq libxml2 openssl;
  postgresql = libpq // { pg_config = pgConfig; };
  libffi = hostDev {
    name = "libffi";
    pkgconfig = [ "libffi" ];
  };
  libyaml = hostDev {
    name = "libyaml";
    pkgconfig = [ "yaml-0.1" ];
  };
  libxslt = hostDev {
    name = "libxslt";
    pkgconfig = [ "libxslt" "libexslt" ];
    programs = [ "xslt-config" ];
    propagated = [ libxml2 ];
  };

  # pkgs/build-support/pkg-config-wrapper + its setup hook (see the top of this file).
  pkg-config = mkDerivation {
    name = "pkg-config-wrapper-standin";
    buildCommand = ''
      if ! [ -x /usr/bin/pkg-config ]; then
        echo "nixpkgs stand-in: needs the host's /usr/bin/pkg-config (apt-get install pkg-config)" >&2
        exit 1
      fi
      mkdir -p $out/bin $out/nix-support
      printf '#!/bin/bash\nPKG_CONFIG_LIBDIR=/nonexistent-pkg-config-dir exec /usr/bin/pkg-config "$@"\n' > $out/bin/pkg-config
      chmod +x $out/bin/pkg-config
      cat > $out/nix-support/setup-hook <<'EOF'
      for _p in "''${allInputs[@]}"; do
          for _d in "$_p/lib/pkgconfig" "$_p/share/pkgconfig"; do
              if [ -d "$_d" ]; then PKG_CONFIG_PATH="$_d''${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"; fi
          done
      done
      unset _p _d
      export PKG_CONFIG_PATH
      EOF
    '';
  };

  cmake = hostTool {
    name = "cmake";
    programs = [ "cmake" ];
    candidates = [ "/usr/bin" ];
  };
  ninja = hostTool {
    name = "ninja";
    programs = [ "ninja" ];
    candidates = [ "/usr/bin" ];
  };
  cargo = hostTool {
    name = "cargo";
    programs = [ "cargo" ];
    candidates = rustDirs;
  };
  rustc = hostTool {
    name = "rustc";
    programs = [ "rustc" ];
    candidates = rustDirs;
  };
}
