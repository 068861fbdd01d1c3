"""Libraries a binary wheel needs that nothing supplies are reported when locking (issue 14
item 3), not first at ``nix-build``: every unresolved soname with its package, files and the
ways out (``--soname-map``, a ``_`` override, or ignoring it), and ``--strict`` makes them an
error.

Offline: a wheel made here whose extensions need ``libmpi.so.40`` (and the GPU driver's
``libcuda.so.1``, which the host supplies and is not reported), served by a local index.
Network: mpi4py 4.1.2's real wheel, whose two ``MPI`` extensions link MPICH's
``libmpi.so.12`` and Open MPI's ``libmpi.so.40`` (the user picks one MPI).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "patchelf"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from elfgen import make_elf
from local_channel import SimpleIndex

WHEEL = "mpiish-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
HINT = (
    'hint: map it when locking (--soname-map FILE with {"libmpi.so.40": "<nixpkgs attribute>"}), '
    "add it in Nix (_.mpiish.buildInputs.add = [ pkgs.<package> ];), "
    'or ignore it if it is never loaded ({"libmpi.so.40": null} in the --soname-map file); '
    "--strict makes this an error"
)


def binary_wheel(directory: Path) -> Path:
    """``mpiish 1.0``: two extensions that need libmpi.so.40, one also libcuda.so.1."""
    dist_info = "mpiish-1.0.dist-info"
    contents: dict[str, bytes] = {
        "mpiish/_a.cpython-311-x86_64-linux-gnu.so": make_elf(
            needed=["libmpi.so.40", "libcuda.so.1", "libc.so.6"]
        ),
        "mpiish/_b.cpython-311-x86_64-linux-gnu.so": make_elf(needed=["libmpi.so.40", "libc.so.6"]),
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: mpiish\nVersion: 1.0\n",
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: mach2-tests\n"
        b"Root-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\n",
    }
    record = []
    for member, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    contents[f"{dist_info}/RECORD"] = (
        "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    ).encode()
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(directory / WHEEL, "w") as archive:
        for member, data in contents.items():
            archive.writestr(zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return directory / WHEEL


def said(result: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr without the progress lines."""
    return [
        line
        for line in result.stderr.splitlines()
        if line.startswith(("warning: ", "hint: ", "error: ", "wrote "))
    ]


