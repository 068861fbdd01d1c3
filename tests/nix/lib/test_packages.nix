{ mocks, ... }:
let
  p = mocks.lib.packages;
  set = mocks.fakeSet { idna = "<idna>"; mach2-build-setuptools = "<setuptools>"; sib = "<sib>"; };
  pkg = mocks.wheel "requests" [ "idna" ];
  build = key: pkg: deps: p.mkPackage {
    final = set;
    inherit key pkg;
    dependencies = deps;
    tests = false;
  };
  wheelArgs = (build "requests" pkg [ "idna" ]).buildPythonPackage;
  sdistPkg = pkg // {
    provider = "sdist";
    artifact = pkg.artifact // { kind = "sdist"; filename = "requests-1.0.tar.gz"; };
    "build-system" = { setuptools = "setuptools>=61"; };
  };
  sdistArgs = (build "requests" sdistPkg [ ]).buildPythonPackage;

  # nixpkgs packages: `prev` holds nixpkgs-like packages whose overridePythonAttrs records
  # the merged arguments (origArgs // f origArgs), as buildPythonPackage's does.
  nixpkgsDrv =
    marker: version: args:
    let
      origArgs = args // { inherit version; passthru.kept = true; };
    in
    {
      inherit marker version;
      pythonModule = "<python>";
      overridePythonAttrs = f: { overridden = origArgs // f origArgs; };
    };
  prev = {
    requests = nixpkgsDrv "prev-requests" "2.22.0" {
      pname = "requests";
      format = "wheel";
      dependencies = [ "<old-certifi>" ];
      propagatedBuildInputs = [ "<libnative>" { pythonModule = "<python>"; name = "old-idna"; } { pythonModule = false; name = "app"; } ];
      nativeBuildInputs = [ "<hook>" ];
      buildInputs = [ "<zlib>" ];
      patches = [ "<patch>" ];
    };
    django_4 = nixpkgsDrv "prev-django_4" "4.2.7" { pname = "django"; pyproject = true; build-system = [ "<old-setuptools>" ]; };
    notPython = { marker = "prev-notPython"; version = "1.0"; };
  };
  nixpkgsPkg =
    key: attr: version: nixpkgsVersion:
    {
      name = key;
      inherit version;
      provider = "nixpkgs";
      artifact = {
        kind = "nixpkgs";
        inherit attr;
        filename = "${key}-${version}.tar.gz";
        url = "https://files.example/${key}-${version}.tar.gz";
        sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
      };
      nixpkgs = {
        inherit attr;
        version = nixpkgsVersion;
        exact = true;
        "dependencies-from" = "pypi";
      };
      dependencies = { idna = "idna>=2.5"; };
    };
  buildNix = key: pkg: p.mkPackage {
    final = set;
    inherit key pkg prev;
    dependencies = [ "idna" ];
    tests = false;
  };
  # Locked against a nixpkgs with requests 2.21.0; this one has 2.22.0.
  requestsOld = nixpkgsPkg "requests" "requests" "2.21.0" "2.21.0";
  overridden = (buildNix "requests" requestsOld).overridden;
  # Conda packages (conda.nix): a PyPI-named package, conda-only ones (underscore names are
  # kept as they are), a noarch: python one of the conda-only namespace.
  condaPkg =
    key: filename: extra:
    {
      name = extra.name or key;
      version = "1.0";
      provider = "conda/conda-forge";
      artifact = {
        kind = "conda";
        inherit filename;
        url = "https://conda.anaconda.org/conda-forge/linux-64/${filename}";
        sha256 = "1111111111111111111111111111111111111111111111111111111111111111";
        size = 1;
        channel = "conda-forge";
        subdir = "linux-64";
        "conda-name" = extra.name or key;
        build = "0";
      } // (removeAttrs extra [ "name" ]);
    };
  condaSet = mocks.fakeSet {
    "conda:_openmp_mutex" = "<openmp-mutex>";
    "conda:libgcc-ng" = "<libgcc-ng>";
    idna = "<idna>";
  };
  buildConda = key: pkg: deps: p.mkPackage {
    final = condaSet;
    inherit key pkg;
    dependencies = deps;
    tests = false;
  };
  condaNumpy = (buildConda "numpy" (condaPkg "numpy" "numpy-1.0-0.conda" { })
    [ "conda:libgcc-ng" "conda:_openmp_mutex" "idna" ]).buildPythonPackage;
  condaMutex = (buildConda "conda:_openmp_mutex"
    (condaPkg "conda:_openmp_mutex" "_openmp_mutex-1.0-0.tar.bz2" { name = "_openmp_mutex"; })
    [ "conda:libgcc-ng" ]).mkDerivation;
  djangoWheel = (nixpkgsPkg "django" "django_4" "4.2.8" "4.2.8") // {
    artifact = (nixpkgsPkg "django" "django_4" "4.2.8" "4.2.8").artifact // {
      filename = "Django-4.2.8-py3-none-any.whl";
    };
  };
