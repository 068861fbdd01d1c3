"""The Target: complete marker environments, wheel tags in order, and one-line input errors.

Nothing here may depend on the machine running the tests: every expectation is written for the
Target, and the host is never consulted (DESIGN.md §3 "Markers and tags come from the Target").
"""

from __future__ import annotations

import re

import pytest
from packaging.markers import Marker, default_environment
from packaging.tags import Tag

from mach2.errors import TargetError
from mach2.model.target import NIXPKGS_PYTHON_MICRO, SYSTEMS, Target

LINUX = Target.from_strings("3.12", "x86_64-linux", glibc="2.28")
PEP_508_KEYS = {
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "sys_platform",
}
MANYLINUX = re.compile(r"^manylinux_2_(\d+)_(\w+)$")


def rank(target: Target, tag: str) -> int:
    interpreter, abi, platform = tag.split("-")
    return target.tag_rank[(interpreter, abi, platform)]


# -- marker environment -----------------------------------------------------------------------


@pytest.mark.parametrize("system", SYSTEMS)
def test_marker_environment_has_every_pep508_key(system: str) -> None:
    environment = Target.from_strings("3.11", system).marker_environment
    assert environment.keys() >= PEP_508_KEYS
    # whatever packaging would fill in from the host is given, so it never is
    assert set(default_environment()) <= environment.keys()
    assert environment["extra"] == ""


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        (
            "x86_64-linux",
            {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
        ),
        (
            "aarch64-linux",
            {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
        ),
        (
            "x86_64-darwin",
            {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64"},
        ),
        (
            "aarch64-darwin",
            {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
        ),
    ],
)
def test_marker_environment_describes_the_system(system: str, expected: dict[str, str]) -> None:
    environment = Target.from_strings("3.12", system).marker_environment
    assert {k: environment[k] for k in expected} == expected
    assert environment["os_name"] == "posix"
    assert environment["implementation_name"] == "cpython"
    assert environment["platform_python_implementation"] == "CPython"


@pytest.mark.parametrize(
    ("python", "version", "full"),
    [
        ("3.12", "3.12", f"3.12.{NIXPKGS_PYTHON_MICRO[(3, 12)]}"),
        ("3.12.3", "3.12", "3.12.3"),
        ("3.9", "3.9", f"3.9.{NIXPKGS_PYTHON_MICRO[(3, 9)]}"),
    ],
)
def test_marker_environment_python_versions(python: str, version: str, full: str) -> None:
    environment = Target.from_strings(python).marker_environment
    assert environment["python_version"] == version
    assert environment["python_full_version"] == full
    assert environment["implementation_version"] == full


@pytest.mark.parametrize(
    ("marker", "system", "expected"),
    [
        ('sys_platform == "win32"', "x86_64-linux", False),
        ('sys_platform == "darwin" and platform_machine == "arm64"', "aarch64-darwin", True),
        ('platform_machine == "x86_64"', "aarch64-linux", False),
        ('python_version < "3.13"', "x86_64-linux", True),
        ('python_full_version >= "3.12.1"', "x86_64-darwin", True),
        ('implementation_name == "pypy"', "x86_64-linux", False),
    ],
)
def test_markers_evaluate_for_the_target(marker: str, system: str, expected: bool) -> None:
    environment = Target.from_strings("3.12.4", system).marker_environment
    assert Marker(marker).evaluate(dict(environment)) is expected


# -- linux tags -------------------------------------------------------------------------------


def test_manylinux_tags_descend_with_legacy_aliases_after_their_equivalent() -> None:
    tags = LINUX.platform_tags
    versions = [int(m[1]) for t in tags if (m := MANYLINUX.match(t))]
    assert versions == list(range(28, 4, -1))
    for legacy, glibc in [("manylinux2014", 17), ("manylinux2010", 12), ("manylinux1", 5)]:
        position = tags.index(f"{legacy}_x86_64")
        assert tags[position - 1] == f"manylinux_2_{glibc}_x86_64"
    assert not any(t.startswith("manylinux_2_29") for t in tags)


def test_aarch64_has_manylinux2014_but_not_the_x86_only_aliases() -> None:
    tags = Target.from_strings("3.12", "aarch64-linux", glibc="2.28").platform_tags
    assert "manylinux2014_aarch64" in tags
    assert not any(t.startswith(("manylinux1_", "manylinux2010_")) for t in tags)
    assert all(t.endswith("_aarch64") for t in tags)


@pytest.mark.parametrize("system", ["x86_64-linux", "aarch64-linux"])
def test_linux_targets_do_not_list_musllinux_yet(system: str) -> None:
    target = Target.from_strings("3.12", system)
    assert not any("musllinux" in t for t in target.platform_tags)
    assert not any("musllinux" in t.platform for t in target.tags)


def test_best_tag_is_the_exact_interpreter_on_the_newest_glibc() -> None:
    assert LINUX.tags[0] == Tag("cp312", "cp312", "manylinux_2_28_x86_64")
    assert rank(LINUX, "cp312-cp312-manylinux_2_28_x86_64") == 0


def test_abi3_is_forward_compatible_only() -> None:
    assert rank(LINUX, "cp38-abi3-manylinux_2_17_x86_64") > rank(
        LINUX, "cp312-cp312-manylinux_2_17_x86_64"
    )
    assert rank(LINUX, "cp312-abi3-manylinux_2_17_x86_64") < rank(
        LINUX, "cp38-abi3-manylinux_2_17_x86_64"
    )
    assert ("cp313", "abi3", "manylinux_2_17_x86_64") not in LINUX.tag_rank
    assert ("cp38", "cp38", "manylinux_2_17_x86_64") not in LINUX.tag_rank


def test_pure_python_tags_rank_below_every_platform_tag() -> None:
    platform_ranks = [r for (_, _, p), r in LINUX.tag_rank.items() if p != "any"]
    py3_any = rank(LINUX, "py3-none-any")
    assert py3_any > max(platform_ranks)
    assert rank(LINUX, "cp312-none-any") < rank(LINUX, "py312-none-any") < py3_any
    tail = LINUX.tags[-13:]  # after py3: py311 ... py30, packaging's order
    assert all(t.abi == "none" and t.platform == "any" for t in tail)
    assert ("py2", "none", "any") not in LINUX.tag_rank


def test_tag_rank_matches_the_tag_order() -> None:
    assert len(LINUX.tag_rank) == len(LINUX.tags)
    for position, tag in enumerate(LINUX.tags):
        assert LINUX.tag_rank[(tag.interpreter, tag.abi, tag.platform)] == position


def test_glibc_bounds_the_tags() -> None:
    old = Target.from_strings("3.12", "x86_64-linux", glibc="2.17")
    assert old.platform_tags[0] == "manylinux_2_17_x86_64"
    assert ("cp312", "cp312", "manylinux_2_28_x86_64") not in old.tag_rank


# -- darwin tags ------------------------------------------------------------------------------


def test_the_default_macos_floor_is_uvs() -> None:
    # uv pip compile --python-platform aarch64-apple-darwin assumes macOS 13.0
    assert Target.from_strings("3.12", "aarch64-darwin").platform_tags[0] == "macosx_13_0_arm64"
    assert Target.from_strings("3.12", "x86_64-darwin").platform_tags[0] == "macosx_13_0_x86_64"


def test_arm64_darwin_starts_at_macos_11() -> None:
    tags = Target.from_strings("3.12", "aarch64-darwin", macos="11.0").platform_tags
    assert tags[0] == "macosx_11_0_arm64"
    assert not any(re.match(r"macosx_10_\d+_arm64$", t) for t in tags)
    assert not any(t.endswith(("_x86_64", "_intel")) for t in tags)
    assert "macosx_10_9_universal2" in tags  # universal2 wheels carry an arm64 slice


def test_arm64_darwin_floor_is_macos_11_even_when_asked_lower() -> None:
    try:
        tags = Target.from_strings("3.12", "aarch64-darwin", macos="10.15").platform_tags
    except TargetError:
        return  # refusing the floor is as good as raising it
    assert not any(re.match(r"macosx_10_\d+_arm64$", t) for t in tags)


def test_x86_64_darwin_includes_macos_10() -> None:
    tags = Target.from_strings("3.12", "x86_64-darwin", macos="11.0").platform_tags
    assert tags[0] == "macosx_11_0_x86_64"
    assert "macosx_10_9_x86_64" in tags
    assert "macosx_10_16_x86_64" in tags
    assert "macosx_10_6_intel" in tags
    assert not any(t.endswith("_arm64") for t in tags)


def test_macos_floor_bounds_the_tags() -> None:
    tags = Target.from_strings("3.12", "aarch64-darwin", macos="14.0").platform_tags
    assert tags[0] == "macosx_14_0_arm64"
    assert "macosx_11_0_arm64" in tags
    assert "macosx_15_0_arm64" not in tags


def test_darwin_target_has_no_linux_tags() -> None:
    target = Target.from_strings("3.12", "x86_64-darwin")
    assert not any("linux" in t for t in target.platform_tags)
    assert target.tags[0] == Tag("cp312", "cp312", "macosx_13_0_x86_64")


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("2.7",), "unsupported Python version '2.7'"),
        (("3.7",), "unsupported Python version '3.7'"),
        (("4.0",), "unsupported Python version '4.0'"),
        (("3",), "invalid Python version '3'"),
        (("3.12.x",), "invalid Python version '3.12.x'"),
        (("",), "invalid Python version ''"),
        (("3.12", "x86_64-windows"), "unknown system 'x86_64-windows'"),
        (("3.12", "x86_64_linux"), "unknown system 'x86_64_linux'"),
        (("3.12", "x86_64-linux", "2.x"), "invalid glibc version '2.x'"),
        (("3.12", "x86_64-linux", "2"), "invalid glibc version '2'"),
        (("3.12", "aarch64-darwin", None, "eleven"), "invalid macOS version 'eleven'"),
    ],
)
def test_bad_target_input_is_one_line(args: tuple[str | None, ...], says: str) -> None:
    with pytest.raises(TargetError) as info:
        Target.from_strings(*args)  # type: ignore[arg-type]
    assert info.value.message.startswith(says)
    assert "\n" not in str(info.value)
    assert info.value.hint and "\n" not in info.value.hint


