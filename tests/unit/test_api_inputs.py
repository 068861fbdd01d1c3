"""The API's input edge: which requirement files, extras and groups a lock is made from."""

from __future__ import annotations

from pathlib import Path

import pytest

from mach2.api import LockOptions, lock_inputs, read_requirement_files
from mach2.errors import InputError
from mach2.model.target import Target

PYPROJECT = """\
[project]
name = "demo"
version = "0.1"
dependencies = ["requests"]
[project.optional-dependencies]
yaml = ["pyyaml"]
[dependency-groups]
test = ["six"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT, encoding="utf-8")
    return path


def names(paths: list[Path], **selection: tuple[str, ...]) -> list[str]:
    requirements, _ = read_requirement_files(paths, **selection)
    return sorted(e.requirement.name for e in requirements.requirements)


def test_extras_and_groups_select_parts_of_a_pyproject(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "requirements.txt"
    other.write_text("idna\n", encoding="utf-8")
    assert names([project]) == ["requests"]
    assert names([project], extras=("yaml",)) == ["pyyaml", "requests"]
    assert names([project, other], extras=("yaml",), groups=("test",)) == [
        "idna",
        "pyyaml",
        "requests",
        "six",
    ]


def test_extras_without_a_pyproject_are_an_error(tmp_path: Path) -> None:
    other = tmp_path / "requirements.txt"
    other.write_text("idna\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"--extra and --group select parts of a pyproject\.toml"):
        read_requirement_files([other], extras=("yaml",))


def test_the_selection_is_part_of_the_input_hash(project: Path) -> None:
    target = Target.from_strings("3.12")
    plain = LockOptions(target=target)
    with_yaml = LockOptions(target=target, extras=("yaml",))
    requirements, text = read_requirement_files([project])
    selected, _ = read_requirement_files([project], extras=("yaml",))
    assert (
        lock_inputs(requirements, text, plain).hash != lock_inputs(selected, text, with_yaml).hash
    )
    # same inputs, same hash: the staleness check depends on it
    assert (
        lock_inputs(requirements, text, plain).hash == lock_inputs(requirements, text, plain).hash
    )


def test_input_files_are_named_relative_to_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "req.txt").write_text("-r sub/more.txt\nrequests\n", encoding="utf-8")
    (tmp_path / "sub" / "more.txt").write_text("idna\n", encoding="utf-8")
    options = LockOptions(target=Target.from_strings("3.12"))
    absolute = lock_inputs(*read_requirement_files([tmp_path / "req.txt"]), options)
    monkeypatch.chdir(tmp_path)
    relative = lock_inputs(*read_requirement_files([Path("req.txt")]), options)
    assert sorted(absolute.files) == ["req.txt", "sub/more.txt"]
    assert absolute.hash == relative.hash


@pytest.mark.parametrize(("reports", "chosen"), [("3.12", True), ("3.11", False)])
def test_hooks_run_on_a_python_of_the_target_version_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reports: str, chosen: bool
) -> None:
    from mach2.providers.pypi.configure import hook_interpreter

    fake = tmp_path / "python3.12"
    fake.write_text(f"#!/bin/sh\necho {reports}\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    chose = hook_interpreter(Target.from_strings("3.12"), ("python3.12",), "fallback")
    assert chose == (str(fake) if chosen else "fallback")
