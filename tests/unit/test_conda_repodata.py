"""Repodata loading: streaming parse, .conda preference, bare indexes, the on-disk index cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mach2.providers.conda import _jsonstream, repodata
from mach2.providers.conda.errors import RepodataError
from mach2.providers.conda.repodata import load_repodata, record_from_json

DATA = Path(__file__).resolve().parents[1] / "data" / "conda"
NUMPY = DATA / "mamba" / "conda-forge-numpy-linux-64.json"
INTEL = DATA / "intel" / "linux-64" / "repodata.json"
CF = "https://conda.anaconda.org/conda-forge/linux-64"


def _load(
    path: Path, cache: Path | None = None, subdir: str = "linux-64"
) -> repodata.SubdirRepodata:
    return load_repodata(path, channel="conda-forge", subdir=subdir, base_url=CF, cache_dir=cache)


def test_numpy_closure_records() -> None:
    data = _load(NUMPY)
    assert len(data.names()) == 33 and data.entry_count() == 34
    (libffi,) = data.records("libffi")  # both formats listed: the .conda is kept
    assert libffi.filename == "libffi-3.4.2-h7f98852_5.conda"
    assert libffi.url == f"{CF}/libffi-3.4.2-h7f98852_5.conda"
    (numpy,) = data.records("numpy")
    assert str(numpy.version) == "1.26.4" and numpy.build == "py312head63a1_0"
    assert numpy.constrains == ("numpy-base <0a0",)
    assert "python_abi 3.12.* *_cp312" in numpy.depends
    assert numpy.sha256 is not None and len(numpy.sha256) == 64 and numpy.md5 is not None
    assert numpy.timestamp > 1_600_000_000_000 and numpy.size
    assert numpy.channel == "conda-forge" and numpy.subdir == "linux-64" and numpy.noarch is None
    assert data.records("pip")[0].noarch == "python"
    assert data.records("tzdata")[0].noarch == "generic"
    assert data.records("not-there") == ()
    assert {r.name for r in data} == data.names()


def _reference(path: Path) -> dict[str, dict[str, object]]:
    raw = json.loads(path.read_text())
    if "packages" not in raw and "packages.conda" not in raw:
        return dict(raw)
    return {**raw.get("packages", {}), **(raw.get("packages.conda") or {})}


@pytest.mark.parametrize(
    "path",
    [
        INTEL,
        DATA / "intel" / "noarch" / "repodata.json",
        DATA / "conda-tests" / "index.json",
        DATA / "conda-tests" / "main_noarch.repodata.json",
        DATA / "free" / "noarch" / "repodata.json",
        DATA / "rattler" / "pytorch" / "linux-64" / "repodata.json",
    ],
    ids=lambda p: "/".join(p.parts[-2:]),
)
def test_streaming_equals_json_load(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny read window must give exactly what json.load gives (7 bytes; 997 for big files)."""
    monkeypatch.setattr(_jsonstream, "_CHUNK", 7 if path.stat().st_size < 500_000 else 997)
    data = _load(path, subdir="linux-64")
    reference = _reference(path)
    loaded = {r.filename: r for r in data}
    stems = {}
    for filename, raw in reference.items():
        record = record_from_json(
            filename, raw, channel="conda-forge", subdir="linux-64", base_url=CF
        )
        stems.setdefault(record.stem, []).append(record)
    expected = {}
    for records in stems.values():
        preferred = [r for r in records if r.filename.endswith(".conda")] or records
        expected[preferred[-1].filename] = preferred[-1]
    assert loaded == expected


def test_bare_index_with_mixed_subdirs() -> None:
    data = _load(DATA / "conda-tests" / "index4.json")
    assert data.entry_count() == len(json.loads((DATA / "conda-tests" / "index4.json").read_text()))
    subdirs = {r.subdir for r in data}
    assert subdirs == {"linux-64", "noarch"}  # records without a subdir get the file's


def test_cache_is_reused_and_keyed_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "repodata.json"
    source.write_bytes(NUMPY.read_bytes())
    cache = tmp_path / "cache"
    first = _load(source, cache)
    indexes = list((cache / "repodata-index").glob("*.idx"))
    assert len(indexes) == 1 and first.records("numpy")

    def fail(*_args: object) -> None:
        raise AssertionError("the index was rebuilt")

    monkeypatch.setattr(repodata, "_build_index", fail)
    monkeypatch.setattr(repodata, "file_sha256", fail)  # the stat memo spares hashing too
    assert _load(source, cache).records("numpy") == first.records("numpy")
    monkeypatch.undo()

    changed = json.loads(source.read_text())
    changed["packages.conda"].pop("numpy-1.26.4-py312head63a1_0.conda")
    source.write_text(json.dumps(changed))
    assert _load(source, cache).records("numpy") == ()
    assert len(list((cache / "repodata-index").glob("*.idx"))) == 2


def test_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _load(NUMPY, cache)
    (index,) = (cache / "repodata-index").glob("*.idx")
    index.write_bytes(b"MACH2CRI" + b"\xff" * 40)
    assert _load(NUMPY, cache).records("libffi")


def test_base_url_from_info_and_null_sections(tmp_path: Path) -> None:
    source = tmp_path / "repodata.json"
    source.write_text(
        json.dumps(
            {
                "info": {"subdir": "noarch", "base_url": "https://mirror.example/cf/noarch"},
                "packages": {
                    "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "depends": None}
                },
                "packages.conda": None,
                "removed": ["x-1-0.tar.bz2"],
                "repodata_version": 2,
            }
        )
    )
    (record,) = _load(source, subdir="noarch").records("a")
    assert record.url == "https://mirror.example/cf/noarch/a-1-0.tar.bz2"
    assert record.depends == () and record.subdir == "noarch" and record.build_number == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"packages": {"a-1-0.tar.bz2": {"name": "a"', "invalid JSON"),
        ('["not", "an", "object"]', "expected '{'"),
        ('{"packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1"}}}', "malformed record"),
        ('{"packages": {"a-1-0.tar.bz2": 3}}', "is not an object"),
    ],
)
def test_malformed(tmp_path: Path, text: str, reason: str) -> None:
    source = tmp_path / "repodata.json"
    source.write_text(text)
    with pytest.raises(RepodataError) as info:
        _load(source)
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RepodataError, match="no such file"):
        _load(tmp_path / "nope.json", tmp_path)


def test_seconds_timestamps_become_milliseconds() -> None:
    record = record_from_json(
        "a-1-0.tar.bz2",
        {"name": "a", "version": "1", "build": "0", "timestamp": 1_500_000_000},
        channel="c",
        subdir="noarch",
        base_url="u",
    )
    assert record.timestamp == 1_500_000_000_000
