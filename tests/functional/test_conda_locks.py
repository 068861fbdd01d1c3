"""Solved environments made by conda-lock, pixi and rattler, re-solved by mach2's conda solver.

We do not hold conda-forge, so each lock's own conda records (with the depends/constrains the
lock stores) form the channel, for one platform at a time.  Solving the lock's input specs over
that universe must give back exactly the lock's conda packages: that checks our MatchSpec
reading of every real dependency string, our virtual packages per target, constraint handling
and the closure walk.  Where the lock adds something we do not (pip for conda's
``add_pip_as_python_dependency``), the test says so.  For the blas/mkl lock the conda-forge
numpy closure from mamba (openblas builds, with their ``constrains``) is added as a distractor:
the ``blas[build=mkl]`` request must still pull the mkl variants.  docs/conda.md sums it up.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml  # reads the lock files only (test extra); mach2 itself does not use it

from mach2.inputs.environment_yml import read_environment_yml
from mach2.model.target import Target
from mach2.providers.conda.channels import ChannelIndex, RecordsInMemory
from mach2.providers.conda.repodata import RepodataRecord, load_repodata, record_from_json
from mach2.providers.conda.solve import solve, unmet
from mach2.providers.conda.virtual import virtual_packages

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "conda"))
from conda_fixtures import DATA, NUMPY_CLOSURE

LOCKS = DATA / "locks"
SYSTEM = {
    "linux-64": "x86_64-linux",
    "linux-aarch64": "aarch64-linux",
    "osx-64": "x86_64-darwin",
    "osx-arm64": "aarch64-darwin",
}


def _split_filename(url: str) -> tuple[str, str, str, str, str]:
    """``…/<subdir>/<name>-<version>-<build>.conda`` → (subdir, filename, name, version, build)."""
    subdir, filename = url.rstrip("/").split("/")[-2:]
    stem = filename.removesuffix(".conda").removesuffix(".tar.bz2")
    name, version, build = stem.rsplit("-", 2)
    return subdir, filename, name, version, build


def _build_number(build: str) -> int:
    tail = build.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _record(url: str, raw: dict[str, Any]) -> RepodataRecord:
    subdir, filename, name, version, build = _split_filename(url)
    fields = {
        "name": raw.get("name", name),
        "version": str(raw.get("version", version)),
        "build": raw.get("build", build),
        "build_number": raw.get("build_number", _build_number(build)),
        "depends": raw.get("depends") or [],
        "constrains": raw.get("constrains") or [],
        "track_features": raw.get("track_features"),
        "sha256": raw.get("sha256") or (raw.get("hash") or {}).get("sha256"),
        "md5": raw.get("md5") or (raw.get("hash") or {}).get("md5"),
        "subdir": subdir,
        "noarch": raw.get("noarch"),
        "timestamp": raw.get("timestamp"),
    }
    return record_from_json(
        filename, fields, channel="conda-forge", subdir=subdir, base_url=url.rsplit("/", 1)[0]
    )


def pixi_lock(path: Path, environment: str = "default") -> dict[str, list[RepodataRecord]]:
    """Platform → conda records of a pixi lock (v6: entries keyed by ``conda: url``)."""
    lock = yaml.safe_load(path.read_text())
    entries = {p["conda"]: p for p in lock["packages"] if "conda" in p}
    per_platform = lock["environments"][environment]["packages"]
    return {
        platform: [_record(p["conda"], entries[p["conda"]]) for p in packages if "conda" in p]
        for platform, packages in per_platform.items()
    }


def rattler_v4_lock(path: Path) -> dict[str, list[RepodataRecord]]:
    lock = yaml.safe_load(path.read_text())
    entries = {p["url"]: p for p in lock["packages"] if p.get("kind") == "conda"}
    per_platform = lock["environments"]["default"]["packages"]
    return {
        platform: [_record(p["conda"], entries[p["conda"]]) for p in packages if "conda" in p]
        for platform, packages in per_platform.items()
    }


def conda_lock(path: Path) -> dict[str, list[RepodataRecord]]:
    """Platform → conda records of a conda-lock.yml (v1: ``dependencies`` is name → spec)."""
    lock = yaml.safe_load(path.read_text())
    result: dict[str, list[RepodataRecord]] = {}
    for package in lock["package"]:
        if package["manager"] != "conda":
            continue
        depends = [f"{n} {s}".strip() for n, s in (package.get("dependencies") or {}).items()]
        record = _record(package["url"], {**package, "depends": depends})
        result.setdefault(package["platform"], []).append(record)
    return result


def _solve(
    specs: Iterable[str],
    records: list[RepodataRecord],
    target: Target,
    *,
    extra: Iterable[RepodataRecord] = (),
    add_pip: bool = False,
) -> dict[str, str]:
    index = ChannelIndex([RecordsInMemory("conda-forge", [*records, *extra])])
    solution = solve(list(specs), index, target, python="any", add_pip_as_python_dependency=add_pip)
    return {r.name: r.filename for r in solution.records}


def _expected(records: list[RepodataRecord]) -> dict[str, str]:
    return {r.name: r.filename for r in records}


def _target(platform: str, python: str = "3.12", macos: str | None = None) -> Target:
    return Target.from_strings(python, SYSTEM[platform], macos=macos)


# -- pixi: conda specs with constrains in the lock -------------------------------------------------

PIXI_SPECS = ["python ~=3.11.0", "numpy 1.26.*", "scipy ~=1.11.4", "libclang ~=16.0.6"]


@pytest.mark.parametrize("platform", ["linux-64", "osx-64", "osx-arm64"])
def test_pixi_examples_pypi(platform: str) -> None:
    """pixi's mixed example: its conda half (python 3.11, numpy, scipy, libclang)."""
    records = pixi_lock(LOCKS / "pixi" / "examples-pypi" / "pixi.lock")[platform]
    target = _target(platform, "3.11", macos="12.0")
    virtual = virtual_packages(target)
    assert unmet([*records, *virtual]) == ()
    assert _solve(PIXI_SPECS, records, target) == _expected(records)


