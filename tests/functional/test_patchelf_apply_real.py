"""Plan and apply on real wheels with the real patchelf, then import them in a clean process.

Five wheels for the running interpreter (pyzmq, psycopg2-binary, shapely with its numpy, and
python-rtmidi with its odd ``python_rtmidi.`` directory) are unzipped into a site-packages.
The soname map points every library at a stand-in "store": one directory per attribute
holding copies of this Debian machine's libraries, the way ``lib.makeLibraryPath buildInputs``
gives one directory per nixpkgs package.  pyzmq and psycopg2-binary are first rebuilt with every
RPATH removed, so their vendored libraries are only found if the planner puts the ``$ORIGIN``
entries back.  The modules must then import with ``LD_LIBRARY_PATH`` unset, and libstdc++ and
libasound must be mapped from the store, not from the host's ``/usr/lib``.  With libz.so.1
missing from the map, apply must name exactly that soname.

Needs the network (PyPI), ``patchelf`` on PATH (CI: ``apt-get install -y patchelf``) and an
x86_64 glibc host with libstdc++, libgcc_s, libz and libasound in the usual Debian places.
"""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import attrs
import pytest
from packaging.utils import parse_wheel_filename

from mach2.model.target import Target
from mach2.net.http import Http
from mach2.nix.patchelf_apply import ApplyError, apply_plan
from mach2.patchelf import (
    SonameEntry,
    SonameMap,
    WheelPatchPlan,
    inspect_wheel,
    load_soname_map,
    plan,
)
from mach2.patchelf.scan import read_elf

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "patchelf"))
from wheels import pypi_wheel

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(shutil.which("patchelf") is None, reason="patchelf is not installed"),
    pytest.mark.skipif(
        sys.platform != "linux" or platform.machine() != "x86_64",
        reason="needs an x86_64 Linux host",
    ),
]

#: Versions tried in order; the first with a wheel for this interpreter is used.
PINS = {
    "pyzmq": ("27.3.0",),
    "psycopg2-binary": ("2.9.13",),
    "numpy": ("2.4.6", "2.5.5"),
    "shapely": ("2.2.0",),
    "python-rtmidi": ("1.5.8",),
}
STRIPPED = ("pyzmq", "psycopg2-binary")
HOST_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64")
HOST_MAP = {
    "libz.so.1": "host.zlib",
    "libstdc++.so.6": "host.gcc",
    "libgcc_s.so.1": "host.gcc",
    "libasound.so.2": "host.alsa-lib",
}
IMPORTS = """
import json, sys
sys.path.insert(0, sys.argv[1])
import zmq, psycopg2, psycopg2.extensions, numpy, shapely, rtmidi
assert shapely.Point(0, 0).buffer(1.0).area > 3.1
assert abs(numpy.linalg.inv(numpy.eye(3) * 2)[0, 0] - 0.5) < 1e-12
print(json.dumps({
    "zmq": zmq.zmq_version(),
    "libpq": psycopg2.extensions.libpq_version(),
    "geos": shapely.geos_version_string,
    "maps": sorted({line.split()[-1] for line in open("/proc/self/maps") if "/" in line}),
}))
"""


def host_library(soname: str) -> Path:
    for directory in HOST_DIRS:
        if (Path(directory) / soname).exists():
            return Path(directory) / soname
    pytest.skip(f"{soname} is not installed on this host")


def target() -> Target:
    libc, version = platform.libc_ver()
    if libc != "glibc":
        pytest.skip("needs glibc")
    return Target.from_strings(
        f"{sys.version_info[0]}.{sys.version_info[1]}", "x86_64-linux", version
    )


def chooser(project: str, tags: Target) -> Callable[[list[str]], str | None]:
    rank = {tag: n for n, tag in enumerate(tags.tags)}

    def pick(filenames: list[str]) -> str | None:
        for version in PINS[project]:
            ranked = []
            for filename in filenames:
                if not filename.endswith(".whl"):
                    continue
                _, wheel_version, _, wheel_tags = parse_wheel_filename(filename)
                ranks = [rank[t] for t in wheel_tags if t in rank]
                if str(wheel_version) == version and ranks:
                    ranked.append((min(ranks), filename))
            if ranked:
                return min(ranked)[1]
        pytest.skip(f"no {project} wheel of {PINS[project]} for this interpreter")

    return pick


