"""mach2/nix/nixpkgs-index.nix with real Nix, and mach2.providers.nixpkgs.index running it.

Against tests/fixtures/nixpkgs (a fake nixpkgs of plain attribute sets with every case the
index must handle) and the shared nixpkgs stand-in (tests/nixpkgs-standin, real
buildPythonPackage derivations from python-index-fixture.nix).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from mach2.errors import CacheError
from mach2.providers.nixpkgs.index import (
    EXPRESSION,
    NixpkgsIndexError,
    NixpkgsSource,
    evaluate_index,
    parse_nixpkgs_source,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "nixpkgs"
STANDIN = ROOT / "tests" / "nixpkgs-standin"
NO_SUBSTITUTERS = ["--option", "substituters", ""]


def nix_index(pkgs: str, *args: str) -> Any:
    result = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", *NO_SUBSTITUTERS, str(EXPRESSION),
         "--arg", "pkgs", pkgs, *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def entry(
    attr: str, name: str, version: str, deps: list[str] | None = None, **extras: list[str]
) -> dict[str, Any]:
    return {
        "attr": attr,
        "name": name,
        "version": version,
        "dependencies": deps or [],
        "extras": extras,
    }


# What tests/fixtures/nixpkgs must give: sorted by attribute; skipped are the alias that
# throws, the broken and unavailable packages, the failed assert, the package whose version
# throws, the one whose dependency throws, the application, zlib (not Python), the
# interpreter, functions and the recurseForDerivations set.
FIXTURE_INDEX = {
    "format": 1,
    "python": "3.7.6",
    "nixpkgs": {"version": "20.03pre-fixture", "revision": None},
    "packages": [
        entry("certifi", "certifi", "2019.11.28"),
        entry("chardet", "chardet", "3.0.4"),
        entry("dateutil", "python-dateutil", "2.8.1", ["six"]),  # an alias, and no pname
        entry("django", "django", "5.0.1"),
        entry("django_4", "django", "4.2.7"),  # pname "Django"
        entry("django_5", "django", "5.0.1"),
        entry("idna", "idna", "2.8"),
        entry("pysocks", "pysocks", "1.7.1"),
        entry("python-dateutil", "python-dateutil", "2.8.1", ["six"]),  # `dependencies`
        entry("pytorch", "torch", "1.4.0"),  # the PyPI name from the fetchPypi URL
        entry("pyyaml", "pyyaml", "5.2"),  # its src throws: the name comes from pname
        entry("requests", "requests", "2.22.0", ["certifi", "chardet", "idna", "urllib3"], socks=["pysocks"]),
        entry("six", "six", "1.13.0"),
        entry("snowballstemmer", "snowballstemmer", "unstable-2020-01-01"),
        entry("urllib3", "urllib3", "1.25.7"),
    ],
}  # fmt: skip


def test_the_expression_on_the_fake_nixpkgs() -> None:
    assert nix_index(f"import {FIXTURE} {{ }}") == FIXTURE_INDEX


def test_the_expression_on_some_attributes() -> None:
    data = nix_index(f"import {FIXTURE} {{ }}", "--arg", "attrs", '[ "requests" "removed-alias" ]')
    # Dependencies still resolve to attributes outside the batch.
    assert data["packages"] == [FIXTURE_INDEX["packages"][11]]  # type: ignore[index]


# The stand-in's own set: the packages nixpkgs' hooks are made of (python-packages.nix).
STANDIN_PACKAGES = [
    entry("build", "build", "1.3.0", ["packaging", "pyproject-hooks"]),
    entry("flit-core", "flit-core", "3.12.0"),
    entry("installer", "installer", "0.7.0"),
    entry("packaging", "packaging", "25.0"),
    entry("pyproject-hooks", "pyproject-hooks", "1.2.0"),
    entry("setuptools", "setuptools", "80.9.0"),
    entry("wheel", "wheel", "0.45.1"),
]


def test_the_interpreter_is_not_a_package() -> None:
    """`pkgs.python3.pkgs.python` is a module of its own set (python-packages-base.nix), and
    every package propagates it (mk-python-derivation.nix): neither makes it an index entry."""
    data = nix_index(
        f"import {STANDIN} {{ overlays = [ (import {STANDIN}/python-index-fixture.nix) ]; }}"
    )
    assert "python" not in [p["attr"] for p in data["packages"]]
    assert "python3" not in [p["name"] for p in data["packages"]]
    assert all("python" not in p["dependencies"] for p in data["packages"])
    assert nix_index(f"import {STANDIN} {{ }}", "--arg", "attrs", '[ "python" "build" ]')[
        "packages"
    ] == [STANDIN_PACKAGES[0]]


def test_the_expression_on_the_shared_standin() -> None:
    assert nix_index(f"import {STANDIN} {{ }}") == {
        "format": 1,
        "python": "3.11",
        "nixpkgs": {"version": None, "revision": None},
        "packages": STANDIN_PACKAGES,
    }
    overlay = f"[ (import {STANDIN}/python-index-fixture.nix) ]"
    data = nix_index(f"import {STANDIN} {{ overlays = {overlay}; }}")
    # The alias that throws and the broken package are skipped; the interpreter, `pkgs`,
    # `lib`, `stdenv`, `bootstrap`, the hooks and buildPythonPackage are not packages.
    fixture = [
        entry("certifi", "certifi", "2019.11.28"),
        entry("chardet", "chardet", "3.0.4"),
        entry("deprecation", "deprecation", "2.1.0", ["packaging"]),
        entry("idna", "idna", "2.8"),
        entry("requests", "requests", "2.22.0", ["certifi", "chardet", "idna", "urllib3"]),
        entry("six", "six", "1.13.0"),
        entry("toml", "toml", "0.10.0"),
        entry("urllib3", "urllib3", "1.25.7"),
    ]
    assert data["packages"] == sorted(STANDIN_PACKAGES + fixture, key=lambda e: e["attr"])
    assert (
        nix_index(
            f"import {STANDIN} {{ overlays = {overlay}; }}", "--argstr", "python", "python311"
        )
        == data
    )


def expected_packages() -> list[dict[str, Any]]:
    """FIXTURE_INDEX's packages as NixpkgsIndex.to_json writes them (empty extras left out)."""
    out = []
    for package in FIXTURE_INDEX["packages"]:  # type: ignore[attr-defined]
        package = dict(package)
        if not package["extras"]:
            del package["extras"]
        out.append(package)
    return out


