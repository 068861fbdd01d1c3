"""One lock for the four systems, against PyPI: per system, the versions ``uv pip compile``
picks for that platform (issue 10, "Done when")::

    mach2 lock -r bench/sets/universal.txt --all-systems --python 3.12 --glibc 2.28 \\
        --exclude-newer 2026-11-01T00:00:00Z
    uv pip compile --python-platform <platform> --python-version 3.12 \\
        --exclude-newer 2026-11-01T00:00:00Z bench/sets/universal.txt

for x86_64-manylinux_2_28, aarch64-manylinux_2_28, x86_64-apple-darwin and aarch64-apple-darwin
(uv assumes macOS 13.0 there, mach2's default floor).  A package may differ from uv's only where
the lock says why by name (``why-version``: one version on every system).  Made without patch
plans (they do not change a version); tests/nix/test_nix_systems.py builds from such a lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import cache_root
from packaging.version import Version
from test_resolve_live import parse_pins, uv_binary

from mach2.api import LockOptions, lock_input
from mach2.inputs import parse_requirements
from mach2.lock.model import Lock
from mach2.model.names import normalize
from mach2.model.target import SYSTEMS, Target

pytestmark = pytest.mark.network

SET = Path(__file__).resolve().parents[2] / "bench" / "sets" / "universal.txt"
EXCLUDE_NEWER = datetime(2026, 11, 1, tzinfo=UTC)
PLATFORMS = {
    "x86_64-linux": "x86_64-manylinux_2_28",
    "aarch64-linux": "aarch64-manylinux_2_28",
    "x86_64-darwin": "x86_64-apple-darwin",
    "aarch64-darwin": "aarch64-apple-darwin",
}


@pytest.fixture(scope="module")
def universal() -> Lock:
    text = SET.read_text()
    options = LockOptions(
        target=Target.from_strings("3.12", "x86_64-linux", glibc="2.28"),
        systems=SYSTEMS,
        providers="wheel,sdist",
        exclude_newer=EXCLUDE_NEWER,
        cache_dir=cache_root() / "mach2",
        host_python=sys.executable,
        patchelf=False,
    )
    return lock_input(parse_requirements(text), text, options)


def uv_compile(platform: str) -> dict[str, Version]:
    uv = uv_binary()
    if uv is None:
        pytest.skip("uv is not installed (it comes with the test extra)")
    cache = cache_root()
    cache.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [uv, "pip", "compile", "--python-platform", platform, "--python-version", "3.12",
         "--exclude-newer", "2026-11-01T00:00:00Z", "--python", sys.executable, "--no-config",
         "--cache-dir", str(cache / "uv"), "--no-header", "--no-annotate", "--quiet", str(SET)],
        capture_output=True, text=True, check=False, cwd=cache, timeout=600,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return parse_pins(result.stdout)


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_system_has_uvs_versions_or_says_why(universal: Lock, system: str) -> None:
    packages = universal.system(system).packages
    got = {normalize(p.name): Version(p.version) for p in packages.values() if not p.build_only}
    expected = uv_compile(PLATFORMS[system])
    differences = {
        name: (str(got.get(name)), str(expected.get(name)))
        for name in got.keys() | expected.keys()
        if got.get(name) != expected.get(name)
    }
    unexplained = {
        n: d for n, d in differences.items() if not (n in packages and packages[n].why_version)
    }
    assert not unexplained, f"{system}: name → (mach2, uv): {unexplained}"


def test_the_systems_share_what_is_the_same(universal: Lock) -> None:
    data = universal.to_json()
    packages = data["packages"]
    # pure-Python wheels are one record; numpy has a wheel per system, all one version
    assert "systems" not in packages["requests"] and "systems" not in packages["six"]
    assert sorted(packages["numpy"]["systems"]) == sorted(SYSTEMS)
    filenames = {s: e["artifact"]["filename"] for s, e in packages["numpy"]["systems"].items()}
    assert "manylinux" in filenames["x86_64-linux"] and "x86_64" in filenames["x86_64-linux"]
    assert "aarch64" in filenames["aarch64-linux"]
    assert "macosx" in filenames["x86_64-darwin"] and "x86_64" in filenames["x86_64-darwin"]
    assert filenames["aarch64-darwin"].endswith("_arm64.whl")
    assert "version" in packages["numpy"]
