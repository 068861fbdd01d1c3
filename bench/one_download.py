"""One download: what `nix-build` of a fresh env downloads, without and with mach2 adding the
files its lock downloaded to the Nix store.

For a set of bench/sets (default: the data-science set), locked for CPython 3.11 (the nixpkgs
stand-in's interpreter); a first `mach2 env` fills a fresh mach2 cache (that is the one
download: the binary wheels, for their patch plans), then:

  before  `mach2 env --no-nix-store`: every fetch derivation of the env whose output is not in
          the store is listed by `nix-store --realise --dry-run` and, with --realise, built
          (= downloaded by Nix) and timed;
  after   `mach2 env` (adds the binary wheels it downloaded for their patch plans): the same.

The fetch outputs of the lock are deleted from the store before each (`nix-store --delete`;
paths another process holds stay and are reported), so both start from the same state.
Bytes are the sizes of the files Nix fetches (PyPI serves them uncompressed, so this is what
goes over the wire).

    python bench/one_download.py [--set datascience] [--no-realise] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STANDIN = ROOT / "tests" / "nixpkgs-standin"
NIX_OPTIONS = ["--option", "substituters", ""]
EXCLUDE_NEWER = "2026-11-01T00:00:00Z"
sys.path.insert(0, str(ROOT))

from mach2.nixstore import fixed_output_path  # noqa: E402

_DRV = re.compile(r"^\s+(/nix/store/[0-9a-z]{32}-(.+)\.drv)$")


def _nix_env() -> dict[str, str]:
    return dict(os.environ, NIX_PATH=f"nixpkgs={STANDIN}")


def _mach2_env(requirements: Path, out: Path, cache: Path, *extra: str) -> tuple[float, str]:
    args = [sys.executable, "-m", "mach2", "env", str(out), "-r", str(requirements)]
    args += ["--python", "3.11", "--system", "x86_64-linux", "--exclude-newer", EXCLUDE_NEWER]
    args += ["--cache-dir", str(cache), *extra]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stderr


def _fetches(lock: dict[str, object]) -> dict[str, tuple[str, int]]:
    """filename → (store path, size) of every artifact Nix fetches by URL."""
    found: dict[str, tuple[str, int]] = {}
    packages = lock["packages"]
    assert isinstance(packages, dict)
    for package in packages.values():
        artifact = package["artifact"]
        url, sha256, name = artifact.get("url"), artifact.get("sha256"), artifact.get("filename")
        if url and sha256 and name and url.startswith("http"):
            found[name] = (fixed_output_path(name, sha256), int(artifact.get("size") or 0))
    return found


def _forget(paths: list[str]) -> int:
    """Delete the paths from the store; return how many are still valid (held elsewhere)."""
    for path in paths:
        subprocess.run(["nix-store", "--delete", path], capture_output=True, check=False)
    still = subprocess.run(
        ["nix-store", "--check-validity", "--print-invalid", *paths],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return len(paths) - len(still)


def _to_fetch(env_dir: Path, fetches: dict[str, tuple[str, int]]) -> list[tuple[str, str, int]]:
    """(drv, filename, size) of the fetch derivations a build of ``env_dir`` would run."""
    drv = subprocess.run(
        ["nix-instantiate", *NIX_OPTIONS, str(env_dir)],
        capture_output=True,
        text=True,
        check=True,
        env=_nix_env(),
    ).stdout.strip()
    plan = subprocess.run(
        ["nix-store", *NIX_OPTIONS, "--realise", "--dry-run", drv],
        capture_output=True,
        text=True,
        check=True,
        env=_nix_env(),
    ).stderr
    found = []
    for line in plan.splitlines():
        match = _DRV.match(line)
        if match and match[2] in fetches:
            found.append((match[1], match[2], fetches[match[2]][1]))
    return found


def _in_cache(cache: Path, lock: dict[str, object], filename: str) -> bool:
    packages = lock["packages"]
    assert isinstance(packages, dict)
    for package in packages.values():
        artifact = package["artifact"]
        if artifact.get("filename") == filename and artifact.get("sha256"):
            sha256 = artifact["sha256"]
            return (cache / "files-v1" / sha256[:2] / sha256 / filename).is_file()
    return False


def _realise(drvs: list[str]) -> float:
    if not drvs:
        return 0.0
    start = time.perf_counter()
    subprocess.run(
        ["nix-store", *NIX_OPTIONS, "--realise", *drvs],
        capture_output=True,
        text=True,
        check=True,
        env=_nix_env(),
    )
    return time.perf_counter() - start


def _row(label: str, fetch: list[tuple[str, str, int]], seconds: float | None) -> str:
    size = sum(s for _, _, s in fetch) / 1e6
    timing = "" if seconds is None else f"{seconds:7.1f} s"
    return f"{label:<8} {len(fetch):>5} files {size:9.1f} MB  {timing}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="datascience", help="a file of bench/sets (no .txt)")
    parser.add_argument("--no-realise", action="store_true", help="only list the downloads")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="mach2's cache (default: a fresh one, so mach2 downloads the binary wheels once)",
    )
    args = parser.parse_args()
    requirements = ROOT / "bench" / "sets" / f"{args.set}.txt"
    with tempfile.TemporaryDirectory(prefix="mach2-bench-") as directory:
        work = Path(directory)
        args.cache_dir = args.cache_dir or work / "cache"
        # warm mach2's cache (the wheels it plans are downloaded here once)
        _mach2_env(requirements, work / "warm", args.cache_dir, "--no-nix-store")
        lock = json.loads((work / "warm" / "mach2.lock").read_text(encoding="utf-8"))
        fetches = _fetches(lock)
        paths = [p for p, _ in fetches.values()]
        results = {}
        for label, extra in (("before", ("--no-nix-store",)), ("after", ())):
            held = _forget(paths)
            seconds, log = _mach2_env(requirements, work / label, args.cache_dir, *extra)
            added = [line for line in log.splitlines() if line.startswith("added ")]
            fetch = _to_fetch(work / label, fetches)
            realised = None if args.no_realise else _realise([d for d, _, _ in fetch])
            results[label] = (fetch, realised, seconds, added, held)
        print(f"set {args.set}: {len(lock['packages'])} packages, {len(fetches)} files fetched "
              f"by URL ({sum(s for _, s in fetches.values()) / 1e6:.1f} MB)")  # fmt: skip
        print("         Nix downloads            (nix-store --realise of the fetches)")
        for label, (fetch, realised, seconds, added, held) in results.items():
            print(_row(label, fetch, realised))
            note = added[0] if added else "nothing added to the store"
            print(f"         mach2 env {seconds:.1f} s: {note}; {held} paths held elsewhere")
        before, after = results["before"][0], results["after"][0]
        saved = sum(s for *_, s in before) - sum(s for *_, s in after)
        print(f"saved: {len(before) - len(after)} files, {saved / 1e6:.1f} MB")
        # Packages built already (by earlier runs) need no source: on a machine that built
        # none of the env, Nix fetches every file of the lock it does not have.
        cached = [n for n in fetches if _in_cache(args.cache_dir, lock, n)]
        total = sum(s for _, s in fetches.values())
        rest = total - sum(fetches[n][1] for n in cached)
        print(
            f"nothing built yet: before {len(fetches)} files {total / 1e6:.1f} MB, after "
            f"{len(fetches) - len(cached)} files {rest / 1e6:.1f} MB (mach2 downloaded "
            f"{len(cached)} for patch plans, now added to the store)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