def test_evaluate_index_caches_per_content(tmp_path: Path) -> None:
    tree = tmp_path / "nixpkgs"
    shutil.copytree(FIXTURE, tree)
    cache = tmp_path / "cache"
    index = evaluate_index(NixpkgsSource("path", str(tree)), python="python3", cache_dir=cache)
    assert index.to_json()["packages"] == expected_packages()
    assert index.python == "3.7.6"
    assert (index.python_attr, index.system) == ("python3", "x86_64-linux")
    assert index.nixpkgs == {
        "source": str(tree),
        "path": str(tree),
        "revision": None,
        "version": "20.03pre-fixture",
    }
    (cached,) = (cache / "nixpkgs-index-v1").iterdir()
    # A second run reads the cache: no Nix needed.
    no_nix = tmp_path / "no-nix"
    again = evaluate_index(
        NixpkgsSource("path", str(tree)), python="python3", cache_dir=cache, nix_bin=no_nix
    )
    assert again == index
    # Another Python attribute or system, or changed files, are other entries.
    with pytest.raises(NixpkgsIndexError, match="nix-instantiate was not found"):
        evaluate_index(
            NixpkgsSource("path", str(tree)), python="python37", cache_dir=cache, nix_bin=no_nix
        )
    with pytest.raises(NixpkgsIndexError, match="nix-instantiate was not found"):
        evaluate_index(
            NixpkgsSource("path", str(tree)),
            system="aarch64-linux",
            python="python3",
            cache_dir=cache,
            nix_bin=no_nix,
        )
    (tree / "default.nix").write_text((tree / "default.nix").read_text().replace('"5.2"', '"5.3"'))
    changed = evaluate_index(NixpkgsSource("path", str(tree)), python="python3", cache_dir=cache)
    assert [p.version for p in changed.by_name("pyyaml")] == ["5.3"]
    assert len(list((cache / "nixpkgs-index-v1").iterdir())) == 2
    # A damaged entry is an error naming it; --refresh evaluates again and replaces it.
    (entry_file,) = set((cache / "nixpkgs-index-v1").iterdir()) - {cached}
    entry_file.write_text("{")
    with pytest.raises(CacheError, match=r"cached nixpkgs index .* is damaged"):
        evaluate_index(NixpkgsSource("path", str(tree)), python="python3", cache_dir=cache)
    evaluate_index(
        NixpkgsSource("path", str(tree)), python="python3", cache_dir=cache, refresh=True
    )
    assert json.loads(entry_file.read_text())["format"] == 1


def test_an_error_trycatch_cannot_catch_costs_one_package(tmp_path: Path) -> None:
    index = evaluate_index(parse_nixpkgs_source(str(FIXTURE / "uncatchable")), python="python3")
    assert index.unevaluable == ("tensorflow-bin",)
    assert index.to_json()["packages"] == expected_packages()
    assert index.python == "3.7.6"


def test_a_missing_python_attribute_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(NixpkgsIndexError) as error:
        evaluate_index(NixpkgsSource("path", str(FIXTURE)), python="python39")
    assert error.value.message == (
        f"evaluating python39 of nixpkgs {str(FIXTURE)!r} failed: attribute 'python39' missing"
    )


