"""Locks of several systems, offline (a fake index): each system's own resolution, one version
per package across systems (or a clear failure, or --split-versions), the file's one rule
(shared fields once, each system's own under ``systems``), and reading it back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from index_fixture import FakeIndex, lock_with

from mach2.errors import LockError
from mach2.lock.model import Lock, factor
from mach2.pipeline.options import LockOptions

LINUX, DARWIN = "x86_64-linux", "aarch64-darwin"
BOTH = (LINUX, DARWIN)
LINUX_WHEEL = "cp312-cp312-manylinux_2_17_x86_64"
MAC_WHEEL = "cp312-cp312-macosx_11_0_arm64"

SPEC: dict[str, Any] = {
    "app": {"1.0": {"deps": ["fast", "appnope; sys_platform == 'darwin'", "pure"]}},
    "fast": {"1.0": {"wheels": [LINUX_WHEEL, MAC_WHEEL]}},
    "pure": {"1.0": {}},
    "appnope": {"0.1": {}},
}


def lock(spec: dict[str, Any], text: str = "app\n", **kw: Any) -> Lock:
    options = {"providers": "wheel", "systems": BOTH, **kw}
    return lock_with(FakeIndex(spec), text, **options)


def versions(result: Lock) -> dict[str, dict[str, str]]:
    return {
        name: {key: p.version for key, p in sorted(system.packages.items())}
        for name, system in result.systems.items()
    }


# -- what each system gets ---------------------------------------------------------------------


def test_each_system_has_its_own_resolution() -> None:
    result = lock(SPEC)
    assert result.system_names == BOTH
    assert versions(result) == {
        LINUX: {"app": "1.0", "fast": "1.0", "pure": "1.0"},
        DARWIN: {"app": "1.0", "appnope": "0.1", "fast": "1.0", "pure": "1.0"},
    }
    linux, darwin = result.system(LINUX), result.system(DARWIN)
    assert linux.packages["fast"].artifact.filename == f"fast-1.0-{LINUX_WHEEL}.whl"
    assert darwin.packages["fast"].artifact.filename == f"fast-1.0-{MAC_WHEEL}.whl"
    assert darwin.packages["app"].dependencies["appnope"] == "appnope"
    assert "appnope" not in linux.packages["app"].dependencies
    assert all(p.why_version is None for s in result.systems.values() for p in s.packages.values())


def test_the_file_stores_what_the_systems_share_once() -> None:
    data = json.loads(lock(SPEC).dumps())
    assert data["lock-version"] == 2 and data["python"] == "3.12.12"
    assert data["systems"] == {LINUX: {"glibc": "2.40"}, DARWIN: {"macos": "13.0"}}
    assert data["roots"] == ["app"]
    packages = data["packages"]
    # the same pure-Python wheel on both systems: one record, no `systems`
    assert "systems" not in packages["pure"]
    assert packages["pure"]["artifact"]["filename"] == "pure-1.0-py3-none-any.whl"
    # a wheel per platform: the shared fields at the top, each artifact under its system
    assert packages["fast"]["version"] == "1.0" and "artifact" not in packages["fast"]
    assert sorted(packages["fast"]["systems"]) == sorted(BOTH)
    assert set(packages["fast"]["systems"][LINUX]) == {"artifact", "patchelf"}
    assert set(packages["fast"]["systems"][DARWIN]) == {"artifact"}  # no ELF plan on macOS
    # a darwin-only dependency: on darwin only, with nothing of its own
    assert packages["appnope"]["systems"] == {DARWIN: {}}
    # and the parent's dependencies differ per system
    assert set(packages["app"]["systems"][DARWIN]) == {"dependencies"}


def test_the_file_reads_back_as_the_same_lock() -> None:
    result = lock(SPEC)
    again = Lock.from_json(json.loads(result.dumps()))
    assert again == result
    assert again.dumps() == result.dumps()


def test_roots_that_differ_per_system_go_under_the_system() -> None:
    result = lock(SPEC, "app\nappnope; sys_platform == 'darwin'\n")
    data = json.loads(result.dumps())
    assert "roots" not in data
    assert data["systems"][LINUX]["roots"] == ["app"]
    assert data["systems"][DARWIN]["roots"] == ["app", "appnope"]
    assert Lock.from_json(data) == result


def test_one_system_reads_like_lock_version_1() -> None:
    data = json.loads(lock_with(FakeIndex(SPEC), "app\n", providers="wheel").dumps())
    assert not any("systems" in p for p in data["packages"].values())


def test_a_package_entry_for_a_system_the_lock_lacks_is_malformed() -> None:
    data = json.loads(lock(SPEC).dumps())
    data["packages"]["appnope"]["systems"] = {"x86_64-darwin": {}}
    with pytest.raises(LockError, match="appnope has entries for x86_64-darwin, not a system"):
        Lock.from_json(data)


def test_one_system_lock_properties_refuse_several_systems() -> None:
    result = lock(SPEC)
    with pytest.raises(LockError, match="needs a lock of one system"):
        _ = result.packages
    with pytest.raises(LockError) as info:
        result.system("x86_64-darwin")
    assert (
        info.value.message
        == "the lock has no entries for x86_64-darwin (it has x86_64-linux, aarch64-darwin)"
    )
    assert info.value.hint == (
        "add it with `mach2 lock --system x86_64-linux --system aarch64-darwin --system x86_64-darwin`"
    )


def test_the_input_hash_covers_the_systems_and_keeps_one_systems_hash() -> None:
    one = lock_with(FakeIndex(SPEC), "pure\n", providers="wheel")
    same = lock_with(FakeIndex(SPEC), "pure\n", providers="wheel", systems=(LINUX,))
    both = lock(SPEC, "pure\n")
    other = lock(SPEC, "pure\n", systems=(LINUX, "x86_64-darwin"))
    assert one.inputs.hash == same.inputs.hash
    assert len({one.inputs.hash, both.inputs.hash, other.inputs.hash}) == 3


# -- one version per package -------------------------------------------------------------------

#: fast 2.0 has a Linux wheel only: Linux alone takes 2.0, darwin 1.0.
LINUX_FIRST: dict[str, Any] = {
    **SPEC,
    "fast": {
        "1.0": {"wheels": [LINUX_WHEEL, MAC_WHEEL]},
        "2.0": {"wheels": [LINUX_WHEEL]},
    },
}


def test_a_version_one_system_lacks_is_lowered_on_every_system() -> None:
    result = lock(LINUX_FIRST)
    assert {s: v["fast"] for s, v in versions(result).items()} == {LINUX: "1.0", DARWIN: "1.0"}
    note = result.system(LINUX).packages["fast"].why_version
    assert note == "1.0 on every system (one version per package; alone, x86_64-linux 2.0)"
    assert result.system(DARWIN).packages["fast"].why_version == note  # one note, shared
    assert result.system(LINUX).packages["pure"].why_version is None
    data = json.loads(result.dumps())
    assert data["packages"]["fast"]["why-version"] == note


def test_a_lowered_package_lowers_what_depends_on_it() -> None:
    spec = {
        **LINUX_FIRST,
        "app": {
            "1.0": {"deps": ["fast<2", "pure"]},
            "2.0": {"deps": ["fast>=2", "pure"]},
        },
    }
    result = lock(spec)
    assert {s: (v["app"], v["fast"]) for s, v in versions(result).items()} == {
        LINUX: ("1.0", "1.0"),
        DARWIN: ("1.0", "1.0"),
    }
    assert result.system(LINUX).packages["app"].why_version == (
        "1.0 on every system (one version per package; alone, x86_64-linux 2.0)"
    )


#: odd 2.0 has a Linux wheel only, 1.0 a macOS wheel only: no one version fits both.
SPLIT: dict[str, Any] = {
    **SPEC,
    "app": {"1.0": {"deps": ["odd", "pure"]}},
    "odd": {"1.0": {"wheels": [MAC_WHEEL]}, "2.0": {"wheels": [LINUX_WHEEL]}},
}


def test_no_one_version_fails_naming_the_package() -> None:
    with pytest.raises(LockError) as info:
        lock(SPLIT)
    assert info.value.message.startswith(
        "odd cannot have one version on every system: x86_64-linux cannot take odd<=1.0 ("
    )
    assert info.value.message.endswith(
        "alone the systems take x86_64-linux 2.0, aarch64-darwin 1.0"
    )
    assert info.value.hint == (
        "let its version differ per system with --split-versions, or lock fewer systems (--system …)"
    )


def test_split_versions_keeps_each_systems_version_and_says_why() -> None:
    result = lock(SPLIT, split_versions=True)
    assert {s: v["odd"] for s, v in versions(result).items()} == {LINUX: "2.0", DARWIN: "1.0"}
    note = result.system(DARWIN).packages["odd"].why_version
    assert note is not None
    assert note.startswith(
        "differs per system (--split-versions): x86_64-linux 2.0, aarch64-darwin 1.0; "
        "no one version fits every system: x86_64-linux cannot take odd<=1.0"
    )
    data = json.loads(result.dumps())
    assert data["packages"]["odd"]["systems"][LINUX]["version"] == "2.0"
    assert data["packages"]["odd"]["why-version"] == note


def test_a_split_package_does_not_hold_back_the_others() -> None:
    spec = {**SPLIT, "app": {"1.0": {"deps": ["odd", "fast"]}}, "fast": LINUX_FIRST["fast"]}
    result = lock(spec, split_versions=True)
    assert {s: (v["odd"], v["fast"]) for s, v in versions(result).items()} == {
        LINUX: ("2.0", "1.0"),
        DARWIN: ("1.0", "1.0"),
    }


def test_options_make_one_target_per_system() -> None:
    from mach2.model.target import Target

    options = LockOptions(
        target=Target.from_strings("3.11", LINUX, glibc="2.28", musl=None),
        systems=(DARWIN, LINUX, DARWIN),
    )
    assert [(t.system, t.python, t.glibc) for t in options.targets] == [
        (DARWIN, (3, 11, 14), (2, 28)),
        (LINUX, (3, 11, 14), (2, 28)),
    ]
    musl = LockOptions(target=Target.from_strings("3.12", LINUX, musl="1.2"), systems=BOTH)
    assert [t.musl for t in musl.targets] == [(1, 2), None]


def test_factor() -> None:
    assert factor({"a": {"v": 1}, "b": {"v": 1}}, ["a", "b"]) == ({"v": 1}, {})
    assert factor({"a": {"v": 1}, "b": {"v": 2}}, ["a", "b"]) == (
        {},
        {"a": {"v": 1}, "b": {"v": 2}},
    )
    assert factor({"a": {"v": 1, "p": 1}, "b": {"v": 1}}, ["a", "b"]) == (
        {"v": 1},
        {"a": {"p": 1}, "b": {}},
    )
    assert factor({"b": {"v": 1}}, ["a", "b"]) == ({"v": 1}, {"b": {}})


def test_stale_reasons_name_the_systems_and_each_target() -> None:
    from mach2.inputs import parse_requirements
    from mach2.model.target import Target
    from mach2.pipeline.lock import stale_reasons

    result = lock(SPEC, "pure\n")
    requirements = parse_requirements("pure\n", origin="requirements.txt")

    def reasons(**kw: Any) -> tuple[str, ...]:
        python = kw.pop("python", "3.12")
        target = Target.from_strings(python, LINUX, macos=kw.pop("macos", None))
        options = LockOptions(target=target, providers="wheel", **{"systems": BOTH, **kw})
        return stale_reasons(result, requirements, "pure\n", options)

    assert reasons() == ()
    assert reasons(macos="14.0") == ("the target of aarch64-darwin changed: macos 13.0 → 14.0",)
    # A change every system shares is said once (it was said once per system).
    assert reasons(python="3.11") == (
        "the target of every system changed: python 3.12.12 → 3.11.14",
    )
    assert reasons(systems=(LINUX,)) == (
        "the systems changed: x86_64-linux, aarch64-darwin → x86_64-linux",
    )
