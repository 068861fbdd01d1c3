{ mocks, ... }:
let
  o = mocks.lib.overlay;
  packages = {
    a = mocks.wheel "a" [ "b" ];
    b = mocks.wheel "b" [ "c" ];
    c = mocks.wheel "c" [ "a" "d" ];
    d = (mocks.wheel "d" [ ]) // { "build-only" = true; };
  };
  lockData = mocks.lock packages [ "a" ];
  overlay = o.lockOverlay { inherit lockData; tests = false; };
  final = mocks.fakeSet (overlay final { });

  # nixpkgs packages (docs/nixpkgs.md §5): defined from `prev`, under the lock key.
  fromNixpkgs =
    name: version:
    {
      marker = "prev-${name}";
      inherit version;
      overridePythonAttrs =
        f:
        let
          args = {
            pname = name;
            format = "wheel";
          };
        in
        {
          overridden = args // f args;
        };
    };
  nixPrev = {
    django_4 = fromNixpkgs "django_4" "4.2.7";
    setuptools = fromNixpkgs "setuptools" "69.0.0";
    wheel = fromNixpkgs "wheel" "0.42.0";
  };
  nixLocked =
    key: attr: version:
    (mocks.wheel key [ ])
    // {
      inherit version;
      provider = "nixpkgs";
      artifact = {
        kind = "nixpkgs";
        inherit attr;
        url = "https://files.example/${key}-${version}.tar.gz";
        sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
      };
      nixpkgs = {
        inherit attr version;
        exact = true;
      };
    };
  nixLock = mocks.lock {
    app = mocks.wheel "app" [ "django" "setuptools" "wheel" ];
    django = nixLocked "django" "django_4" "4.2.7";
    setuptools = nixLocked "setuptools" "setuptools" "69.0.0";
    wheel = nixLocked "wheel" "wheel" "0.43.0";
  } [ "app" ];
  nixOverlay = (o.lockOverlay { lockData = nixLock; tests = false; }) nixFinal nixPrev;
  nixFinal = mocks.fakeSet (nixPrev // nixOverlay);

  # Native conda packages (not Python modules) live outside the python set.
  condaLock = mocks.lock {
    numpy = mocks.conda "numpy" [ "conda:libfoo" ] null;
    "conda:libfoo" = mocks.conda "conda:libfoo" [ ] null;
    "conda:pyonly" = mocks.conda "conda:pyonly" [ ] "python";
  } [ "numpy" "conda:libfoo" ];
  condaOverlay = (o.lockOverlay { lockData = condaLock; tests = false; }) condaFinal { };
  condaFinal = mocks.fakeSet condaOverlay;
  natives = o.nativePackages { lockData = condaLock; tests = false; } condaFinal;
in
{
  backEdges = {
    testCycle = { expr = o.backEdges packages; expected = { "c a" = true; }; };
    testAcyclic = { expr = o.backEdges { x = mocks.wheel "x" [ "y" ]; y = mocks.wheel "y" [ ]; }; expected = { }; };
    testSelfLoop = { expr = o.backEdges { x = mocks.wheel "x" [ "x" ]; }; expected = { "x x" = true; }; };
  };
  installedKeys = {
    testSkipsBuildOnly = { expr = o.installedKeys lockData; expected = [ "a" "b" "c" ]; };
  };
  isNativeKey = {
    testNative = { expr = o.isNativeKey condaLock "conda:libfoo"; expected = true; };
    testPyPIKey = { expr = o.isNativeKey condaLock "numpy"; expected = false; };
    testNoarchPython = { expr = o.isNativeKey condaLock "conda:pyonly"; expected = false; };
  };
  pythonKeys = {
    testWithoutNatives = { expr = o.pythonKeys condaLock; expected = [ "conda:pyonly" "numpy" ]; };
  };
  nativeKeys = {
    testOnlyNatives = { expr = o.nativeKeys condaLock; expected = [ "conda:libfoo" ]; };
  };
  buildToolHooks = {
    testFromNixpkgs = {
      expr = o.buildToolHooks { pypaInstallHook = "<nixpkgs' hook>"; requests = "<requests>"; } { } { };
      expected = { pypaInstallHook = "<nixpkgs' hook>"; };
    };
  };
  nativePackages = {
    testNames = { expr = builtins.attrNames natives; expected = [ "conda:libfoo" ]; };
    testPlainDerivation = {
      expr = natives."conda:libfoo".mkDerivation.pname;
      expected = "conda-libfoo";
    };
  };
  lockOverlay = {
    testNames = { expr = builtins.attrNames (overlay final { }); expected = [ "a" "b" "c" "mach2-build-d" ]; };
    testCycleBroken = {
      expr = map (d: d.buildPythonPackage.pname) final.c.buildPythonPackage.dependencies;
      expected = [ "d" ];
    };
    testDeps = {
      expr = map (d: d.buildPythonPackage.pname) final.a.buildPythonPackage.dependencies;
      expected = [ "b" ];
    };
    # The key (`django`) is defined, the attribute (`django_4`) left alone; packages nixpkgs'
    # hooks are made of (setuptools, wheel) in place too: one copy of each name.
    testNixpkgsNames = {
      expr = builtins.attrNames nixOverlay;
      expected = [ "app" "django" "setuptools" "wheel" ];
    };
    testNixpkgsAlias = { expr = nixFinal.django.marker; expected = "prev-django_4"; };
    testNixpkgsBootstrapExact = { expr = nixFinal.setuptools == nixPrev.setuptools; expected = true; };
    testNixpkgsBootstrapMismatch = {
      expr = { inherit (nixFinal.wheel.overridden) pname version; };
      expected = { pname = "wheel"; version = "0.43.0"; };
    };
    # Build-only packages sit beside nixpkgs' own: `d` above.
    testBuildOnlyBeside = {
      expr = builtins.attrNames (o.lockOverlay { lockData = mocks.lock { d = packages.d; } [ ]; tests = false; } final { });
      expected = [ "mach2-build-d" ];
    };
    # nixpkgs' ensurePythonModules: the python set holds Python modules only.
    testNativesAreNotMembers = {
      expr = builtins.attrNames condaOverlay;
      expected = [ "conda:pyonly" "numpy" ];
    };
    testNativeDependency = {
      expr = map (d: d.mkDerivation.pname) condaFinal.numpy.buildPythonPackage.dependencies;
      expected = [ "conda-libfoo" ];
    };
    testNixpkgsDependents = {
      expr = map (d: d.marker or d.overridden.version) nixFinal.app.buildPythonPackage.dependencies;
      expected = [ "prev-django_4" "prev-setuptools" "0.43.0" ];
    };
  };
}
