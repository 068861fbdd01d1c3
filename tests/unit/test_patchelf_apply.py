"""apply.py with a recording runner: the RUNPATH it computes, what it refuses, the script."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mach2.errors import ArtifactError
from mach2.model.target import Target
from mach2.nix import patchelf_apply as apply_module
from mach2.nix.patchelf_apply import (
    DRIVER_RUNPATH,
    Action,
    ApplyError,
    apply_plan,
    main,
    plan_actions,
)
from mach2.patchelf.plan import SiblingLibrary, WheelPatchPlan, plan
from mach2.patchelf.scan import ElfInfo, WheelInspection
from mach2.patchelf.sonames import load_soname_map


def elf(path: str, *needed: str, **fields: Any) -> ElfInfo:
    base = {"size": 1, "machine": "EM_X86_64", "elf_type": "ET_DYN", "elf_class": 64}
    return ElfInfo(path=path, needed=needed, **{**base, **fields})


ELFS = (
    elf(
        "demo/_ext.so",
        "libvend-1.so",
        "libz.so.1",
        "libstdc++.so.6",
        "libc.so.6",
        rpath=("$ORIGIN/../demo.libs",),
    ),
    elf("demo.libs/libvend-1.so", "libc.so.6", rpath=("$ORIGIN",)),
    elf("demo/_geos.so", "libc.so.6", runpath=("/usr/local/lib64",)),
    elf("demo/_gpu.so", "libcuda.so.1", "libcublas.so.12", "libfoo.so", rpath=("$ORIGIN",)),
    elf("demo/libfoo", soname="libfoo.so"),
    elf("demo-1.0.data/scripts/tool", "libz.so.1", interpreter="/lib64/ld-linux-x86-64.so.2"),
)


def make_plan() -> Any:
    inspection = WheelInspection(
        filename="demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        members=tuple(e.path for e in ELFS),
        elfs=ELFS,
        elf_bytes=0,
        probe_bytes=0,
        elf_size=0,
    )
    result = plan(
        inspection,
        target=Target.from_strings("3.12"),
        soname_map=load_soname_map(),
        siblings={
            "libcublas.so.12": SiblingLibrary(
                "nvidia-cublas-cu12", "nvidia/cublas/lib/libcublas.so.12"
            )
        },
    )
    return json.loads(json.dumps(result.to_json()))


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """An installed wheel, two nixpkgs library directories and a sibling."""
    site = tmp_path / "prefix/lib/python3.12/site-packages"
    for e in ELFS:
        target = site / e.path.replace("demo-1.0.data/scripts/", "../../../bin/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"\x7fELF")
    zlib, gcc = tmp_path / "zlib/lib", tmp_path / "gcc-lib/lib"
    for directory, names in ((zlib, ["libz.so.1"]), (gcc, ["libstdc++.so.6", "libgcc_s.so.1"])):
        directory.mkdir(parents=True)
        for name in names:
            (directory / name).write_bytes(b"")
    sibling = tmp_path / "cublas/site-packages"
    (sibling / "nvidia/cublas/lib").mkdir(parents=True)
    (sibling / "nvidia/cublas/lib/libcublas.so.12").write_bytes(b"")
    return {"site": site, "zlib": zlib, "gcc": gcc, "sibling": sibling}


def run_apply(tree: dict[str, Path], **options: Any) -> tuple[list[Action], list[list[str]]]:
    commands: list[list[str]] = []
    options.setdefault("library_path", [str(tree["zlib"]), str(tree["gcc"])])
    options.setdefault("siblings", {"nvidia-cublas-cu12": str(tree["sibling"])})
    actions = apply_plan(make_plan(), tree["site"], run=commands.append, **options)
    return actions, commands


def test_runpaths_point_at_library_directories(tree: dict[str, Path]) -> None:
    actions, commands = run_apply(tree, interpreter="/nix/store/glibc/lib/ld-linux-x86-64.so.2")
    site = tree["site"]
    by_file = {os.path.relpath(a.path, site): a for a in actions}
    # demo.libs/libvend-1.so already has the right RPATH: left alone.
    assert sorted(by_file) == ["../../../bin/tool", "demo/_ext.so", "demo/_geos.so", "demo/_gpu.so"]
    ext = by_file["demo/_ext.so"]
    assert ext.runpath == ("$ORIGIN/../demo.libs", str(tree["zlib"]), str(tree["gcc"]))
    assert by_file["demo/_geos.so"].runpath == ()  # the stale path is dropped
    gpu = by_file["demo/_gpu.so"]
    assert gpu.runpath == ("$ORIGIN", DRIVER_RUNPATH, f"{tree['sibling']}/nvidia/cublas/lib")
    tool = by_file["../../../bin/tool"]
    assert tool.interpreter == "/nix/store/glibc/lib/ld-linux-x86-64.so.2"
    assert tool.runpath == (str(tree["zlib"]),)
    assert ["patchelf", "--remove-rpath", str(site / "demo/_geos.so")] in commands
    assert (site / "demo/libfoo.so").is_symlink()


def test_missing_library_names_package_file_soname_and_fix(tree: dict[str, Path]) -> None:
    with pytest.raises(ApplyError) as caught:
        run_apply(tree, library_path=[str(tree["gcc"])])
    error = caught.value
    assert [(m.soname, m.path) for m in error.missing] == [
        ("libz.so.1", "demo/_ext.so"),
        ("libz.so.1", "../../../bin/tool"),
    ]
    assert error.message == (
        "demo: no library found for libz.so.1 "
        "(needed by demo/_ext.so and 1 more; nixpkgs attribute zlib)"
    )
    assert error.hint is not None and "`_.demo.buildInputs.add = [ pkgs.zlib ];`" in error.hint
    assert "\n" not in str(error)
    assert isinstance(error, ArtifactError)  # a Mach2Error when mach2 is importable


def test_unresolved_soname_is_found_in_user_library_path_or_fails(tree: dict[str, Path]) -> None:
    data = make_plan()
    data["files"][0]["needed"].append(
        {"soname": "libodbc.so.2", "source": "unresolved", "reason": "no nixpkgs package known"}
    )
    odbc = tree["zlib"].parent.parent / "unixODBC/lib"
    odbc.mkdir(parents=True)
    siblings = {"nvidia-cublas-cu12": str(tree["sibling"])}
    library_path = [str(tree["zlib"]), str(tree["gcc"])]
    with pytest.raises(
        ApplyError, match=r"libodbc.so.2 \(needed by demo/_ext.so; no nixpkgs package known\)"
    ):
        plan_actions(data, tree["site"], library_path=library_path, siblings=siblings)
    (odbc / "libodbc.so.2").write_bytes(b"")  # `_.demo.buildInputs.add = [ pkgs.unixODBC ]`
    plan_actions(data, tree["site"], library_path=[*library_path, str(odbc)], siblings=siblings)


def test_host_libraries_need_the_allow_list(tree: dict[str, Path]) -> None:
    with pytest.raises(ApplyError) as caught:
        run_apply(tree, allow=())
    assert [m.soname for m in caught.value.missing] == ["libcuda.so.1"]
    actions, _ = run_apply(tree, driver_runpath=None)
    gpu = next(a for a in actions if a.path.name == "_gpu.so")
    assert DRIVER_RUNPATH not in (gpu.runpath or ())


def test_sibling_must_be_given(tree: dict[str, Path]) -> None:
    with pytest.raises(ApplyError, match="pass --sibling nvidia-cublas-cu12="):
        run_apply(tree, siblings={})


def test_plan_for_another_wheel_is_refused(tree: dict[str, Path]) -> None:
    for path in list(tree["site"].parent.parent.parent.rglob("*")):
        if path.is_file():
            path.unlink()
    with pytest.raises(ApplyError) as caught:
        run_apply(tree)
    assert caught.value.message.startswith("demo: none of the 6 files of the patch plan is in ")
    assert caught.value.hint == "the plan belongs to another wheel or target; lock again"


def test_files_removed_before_the_plan_runs_are_skipped(tree: dict[str, Path]) -> None:
    # The user removed the files that need libz.so.1 (`_.demo.postInstall = "rm ..."`, the
    # way out of a library nothing supplies): the rest is patched, zlib is not needed, and
    # the note says what was skipped (issue 14 item 3: not "the plan belongs to another wheel").
    (tree["site"] / "demo/_ext.so").unlink()
    (tree["site"] / "../../../bin/tool").unlink()
    actions, commands = run_apply(tree, library_path=[str(tree["gcc"])])
    removed = sorted(os.path.relpath(a.path, tree["site"]) for a in actions if a.removed)
    assert removed == ["../../../bin/tool", "demo/_ext.so"]
    assert all(command[-1].endswith(("_geos.so", "_gpu.so")) for command in commands)
    note = apply_module._describe(next(a for a in actions if a.removed), str(tree["site"]))
    assert (
        note.startswith("patchelf: ") and "not patched: removed before the patch plan ran" in note
    )


def test_read_only_files_are_patched_and_keep_their_mode(tree: dict[str, Path]) -> None:
    path = tree["site"] / "demo/_geos.so"
    path.chmod(0o444)
    seen: list[int] = []
    apply_plan(
        make_plan(),
        tree["site"],
        library_path=[str(tree["zlib"]), str(tree["gcc"])],
        siblings={"nvidia-cublas-cu12": str(tree["sibling"])},
        run=lambda command: (
            seen.append(Path(command[-1]).stat().st_mode) if command[-1] == str(path) else None
        ),
    )
    assert seen and seen[0] & stat.S_IWUSR
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_plan_actions_changes_nothing(tree: dict[str, Path]) -> None:
    plan_actions(
        make_plan(),
        tree["site"],
        library_path=[str(tree["zlib"]), str(tree["gcc"])],
        siblings={"nvidia-cublas-cu12": str(tree["sibling"])},
    )
    assert not (tree["site"] / "demo/libfoo.so").exists()


def script_args(tree: dict[str, Path], plan_file: Path, *, zlib: bool = True) -> list[str]:
    library_path = f"{tree['zlib']}:{tree['gcc']}" if zlib else str(tree["gcc"])
    return [
        *("--plan", str(plan_file), "--site-packages", str(tree["site"])),
        *("--library-path", library_path, "--sibling", f"nvidia-cublas-cu12={tree['sibling']}"),
    ]


def test_main_dry_run_and_errors(
    tree: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(make_plan()))
    assert main([*script_args(tree, plan_file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"patchelf --remove-rpath {tree['site']}/demo/_geos.so" in out
    assert main([*script_args(tree, plan_file, zlib=False), "--dry-run"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: demo: no library found for libz.so.1")
    assert err[1].startswith("hint: add it in Nix")


def test_script_runs_without_mach2_or_site_packages(tree: dict[str, Path], tmp_path: Path) -> None:
    """The Nix library copies apply.py into builds where only the standard library exists."""
    script = tmp_path / "copy" / "apply.py"
    script.parent.mkdir()
    shutil.copy(apply_module.__file__, script)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(make_plan()))
    python = [sys.executable, "-I", "-S", str(script), "--dry-run"]
    done = subprocess.run([*python, *script_args(tree, plan_file)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--set-rpath $ORIGIN/../demo.libs:" in done.stdout
    failed = subprocess.run(
        [*python, *script_args(tree, plan_file, zlib=False)], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: demo: no library found for libz.so.1")


def test_plan_json_shape_is_what_apply_reads() -> None:
    data = make_plan()
    assert WheelPatchPlan.from_json(data).to_json() == data