def mach2(
    cwd: Path, *args: str | Path, interval: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "MACH2_"))}
    if interval is not None:
        env["MACH2_PROGRESS_INTERVAL"] = interval
    return subprocess.run(
        [sys.executable, "-m", "mach2.cli.main", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def local(tmp_path: Path) -> tuple[Path, list[str]]:
    """A work directory with requirements.txt, and the lock options for the local index."""
    binary_wheel(tmp_path / "wheels")
    (tmp_path / "requirements.txt").write_text("mpiish\n")
    return tmp_path, ["--python", "3.11", "--system", "x86_64-linux", "--cache-dir", "cache"]


def test_unresolved_sonames_are_reported_and_strict_fails(local: tuple[Path, list[str]]) -> None:
    work, options = local
    with SimpleIndex(work / "wheels") as index:
        result = mach2(work, "lock", "-r", "requirements.txt", "--index-url", index.url, *options)
        assert result.returncode == 0, result.stderr
        assert said(result) == [
            "warning: mpiish 1.0: no library for libmpi.so.40 (needed by "
            "mpiish/_a.cpython-311-x86_64-linux-gnu.so and 1 more; "
            "no nixpkgs package known for this soname)",
            HINT,
            "wrote mach2.lock: 1 package for CPython 3.11.14 on x86_64-linux (glibc 2.40)",
        ]
        lock = (work / "mach2.lock").read_bytes()

        strict = mach2(
            work, "lock", "-r", "requirements.txt", "--index-url", index.url, *options,
            "--strict", "-o", "strict.lock",
        )  # fmt: skip
        assert strict.returncode == 1
        assert strict.stderr.splitlines() == [
            "error: 1 library of the lock is unresolved: mpiish 1.0: no library for "
            "libmpi.so.40 (needed by mpiish/_a.cpython-311-x86_64-linux-gnu.so and 1 more; "
            "no nixpkgs package known for this soname)",
            HINT.replace("; --strict makes this an error", ""),
        ]
        assert not (work / "strict.lock").exists()
        assert (work / "mach2.lock").read_bytes() == lock

        # `mach2 env` and `mach2 gen` report the same, and so does `mach2 why`.
        env = mach2(work, "env", "env", "-r", "requirements.txt", "--index-url", index.url,
                    *options)  # fmt: skip
        assert env.returncode == 0 and env.stderr.count("warning: mpiish 1.0:") == 1, env.stderr
    why = mach2(work, "why", "mpiish")
    assert (
        "  unresolved: libmpi.so.40 (needed by mpiish/_a.cpython-311-x86_64-linux-gnu.so and "
        "1 more; no nixpkgs package known for this soname)"
    ) in why.stdout.splitlines()


def test_a_soname_map_maps_or_ignores_them(local: tuple[Path, list[str]]) -> None:
    work, options = local
    (work / "mapped.json").write_text('{"libmpi.so.40": "openmpi"}')
    (work / "ignored.json").write_text('{"libmpi.so.40": null}')
    with SimpleIndex(work / "wheels") as index:
        for name in ("mapped", "ignored"):
            result = mach2(
                work, "lock", "-r", "requirements.txt", "--index-url", index.url, *options,
                "--soname-map", f"{name}.json", "--strict", "-o", f"{name}.lock",
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            assert "warning" not in result.stderr
    mapped = json.loads((work / "mapped.lock").read_text())["packages"]["mpiish"]["patchelf"]
    assert mapped["attrs"] == ["openmpi"] and "ignore-missing" not in mapped
    ignored = json.loads((work / "ignored.lock").read_text())["packages"]["mpiish"]["patchelf"]
    # The Nix library passes ignore-missing sonames to apply as host libraries (--allow).
    assert ignored["ignore-missing"] == ["libmpi.so.40"] and ignored["attrs"] == []


@pytest.mark.network
def test_mpi4py_wheels_leave_the_mpi_to_the_user(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("mpi4py==4.1.2\nnvidia-cufile-cu12==1.13.1.3\n")
    options = ["--python", "3.12", "--system", "x86_64-linux", "--exclude-newer", "2026-11-01"]
    result = mach2(tmp_path, "lock", "-r", "requirements.txt", *options)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    # nvidia-cufile-cu12's libmlx5.so.1 is rdma-core's (the soname map has it now).
    assert [w.split(" (needed by")[0] for w in warnings] == [
        "warning: mpi4py 4.1.2: no library for libmpi.so.12",
        "warning: mpi4py 4.1.2: no library for libmpi.so.40",
    ]
    strict = mach2(tmp_path, "lock", "-r", "requirements.txt", *options, "--strict", "-o", "s.lock")
    assert strict.returncode == 1 and not (tmp_path / "s.lock").exists()
    assert strict.stderr.startswith("error: 2 libraries of the lock are unresolved: mpi4py 4.1.2")
    (tmp_path / "mpi.json").write_text('{"libmpi.so.40": "openmpi", "libmpi.so.12": null}')
    chosen = mach2(tmp_path, "lock", "-r", "requirements.txt", *options, "--strict",
                   "--soname-map", "mpi.json", "-o", "openmpi.lock")  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr


# -- progress when stderr is not a terminal (issue 14 item 5) ----------------------------------


def test_progress_lines_without_a_terminal_and_quiet(local: tuple[Path, list[str]]) -> None:
    # stderr is a pipe here, as in a CI log: plain lines (every step: the work is quick
    # here, and by default only work longer than 5 s gets lines); -q: none.
    work, options = local
    with SimpleIndex(work / "wheels") as index:
        result = mach2(
            work, "lock", "-r", "requirements.txt", "--index-url", index.url, *options,
            interval="0",
        )  # fmt: skip
        quiet = mach2(
            work, "lock", "-q", "-r", "requirements.txt", "--index-url", index.url, *options,
            "--cache-dir", "cold", "-o", "quiet.lock", interval="0",
        )  # fmt: skip
    assert result.returncode == 0 and quiet.returncode == 0, result.stderr + quiet.stderr
    lines = result.stderr.splitlines()
    assert "resolving: 1 pinned (last: mpiish)" in lines
    assert any(
        line.startswith("patch plans: 1 of 1 binary wheels inspected; downloaded ")
        for line in lines
    ), lines
    assert "\x1b" not in result.stderr  # no terminal control codes in a log
    # -q keeps warnings (the unresolved library) and errors, nothing else.
    assert [line.split(":")[0] for line in quiet.stderr.splitlines()] == ["warning", "hint"]
