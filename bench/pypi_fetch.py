"""Benchmark of the PyPI I/O edge: pages + wheel metadata of the data-science set.

    python -m bench.pypi_fetch            # from the repository root: cold, warm, then uv
    python -m bench.pypi_fetch --no-uv    # without the uv comparison

The set is the closure of ``numpy pandas matplotlib scipy scikit-learn jupyterlab seaborn
statsmodels`` for CPython 3.12 on x86_64 manylinux_2_28 as of 2026-11-01, pinned below (from
``uv pip compile --exclude-newer 2026-11-01T00:00:00Z --python-version 3.12
--python-platform x86_64-manylinux_2_28``).  For every pinned version the best-fitting wheel is
chosen and its METADATA fetched.  Two shapes:

- ``flat``: all 111 names are known up front (pure throughput: the floor for any resolver);
- ``graph``: start from the 8 roots and discover the rest from ``Requires-Dist`` as metadata
  arrives, each package handled as soon as it is known (the critical path a perfect resolver
  without backtracking would see).

Each runs cold (empty cache), then warm with ``--exclude-newer`` (cached pages are used without
a request), warm without it (every page revalidated) and offline.  ``uv pip compile`` runs cold
(empty cache) and warm for the same requirements and target.  Timings are wall clock, one run
each: they vary with the network, so compare numbers from the same run.
"""

from __future__ import annotations

import argparse
import email.parser
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from mach2.model.artifact import DistFile
from mach2.model.names import NormalizedName
from mach2.model.target import Target
from mach2.providers.pypi.client import PyPIClient

ROOTS = [
    "numpy",
    "pandas",
    "matplotlib",
    "scipy",
    "scikit-learn",
    "jupyterlab",
    "seaborn",
    "statsmodels",
]
EXCLUDE_NEWER = datetime(2026, 11, 1, tzinfo=UTC)
TARGET = Target(python=(3, 12, 12), system="x86_64-linux", glibc=(2, 28))
#: uv's answer for ROOTS and TARGET at EXCLUDE_NEWER: what the closure contains.
PINS = {
    "anyio": "4.15.1",
    "argon2-cffi": "25.1.0",
    "argon2-cffi-bindings": "26.1.0",
    "arrow": "1.4.0",
    "asttokens": "3.0.2",
    "async-lru": "2.4.0",
    "attrs": "26.1.0",
    "babel": "2.18.0",
    "beautifulsoup4": "4.15.0",
    "bleach": "6.4.0",
    "certifi": "2026.10.18",
    "cffi": "2.1.1",
    "charset-normalizer": "3.5.2",
    "cloudpickle": "3.1.2",
    "comm": "0.2.3",
    "contourpy": "1.4.0",
    "cycler": "0.12.1",
    "debugpy": "1.8.22",
    "defusedxml": "0.7.1",
    "executing": "2.3.0",
    "fastjsonschema": "2.22.2",
    "fonttools": "4.68.0",
    "formulaic": "1.2.2",
    "fqdn": "1.6.0",
    "h11": "0.16.0",
    "httpcore": "1.0.9",
    "httpx": "0.28.1",
    "idna": "3.20",
    "interface-meta": "2.0.1",
    "ipykernel": "7.4.0",
    "ipython": "9.18.0",
    "ipython-pygments-lexers": "1.1.1",
    "isoduration": "20.11.0",
    "jedi": "0.20.1",
    "jinja2": "3.1.6",
    "joblib": "1.6.0",
    "json5": "0.17.3",
    "jsonpointer": "3.6",
    "jsonschema": "4.26.0",
    "jsonschema-specifications": "2025.9.1",
    "jupyter-builder": "1.2.4",
    "jupyter-client": "8.10.0",
    "jupyter-core": "5.9.1",
    "jupyter-events": "0.12.1",
    "jupyter-lsp": "2.3.1",
    "jupyter-server": "2.21.1",
    "jupyter-server-terminals": "0.5.4",
    "jupyterlab": "4.6.5",
    "jupyterlab-pygments": "0.3.0",
    "jupyterlab-server": "2.28.1",
    "kiwisolver": "1.5.1",
    "lark": "1.3.1",
    "markupsafe": "3.0.4",
    "matplotlib": "3.11.2",
    "matplotlib-inline": "0.2.2",
    "mistune": "3.4.0",
    "narwhals": "2.28.0",
    "nbclient": "0.11.0",
    "nbconvert": "7.17.2",
    "nbformat": "5.11.1",
    "nest-asyncio2": "1.7.4",
    "notebook-shim": "0.2.4",
    "numpy": "2.5.4",
    "packaging": "26.3",
    "pandas": "3.1.0",
    "pandocfilters": "1.5.1",
    "parso": "0.8.7",
    "patsy": "1.0.3",
    "pexpect": "4.9.0",
    "pillow": "13.0.0",
    "platformdirs": "4.14.2",
    "prometheus-client": "0.26.0",
    "prompt-toolkit": "3.0.53",
    "psutil": "7.2.2",
    "ptyprocess": "0.7.0",
    "pure-eval": "0.2.4",
    "pycparser": "3.12",
    "pygments": "2.21.0",
    "pyparsing": "3.3.3",
    "python-dateutil": "3.0.0",
    "python-json-logger": "4.2.0",
    "pyyaml": "6.0.3",
    "pyzmq": "27.2.0",
    "referencing": "0.37.0",
    "requests": "2.34.2",
    "rfc3339-validator": "0.1.4",
    "rfc3986-validator": "0.1.1",
    "rfc3987-syntax": "1.1.0",
    "rpds-py": "2026.9.1",
    "scikit-learn": "1.9.1",
    "scipy": "1.18.1",
    "seaborn": "0.13.2",
    "send2trash": "2.1.0",
    "six": "1.17.0",
    "soupsieve": "3.0.4",
    "stack-data": "0.6.3",
    "statsmodels": "0.15.0",
    "terminado": "0.18.1",
    "threadpoolctl": "3.7.0",
    "tinycss2": "1.5.1",
    "tornado": "6.6",
    "traitlets": "5.16.1",
    "typing-extensions": "4.16.0",
    "tzdata": "2026.6",
    "uri-template": "1.3.0",
    "urllib3": "2.8.0",
    "wcwidth": "0.9.4",
    "webcolors": "25.10.0",
    "webencodings": "0.6.1",
    "websocket-client": "1.9.2",
    "wrapt": "2.5.2",
}


