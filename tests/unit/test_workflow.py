"""The real-nixpkgs workflow (.github/workflows/nixpkgs.yml) is valid and runs the nixpkgs tier
exactly as it runs here against the stand-in (tests/nix/nixhelpers.py TIER_PYTEST_ARGS)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nix"))
from nixhelpers import ROOT, TIER_PYTEST_ARGS

WORKFLOW = ROOT / ".github" / "workflows" / "nixpkgs.yml"

# pytest options that change the report, not what runs.
REPORTING = {"-v", "-vv", "-q", "-rs", "-ra", "-rA", "--tb=short", "--durations=20"}


def _workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def _steps() -> list[dict[str, Any]]:
    (job,) = _workflow()["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def test_the_workflow_is_a_github_actions_workflow() -> None:
    data = _workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    (job,) = data["jobs"].values()
    assert job["runs-on"] == "${{ matrix.os }}"
    matrix = job["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest"}
    assert set(matrix["nixpkgs"]) == {"unstable", "latest-release"}
    assert job["strategy"]["fail-fast"] is False
    for step in _steps():
        assert ("uses" in step) != ("run" in step), step


def test_a_current_nix_with_the_binary_cache() -> None:
    (nix,) = [s for s in _steps() if s.get("uses", "").startswith("cachix/install-nix-action@")]
    assert int(nix["uses"].split("@v")[1]) >= 27  # Nix >= 2.18, what nixpkgs needs
    config = nix["with"]["extra_nix_config"]
    assert "substituters = https://cache.nixos.org/" in config
    assert "cache.nixos.org-1:" in config


def test_the_nixpkgs_are_unstable_and_the_latest_release() -> None:
    (which,) = [s for s in _steps() if s.get("id") == "nixpkgs"]
    script = which["run"]
    assert "branch=nixos-unstable" in script and "branch=nixpkgs-unstable" in script
    assert "git ls-remote --heads https://github.com/NixOS/nixpkgs" in script
    assert 'branch="nixos-$release"' in script and "sort -V | tail -n 1" in script
    assert "github:NixOS/nixpkgs/$branch" in script


def test_it_runs_the_local_tier_selection() -> None:
    (tier,) = [s for s in _steps() if "pytest" in s.get("run", "")]
    assert tier["env"]["MACH2_TEST_NIXPKGS"] == "${{ steps.nixpkgs.outputs.ref }}"
    words = shlex.split(tier["run"])
    assert words[:3] == ["python", "-m", "pytest"]
    assert tuple(w for w in words[3:] if w not in REPORTING) == TIER_PYTEST_ARGS
    # README gives the same command for the stand-in.
    command = " ".join(["python", "-m", "pytest", *TIER_PYTEST_ARGS])
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_selection_is_the_examples_the_four_providers_and_the_image() -> None:
    """Plus the build-fix table's check that every input it names is in real nixpkgs."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *TIER_PYTEST_ARGS],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    files = {i.split("::")[0] for i in ids}
    assert files == {
        "tests/nix/test_examples.py",
        "tests/nix/test_nixpkgs_tier.py",
        "tests/nix/test_nix_fixes.py",
    }, result.stdout
    assert "tests/nix/test_nix_fixes.py::test_every_input_exists_in_real_nixpkgs" in ids
    assert sum(i.startswith("tests/nix/test_examples.py::test_example[") for i in ids) >= 15
    assert "tests/nix/test_nixpkgs_tier.py::test_mk_docker_image_builds" in ids
    assert "tests/nix/test_nixpkgs_tier.py::test_one_copy_of_each_name_in_the_closure" in ids
