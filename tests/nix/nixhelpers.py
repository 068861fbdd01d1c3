"""Helpers for the tests that run real Nix against the nixpkgs stand-in.

The nixpkgs tier (tests marked ``nixpkgs_tier``: every example of examples.md, the
four-provider environment, the docker image) runs against the nixpkgs named by
``MACH2_TEST_NIXPKGS`` (a path or a flake reference) when it is set, else against the stand-in:
use :data:`tier` there.  With a real nixpkgs the binary cache stays on, and the fixture locks
(made for the stand-in's Python 3.11 on x86_64-linux) are locked again for that nixpkgs'
python3 and this machine's system (:func:`tier_fixture`, needs PyPI).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[2]
STANDIN = ROOT / "tests" / "nixpkgs-standin"
LIBRARY = ROOT / "nix"
FIXTURES = Path(__file__).parent / "fixtures"

# cache.nixos.org is unreachable here; without this every build waits for its retries.
NIX_OPTIONS = ["--option", "substituters", ""]

#: What a local run of the nixpkgs tier and the workflow in .github/workflows/ run (pytest
#: arguments); tests/nix/test_workflow.py checks that the workflow runs exactly this.
TIER_PYTEST_ARGS = ("-m", "nixpkgs_tier", "tests/nix")

#: Fixture locks are locked again with this cut-off for a real nixpkgs (reproducible).
TIER_EXCLUDE_NEWER = "2026-11-01T00:00:00Z"


@attrs.frozen
class Tier:
    """The nixpkgs the tier runs against."""

    nixpkgs: Path
    real: bool
    nix_options: tuple[str, ...]

    def run(
        self, args: Sequence[str], *, check: bool = False, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A Nix command with this nixpkgs as <nixpkgs> (and its substituter settings)."""
        return run(
            [args[0], *self.nix_options, *args[1:]], check=check, cwd=cwd, nixpkgs=self.nixpkgs
        )

    def build(self, target: str | Path, *extra: str) -> Path:
        result = self.run(["nix-build", "--no-out-link", str(target), *extra], check=True)
        return Path(result.stdout.strip().splitlines()[-1])

    def eval(self, expr: str) -> Any:
        result = self.run(
            ["nix-instantiate", "--eval", "--json", "--strict", "-E", expr], check=True
        )
        return json.loads(result.stdout)

    @functools.cached_property
    def system(self) -> str:
        value: str = self.eval("builtins.currentSystem")
        return value

    @functools.cached_property
    def python(self) -> str:
        """python3's major.minor in this nixpkgs."""
        value: str = self.eval(f"(import {self.nixpkgs} {{ }}).python3.pythonVersion")
        return value


def _tier() -> Tier:
    value = os.environ.get("MACH2_TEST_NIXPKGS", "")
    if not value:
        return Tier(STANDIN, False, tuple(NIX_OPTIONS))
    if Path(value).is_dir():
        return Tier(Path(value).resolve(), True, ())
    flakes = ["--extra-experimental-features", "nix-command flakes"]
    result = subprocess.run(
        ["nix", *flakes, "flake", "prefetch", "--json", value],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"MACH2_TEST_NIXPKGS={value!r}: {result.stderr.strip()}")
    return Tier(Path(json.loads(result.stdout)["storePath"]), True, ())


tier = _tier()


def tier_fixture(name: str, directory: Path) -> tuple[Path, Path]:
    """``<name>.txt`` and ``<name>.lock`` of tests/nix/fixtures in `directory`: copies for the
    stand-in; for a real nixpkgs the requirements locked again (same providers) for its python3
    and this machine's system (and the fixture's other systems, when it has several)."""
    requirements, lock = directory / "requirements.txt", directory / "mach2.lock"
    shutil.copy(FIXTURES / f"{name}.txt", requirements)
    if not tier.real:
        shutil.copy(FIXTURES / f"{name}.lock", lock)
        return requirements, lock
    from click.testing import CliRunner

    from mach2.cli.main import main

    fixture = json.loads((FIXTURES / f"{name}.lock").read_text(encoding="utf-8"))
    providers = fixture["inputs"]["providers"]
    several = sorted(fixture.get("systems", {})) if len(fixture.get("systems", {})) > 1 else []
    systems = [tier.system, *(s for s in several if s != tier.system)]
    args = ["lock", "-r", str(requirements), "--python", tier.python]
    args += [arg for system in systems for arg in ("--system", system)]
    args += ["--exclude-newer", TIER_EXCLUDE_NEWER, "-o", str(lock)]
    args += ["-p", providers] if providers else []
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return requirements, lock