def best_wheel(files: tuple[DistFile, ...], version: str) -> DistFile | None:
    """The wheel of ``version`` with the best tag for TARGET (what a resolver would pick)."""
    ranked = []
    for file in files:
        # Cheap string test first (what the wheel provider does): parse only this version's.
        if not file.is_wheel or file.yanked is not None or file.filename.split("-")[1] != version:
            continue
        try:
            _, wheel_version, _, tags = parse_wheel_filename(file.filename)
        except InvalidWheelFilename:
            continue
        if str(wheel_version) != version:
            continue
        ranks = [TARGET.tag_rank.get((t.interpreter, t.abi, t.platform)) for t in tags]
        fitting = [r for r in ranks if r is not None]
        if fitting:
            ranked.append((min(fitting), file))
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def dependencies(metadata: bytes, extras: frozenset[str]) -> dict[NormalizedName, set[str]]:
    message = email.parser.BytesParser().parsebytes(metadata, headersonly=True)
    found: dict[NormalizedName, set[str]] = {}
    environment = dict(TARGET.marker_environment)
    for line in message.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is not None and not any(
            marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras)
        ):
            continue
        found.setdefault(canonicalize_name(requirement.name), set()).update(requirement.extras)
    return found


def run_flat(client: PyPIClient) -> int:
    names = [canonicalize_name(n) for n in PINS]
    client.prefetch_projects(names)
    wheels = []
    for name in names:
        wheel = best_wheel(client.project_files(name), PINS[name])
        if wheel is not None:
            client.prefetch_metadata([wheel])
            wheels.append(wheel)
    for wheel in wheels:
        client.wheel_metadata(wheel)
    return len(names)


