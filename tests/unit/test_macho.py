"""Mach-O: reading load commands out of a wheel (thin and fat files, made here byte by byte
after Apple's mach-o/loader.h and fat.h), the plan of outside links, and the lock's ``macho``
field.  A real PyPI wheel is read in tests/functional/test_macho_live.py."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

from mach2.lock.macho import MachoInspectionCache, add_macho_plans
from mach2.lock.model import LockedArtifact, LockedPackage
from mach2.macho import MachoReadError, dylib_attr, inspect_macho_wheel, plan, read_macho
from mach2.macho.scan import LC_ID_DYLIB, LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_RPATH
from mach2.model.target import Target
from mach2.patchelf import SonameEntry, load_soname_map

ARM64, X86_64 = 0x0100000C, 0x01000007
BUNDLE, DYLIB = 8, 6
ARM_MAC = Target.from_strings("3.12", "aarch64-darwin")
INTEL_MAC = Target.from_strings("3.12", "x86_64-darwin")


def _command(cmd: int, text: str, *, dylib: bool) -> bytes:
    """A dylib_command (name at offset 24) or an rpath_command (path at offset 12)."""
    head = 24 if dylib else 12
    name = text.encode() + b"\0"
    size = (head + len(name) + 7) // 8 * 8
    fields = struct.pack("<II", cmd, size) + struct.pack("<I", head)
    if dylib:
        fields += struct.pack("<III", 2, 0x10000, 0x10000)
    return (fields + name).ljust(size, b"\0")


def macho(
    cpu: int = ARM64,
    *,
    filetype: int = BUNDLE,
    libraries: tuple[str, ...] = ("/usr/lib/libSystem.B.dylib",),
    weak: tuple[str, ...] = (),
    rpaths: tuple[str, ...] = (),
    install_name: str | None = None,
    body: bytes = b"\0" * 64,
) -> bytes:
    """A 64-bit little-endian Mach-O file with these load commands."""
    commands = [_command(LC_LOAD_DYLIB, lib, dylib=True) for lib in libraries]
    commands += [_command(LC_LOAD_WEAK_DYLIB, lib, dylib=True) for lib in weak]
    commands += [_command(LC_RPATH, path, dylib=False) for path in rpaths]
    if install_name is not None:
        commands.append(_command(LC_ID_DYLIB, install_name, dylib=True))
    data = b"".join(commands)
    header = struct.pack("<IiiIIIII", 0xFEEDFACF, cpu, 0, filetype, len(commands), len(data), 0, 0)
    return header + data + body


def fat(*slices: bytes, align: int = 4096) -> bytes:
    """A universal (fat) file: the big-endian header, then each slice at an aligned offset."""
    table, blobs, offset = b"", b"", align
    for part in slices:
        cpu = struct.unpack_from("<i", part, 4)[0]
        table += struct.pack(">iiIII", cpu, 0, offset, len(part), 12)
        blobs += part.ljust((len(part) + align - 1) // align * align, b"\0")
        offset += (len(part) + align - 1) // align * align
    head = struct.pack(">II", 0xCAFEBABE, len(slices)) + table
    return head.ljust(align, b"\0") + blobs


def wheel(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def inspect(members: dict[str, bytes]):  # type: ignore[no-untyped-def]
    return inspect_macho_wheel(io.BytesIO(wheel(members)))


SONAMES = load_soname_map()


# -- reading ---------------------------------------------------------------------------------


def test_a_thin_file_and_its_load_commands() -> None:
    data = macho(
        libraries=("@rpath/libomp.dylib", "/usr/lib/libc++.1.dylib"),
        weak=("/opt/x/libweak.dylib",),
        rpaths=("/opt/homebrew/opt/libomp/lib", "@loader_path/../.dylibs"),
        install_name="@rpath/lib_thing.dylib",
        filetype=DYLIB,
    )
    found = read_macho(io.BytesIO(data), "pkg/lib_thing.dylib")
    assert found is not None
    (only,) = found.slices
    assert only.arch == "arm64" and only.filetype == "dylib"
    assert only.libraries == (
        "@rpath/libomp.dylib",
        "/usr/lib/libc++.1.dylib",
        "/opt/x/libweak.dylib",
    )
    assert only.weak == ("/opt/x/libweak.dylib",)
    assert only.rpaths == ("/opt/homebrew/opt/libomp/lib", "@loader_path/../.dylibs")
    assert only.install_name == "@rpath/lib_thing.dylib"


def test_a_fat_file_has_a_slice_per_architecture() -> None:
    data = fat(
        macho(X86_64, libraries=("/usr/local/lib/libintel.dylib",)),
        macho(ARM64, libraries=("/opt/homebrew/lib/libarm.dylib",)),
    )
    found = read_macho(io.BytesIO(data), "m.so")
    assert found is not None
    assert [s.arch for s in found.slices] == ["x86_64", "arm64"]
    assert found.slice_for("arm64").libraries == ("/opt/homebrew/lib/libarm.dylib",)  # type: ignore[union-attr]


def test_members_are_found_by_magic_not_name() -> None:
    inspection = inspect(
        {
            "pkg/__init__.py": b"print('hi')\n" * 10,
            "pkg/_ext.so": macho(),
            "pkg/oddly-named.bin": macho(X86_64),
            "pkg/Thing.class": b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\0" * 64,  # Java, not fat
            "pkg-1.0.dist-info/RECORD": b"",
        }
    )
    assert [f.path for f in inspection.files] == ["pkg/_ext.so", "pkg/oddly-named.bin"]
    assert "pkg/__init__.py" in inspection.members


@pytest.mark.parametrize("cut", [40, 60])
def test_a_truncated_file_is_an_error_naming_it(cut: int) -> None:
    data = macho(libraries=("/usr/lib/libSystem.B.dylib", "@rpath/libfoo.dylib"))
    with pytest.raises(MachoReadError, match=r"pkg/_ext\.so: Mach-O file ends early"):
        inspect({"pkg/_ext.so": data[:cut]})


def test_a_wheel_that_is_not_a_zip() -> None:
    with pytest.raises(MachoReadError, match="not a readable wheel"):
        inspect_macho_wheel(io.BytesIO(b"nope"))


# -- planning --------------------------------------------------------------------------------


def test_a_self_contained_wheel_has_no_plan() -> None:
    inspection = inspect(
        {
            "PIL/_imaging.so": macho(
                libraries=("@loader_path/.dylibs/libjpeg.62.dylib", "/usr/lib/libSystem.B.dylib")
            ),
            "PIL/.dylibs/libjpeg.62.dylib": macho(filetype=DYLIB),
            "numpy/_core/_multiarray.so": macho(
                libraries=(
                    "@rpath/libopenblas.dylib",
                    "/System/Library/Frameworks/Accelerate.framework/Versions/A/Accelerate",
                ),
                rpaths=("@loader_path/../.dylibs",),
            ),
            "numpy/.dylibs/libopenblas.dylib": macho(filetype=DYLIB),
            "x/uses_python.so": macho(libraries=("@rpath/libpython3.12.dylib",)),
        }
    )
    assert plan(inspection, target=ARM_MAC, soname_map=SONAMES) is None


def test_outside_links_name_the_nixpkgs_attribute_or_why_not() -> None:
    inspection = inspect(
        {
            "lightgbm/lib/lib_lightgbm.dylib": macho(
                filetype=DYLIB,
                libraries=("@rpath/libomp.dylib", "/usr/lib/libc++.1.dylib"),
                rpaths=("/opt/homebrew/opt/libomp/lib",),
            ),
            "pkg/_z.so": macho(libraries=("/usr/local/opt/zlib/lib/libz.1.dylib",)),
            "pkg/_odd.so": macho(libraries=("libmystery.3.dylib",), weak=("/opt/x/libopt.dylib",)),
        }
    )
    result = plan(inspection, target=ARM_MAC, soname_map=SONAMES)
    assert result is not None and result.arch == "arm64"
    assert [link.to_json() for link in result.links] == [
        {"file": "lightgbm/lib/lib_lightgbm.dylib", "library": "@rpath/libomp.dylib",
         "attr": "llvmPackages.openmp"},
        {"file": "pkg/_z.so", "library": "/usr/local/opt/zlib/lib/libz.1.dylib", "attr": "zlib"},
        {"file": "pkg/_odd.so", "library": "libmystery.3.dylib",
         "unresolved": "a bare name dyld looks up in /usr/local/lib, not part of macOS, and no "
         "nixpkgs package is known for libmystery.3.dylib (add one with --soname-map)"},
        {"file": "pkg/_odd.so", "library": "/opt/x/libopt.dylib",
         "unresolved": "outside the wheel, not part of macOS, and no nixpkgs package is known "
         "for libopt.dylib (add one with --soname-map)", "weak": True},
    ]  # fmt: skip
    assert result.attrs == ("llvmPackages.openmp", "zlib")


def test_a_sibling_wheels_library_is_not_outside() -> None:
    inspection = inspect(
        {
            "torchaudio/lib/_torchaudio.so": macho(
                libraries=("@rpath/libtorch.dylib",), rpaths=("@loader_path/../../torch/lib",)
            )
        }
    )
    assert plan(inspection, target=ARM_MAC, soname_map=SONAMES) is not None
    assert (
        plan(inspection, target=ARM_MAC, soname_map=SONAMES, siblings=["torch/lib/libtorch.dylib"])
        is None
    )


def test_the_targets_architecture_decides_the_slice() -> None:
    inspection = inspect(
        {
            "pkg/_m.so": fat(
                macho(X86_64, libraries=("/usr/local/opt/libomp/lib/libomp.dylib",)),
                macho(ARM64),
            )
        }
    )
    assert plan(inspection, target=ARM_MAC, soname_map=SONAMES) is None
    intel = plan(inspection, target=INTEL_MAC, soname_map=SONAMES)
    assert intel is not None and intel.arch == "x86_64"
    assert intel.links[0].attr == "llvmPackages.openmp"


def test_a_file_without_the_targets_architecture_is_unresolved() -> None:
    inspection = inspect({"pkg/_m.so": macho(X86_64)})
    result = plan(inspection, target=ARM_MAC, soname_map=SONAMES)
    assert result is not None
    assert result.links[0].unresolved == (
        "has no arm64 code (it has x86_64), so it cannot load on aarch64-darwin"
    )


def test_dylib_names_through_the_soname_map() -> None:
    assert dylib_attr("libssl.3.dylib", SONAMES) == "openssl"
    assert dylib_attr("libz.dylib", SONAMES) == "zlib"
    assert dylib_attr("libgfortran.5.dylib", SONAMES) == "gfortran.cc.lib"
    assert dylib_attr("libstdc++.6.dylib", SONAMES) is None  # gcc's on Linux, not clang's
    assert dylib_attr("not-a-dylib", SONAMES) is None
    user = SONAMES.merged({"libmystery.3.dylib": SonameEntry("mystery", ("user",))})
    assert dylib_attr("libmystery.3.dylib", user) == "mystery"


def test_a_library_the_user_ignores_is_not_outside() -> None:
    inspection = inspect({"pkg/_odd.so": macho(libraries=("libmystery.3.dylib",))})
    assert plan(inspection, target=ARM_MAC, soname_map=SONAMES) is not None
    ignoring = SONAMES.merged({"libmystery.3.dylib": None})
    assert plan(inspection, target=ARM_MAC, soname_map=ignoring) is None


def test_unresolved_links_are_reported_like_sonames() -> None:
    from mach2.lock.macho import unresolved_links

    inspection = inspect(
        {"pkg/_odd.so": macho(libraries=("libmystery.3.dylib", "@rpath/libomp.dylib"),
                              weak=("/opt/x/libw.dylib",))}
    )  # fmt: skip
    found = plan(inspection, target=ARM_MAC, soname_map=SONAMES)
    assert found is not None
    package = LockedPackage(
        key="odd", name="odd", version="1.0", provider="wheel", why_provider="test",
        artifact=LockedArtifact(kind="wheel"), extra={"macho": found.to_json()},
    )  # fmt: skip
    (item,) = unresolved_links({"odd": package})
    assert item.soname == "libmystery.3.dylib" and item.files == ("pkg/_odd.so",)
    assert item.describe().startswith(
        "odd 1.0: no library for libmystery.3.dylib (needed by pkg/_odd.so; a bare name"
    )


# -- the lock ----------------------------------------------------------------------------------


def _package(
    tmp_path: Path, name: str, members: dict[str, bytes], deps: dict[str, str]
) -> tuple[LockedPackage, Path]:
    path = tmp_path / f"{name}-1.0-cp312-cp312-macosx_11_0_arm64.whl"
    path.write_bytes(wheel(members))
    package = LockedPackage(
        key=name,
        name=name,
        version="1.0",
        provider="wheel",
        why_provider="test",
        artifact=LockedArtifact(kind="wheel", filename=path.name, url=f"https://x/{path.name}",
                                sha256=(name * 64)[:64].encode().hex()[:64]),
        dependencies=deps,
    )  # fmt: skip
    return package, path


def test_the_lock_gets_a_macho_field_only_for_outside_links(tmp_path: Path) -> None:
    omp, omp_path = _package(
        tmp_path, "lightgbm", {"lightgbm/lib.dylib": macho(libraries=("@rpath/libomp.dylib",))}, {}
    )
    torch, torch_path = _package(
        tmp_path, "torch", {"torch/lib/libtorch.dylib": macho(filetype=DYLIB)}, {}
    )
    audio, audio_path = _package(
        tmp_path,
        "torchaudio",
        {
            "torchaudio/_a.so": macho(
                libraries=("@rpath/libtorch.dylib",), rpaths=("@loader_path/../torch/lib",)
            )
        },
        {"torch": "torch"},
    )
    paths = {"lightgbm": omp_path, "torch": torch_path, "torchaudio": audio_path}
    downloads: list[str] = []

    def download(package: LockedPackage) -> Path:
        downloads.append(package.key)
        return paths[package.key]

    packages = {p.key: p for p in (omp, torch, audio)}
    cache = MachoInspectionCache(tmp_path / "cache")
    result = add_macho_plans(
        packages, target=ARM_MAC, download=download, soname_map=SONAMES, cache=cache
    )
    assert result["lightgbm"].extra["macho"] == {
        "format": 1,
        "arch": "arm64",
        "links": [{"file": "lightgbm/lib.dylib", "library": "@rpath/libomp.dylib",
                   "attr": "llvmPackages.openmp"}],
    }  # fmt: skip
    assert "macho" not in result["torch"].extra and "macho" not in result["torchaudio"].extra
    # warm: read from the inspection cache, no wheel opened
    downloads.clear()
    again = add_macho_plans(
        packages, target=ARM_MAC, download=download, soname_map=SONAMES, cache=cache
    )
    assert again == result and downloads == []
    cached = json.loads(next((tmp_path / "cache").rglob("*.json")).read_text())
    assert cached["format"] == 1
    # Linux targets are planned by patchelf, not here
    linux = Target.from_strings("3.12", "x86_64-linux")
    assert (
        add_macho_plans(packages, target=linux, download=download, soname_map=SONAMES) == packages
    )
