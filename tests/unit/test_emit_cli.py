"""`mach2 env` and `mach2 gen` with the resolver replaced by a fixture lock."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

import mach2.api
from mach2.cli.main import main
from mach2.lock.model import Lock, read_lock

FIXTURES = Path(__file__).resolve().parents[1] / "nix" / "fixtures"
ARGS = [
    "--python",
    "3.11",
    "--system",
    "x86_64-linux",
    "-p",
    "_default=sdist,wheel;setuptools=wheel",
]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []

    def fake_lock(paths: list[Path], options: Any, **_: Any) -> Lock:
        # The fixture's packages, with the input record a real lock of these inputs gets.
        made.append((paths, options))
        requirements, text = mach2.api.read_requirement_files(paths)
        inputs = mach2.api.lock_inputs(requirements, text, options)
        return attrs.evolve(read_lock(FIXTURES / "sdist-six.lock"), inputs=inputs)

    monkeypatch.setattr(mach2.api, "lock_requirements", fake_lock)
    return made


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    shutil.copy(FIXTURES / "sdist-six.txt", path)
    return path


def test_env_writes_then_reuses_the_lock(
    tmp_path: Path, requirements: Path, calls: list[Any]
) -> None:
    runner = CliRunner()
    out = tmp_path / "env"
    first = runner.invoke(main, ["env", str(out), "-r", str(requirements), *ARGS])
    assert first.exit_code == 0, first.output
    assert len(calls) == 1
    assert calls[0][1].target.python_minor == "3.11"
    assert (out / "default.nix").exists() and (out / "mach2" / "default.nix").exists()
    second = runner.invoke(main, ["env", str(out), "-r", str(requirements), *ARGS])
    assert second.exit_code == 0, second.output
    assert len(calls) == 1  # same inputs: the directory's lock is kept
    assert "no file changed" in second.output
    third = runner.invoke(main, ["env", str(out), "-r", str(requirements), *ARGS, "--upgrade"])
    assert third.exit_code == 0 and len(calls) == 2


def test_env_relocks_when_providers_change(
    tmp_path: Path, requirements: Path, calls: list[Any]
) -> None:
    runner = CliRunner()
    out = tmp_path / "env"
    runner.invoke(main, ["env", str(out), "-r", str(requirements), *ARGS])
    result = runner.invoke(
        main,
        ["env", str(out), "-r", str(requirements), "--python", "3.11", "--system", "x86_64-linux"],
    )
    assert len(calls) == 2, result.output


def test_gen_prints_an_expression(requirements: Path, calls: list[Any]) -> None:
    result = CliRunner().invoke(main, ["gen", "-r", str(requirements), *ARGS])
    assert result.exit_code == 0, result.output
    assert "mach2.mkPython {" in result.output
    assert "builtins.toFile" in result.output


def test_gen_names_no_host_path(requirements: Path, calls: list[Any]) -> None:
    """Portable: no path of this machine (the requirements' directory, the checkout, the
    installed library, the home directory) and no store path of the library is written."""
    import mach2.nix

    result = CliRunner().invoke(main, ["gen", "-r", str(requirements), *ARGS])
    assert result.exit_code == 0, result.output
    text = result.stdout
    host_paths = {
        str(requirements.parent),
        str(Path(mach2.nix.__file__).parent),
        str(FIXTURES.parents[2]),
        str(Path.home()),
    }
    for host_path in host_paths:
        assert host_path not in text
    assert not re.search(r"/nix/store/[0-9a-z]{32}", text)
    assert not re.search(r"(^|[\s(\[=])/(work|root|home|tmp|usr|opt)/", text, re.MULTILINE)


def test_gen_writes_a_file_once(tmp_path: Path, requirements: Path, calls: list[Any]) -> None:
    target = tmp_path / "env.nix"
    runner = CliRunner()
    first = runner.invoke(main, ["gen", "-r", str(requirements), *ARGS, "-o", str(target)])
    assert f"wrote {target}" in first.output  # as lock and env say it (it said "…: written")
    again = runner.invoke(main, ["gen", "-r", str(requirements), *ARGS, "-o", str(target)])
    assert f"{target} is unchanged" in again.output


def test_nixpkgs_pin_needs_its_hash(tmp_path: Path, requirements: Path, calls: list[Any]) -> None:
    result = CliRunner().invoke(
        main, ["env", str(tmp_path / "e"), "-r", str(requirements), *ARGS, "--nixpkgs", "abc"]
    )
    assert result.exit_code == 1
    assert "--nixpkgs and --nixpkgs-sha256 go together" in result.output
    assert not calls


def test_the_store_message_counts_in_words() -> None:
    """It said "added 1 downloaded files"."""
    from mach2.cli.store import added_message

    assert added_message(1, 200_000) == (
        "added 1 downloaded file (0.2 MB) to the Nix store: nix-build will not download it "
        "again (--no-nix-store: skip)"
    )
    assert added_message(3, 15_700_000).startswith("added 3 downloaded files (15.7 MB) ")
