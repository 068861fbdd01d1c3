"""The soname map: its data against the manylinux policy and nixpkgs, merging, user files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mach2.nix.patchelf_apply import DEFAULT_HOST_LIBRARIES
from mach2.patchelf.sonames import (
    SonameEntry,
    SonameMap,
    SonameMapError,
    load_soname_map,
    load_user_map,
)

DATA = Path(__file__).resolve().parents[1] / "data"
POLICY = DATA / "wheels" / "auditwheel-manylinux-policy.json"
REPLIT = DATA / "nixpkgs" / "replit-upm-pypi-to-nixpkgs-native-deps.json"
SONAMES = load_soname_map()


def data(path: Path) -> Any:
    return json.loads(path.read_text())


def test_every_entry_names_known_sources() -> None:
    assert SONAMES.version and len(SONAMES.entries) > 200
    for soname, entry in SONAMES.entries.items():
        assert entry.sources, soname
        assert set(entry.sources) <= set(SONAMES.sources), soname
        assert entry.attr and " " not in entry.attr, soname


def test_every_manylinux_policy_library_is_system_or_mapped() -> None:
    policy = data(POLICY)
    assert isinstance(policy, list)
    for tag in policy:
        for library in tag["lib_whitelist"]:
            assert SONAMES.is_system(library) or SONAMES.lookup(library) is not None, library


def test_policy_sources_are_true() -> None:
    policy = data(POLICY)
    assert isinstance(policy, list)
    allowed = {library for tag in policy for library in tag["lib_whitelist"]}
    marked = {s for s, e in SONAMES.entries.items() if "auditwheel" in e.sources}
    assert marked == allowed - SONAMES.system


def test_replit_sources_are_true() -> None:
    replit = data(REPLIT)
    assert isinstance(replit, dict)
    attrs = {dep.removeprefix("pkgs.") for value in replit.values() for dep in value["deps"]}
    for soname, entry in SONAMES.entries.items():
        assert ("replit-upm" in entry.sources) == (entry.attr in attrs), soname
    # Where replit names a package's native library, it agrees with the map.
    for package, soname in (("pyodbc", "libodbc.so.2"), ("python-rtmidi", "libasound.so.2")):
        known = SONAMES.lookup(soname)
        assert known is not None and f"pkgs.{known.attr}" in replit[package]["deps"]


def test_host_patterns_match_apply_allow_list() -> None:
    assert SONAMES.host_patterns == DEFAULT_HOST_LIBRARIES
    assert SONAMES.is_host("libcuda.so.1") and SONAMES.is_host("libnvidia-ml.so.1")
    assert not SONAMES.is_host("libcudart.so.12")  # nvidia-cuda-runtime wheel, a sibling


def test_system_covers_glibc_and_libpython() -> None:
    for soname in (
        "libc.so.6",
        "libm.so.6",
        "libresolv.so.2",
        "ld-linux-aarch64.so.1",
        "libpython3.13t.so.1.0",
    ):
        assert SONAMES.is_system(soname), soname
    assert not SONAMES.is_system("libcrypt.so.1")  # libxcrypt, not glibc, in nixpkgs
    assert SONAMES.lookup("libcrypt.so.1") == SonameEntry(
        "libxcrypt", ("nixpkgs-manylinux", "replit-upm")
    )


def test_relatives_find_other_versions() -> None:
    assert [name for name, _ in SONAMES.relatives("libssl.so.1.1")] == ["libssl.so.3"]
    assert SONAMES.relatives("libnothing.so.1") == ()


def test_user_files_in_both_shapes(tmp_path: Path) -> None:
    simple = tmp_path / "simple.json"
    simple.write_text('{"libfoo.so.1": "foo"}')
    assert load_user_map(simple) == {"libfoo.so.1": SonameEntry("foo", ("user",))}
    full = tmp_path / "full.json"
    full.write_text(
        json.dumps({"format": 1, "sonames": {"libbar.so.2": {"attr": "bar", "sources": ["mine"]}}})
    )
    merged = SONAMES.merged(load_user_map(full))
    assert merged.lookup("libbar.so.2") == SonameEntry("bar", ("mine",))
    assert merged.lookup("libz.so.1") == SONAMES.lookup("libz.so.1")
    assert SONAMES.lookup("libbar.so.2") is None  # the original is unchanged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "must map sonames to nixpkgs attributes"),
        ('{"libfoo.so.1": 3}', "must map sonames to nixpkgs attributes"),
        ("{", "cannot read soname map"),
        ('{"format": 1, "sonames": {"libx.so": {}}}', 'needs an "attr" string'),
        ('{"format": 2}', "not a soname map of format 1"),
    ],
)
def test_bad_user_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "map.json"
    path.write_text(text)
    with pytest.raises(SonameMapError, match=message):
        load_user_map(path)


def test_map_is_immutable() -> None:
    with pytest.raises(TypeError):
        SONAMES.entries["libz.so.1"] = SonameEntry("x")  # type: ignore[index]
    assert SonameMap(version="x").lookup("libz.so.1") is None
