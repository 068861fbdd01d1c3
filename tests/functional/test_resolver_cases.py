"""Resolver cases written by others, run through mach2's Factory and resolver as data.

The cases live in ``tests/data/resolver-cases`` (its PROVENANCE.md gives their origin,
licence and format; the 2020 PyPI snapshots are stored gzip-compressed, byte for byte):

- ``resolvelib/``: resolvelib's functional cases (``case/*.json`` over ``index/*.json``, four
  of them real PyPI snapshots from 2020);
- ``pip-yaml/``: pip's YAML resolver fixtures (an index in a few lines, install requests and
  the expected installed state or error);
- ``mach-nix/``: which wheel filenames fit a Python version and platform, and mach-nix's
  requirement sets (the latter resolved live against PyPI, ``network``).

One parametrized test per kind, ids from the file names; every expected failure is an
``xfail(strict=True)`` with its reason in the tables below.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]  # reads pip's cases (test extra)
from fakes import ListingIndex, Outcome, Release, Universe, cache_root, resolve_universe
from packaging.markers import Marker
from packaging.requirements import Requirement as Pep508
from packaging.tags import Tag, cpython_tags
from packaging.version import InvalidVersion, Version

import mach2.resolve.resolver
from mach2.api import LockOptions, lock_input
from mach2.errors import ResolutionFailed, TargetError
from mach2.inputs import parse_requirements
from mach2.model.names import normalize
from mach2.model.target import Target
from mach2.providers.pypi.configure import wheel_dependencies
from mach2.providers.pypi.provider import WheelProvider, wheel_tags

CASES = Path(__file__).resolve().parents[1] / "data" / "resolver-cases"


def _params(paths: list[Path], xfail: Mapping[str, str]) -> list[Any]:
    """One pytest param per case file, id = file stem, xfail(strict) where listed."""
    return [
        pytest.param(
            path,
            id=path.stem,
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=xfail[path.stem])]
            if path.stem in xfail
            else [],
        )
        for path in paths
    ]


# -- (a) resolvelib ------------------------------------------------------------------------------
#
# Upstream's harness (tests/functional/python/test_resolvers_python.py) evaluates markers with
# ``any(marker.evaluate({"extra": e}) for e in candidate.extras)``: for a candidate without
# extras that is ``any(())``, so *every* dependency with a marker is dropped, and the expected
# results are recorded that way (chalice: botocore's ``urllib3; python_version != '3.4'`` is
# not in the result).  The universe below keeps that: markers without ``extra`` are dropped,
# ``extra`` markers are left to the Factory.  Targets: CPython 3.8, the Python of 2020.

RESOLVELIB = CASES / "resolvelib"
RESOLVELIB_TARGET = Target.from_strings("3.8", "x86_64-linux")
#: rounds allowed before giving up; every passing case needs fewer than 300
RESOLVELIB_ROUNDS = 2_000
#: pyrex-1.9.8 records no result (``"resolved": {}``).  In its snapshot it has none: pyrax
#: 1.9.8 pins python-novaclient 2.27.0, which needs oslo.serialization>=1.4.0; every such
#: version needs msgpack-python (0.5.0 only, which needs msgpack) or msgpack, and msgpack has
#: no versions.  So we expect what a resolver should say: a conflict that names msgpack.
RESOLVELIB_CONFLICTS = {"pyrex-1.9.8": ["msgpack"]}
RESOLVELIB_XFAIL = {
    "pyrex-1.9.8": "unsatisfiable, but resolvelib's backjumping cannot prove it: mach2 gives up "
    f"after {RESOLVELIB_ROUNDS} rounds (200,000 ran >15 min) without naming msgpack; "
    "resolvelib's own suite marks the case xfail too (too many rounds)",
}


@functools.cache
def _resolvelib_universe(index: str) -> Universe:
    plain = RESOLVELIB / "index" / f"{index}.json"
    if plain.exists():
        data = json.loads(plain.read_text())
    else:
        data = json.loads(gzip.decompress(plain.with_name(plain.name + ".gz").read_bytes()))
    universe: dict[str, dict[str, Release]] = {}
    for name, versions in data.items():
        if not isinstance(versions, dict):
            continue  # backjump-test-3/4 indexes carry a stray "needs_optimistic": true
        universe[name] = {
            version: Release(tuple(d for d in info["dependencies"] if _kept(d)))
            for version, info in versions.items()
        }
    return universe


def _kept(dependency: str) -> bool:
    # A string test, not a parse: a few snapshot entries are malformed ("setuptools
    # (>=18.5decorator)") and the Factory is the one to skip those.
    marker = dependency.partition(";")[2]
    return not marker.strip() or "extra" in marker


@pytest.mark.parametrize(
    "path", _params(sorted((RESOLVELIB / "case").glob("*.json")), RESOLVELIB_XFAIL)
)
def test_resolvelib_case(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads(path.read_text())
    monkeypatch.setattr(mach2.resolve.resolver, "MAX_ROUNDS", RESOLVELIB_ROUNDS)
    universe = _resolvelib_universe(case["index"])
    conflicted = case.get("conflicted") or RESOLVELIB_CONFLICTS.get(path.stem)
    if conflicted:
        with pytest.raises(ResolutionFailed) as info:
            resolve_universe(universe, case["requested"], target=RESOLVELIB_TARGET)
        text = " ".join([info.value.message, *info.value.reasons])
        for name in conflicted:
            assert normalize(name) in text, text
        return
    outcome = resolve_universe(universe, case["requested"], target=RESOLVELIB_TARGET)
    environment = RESOLVELIB_TARGET.marker_environment
    expected = {
        normalize(name): Version(value["version"])
        for name, value in (
            (n, v if isinstance(v, dict) else {"version": v}) for n, v in case["resolved"].items()
        )
        if "marker" not in value or Marker(value["marker"]).evaluate(dict(environment))
    }
    assert outcome.versions == expected
    for name, versions in case.get("unvisited", {}).items():
        visited = {c.version for c in outcome.pinned if c.name == normalize(name)}
        assert not visited & {Version(v) for v in versions}, f"visited {name} {versions}"


# -- (b) pip's YAML cases ------------------------------------------------------------------------
#
# A case is a list of steps (``install: REQ | [REQ...]``) and one response per step: the
# installed ``state`` after it (``null`` = nothing installed, i.e. the step failed) and/or an
# ``error``.  mach2 locks from scratch, so pip's installed environment is modelled around the
# resolver: each step resolves only its own request, with installed versions tried first (pip's
# only-if-needed upgrade strategy), and its result updates the environment.  An ``error`` is
# either a failed resolution or, with exit code 0, pip's warning that an installed package's
# requirement is now broken (then the step succeeds and the environment has a broken edge).
# pip's stderr texts are its own wording and are not compared; our messages must be one line.
# pip ran the cases in a virtualenv that already had pip, setuptools and wheel (not reported in
# ``state``): requirements on those are taken as satisfied and dropped.

PIP_YAML = CASES / "pip-yaml"
PIP_YAML_TARGET = Target.from_strings("3.12", "x86_64-linux")
PIP_TEST_ENVIRONMENT = frozenset({"pip", "setuptools", "wheel"})


def _yaml_cases() -> Iterator[Any]:
    for path in sorted(PIP_YAML.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        base = data.get("base", {})
        for number, case in enumerate(data["cases"]):
            merged = {**base, **case}
            reason = _pip_skip_reason(merged)
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            yield pytest.param(merged, id=f"{path.stem}-{number}", marks=marks)


def _pip_skip_reason(case: Mapping[str, Any]) -> str | None:
    for step in case["request"]:
        if "uninstall" in step:
            return "uninstall: mach2 locks environments, it does not remove from one"
        if step.get("options"):
            return f"pip option {step['options']!r}: a lock always includes dependencies"
    return None


def _pip_universe(available: list[Any]) -> Universe:
    universe: dict[str, dict[str, Release]] = {}
    for entry in available:
        if isinstance(entry, str):
            head, *verbs = (part.strip() for part in entry.split(";"))
            name, version = head.split()
            depends: list[str] = []
            for verb in verbs:
                word, _, args = verb.partition(" ")
                assert word == "depends", entry
                depends += [a.strip() for a in args.split(",") if a.strip()]
            extras: Mapping[str, list[str]] = {}
        else:
            name, version = entry["name"], str(entry["version"])
            depends = list(entry.get("depends") or [])
            extras = entry.get("extras") or {}
        requires = [*depends]
        for extra, requirements in extras.items():
            requires += [f"{r} ; extra == {extra!r}" for r in requirements]
        kept = tuple(r for r in requires if _name(r) not in PIP_TEST_ENVIRONMENT)
        universe.setdefault(name, {})[version] = Release(kept)
    return universe


def _name(requirement: str) -> str:
    # Not a parse: huge.yml has conda-style entries ("openssl 1.0.*") the Factory skips.
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    return normalize(match[0]) if match else requirement


def _state(entries: list[str] | None) -> dict[str, Version]:
    return {normalize(e.split()[0]): Version(e.split()[1]) for e in entries or []}


def _is(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False  # huge.yml has conda versions ("1.0.2l"); they are never candidates


def _broken(universe: Universe, installed: Mapping[str, Version]) -> list[str]:
    """``a 1.0 requires c==1.0`` for each installed requirement the environment breaks."""
    by_name: dict[str, Mapping[str, Release]] = {normalize(n): r for n, r in universe.items()}
    found = []
    for name, version in installed.items():
        release = next(r for v, r in by_name[name].items() if _is(v, version))
        for text in release.requires_dist:
            requirement = Pep508(text)
            if requirement.marker is not None:
                continue  # extras: pip's state does not say which were installed
            have = installed.get(normalize(requirement.name))
            if have is None or not requirement.specifier.contains(have, prereleases=True):
                found.append(f"{name} {version} requires {text}")
    return found


@pytest.mark.parametrize("case", list(_yaml_cases()))
def test_pip_yaml_case(case: Mapping[str, Any]) -> None:
    universe = _pip_universe(case["available"])
    installed: dict[str, Version] = {}
    for step, response in zip(case["request"], case["response"], strict=True):
        requested = step["install"]
        requested = [requested] if isinstance(requested, str) else list(requested)
        error = response.get("error")
        expect_failure = error is not None or ("state" in response and not response["state"])
        try:
            outcome: Outcome | None = resolve_universe(
                universe, requested, target=PIP_YAML_TARGET, preferred=installed
            )
        except ResolutionFailed as failure:
            assert expect_failure, f"{requested}: {failure}"
            assert "\n" not in str(failure)
            continue
        assert outcome is not None
        now = {**installed, **outcome.versions}
        if error is not None:
            assert not error.get("code"), f"{requested} resolved; pip failed: {error}"
            assert _broken(universe, now), f"{requested}: pip warned, mach2 finds nothing broken"
        elif expect_failure:
            pytest.fail(f"{requested} resolved to {outcome.versions}; pip installs nothing")
        if response.get("state"):
            assert now == _state(response["state"])
        installed = now


# -- (c) mach-nix: wheel compatibility -----------------------------------------------------------
#
# Rows say whether ``wheel_fn`` fits ``py_ver`` on ``platform``-``system``.  mach2 builds for
# CPython 3.8 and newer only: for older (and 4.0) rows, the answer is a TargetError.  The rest go
# through the real WheelProvider (string prefilter, tag ranking) and Target.tag_rank.

MACH_NIX = CASES / "mach-nix"
#: rows where mach2 deliberately differs from mach-nix, with the reason
WHEEL_COMPAT_DIFFERS = {
    "PyQt5-5.15.1-5.15.1-cp35.cp36.cp37-abi3-manylinux2014_x86_64.whl@3.8.0": (
        "abi3 is forward compatible (PEP 384/425): cp37-abi3 fits CPython 3.8; mach-nix said no"
    ),
}


def _wheel_rows() -> list[Any]:
    path = MACH_NIX / "wheel-compat-cases.json"
    rows = json.loads(path.read_text())["cases"]
    return [
        pytest.param(row, id=f"{row['wheel_fn']}@{row['py_ver']}-{row['system']}") for row in rows
    ]


@pytest.mark.parametrize("row", _wheel_rows())
def test_wheel_compat_case(row: Mapping[str, Any]) -> None:
    system = f"{row['platform']}-{row['system']}"
    major, minor = (int(p) for p in row["py_ver"].split(".")[:2])
    if (major, minor) < (3, 8) or major > 3:
        with pytest.raises(TargetError):
            Target.from_strings(row["py_ver"], system)
        return
    target = Target.from_strings(row["py_ver"], system)
    filename = row["wheel_fn"]
    fields = wheel_tags(filename)
    assert fields is not None
    _version, pythons, abis, platforms = fields
    by_rank = any(
        (py, abi, plat) in target.tag_rank
        for py in pythons.split(".")
        for abi in abis.split(".")
        for plat in platforms.split(".")
    )
    project = normalize(filename.split("-")[0])
    provider = WheelProvider(ListingIndex({project: [filename]}), target, wheel_dependencies)
    by_provider = bool(provider.candidates(project))
    assert by_rank == by_provider
    expected = row["expected"]
    reason = WHEEL_COMPAT_DIFFERS.get(f"{filename}@{row['py_ver']}")
    if reason is not None:
        # packaging, asked with everything explicit, is the referee
        tags = {Tag(py, abi, plat) for py in pythons.split(".") for abi in abis.split(".")
                for plat in platforms.split(".")}  # fmt: skip
        oracle = set(
            cpython_tags((major, minor), abis=[f"cp{major}{minor}"], platforms=[platforms])
        )
        assert bool(tags & oracle) == by_provider
        expected = not expected
    assert by_provider == expected, reason


# -- (c) mach-nix: requirement sets, live ----------------------------------------------------------
#
# mach-nix's tests only built these; here each must resolve against PyPI as of EXCLUDE_NEWER.
# Provider orders are mach-nix's with ``nixpkgs``/``conda`` taken out (the live lock uses the
# wheel and sdist providers); an entry left empty falls back to ``_default``.  Python: the one
# the test named, else 3.12 unless the pins predate it.  ``fakes.cache_root()`` keeps
# pages and metadata between runs; cold, the slowest is test_extras (~30 s: 170 versions of
# distributed, one metadata request at a time).

EXCLUDE_NEWER = datetime(2026, 11, 1, tzinfo=UTC)
#: case id (``examples-<n>`` or the nix test's name) → python, system, and the start of the
#: expected error message when the set can no longer resolve (None: it must resolve)
LIVE_SETS: dict[str, tuple[str, str, str | None]] = {
    "examples-0": ("3.12", "x86_64-linux", None),  # pillow numpy requests
    "examples-3": ("3.8", "x86_64-linux", "no version of tensorflow matches"),  # 2.2.0rc4: gone
    "examples-5": ("3.11", "x86_64-linux", None),  # geo stack; shapely from its sdist, pygeos<3.12
    "examples-6": ("3.12", "x86_64-linux", None),  # jupyterlab
    "examples-7": ("3.12", "aarch64-linux", None),  # cryptography (Raspberry Pi example)
    "test_alias_dateutil": ("3.12", "x86_64-linux", None),  # python-dateutil from its sdist
    "test_dot_in_name": ("3.12", "x86_64-linux", None),  # pdfminer.six == 20200726
    "test_extra_pkgs": ("3.12", "x86_64-linux", None),  # aiohttp (packagesExtra left out)
    "test_extras": ("3.12", "x86_64-linux", None),  # dask[complete]==2.22.0: backtracks 170x
    "test_passthru_select_pypi_pname": ("3.12", "x86_64-linux", None),  # bokeh
    "test_py38_cp38_wheel": ("3.8", "x86_64-linux", None),  # numba==0.50.1
    "test_pymc3": ("3.9", "x86_64-linux", None),  # pymc3 == 3.11.4, theano-pymc from its sdist
    "test_remove_unwanted_deps": ("3.9", "x86_64-linux", None),  # librosa, soundfile=sdist
}
LIVE_SKIPS = {
    "examples-1": "imagecodecs with _default=sdist builds numpy's metadata from source (~3 min)",
    "examples-2": "tensorflow=nixpkgs: without a nixpkgs index it is plain tensorflow",
    "examples-4": "torch==1.5.0 with _default=nixpkgs,sdist: setuptools' own sdist then fails "
    "to build its metadata (KeyError 'entry_points')",
    "test_flakes": "same set as test_flakes_legacy_consistent and examples-0's requests",
    "test_flakes_legacy_consistent": "requests: covered by test_resolve_live",
    "test_flakes_lib": "no requirements (packagesExtra only)",
    "test_jupyterlab_nixpkgs": "jupyterlab=nixpkgs: without a nixpkgs index it is examples-6",
    "test_lazy_usage": "no requirements (packagesExtra only)",
    "test_non_python_extra_pkgs": "requests plus a non-Python derivation: covered elsewhere",
    "test_overrides_selectPkgs": "python37: below mach2's floor (CPython 3.8)",
    "test_circular_deps": "same set as test_extras",
    "test_py38_cp38m_wheel": "same set as test_py38_cp38_wheel",
    "test_r_pkgs": "requests plus R packages: covered elsewhere",
    "test_underscore_override": "ldap0's source came from git (not a resolver input)",
    "test_underscore_override_extra": "no requirements (packagesExtra only)",
}


def _requirement_sets() -> list[Any]:
    examples = MACH_NIX / "examples-requirement-sets.json"
    tests = MACH_NIX / "nix-test-requirement-sets.json"
    sets = [
        (f"examples-{n}", e) for n, e in enumerate(json.loads(examples.read_text())["examples"])
    ]
    sets += [(c["test"], c) for c in json.loads(tests.read_text())["cases"]]
    params = []
    for case_id, case in sets:
        marks = [pytest.mark.network]
        if case_id in LIVE_SKIPS:
            marks.append(pytest.mark.skip(reason=LIVE_SKIPS[case_id]))
        else:
            assert case_id in LIVE_SETS, f"new requirement set {case_id}: add it to a table"
        params.append(pytest.param(case, id=case_id, marks=marks))
    return params


def _providers(mach_nix: Mapping[str, str]) -> dict[str, str]:
    """mach-nix's provider order, limited to the providers a live lock has."""
    order = {"_default": "wheel,sdist"}
    for key, value in mach_nix.items():
        kept = [p for p in value.split(",") if p in ("wheel", "sdist")]
        if kept:
            order[key] = ",".join(kept)
    return order


