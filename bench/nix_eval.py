"""How long `nix-instantiate` of a locked environment takes (DESIGN.md §7: under a second).

Three locks:
  * synthetic: 200 wheel packages with a random, acyclic-plus-a-few-cycles dependency graph
    (fake URLs: only evaluated, never built);
  * synthetic-4sys: the same as a lock-version 2 lock of the four systems, every other
    package with a wheel per system (what the Nix library's `forSystem` view costs);
  * data-science: numpy pandas matplotlib scipy scikit-learn jupyterlab seaborn statsmodels
    locked from PyPI with `mach2` for CPython 3.11 (needs the network; skipped with
    --offline), with the lock time printed beside it.

Evaluation runs against the nixpkgs stand-in (tests/nixpkgs-standin), whose interpreter is
Python 3.11; its package-set machinery is much smaller than nixpkgs', so add nixpkgs' own
evaluation overhead (import of nixpkgs, the python set) when comparing with real numbers.

    python bench/nix_eval.py [--runs 5] [--offline]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STANDIN = ROOT / "tests" / "nixpkgs-standin"
LIBRARY = ROOT / "nix"
DATA_SCIENCE = "numpy\npandas\nmatplotlib\nscipy\nscikit-learn\njupyterlab\nseaborn\nstatsmodels\n"


def synthetic_lock(count: int, seed: int = 7) -> tuple[dict[str, object], str]:
    rng = random.Random(seed)
    names = [f"pkg-{i:03d}" for i in range(count)]
    packages: dict[str, object] = {}
    for i, name in enumerate(names):
        deps = rng.sample(names[i + 1 :], min(len(names) - i - 1, rng.randint(0, 6)))
        if i % 50 == 49:  # a few cycles, as real graphs have
            deps.append(names[i - 3])
        filename = f"{name.replace('-', '_')}-1.0-py3-none-any.whl"
        packages[name] = {
            "name": name,
            "version": "1.0",
            "provider": "wheel",
            "why-provider": "synthetic",
            "artifact": {
                "kind": "wheel",
                "filename": filename,
                "url": f"https://files.example/{filename}",
                "sha256": f"{i:064x}",
            },
            "extras": [],
            "dependencies": {d: d for d in sorted(deps)},
            "build-only": False,
        }
    requirements = "".join(f"{n}\n" for n in names[:20])
    import hashlib

    lock = {
        "lock-version": 1,
        "generator": "bench",
        "target": {"python": "3.11.14", "system": "x86_64-linux", "glibc": "2.40"},
        "inputs": {
            "requirements-sha256": hashlib.sha256(requirements.encode()).hexdigest(),
            "providers": "",
            "files": {},
            "hash": "",
        },
        "exclude-newer": None,
        "indexes": [],
        "providers": {"_default": ["wheel", "sdist", "nixpkgs"]},
        "roots": names[:20],
        "packages": packages,
    }
    return lock, requirements


def four_systems(lock: dict[str, object]) -> dict[str, object]:
    """``lock`` (lock-version 1) as a lock-version 2 lock of the four systems."""
    systems = ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"]
    packages: dict[str, object] = {}
    source = lock["packages"]
    assert isinstance(source, dict)
    for index, (key, package) in enumerate(sorted(source.items())):
        if index % 2:
            artifact = package["artifact"]
            package = {k: v for k, v in package.items() if k != "artifact"}
            package["systems"] = {
                s: {"artifact": {**artifact, "filename": artifact["filename"].replace("any", s)}}
                for s in systems
            }
        packages[key] = package
    rest = {k: v for k, v in lock.items() if k not in ("lock-version", "target", "packages")}
    return rest | {
        "lock-version": 2,
        "python": "3.11.14",
        "systems": {
            s: {"glibc": "2.40"} if s.endswith("linux") else {"macos": "13.0"} for s in systems
        },
        "packages": packages,
    }


def instantiate_seconds(lock_file: Path, requirements_file: Path, runs: int) -> list[float]:
    expr = (
        f"let pkgs = import {STANDIN} {{ }}; mach2 = import {LIBRARY} {{ inherit pkgs; }}; in "
        f"mach2.mkPython {{ requirements = builtins.readFile {requirements_file}; "
        f"lockFile = {lock_file}; }}"
    )
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            ["nix-instantiate", "--option", "substituters", "", "-E", expr],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return times


def report(name: str, packages: int, times: list[float]) -> None:
    print(
        f"{name:<14} {packages:>4} packages  nix-instantiate median {statistics.median(times):.3f} s"
        f"  (min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--offline", action="store_true", help="skip the data-science lock")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lock, requirements = synthetic_lock(args.count)
        (work / "synthetic.lock").write_text(json.dumps(lock), encoding="utf-8")
        (work / "synthetic.txt").write_text(requirements, encoding="utf-8")
        times = instantiate_seconds(work / "synthetic.lock", work / "synthetic.txt", args.runs)
        report("synthetic", args.count, times)
        (work / "four.lock").write_text(json.dumps(four_systems(lock)), encoding="utf-8")
        times = instantiate_seconds(work / "four.lock", work / "synthetic.txt", args.runs)
        report("synthetic-4sys", args.count, times)
        if args.offline:
            return
        sys.path.insert(0, str(ROOT))
        from mach2.api import LockOptions, lock_requirements
        from mach2.model.target import Target

        (work / "ds.txt").write_text(DATA_SCIENCE, encoding="utf-8")
        start = time.perf_counter()
        ds = lock_requirements(
            [work / "ds.txt"],
            LockOptions(
                target=Target.from_strings("3.11", "x86_64-linux"),
                cache_dir=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mach2",
            ),
        )
        lock_time = time.perf_counter() - start
        (work / "ds.lock").write_text(ds.dumps(), encoding="utf-8")
        times = instantiate_seconds(work / "ds.lock", work / "ds.txt", args.runs)
        report("data-science", len(ds.packages), times)
        print(f"{'':<14} {'':>4}           mach2 lock {lock_time:.2f} s (this run's cache state)")


if __name__ == "__main__":
    main()
