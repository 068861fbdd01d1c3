"""Loading a conda-forge-sized repodata.json: first parse, cached loads, peak memory.

    python bench/conda_repodata.py [--size-mb 300] [--workdir DIR] [--keep]

A synthetic repodata.json of about ``--size-mb`` is written (conda-forge linux-64 shaped:
~30,000 names, records of ~600 bytes with depends/constrains/hashes, most builds in both
``packages`` and ``packages.conda``).  Each measurement runs in a fresh interpreter so that its
peak RSS (``VmHWM``, Linux) is its own; the interpreter with mach2 imported is about 50 MB:

  json.load     the naive way: the whole file parsed into dicts at once (the peer);
  cold          mach2's first load: stream-parse, write the per-name index (sha256 computed);
  warm          a later run: stat memo → cached sha256, mmap the index, decode 50 names;
  warm+hash     the file was touched: sha256 recomputed, index reused;
  all names     decode every record of every name from the cache (the worst case for a solver).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROBE = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
mode, source, cache = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
from mach2.providers.conda.repodata import load_repodata  # imports are not what we measure
start = time.perf_counter()
count = 0
if mode == "json":
    with source.open("rb") as f:
        data = json.load(f)
    count = len(data["packages"]) + len(data["packages.conda"])
else:
    index = load_repodata(source, channel="conda-forge", subdir="linux-64",
                          base_url="https://conda.anaconda.org/conda-forge/linux-64",
                          cache_dir=cache)
    opened = time.perf_counter() - start
    names = sorted(index.names())
    wanted = names if mode == "all" else names[:: max(1, len(names) // 50)][:50]
    for name in wanted:
        count += len(index.records(name))
elapsed = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over execve from the parent
rss = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:")) / 1024
print(json.dumps({{"seconds": elapsed, "rss_mb": rss, "records": count,
                  "opened": opened if mode != "json" else elapsed}}))
"""


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 30)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"


def _record(
    rng: random.Random, name: str, names: list[str], build_number: int
) -> dict[str, object]:
    deps = [
        f"{rng.choice(names)} >={_version(rng)},<{rng.randint(1, 40)}.0a0"
        for _ in range(rng.randint(2, 9))
    ]
    if rng.random() < 0.5:
        deps.append("python >=3.12,<3.13.0a0")
        deps.append("python_abi 3.12.* *_cp312")
    record: dict[str, object] = {
        "build": f"py312h{rng.getrandbits(32):08x}_{build_number}",
        "build_number": build_number,
        "depends": deps,
        "license": rng.choice(["MIT", "BSD-3-Clause", "Apache-2.0", "LGPL-2.1-or-later"]),
        "license_family": "BSD",
        "md5": f"{rng.getrandbits(128):032x}",
        "name": name,
        "sha256": f"{rng.getrandbits(256):064x}",
        "size": rng.randint(5_000, 50_000_000),
        "subdir": "linux-64",
        "timestamp": 1_600_000_000_000 + rng.randint(0, 10**11),
        "version": _version(rng),
    }
    if rng.random() < 0.2:
        record["constrains"] = [f"{rng.choice(names)} >={_version(rng)}"]
    if rng.random() < 0.01:
        record["track_features"] = "debug"
    return record


def generate(path: Path, size_mb: int, seed: int = 1) -> int:
    """Write a synthetic repodata.json of about ``size_mb`` and return its record count."""
    rng = random.Random(seed)
    names = [f"pkg-{i:05d}" for i in range(30_000)] + ["python", "python_abi", "libgcc-ng"]
    target = size_mb * 1_000_000
    written = 0
    count = 0
    with path.open("w") as out:
        out.write('{"info": {"subdir": "linux-64"}, "packages": {')
        conda_part: list[str] = []
        first = True
        while written < target * 0.6:
            name = rng.choice(names)
            record = _record(rng, name, names, rng.randint(0, 5))
            stem = f"{name}-{record['version']}-{record['build']}"
            text = json.dumps(record)
            out.write(("" if first else ",") + json.dumps(stem + ".tar.bz2") + ":" + text)
            first = False
            written += len(text) + len(stem) + 12
            count += 1
            if rng.random() < 0.6:  # the same build as .conda too (conda-forge has most)
                conda_part.append(json.dumps(stem + ".conda") + ":" + text)
        out.write('}, "packages.conda": {')
        out.write(",".join(conda_part))
        written += sum(len(p) for p in conda_part)
        count += len(conda_part)
        first = not conda_part
        while written < target:
            name = rng.choice(names)
            record = _record(rng, name, names, rng.randint(0, 5))
            stem = f"{name}-{record['version']}-{record['build']}"
            text = json.dumps(record)
            out.write(("" if first else ",") + json.dumps(stem + ".conda") + ":" + text)
            first = False
            written += len(text) + len(stem) + 9
            count += 1
        out.write('}, "removed": [], "repodata_version": 1}')
    return count


def probe(mode: str, source: Path, cache: Path) -> dict[str, float]:
    script = _PROBE.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", script, mode, str(source), str(cache)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mach2-bench-conda-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "repodata.json"
    cache = workdir / "cache"
    try:
        if not source.is_file() or source.stat().st_size < args.size_mb * 900_000:
            started = time.perf_counter()
            count = generate(source, args.size_mb)
            took = time.perf_counter() - started
            print(
                f"generated {source} ({source.stat().st_size / 1e6:.0f} MB, {count} entries) in {took:.0f} s"
            )
        shutil.rmtree(cache, ignore_errors=True)
        size = source.stat().st_size / 1e6
        rows = [("json.load (peer)", probe("json", source, cache))]
        rows.append(("cold: parse + index", probe("cold", source, cache)))
        rows.append(("warm: 50 names", probe("warm", source, cache)))
        os.utime(source)  # new mtime: the sha256 must be recomputed, the index is still valid
        rows.append(("warm+hash: 50 names", probe("warm", source, cache)))
        rows.append(("all names from cache", probe("all", source, cache)))
        index_size = sum(p.stat().st_size for p in (cache / "repodata-index").glob("*.idx"))
        print(f"\nrepodata.json: {size:.0f} MB; index file: {index_size / 1e6:.0f} MB; "
              f"sha256: {hashlib.sha256(source.read_bytes()).hexdigest()[:12]}…")  # fmt: skip
        print(f"{'':24} {'seconds':>8} {'open s':>8} {'peak RSS MB':>12} {'records':>9}")
        for label, row in rows:
            print(
                f"{label:24} {row['seconds']:8.2f} {row['opened']:8.3f} {row['rss_mb']:12.0f} "
                f"{int(row['records']):9d}"
            )
        peer, cold, warm = rows[0][1], rows[1][1], rows[2][1]
        print(
            f"\ncold vs json.load: {cold['seconds'] / peer['seconds']:.2f}x time, "
            f"{cold['rss_mb'] / peer['rss_mb']:.2f}x peak RSS; "
            f"warm vs json.load: {peer['seconds'] / warm['seconds']:.0f}x faster"
        )
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