def run_graph(client: PyPIClient) -> int:
    """Discover the closure from the roots, each package handled as soon as it is known."""
    lock = threading.Lock()
    seen: dict[NormalizedName, set[str]] = {}
    pending: list[Future[None]] = []
    pool = ThreadPoolExecutor(32)

    def visit(name: NormalizedName, extras: set[str]) -> None:
        with lock:
            known = seen.get(name)
            if known is not None and extras <= known:
                return
            seen[name] = (known or set()) | extras
            all_extras = frozenset(seen[name])
            pending.append(pool.submit(handle, name, all_extras))

    def handle(name: NormalizedName, extras: frozenset[str]) -> None:
        pin = PINS.get(name)
        if pin is None:
            return  # not in uv's closure (a marker uv evaluated differently): skip
        wheel = best_wheel(client.project_files(name), pin)
        if wheel is None:
            return
        for child, child_extras in dependencies(client.wheel_metadata(wheel), extras).items():
            client.prefetch_projects([child])
            visit(child, child_extras)

    for root in ROOTS:
        visit(canonicalize_name(root), set())
    while True:
        with lock:
            waiting = [f for f in pending if not f.done()]
            if not waiting:
                break
        for future in waiting:
            future.result()
    for future in pending:
        future.result()
    pool.shutdown()
    return len(seen)


def measure(label: str, run: Callable[[PyPIClient], int], **options: object) -> float:
    started = time.perf_counter()
    with PyPIClient(**options) as client:  # type: ignore[arg-type]
        packages = run(client)
        elapsed = time.perf_counter() - started
        s = client.stats
    print(
        f"{label:<34} {elapsed:6.2f} s  {packages:3d} pkgs  {s.requests:4d} requests"
        f"  {s.bytes / 1e6:6.1f} MB  pages fetched/304/cached {s.pages_fetched}/"
        f"{s.pages_not_modified}/{s.pages_cached}  metadata cached/.metadata/range/download "
        f"{s.metadata_cached}/{s.metadata_files}/{s.metadata_ranges}/{s.metadata_downloads}"
        f"  dns {s.dns_lookups}  connections {s.connections}"
    )
    return elapsed


def measure_uv(cache: Path) -> tuple[float, float] | None:
    uv = shutil.which("uv")
    if uv is None:
        print("uv not found: skipping the comparison")
        return None
    requirements = cache / "requirements.in"
    requirements.write_text("\n".join(ROOTS) + "\n")
    command = [
        uv, "pip", "compile", "-q", "--cache-dir", str(cache / "uv"),
        "--exclude-newer", "2026-11-01T00:00:00Z", "--python-version", "3.12",
        "--python-platform", "x86_64-manylinux_2_28", str(requirements), "-o", "/dev/null",
    ]  # fmt: skip
    times = []
    for label in ("uv pip compile cold", "uv pip compile warm"):
        started = time.perf_counter()
        subprocess.run(command, check=True)
        times.append(time.perf_counter() - started)
        print(f"{label:<34} {times[-1]:6.2f} s")
    return times[0], times[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-uv", action="store_true", help="skip the uv comparison")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="mach2-bench-") as scratch:
        for shape, run in (("flat", run_flat), ("graph", run_graph)):
            cache = Path(scratch) / shape
            common = {"cache_dir": cache, "max_connections": args.connections}
            results[f"{shape} cold"] = measure(
                f"{shape} cold", run, exclude_newer=EXCLUDE_NEWER, **common
            )
            results[f"{shape} warm"] = measure(
                f"{shape} warm --exclude-newer", run, exclude_newer=EXCLUDE_NEWER, **common
            )
            measure(f"{shape} warm, pages revalidated", run, **common)
            measure(f"{shape} warm --offline", run, offline=True, **common)
        uv = None if args.no_uv else measure_uv(Path(scratch))
    if uv is not None:
        print(
            f"ratios to uv: graph cold {results['graph cold'] / uv[0]:.2f}x, "
            f"graph warm {results['graph warm'] / uv[1]:.2f}x "
            "(pages + metadata only; the resolver's own time comes on top)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
