"""Rebuild ``tests/data/`` from the team's data collection (``shared/data``, outside the repo).

A maintenance tool, never run by the tests: the tests read only what this wrote.  Each folder's
PROVENANCE.md says where its files come from and how this script trims them; run it again after
changing the rules and review the diff::

    python tests/data/trim_shared.py /path/to/shared/data

The output is deterministic (gzip without a timestamp, JSON in the source's key order).
Files the tests read whole and that are large are stored gzip-compressed (``.gz``) instead of
being cut; the rest are cut to the records the tests touch.  The GPL-3.0 pynixify dump is never
copied: only a format-1 index of the attribute names and versions the tests use is derived.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mach2.providers.conda.matchspec import parse_matchspec
from mach2.providers.conda.repodata import RepodataRecord, record_from_json
from mach2.providers.nixpkgs.index import NixpkgsIndex, from_pynixify

OUT = Path(__file__).resolve().parent

Raw = dict[str, Any]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _json(path: Path, data: Any) -> None:
    _write(path, (json.dumps(data, indent=2) + "\n").encode())


def _gzip(path: Path, data: bytes) -> None:
    _write(path.with_name(path.name + ".gz"), gzip.compress(data, compresslevel=9, mtime=0))


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


# -- conda repodata --------------------------------------------------------------------------


def _sections(raw: Raw) -> list[dict[str, Raw]]:
    """The record dicts of a repodata file (or of a bare ``fn -> record`` index)."""
    if "packages" not in raw and "packages.conda" not in raw:
        return [raw]
    return [raw.get("packages") or {}, raw.get("packages.conda") or {}]


def _filtered(raw: Raw, keep: Callable[[str, Raw], bool]) -> Raw:
    """``raw`` with only the records ``keep`` accepts, everything else as it was."""
    if "packages" not in raw and "packages.conda" not in raw:
        return {fn: r for fn, r in raw.items() if keep(fn, r)}
    out = dict(raw)
    for key in ("packages", "packages.conda"):
        if raw.get(key):
            out[key] = {fn: r for fn, r in raw[key].items() if keep(fn, r)}
    return out


def _closure(files: Iterable[Raw], roots: Iterable[str]) -> set[str]:
    """Names reachable from ``roots`` through any record's ``depends``."""
    depends: dict[str, set[str]] = {}
    for raw in files:
        for section in _sections(raw):
            for record in section.values():
                names = {d.split()[0] for d in record.get("depends") or ()}
                depends.setdefault(record["name"], set()).update(names)
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(depends.get(name, ()))
    return seen


def _record(fn: str, raw: Raw) -> RepodataRecord:
    return record_from_json(fn, raw, channel="trim", subdir="linux-64", base_url="x")


def _fits(raw: Raw, pinned: Mapping[str, list[RepodataRecord]]) -> bool:
    """Whether each dependency on a pinned name (python, python_abi) matches a kept record."""
    for text in raw.get("depends") or ():
        spec = parse_matchspec(text)
        if spec.name in pinned and not any(spec.matches(r) for r in pinned[spec.name]):
            return False
    return True


def _for_pythons(
    files: list[Raw], versions: Callable[[str, str], bool], roots: Iterable[str]
) -> list[Raw]:
    """Keep the interpreters ``versions(name, version)`` accepts, the records whose python
    dependency one of those meets, and of these only the closure of ``roots``."""
    pinned: dict[str, list[RepodataRecord]] = {"python": [], "python_abi": []}
    for raw in files:
        for section in _sections(raw):
            for fn, record in section.items():
                if record["name"] in pinned and versions(record["name"], record["version"]):
                    pinned[record["name"]].append(_record(fn, record))

    def usable(fn: str, record: Raw) -> bool:
        if record["name"] in pinned:
            return versions(record["name"], record["version"])
        return _fits(record, pinned)

    usable_files = [_filtered(raw, usable) for raw in files]
    names = _closure(usable_files, roots)
    return [_filtered(raw, lambda fn, r: r["name"] in names) for raw in usable_files]


