"""mach2 against ``uv pip compile`` on the sets of ``bench/sets/``, cold and warm cache.

    python -m bench.resolve                       # every set, from the repository root
    python -m bench.resolve requests web          # some sets
    python -m bench.resolve --patchelf            # mach2 also plans binary patching

Both tools lock for the same target and cutoff (issue 2)::

    mach2 lock -p wheel,sdist --python 3.12 --system x86_64-linux --glibc 2.28
               --exclude-newer 2026-11-01T00:00:00Z --no-patchelf
    uv pip compile --python-version 3.12 --python-platform x86_64-manylinux_2_28
                   --exclude-newer 2026-11-01T00:00:00Z

Each set gets fresh temporary cache directories: the first run of each tool is cold, the second
(same cache, a new output file so mach2 cannot reuse its lock) warm.  The runs are interleaved
(mach2 cold, uv cold, mach2 warm, uv warm) so that both see the same network.  Times are wall
clock of the whole process, interpreter start included, one run each: compare numbers from the
same run, not across days.  ``--patchelf`` adds mach2's patch planning, which downloads every
binary wheel (torch's 900 MB included): not comparable with ``uv pip compile``.

mach2's bytecode is compiled before the first run, as ``pip install`` does: with an editable
install and ``PYTHONDONTWRITEBYTECODE=1`` (set on our machines) every run would compile its
modules from source, ~0.1 s that no installed mach2 pays.

uv is given ``--python`` (this interpreter) so it does not search the machine for a 3.12, and
``--no-config``.  The ``match`` column compares the versions of every package (mach2's
build-only packages aside: uv does not list build backends).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

SETS = Path(__file__).resolve().parent / "sets"
EXCLUDE_NEWER = "2026-11-01T00:00:00Z"
MACH2_ARGS = (
    "-p", "wheel,sdist", "--python", "3.12", "--system", "x86_64-linux", "--glibc", "2.28",
    "--exclude-newer", EXCLUDE_NEWER,
)  # fmt: skip
UV_ARGS = (
    "--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28",
    "--exclude-newer", EXCLUDE_NEWER,
)  # fmt: skip


def uv_binary() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:
        found = shutil.which("uv")
        if found is None:
            raise SystemExit("uv not found: pip install uv (it is in the test extra)") from None
        return found
    return str(find_uv_bin())


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, result.stdout


def run_mach2(requirements: Path, cache: Path, output: Path, patchelf: bool) -> float:
    command = [sys.executable, "-m", "mach2", "lock", "-r", str(requirements), *MACH2_ARGS]
    command += ["--cache-dir", str(cache), "-o", str(output)]
    if not patchelf:
        command.append("--no-patchelf")
    elapsed, _ = timed(command, output.parent)
    return elapsed


def run_uv(uv: str, requirements: Path, cache: Path, workdir: Path) -> tuple[float, str]:
    command = [uv, "pip", "compile", *UV_ARGS, "--python", sys.executable, "--no-config"]
    command += ["--cache-dir", str(cache), "--no-header", "--no-annotate", "--quiet"]
    return timed([*command, str(requirements)], workdir)


def mach2_versions(lock: Path) -> dict[str, Version]:
    packages = json.loads(lock.read_text())["packages"]
    return {
        canonicalize_name(p["name"]): Version(p["version"])
        for p in packages.values()
        if not p.get("build-only")
    }


def uv_versions(text: str) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name.split("[", 1)[0])] = Version(version.split(";")[0])
    return pins


def differences(ours: dict[str, Version], theirs: dict[str, Version]) -> str:
    names = sorted(n for n in ours.keys() | theirs.keys() if ours.get(n) != theirs.get(n))
    return ", ".join(f"{n} {ours.get(n, '-')} vs {theirs.get(n, '-')}" for n in names)


def compile_mach2() -> None:
    """Write mach2's ``.pyc`` files (found without importing it), as an install would."""
    spec = importlib.util.find_spec("mach2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("mach2 is not installed: pip install -e '.[test]'")
    for directory in spec.submodule_search_locations:
        compileall.compile_dir(directory, quiet=1)


def bench_set(name: str, uv: str, patchelf: bool) -> dict[str, object]:
    requirements = SETS / f"{name}.txt"
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as directory:
        root = Path(directory)
        mach2_cache, uv_cache = root / "mach2-cache", root / "uv-cache"
        mach2_cold = run_mach2(requirements, mach2_cache, root / "cold.lock", patchelf)
        uv_cold, uv_text = run_uv(uv, requirements, uv_cache, root)
        mach2_warm = run_mach2(requirements, mach2_cache, root / "warm.lock", patchelf)
        uv_warm, _ = run_uv(uv, requirements, uv_cache, root)
        ours, theirs = mach2_versions(root / "cold.lock"), uv_versions(uv_text)
        warm_same = mach2_versions(root / "warm.lock") == ours
    return {
        "set": name,
        "packages": len(ours),
        "mach2 cold": mach2_cold,
        "mach2 warm": mach2_warm,
        "uv cold": uv_cold,
        "uv warm": uv_warm,
        "cold ratio": mach2_cold / uv_cold,
        "warm ratio": mach2_warm / uv_warm,
        "match": "yes" if ours == theirs and warm_same else "NO",
        "differences": differences(ours, theirs),
    }


def table(rows: list[dict[str, object]]) -> str:
    header = ["set", "packages", "mach2 cold", "mach2 warm", "uv cold", "uv warm",
              "cold ratio", "warm ratio", "match"]  # fmt: skip
    cells = [header]
    for row in rows:
        cells.append(
            [
                f"{row[k]:.2f}" + ("x" if "ratio" in k else " s")
                if isinstance(row[k], float)
                else str(row[k])
                for k in header
            ]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                       enumerate(zip(line, widths, strict=True))) for line in cells]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"{row['set']}: {row['differences']}" for row in rows if row["differences"]]
    return "\n".join(lines + notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", help="set names (default: all of bench/sets)")
    parser.add_argument("--patchelf", action="store_true", help="mach2 plans binary patching")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    arguments = parser.parse_args()
    names = arguments.sets or sorted(p.stem for p in SETS.glob("*.txt"))
    uv = uv_binary()
    compile_mach2()
    rows = []
    for name in names:
        print(f"{name} ...", file=sys.stderr, flush=True)
        rows.append(bench_set(name, uv, arguments.patchelf))
    print(table(rows))
    if arguments.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
