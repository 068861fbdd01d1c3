"""The pure planner on synthetic ElfInfo records: each classification rule, RUNPATHs, versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mach2.model.target import Target
from mach2.patchelf.plan import (
    CxxRuntime,
    Needed,
    PlanError,
    SiblingLibrary,
    WheelPatchPlan,
    install_path,
    plan,
    sibling_libraries,
)
from mach2.patchelf.scan import ElfInfo, VersionNeed, WheelInspection
from mach2.patchelf.sonames import SonameEntry, SonameMap, load_soname_map

TARGET = Target.from_strings("3.12", "x86_64-linux", "2.40")
SONAMES = load_soname_map()


def elf(path: str, *needed: str, **fields: Any) -> ElfInfo:
    base = {"size": 1000, "machine": "EM_X86_64", "elf_type": "ET_DYN", "elf_class": 64}
    return ElfInfo(path=path, needed=needed, **{**base, **fields})


def wheel(
    *elfs: ElfInfo, filename: str = "demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
) -> WheelInspection:
    return WheelInspection(
        filename=filename,
        members=tuple(e.path for e in elfs),
        elfs=elfs,
        elf_bytes=0,
        probe_bytes=0,
        elf_size=0,
    )


def make_plan(*elfs: ElfInfo, **options: Any) -> WheelPatchPlan:
    options.setdefault("target", TARGET)
    options.setdefault("soname_map", SONAMES)
    return plan(wheel(*elfs), **options)


def sources(result: WheelPatchPlan, path: str) -> dict[str, Needed]:
    file = next(f for f in result.files if f.path == path)
    return {n.soname: n for n in file.needed}


# -- rule 1: inside the wheel ---------------------------------------------------------------------


def test_vendored_hashed_library_reached_through_existing_rpath() -> None:
    result = make_plan(
        elf(
            "demo/_ext.so",
            "libgfortran-040039e1.so.5.0.0",
            "libc.so.6",
            rpath=("$ORIGIN/../demo.libs",),
        ),
        elf(
            "demo.libs/libgfortran-040039e1.so.5.0.0",
            "libz.so.1",
            soname="libgfortran-040039e1.so.5.0.0",
        ),
    )
    needed = sources(result, "demo/_ext.so")
    assert needed["libgfortran-040039e1.so.5.0.0"] == Needed(
        soname="libgfortran-040039e1.so.5.0.0",
        source="wheel",
        path="demo.libs/libgfortran-040039e1.so.5.0.0",
    )
    assert needed["libc.so.6"].source == "system"
    ext = result.files[0]
    assert ext.runpath == ("$ORIGIN/../demo.libs",) == ext.old_runpath
    assert ext.dropped == ()
    # The vendored library needs zlib from nixpkgs; its own RUNPATH gets only library dirs.
    assert sources(result, "demo.libs/libgfortran-040039e1.so.5.0.0")["libz.so.1"].attr == "zlib"
    assert result.attrs == ("zlib",)
    assert result.external == {"libc.so.6", "libz.so.1"}


def test_unreachable_vendored_library_gets_an_origin_entry() -> None:
    # hidapi/pygame: vendored libraries without RPATH relied on the extension's DT_RPATH chain.
    result = make_plan(
        elf("pkg/deep/er/_ext.so", "liba-1.so"),
        elf("pkg.libs/liba-1.so", "libb-2.so", soname="liba-1.so"),
        elf("pkg.libs/libb-2.so", soname="libb-2.so"),
    )
    assert result.files[0].runpath == ("$ORIGIN/../../../pkg.libs",)
    assert result.files[1].runpath == ("$ORIGIN",)
    assert result.files[2].runpath == ()


def test_odd_vendored_directory_and_two_entry_rpath_are_kept() -> None:
    result = make_plan(
        elf("rtmidi/_rtmidi.so", "libjack-5305d520.so.0.1.0", rpath=("$ORIGIN/../python_rtmidi.",)),
        elf("python_rtmidi./libjack-5305d520.so.0.1.0"),
        elf(
            "cv2/qt/plugins/platforms/libqxcb.so",
            "libQt5XcbQpa-1.so.5",
            rpath=("$ORIGIN/../../lib", "$ORIGIN/../../../../opencv_python.libs"),
        ),
        elf("opencv_python.libs/libQt5XcbQpa-1.so.5"),
    )
    assert result.files[0].runpath == ("$ORIGIN/../python_rtmidi.",)
    assert result.files[2].runpath == (
        "$ORIGIN/../../lib",
        "$ORIGIN/../../../../opencv_python.libs",
    )


def test_stale_absolute_and_cwd_relative_entries_are_dropped() -> None:
    result = make_plan(
        elf("shapely/_geos.so", "libc.so.6", runpath=("/usr/local/lib64", "lib", "${ORIGIN}/x")),
    )
    file = result.files[0]
    assert file.runpath == ("${ORIGIN}/x",)
    assert file.dropped == ("/usr/local/lib64", "lib")


def test_duplicate_copies_prefer_the_reachable_one_then_the_neighbour() -> None:
    # pyarrow ships libarrow.so.2600 twice (zip has no symlinks); scipy two libgfortran copies.
    result = make_plan(
        elf("pa/_lib.so", "libarrow.so.2600", runpath=("$ORIGIN",)),
        elf("other/libarrow.so.2600"),
        elf("pa/libarrow.so.2600"),
        elf("other/_mod.so", "libarrow.so.2600"),
    )
    assert sources(result, "pa/_lib.so")["libarrow.so.2600"].path == "pa/libarrow.so.2600"
    assert sources(result, "other/_mod.so")["libarrow.so.2600"].path == "other/libarrow.so.2600"
    assert result.files[0].runpath == ("$ORIGIN",)
    assert result.files[3].runpath == ("$ORIGIN",)


def test_library_found_only_by_soname_gets_a_symlink() -> None:
    result = make_plan(
        elf("pkg/_ext.so", "libfoo.so.1", rpath=("$ORIGIN",)),
        elf("pkg/libfoo.so", soname="libfoo.so.1"),
    )
    assert sources(result, "pkg/_ext.so")["libfoo.so.1"].path == "pkg/libfoo.so"
    assert [(link.path, link.target) for link in result.links] == [("pkg/libfoo.so.1", "libfoo.so")]


def test_data_directory_members_install_elsewhere() -> None:
    assert install_path("demo-1.0.data/platlib/demo/_x.so") == "demo/_x.so"
    assert install_path("demo-1.0.data/scripts/tool") == "../../../bin/tool"
    result = make_plan(
        elf("demo-1.0.data/scripts/tool", "libdemo.so", interpreter="/lib64/ld-linux-x86-64.so.2"),
        elf("demo.libs/libdemo.so"),
    )
    tool = result.files[0]
    assert tool.install == "../../../bin/tool"
    assert tool.runpath == ("$ORIGIN/../lib/python3.12/site-packages/demo.libs",)
    assert tool.interpreter == "/lib64/ld-linux-x86-64.so.2"


# -- rules 2 to 5 ---------------------------------------------------------------------------------


def test_sibling_wheel_supplies_a_library() -> None:
    cublas = wheel(
        elf("nvidia/cublas/lib/libcublas.so.12", soname="libcublas.so.12"),
        filename="nvidia_cublas_cu12-12.4.5.8-py3-none-manylinux2014_x86_64.whl",
    )
    siblings = sibling_libraries(cublas, "nvidia-cublas-cu12")
    assert siblings["libcublas.so.12"] == SiblingLibrary(
        "nvidia-cublas-cu12", "nvidia/cublas/lib/libcublas.so.12"
    )
    result = make_plan(
        elf("torch/lib/libtorch_cuda.so", "libcublas.so.12", "libcuda.so.1"), siblings=siblings
    )
    needed = sources(result, "torch/lib/libtorch_cuda.so")
    assert needed["libcublas.so.12"].source == "sibling"
    assert needed["libcublas.so.12"].package == "nvidia-cublas-cu12"
    assert result.siblings == ("nvidia-cublas-cu12",)
    assert needed["libcuda.so.1"].source == "unresolved"
    assert "GPU driver" in (needed["libcuda.so.1"].reason or "")


@pytest.mark.parametrize(
    "soname",
    [
        "libc.so.6",
        "libpthread.so.0",
        "ld-linux-x86-64.so.2",
        "libpython3.12.so.1.0",
        "libutil.so.1",
    ],
)
def test_glibc_and_interpreter_are_system(soname: str) -> None:
    assert sources(make_plan(elf("m.so", soname)), "m.so")[soname].source == "system"


@pytest.mark.parametrize(
    ("soname", "attr"),
    [
        ("libz.so.1", "zlib"),
        ("libstdc++.so.6", "stdenv.cc.cc.lib"),
        ("libgcc_s.so.1", "stdenv.cc.cc.lib"),
        ("libxcb.so.1", "xorg.libxcb"),
        ("libodbc.so.2", "unixODBC"),
        ("libasound.so.2", "alsa-lib"),
        ("libGL.so.1", "libGL"),
        ("libudev.so.1", "udev"),
    ],
)
def test_soname_map_names_the_nixpkgs_attribute(soname: str, attr: str) -> None:
    needed = sources(make_plan(elf("m.so", soname)), "m.so")[soname]
    assert (needed.source, needed.attr) == ("nixpkgs", attr)


def test_unknown_version_of_a_known_library_says_which_versions_exist() -> None:
    needed = sources(make_plan(elf("m.so", "libssl.so.1.1")), "m.so")["libssl.so.1.1"]
    assert needed.source == "unresolved"
    assert needed.reason == "no nixpkgs package known for this version (openssl has libssl.so.3)"


def test_unknown_soname_is_unresolved_and_user_map_resolves_it() -> None:
    needed = sources(make_plan(elf("m.so", "libfoo.so.7")), "m.so")["libfoo.so.7"]
    assert (needed.source, needed.reason) == (
        "unresolved",
        "no nixpkgs package known for this soname",
    )
    user = SONAMES.merged({"libfoo.so.7": "foo", "libz.so.1": "zlib-ng"})
    result = make_plan(elf("m.so", "libfoo.so.7", "libz.so.1"), soname_map=user)
    assert result.attrs == ("foo", "zlib-ng")
    assert user.lookup("libfoo.so.7") == SonameEntry("foo", ("user",))
    assert result.unresolved == ()


def test_wheel_beats_map_and_sibling_beats_map() -> None:
    result = make_plan(
        elf("pkg/_ext.so", "libstdc++.so.6", "libz.so.1", rpath=("$ORIGIN",)),
        elf("pkg/libstdc++.so.6"),
        siblings={"libz.so.1": SiblingLibrary("zlib-wheel", "zlib_wheel/libz.so.1")},
    )
    needed = sources(result, "pkg/_ext.so")
    assert needed["libstdc++.so.6"].source == "wheel"
    assert needed["libz.so.1"].source == "sibling"


def test_foreign_static_and_object_files_are_skipped() -> None:
    result = make_plan(
        elf("a.so", "libc.so.6", machine="EM_AARCH64"),
        elf("b.o", elf_type="ET_REL"),
        elf("c", dynamic=False, elf_type="ET_EXEC"),
        elf("d.so", "libc.so.6"),
    )
    assert [f.path for f in result.files] == ["d.so"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("a.so", "EM_AARCH64 code does not run on x86_64-linux"),
        ("b.o", "ET_REL file (not loaded by the dynamic loader)"),
        ("c", "statically linked"),
    ]


# -- symbol versions ------------------------------------------------------------------------------


def versioned() -> tuple[ElfInfo, ...]:
    return (
        elf(
            "pkg/_ext.so",
            "libstdc++.so.6",
            "libc.so.6",
            "libvendored.so",
            rpath=("$ORIGIN",),
            version_needs=(
                VersionNeed("libstdc++.so.6", ("GLIBCXX_3.4.22", "CXXABI_1.3.9", "GLIBCXX_3.4")),
                VersionNeed("libc.so.6", ("GLIBC_2.2.5", "GLIBC_2.28", "GLIBC_PRIVATE")),
                VersionNeed("libvendored.so", ("GLIBC_9.99",)),  # inside the wheel: not checked
            ),
        ),
        elf("pkg/libvendored.so"),
    )


def test_newest_symbol_versions_needed_from_outside() -> None:
    result = make_plan(*versioned())
    assert dict(result.symbol_versions) == {"CXXABI": "1.3.9", "GLIBC": "2.28", "GLIBCXX": "3.4.22"}
    assert result.problems == ()


def test_too_old_glibc_and_libstdcxx_are_problems() -> None:
    old = Target.from_strings("3.12", "x86_64-linux", "2.27")
    cxx = CxxRuntime(gcc=5, glibcxx=(3, 4, 21), cxxabi=(1, 3, 9), libgcc=(7, 0, 0))
    result = make_plan(*versioned(), target=old, cxx=cxx)
    assert [p.message for p in result.problems] == [
        "pkg/_ext.so needs GLIBCXX_3.4.22 from libstdc++.so.6, the target has GLIBCXX_3.4.21",
        "pkg/_ext.so needs GLIBC_2.28 from libc.so.6, the target has GLIBC_2.27",
    ]


def test_cxx_runtime_table() -> None:
    assert CxxRuntime.for_gcc(14).glibcxx == (3, 4, 33)
    with pytest.raises(ValueError, match="gcc 9"):
        CxxRuntime.for_gcc(9)


# -- JSON ------------------------------------------------------------------------------------------


def full_plan() -> WheelPatchPlan:
    return make_plan(
        *versioned(),
        elf("shapely/_geos.so", "libc.so.6", "libfoo.so.7", runpath=("/usr/local/lib64",)),
        elf("t/_t.so", "libcublas.so.12", "libfoo.so", rpath=("$ORIGIN",)),
        elf("t/libfoo", soname="libfoo.so"),
        elf("x.o", elf_type="ET_REL"),
        siblings={
            "libcublas.so.12": SiblingLibrary(
                "nvidia-cublas-cu12", "nvidia/cublas/lib/libcublas.so.12"
            )
        },
        target=Target.from_strings("3.12", "x86_64-linux", "2.17"),
        sha256="ab" * 32,
    )


def test_json_round_trip_keeps_everything() -> None:
    original = full_plan()
    assert original.problems and original.skipped and original.links and original.unresolved
    data = json.loads(json.dumps(original.to_json()))
    assert WheelPatchPlan.from_json(data) == original
    assert data["attrs"] == ["stdenv.cc.cc.lib"]
    assert data["siblings"] == ["nvidia-cublas-cu12"]
    assert data["name"] == "demo" and data["version"] == "1.0"


def test_json_lists_soname_and_source_per_file() -> None:
    data: Any = full_plan().to_json()
    files = {f["path"]: f for f in data["files"]}
    assert files["shapely/_geos.so"]["needed"] == [
        {"soname": "libc.so.6", "source": "system"},
        {
            "soname": "libfoo.so.7",
            "source": "unresolved",
            "reason": "no nixpkgs package known for this soname",
        },
    ]
    assert files["shapely/_geos.so"]["old_runpath"] == ["/usr/local/lib64"]
    assert files["shapely/_geos.so"]["runpath"] == []
    assert {"soname": "libstdc++.so.6", "source": "nixpkgs", "attr": "stdenv.cc.cc.lib"} in files[
        "pkg/_ext.so"
    ]["needed"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format=9), "plan.format: unknown patch plan format 9"),
        (lambda d: d.pop("name"), "plan.name: expected str, got None"),
        (lambda d: d["files"][0].update(runpath="$ORIGIN"), "plan.files[0].runpath: expected list"),
        (
            lambda d: d["files"][0]["needed"][0].update(source="conda"),
            "plan.files[0].needed[0].source: unknown source 'conda'",
        ),
        (
            lambda d: d["files"][0]["needed"][0].pop("attr"),
            "plan.files[0].needed[0].attr: missing for source 'nixpkgs'",
        ),
    ],
)
def test_malformed_json_names_the_field(mutate: Callable[[Any], object], message: str) -> None:
    data = json.loads(json.dumps(full_plan().to_json()))
    mutate(data)
    with pytest.raises(PlanError) as caught:
        WheelPatchPlan.from_json(data)
    assert caught.value.message.startswith(message)
    assert "\n" not in str(caught.value)


def test_name_and_version_come_from_the_wheel_filename() -> None:
    result = plan(
        wheel(elf("a.so"), filename="python_rtmidi-1.5.8-cp312-cp312-manylinux_2_28_x86_64.whl"),
        target=TARGET,
        soname_map=SonameMap(version="test"),
    )
    assert (result.name, result.version, result.soname_map) == ("python-rtmidi", "1.5.8", "test")
