"""Every example of examples.md, evaluated or built with real Nix and the stand-in, or with the
nixpkgs of MACH2_TEST_NIXPKGS (the nixpkgs tier, nixhelpers.py).

An example is a fenced block preceded by ``<!-- example: name=... mode=... [fixture=...]
[expect="..."] -->``.  Modes: ``eval`` (nix-instantiate), ``build`` (nix-build), ``fail``
(evaluation fails with ``expect`` in the message), ``flake`` (the block is a flake.nix; its
outputs are evaluated with the stand-in as inputs), ``cli`` (console lines: ``mach2 ...``
runs the CLI, ``nix-build``/``nix-shell`` run with the stand-in as <nixpkgs>, ``git``,
``echo``, ``printf``, ``sed``, ``cp``, ``mkdir`` and ``pip`` lines run in bash, other lines are
plain commands run in the example's directory; ``uv`` is the test dependency, run with
``UV_PYTHON_DOWNLOADS=never``), ``flake-cli`` (the same in an empty directory,
with ``nix`` commands run with flakes enabled: ``github:owner/mach2`` is a copy of this
checkout whose nixpkgs is the stand-in, and a flake made from mach2's templates gets both as
its inputs).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from nixhelpers import (
    FIXTURES,
    MACH2_FLAKE_URL,
    ROOT,
    docker_image,
    flake_checkout,
    flake_overrides,
    nix_flake,
    run,
    tier,
    tier_fixture,
)

from mach2.cli.main import main
from mach2.emit import library_files

EXAMPLES = ROOT / "examples.md"
_BLOCK = re.compile(
    r"<!-- example: (?P<attrs>.*?) -->\s*```(?P<lang>\w+)\n(?P<code>.*?)```", re.DOTALL
)
_ATTR = re.compile(r'(\w+)=("([^"]*)"|\S+)')


def _examples() -> list[dict[str, str]]:
    found = []
    for match in _BLOCK.finditer(EXAMPLES.read_text(encoding="utf-8")):
        attrs = {m[1]: m[3] if m[3] is not None else m[2] for m in _ATTR.finditer(match["attrs"])}
        found.append({**attrs, "code": match["code"]})
    return found


def _workdir(tmp_path: Path, fixture: str | None) -> Path:
    work = tmp_path / "example"
    work.mkdir()
    if fixture:
        tier_fixture(fixture, work)
    for relative, text in library_files().items():
        target = work / "mach2" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    shutil.copytree(FIXTURES / "demo-app", work / "project")
    return work


#: Console lines run by bash as written (setting up a git repository or a file for the next
#: lines); git gets an identity, as a user's configuration would give it.
_SHELL = ("git", "echo", "printf", "sed", "cp", "mkdir", "pip")
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mach2 examples",
    "GIT_AUTHOR_EMAIL": "examples@example.invalid",
    "GIT_COMMITTER_NAME": "mach2 examples",
    "GIT_COMMITTER_EMAIL": "examples@example.invalid",
}


def _cli(work: Path, code: str) -> None:
    for line in code.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = shlex.split(line)
        if words[0] in _SHELL:
            env = {**os.environ, **_GIT_IDENTITY}
            done = subprocess.run(
                ["bash", "-euc", line], cwd=work, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{line}: {done.stderr}"
            continue
        if words[0] == "uv":  # the test dependency, never downloading a Python
            env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
            done = subprocess.run(
                [sys.executable, "-m", "uv", *words[1:]],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, f"{line}: {done.stderr}"
            continue
        if words[0] == "mach2":
            if tier.real and "--python" in words and words[1] in ("env", "gen"):
                # Built with the tier's nixpkgs: lock for its python3 and this system.
                words[words.index("--python") + 1] = tier.python
            result = CliRunner().invoke(main, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, result.output
        elif words[0].startswith("nix"):
            command = words + (["--no-out-link"] if words[0] == "nix-build" else [])
            tier.run(command, cwd=work, check=True)
        else:  # other plain commands
            run(words, cwd=work, check=True)


def _flake_cli(work: Path, code: str, checkout: Path) -> None:
    for line in code.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = [
            f"path:{checkout}{w[len(MACH2_FLAKE_URL) :]}" if w.startswith(MACH2_FLAKE_URL) else w
            for w in shlex.split(line)
        ]
        if words[0] == "mach2":
            result = CliRunner().invoke(main, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, result.output
        elif words[0] == "nix":
            local = not any(w.startswith(f"path:{checkout}") for w in words)
            extra = flake_overrides(checkout) if local and (work / "flake.nix").exists() else []
            nix_flake([words[1], *extra, *words[2:]], work)
        else:
            run(words, cwd=work, check=True)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return flake_checkout(tmp_path_factory.mktemp("examples-flake") / "mach2")


EXAMPLE_LIST = _examples()


def test_examples_are_found() -> None:
    assert len(EXAMPLE_LIST) >= 15
    assert len({e["name"] for e in EXAMPLE_LIST}) == len(EXAMPLE_LIST)


@pytest.mark.parametrize(
    "example",
    [
        pytest.param(
            e,
            id=e["name"],
            # builds download from PyPI; cli examples also resolve against it
            # flake-cli examples run against the stand-in only (they copy this checkout).
            marks=([pytest.mark.nixpkgs_tier] if e["mode"] != "flake-cli" else [])
            + (
                [pytest.mark.network]
                if e["mode"] in ("build", "cli", "flake-cli") or tier.real
                else []
            ),
        )
        for e in EXAMPLE_LIST
    ],
)
def test_example(
    example: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    mode = example["mode"]
    if mode == "flake-cli":
        work = tmp_path / "empty"
        work.mkdir()
        monkeypatch.chdir(work)
        _flake_cli(work, example["code"], request.getfixturevalue("checkout"))
        return
    work = _workdir(tmp_path, example.get("fixture"))
    file = work / ("flake.nix" if mode == "flake" else "default.nix")
    if mode == "cli":
        shutil.copy(FIXTURES / "requests-pyyaml.txt", work / "requirements.txt")
        # locks written by uv, PDM and Poetry (tests/data/foreign/PROVENANCE.md)
        shutil.copytree(ROOT / "tests" / "data" / "foreign", work / "foreign")
        monkeypatch.chdir(work)
        _cli(work, example["code"])
        return
    code = example["code"]
    if tier.real:
        # The examples name the stand-in's interpreter; the fixtures are locked for python3.
        code = code.replace("python311", "python" + tier.python.replace(".", ""))
    file.write_text(code, encoding="utf-8")
    if mode == "eval":
        tier.run(["nix-instantiate", str(file)], check=True)
    elif mode == "build":
        tier.build(file)
    elif mode == "fail":
        result = tier.run(["nix-instantiate", str(file)])
        assert result.returncode != 0
        assert example["expect"] in result.stderr
    elif mode == "flake":
        system = tier.system if tier.real else "x86_64-linux"
        file.write_text(code.replace("x86_64-linux", system), encoding="utf-8")
        # mach2's lib for every system, each over that system's nixpkgs (the stand-in takes
        # `system` as nixpkgs does); every system the example's flake has packages for is
        # evaluated.
        expr = (
            f"let flake = import {file}; "
            "mach2.lib = builtins.listToAttrs (map (system: { name = system; value = "
            f"import {work / 'mach2'} {{ pkgs = import {tier.nixpkgs} {{ inherit system; }}; }}; }}) "
            '[ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ]); '
            "outputs = flake.outputs { self = outputs; inherit mach2; }; "
            "in builtins.mapAttrs (_: p: p.default.drvPath) outputs.packages"
        )
        drvs = tier.eval(expr)
        assert system in drvs
        python = tier.python if tier.real else "3.11"
        assert all(d.endswith(f"-python3-{python}-env.drv") for d in drvs.values()) or tier.real
    else:
        raise AssertionError(f"unknown example mode {mode!r}")


@pytest.mark.nixpkgs_tier
@pytest.mark.network
def test_the_docker_example_keeps_the_image_environment(tmp_path: Path) -> None:
    """The docker example's image, read from its archive: its own Cmd, and mkDockerImage's
    Env (CA certificates, PATH) still there (issue 14 item 2)."""
    [example] = [e for e in EXAMPLE_LIST if e["name"] == "docker"]
    work = _workdir(tmp_path, example.get("fixture"))
    (work / "default.nix").write_text(example["code"], encoding="utf-8")
    manifest, config, names = docker_image(tier.build(work / "default.nix"))
    assert manifest["RepoTags"] == ["my-image:latest"]
    assert config["config"]["Cmd"] == [
        "python", "-c", "import requests; print(requests.__version__)"
    ]  # fmt: skip
    env = dict(entry.split("=", 1) for entry in config["config"]["Env"])
    assert env["SSL_CERT_FILE"].endswith("/etc/ssl/certs/ca-bundle.crt")
    assert env["SSL_CERT_FILE"].lstrip("/") in names
    assert env["PATH"].startswith("/bin:/nix/store/") and env["PATH"].endswith("-env/bin")