def conda(shared: Path, out: Path) -> None:
    src = shared / "conda"

    def load(rel: str) -> Any:
        return json.loads((src / rel).read_text())

    _copy(
        src / "mamba/conda-forge-numpy-linux-64.json", out / "mamba/conda-forge-numpy-linux-64.json"
    )
    _copy(src / "free/noarch/repodata.json", out / "free/noarch/repodata.json")

    # intel: what numpy, scipy and mkl can use on Python 3.9 (test_conda_solve, _provider, _channels)
    intel = _for_pythons(
        [load("intel/linux-64/repodata.json"), load("intel/noarch/repodata.json")],
        lambda name, version: version.startswith("3.9"),
        ["numpy", "scipy", "mkl", "pip"],
    )
    _json(out / "intel/linux-64/repodata.json", intel[0])
    _json(out / "intel/noarch/repodata.json", intel[1])

    # conda's own test index: conda's test_no_features (python 2.6), test_irrational_version
    # (python 3) and the anaconda 1.4.0 np17py33_0 metapackage
    index = load("conda-tests/index.json")
    index = {
        fn: r
        for fn, r in index.items()
        if r["name"] != "anaconda" or fn == "anaconda-1.4.0-np17py33_0.tar.bz2"
    }
    (index,) = _for_pythons(
        [index],
        lambda name, version: version.startswith(("2.6", "3.")),
        ["python", "numpy", "scipy", "pytz", "anaconda"],
    )
    _json(out / "conda-tests/index.json", index)

    # index4: every record of the names that have records without a subdir, and a few noarch
    index4 = load("conda-tests/index4.json")
    names = {r["name"] for r in index4.values() if "subdir" not in r} | {
        "colour",
        "flask",
        "affine",
    }
    _json(out / "conda-tests/index4.json", _filtered(index4, lambda fn, r: r["name"] in names))

    # main/noarch: the file's layout (conda's cache keys) with its first 40 records
    main = load("conda-tests/main_noarch.repodata.json")
    first = set(list(main["packages"])[:40])
    _json(out / "conda-tests/main_noarch.repodata.json", _filtered(main, lambda fn, r: fn in first))

    # pytorch: faiss-cpu and what it depends on (test_pytorch_channel_glibc_floor)
    pytorch = load("rattler/pytorch/linux-64/repodata.json")
    names = _closure([pytorch], ["faiss-cpu"])
    _json(
        out / "rattler/pytorch/linux-64/repodata.json",
        _filtered(pytorch, lambda fn, r: r["name"] in names),
    )

    # every distinct depends/constrains string of all the channels, for the MatchSpec parser
    strings: set[str] = set()
    for rel in (
        "intel/linux-64/repodata.json", "intel/noarch/repodata.json", "free/noarch/repodata.json",
        "conda-tests/index.json", "conda-tests/index2.json", "conda-tests/index4.json",
        "conda-tests/main_noarch.repodata.json", "mamba/conda-forge-numpy-linux-64.json",
        "rattler/pytorch/linux-64/repodata.json",
    ):  # fmt: skip
        for section in _sections(load(rel)):
            for record in section.values():
                strings.update(record.get("depends") or ())
                strings.update(record.get("constrains") or ())
    _gzip(
        out / "matchspecs/depends-strings.txt", "".join(f"{s}\n" for s in sorted(strings)).encode()
    )

    # read whole by the tests: compressed, byte for byte (pixi's conda -> PyPI name map is in
    # tests/data/conda-pypi-names/, recorded with scripts/conda_pypi_names.py)
    rel = "version-ordering/rattler-parsed_versions.txt"
    _gzip(out / rel, (src / rel).read_bytes())

    # solved environments: the files the tests read
    locks = src / "locks"
    for path in sorted(locks.rglob("*")):
        rel = path.relative_to(locks)
        if path.is_dir() or path.name == "README.md":
            continue
        if path.suffix == ".txt" and path.name != "explicit-env-linux-64.txt":
            continue
        if path.name in ("pypi-matplotlib-lock.yml", "pixi.lock"):
            continue
        _copy(path, out / "locks" / rel)
    _write(
        out / "locks/pixi/examples-pypi/pixi.lock",
        _pixi_conda_half(locks / "pixi/examples-pypi/pixi.lock"),
    )