@pytest.fixture(scope="session")
def live_cache() -> Path:
    return cache_root()


@pytest.mark.parametrize("case", _requirement_sets())
def test_mach_nix_requirement_set(
    case: Mapping[str, Any], request: pytest.FixtureRequest, live_cache: Path
) -> None:
    python, system, error = LIVE_SETS[request.node.callspec.id]
    text = "".join(f"{line}\n" for line in case["requirements"])
    options = LockOptions(
        target=Target.from_strings(python, system, glibc="2.28"),
        providers=_providers(case.get("providers", {})),
        exclude_newer=EXCLUDE_NEWER,
        cache_dir=live_cache,
        host_python=sys.executable,
        patchelf=False,
    )
    if error is not None:
        with pytest.raises(ResolutionFailed) as info:
            lock_input(parse_requirements(text), text, options)
        assert info.value.message.startswith(error)
        return
    lock = lock_input(parse_requirements(text), text, options)
    for line in case["requirements"]:
        name = normalize(re.split(r"[\s\[=<>!~;]", line.strip(), maxsplit=1)[0])
        assert name in lock.packages
        assert Pep508(line).specifier.contains(lock.packages[name].version, prereleases=True)
    for package in lock.packages.values():
        assert package.artifact.sha256 and package.artifact.url, package.name
