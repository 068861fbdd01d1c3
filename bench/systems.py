"""The cost of one lock for the four systems, against one system and against four locks.

    python -m bench.systems                        # bench/sets/universal.txt, 3 rounds
    python -m bench.systems datascience --rounds 5
    python -m bench.systems --patchelf             # with patch plans (downloads every wheel)

Per round, with fresh cache directories, interleaved so that all see the same network:

* ``one``: ``mach2 lock --system x86_64-linux`` (the single-system lock);
* ``four``: ``mach2 lock --all-systems``, one process, one file (pages shared, one HTTP pool,
  the systems resolved side by side);
* ``4 locks``: four ``mach2 lock --system S`` processes one after the other on one cache (what
  a user without multi-system locks runs: later ones reuse the pages the first fetched);
* ``uv x4``: ``uv pip compile --python-platform P`` for the four platforms, one after the other
  on one cache, for reference (uv has no multi-platform ``pip compile``; its universal
  ``uv lock`` is a different operation).

Each is run cold (empty cache) then warm (same cache, new output file).  Wall-clock times of
whole processes, medians over the rounds; ratios are against ``one``.  All lock with
``--python 3.12 --glibc 2.28 --exclude-newer 2026-11-01T00:00:00Z -p wheel,sdist``, macOS at
mach2's default floor (13.0, uv's too).  Without ``--patchelf`` mach2 skips patch plans, which
download every binary wheel (four times as many for four systems), like uv pip compile.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.resolve import EXCLUDE_NEWER, SETS, uv_binary

SYSTEMS = ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")
UV_PLATFORMS = {
    "x86_64-linux": "x86_64-manylinux_2_28",
    "aarch64-linux": "aarch64-manylinux_2_28",
    "x86_64-darwin": "x86_64-apple-darwin",
    "aarch64-darwin": "aarch64-apple-darwin",
}
MACH2_ARGS = (
    "-p", "wheel,sdist", "--python", "3.12", "--glibc", "2.28", "--exclude-newer", EXCLUDE_NEWER,
)  # fmt: skip


def run(commands: list[list[str]], cwd: Path) -> float:
    start = time.perf_counter()
    for command in commands:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return time.perf_counter() - start


def mach2(
    requirements: Path, cache: Path, output: Path, systems: list[str], patchelf: bool
) -> list[str]:
    command = [sys.executable, "-m", "mach2", "lock", "-r", str(requirements), *MACH2_ARGS]
    command += [arg for s in systems for arg in ("--system", s)]
    command += ["--cache-dir", str(cache), "-o", str(output)]
    return command if patchelf else [*command, "--no-patchelf"]


def uv(binary: str, requirements: Path, cache: Path, system: str) -> list[str]:
    return [binary, "pip", "compile", "--python-version", "3.12", "--python-platform",
            UV_PLATFORMS[system], "--exclude-newer", EXCLUDE_NEWER, "--python", sys.executable,
            "--no-config", "--cache-dir", str(cache), "--no-header", "--no-annotate", "--quiet",
            str(requirements)]  # fmt: skip


def one_round(requirements: Path, binary: str, patchelf: bool) -> dict[str, tuple[float, float]]:
    """(cold, warm) seconds per way of locking, each with its own fresh cache."""
    ways: dict[str, Callable[[Path, str], list[list[str]]]] = {
        "one": lambda c, o: [mach2(requirements, c, Path(o), [SYSTEMS[0]], patchelf)],
        "four": lambda c, o: [mach2(requirements, c, Path(o), list(SYSTEMS), patchelf)],
        "4 locks": lambda c, o: [
            mach2(requirements, c, Path(f"{o}.{s}"), [s], patchelf) for s in SYSTEMS
        ],
        "uv x4": lambda c, o: [uv(binary, requirements, c, s) for s in SYSTEMS],
    }
    times: dict[str, list[float]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory(prefix="bench-systems-") as directory:
        root = Path(directory)
        for phase in ("cold", "warm"):
            for way, commands in ways.items():
                cache = root / way.replace(" ", "-")
                output = str(root / f"{way.replace(' ', '-')}-{phase}.lock")
                times[way].append(run(commands(cache, output), root))
    return {way: (cold, warm) for way, (cold, warm) in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", nargs="?", default="universal", help="a set of bench/sets")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--patchelf", action="store_true", help="mach2 makes patch plans")
    arguments = parser.parse_args()
    requirements = SETS / f"{arguments.set}.txt"
    binary = uv_binary()
    rounds = []
    for number in range(arguments.rounds):
        print(f"round {number + 1}/{arguments.rounds} ...", file=sys.stderr, flush=True)
        rounds.append(one_round(requirements, binary, arguments.patchelf))
    median = {
        way: tuple(statistics.median(r[way][i] for r in rounds) for i in (0, 1))
        for way in rounds[0]
    }
    base_cold, base_warm = median["one"]
    print(f"{arguments.set}: median of {arguments.rounds} rounds"
          + (" (with patch plans)" if arguments.patchelf else ""))  # fmt: skip
    print(f"{'':10} {'cold':>8} {'warm':>8} {'cold/one':>9} {'warm/one':>9}")
    for way, (cold, warm) in median.items():
        print(
            f"{way:10} {cold:7.2f}s {warm:7.2f}s {cold / base_cold:8.2f}x {warm / base_warm:8.2f}x"
        )


if __name__ == "__main__":
    main()