@pytest.mark.parametrize(
    ("lock", "specs"),
    [
        ("python-from-conda-only-lock.yml", ["python 3.13.*"]),
        ("numpy-as-pypi-lock.yml", ["python 3.13.*"]),
    ],
)
def test_rattler_v6(lock: str, specs: list[str]) -> None:
    records = pixi_lock(LOCKS / "rattler" / "v6" / lock)["osx-arm64"]
    target = _target("osx-arm64", "3.13")
    assert unmet([*records, *virtual_packages(target)]) == ()
    assert _solve(specs, records, target) == _expected(records)


@pytest.mark.parametrize("platform", ["linux-64", "linux-aarch64", "osx-64", "osx-arm64"])
def test_rattler_v4_python(platform: str) -> None:
    """conda-lock (micromamba) output for ``python =3.11.0``; pip comes from conda's
    add_pip_as_python_dependency."""
    records = rattler_v4_lock(LOCKS / "rattler" / "v4" / "python-lock.yml")[platform]
    target = _target(platform, "3.11")
    assert unmet([*records, *virtual_packages(target)], add_pip_to_python=True) == ()
    assert _solve(["python =3.11.0"], records, target, add_pip=True) == _expected(records)


# -- conda-lock: specs from environment.yml, depends from the lock ---------------------------------

#: (directory, environment files, platform, whether the solver that made it added pip to python,
#: packages in the lock that nothing in it needs and that we therefore do not reproduce)
CONDA_LOCK_CASES = [
    ("test-install-with-pip-deps", ["environment.yml"], "linux-64", True, set()),
    ("test-install-with-pip-deps", ["environment.yml"], "linux-aarch64", True, set()),
    ("test-pypi-resolve-gh155", ["environment.yml"], "linux-64", True, set()),
    ("test-explicit-toposorted", ["environment.yml"], "linux-64", True, set()),
    (
        "test-environment-blas-mkl",
        ["environment.yml"],
        "linux-64",
        True,
        {"openblas", "libopenblas"},
    ),
    ("test-environment-blas-mkl", ["environment.yml"], "osx-64", True, {"openblas", "libopenblas"}),
    ("test-multiple-categories", ["main.yml", "dev.yml", "test.yml"], "linux-64", False, set()),
]


@pytest.mark.parametrize(("case", "sources", "platform", "add_pip", "extras"), CONDA_LOCK_CASES)
def test_conda_lock(
    case: str, sources: list[str], platform: str, add_pip: bool, extras: set[str]
) -> None:
    directory = LOCKS / "conda-lock" / case
    records = conda_lock(directory / "conda-lock.yml")[platform]
    specs = [
        s.text for name in sources for s in read_environment_yml(directory / name).conda_specs()
    ]
    target = _target(platform)
    assert unmet([*records, *virtual_packages(target)], add_pip_to_python=add_pip) == ()
    needed = {s.split()[0] for r in records if r.name not in extras for s in r.depends}
    assert not extras & needed  # the extras really are orphans in the lock
    expected = {n: f for n, f in _expected(records).items() if n not in extras}
    assert _solve(specs, records, target, add_pip=add_pip) == expected


def test_blas_mkl_against_openblas_distractors() -> None:
    """The lock's records plus mamba's conda-forge numpy closure (2024: newer libgcc, and
    openblas builds of libblas/libcblas/liblapack with build number 21 and ``constrains:
    blas * openblas``).  ``blas[build=mkl]`` must keep the mkl variants; without it the
    newer openblas builds win."""
    directory = LOCKS / "conda-lock" / "test-environment-blas-mkl"
    records = conda_lock(directory / "conda-lock.yml")["linux-64"]
    closure = load_repodata(NUMPY_CLOSURE, channel="conda-forge", subdir="linux-64", base_url="x")
    # everything but the python 3.12 stack, so that the lock's python 3.10 stays in play
    distractors = [r for r in closure if r.name not in ("numpy", "python", "python_abi")]
    target = _target("linux-64")
    specs = ["numpy", "python 3.10.*"]
    mkl = _solve([*specs, "blas[build=mkl]"], records, target, extra=distractors, add_pip=True)
    for name in ("libblas", "libcblas", "liblapack"):
        assert "_mkl" in mkl[name], mkl[name]
    assert mkl["blas"] == "blas-2.113-mkl.tar.bz2"
    assert mkl["libgcc-ng"] == "libgcc-ng-13.2.0-h807b86a_5.conda"  # the newer distractor
    plain = _solve(specs, records, target, extra=distractors, add_pip=True)
    for name in ("libblas", "libcblas", "liblapack"):
        assert plain[name].endswith("21_linux64_openblas.conda"), plain[name]
    assert "blas" not in plain and "mkl" not in plain


def test_explicit_lists_name_only() -> None:
    """`conda list --explicit` outputs hold URLs and md5 only: check what we can (names)."""
    lines = (LOCKS / "rattler" / "python-explicit" / "explicit-env-linux-64.txt").read_text()
    urls = [line.split("#")[0] for line in lines.splitlines() if line.startswith("https://")]
    names = {_split_filename(u)[2] for u in urls}
    v4 = {r.name for r in rattler_v4_lock(LOCKS / "rattler" / "v4" / "python-lock.yml")["linux-64"]}
    assert names == v4
