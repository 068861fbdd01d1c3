"""Every example of examples.md, evaluated or built with real Nix and the stand-in.

An example is a fenced block preceded by ``<!-- example: name=... mode=... [fixture=...]
[expect="..."] -->``.  Modes: ``eval`` (nix-instantiate), ``build`` (nix-build), ``fail``
(evaluation fails with ``expect`` in the message), ``flake`` (the block is a flake.nix; its
outputs are evaluated with the stand-in as inputs), ``cli`` (console lines: ``mach2 ...``
runs the CLI, ``nix-build``/``nix-shell`` run with the stand-in as <nixpkgs>).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from nixhelpers import FIXTURES, NIX_OPTIONS, ROOT, STANDIN, nix_eval, run

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
        shutil.copy(FIXTURES / f"{fixture}.txt", work / "requirements.txt")
        shutil.copy(FIXTURES / f"{fixture}.lock", work / "mach2.lock")
    for relative, text in library_files().items():
        target = work / "mach2" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    shutil.copytree(FIXTURES / "demo-app", work / "project")
    return work


def _cli(work: Path, code: str) -> None:
    for line in code.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = shlex.split(line)
        if words[0] == "mach2":
            result = CliRunner().invoke(main, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, result.output
        else:
            command = [words[0], *NIX_OPTIONS, *words[1:]]
            if words[0] == "nix-build":
                command.append("--no-out-link")
            run(command, cwd=work, check=True)


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
            marks=[pytest.mark.network] if e["mode"] in ("build", "cli") else [],
        )
        for e in EXAMPLE_LIST
    ],
)
def test_example(example: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mode = example["mode"]
    work = _workdir(tmp_path, example.get("fixture"))
    file = work / ("flake.nix" if mode == "flake" else "default.nix")
    if mode == "cli":
        shutil.copy(FIXTURES / "requests-pyyaml.txt", work / "requirements.txt")
        # locks written by uv, PDM and Poetry (tests/data/foreign/PROVENANCE.md)
        shutil.copytree(ROOT / "tests" / "data" / "foreign", work / "foreign")
        monkeypatch.chdir(work)
        _cli(work, example["code"])
        return
    file.write_text(example["code"], encoding="utf-8")
    if mode == "eval":
        run(["nix-instantiate", *NIX_OPTIONS, str(file)], check=True)
    elif mode == "build":
        run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(file)], check=True)
    elif mode == "fail":
        result = run(["nix-instantiate", *NIX_OPTIONS, str(file)])
        assert result.returncode != 0
        assert example["expect"] in result.stderr
    elif mode == "flake":
        expr = (
            f"let flake = import {file}; "
            f"mach2 = {{ lib.x86_64-linux = import {work / 'mach2'} "
            f'{{ pkgs = import {STANDIN} {{ system = "x86_64-linux"; }}; }}; }}; '
            "outputs = flake.outputs { self = outputs; inherit mach2; }; "
            "in outputs.packages.x86_64-linux.default.drvPath"
        )
        assert nix_eval(expr).endswith("-python3-3.11-env.drv")
    else:
        raise AssertionError(f"unknown example mode {mode!r}")
