"""Build fixes against the stand-in: every table entry evaluates (its attributes exist and
land in the sdist's derivation), the issue's sdists evaluate with their native inputs, and
the entries the stand-in can build are built from real PyPI sdists."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import LIBRARY, STANDIN, nix_build, nix_eval, tier

from mach2.buildfix import load_table
from mach2.lock.model import canonical_providers, sha256_text

TABLE = load_table()
BACKENDS = sorted({f.build_system for f in TABLE.fixes.values() if f.build_system})
CRATE = {"name": "itoa", "version": "1.0.11", "sha256": "1" * 64}


def _artifact(name: str, kind: str) -> dict[str, str]:
    filename = f"{name}-1.0.tar.gz" if kind == "sdist" else f"{name}-1.0-py3-none-any.whl"
    return {"kind": kind, "filename": filename, "url": f"https://files.invalid/{filename}", "sha256": "0" * 64}  # fmt: skip


def _package(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name, "version": "1.0", "provider": kind, "why-provider": "test",
        "artifact": _artifact(name, kind), "extras": [], "dependencies": {},
        "build-only": kind == "wheel", **extra,
    }  # fmt: skip


def _lock_every_entry(directory: Path) -> list[str]:
    """A lock with one sdist per table entry (`fix-<id>`, built with setuptools or with the
    entry's backend), each naming its entry; returns the requirement names."""
    packages = {b: _package(b, "wheel") for b in ["setuptools", *BACKENDS]}
    roots = []
    for fix_id, fix in sorted(TABLE.fixes.items()):
        backend = fix.build_system or "setuptools"
        extra: dict[str, Any] = {"build-system": {backend: backend}, "build-fixes": [fix_id]}
        if fix.cargo:
            extra["cargo-crates"] = [CRATE]
        packages[f"fix-{fix_id}"] = _package(f"fix-{fix_id}", "sdist", **extra)
        roots.append(f"fix-{fix_id}")
    requirements = "".join(f"{r}\n" for r in roots)
    lock = {
        "lock-version": 1, "generator": "test", "exclude-newer": None, "indexes": [],
        "target": {"python": "3.11.14", "system": "x86_64-linux", "glibc": "2.40"},
        "inputs": {"requirements-sha256": sha256_text(requirements), "files": {}, "hash": "",
                   "providers": canonical_providers({"_default": "sdist,wheel"})},
        "providers": {"_default": ["sdist", "wheel"]}, "roots": roots, "packages": packages,
    }  # fmt: skip
    (directory / "requirements.txt").write_text(requirements, encoding="utf-8")
    (directory / "mach2.lock").write_text(json.dumps(lock), encoding="utf-8")
    return roots


@functools.cache
def _evaluated(directory: Path) -> dict[str, Any]:
    """Per entry: the names of the derivation's inputs, its env, attrs, passthru, drvPath."""
    roots = _lock_every_entry(directory)
    expr = f"""
      let
        pkgs = import {STANDIN} {{ }};
        mach2 = import {LIBRARY} {{ inherit pkgs; }};
        set = (mach2.mkNixpkgs {{
          requirements = builtins.readFile {directory}/requirements.txt;
          lockFile = {directory}/mach2.lock;
          providers = {{ _default = "sdist,wheel"; }};
        }}).python311.pkgs;
        names = map (d: d.name);
      in builtins.listToAttrs (map (key: let d = set.${{key}}; in {{
        name = key;
        value = {{
          native = names d.nativeBuildInputs;
          build = names d.buildInputs;
          fixes = d.passthru.mach2.buildFixes;
          drv = d.drvPath;
          env = builtins.removeAttrs d.drvAttrs [ "args" "builder" "nativeBuildInputs"
            "buildInputs" "propagatedBuildInputs" "stdenv" "src" "scripts" "installPhase"
            "buildPhase" "unpackPhase" "installCheckPhase" ];
        }};
      }}) (builtins.fromJSON ''{json.dumps(roots)}''))
    """
    result: dict[str, Any] = nix_eval(expr)
    return result


@functools.cache
def _standin_names() -> dict[str, str | None]:
    """Each attribute path the table names → the stand-in derivation's name (None: absent)."""
    paths = sorted({p for f in TABLE.fixes.values() for p in f.attributes()})
    expr = (
        f"let pkgs = import {STANDIN} {{ }}; find = path: builtins.foldl' (acc: n: "
        "if acc != null && builtins.isAttrs acc && acc ? ${n} then acc.${n} else null) pkgs "
        '(builtins.filter builtins.isString (builtins.split "[.]" path)); '
        f"in builtins.listToAttrs (map (p: {{ name = p; value = let d = find p; in "
        f"if d == null then null else d.name; }}) (builtins.fromJSON ''{json.dumps(paths)}''))"
    )
    result: dict[str, str | None] = nix_eval(expr)
    return result


@pytest.mark.nixpkgs_tier
@pytest.mark.skipif(not tier.real, reason="MACH2_TEST_NIXPKGS (a real nixpkgs) is not set")
def test_every_input_exists_in_real_nixpkgs() -> None:
    """The real-nixpkgs tier: each input (one of its alternatives) is an attribute there."""
    inputs = sorted({a for f in TABLE.fixes.values() for g in f.input_groups().values() for a in g})
    expr = (
        f"let pkgs = import {tier.nixpkgs} {{ }}; has = path: "
        "(builtins.tryEval (builtins.foldl' (acc: n: if acc != null && builtins.isAttrs acc "
        "&& acc ? ${n} then acc.${n} else null) pkgs (builtins.filter builtins.isString "
        '(builtins.split "[.]" path)) != null)).value; '
        f"in map (alternatives: builtins.any has alternatives) (builtins.fromJSON ''{json.dumps(inputs)}'')"
    )
    found = dict(zip(inputs, tier.eval(expr), strict=True))
    assert [i for i, ok in found.items() if not ok] == []


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _evaluated(tmp_path_factory.mktemp("fixes"))


def test_every_attribute_the_table_names_is_in_the_standin() -> None:
    # Alternatives need only one present; everything else must exist.
    names = _standin_names()
    for fix in TABLE.fixes.values():
        for group in fix.input_groups().values():
            for alternatives in group:
                assert any(names[a] for a in alternatives), (fix.id, alternatives)


@pytest.mark.parametrize("fix_id", sorted(TABLE.fixes))
def test_entry_evaluates_into_the_sdist_derivation(evaluated: dict[str, Any], fix_id: str) -> None:
    fix, result, names = TABLE.fixes[fix_id], evaluated[f"fix-{fix_id}"], _standin_names()
    assert result["drv"].endswith(".drv")
    assert result["fixes"] == [fix_id]
    for field, key in (("nativeBuildInputs", "native"), ("buildInputs", "build")):
        for alternatives in fix.input_groups()[field]:
            first = next(names[a] for a in alternatives if names[a])
            assert first in result[key], (field, alternatives)
    for var, value in fix.env.items():
        got, prefix = result["env"][var], value.split("@")[0]
        if "@" in value:  # placeholders become store paths
            assert got.startswith(f"{prefix}/nix/store/") and "@" not in got
        else:
            assert got == value
    for attr, value in fix.attrs.items():
        assert result["env"][attr] == value
    if fix.cargo:
        assert f"fix-{fix_id}-cargo-vendor" in result["native"]


def test_user_underscore_overrides_win(tmp_path: Path) -> None:
    _lock_every_entry(tmp_path)
    expr = f"""
      let
        pkgs = import {STANDIN} {{ }};
        mach2 = import {LIBRARY} {{ inherit pkgs; }};
        d = (mach2.mkNixpkgs {{
          requirements = builtins.readFile {tmp_path}/requirements.txt;
          lockFile = {tmp_path}/mach2.lock;
          providers = {{ _default = "sdist,wheel"; }};
          _.fix-psycopg2.nativeBuildInputs = [ pkgs.hello ];
          _.fix-pyyaml.env.add = {{ PYYAML_FORCE_LIBYAML = "0"; }};
        }}).python311.pkgs;
      in [ (map (x: x.name) d.fix-psycopg2.nativeBuildInputs) d.fix-pyyaml.drvAttrs.PYYAML_FORCE_LIBYAML ]
    """
    native, forced = nix_eval(expr)
    assert "pg_config-standin" not in native and "hello-2.12" in native
    assert forced == "0"


# --- real locks (PyPI) -----------------------------------------------------------------


def _mach2(*args: str, cwd: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "mach2", *args], cwd=cwd, check=True, capture_output=True, text=True
    )


