"""Real sdists from PyPI through :func:`read_sdist_metadata` with the real build environments.

six 1.16.0 (Metadata-Version 1.2, setup.py only) and requests 2.25.1 (2.1, setup.py only) need
the PEP 517 hooks; httpx 0.28.1 (hatchling, 2.3) has static PKG-INFO.  The files are pinned
by sha256, so what is checked cannot change under the test.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mach2.providers.pypi.sdist import SdistMetadata, read_sdist_metadata

pytestmark = pytest.mark.network

SDISTS = {
    "six-1.16.0.tar.gz": "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926",
    "requests-2.25.1.tar.gz": "27973dd4a904a4f13b263a19c866c13b92a39ed1c964655f025f3f8d3d75b804",
    "httpx-0.28.1.tar.gz": "75e98c5f16b0f35b567856f597f06ff2270a374470a5c2392242528e3e3e42fc",
}
PY2_ONLY = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*"


def get(url: str, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        data: bytes = response.read()
        return data


def download(filename: str, dest: Path) -> Path:
    project = filename.rsplit("-", 1)[0]
    page = get(
        f"https://pypi.org/simple/{project}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    (entry,) = [f for f in json.loads(page)["files"] if f["filename"] == filename]
    assert entry["hashes"]["sha256"] == SDISTS[filename]
    path = dest / filename
    path.write_bytes(get(entry["url"]))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SDISTS[filename]
    return path


@pytest.fixture(scope="module")
def sdists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dest = tmp_path_factory.mktemp("sdists")
    return {name: download(name, dest) for name in SDISTS}


def read(path: Path, cache: Path) -> SdistMetadata:
    sha = SDISTS[path.name]
    return read_sdist_metadata(path, sha256=sha, cache_dir=cache, python=sys.executable)


def test_real_sdists(sdists: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    six = read(sdists["six-1.16.0.tar.gz"], cache)
    assert (six.name, six.version, six.source, six.build_backend) == (
        "six",
        "1.16.0",
        "pep517",
        None,
    )
    assert (six.requires_dist, six.provides_extra, six.requires_python) == ((), (), PY2_ONLY)
    assert six.build_requires[0] == "setuptools>=40.8.0"

    requests = read(sdists["requests-2.25.1.tar.gz"], cache)
    assert (requests.name, requests.source, requests.build_backend) == ("requests", "pep517", None)
    assert requests.requires_dist[:4] == (
        "chardet<5,>=3.0.2",
        "idna<3,>=2.5",
        "urllib3<1.27,>=1.21.1",
        "certifi>=2017.4.17",
    )
    assert 'PySocks!=1.5.7,>=1.5.6; extra == "socks"' in requests.requires_dist
    assert requests.provides_extra == ("security", "socks")

    httpx_ = read(sdists["httpx-0.28.1.tar.gz"], cache)
    assert (httpx_.source, httpx_.build_backend) == ("pkg-info", "hatchling.build")
    assert httpx_.build_requires == ("hatchling", "hatch-fancy-pypi-readme")
    assert httpx_.requires_dist[:4] == ("anyio", "certifi", "httpcore==1.*", "idna")
    assert "h2<5,>=3; extra == 'http2'" in httpx_.requires_dist
    assert httpx_.provides_extra == ("brotli", "cli", "http2", "socks", "zstd")
    assert httpx_.requires_python == ">=3.8"

    # Second time round everything comes from the cache, without even opening the archives.
    started = time.perf_counter()
    for path in sdists.values():
        path.unlink()
    again = [read(sdists[name], cache) for name in SDISTS]
    assert again == [six, requests, httpx_]
    assert time.perf_counter() - started < 1
