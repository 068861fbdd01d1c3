{ lib, mocks, ... }:
let
  l = lib.lock;
  good = mocks.lock { requests = mocks.wheel "requests" [ ]; } [ "requests" ];
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
    testVersion = { expr = l.validateLock "x" (good // { "lock-version" = 2; }); throws = true; };
    testRootMissing = { expr = l.validateLock "x" (good // { roots = [ "flask" ]; }); throws = true; };
    testRootWithExtras = {
      expr = (l.validateLock "x" (good // { roots = [ "Requests[socks]" ]; })).roots;
      expected = [ "Requests[socks]" ];
    };
    testNoPackages = { expr = l.validateLock "x" (removeAttrs good [ "packages" ]); throws = true; };
  };
  lockFileIn = {
    testPerSystem = {
      expr = baseNameOf (toString (l.lockFileIn ../../../locks "aarch64-darwin"));
      expected = "mach2-aarch64-darwin.lock";
    };
    testSingleForItsSystem = {
      expr = baseNameOf (toString (l.lockFileIn ./single-lock "x86_64-linux"));
      expected = "mach2.lock";
    };
    testSingleForAnotherSystem = { expr = l.lockFileIn ./single-lock "aarch64-linux"; throws = true; };
    testNoLockForTheSystem = { expr = l.lockFileIn ../../../locks "riscv64-linux"; throws = true; };
    testNoDirectory = { expr = l.lockFileIn ./does-not-exist "x86_64-linux"; throws = true; };
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