def _lock(tmp_path: Path, requirements: str, providers: str) -> Path:
    (tmp_path / "requirements.txt").write_text(requirements, encoding="utf-8")
    _mach2(
        "env", "env", "-r", "requirements.txt", "-p", providers, "--python", "3.11",
        "--system", "x86_64-linux", "--exclude-newer", "2026-11-01T00:00:00Z", cwd=tmp_path,
    )  # fmt: skip
    return tmp_path / "env"


@pytest.mark.network
def test_default_sdist_psycopg2_mysqlclient_lxml_evaluate_with_native_inputs(
    tmp_path: Path,
) -> None:
    env = _lock(tmp_path, "psycopg2==2.9.10\nmysqlclient==2.2.7\nlxml==5.3.0\n", "_default=sdist")
    lock = json.loads((env / "mach2.lock").read_text(encoding="utf-8"))
    assert {k: lock["packages"][k]["build-fixes"] for k in ("psycopg2", "mysqlclient", "lxml")} == {
        "psycopg2": ["psycopg2"], "mysqlclient": ["mysqlclient"], "lxml": ["lxml"],
    }  # fmt: skip
    expr = (
        f"let set = (import {env}/default.nix {{ }}).passthru or null; "
        f"pkgs = import {STANDIN} {{ }}; mach2 = import {env}/mach2 {{ inherit pkgs; }}; "
        f"py = (mach2.mkNixpkgs {{ requirements = builtins.readFile {env}/requirements.txt; "
        f'lockFile = {env}/mach2.lock; providers = {{ _default = "sdist"; }}; }}).python311.pkgs; '
        "in builtins.mapAttrs (_: d: { native = map (x: x.name) d.nativeBuildInputs; "
        "build = map (x: x.name) d.buildInputs; drv = d.drvPath; }) "
        "{ inherit (py) psycopg2 mysqlclient lxml; }"
    )
    result = nix_eval(expr)
    assert "pg_config-standin" in result["psycopg2"]["native"]
    assert "libpq-standin" in result["psycopg2"]["build"]
    assert "libmysqlclient-standin-placeholder" in result["mysqlclient"]["build"]
    assert "pkg-config-wrapper-standin" in result["mysqlclient"]["native"]
    assert {"libxml2-standin", "libxslt-standin"} <= set(result["lxml"]["native"])
    assert {"libxml2-standin", "libxslt-standin", "zlib-standin"} <= set(result["lxml"]["build"])


