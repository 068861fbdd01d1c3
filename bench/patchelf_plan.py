"""Patchelf planning cost per wheel: time, and bytes of ELF inflated, for the data-science set.

    python bench/patchelf_plan.py [--exclude-newer 2026-11-21] [--repeat 3] [WHEEL ...]

For each project below the best cp312 manylinux x86_64 wheel uploaded before the date is
downloaded once (``~/.cache/mach2-tests/files-v1``), then planned for CPython 3.12 / glibc 2.40.
The peer is the straightforward way (the one the shared ELF scan used): inflate every ELF
member whole and let pyelftools walk its sections.  Local wheel files can be given instead.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection
from packaging.utils import parse_wheel_filename

from mach2.model.target import Target
from mach2.net.http import Http
from mach2.patchelf import WheelInspection, inspect_wheel, load_soname_map, plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "patchelf"))
from wheels import project_files, pypi_wheel  # the tests' download cache

PROJECTS = (
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "scikit-learn",
    "pillow",
    "kiwisolver",
    "contourpy",
    "fonttools",
    "pyarrow",
    "statsmodels",
    "h5py",
    "numba",
    "llvmlite",
    "pyzmq",
    "psutil",
    "pyyaml",
    "markupsafe",
    "tornado",
    "regex",
)
TARGET = Target.from_strings("3.12", "x86_64-linux", "2.40")


def best_wheel(client: Http, project: str, before: datetime) -> Path:
    rank = {tag: n for n, tag in enumerate(TARGET.tags)}
    candidates = []
    for file in project_files(client, project):
        name = file["filename"]
        uploaded = file.get("upload-time")
        if not name.endswith(".whl") or file.get("yanked") or uploaded is None:
            continue
        if datetime.fromisoformat(uploaded.replace("Z", "+00:00")) >= before:
            continue
        _, version, _, tags = parse_wheel_filename(name)
        ranks = [rank[t] for t in tags if t in rank]
        if ranks and not version.is_prerelease:
            candidates.append((version, -min(ranks), name))
    if not candidates:
        raise SystemExit(f"{project}: no cp312 manylinux x86_64 wheel before {before:%Y-%m-%d}")
    filename = max(candidates)[2]
    return pypi_wheel(client, project, choose=lambda _: filename)


def full_read(path: Path) -> float:
    """The peer: inflate each ELF member whole, parse its sections with pyelftools."""
    start = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                if member.read(4) != b"\x7fELF":
                    continue
            elf = ELFFile(io.BytesIO(archive.read(info)))
            for section in elf.iter_sections():
                if isinstance(section, DynamicSection):
                    [tag.entry for tag in section.iter_tags()]
                elif isinstance(section, GNUVerNeedSection):
                    [version for _, versions in section.iter_versions() for version in versions]
    return time.perf_counter() - start


def ours(path: Path) -> tuple[float, WheelInspection]:
    soname_map = load_soname_map()
    start = time.perf_counter()
    inspection = inspect_wheel(path)
    plan(inspection, target=TARGET, soname_map=soname_map)
    return time.perf_counter() - start, inspection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheels", nargs="*", type=Path, help="local wheels instead of the set")
    parser.add_argument("--exclude-newer", default="2026-11-21", help="ignore uploads after (UTC)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per wheel; the best is kept")
    args = parser.parse_args()
    paths = list(args.wheels)
    if not paths:
        before = datetime.fromisoformat(args.exclude_newer).replace(tzinfo=UTC)
        with contextlib.closing(Http(timeout=120.0)) as client:
            paths = [best_wheel(client, project, before) for project in PROJECTS]

    header = (
        f"{'wheel':<34} {'MB':>6} {'ELFs':>5} {'ELF MB':>7} {'inflated':>8} "
        f"{'plan s':>7} {'full s':>7} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for path in paths:
        best, inspection = min((ours(path) for _ in range(args.repeat)), key=lambda r: r[0])
        peer = min(full_read(path) for _ in range(args.repeat))
        name = "-".join(path.name.split("-")[:2])
        size = path.stat().st_size
        rows.append(
            (size, len(inspection.elfs), inspection.elf_size, inspection.elf_bytes, best, peer)
        )
        print(_row(name, *rows[-1]))
    size, count, elf_size, inflated = (sum(int(r[n]) for r in rows) for n in range(4))
    best, peer = sum(r[4] for r in rows), sum(r[5] for r in rows)
    print("-" * len(header))
    print(_row(f"total ({len(rows)} wheels)", size, count, elf_size, inflated, best, peer))
    print(f"\nplanning inflates {inflated / 1e6 / best:.0f} MB of ELF per second")


def _row(
    name: str, size: int, count: int, elf_size: int, inflated: int, best: float, peer: float
) -> str:
    share = f"{inflated / elf_size:.0%}" if elf_size else "-"
    return (
        f"{name:<34} {size / 1e6:6.1f} {count:5d} {elf_size / 1e6:7.1f} {share:>8} "
        f"{best:7.3f} {peer:7.3f} {peer / best:5.1f}x"
    )


if __name__ == "__main__":
    main()
