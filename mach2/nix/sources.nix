# Sources no index serves: git checkouts, local directories and local files of the lock
# (mach2/providers/direct; implementation.md "Direct references").
#
#   git    artifact { url; rev; nar-hash; subdirectory?; }.  http(s):// and git:// URLs:
#          nixpkgs' `fetchgit { url; rev; hash = nar-hash; fetchSubmodules = false; }`, a
#          fixed-output derivation (pkgs/build-support/fetchgit/default.nix, nix-prefetch-git):
#          Nix checks the NAR hash mach2 computed at lock time, nothing is fetched while
#          evaluating.  file:// and ssh:// URLs: `builtins.fetchGit { url; rev; allRefs = true; }`,
#          at evaluation time as the user (a fixed-output derivation runs as a build user in a
#          sandbox: it can read neither the user's repositories nor their ssh keys).  The commit
#          pins the content; the NAR hash is not passed there, because Nix < 2.20 (`git
#          archive`: export-ignore, eol filters) and Nix >= 2.20 (libgit2: the raw tree) make
#          different trees of a repository with a .gitattributes (NixOS/nix#11428).
#   path   artifact { path; }: `builtins.path { path = root + "/<path>"; filter; }`, the
#          directory filtered with git's ignore rules (mach2/providers/direct/tree.py has the
#          same rules and the tests compare both with `git check-ignore`), so a changed
#          __pycache__ or build/ does not rebuild.  Not hashed: the lock hashes the metadata
#          files for staleness only.
#   files  wheels and sdists with artifact { path; sha256; }: `builtins.path { path;
#          sha256; recursive = false; }`, a flat hash of the file that Nix checks.
#
# `root` is the directory the lock's relative paths start from: the lock's directory
# (mkPython's `root`, default `dirOf lockFile`).  All of this is Nix 2.8 compatible.
{ pkgs, util, ... }:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elem
    elemAt
    filter
    foldl'
    genList
    head
    isList
    isPath
    isString
    length
    listToAttrs
    match
    pathExists
    readDir
    readFile
    split
    stringLength
    substring
    toString
    ;
  inherit (util) describe splitOn;

  /**
    A path of the lock (`path` field): absolute, or relative to `root`.

    Type: localPath :: (path | null) -> string -> string -> path
  */
  localPath =
    root: key: p:
    if !(isString p) || p == "" then
      throw "mach2: locked package `${key}`: `artifact.path` must be a non-empty string, not ${describe p}"
    else if substring 0 1 p == "/" then
      /. + p
    else if root == null then
      throw "mach2: locked package `${key}` is the local path ${p}, relative to the lock's directory, but the lock's directory is unknown (the lock is not a file); pass `root = ./.;` (the directory the lock was written to)"
    else
      root + "/${p}";

  # -- git's ignore rules ------------------------------------------------------------------

  tokenRegex = "(/\\*\\*/|/\\*\\*$|\\*\\*/|\\*\\*|\\*|\\?|\\[[^]]*]|\\\\.)";
  specials = [ "." "^" "$" "+" "(" ")" "{" "}" "|" "\\" "[" "]" "*" "?" ];
  chars = s: genList (i: substring i 1 s) (stringLength s);
  escape = s: concatStringsSep "" (map (c: if elem c specials then "\\${c}" else c) (chars s));

  translateToken =
    first: piece:
    if piece == "/**/" then
      "/(.*/)?"
    else if piece == "/**" then
      "/.*"
    else if piece == "**/" then
      (if first then "(.*/)?" else "[^/]*/")
    else if piece == "**" || piece == "*" then
      "[^/]*"
    else if piece == "?" then
      "[^/]"
    else if substring 0 1 piece == "[" then
      let
        inner = substring 1 (stringLength piece - 2) piece;
      in
      "[" + (if substring 0 1 inner == "!" then "^" + substring 1 (stringLength inner) inner else inner) + "]"
    else
      escape (substring 1 1 piece);

  translate =
    pattern:
    let
      pieces = split tokenRegex pattern;
    in
    concatStringsSep "" (
      genList (
        i:
        let
          piece = elemAt pieces i;
        in
        if isString piece then escape piece else translateToken (i == 1 && elemAt pieces 0 == "") (head piece)
      ) (length pieces)
    );

  stripLine =
    raw:
    let
      m = match "(.*[^ \r])?([ \r]*)" raw;
      content = if m == null || head m == null then "" else head m;
      escapedSpace = stringLength content > 0 && substring (stringLength content - 1) 1 content == "\\" && elemAt m 1 != "";
    in
    if escapedSpace then content + " " else content;

  /**
    The rules of a .gitignore text: `{ regex; negated; directoryOnly; }`, in order.

    Type: parseGitignore :: string -> [attrs]
  */
  parseGitignore =
    text:
    let
      lines = map stripLine (splitOn "\n" text);
      rule =
        line:
        let
          negated = substring 0 1 line == "!";
          unescaped =
            if negated || substring 0 2 line == "\\!" || substring 0 2 line == "\\#" then
              substring 1 (stringLength line) line
            else
              line;
          trimmed = match "(.*[^/])/*" unescaped;
          body = if trimmed == null then "" else head trimmed;
          directoryOnly = body != unescaped;
          anchored = match ".*/.*" body != null;
          pattern = if substring 0 1 body == "/" then substring 1 (stringLength body) body else body;
          regex = translate pattern;
        in
        if line == "" || substring 0 1 line == "#" || body == "" then
          null
        else
          {
            inherit negated directoryOnly;
            regex = if anchored then regex else "(.*/)?" + regex;
          };
    in
    filter (r: r != null) (map rule lines);

  /**
    What is always ignored before a tree's own .gitignore files (tree.py's BUILTIN_IGNORES).
  */
  builtinIgnores = [
    "__pycache__/"
    "*.py[cod]"
    ".mypy_cache/"
    ".pytest_cache/"
    ".ruff_cache/"
    ".tox/"
    ".nox/"
    ".venv/"
    "/result"
    "/result-*"
  ];
  builtinRules = map (r: r // { base = ""; }) (parseGitignore (concatStringsSep "\n" builtinIgnores));

  # A directory's node: its own rules (with their base) and its subdirectories' nodes, lazily,
  # so each .gitignore is read and parsed once however many files sit below it.
  node =
    directory: relative:
    let
      own = directory + "/.gitignore";
      entries = readDir directory;
      subdirectories = filter (n: entries.${n} == "directory") (attrNames entries);
    in
    {
      rules =
        if (entries.".gitignore" or "") == "regular" then
          map (r: r // { base = relative; }) (parseGitignore (readFile own))
        else
          [ ];
      children = listToAttrs (
        map (n: {
          name = n;
          value = node (directory + "/${n}") (if relative == "" then n else "${relative}/${n}");
        }) subdirectories
      );
    };

  # Whether `relative` is ignored by `rules` (the last matching rule decides).
  ignoredBy =
    rules: relative: isDirectory:
    foldl' (
      ignored: rule:
      let
        prefix = if rule.base == "" then "" else rule.base + "/";
        inside = substring 0 (stringLength prefix) relative == prefix;
        inner = substring (stringLength prefix) (stringLength relative) relative;
        matches = inside && (isDirectory || !rule.directoryOnly) && match rule.regex inner != null;
      in
      if matches then !rule.negated else ignored
    ) false rules;

  /**
    A `builtins.path` filter with git's ignore semantics for the tree at `top`.

    Type: gitignoreFilter :: path -> (string -> string -> bool)
  */
  gitignoreFilter =
    top:
    let
      root = node top "";
      prefix = toString top + "/";
    in
    path: type:
    let
      relative = substring (stringLength prefix) (stringLength path) path;
      parts = splitOn "/" relative;
      name = elemAt parts (length parts - 1);
      # The nodes of every directory from the top down to the entry's parent.
      parents = foldl' (acc: part: acc ++ [ (elemAt acc (length acc - 1)).children.${part} ]) [ root ] (
        genList (i: elemAt parts i) (length parts - 1)
      );
      rules = builtinRules ++ builtins.concatLists (map (n: n.rules) parents);
    in
    name != ".git" && !(ignoredBy rules relative (type == "directory"));

  /**
    A local directory of the lock, copied to the store with git's ignore rules.

    Type: localTree :: (path | null) -> string -> attrs -> path
  */
  localTree =
    root: key: artifact:
    let
      top = localPath root key (artifact.path or null);
    in
    if !(pathExists top) then
      throw "mach2: locked package `${key}` is the local directory ${toString top}, which does not exist; lock again (mach2 lock) or restore it"
    else
      builtins.path {
        path = top;
        name = "${key}-source";
        filter = gitignoreFilter top;
      };

  /**
    A local wheel or sdist of the lock, checked against its sha256 (a flat file hash).

    Type: localFile :: (path | null) -> string -> string -> attrs -> path
  */
  localFile =
    root: key: filename: artifact:
    let
      file = localPath root key artifact.path;
      sha256 = artifact.sha256 or (throw "mach2: locked package `${key}` has no `artifact.sha256`");
    in
    if !(pathExists file) then
      throw "mach2: locked package `${key}` is the local file ${toString file}, which does not exist; lock again (mach2 lock) or restore it"
    else
      builtins.path {
        path = file;
        name = filename;
        inherit sha256;
        recursive = false;
      };

  /**
    A git checkout of the lock (the project's subdirectory of it, if any).

    Type: gitTree :: string -> attrs -> (path | string)
  */
  gitTree =
    key: artifact:
    let
      field =
        name:
        let
          value = artifact.${name} or null;
        in
        if isString value && value != "" then
          value
        else
          throw "mach2: locked package `${key}` (git) has no `artifact.${name}` (${describe value}); re-create the lock with `mach2 lock`";
      url = field "url";
      rev = field "rev";
      scheme =
        let
          m = match "([a-z+]+)://.*" url;
        in
        if m == null then
          throw "mach2: locked package `${key}`: git URL ${url} has no scheme"
        else
          head m;
      shortRev = substring 0 12 rev;
      fetched =
        if elem scheme [
          "file"
          "ssh"
        ] then
          builtins.fetchGit {
            inherit url rev;
            allRefs = true;
            name = "${key}-${shortRev}-source";
          }
        else if elem scheme [
          "http"
          "https"
          "git"
        ] then
          pkgs.fetchgit {
            inherit url rev;
            hash = field "nar-hash";
            fetchSubmodules = false;
            name = "${key}-${shortRev}-source";
          }
        else
          throw "mach2: locked package `${key}`: git URL ${url} has scheme ${scheme}; mach2 fetches http(s), git, ssh and file URLs";
      subdirectory = artifact.subdirectory or null;
    in
    if subdirectory == null then
      fetched
    else if !(isString subdirectory) || match "/.*" subdirectory != null || match "(.*/)?\\.\\.(/.*)?" subdirectory != null then
      throw "mach2: locked package `${key}`: `artifact.subdirectory` ${describe subdirectory} leaves the checkout"
    else
      "${fetched}/${subdirectory}";

  /**
    Where a locked package of kind `git` or `path` is built from.

    Type: sourceTree :: (path | null) -> string -> attrs -> (path | string)
  */
  sourceTree =
    root: key: artifact:
    if artifact.kind == "git" then gitTree key artifact else localTree root key artifact;

  /**
    The directory of an editable package's working tree, as a string (not copied to the store):
    `editableRoot` (a string, `$VARS` expanded when Python starts) instead of `root` when given.

    Type: workingTree :: (path | null) -> (string | null) -> string -> attrs -> string
  */
  workingTree =
    root: editableRoot: key: artifact:
    let
      p = artifact.path or null;
    in
    if editableRoot != null && isString p && substring 0 1 p != "/" then
      "${editableRoot}/${p}"
    else
      toString (localPath root key p);
in
{
  inherit
    gitTree
    gitignoreFilter
    localFile
    localPath
    localTree
    parseGitignore
    sourceTree
    workingTree
    ;
}
