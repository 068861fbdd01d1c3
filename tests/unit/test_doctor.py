"""mach2 doctor against controlled machines: fake programs on PATH, a local binary cache."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mach2.cli.main import main
from mach2.doctor import Check, Host, diagnose, has_problems


def fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def cache_server() -> Iterator[str]:
    """A binary cache that answers /nix-cache-info."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/nix-cache-info"
            self.send_response(200 if ok else 404)
            self.end_headers()
            if ok:
                self.wfile.write(b"StoreDir: /nix/store\n")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def machine(
    tmp_path: Path,
    *,
    nix_version: str | None = "2.24.9",
    sandbox: str = "true",
    substituters: str = "",
    channel: bool = True,
    registry: bool = False,
    patchelf: bool = True,
    pythons: tuple[str, ...] = ("3.12",),
) -> Host:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if nix_version is not None:
        fake(bin_dir, "nix-build", f'echo "nix-build (Nix) {nix_version}"')
        find = "echo /nix/var/nix/profiles/per-user/root/channels/nixpkgs" if channel else "exit 1"
        fake(bin_dir, "nix-instantiate", find)
        reg = (
            "echo 'global flake:nixpkgs github:NixOS/nixpkgs/nixpkgs-unstable'"
            if registry
            else "true"
        )
        fake(
            bin_dir,
            "nix",
            f'case "$*" in *show-config*) printf "sandbox = {sandbox}\\nsubstituters = {substituters}\\n";; '
            f"*registry*) {reg};; *) exit 1;; esac",
        )
    if patchelf:
        fake(bin_dir, "patchelf", 'echo "patchelf 0.18.0"')
    for version in pythons:
        fake(bin_dir, f"python{version}", f'echo "{version}"')
    return Host(
        environ={"PATH": str(bin_dir)},
        cache_dir=tmp_path / "cache",
        own_python="/usr/bin/python3",
        timeout=2.0,
    )


def by_name(checks: tuple[Check, ...]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_a_good_machine(tmp_path: Path, cache_server: str) -> None:
    (tmp_path / "cache" / "pypi").mkdir(parents=True)
    (tmp_path / "cache" / "pypi" / "page").write_bytes(b"x" * 2048)
    checks = by_name(diagnose(machine(tmp_path, substituters=cache_server)))
    assert {n: c.status for n, c in checks.items()} == dict.fromkeys(
        ["nix", "nixpkgs", "sandbox", "substituters", "patchelf", "cache", "python"], "ok"
    )
    assert checks["nix"].data["version"] == "2.24.9"
    assert checks["nixpkgs"].found.endswith("channels/nixpkgs")
    assert checks["substituters"].data["substituters"] == {cache_server: True}
    assert checks["cache"].data["bytes"] == 2048 and checks["cache"].data["files"] == 1
    assert checks["python"].data["interpreters"] == {"3.12": str(tmp_path / "bin" / "python3.12")}
    assert all(c.fix is None for c in checks.values())


def test_no_nix_is_a_problem_with_the_way_to_install_it(tmp_path: Path) -> None:
    checks = diagnose(machine(tmp_path, nix_version=None))
    nix = by_name(checks)["nix"]
    assert nix.status == "problem" and "install Nix" in (nix.fix or "")
    assert has_problems(checks)


def test_nix_older_than_nixpkgs_needs_is_a_warning(tmp_path: Path) -> None:
    nix = by_name(diagnose(machine(tmp_path, nix_version="2.8.0")))["nix"]
    assert nix.status == "warning"
    assert "2.18" in (nix.fix or "") and "--nixpkgs" in (nix.fix or "")


def test_no_nixpkgs_but_a_flake_registry(tmp_path: Path) -> None:
    nixpkgs = by_name(diagnose(machine(tmp_path, channel=False, registry=True)))["nixpkgs"]
    assert nixpkgs.status == "warning"
    assert nixpkgs.data["registry"] == "github:NixOS/nixpkgs/nixpkgs-unstable"


def test_no_nixpkgs_at_all(tmp_path: Path) -> None:
    nixpkgs = by_name(diagnose(machine(tmp_path, channel=False)))["nixpkgs"]
    assert nixpkgs.status == "warning" and "nix-channel --add" in (nixpkgs.fix or "")


def test_sandbox_off_and_caches_unreachable_are_warnings(tmp_path: Path) -> None:
    checks = by_name(
        diagnose(machine(tmp_path, sandbox="false", substituters="http://127.0.0.1:9/"))
    )
    assert checks["sandbox"].status == "warning"
    assert checks["substituters"].status == "warning"
    assert checks["substituters"].data["substituters"] == {"http://127.0.0.1:9/": False}


def test_an_unwritable_cache_is_a_problem(tmp_path: Path) -> None:
    host = machine(tmp_path)
    (tmp_path / "cache").write_text("a file, not a directory", encoding="utf-8")
    cache = by_name(diagnose(host))["cache"]
    assert cache.status == "problem" and "MACH2_CACHE_DIR" in (cache.fix or "")


def test_no_patchelf_and_no_pythons(tmp_path: Path) -> None:
    checks = by_name(diagnose(machine(tmp_path, patchelf=False, pythons=())))
    assert checks["patchelf"].status == "warning"
    assert checks["python"].status == "warning"
    assert checks["python"].data["fallback"] == "/usr/bin/python3"


def test_a_fake_python_of_the_wrong_version_is_not_counted(tmp_path: Path) -> None:
    host = machine(tmp_path, pythons=())
    fake(tmp_path / "bin", "python3.13", 'echo "3.12"')
    assert by_name(diagnose(host))["python"].data["interpreters"] == {}


def test_cli_exit_code_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = machine(tmp_path, nix_version=None)
    monkeypatch.setenv("PATH", host.environ["PATH"])
    runner = CliRunner()
    result = runner.invoke(main, ["doctor", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 1
    assert "FAIL nix: no nix-build on PATH" in result.output
    assert "→ install Nix" in result.output
    result = runner.invoke(main, ["doctor", "--json", "--cache-dir", str(tmp_path / "cache")])
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["ok"] is False
    assert [c["name"] for c in report["checks"]] == [
        "nix",
        "nixpkgs",
        "sandbox",
        "substituters",
        "patchelf",
        "cache",
        "python",
    ]


def test_cli_exit_code_zero_with_warnings_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", machine(tmp_path, nix_version="2.8.0").environ["PATH"])
    result = CliRunner().invoke(main, ["doctor", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("warn nix: Nix 2.8.0")
