"""Parsing simple-API pages (PEP 691 JSON, PEP 503 HTML) and building DistFile records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mach2.providers.pypi.pages import PageError, build_files, parse_page, pick_metadata

PAGE_URL = "https://example.org/simple/demo/"
INDEX_URL = "https://example.org/simple/"
SHA = "a" * 64
META_SHA = "b" * 64


def json_page(*files: dict[str, object]) -> bytes:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "demo", "files": files}).encode()


def test_json_fields_of_pep_691_700_714() -> None:
    body = json_page(
        {
            "filename": "demo-1.0-py3-none-any.whl",
            "url": "https://files.example.org/demo-1.0-py3-none-any.whl",
            "hashes": {"sha256": SHA, "md5": "x"},
            "requires-python": ">=3.9",
            "core-metadata": {"sha256": META_SHA},
            "size": 1234,
            "upload-time": "2024-05-01T10:00:00.123456Z",
            "yanked": False,
        },
        {
            "filename": "demo-0.9.tar.gz",
            "url": "../../files/demo-0.9.tar.gz",
            "hashes": {},
            "dist-info-metadata": True,
            "yanked": "broken build",
        },
        {
            "filename": "demo-0.8.tar.gz",
            "url": "/files/demo-0.8.tar.gz#sha256=" + SHA,
            "hashes": {},
            "dist-info-metadata": {"sha256": META_SHA},
            "yanked": True,
            "requires-python": "",
        },
    )
    rows = parse_page(body, "application/vnd.pypi.simple.v1+json", PAGE_URL)
    wheel, sdist, old = build_files(rows, INDEX_URL, None)
    assert wheel.filename == "demo-1.0-py3-none-any.whl"
    assert wheel.sha256 == SHA
    assert wheel.size == 1234
    assert wheel.upload_time == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert wheel.requires_python == ">=3.9"
    assert wheel.metadata_sha256 == META_SHA
    assert wheel.yanked is None
    assert wheel.index_url == INDEX_URL
    # relative URLs resolve against the page; no hash means None; yanked reasons are kept
    assert sdist.url == "https://example.org/files/demo-0.9.tar.gz"
    assert sdist.sha256 is None
    assert sdist.metadata_sha256 is None  # advertised without a hash
    assert sdist.yanked == "broken build"
    assert sdist.upload_time is None
    # a #sha256= fragment gives the hash and is dropped from the URL; yanked=True is ""
    assert old.url == "https://example.org/files/demo-0.8.tar.gz"
    assert old.sha256 == SHA
    assert old.metadata_sha256 == META_SHA
    assert old.yanked == ""
    assert old.requires_python is None


def test_html_page_of_pep_503_592_658_714() -> None:
    html = f"""<!DOCTYPE html><html><body>
      <a href="https://files.example.org/demo-1.0-py3-none-any.whl#sha256={SHA}"
         data-requires-python="&gt;=3.8,&lt;4" data-core-metadata="sha256={META_SHA}"
         >demo-1.0-py3-none-any.whl</a><br/>
      <a href="../../files/demo-0.9.tar.gz#md5=abc" data-yanked="">demo-0.9.tar.gz</a>
      <a href="/files/demo%2B1-0.8.zip" data-yanked="security issue"
         data-dist-info-metadata="true">demo+1-0.8.zip</a>
      <a name="not-a-link">x</a>
    </body></html>"""
    rows = parse_page(html.encode(), "text/html", PAGE_URL)
    wheel, sdist, odd = build_files(rows, INDEX_URL, None)
    assert wheel.url == "https://files.example.org/demo-1.0-py3-none-any.whl"
    assert wheel.sha256 == SHA
    assert wheel.requires_python == ">=3.8,<4"
    assert wheel.metadata_sha256 == META_SHA
    assert wheel.yanked is None
    assert sdist.url == "https://example.org/files/demo-0.9.tar.gz"
    assert sdist.sha256 is None  # only sha256 fragments count
    assert sdist.yanked == ""
    assert odd.filename == "demo+1-0.8.zip"
    assert odd.yanked == "security issue"
    assert odd.metadata_sha256 is None


def test_html_base_href_is_honoured() -> None:
    html = b'<html><head><base href="https://mirror.example.net/pkgs/"></head>'
    html += b'<body><a href="demo-1.0.tar.gz">demo-1.0.tar.gz</a></body></html>'
    (row,) = parse_page(html, "text/html; charset=utf-8", PAGE_URL)
    assert row[1] == "https://mirror.example.net/pkgs/demo-1.0.tar.gz"


def test_exclude_newer_keeps_files_without_upload_time() -> None:
    body = json_page(
        {"filename": "a-1.tar.gz", "url": "a-1.tar.gz", "hashes": {},
         "upload-time": "2024-01-01T00:00:00Z"},
        {"filename": "a-2.tar.gz", "url": "a-2.tar.gz", "hashes": {},
         "upload-time": "2024-06-01T00:00:00Z"},
        {"filename": "a-3.tar.gz", "url": "a-3.tar.gz", "hashes": {}},
        {"filename": "a-4.tar.gz", "url": "a-4.tar.gz", "hashes": {},
         "upload-time": "2024-02-01T00:00:00"},  # no zone: UTC
    )  # fmt: skip
    rows = parse_page(body, "application/json", PAGE_URL)
    cutoff = datetime(2024, 3, 1, tzinfo=UTC)
    assert [f.filename for f in build_files(rows, INDEX_URL, cutoff)] == [
        "a-1.tar.gz",
        "a-3.tar.gz",
        "a-4.tar.gz",
    ]
    assert len(build_files(rows, INDEX_URL, None)) == 4


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/vnd.pypi.simple.v1+json"),
        (b'{"meta": {}}', "application/vnd.pypi.simple.v1+json"),
        (b'{"files": [{"url": "x"}]}', "application/vnd.pypi.simple.v1+json"),
    ],
    ids=["syntax", "no-files", "no-filename"],
)
def test_unreadable_pages_raise_page_error(body: bytes, content_type: str) -> None:
    with pytest.raises(PageError):
        parse_page(body, content_type, PAGE_URL)


def test_bad_upload_time_fails_when_building() -> None:
    body = json_page(
        {"filename": "a-1.tar.gz", "url": "a-1.tar.gz", "hashes": {}, "upload-time": "yesterday"}
    )
    with pytest.raises(ValueError):
        build_files(parse_page(body, "application/json", PAGE_URL), INDEX_URL, None)


@pytest.mark.parametrize(
    ("filename", "names", "expected"),
    [
        ("demo-1.0-py3-none-any.whl", ["demo/__init__.py", "demo-1.0.dist-info/METADATA"],
         "demo-1.0.dist-info/METADATA"),
        ("Foo_Bar-2.0-py3-none-any.whl",
         ["vendored-1.0.dist-info/METADATA", "foo_bar-2.0.dist-info/METADATA"],
         "foo_bar-2.0.dist-info/METADATA"),
        ("demo-1.0-py3-none-any.whl", ["demo/x.dist-info/METADATA", "demo/__init__.py"], None),
        ("demo-1.0-py3-none-any.whl", ["a-1.dist-info/METADATA", "b-1.dist-info/METADATA"], None),
    ],
    ids=["single", "several", "nested-only", "ambiguous"],
)  # fmt: skip
def test_pick_metadata(filename: str, names: list[str], expected: str | None) -> None:
    assert pick_metadata(filename, names) == expected
