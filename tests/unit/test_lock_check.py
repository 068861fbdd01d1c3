"""``mach2 lock --check`` says what changed (issue 14 item 8): which input file, which option,
which part of the target.  Offline: the lock is made against a fake index, and ``--check``
resolves nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from index_fixture import FakeIndex

from mach2.api import LockOptions, lock_input, read_requirement_files
from mach2.lock.model import write_lock
from mach2.model.target import Target

SPEC = {"six": {"1.16.0": {"wheels": ["py3-none-any"]}}, "idna": {"3.7": {}}}
TARGET = Target.from_strings("3.12", "x86_64-linux")


def lock_file(tmp_path: Path, options: LockOptions) -> Path:
    (tmp_path / "req.txt").write_text("six\n")
    requirements, text = read_requirement_files([tmp_path / "req.txt"])
    lock = lock_input(requirements, text, options, index=FakeIndex(SPEC))
    write_lock(lock, tmp_path / "mach2.lock")
    return tmp_path / "mach2.lock"


def test_stale_reasons_name_the_file_the_option_and_the_target(tmp_path: Path) -> None:
    from mach2.api import stale_reasons  # issue 14 item 8
    from mach2.lock.model import read_lock

    options = LockOptions(target=TARGET, providers="wheel,sdist", patchelf=False)
    lock = read_lock(lock_file(tmp_path, options))
    paths = [tmp_path / "req.txt"]
    assert stale_reasons(lock, paths, options) == ()
    cases = {
        "the target changed: system x86_64-linux → aarch64-linux, glibc 2.40 → 2.17": LockOptions(
            target=Target.from_strings("3.12", "aarch64-linux", "2.17"),
            providers="wheel,sdist",
        ),
        "the target changed: python 3.12.12 → 3.11.14": LockOptions(
            target=Target.from_strings("3.11", "x86_64-linux"), providers="wheel,sdist"
        ),
        "the provider order changed: _default=wheel,sdist → _default=sdist,wheel": LockOptions(
            target=TARGET, providers="sdist,wheel"
        ),
        "--exclude-newer changed: none → 2026-01-01T00:00:00Z": LockOptions(
            target=TARGET,
            providers="wheel,sdist",
            exclude_newer=datetime(2026, 1, 1, tzinfo=UTC),
        ),
        "the index URLs changed: https://pypi.org/simple/ → https://mirror.invalid/simple/": (
            LockOptions(
                target=TARGET,
                providers="wheel,sdist",
                index_urls=["https://mirror.invalid/simple/"],
            )
        ),
        "--pre changed": LockOptions(
            target=TARGET, providers="wheel,sdist", allow_prereleases=True
        ),
        "the conda channels changed": LockOptions(
            target=TARGET, providers="wheel,sdist", channels=("conda-forge",)
        ),
    }
    for expected, changed in cases.items():
        assert stale_reasons(lock, paths, changed) == (expected,), expected
    (tmp_path / "req.txt").write_text("six\nidna\n")
    assert stale_reasons(lock, paths, options) == ("req.txt changed",)


def test_check_on_the_command_line(tmp_path: Path) -> None:
    options = LockOptions(target=TARGET, providers="wheel,sdist", patchelf=False)
    lock_file(tmp_path, options)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "MACH2_"))}
    command = [sys.executable, "-m", "mach2.cli.main", "lock", "-r", "req.txt", "--check"]
    command += ["-p", "wheel,sdist", "--python", "3.12"]
    fresh = subprocess.run(
        [*command, "--system", "x86_64-linux"], cwd=tmp_path, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr
    stale = subprocess.run(
        [*command, "--system", "aarch64-linux"], cwd=tmp_path, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert stale.returncode == 1
    assert stale.stderr.splitlines() == [
        "error: mach2.lock is stale: the target changed: system x86_64-linux → aarch64-linux",
        "hint: run the same command without --check to lock again",
    ]