def test_a_flake_reference(tmp_path: Path) -> None:
    """A flake with legacyPackages, and one without (nixpkgs' default.nix is imported)."""
    with_legacy, plain = tmp_path / "with-legacy", tmp_path / "plain"
    for directory in (with_legacy, plain):
        directory.mkdir()
        shutil.copy(FIXTURE / "default.nix", directory / "default.nix")
    (with_legacy / "flake.nix").write_text(
        "{ outputs = _: { legacyPackages.x86_64-linux = import ./. { }; }; }\n"
    )
    (plain / "flake.nix").write_text("{ outputs = _: { }; }\n")
    for directory in (with_legacy, plain):
        index = evaluate_index(
            parse_nixpkgs_source(f"path:{directory}"), python="python3", cache_dir=tmp_path / "c"
        )
        assert index.to_json()["packages"] == expected_packages()
        assert index.nixpkgs["source"] == f"path:{directory}"
        assert str(index.nixpkgs["narHash"]).startswith("sha256-")
        assert str(index.nixpkgs["path"]).startswith("/nix/store/")
    with pytest.raises(NixpkgsIndexError, match=r"cannot lock nixpkgs flake 'path:/nonexistent/x'"):
        evaluate_index(parse_nixpkgs_source("path:/nonexistent/x"))


def test_a_pinned_tarball(tmp_path: Path) -> None:
    tarball = tmp_path / "nixpkgs.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(FIXTURE / "default.nix", arcname="nixpkgs-fixture/default.nix")
    url = f"file://{tarball}"
    sha256 = subprocess.run(
        ["nix-prefetch-url", "--unpack", url], capture_output=True, text=True, check=True
    ).stdout.strip()
    index = evaluate_index(NixpkgsSource("tarball", url, sha256), python="python3")
    assert index.to_json()["packages"] == expected_packages()
    assert index.nixpkgs["sha256"] == sha256


def test_a_channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIX_PATH", f"fixture-nixpkgs={FIXTURE}")
    index = evaluate_index(parse_nixpkgs_source("<fixture-nixpkgs>"), python="python3")
    assert index.to_json()["packages"] == expected_packages()
    assert index.nixpkgs["source"] == "<fixture-nixpkgs>"
    assert index.nixpkgs["path"] == str(FIXTURE)
    with pytest.raises(NixpkgsIndexError, match="nixpkgs channel '<nope>' is not on NIX_PATH"):
        evaluate_index(parse_nixpkgs_source("<nope>"))


# The emission rule of docs/nixpkgs.md §5, written out by hand (the Nix library implements
# it): an exact version is `prev.<attr>` itself, another version overrides src/version.
EMISSION = """
let
  pkgs = import STANDIN { overlays = [ (import STANDIN/python-index-fixture.nix) ]; };
  lock = LOCK;
  overlay = final: prev: builtins.mapAttrs (key: l:
    let old = prev.${l.attr}; in
    if old.version == l.version then old
    else old.overridePythonAttrs (o: {
      version = l.version;
      src = pkgs.fetchurl { inherit (l) url sha256; };
    })) lock;
  python = pkgs.python3.override (old: {
    packageOverrides = pkgs.lib.composeExtensions (old.packageOverrides or (_: _: { })) overlay;
  });
  same = name: python.pkgs.${name}.drvPath == pkgs.python3.pkgs.${name}.drvPath;
in
builtins.listToAttrs (map (name: { inherit name; value = same name; })
  [ "certifi" "chardet" "idna" "requests" "urllib3" ])
"""

IDNA_2_7 = {
    "attr": "idna",
    "version": "2.7",
    "url": "https://files.pythonhosted.org/packages/65/c4/80f97e9c9628f3cac9b98bfca0402ede54e0563b56482e3e6e45c43c4935/idna-2.7.tar.gz",
    "sha256": "684a38a6f903c1d71d6d5fac066b58d7768af4de2b832e426ec79c30daa94a16",
}


def nix_lock(entries: dict[str, dict[str, str]]) -> str:
    return (
        "{ "
        + " ".join(
            f"{key} = {{ " + " ".join(f'{k} = "{v}";' for k, v in entry.items()) + " };"
            for key, entry in entries.items()
        )
        + " }"
    )


def emission(tmp_path: Path, lock: dict[str, dict[str, str]]) -> dict[str, bool]:
    path = tmp_path / "emission.nix"
    path.write_text(EMISSION.replace("STANDIN", str(STANDIN)).replace("LOCK", nix_lock(lock)))
    result = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", *NO_SUBSTITUTERS, str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    value: dict[str, bool] = json.loads(result.stdout)
    return value


def test_exact_versions_reuse_the_untouched_derivation(tmp_path: Path) -> None:
    exact = {
        "requests": {"attr": "requests", "version": "2.22.0"},
        "urllib3": {"attr": "urllib3", "version": "1.25.7"},
        "idna": {"attr": "idna", "version": "2.8"},
    }
    assert emission(tmp_path, exact) == dict.fromkeys(
        ["certifi", "chardet", "idna", "requests", "urllib3"], True
    )
    # idna overridden: it and requests (built against it) change; the rest is nixpkgs' own.
    assert emission(tmp_path, {**exact, "idna": IDNA_2_7}) == {
        "certifi": True,
        "chardet": True,
        "idna": False,
        "requests": False,
        "urllib3": True,
    }
