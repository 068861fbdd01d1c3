{ mocks, ... }:
let
  s = mocks.lib.sources;
  root = ./.;
  gitArtifact = {
    kind = "git";
    url = "https://git.example/r.git";
    rev = "0123456789abcdef0123456789abcdef01234567";
    "nar-hash" = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
  fetched = s.gitTree "lib" gitArtifact;
  # What the filter keeps of tests/nix/lib/project's entries (no .gitignore there).
  kept = let f = s.gitignoreFilter ./project; in
    builtins.filter (n: f "${toString ./project}/${n}" (builtins.readDir ./project).${n}) (builtins.attrNames (builtins.readDir ./project));
  # The rules, applied to names without reading any directory.
  rulesOf = text: map (r: { inherit (r) regex negated directoryOnly; }) (s.parseGitignore text);
in
{
  localPath = {
    testRelative = { expr = toString (s.localPath root "k" "project"); expected = toString ./project; };
    testAbsolute = { expr = toString (s.localPath root "k" "/srv/x.whl"); expected = "/srv/x.whl"; };
    testUpwards = { expr = toString (s.localPath ./project "k" ".."); expected = toString ./.; };
    testNoRoot = { expr = s.localPath null "k" "project"; throws = true; };
    testEmpty = { expr = s.localPath root "k" ""; throws = true; };
  };
  parseGitignore = {
    testSyntax = {
      expr = rulesOf "# c\n/build/\n*.log\n!keep.log\nfoo/**/bar\n**/cache\n\\#hash\n[!c]y.txt\n\n";
      expected = [
        { regex = "build"; negated = false; directoryOnly = true; }
        { regex = "(.*/)?[^/]*\\.log"; negated = false; directoryOnly = false; }
        { regex = "(.*/)?keep\\.log"; negated = true; directoryOnly = false; }
        { regex = "foo/(.*/)?bar"; negated = false; directoryOnly = false; }
        { regex = "(.*/)?cache"; negated = false; directoryOnly = false; }
        { regex = "(.*/)?#hash"; negated = false; directoryOnly = false; }
        { regex = "(.*/)?[^c]y\\.txt"; negated = false; directoryOnly = false; }
      ];
    };
    testTrailingSpaces = { expr = map (r: r.regex) (s.parseGitignore "a   \nb\\ \r\n"); expected = [ "(.*/)?a" "(.*/)?b " ]; };
  };
  gitignoreFilter = {
    testKeepsTheProject = { expr = kept; expected = [ "demo_pkg" "pyproject.toml" ]; };
    testDropsGitAndCaches = {
      expr = let f = s.gitignoreFilter ./project; in
        map (n: f "${toString ./project}/${n}" "directory") [ ".git" "__pycache__" "demo_pkg" ".venv" ];
      expected = [ false false true false ];
    };
  };
  localTree = {
    testName = { expr = builtins.match ".*-demo-source" (toString (s.localTree root "demo" { path = "project"; })) != null; expected = true; };
    testMissing = { expr = s.localTree root "demo" { path = "no-such-dir"; }; throws = true; };
  };
  localFile = {
    testHashChecked = {
      expr = builtins.match ".*-pyproject.toml" (toString (s.localFile root "demo" "pyproject.toml" {
        path = "project/pyproject.toml";
        sha256 = builtins.hashFile "sha256" ./project/pyproject.toml;
      })) != null;
      expected = true;
    };
    testMissing = { expr = s.localFile root "demo" "x.whl" { path = "x.whl"; sha256 = "0"; }; throws = true; };
    testNoHash = { expr = s.localFile root "demo" "pyproject.toml" { path = "project/pyproject.toml"; }; throws = true; };
  };
  gitTree = {
    testHttpsIsAFixedOutputFetch = {
      expr = fetched.fetchgit;
      expected = {
        inherit (gitArtifact) url rev;
        hash = gitArtifact."nar-hash";
        fetchSubmodules = false;
        name = "lib-0123456789ab-source";
      };
    };
    testSubdirectory = {
      expr = s.gitTree "lib" (gitArtifact // { subdirectory = "packages/lib"; });
      expected = "/nix/store/00000000000000000000000000000000-fetchgit/packages/lib";
    };
    testSubdirectoryEscapes = { expr = s.gitTree "lib" (gitArtifact // { subdirectory = "a/../../b"; }); throws = true; };
    testAbsoluteSubdirectory = { expr = s.gitTree "lib" (gitArtifact // { subdirectory = "/etc"; }); throws = true; };
    testNoRev = { expr = s.gitTree "lib" (removeAttrs gitArtifact [ "rev" ]); throws = true; };
    testUnknownScheme = { expr = s.gitTree "lib" (gitArtifact // { url = "ftp://x/r"; }); throws = true; };
  };
  sourceTree = {
    testGit = { expr = (s.sourceTree root "lib" gitArtifact).fetchgit.url; expected = gitArtifact.url; };
    testPath = { expr = builtins.isPath (s.sourceTree root "demo" { kind = "path"; path = "project"; }) || builtins.isString (s.sourceTree root "demo" { kind = "path"; path = "project"; }); expected = true; };
  };
  workingTree = {
    testNotCopied = { expr = s.workingTree ./project null "demo" { path = "."; }; expected = toString ./project; };
    testEditableRoot = { expr = s.workingTree ./project "$REPO_ROOT/env" "demo" { path = ".."; }; expected = "$REPO_ROOT/env/.."; };
  };
}
