"""PyPIClient against the real https://pypi.org (pages, metadata, ranges, downloads).

Files are pinned by name and sha256 and pages by ``exclude_newer``, so what is checked cannot
change under the test; only *how* metadata is obtained (``.metadata`` file or range requests)
depends on the index, and the assertions accept either where it matters.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mach2.errors import IndexError_
from mach2.model.artifact import DistFile
from mach2.model.names import normalize
from mach2.net.http import Http
from mach2.providers.pypi.client import PyPIClient, UnknownProject
from mach2.providers.pypi.pages import pick_metadata
from mach2.providers.pypi.remote_zip import ZIP_TAIL, read_zip_member

pytestmark = pytest.mark.network

CUTOFF = datetime(2026, 11, 1, tzinfo=UTC)
REQUESTS = (
    "requests-2.32.3-py3-none-any.whl",
    "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6",
)
SIX = (
    "six-1.16.0-py2.py3-none-any.whl",
    "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254",
)
# 17 MB, thousands of members: its central directory is longer than the first range read.
JUPYTERLAB = (
    "jupyterlab-4.6.5-py3-none-any.whl",
    "cb96fc3d59d20b6f17d0cc1afe6e0508a61d881ab39be89236c55b01fa0e2b99",
)


def find(pypi: PyPIClient, pinned: tuple[str, str]) -> DistFile:
    filename, sha256 = pinned
    project = normalize(filename.split("-")[0])
    (file,) = [f for f in pypi.project_files(project) if f.filename == filename]
    assert file.sha256 == sha256
    return file


def test_pages_metadata_and_a_warm_run(tmp_path: Path) -> None:
    with PyPIClient(cache_dir=tmp_path, exclude_newer=CUTOFF) as pypi:
        pypi.prefetch_projects([normalize("requests"), normalize("six")])
        requests = find(pypi, REQUESTS)
        assert requests.upload_time is not None
        assert requests.requires_python == ">=3.8"
        assert all(
            f.upload_time is None or f.upload_time <= CUTOFF
            for f in pypi.project_files(normalize("requests"))
        )
        metadata = pypi.wheel_metadata(requests)
        assert b"\nName: requests\n" in metadata
        assert b"\nVersion: 2.32.3\n" in metadata
        assert pypi.stats.metadata_downloads == 0
    # Pages fetched after the cutoff and metadata by sha256: nothing is asked again.
    with PyPIClient(cache_dir=tmp_path, exclude_newer=CUTOFF) as pypi:
        assert pypi.wheel_metadata(find(pypi, REQUESTS)) == metadata
        assert pypi.stats.requests == 0


def test_download_is_verified(tmp_path: Path) -> None:
    with PyPIClient(cache_dir=tmp_path, exclude_newer=CUTOFF) as pypi:
        path = pypi.download(find(pypi, SIX))
    assert path.name == SIX[0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SIX[1]


def test_metadata_by_range_requests_on_a_big_wheel(tmp_path: Path) -> None:
    with PyPIClient(cache_dir=tmp_path, exclude_newer=CUTOFF) as pypi:
        file = find(pypi, JUPYTERLAB)
    assert file.size is not None
    http = Http()
    try:
        tail = http.get_range(file.url, None, ZIP_TAIL)
        assert tail is not None, "files.pythonhosted.org stopped answering range requests"
        assert tail.size == file.size

        def fetch(start: int, end: int) -> bytes:
            reply = http.get_range(file.url, start, end - 1)
            assert reply is not None
            return reply.data

        metadata = read_zip_member(
            tail.data, tail.size, fetch, lambda names: pick_metadata(file.filename, names)
        )
        assert http.counters.get("requests") <= 4
        assert http.counters.get("bytes") < file.size / 20
    finally:
        http.close()
    assert b"\nName: jupyterlab\n" in metadata
    assert b"\nVersion: 4.6.5\n" in metadata


def test_unknown_project() -> None:
    with PyPIClient(cache_dir=None) as pypi, pytest.raises(UnknownProject) as caught:
        pypi.project_files(normalize("mach2-no-such-project-7f3a9c"))
    assert str(caught.value).startswith(
        "no package named 'mach2-no-such-project-7f3a9c' on https://pypi.org/simple/"
    )


def test_unreachable_host_names_the_url() -> None:
    index = "https://pypi.invalid/simple/"
    with (
        PyPIClient(index_urls=[index], cache_dir=None, retries=0) as pypi,
        pytest.raises(IndexError_, match=r"^cannot reach https://pypi\.invalid/simple/six/: "),
    ):
        pypi.project_files(normalize("six"))
