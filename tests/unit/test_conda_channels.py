"""Channels, subdirs, the priority index, and repodata fetching against a local HTTP server."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard

from mach2.model.target import Target
from mach2.net import http as http_module
from mach2.net.http import Http
from mach2.providers.conda.channels import (
    Channel,
    ChannelIndex,
    RecordsInMemory,
    open_channels,
    parse_channels,
    target_subdir,
)
from mach2.providers.conda.errors import ChannelError, RepodataError
from mach2.providers.conda.fetch import RepodataNotFound, fetch_repodata

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "conda"))
from conda_fixtures import DATA, FileServer, rec

NUMPY = DATA / "mamba" / "conda-forge-numpy-linux-64.json"


@pytest.mark.parametrize(
    ("text", "name", "url", "path"),
    [
        ("conda-forge", "conda-forge", "https://conda.anaconda.org/conda-forge", None),
        ("intel", "intel", "https://conda.anaconda.org/intel", None),
        ("main", "main", "https://repo.anaconda.com/pkgs/main", None),
        ("pkgs/main", "main", "https://repo.anaconda.com/pkgs/main", None),
        ("r", "r", "https://repo.anaconda.com/pkgs/r", None),
        (
            "https://conda.anaconda.org/pytorch/",
            "pytorch",
            "https://conda.anaconda.org/pytorch",
            None,
        ),
        ("mine=https://example.org/a/b", "mine", "https://example.org/a/b", None),
        ("cf=conda-forge", "cf", "https://conda.anaconda.org/conda-forge", None),
        ("local=/srv/channel", "local", None, "/srv/channel"),
        ("/srv/channel", "channel", None, "/srv/channel"),
        ("./chan", "chan", None, "chan"),
        ("file:///srv/other", "other", None, "/srv/other"),
    ],
)
def test_parse_channel(text: str, name: str, url: str | None, path: str | None) -> None:
    channel = Channel.parse(text)
    assert channel.name == name and channel.url == url
    assert (str(channel.path) if channel.path else None) == path


def test_parse_channels_defaults_and_duplicates() -> None:
    names = [c.name for c in parse_channels(["conda-forge", "defaults", "nodefaults", "main"])]
    assert names == ["conda-forge", "main", "r"]
    with pytest.raises(ChannelError, match="already names another channel"):
        parse_channels(["x=https://a.example/x", "x=https://b.example/x"])
    for bad in ("", "defaults"):
        with pytest.raises(ChannelError):
            Channel.parse(bad)


def test_subdirs_and_urls() -> None:
    assert target_subdir(Target.from_strings("3.12", "x86_64-linux")) == "linux-64"
    assert target_subdir(Target.from_strings("3.12", "aarch64-linux")) == "linux-aarch64"
    assert target_subdir(Target.from_strings("3.12", "x86_64-darwin")) == "osx-64"
    assert target_subdir(Target.from_strings("3.12", "aarch64-darwin")) == "osx-arm64"
    assert Channel.parse("conda-forge").subdir_url("noarch") == (
        "https://conda.anaconda.org/conda-forge/noarch"
    )
    assert Channel.parse("l=/srv/c").subdir_url("noarch") == "file:///srv/c/noarch"


def test_local_channel_directory(tmp_path: Path) -> None:
    intel = Channel.parse(f"intel={DATA / 'intel'}")
    index = open_channels([intel], ["linux-64", "noarch"], cache_dir=tmp_path)
    assert len(index.sources) == 2 and index.channels == ("intel",)
    assert {r.subdir for r in index.records("numpy")} == {"linux-64"}
    assert index.records("numpy")[0].url.startswith((DATA / "intel" / "linux-64").as_uri())
    only_noarch = open_channels([intel], ["osx-arm64", "noarch"], cache_dir=None)
    assert len(only_noarch.sources) == 1  # intel has no osx-arm64: that subdir is empty
    with pytest.raises(ChannelError, match="has no repodata for osx-arm64"):
        open_channels([intel], ["osx-arm64"], cache_dir=None)
    with pytest.raises(ChannelError, match="HTTP client"):
        open_channels([Channel.parse("conda-forge")], ["noarch"], cache_dir=None)


def test_index_priority_order() -> None:
    high = RecordsInMemory("high", [rec(channel="high")])
    low = RecordsInMemory("low", [rec(channel="low", version="9")])
    index = ChannelIndex([high, low])
    assert [r.channel for r in index.records("numpy")] == ["high", "low"]
    assert (index.channel_rank("high"), index.channel_rank("low"), index.channel_rank("?")) == (
        0,
        1,
        2,
    )
    assert index.names() == frozenset({"numpy"})


# -- fetching against a local server ------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FileServer]:
    root = tmp_path / "www"
    (root / "chan" / "linux-64").mkdir(parents=True)
    (root / "chan" / "noarch").mkdir(parents=True)
    (root / "chan" / "linux-64" / "repodata.json").write_bytes(NUMPY.read_bytes())
    (root / "chan" / "noarch" / "repodata.json").write_text('{"packages": {}}')
    running = FileServer(root)
    yield running
    running.close()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Http]:
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setattr(http_module, "BACKOFF", 0.0)
    http = Http(timeout=5)
    yield http
    http.close()


def test_fetch_then_revalidate(server: FileServer, client: Http, tmp_path: Path) -> None:
    url = f"{server.url}/chan/linux-64"
    first = fetch_repodata(url, tmp_path / "c", client=client)
    assert first.status == "downloaded"
    assert first.sha256 == hashlib.sha256(NUMPY.read_bytes()).hexdigest()
    assert first.path.read_bytes() == NUMPY.read_bytes()
    # no .zst on this server: asked once, then remembered
    assert [p for p, _ in server.log] == [
        "/chan/linux-64/repodata.json.zst",
        "/chan/linux-64/repodata.json",
    ]
    second = fetch_repodata(url, tmp_path / "c", client=client)
    assert second.status == "revalidated" and second.sha256 == first.sha256
    assert server.log[-1][0] == "/chan/linux-64/repodata.json" and server.log[-1][1] is not None
    assert len(server.log) == 3
    fresh = fetch_repodata(url, tmp_path / "c", client=client, max_age=3600)
    assert fresh.status == "cached" and len(server.log) == 3
    offline = fetch_repodata(url, tmp_path / "c", client=client, offline=True)
    assert offline.status == "cached" and len(server.log) == 3


def test_fetch_sees_a_changed_file(server: FileServer, client: Http, tmp_path: Path) -> None:
    url = f"{server.url}/chan/noarch"
    first = fetch_repodata(url, tmp_path, client=client)
    (server.root / "chan" / "noarch" / "repodata.json").write_text('{"packages": {}, "x": 1}')
    second = fetch_repodata(url, tmp_path, client=client)
    assert second.status == "downloaded" and second.sha256 != first.sha256


def test_fetch_zst(server: FileServer, client: Http, tmp_path: Path) -> None:
    compressed = zstandard.ZstdCompressor().compress(NUMPY.read_bytes())
    (server.root / "chan" / "linux-64" / "repodata.json.zst").write_bytes(compressed)
    result = fetch_repodata(f"{server.url}/chan/linux-64/", tmp_path, client=client)
    assert result.path.read_bytes() == NUMPY.read_bytes()
    assert result.sha256 == hashlib.sha256(NUMPY.read_bytes()).hexdigest()
    assert [p for p, _ in server.log] == ["/chan/linux-64/repodata.json.zst"]
    again = fetch_repodata(f"{server.url}/chan/linux-64", tmp_path, client=client)
    assert again.status == "revalidated" and server.log[-1][0].endswith(".zst")


def test_fetch_errors(server: FileServer, client: Http, tmp_path: Path) -> None:
    with pytest.raises(RepodataNotFound):
        fetch_repodata(f"{server.url}/chan/osx-arm64", tmp_path, client=client)
    with pytest.raises(RepodataError, match="not in the cache"):
        fetch_repodata(f"{server.url}/chan/noarch", tmp_path, client=client, offline=True)
    server.fail_with = 500
    with pytest.raises(RepodataError, match="HTTP 500") as info:
        fetch_repodata(f"{server.url}/chan/noarch", tmp_path, client=client)
    assert "\n" not in str(info.value) and "/chan/noarch/repodata.json" in str(info.value)
    server.close()
    with pytest.raises(RepodataError, match="download failed"):
        fetch_repodata(f"{server.url}/chan/noarch", tmp_path, client=client)


def test_open_remote_channel(server: FileServer, client: Http, tmp_path: Path) -> None:
    channel = Channel.parse(f"mine={server.url}/chan")
    subdirs = [target_subdir(Target.from_strings("3.12")), "noarch"]
    index = open_channels([channel], subdirs, cache_dir=tmp_path, client=client)
    (numpy,) = index.records("numpy")
    assert numpy.channel == "mine"
    assert numpy.url == f"{server.url}/chan/linux-64/numpy-1.26.4-py312head63a1_0.conda"
    on_mac = open_channels([channel], ["osx-arm64", "noarch"], cache_dir=tmp_path, client=client)
    assert on_mac.records("numpy") == ()
    json.loads((tmp_path / "repodata").glob("*/meta.json").__next__().read_text())
