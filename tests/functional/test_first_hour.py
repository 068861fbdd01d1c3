"""Bad input a new user tried in a first hour with mach2 (lock, why, export and their options):
each is one ``error:`` line naming the input, with a hint, and nothing written.

Offline: every case fails before the index is asked.
"""

from __future__ import annotations

from pathlib import Path

from test_cli_lock import (
    TARGET,
    assert_one_line_error,
    fails_cleanly,
    run,
    two_system_lock,
    write,
)

from mach2.lock.model import write_lock


def test_a_directory_given_as_requirements_is_named_as_one(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    line, hint = fails_cleanly(tmp_path, "-r", "app", *TARGET)
    assert line == "error: -r 'app' is a directory, not a requirements file"
    assert "--project app" in hint


def test_a_directory_given_as_the_lock_output_is_refused_before_locking(tmp_path: Path) -> None:
    """It used to resolve, then fail naming a temporary file (".out.lock.x8f…")."""
    write(tmp_path / "requirements.txt", "six\n")
    (tmp_path / "out.lock").mkdir()
    result = run(tmp_path, "lock", "-r", "requirements.txt", *TARGET, "-o", "out.lock")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Error: Invalid value for '-o' / '--output': File 'out.lock' is a directory." in (
        result.stderr
    )
    assert not any(p.name.startswith(".out.lock") for p in tmp_path.iterdir())


def test_no_install_project_without_a_foreign_lock_is_an_error(tmp_path: Path) -> None:
    """As --extra without a pyproject.toml: an option that would do nothing is not ignored."""
    write(tmp_path / "requirements.txt", "six\n")
    line, hint = fails_cleanly(
        tmp_path, "-r", "requirements.txt", *TARGET, "--no-install-project", "--offline"
    )
    assert line == (
        "error: --no-install-project leaves a foreign lock's project out, and no lock was given"
    )
    assert "-r uv.lock" in hint


def test_why_and_export_name_an_unknown_system_as_unknown(tmp_path: Path) -> None:
    """Their hint used to be "add it with `mach2 lock … --system x86_64-windows`", which fails."""
    (tmp_path / "env").mkdir()
    write_lock(two_system_lock(), tmp_path / "env" / "mach2.lock")
    for command in (
        ["why", "app", "--lock", "env/mach2.lock", "--system", "x86_64-windows"],
        ["export", "--format", "requirements", "--lock", "env/mach2.lock", "--system", "win"],
    ):
        result = run(tmp_path, *command)
        line = assert_one_line_error(result)
        assert line == (
            f"error: unknown system {command[-1]!r} (the lock has x86_64-linux, aarch64-darwin)"
        )
        assert result.stderr.splitlines()[1].startswith("hint: use one of x86_64-linux, ")


def test_export_names_the_lock_as_given(tmp_path: Path) -> None:
    """`--lock env/mach2.lock` was called "mach2.lock" in export's errors."""
    (tmp_path / "env").mkdir()
    write_lock(two_system_lock(), tmp_path / "env" / "mach2.lock")
    missing = run(
        tmp_path, "export", "--format", "pylock", "--lock", "env/mach2.lock", "--system",
        "aarch64-linux",
    )  # fmt: skip
    assert assert_one_line_error(missing) == (
        "error: env/mach2.lock has no entries for aarch64-linux "
        "(it has x86_64-linux, aarch64-darwin)"
    )
    several = run(tmp_path, "export", "--format", "pylock", "--lock", "env/mach2.lock")
    assert assert_one_line_error(several).startswith("error: env/mach2.lock has several systems")


def test_another_tool_s_lock_or_other_json_given_as_a_mach2_lock(tmp_path: Path) -> None:
    """`--lock uv.lock` said "not valid JSON"; `--lock package.json` "unsupported
    lock-version None"."""
    write(tmp_path / "uv.lock", "version = 1\n")
    result = run(tmp_path, "why", "six", "--lock", "uv.lock")
    assert assert_one_line_error(result) == "error: uv.lock is a uv.lock, not a mach2 lock"
    assert "hint: make a mach2 lock from it: `mach2 lock -r uv.lock`" in result.stderr
    write(tmp_path / "pylock.dev.toml", 'lock-version = "1.0"\n')
    result = run(tmp_path, "export", "--format", "pylock", "--lock", "pylock.dev.toml")
    assert assert_one_line_error(result) == (
        "error: pylock.dev.toml is a pylock.toml, not a mach2 lock"
    )
    write(tmp_path / "package.json", '{"name": "x"}\n')
    result = run(tmp_path, "why", "six", "--lock", "package.json")
    assert assert_one_line_error(result) == (
        "error: package.json: not a mach2 lock (JSON without a lock-version)"
    )


def test_a_cuda_version_that_is_no_version(tmp_path: Path) -> None:
    """`--cuda abc` was taken and written into the lock's inputs."""
    write(tmp_path / "requirements.txt", "six\n")
    line, hint = fails_cleanly(tmp_path, "-r", "requirements.txt", *TARGET, "--cuda", "abc")
    assert line == "error: invalid --cuda 'abc'"
    assert hint == "hint: give the CUDA driver version, e.g. 12.2"