def strip_rpaths(wheel: Path, into: Path) -> Path:
    """The wheel rebuilt with the RPATH/RUNPATH of every ELF file removed."""
    work = into / "strip"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(work)
        names = archive.namelist()
    for name in names:
        member = work / name
        if member.is_file() and member.read_bytes()[:4] == b"\x7fELF":
            subprocess.run(["patchelf", "--remove-rpath", str(member)], check=True)
    stripped = into / wheel.name
    with zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(work / name, name)
    shutil.rmtree(work)
    return stripped


@dataclass(frozen=True)
class Installed:
    """The wheels, planned with the host map, unzipped into ``site`` and patched."""

    site: Path
    store: Path
    target: Target
    soname_map: SonameMap
    wheels: dict[str, Path]
    plans: dict[str, WheelPatchPlan]

    def library_path(self, result: WheelPatchPlan) -> list[str]:
        """One directory per attribute, as ``lib.makeLibraryPath buildInputs`` gives."""
        return [str(self.store / attr / "lib") for attr in result.attrs]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("patchelf-apply")
    tags = target()
    store = root / "store"
    for soname, attr in HOST_MAP.items():
        (store / attr / "lib").mkdir(parents=True, exist_ok=True)
        shutil.copy2(host_library(soname), store / attr / "lib" / soname)
    soname_map = attrs.evolve(
        load_soname_map(), entries={s: SonameEntry(a, ("test",)) for s, a in HOST_MAP.items()}
    )
    wheels = {}
    with contextlib.closing(Http(timeout=120.0)) as client:
        for project in PINS:
            wheel = pypi_wheel(client, project, choose=chooser(project, tags))
            wheels[project] = strip_rpaths(wheel, root) if project in STRIPPED else wheel
    done = Installed(root / "site-packages", store, tags, soname_map, wheels, {})
    for project, wheel in wheels.items():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(done.site)
        result = plan(inspect_wheel(wheel), target=tags, soname_map=soname_map)
        apply_plan(result.to_json(), done.site, library_path=done.library_path(result))
        done.plans[project] = result
    return done


def test_stripped_wheels_get_origin_entries_back(installed: Installed) -> None:
    for project in STRIPPED:
        result = installed.plans[project]
        assert all(f.old_runpath == () for f in result.files)
        vendored = [f for f in result.files if any(n.source == "wheel" for n in f.needed)]
        assert vendored and all(f.runpath and f.runpath[0].startswith("$ORIGIN") for f in vendored)


def test_runpaths_on_disk_are_the_planned_ones(installed: Installed) -> None:
    checked = 0
    for result in installed.plans.values():
        for file in result.files:
            with (installed.site / file.install).open("rb") as handle:
                on_disk = read_elf(handle, file.install)
            directories = [
                str(installed.store / str(n.attr) / "lib")
                for n in file.needed
                if n.source == "nixpkgs"
            ]
            expected = tuple(dict.fromkeys([*file.runpath, *directories]))
            if expected == file.old_runpath:
                continue  # left alone
            assert on_disk.rpath == (), file.install  # DT_RPATH became DT_RUNPATH
            assert on_disk.runpath == expected, file.install
            checked += 1
    assert checked > 10


def test_extension_modules_import_in_a_clean_process(installed: Installed) -> None:
    site, store = installed.site, installed.store
    env = {"PATH": "/usr/bin:/bin", "HOME": str(site.parent)}  # no LD_LIBRARY_PATH, no PYTHONPATH
    done = subprocess.run(
        [sys.executable, "-s", "-E", "-c", IMPORTS, str(site)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    maps = report["maps"]
    assert str(store / "host.gcc/lib/libstdc++.so.6") in maps
    assert str(store / "host.gcc/lib/libgcc_s.so.1") in maps
    assert str(store / "host.alsa-lib/lib/libasound.so.2") in maps
    assert any(path.startswith(str(site / "pyzmq.libs")) for path in maps)
    assert any(path.startswith(str(site / "python_rtmidi.")) for path in maps)
    assert report["geos"] and report["libpq"] > 0 and report["zmq"]


def test_library_missing_from_the_map_is_named(installed: Installed) -> None:
    entries = {k: v for k, v in installed.soname_map.entries.items() if k != "libz.so.1"}
    without = attrs.evolve(installed.soname_map, entries=entries)
    missing = set()
    for wheel in installed.wheels.values():
        result = plan(inspect_wheel(wheel), target=installed.target, soname_map=without)
        try:
            apply_plan(
                result.to_json(), installed.site, library_path=installed.library_path(result)
            )
        except ApplyError as error:
            assert "libz.so.1" in error.message and "\n" not in str(error)
            missing |= {m.soname for m in error.missing}
    assert missing == {"libz.so.1"}