in
{
  conda = {
    testStoreName = { expr = p.conda.storeName "conda:_openmp_mutex"; expected = "conda-_openmp_mutex"; };
    testDependencyAttr = {
      expr = map (p.conda.dependencyAttr set) [ "conda:_openmp_mutex" "Foo_Bar" "setuptools" ];
      expected = [ "conda:_openmp_mutex" "foo-bar" "mach2-build-setuptools" ];
    };
    testIsPythonPackage = {
      expr = [
        (p.conda.isPythonPackage "numpy" { })
        (p.conda.isPythonPackage "conda:libgcc-ng" { })
        (p.conda.isPythonPackage "conda:hello" { noarch = "python"; })
        (p.conda.isPythonPackage "conda:fonts" { noarch = "generic"; })
      ];
      expected = [ true false true false ];
    };
    testFetchChannelUrl = {
      expr = (p.conda.fetchConda "x" { url = "https://c.example/linux-64/x-1-0.conda"; sha256 = "00"; filename = "x-1-0.conda"; }).fetchurl;
      expected = { url = "https://c.example/linux-64/x-1-0.conda"; sha256 = "00"; name = "x-1-0.conda"; };
    };
    testInstallScript = {
      expr = builtins.match ".*-mach2-conda-install.py" (toString p.conda.installScript) != null;
      expected = true;
    };
  };
  # One copy of each name: every package in place, even the ones nixpkgs' hooks are made of;
  # only build-only pins sit beside.
  attrFor = {
    testPlain = { expr = p.attrFor "requests" { }; expected = "requests"; };
    testBootstrapInPlace = { expr = p.attrFor "setuptools" { }; expected = "setuptools"; };
    testBuildOnly = { expr = p.attrFor "setuptools" { "build-only" = true; }; expected = "mach2-build-setuptools"; };
  };
  buildOnlyAttr = {
    testName = { expr = p.buildOnlyAttr "wheel"; expected = "mach2-build-wheel"; };
  };
  attrIn = {
    testBuildOnlyPin = { expr = p.attrIn set "setuptools"; expected = "mach2-build-setuptools"; };
    testKey = { expr = p.attrIn set "idna"; expected = "idna"; };
  };
  fetchArtifact = {
    testArgs = {
      expr = (p.fetchArtifact "requests" pkg.artifact).fetchurl;
      expected = {
        url = "https://files.example/requests-1.0-py3-none-any.whl";
        sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
        name = "requests-1.0-py3-none-any.whl";
      };
    };
    testNameFromUrl = {
      expr = (p.fetchArtifact "x" { url = "https://h/p/x-1.tar.gz#sha=1"; sha256 = "0"; }).fetchurl.name;
      expected = "x-1.tar.gz";
    };
    testNoSha = { expr = (p.fetchArtifact "x" { url = "https://h/x.whl"; }).fetchurl.sha256; throws = true; };
  };
  planLibraries = {
    testAttrsAndLibraries = {
      expr = p.planLibraries "x" { patchelf = { attrs = [ "zlib" ]; libraries = [ "stdenv.cc.cc.lib" ]; }; };
      expected = [ "<zlib>" "<cc-lib>" ];
    };
    testNone = { expr = p.planLibraries "x" { }; expected = [ ]; };
    testUnknownAttr = { expr = p.planLibraries "x" { patchelf.attrs = [ "libfoo" ]; }; throws = true; };
    testNotAList = { expr = p.planLibraries "x" { patchelf.attrs = "zlib"; }; throws = true; };
  };
  oldSourcePlumbing = {
    testSdist = {
      expr = { inherit (p.oldSourcePlumbing false) patches postPatch cargoDeps; hasBuild = (p.oldSourcePlumbing false) ? nativeBuildInputs; };
      expected = { patches = [ ]; postPatch = null; cargoDeps = null; hasBuild = false; };
    };
    testToWheel = {
      expr = { inherit (p.oldSourcePlumbing true) nativeBuildInputs build-system configurePhase; };
      expected = { nativeBuildInputs = [ ]; build-system = [ ]; configurePhase = null; };
    };
  };
  noDistCopy = {
    # Runs before python-output-dist-hook's pythonOutputDistPhase (appended after it).
    testPhase = {
      expr = { inherit (wheelArgs) preFixupPhases mach2RemoveDistWheels; };
      expected = {
        preFixupPhases = [ "mach2RemoveDistWheels" ];
        mach2RemoveDistWheels = "rm -f dist/*.whl";
      };
    };
  };
  mkPackage = {
    testWheel = {
      expr = {
        inherit (wheelArgs) pname version format dontStrip dontCheckRuntimeDeps doCheck dependencies nativeBuildInputs buildInputs;
      };
      expected = {
        pname = "requests";
        version = "1.0";
        format = "wheel";
        dontStrip = true;
        dontCheckRuntimeDeps = true;
        doCheck = false;
        dependencies = [ "<idna>" ];
        nativeBuildInputs = [ "<autoPatchelfHook>" ];
        buildInputs = [ ];
      };
    };
    testWheelSrc = { expr = wheelArgs.src.fetchurl.name; expected = "requests-1.0-py3-none-any.whl"; };
    testSdist = {
      expr = { inherit (sdistArgs) pyproject build-system; hasFormat = sdistArgs ? format; };
      expected = { pyproject = true; build-system = [ "<setuptools>" ]; hasFormat = false; };
    };
    testIgnoreMissing = {
      expr = (build "x" (pkg // { patchelf."ignore-missing" = [ "libcuda.so.1" ]; }) [ ]).buildPythonPackage.autoPatchelfIgnoreMissingDeps;
      expected = [ "libcuda.so.1" ];
    };
    testSiblings = {
      expr = (build "x" (pkg // { patchelf.siblings = [ "Sib" ]; }) [ ]).buildPythonPackage.preFixup;
      expected = "addAutoPatchelfSearchPath <sib>/lib/python3.11/site-packages\n";
    };
    testMissingDependency = { expr = build "requests" pkg [ "flask" ]; throws = true; };
    # A wheel artifact under a conda provider: the lock is inconsistent.
    testCondaProviderWheelArtifact = { expr = build "numpy" (pkg // { provider = "conda/conda-forge"; }) [ ]; throws = true; };
    testCondaPython = {
      expr = {
        inherit (condaNumpy) pname version pyproject dependencies nativeBuildInputs dontStrip dontPatchELF dontCheckRuntimeDeps doCheck;
        src = condaNumpy.src.fetchurl;
        mach2 = condaNumpy.passthru.mach2;
      };
      expected = {
        pname = "numpy";
        version = "1.0";
        pyproject = false;
        # conda: names as they are (not PEP 503-normalized), PyPI names as packages.nix has them.
        dependencies = [ "<libgcc-ng>" "<openmp-mutex>" "<idna>" ];
        nativeBuildInputs = [ "<patchelf>" "<zstd>" ];
        dontStrip = true;
        dontPatchELF = true;
        dontCheckRuntimeDeps = true;
        doCheck = false;
        src = {
          url = "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.0-0.conda";
          sha256 = "1111111111111111111111111111111111111111111111111111111111111111";
          name = "numpy-1.0-0.conda";
        };
        mach2 = {
          key = "numpy";
          provider = "conda/conda-forge";
          why = "";
          conda = {
            name = "numpy";
            version = "1.0";
            build = "0";
            channel = "conda-forge";
            subdir = "linux-64";
            filename = "numpy-1.0-0.conda";
          };
        };
      };
    };
    testCondaPythonInstallsIntoSitePackages = {
      expr = builtins.match ".*--zstd <zstd>/bin/zstd.*--site-packages 'lib/python3.11/site-packages' --python '<python>/bin/python3.11'.*" condaNumpy.installPhase != null;
      expected = true;
    };
    testCondaNative = {
      expr = { inherit (condaMutex) pname version propagatedBuildInputs nativeBuildInputs; };
      expected = {
        pname = "conda-_openmp_mutex";
        version = "1.0";
        propagatedBuildInputs = [ "<libgcc-ng>" ];
        # .tar.bz2: no zstd needed.
        nativeBuildInputs = [ "<patchelf>" ];
      };
    };
    testCondaNativeHasNoSitePackages = {
      expr = builtins.match ".*--site-packages.*" condaMutex.installPhase;
      expected = null;
    };
    testCondaNoarchPythonOfTheCondaNamespace = {
      expr = (buildConda "conda:hello" (condaPkg "conda:hello" "hello-1.0-0.tar.bz2" { name = "hello"; noarch = "python"; }) [ ]).buildPythonPackage.pname;
      expected = "conda-hello";
    };
    testCondaEpochVersion = {
      expr = (buildConda "conda:x" (condaPkg "conda:x" "x-1!2.0-0.conda" { name = "x"; } // { version = "1!2.0"; }) [ ]).mkDerivation.version;
      expected = "1_2.0";
    };
    testCondaMd5Only = {
      expr = buildConda "numpy" (let c = condaPkg "numpy" "numpy-1.0-0.conda" { md5 = "00"; }; in c // { artifact = removeAttrs c.artifact [ "sha256" ]; }) [ ];
      throws = true;
    };
    testCondaNotAPackageFile = { expr = buildConda "numpy" (condaPkg "numpy" "numpy-1.0-0.zip" { }) [ ]; throws = true; };
    testCondaMissingDependency = { expr = (buildConda "numpy" (condaPkg "numpy" "numpy-1.0-0.conda" { }) [ "conda:libstdcxx-ng" ]).buildPythonPackage.dependencies; throws = true; };
    # docs/nixpkgs.md §5: an exact version is prev.<attr> itself; another one is overridden.
    testNixpkgsExact = {
      expr = let x = buildNix "requests" (nixpkgsPkg "requests" "requests" "2.22.0" "2.22.0"); in
        { inherit (x) marker; same = x == prev.requests; };
      expected = { marker = "prev-requests"; same = true; };
    };
    testNixpkgsExactIsUntouched = {
      expr = (buildNix "requests" (nixpkgsPkg "requests" "requests" "2.22.0" "2.22.0")) ? overridden;
      expected = false;
    };
    testNixpkgsKeyIsNotAttr = {
      expr = (buildNix "django" (nixpkgsPkg "django" "django_4" "4.2.7" "4.2.7")).marker;
      expected = "prev-django_4";
    };
    testNixpkgsMismatch = {
      expr = {
        inherit (overridden) version dependencies propagatedBuildInputs nativeBuildInputs buildInputs patches dontCheckRuntimeDeps doCheck;
        src = overridden.src.fetchurl;
        mach2 = overridden.passthru.mach2;
        keptPassthru = overridden.passthru.kept;
      };
      expected = {
        version = "2.21.0";
        dependencies = [ "<idna>" ];
        # Python modules dropped (the lock's dependencies replace them), and the patches of
        # nixpkgs' source (oldSourcePlumbing); the build tools of an sdist kept.
        propagatedBuildInputs = [ "<libnative>" { pythonModule = false; name = "app"; } ];
        nativeBuildInputs = [ "<hook>" ];
        buildInputs = [ "<zlib>" ];
        patches = [ ];
        dontCheckRuntimeDeps = true;
        doCheck = false;
        src = {
          url = "https://files.example/requests-2.21.0.tar.gz";
          sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
          name = "requests-2.21.0.tar.gz";
        };
        mach2 = { key = "requests"; attr = "requests"; provider = "nixpkgs"; why = ""; };
        keptPassthru = true;
      };
    };
    # An sdist replacing nixpkgs' wheel is built from source.
    testNixpkgsSdistOverWheel = {
      expr = { inherit (overridden) format pyproject; };
      expected = { format = null; pyproject = true; };
    };
    testNixpkgsSdistOverWheelBuildSystem = {
      expr = (buildNix "requests" (requestsOld // { "build-system" = { setuptools = "setuptools"; }; })).overridden.build-system;
      expected = [ "<setuptools>" ];
    };
    testNixpkgsSdistKeepsPyproject = {
      expr = let o = (buildNix "django" (nixpkgsPkg "django" "django_4" "4.2.8" "4.2.8")).overridden; in
        { inherit (o) pyproject build-system; hasFormat = o ? format; };
      expected = { pyproject = true; build-system = [ "<old-setuptools>" ]; hasFormat = false; };
    };
    testNixpkgsWheelOverSdist = {
      expr = let o = (buildNix "django" djangoWheel).overridden; in { inherit (o) format pyproject dontStrip; name = o.src.fetchurl.name; };
      expected = { format = "wheel"; pyproject = null; dontStrip = true; name = "Django-4.2.8-py3-none-any.whl"; };
    };
    # The lock says the version is nixpkgs' but this nixpkgs has the same version string under
    # another lock (exact = false): overridden all the same.
    testNixpkgsNotExact = {
      expr = (buildNix "requests" (nixpkgsPkg "requests" "requests" "2.22.0" "2.22.0" // {
        nixpkgs = (nixpkgsPkg "requests" "requests" "2.22.0" "2.22.0").nixpkgs // { exact = false; };
      })).overridden.version;
      expected = "2.22.0";
    };
    testNixpkgsUnknownDependencies = {
      expr = let o = (buildNix "requests" (requestsOld // { nixpkgs = requestsOld.nixpkgs // { "dependencies-from" = "unknown"; }; })).overridden; in
        { inherit (o) dependencies; propagated = builtins.length o.propagatedBuildInputs; };
      expected = { dependencies = [ "<old-certifi>" ]; propagated = 3; };
    };
    testNixpkgsNoUrl = {
      expr = buildNix "requests" (requestsOld // { artifact = { kind = "nixpkgs"; attr = "requests"; }; });
      throws = true;
    };
    testNixpkgsMissingAttr = { expr = buildNix "requests" (nixpkgsPkg "requests" "requests_2" "2.22.0" "2.22.0"); throws = true; };
    testNixpkgsNotOverridable = { expr = buildNix "x" (nixpkgsPkg "x" "notPython" "2.0" "2.0"); throws = true; };
    testNixpkgsExactNotBool = {
      expr = buildNix "requests" (requestsOld // { nixpkgs = requestsOld.nixpkgs // { exact = "yes"; }; });
      throws = true;
    };
    testNixpkgsWithoutNixpkgsObject = { expr = build "numpy" (pkg // { provider = "nixpkgs"; }) [ ]; throws = true; };
    testNixpkgsWithoutPrev = { expr = build "requests" (nixpkgsPkg "requests" "requests" "2.22.0" "2.22.0") [ ]; throws = true; };
    testUnknownProvider = { expr = build "numpy" (pkg // { provider = "pypi"; }) [ ]; throws = true; };
    testGitIsBuiltLikeAnSdist = {
      expr = let a = (build "lib" (sdistPkg // { provider = "git"; artifact = { kind = "git"; url = "https://g.example/r"; rev = "0123456789abcdef0123456789abcdef01234567"; "nar-hash" = "sha256-x"; }; }) [ ]).buildPythonPackage; in
        { inherit (a) pyproject build-system; fetched = a.src.fetchgit.url; };
      expected = { pyproject = true; build-system = [ "<setuptools>" ]; fetched = "https://g.example/r"; };
    };
    testPathIsBuiltFromTheDirectory = {
      expr = let a = p.mkPackage { final = set; key = "demo"; pkg = sdistPkg // { provider = "path"; artifact = { kind = "path"; path = "project"; }; editable = { }; }; dependencies = [ ]; tests = false; local = { root = ./.; develop = false; editableRoot = null; }; }; in
        builtins.match ".*-demo-source" (toString a.buildPythonPackage.src) != null;
      expected = true;
    };
    testEditableInAShell = {
      expr = (p.mkPackage { final = set; key = "demo"; pkg = sdistPkg // { provider = "path"; artifact = { kind = "path"; path = "project"; }; editable = { "import-paths" = [ "." ]; }; }; dependencies = [ "idna" ]; tests = false; local = { root = ./.; develop = true; editableRoot = null; }; }).buildPythonPackage.passthru.mach2.editable;
      expected = toString ./project;
    };
    testLocalWheelIsHashChecked = {
      expr = let a = (p.mkPackage { final = set; key = "demo"; pkg = pkg // { artifact = { kind = "wheel"; filename = "pyproject.toml"; path = "project/pyproject.toml"; sha256 = builtins.hashFile "sha256" ./project/pyproject.toml; }; }; dependencies = [ ]; tests = false; local = { root = ./.; develop = false; editableRoot = null; }; }).buildPythonPackage; in
        builtins.match ".*-pyproject.toml" (toString a.src) != null;
      expected = true;
    };
    testUrlWheel = {
      expr = (build "x" (pkg // { provider = "url"; artifact = pkg.artifact // { kind = "url"; }; }) [ ]).buildPythonPackage.format;
      expected = "wheel";
    };
  };
}
