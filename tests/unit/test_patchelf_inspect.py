"""The wheel inspector on generated ELF files zipped into wheels (no network, no compiler)."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from mach2.patchelf.scan import ElfInfo, ElfReadError, VersionNeed, inspect_wheel

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "patchelf"))
from elfgen import make_elf


def make_wheel(path: Path, members: dict[str, bytes], *, stored: bool = False) -> Path:
    compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("demo/", b"")
        for name, data in members.items():
            archive.writestr(name, data)
    return path


EXTENSION = make_elf(
    needed=["libdemo-1a2b3c4d.so.1", "libstdc++.so.6", "libc.so.6"],
    rpath="$ORIGIN/../demo.libs:/usr/local/lib64",
    version_needs={
        "libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.17"],
        "libstdc++.so.6": ["GLIBCXX_3.4.21"],
    },
)


def test_reads_dynamic_facts_and_finds_elf_by_magic(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path / "demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        {
            "demo/_ext.cpython-312-x86_64-linux-gnu.so": EXTENSION,
            "demo.libs/libdemo-1a2b3c4d.so.1": make_elf(
                soname="libdemo-1a2b3c4d.so.1", runpath="$ORIGIN"
            ),
            "demo/helper.bin": make_elf(interpreter="/lib64/ld-linux-x86-64.so.2", kind="exec"),
            "demo/not_elf.so": b"# a text file with a misleading name\n" * 10,
            "demo/tiny.so": b"\x7fELF",
            "demo/__init__.py": b"",
        },
    )
    result = inspect_wheel(wheel)
    assert result.filename == wheel.name
    assert [e.path for e in result.elfs] == [
        "demo/_ext.cpython-312-x86_64-linux-gnu.so",
        "demo.libs/libdemo-1a2b3c4d.so.1",
        "demo/helper.bin",
    ]
    assert "demo/not_elf.so" in result.members and "demo/" not in result.members
    ext, lib, helper = result.elfs
    assert ext == ElfInfo(
        path="demo/_ext.cpython-312-x86_64-linux-gnu.so",
        size=len(EXTENSION),
        machine="EM_X86_64",
        elf_type="ET_DYN",
        elf_class=64,
        needed=("libdemo-1a2b3c4d.so.1", "libstdc++.so.6", "libc.so.6"),
        rpath=("$ORIGIN/../demo.libs", "/usr/local/lib64"),
        version_needs=(
            VersionNeed("libc.so.6", ("GLIBC_2.2.5", "GLIBC_2.17")),
            VersionNeed("libstdc++.so.6", ("GLIBCXX_3.4.21",)),
        ),
    )
    assert (lib.soname, lib.runpath, lib.rpath) == ("libdemo-1a2b3c4d.so.1", ("$ORIGIN",), ())
    assert (helper.elf_type, helper.interpreter) == ("ET_EXEC", "/lib64/ld-linux-x86-64.so.2")
    assert result.elf_size == sum(e.size for e in result.elfs)
    assert 0 < result.probe_bytes <= 4096 * 3
    assert result.file_bytes  # compressed bytes read, headers and probes included


def test_never_inflates_what_lies_behind_the_dynamic_table(tmp_path: Path) -> None:
    big = make_elf(needed=["libz.so.1"], gap=300_000, tail=3_000_000)
    wheel = make_wheel(tmp_path / "big-1.0-py3-none-any.whl", {"big/_big.so": big})
    result = inspect_wheel(wheel)
    assert result.elfs[0].needed == ("libz.so.1",)
    assert result.elf_size == len(big)
    # Up to the end of the dynamic table, rounded up to one 64 KiB chunk.
    assert 300_000 < result.elf_bytes <= 300_000 + 2 * 65536
    assert result.file_bytes is not None and result.file_bytes < 1_000_000


def test_string_table_outside_the_kept_segment_is_inflated_again(tmp_path: Path) -> None:
    data = make_elf(needed=["libfoo.so.2"], soname="libbar.so.1", gap=200_000, split_load=True)
    wheel = make_wheel(tmp_path / "split-1.0-py3-none-any.whl", {"split/libbar.so.1": data})
    result = inspect_wheel(wheel)
    assert (result.elfs[0].needed, result.elfs[0].soname) == (("libfoo.so.2",), "libbar.so.1")
    assert result.elf_bytes > len(data)  # the second pass is counted


@pytest.mark.parametrize("stored", [False, True])
def test_accepts_open_files_and_zipfiles(tmp_path: Path, stored: bool) -> None:
    wheel = make_wheel(
        tmp_path / "demo-1.0-py3-none-any.whl", {"demo/_ext.so": EXTENSION}, stored=stored
    )
    expected = inspect_wheel(wheel).elfs
    assert inspect_wheel(io.BytesIO(wheel.read_bytes())).elfs == expected
    with zipfile.ZipFile(wheel) as archive:
        result = inspect_wheel(archive)
    assert result.elfs == expected and result.file_bytes is None


def test_static_and_foreign_files_are_described(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path / "demo-1.0-py3-none-any.whl",
        {"static": make_elf(dynamic=False, kind="exec"), "arm.so": make_elf(machine="aarch64")},
    )
    static, arm = inspect_wheel(wheel).elfs
    assert (static.dynamic, static.needed) == (False, ())
    assert arm.machine == "EM_AARCH64"


def test_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ElfReadError, match="not a readable zip file"):
        inspect_wheel(io.BytesIO(b"not a zip"))
    with pytest.raises(ElfReadError, match="cannot open wheel"):
        inspect_wheel(tmp_path / "missing.whl")
    broken = make_wheel(tmp_path / "b-1.0-py3-none-any.whl", {"b.so": b"\x7fELF" + b"\xff" * 100})
    with pytest.raises(ElfReadError) as caught:
        inspect_wheel(broken)
    assert "'b.so'" in str(caught.value) and "\n" not in str(caught.value)