def _pixi_conda_half(path: Path) -> bytes:
    """A pixi lock without its PyPI half (``- pypi:`` entries and their package blocks)."""
    kept: list[str] = []
    in_pypi_block = False
    for line in path.read_text().splitlines(keepends=True):
        stripped = line.lstrip()
        if line.startswith("- "):  # a top-level package block starts
            in_pypi_block = line.startswith("- pypi:")
        elif not line.startswith(" "):
            in_pypi_block = False
        if in_pypi_block or stripped.startswith("- pypi:"):
            continue
        kept.append(line)
    return "".join(kept).encode()


# -- resolver cases --------------------------------------------------------------------------


def resolver_cases(shared: Path, out: Path) -> None:
    src = shared / "resolver-cases"
    for path in sorted((src / "resolvelib").rglob("*.json")):
        rel = path.relative_to(src)
        if path.name.startswith("pypi-2020-"):  # real PyPI snapshots, 1-4 MB each
            _gzip(out / rel, path.read_bytes())
        else:
            _copy(path, out / rel)
    for path in sorted((src / "pip-yaml").glob("*.yml")):
        _copy(path, out / path.relative_to(src))
    for path in sorted((src / "mach-nix").glob("*.json")):
        _copy(path, out / path.relative_to(src))


# -- nixpkgs ---------------------------------------------------------------------------------

#: the attributes of the 2020 pynixify dump the tests look up (requests and its dependencies,
#: numpy, and the projects with several attributes: django, pytest)
NIXPKGS_2020_ATTRS = {
    "certifi", "chardet", "django_2_1", "django_2_2", "idna", "numpy", "pytest", "pytest_4",
    "pytest_5", "requests", "urllib3",
}  # fmt: skip


def nixpkgs(shared: Path, out: Path) -> None:
    src = shared / "nixpkgs"
    dump = json.loads((src / "pynixify-python3Packages-2020.json").read_text())
    facts = {  # names, attributes and versions only: no file of the dump is copied
        key: [{"attr": r["attr"], "pypiName": r.get("pypiName", key), "version": r["version"]}
              for r in rows if r["attr"] in NIXPKGS_2020_ATTRS]
        for key, rows in dump.items()
    }  # fmt: skip
    converted = from_pynixify({k: v for k, v in facts.items() if v})
    converted["nixpkgs"] = {
        "source": "pynixify dump of nixpkgs python3Packages (nixos-unstable, Dec 2019 - Jan 2020)",
        "revision": None,
    }
    index = NixpkgsIndex.from_json(converted, where="derived index")
    assert {p.attr for p in index.packages} == NIXPKGS_2020_ATTRS
    _write(
        out / "index-2020.json",
        (json.dumps(index.to_json(), indent=1, sort_keys=True) + "\n").encode(),
    )
    _copy(
        src / "replit-upm-pypi-to-nixpkgs-native-deps.json",
        out / "replit-upm-pypi-to-nixpkgs-native-deps.json",
    )


# -- wheels ----------------------------------------------------------------------------------


def wheels(shared: Path, out: Path) -> None:
    src = shared / "wheels"
    _copy(src / "elf-scan.json", out / "elf-scan.json")
    policy = json.loads((src / "auditwheel-manylinux-policy.json").read_text())
    fields = ("name", "aliases", "priority", "lib_whitelist")
    _json(out / "auditwheel-manylinux-policy.json", [{k: tag[k] for k in fields} for tag in policy])


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: trim_shared.py SHARED_DATA_DIR", file=sys.stderr)
        return 2
    shared = Path(argv[1])
    for name, make in (
        ("conda", conda), ("resolver-cases", resolver_cases), ("nixpkgs", nixpkgs), ("wheels", wheels),
    ):  # fmt: skip
        target = OUT / name
        for old in sorted(target.rglob("*"), reverse=True):  # keep PROVENANCE.md
            if old.is_file() and old.name != "PROVENANCE.md":
                old.unlink()
            elif old.is_dir() and not any(old.iterdir()):
                old.rmdir()
        make(shared, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
