"""Live resolutions against PyPI: mach2 locks the versions ``uv pip compile`` picks.

For each set in ``bench/sets/`` (issue 2, "Done when"), with the same target and cutoff::

    mach2 lock -p wheel,sdist --python 3.12 --system x86_64-linux --glibc 2.28 \\
        --exclude-newer 2026-11-01T00:00:00Z
    uv pip compile --python-version 3.12 --python-platform x86_64-manylinux_2_28 \\
        --exclude-newer 2026-11-01T00:00:00Z

The locks are made through the library API without patchelf planning (that downloads every
binary wheel, torch's included, and does not change a version).  Both tools keep their caches
under :func:`fakes.cache_root`, so a rerun answers from disk; cold, the six sets take about
half a minute for mach2 (``bench/resolve.py`` prints the timings).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import cache_root
from packaging.version import Version

from mach2.api import LockOptions, lock_input
from mach2.inputs import parse_requirements
from mach2.lock.model import Lock
from mach2.model.names import normalize
from mach2.model.target import Target

pytestmark = pytest.mark.network

SETS = Path(__file__).resolve().parents[2] / "bench" / "sets"
EXCLUDE_NEWER = datetime(2026, 11, 1, tzinfo=UTC)
TARGET = Target.from_strings("3.12", "x86_64-linux", glibc="2.28")
UV_ARGS = (
    "--python-version", "3.12",
    "--python-platform", "x86_64-manylinux_2_28",
    "--exclude-newer", "2026-11-01T00:00:00Z",
)  # fmt: skip


def uv_binary() -> str | None:
    try:
        from uv import find_uv_bin  # the ``uv`` wheel of the test extra
    except ImportError:
        return shutil.which("uv")
    return str(find_uv_bin())


def set_names() -> list[str]:
    return sorted(p.stem for p in SETS.glob("*.txt"))


class Locks:
    """mach2's lock per set, made once per session."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self._locks: dict[str, Lock] = {}

    def __call__(self, name: str) -> Lock:
        if name not in self._locks:
            text = (SETS / f"{name}.txt").read_text()
            options = LockOptions(
                target=TARGET,
                providers="wheel,sdist",
                exclude_newer=EXCLUDE_NEWER,
                cache_dir=self.cache / "mach2",
                host_python=sys.executable,
                patchelf=False,
            )
            self._locks[name] = lock_input(parse_requirements(text), text, options)
        return self._locks[name]


@pytest.fixture(scope="session")
def locks() -> Locks:
    return Locks(cache_root())


def uv_compile(name: str, cache: Path) -> dict[str, Version]:
    uv = uv_binary()
    if uv is None:
        pytest.skip("uv is not installed (it comes with the test extra)")
    # --python names an interpreter so uv does not search the machine for a 3.12; the
    # target stays --python-version.  --no-config: the repository's pyproject is not uv's.
    result = subprocess.run(
        [uv, "pip", "compile", *UV_ARGS, "--python", sys.executable, "--no-config",
         "--cache-dir", str(cache / "uv"), "--no-header", "--no-annotate", "--quiet",
         str(SETS / f"{name}.txt")],
        capture_output=True, text=True, check=False, cwd=cache, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return parse_pins(result.stdout)


def parse_pins(text: str) -> dict[str, Version]:
    """``name==version`` lines (extras and comments dropped) → normalized name → Version."""
    pins: dict[str, Version] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        pins[normalize(name.split("[", 1)[0])] = Version(version.split(";", 1)[0].strip())
    return pins


def locked_versions(lock: Lock) -> dict[str, Version]:
    """The environment's packages (sdist build backends left out, as uv leaves them out)."""
    return {
        normalize(p.name): Version(p.version) for p in lock.packages.values() if not p.build_only
    }


@pytest.mark.parametrize("name", set_names())
def test_versions_equal_uv(name: str, locks: Locks) -> None:
    cache = locks.cache
    cache.mkdir(parents=True, exist_ok=True)
    expected = uv_compile(name, cache)
    got = locked_versions(locks(name))
    differences = {
        n: (str(got.get(n)), str(expected.get(n)))
        for n in got.keys() | expected.keys()
        if got.get(n) != expected.get(n)
    }
    assert not differences, f"{name}: name → (mach2, uv): {differences}"


def test_sample_of_locked_files_matches_sha256(locks: Locks) -> None:
    """Download the three smallest files of the ``web`` lock; their bytes hash as locked."""
    lock = locks("web")
    artifacts = sorted(
        (p.artifact for p in lock.packages.values() if p.artifact.size is not None),
        key=lambda a: a.size or 0,
    )[:3]
    assert len(artifacts) == 3
    for artifact in artifacts:
        assert artifact.url and artifact.sha256
        # The standard library's client, not mach2's: the check should not share its code.
        with urllib.request.urlopen(artifact.url, timeout=60) as response:
            content = response.read()
        assert len(content) == artifact.size, artifact.filename
        assert hashlib.sha256(content).hexdigest() == artifact.sha256, artifact.filename