@pytest.mark.network
def test_sdists_with_native_libraries_build(tmp_path: Path) -> None:
    """cffi (libffi via pkg-config), PyYAML (libyaml, forced) and psycopg2 (pg_config, libpq)
    built from PyPI's sdists by the stand-in, then imported with their C extensions."""
    env = _lock(
        tmp_path,
        "cffi==1.17.1\npyyaml==6.0.2\npsycopg2==2.9.10\n",
        "_default=wheel,sdist;cffi=sdist;pyyaml=sdist;psycopg2=sdist",
    )
    out = nix_build(env, "-I", f"nixpkgs={STANDIN}")
    probe = subprocess.run(
        [str(out / "bin" / "python"), "-c",
         "import yaml, psycopg2, _cffi_backend; "
         "print(yaml.__with_libyaml__, psycopg2.__libpq_version__ > 0, _cffi_backend.__version__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.split() == ["True", "True", "1.17.1"]


@pytest.mark.network
def test_lxml_sdist_builds_against_libxml2_and_libxslt(tmp_path: Path) -> None:
    """lxml from PyPI's sdist (the `lxml` fix: libxml2, libxslt, zlib and pkg-config; its
    setup.py asks xml2-config and xslt-config), built by the stand-in (~100 s: etree.c is
    large), then an XSLT transform run by the built extension."""
    env = _lock(tmp_path, "lxml==5.3.0\n", "_default=wheel,sdist;lxml=sdist")
    out = nix_build(env, "-I", f"nixpkgs={STANDIN}")
    stylesheet = (
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:template match="/"><out/></xsl:template></xsl:stylesheet>'
    )
    probe = subprocess.run(
        [str(out / "bin" / "python"), "-c",
         "import sys; from lxml import etree; "
         "print(etree.LXML_VERSION[:3], etree.LIBXSLT_VERSION > (1,), "
         "etree.tostring(etree.XSLT(etree.XML(sys.argv[1]))(etree.XML('<a/>'))).decode())",
         stylesheet],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip().split(maxsplit=3) == ["(5,", "3,", "0)", "True <out/>"]


# --- Rust: the crates of Cargo.lock, vendored by Nix ------------------------------------

DEMO_CARGO_TOML = """[package]
name = "mach2-rust-demo"
version = "0.1.0"
edition = "2021"

[dependencies]
mach2-demo-dep = "0.1.0"
"""
DEMO_MAIN = 'fn main() { println!("{}", mach2_demo_dep::greeting()); }\n'
DEP_CARGO_TOML = 'name = "mach2-demo-dep"\nversion = "0.1.0"\nedition = "2021"\n'
PKG_INFO = "Metadata-Version: 2.2\nName: mach2-rust-demo\nVersion: 0.1.0\n"
PYPROJECT = """[build-system]
requires = ["maturin>=1,<2"]
build-backend = "maturin"

[project]
name = "mach2-rust-demo"
version = "0.1.0"

[tool.maturin]
bindings = "bin"
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _tarball(path: Path, root: str, files: dict[str, str]) -> str:
    import hashlib
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    path.chmod(0o644)
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.network
@pytest.mark.skipif(
    not os.access("/usr/bin/cargo", os.X_OK),
    reason="no /usr/bin/cargo (test.sh installs cargo-web)",
)
def test_maturin_sdist_builds_with_vendored_crates(tmp_path: Path) -> None:
    """A maturin sdist whose Cargo.lock names a crates.io crate: `mach2 lock` records the crate,
    Nix vendors it (from a local copy: crates.io is not reachable from here) and cargo builds
    offline with the stand-in's host toolchain."""
    shared = tmp_path / "served"
    shared.mkdir()
    handler = functools.partial(QuietHandler, directory=str(shared))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        crate = shared / "mach2-demo-dep-0.1.0.crate"
        dep = "[package]\n" + DEP_CARGO_TOML
        checksum = _tarball(crate, "mach2-demo-dep-0.1.0", {"Cargo.toml": dep, "src/lib.rs": 'pub fn greeting() -> &\'static str { "hello from a vendored crate" }\n'})  # fmt: skip
        cargo_lock = (
            'version = 3\n\n[[package]]\nname = "mach2-demo-dep"\nversion = "0.1.0"\n'
            'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
            f'checksum = "{checksum}"\n\n[[package]]\nname = "mach2-rust-demo"\nversion = "0.1.0"\n'
            'dependencies = [\n "mach2-demo-dep",\n]\n'
        )
        sdist = shared / "mach2_rust_demo-0.1.0.tar.gz"
        digest = _tarball(sdist, "mach2_rust_demo-0.1.0", {
            "PKG-INFO": PKG_INFO, "pyproject.toml": PYPROJECT, "Cargo.toml": DEMO_CARGO_TOML,
            "Cargo.lock": cargo_lock, "src/main.rs": DEMO_MAIN,
        })  # fmt: skip
        env = _lock(
            tmp_path,
            f"mach2-rust-demo @ {base}/{sdist.name}#sha256={digest}\n",
            "_default=wheel,sdist",
        )
        lock_path = env / "mach2.lock"
        lock = json.loads(lock_path.read_text(encoding="utf-8"))
        demo = lock["packages"]["mach2-rust-demo"]
        assert demo["build-fixes"] == ["maturin"]
        assert demo["cargo-crates"] == [
            {"name": "mach2-demo-dep", "version": "0.1.0", "sha256": checksum}
        ]
        demo["cargo-crates"][0]["url"] = f"{base}/{crate.name}"  # a local mirror of crates.io
        lock_path.write_text(json.dumps(lock), encoding="utf-8")
        out = nix_build(env, "-I", f"nixpkgs={STANDIN}")
        run = subprocess.run(
            [str(out / "bin" / "mach2-rust-demo")], capture_output=True, text=True, check=True
        )
        assert run.stdout.strip() == "hello from a vendored crate"
    finally:
        server.shutdown()
