"""The nixpkgs tier beside the examples: an environment of all four providers and the docker
image, against the stand-in or the nixpkgs of MACH2_TEST_NIXPKGS (nixhelpers.py).

The four-provider environment: numpy from conda (the local channel of
tests/fixtures/conda/local_channel.py: a cp311 extension linking a conda-only libfoo), requests
and deprecation from nixpkgs (an index of the stand-in with python-index-fixture.nix, or of the
real nixpkgs), ujson from a binary wheel with a patch plan (it needs libstdc++ from nixpkgs),
six from an sdist, and packaging pinned away from nixpkgs' version (deprecation needs it).  It
must build, import, and hold one copy of each Python name in its closure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from nixhelpers import (
    LIBRARY,
    STANDIN,
    TIER_EXCLUDE_NEWER,
    closure_distributions,
    docker_image,
    tier,
    tier_fixture,
)

from mach2.cli.main import main
from mach2.providers.nixpkgs.index import NixpkgsSource, evaluate_index, write_index

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from local_channel import make_channel, missing_tools

pytestmark = [pytest.mark.nixpkgs_tier, pytest.mark.network]


def _pkgs() -> str:
    """The nixpkgs the tier builds with (the stand-in gets the index fixture's packages)."""
    if tier.real:
        return f"import {tier.nixpkgs} {{ }}"
    return f"import {STANDIN} {{ overlays = [ (import {STANDIN}/python-index-fixture.nix) ]; }}"


def _index(path: Path) -> dict[str, Any]:
    """The nixpkgs index of the tier's python311 set, written to `path`."""
    if tier.real:
        index = evaluate_index(
            NixpkgsSource("path", str(tier.nixpkgs)), python="python311", system=tier.system
        )
        write_index(index, path)
    else:
        result = tier.run(
            ["nix-instantiate", "--eval", "--strict", "--json", str(LIBRARY / "nixpkgs-index.nix"),
             "--arg", "pkgs", _pkgs(), "--argstr", "python", "python311"],
            check=True,
        )  # fmt: skip
        path.write_text(result.stdout, encoding="utf-8")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def four_providers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if (missing := missing_tools()) is not None:
        pytest.skip(missing)
    if tier.real and (
        tier.system != "x86_64-linux" or not tier.eval(f"(import {tier.nixpkgs} {{ }}) ? python311")
    ):
        pytest.skip(
            "the local conda channel is linux-64 and cp311: needs python311 on x86_64-linux"
        )
    work = tmp_path_factory.mktemp("four-providers")
    channel, _ = make_channel(work / "conda")
    index = _index(work / "nixpkgs-index.json")
    nixpkgs_packaging = next(p["version"] for p in index["packages"] if p["attr"] == "packaging")
    requirements = f"numpy\nrequests\ndeprecation\nujson\nsix\npackaging!={nixpkgs_packaging}\n"
    (work / "requirements.txt").write_text(requirements, encoding="utf-8")
    providers = "_default=wheel,sdist;numpy=conda;requests=nixpkgs;deprecation=nixpkgs;six=sdist"
    args = ["env", "-r", str(work / "requirements.txt"), "-p", providers]
    args += ["--channel", f"local={channel}", "--nixpkgs-index", str(work / "nixpkgs-index.json")]
    args += ["--python", "3.11", "--system", "x86_64-linux", "--exclude-newer", TIER_EXCLUDE_NEWER]
    args += ["--cache-dir", str(work / "cache"), str(work / "env")]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lock = json.loads((work / "env" / "mach2.lock").read_text(encoding="utf-8"))
    env = tier.build(work / "env", "--arg", "pkgs", _pkgs())
    return {"lock": lock, "env": env, "index": index, "packaging": nixpkgs_packaging}


def _python(env: Path, code: str) -> str:
    result = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_lock_has_all_four_providers(four_providers: dict[str, Any]) -> None:
    packages = four_providers["lock"]["packages"]
    provider = {key: p["provider"] for key, p in packages.items()}
    assert provider["numpy"] == "conda" and provider["conda:libfoo"] == "conda"
    assert provider["requests"] == provider["deprecation"] == "nixpkgs"
    assert provider["ujson"] == "wheel" and packages["ujson"]["patchelf"]["files"]
    assert provider["six"] == "sdist"
    assert provider["packaging"] == "wheel"
    assert packages["packaging"]["version"] != four_providers["packaging"]


def test_the_environment_imports_everything(four_providers: dict[str, Any]) -> None:
    env, packages = four_providers["env"], four_providers["lock"]["packages"]
    code = (
        "import numpy, requests, deprecation, ujson, six, packaging; "
        "print(numpy.answer(), requests.__version__, ujson.dumps([1]), six.__version__, "
        "packaging.__version__)"
    )
    answer, requests, dumped, six, packaging = _python(env, code).split()
    assert answer == "42"  # conda's extension found libfoo in the store
    assert requests == packages["requests"]["nixpkgs"]["version"]
    assert dumped == "[1]"
    assert six == packages["six"]["version"]
    assert packaging == packages["packaging"]["version"]


def test_one_copy_of_each_name_in_the_closure(four_providers: dict[str, Any]) -> None:
    found = closure_distributions(four_providers["env"])
    assert {"numpy", "requests", "deprecation", "ujson", "six", "packaging"} <= set(found)
    assert {name: paths for name, paths in found.items() if len(paths) > 1} == {}


def test_mk_docker_image_builds(tmp_path: Path) -> None:
    requirements, lock = tier_fixture("requests-pyyaml", tmp_path)
    expr = (
        f"let pkgs = {_pkgs()}; mach2 = import {LIBRARY} {{ inherit pkgs; }}; in "
        f"mach2.mkDockerImage {{ requirements = builtins.readFile {requirements}; "
        f"lockFile = {lock}; }}"
    )
    manifest, config, names = docker_image(tier.build("-E", expr))
    assert manifest["RepoTags"] == ["mach2-python:latest"]
    cmd = config["config"]["Cmd"]
    python = tier.python if tier.real else "3.11"
    assert cmd[0].endswith(f"-python3-{python}-env/bin/python")
    assert cmd[0].lstrip("/") in names  # the environment's closure is in the image
    assert "etc/ssl/certs/ca-bundle.crt" in names  # CA certificates
    assert any(n.endswith("site-packages/requests/__init__.py") for n in names)
