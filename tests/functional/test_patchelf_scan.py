"""The 22 wheels of tests/data/wheels/elf-scan.json, downloaded by name and version.

For each wheel: the inspector reads the same DT_NEEDED/DT_SONAME/RPATH/RUNPATH as the scan,
the plan's external libraries are exactly the scan's, glibc ones are ``system``, every other
one is mapped to a nixpkgs attribute (EXPECTED_ATTRS below), and the newest
GLIBC/GLIBCXX/CXXABI/GCC versions equal the scan's and fit nixpkgs' glibc 2.40 and gcc 14.

The 22 wheels total 309 MB (opencv-python 71 MB, llvmlite 60 MB, pyarrow 55 MB, scipy 35 MB).
They are downloaded whole, once, because the sha256 can only be checked on the whole file;
from PyPI's CDN that took 5 s here, and the cache (``~/.cache/mach2-tests/files-v1``) makes
later runs free.  ``MACH2_PATCHELF_SMALL=1`` limits the run to the wheels under 8 MB.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mach2.model.target import Target
from mach2.net.http import Http
from mach2.patchelf import inspect_wheel, load_soname_map, plan

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "patchelf"))
from wheels import pypi_wheel

pytestmark = pytest.mark.network

SCAN = Path(__file__).resolve().parents[1] / "data" / "wheels" / "elf-scan.json"
TARGET = Target.from_strings("3.12", "x86_64-linux", "2.40")

#: What every non-glibc library these wheels leave unvendored maps to (the scan's report,
#: ELF-NEEDS.md, suggested these nixpkgs attributes).
EXPECTED_ATTRS = {
    "libstdc++.so.6": "stdenv.cc.cc.lib",
    "libgcc_s.so.1": "stdenv.cc.cc.lib",
    "libz.so.1": "zlib",
    "libGL.so.1": "libGL",
    "libX11.so.6": "xorg.libX11",
    "libXext.so.6": "xorg.libXext",
    "libSM.so.6": "xorg.libSM",
    "libICE.so.6": "xorg.libICE",
    "libxcb.so.1": "xorg.libxcb",
    "libglib-2.0.so.0": "glib",
    "libgthread-2.0.so.0": "glib",
    "libodbc.so.2": "unixODBC",
    "libasound.so.2": "alsa-lib",
}


def scan_entries() -> list[dict[str, Any]]:
    wheels: list[dict[str, Any]] = json.loads(SCAN.read_text())["wheels"]
    if os.environ.get("MACH2_PATCHELF_SMALL"):
        wheels = [w for w in wheels if w["size"] < 8_000_000]
    return wheels


@pytest.fixture(scope="module")
def client() -> Iterator[Http]:
    http = Http(timeout=120.0)
    with contextlib.closing(http):
        yield http


@pytest.mark.parametrize("entry", scan_entries(), ids=lambda entry: str(entry["name"]))
def test_plan_matches_the_scan(entry: dict[str, Any], client: Http) -> None:
    path = pypi_wheel(client, entry["name"], filename=entry["wheel"], sha256=entry["sha256"])
    inspection = inspect_wheel(path)
    result = plan(
        inspection, target=TARGET, soname_map=load_soname_map(), sha256=str(entry["sha256"])
    )

    scanned = {e["path"]: e for e in entry["elfs"]}
    assert [e.path for e in inspection.elfs] == list(scanned)
    for elf in inspection.elfs:
        row = scanned[elf.path]
        assert (elf.size, elf.soname, list(elf.needed)) == (
            row["size"],
            row["soname"],
            row["needed"],
        )
        assert ":".join(elf.rpath) == ":".join(row["rpath"])
        assert ":".join(elf.runpath) == ":".join(row["runpath"])

    assert result.external == set(entry["external_needed"])
    by_soname = {n.soname: n for f in result.files for n in f.needed if n.source != "wheel"}
    for soname in entry["external_glibc"]:
        assert by_soname[soname].source == "system", soname
    for soname in set(entry["external_needed"]) - set(entry["external_glibc"]):
        assert (by_soname[soname].source, by_soname[soname].attr) == (
            "nixpkgs",
            EXPECTED_ATTRS[soname],
        )
    assert result.unresolved == ()
    assert dict(result.symbol_versions) == entry["max_symbol_versions"]
    assert result.problems == ()
    assert inspection.elf_bytes <= inspection.elf_size + 65536 * len(inspection.elfs)


def test_stale_runpath_of_shapely_is_dropped(client: Http) -> None:
    entry = next(w for w in json.loads(SCAN.read_text())["wheels"] if w["name"] == "shapely")
    path = pypi_wheel(client, "shapely", filename=str(entry["wheel"]), sha256=str(entry["sha256"]))
    result = plan(inspect_wheel(path), target=TARGET, soname_map=load_soname_map())
    geos = next(f for f in result.files if f.path.startswith("shapely/_geos."))
    assert (geos.old_runpath, geos.runpath, geos.dropped) == (
        ("/usr/local/lib64",),
        (),
        ("/usr/local/lib64",),
    )
