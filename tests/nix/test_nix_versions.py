"""The Nix library runs on Nix 2.8 (what the development machines have) and on the Nix current
nixpkgs needs (2.18 or later, nixpkgs' lib/minver.nix): it uses no builtin newer than 2.8
and nothing later releases removed or deprecated."""

from __future__ import annotations

import re
from pathlib import Path

from nixhelpers import LIBRARY, run

# `builtins.attrNames builtins` of Nix 2.8.0 (facts, recorded here so that a newer Nix running
# the tests does not widen the check).
NIX_2_8_BUILTINS = frozenset(
    [
        "abort",
        "add",
        "addErrorContext",
        "all",
        "any",
        "appendContext",
        "attrNames",
        "attrValues",
        "baseNameOf",
        "bitAnd",
        "bitOr",
        "bitXor",
        "builtins",
        "catAttrs",
        "ceil",
        "compareVersions",
        "concatLists",
        "concatMap",
        "concatStringsSep",
        "currentSystem",
        "currentTime",
        "deepSeq",
        "derivation",
        "derivationStrict",
        "dirOf",
        "div",
        "elem",
        "elemAt",
        "false",
        "fetchGit",
        "fetchMercurial",
        "fetchTarball",
        "fetchTree",
        "fetchurl",
        "filter",
        "filterSource",
        "findFile",
        "floor",
        "foldl'",
        "fromJSON",
        "fromTOML",
        "functionArgs",
        "genList",
        "genericClosure",
        "getAttr",
        "getContext",
        "getEnv",
        "groupBy",
        "hasAttr",
        "hasContext",
        "hashFile",
        "hashString",
        "head",
        "import",
        "intersectAttrs",
        "isAttrs",
        "isBool",
        "isFloat",
        "isFunction",
        "isInt",
        "isList",
        "isNull",
        "isPath",
        "isString",
        "langVersion",
        "length",
        "lessThan",
        "listToAttrs",
        "map",
        "mapAttrs",
        "match",
        "mul",
        "nixPath",
        "nixVersion",
        "null",
        "parseDrvName",
        "partition",
        "path",
        "pathExists",
        "placeholder",
        "readDir",
        "readFile",
        "removeAttrs",
        "replaceStrings",
        "scopedImport",
        "seq",
        "sort",
        "split",
        "splitVersion",
        "storeDir",
        "storePath",
        "stringLength",
        "sub",
        "substring",
        "tail",
        "throw",
        "toFile",
        "toJSON",
        "toPath",
        "toString",
        "toXML",
        "trace",
        "true",
        "tryEval",
        "typeOf",
        "unsafeDiscardOutputDependency",
        "unsafeDiscardStringContext",
        "unsafeGetAttrPos",
        "zipAttrsWith",
    ]
)

# Deprecated since, or gone from, the Nix that current nixpkgs needs: builtins.toPath, the old
# `let { body = ...; }` syntax, `__curPos`-style internals, unquoted URLs (checked by parsing
# with no-url-literals below), fetchMercurial and the flakes-only fetchTree (experimental).
AVOIDED = frozenset({"toPath", "fetchMercurial", "fetchTree", "getFlake", "scopedImport"})

FILES = sorted(LIBRARY.resolve().glob("*.nix"))


def _builtins(text: str) -> set[str]:
    used = set(re.findall(r"builtins\.([A-Za-z_']+)", text))
    for block in re.findall(r"inherit \(builtins\)([^;]*);", text):
        used |= set(block.split())
    return used


def test_the_library_files_are_found() -> None:
    assert {f.name for f in FILES} >= {"default.nix", "packages.nix", "nixpkgs-index.nix"}


def test_only_builtins_nix_2_8_has() -> None:
    used = set().union(*(_builtins(f.read_text(encoding="utf-8")) for f in FILES))
    assert "fromJSON" in used  # the scan sees something
    assert used - NIX_2_8_BUILTINS == set()
    assert used & AVOIDED == set()


def test_no_removed_syntax() -> None:
    for file in FILES:
        text = file.read_text(encoding="utf-8")
        assert not re.search(r"\blet\s*\{", text), file
        assert "__curPos" not in text, file
    # URL literals are deprecated (the no-url-literals feature makes them an error).
    result = run(
        ["nix-instantiate", "--parse", "--extra-experimental-features", "no-url-literals",
         *map(str, FILES)]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_scan_catches_a_newer_builtin(tmp_path: Path) -> None:
    assert _builtins("let inherit (builtins) warn filter; in builtins.convertHash x") == {
        "warn",
        "filter",
        "convertHash",
    }