def run(
    args: Sequence[str], *, check: bool = False, cwd: Path | None = None, nixpkgs: Path = STANDIN
) -> subprocess.CompletedProcess[str]:
    """Run a Nix command with the stand-in (or `nixpkgs`) as <nixpkgs>; capture its output."""
    env = dict(os.environ, NIX_PATH=f"nixpkgs={nixpkgs}")
    result = subprocess.run(
        list(args), capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result


def nix_eval(expr: str, *, strict: bool = True) -> Any:
    """Evaluate a Nix expression to JSON."""
    args = ["nix-instantiate", "--eval", "--json", *NIX_OPTIONS]
    if strict:
        args.append("--strict")
    result = run([*args, "-E", expr], check=True)
    return json.loads(result.stdout)


def nix_error(expr: str) -> str:
    """Instantiate an expression that must fail; return Nix's error output."""
    result = run(["nix-instantiate", *NIX_OPTIONS, "-E", expr])
    assert result.returncode != 0, f"expected failure, got {result.stdout}"
    return result.stderr


def nix_build(target: str | Path, *extra: str) -> Path:
    """Build a file/directory (or `-E expr` via extra) and return the output path."""
    result = run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(target), *extra], check=True)
    return Path(result.stdout.strip().splitlines()[-1])


def nix_build_error(target: str | Path, *extra: str) -> str:
    result = run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(target), *extra])
    assert result.returncode != 0, f"expected the build to fail, got {result.stdout}"
    return result.stderr


def closure_distributions(path: Path) -> dict[str, set[str]]:
    """Python distribution name (normalized) -> the store paths of `path`'s closure holding it
    (``lib/python*/site-packages/*.dist-info``, environments' links to them left out): one copy
    of each name means one path each."""
    result = run(["nix-store", "--query", "--requisites", str(path)], check=True)
    found: dict[str, set[str]] = {}
    for store_path in result.stdout.split():
        for info in Path(store_path).glob("lib/python*/site-packages/*.dist-info"):
            if (info / "METADATA").is_symlink():
                continue
            name = re.sub(r"[-_.]+", "-", info.name[: -len(".dist-info")].rsplit("-", 1)[0]).lower()
            found.setdefault(name, set()).add(store_path)
    return found


def docker_image(path: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """A `docker load`-able image archive: its manifest, its config and every layer's names."""
    with gzip.open(path) as handle:
        data = handle.read()
    names: list[str] = []
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:

        def member(name: str) -> bytes:
            extracted = archive.extractfile(name)
            assert extracted is not None, name
            return extracted.read()

        manifest = json.loads(member("manifest.json"))[0]
        config = json.loads(member(manifest["Config"]))
        for layer in manifest["Layers"]:
            with tarfile.open(fileobj=io.BytesIO(member(layer))) as layer_tar:
                names.extend(layer_tar.getnames())
    return manifest, config, names


def library_expr(body: str) -> str:
    """An expression with `pkgs` (the stand-in), `mach2` (the library) and `fixtures` bound."""
    return (
        f"let pkgs = import {STANDIN} {{ }}; mach2 = import {LIBRARY} {{ inherit pkgs; }}; "
        f"fixtures = {FIXTURES}; in {body}"
    )


def fixture_args(name: str, extra: str = "") -> str:
    """mkPython arguments for a fixture lock in tests/nix/fixtures."""
    return (
        f'{{ requirements = builtins.readFile (fixtures + "/{name}.txt"); '
        f'lockFile = fixtures + "/{name}.lock"; {extra} }}'
    )


def with_installed_library(env_dir: Path, dest: Path) -> Path:
    """A copy of ``env_dir`` whose ``mach2/`` is a plain copy of the installed library directory
    (``mach2/nix`` of the importable mach2; ``cp -r``, nothing selected or renamed)."""
    shutil.copytree(env_dir, dest, ignore=shutil.ignore_patterns("mach2"))
    installed = Path(str(resources.files("mach2") / "nix"))
    shutil.copytree(installed, dest / "mach2", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


# -- flakes (Nix 2.8: experimental) ------------------------------------------------------------

#: Where a flake names mach2 (examples.md, the templates); tests point it at a checkout copy.
MACH2_FLAKE_URL = "github:owner/mach2"


def nix_flake(
    args: Sequence[str], cwd: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The ``nix`` command with flakes enabled, no substituters, the stand-in as <nixpkgs>."""
    command = ["nix", "--extra-experimental-features", "nix-command flakes", *NIX_OPTIONS, *args]
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ, NIX_PATH=f"nixpkgs={STANDIN}"),
        check=False,
        timeout=1800,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stderr[-4000:]}")
    return result


def flake_checkout(dest: Path) -> Path:
    """A copy of the checkout (the files git tracks or would track, as a clone has them) whose
    ``nixpkgs`` input is locked to the stand-in: github is not reachable here, and Nix fetches
    an unlocked input to lock it, even for ``nix flake init``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in listed.split("\0"):
        if name and os.path.lexists(ROOT / name):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target, follow_symlinks=False)
    nix_flake(["flake", "lock", "--override-input", "nixpkgs", f"path:{STANDIN}"], dest)
    return dest


def flake_overrides(checkout: Path) -> list[str]:
    """Inputs of a flake made from mach2's templates, pointed at the checkout and stand-in."""
    return ["--override-input", "mach2", f"path:{checkout}",
            "--override-input", "nixpkgs", f"path:{STANDIN}"]  # fmt: skip