@pytest.mark.parametrize(
    ("args", "example"),
    [
        (("3.12", "x86_64-linux", "two"), "e.g. 2.28"),
        (("3.12", "aarch64-darwin", None, "eleven"), "e.g. 13.0"),
        (("3.12", "x86_64-linux", None, None, "one"), "e.g. 1.2"),
    ],
)
def test_a_bad_version_hint_gives_an_example_of_its_own_kind(
    args: tuple[str | None, ...], example: str
) -> None:
    """`--macos x` once said "e.g. 2.28", a glibc version."""
    with pytest.raises(TargetError) as info:
        Target.from_strings(*args)  # type: ignore[arg-type]
    assert info.value.hint is not None and info.value.hint.endswith(example)


def test_unknown_system_is_rejected_by_the_record_too() -> None:
    with pytest.raises(TargetError, match="unknown system 'riscv64-linux'"):
        Target(python=(3, 12, 0), system="riscv64-linux")  # type: ignore[arg-type]


def test_target_round_trips_through_json() -> None:
    for target in (LINUX, Target.from_strings("3.11.4", "aarch64-darwin", macos="12.0")):
        assert Target.from_json(target.to_json()) == target


def test_musl_targets_take_musllinux_wheels_only() -> None:
    target = Target.from_strings("3.12", "aarch64-linux", musl="1.2")
    assert target.platform_tags == (
        "musllinux_1_2_aarch64",
        "musllinux_1_1_aarch64",
        "musllinux_1_0_aarch64",
    )
    assert not any("manylinux" in t for t in target.platform_tags)
    assert target.describe() == "CPython 3.12.12 on aarch64-linux (musl 1.2)"
    assert target.to_json() == {"python": "3.12.12", "system": "aarch64-linux", "musl": "1.2"}
    assert Target.from_json(target.to_json()) == target
    assert target.marker_environment["sys_platform"] == "linux"


@pytest.mark.parametrize(("system", "glibc"), [("x86_64-linux", "2.28"), ("aarch64-darwin", None)])
def test_musl_needs_linux_and_no_glibc(system: str, glibc: str | None) -> None:
    with pytest.raises(TargetError) as caught:
        Target.from_strings("3.12", system, glibc=glibc, musl="1.2")
    assert caught.value.message == "--musl 1.2 needs a Linux system and no --glibc"
