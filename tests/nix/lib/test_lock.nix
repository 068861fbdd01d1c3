{ lib, mocks, ... }:
let
  l = lib.lock;
  good = mocks.lock { requests = mocks.wheel "requests" [ ]; } [ "requests" ];
  # A lock-version 2 lock of three systems: requests everywhere (one wheel), numpy with a
  # wheel per system, appnope on the two darwin systems only, roots per system.
  numpyWheel = system: {
    artifact = {
      kind = "wheel";
      filename = "numpy-2.0-${system}.whl";
      url = "https://files.example/numpy-2.0-${system}.whl";
      sha256 = "1111111111111111111111111111111111111111111111111111111111111111";
    };
  };
  universal = {
    "lock-version" = 2;
    python = "3.11.14";
    inputs = good.inputs;
    providers = good.providers;
    systems = {
      x86_64-linux = { glibc = "2.40"; roots = [ "numpy" "requests" ]; };
      x86_64-darwin = { macos = "13.0"; roots = [ "appnope" "numpy" "requests" ]; };
      aarch64-darwin = { macos = "13.0"; roots = [ "appnope" "numpy" "requests" ]; };
    };
    packages = {
      requests = mocks.wheel "requests" [ ];
      numpy = removeAttrs (mocks.wheel "numpy" [ ]) [ "artifact" ] // {
        systems = {
          x86_64-linux = numpyWheel "x86_64-linux" // { patchelf = { files = [ ]; }; };
          x86_64-darwin = numpyWheel "x86_64-darwin";
          aarch64-darwin = numpyWheel "aarch64-darwin";
        };
      };
      appnope = mocks.wheel "appnope" [ ] // {
        systems = { x86_64-darwin = { }; aarch64-darwin = { }; };
      };
    };
  };
  view = system: l.forSystem { lockFile = /some/mach2.lock; inherit system; lock = universal; };
  fresh = args: l.checkFresh ({
    lock = good;
    lockFile = ./fixtures-do-not-exist/mach2.lock;
    requirements = "requests\n";
    providers = null;
    providerDefaults = null;
    pythonVersion = "3.11";
    system = "x86_64-linux";
  } // args);
in
{
  lockName = {
    testPath = { expr = l.lockName /some/dir/my.lock; expected = "my.lock"; };
    testNull = { expr = l.lockName null; expected = "mach2.lock"; };
    testStorePath = { expr = l.lockName (builtins.toFile "mach2.lock" "{}"); expected = "mach2.lock"; };
  };
  majorMinor = {
    testFull = { expr = l.majorMinor "3.12.4"; expected = "3.12"; };
    testBad = { expr = l.majorMinor "three"; throws = true; };
  };
  refreshCommand = {
    testWithProviders = {
      expr = l.refreshCommand { lockFile = null; providerString = "numpy=conda"; pythonVersion = "3.12"; };
      expected = "mach2 lock -r requirements.txt -p 'numpy=conda' --python 3.12 -o mach2.lock";
    };
    testPlain = {
      expr = l.refreshCommand { lockFile = null; providerString = ""; pythonVersion = "3.11"; };
      expected = "mach2 lock -r requirements.txt --python 3.11 -o mach2.lock";
    };
    testSystems = {
      expr = l.refreshCommand {
        lockFile = null;
        providerString = "";
        pythonVersion = "3.11";
        systems = [ "x86_64-linux" "aarch64-darwin" ];
      };
      expected = "mach2 lock -r requirements.txt --python 3.11 --system x86_64-linux --system aarch64-darwin -o mach2.lock";
    };
  };
  readLock = {
    testNull = { expr = l.readLock null; throws = true; };
    testMissing = { expr = l.readLock /does/not/exist.lock; throws = true; };
    testFixture = {
      expr = (l.readLock ../fixtures/requests-pyyaml.lock).roots;
      expected = [ "pyyaml" "requests" ];
    };
  };
  validateLock = {
    testGood = { expr = l.validateLock "x" good; expected = good; };
    testUniversal = { expr = l.validateLock "x" universal; expected = universal; };
    testNewerVersion = { expr = l.validateLock "x" (good // { "lock-version" = 3; }); throws = true; };
    testVersion = { expr = l.validateLock "x" (good // { "lock-version" = "1"; }); throws = true; };
    testNoSystems = { expr = l.validateLock "x" (universal // { systems = { }; }); throws = true; };
    testNoPython = { expr = l.validateLock "x" (removeAttrs universal [ "python" ]); throws = true; };
    testRootMissing = { expr = l.validateLock "x" (good // { roots = [ "flask" ]; }); throws = true; };
    testRootWithExtras = {
      expr = (l.validateLock "x" (good // { roots = [ "Requests[socks]" ]; })).roots;
      expected = [ "Requests[socks]" ];
    };
    testNoPackages = { expr = l.validateLock "x" (removeAttrs good [ "packages" ]); throws = true; };
  };
  lockFileIn = {
    # per-system-lock/ has mach2-aarch64-darwin.lock and a mach2.lock for aarch64-darwin too
    testPerSystem = {
      expr = baseNameOf (toString (l.lockFileIn ./per-system-lock "aarch64-darwin"));
      expected = "mach2-aarch64-darwin.lock";
    };
    testSingleForItsSystem = {
      expr = baseNameOf (toString (l.lockFileIn ./single-lock "x86_64-linux"));
      expected = "mach2.lock";
    };
    testSingleForAnotherSystem = { expr = l.lockFileIn ./single-lock "aarch64-linux"; throws = true; };
    testNoLockForTheSystem = { expr = l.lockFileIn ./per-system-lock "riscv64-linux"; throws = true; };
    testNoDirectory = { expr = l.lockFileIn ./does-not-exist "x86_64-linux"; throws = true; };
    testOneLockForSeveralSystems = {
      expr = map (s: baseNameOf (toString (l.lockFileIn ./universal-lock s))) [ "x86_64-linux" "aarch64-darwin" ];
      expected = [ "mach2.lock" "mach2.lock" ];
    };
    testOneLockWithoutTheSystem = {
      expr = l.lockFileIn ./universal-lock "riscv64-linux";
      throws = true;
    };
  };
  validateView = {
    testGood = { expr = l.validateView "x" good; expected = good; };
    testRootMissing = { expr = l.validateView "x" (good // { roots = [ "flask" ]; }); throws = true; };
    testNoTarget = { expr = l.validateView "x" (removeAttrs good [ "target" ]); throws = true; };
  };
  lockSystems = {
    testVersion1 = { expr = l.lockSystems good; expected = [ "x86_64-linux" ]; };
    testVersion2 = {
      expr = l.lockSystems universal;
      expected = [ "aarch64-darwin" "x86_64-darwin" "x86_64-linux" ];
    };
  };
  forSystem = {
    testVersion1IsItsOwnView = {
      expr = l.forSystem { lockFile = null; system = "x86_64-linux"; lock = good; };
      expected = good // { systems = [ "x86_64-linux" ]; };
    };
    testTarget = {
      expr = [ (view "x86_64-linux").target (view "aarch64-darwin").target ];
      expected = [
        { python = "3.11.14"; system = "x86_64-linux"; glibc = "2.40"; }
        { python = "3.11.14"; system = "aarch64-darwin"; macos = "13.0"; }
      ];
    };
    testPresence = {
      expr = map (s: builtins.attrNames (view s).packages) [ "x86_64-linux" "x86_64-darwin" ];
      expected = [ [ "numpy" "requests" ] [ "appnope" "numpy" "requests" ] ];
    };
    testOwnFieldsMergeOverShared = {
      expr = let numpy = (view "x86_64-linux").packages.numpy; in {
        inherit (numpy) version patchelf;
        url = numpy.artifact.url;
        systems = numpy ? systems;
      };
      expected = {
        version = "1.0";
        patchelf = { files = [ ]; };
        url = "https://files.example/numpy-2.0-x86_64-linux.whl";
        systems = false;
      };
    };
    testDarwinHasNoPlan = { expr = (view "aarch64-darwin").packages.numpy ? patchelf; expected = false; };
    testSharedArtifact = {
      expr = (view "x86_64-darwin").packages.requests.artifact == (view "x86_64-linux").packages.requests.artifact;
      expected = true;
    };
    testRootsPerSystem = { expr = (view "x86_64-darwin").roots; expected = [ "appnope" "numpy" "requests" ]; };
    testSystemsListed = { expr = (view "x86_64-linux").systems; expected = [ "aarch64-darwin" "x86_64-darwin" "x86_64-linux" ]; };
    testAbsentSystem = { expr = view "aarch64-linux"; throws = true; };
    testOnlySystemWithoutHostPlatform = {
      expr = (l.forSystem { lockFile = null; system = null; lock = universal // { systems = { inherit (universal.systems) x86_64-linux; }; }; }).target.system;
      expected = "x86_64-linux";
    };
    testSeveralSystemsWithoutHostPlatform = {
      expr = l.forSystem { lockFile = null; system = null; lock = universal; };
      throws = true;
    };
    testRootNotOnSystem = {
      expr = l.forSystem {
        lockFile = null;
        system = "x86_64-linux";
        lock = universal // { systems = universal.systems // { x86_64-linux = { roots = [ "appnope" ]; }; }; };
      };
      throws = true;
    };
  };
  checkFresh = {
    testFresh = { expr = fresh { }; expected = good; };
    testNoRequirementsSkipsCheck = { expr = fresh { requirements = null; }; expected = good; };
    testStaleRequirements = { expr = fresh { requirements = "flask\n"; }; throws = true; };
    testStaleProviders = { expr = fresh { providers = { numpy = "conda"; }; }; throws = true; };
    testPython = { expr = fresh { pythonVersion = "3.12"; }; throws = true; };
    testSystem = { expr = fresh { system = "aarch64-linux"; }; throws = true; };
    testProviderDefaultsMatch = {
      expr = fresh { providerDefaults = { _default = "wheel,sdist,nixpkgs"; }; };
      expected = good;
    };
    testProviderDefaultsDiffer = { expr = fresh { providerDefaults = { _default = "sdist"; }; }; throws = true; };
    testRequirementsNotString = { expr = fresh { requirements = ./x; }; throws = true; };
  };
  emptyLock = {
    testShape = { expr = l.emptyLock.packages; expected = { }; };
  };
}
