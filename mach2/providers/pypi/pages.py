"""Project pages of the simple API (PEP 691 JSON, PEP 503 HTML), read into file records.

Parsing touches no network and no cache: it turns the bytes an index answered into plain
:data:`~mach2.providers.pypi.cache.FileRow` tuples (what the cache stores) and those into
:class:`~mach2.model.artifact.DistFile` records (:func:`build_files`, the hot loop of a warm
resolve).  It lives apart from :mod:`mach2.providers.pypi.client`, which decides *when* to fetch, so
that the formats can be read and tested on their own, from bytes.  :func:`pick_metadata`
(which member of a wheel is its METADATA) is here too: like the parsers it is a pure function
of what the index served, here the wheel's member names.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from mach2.model.artifact import DistFile
from mach2.providers.pypi.cache import CachedPage, FileRow

__all__ = [
    "PageError",
    "ProjectListing",
    "build_files",
    "parse_page",
    "pick_metadata",
]


class PageError(Exception):
    """An index page that is not valid PEP 691 JSON / PEP 503 HTML."""


def parse_page(body: bytes, content_type: str, page_url: str) -> list[FileRow]:
    """The files a project page lists, as :data:`~mach2.providers.pypi.cache.FileRow` tuples.

    JSON (PEP 691) when the server said so (any ``json`` content type), HTML (PEP 503)
    otherwise.  Relative URLs are resolved against ``page_url``; URL fragments are dropped
    (a ``#sha256=`` one gives the hash).

    :raises PageError: the page cannot be parsed.
    """
    try:
        if "json" in content_type:
            return _parse_json(body, page_url)
        return _parse_html(body.decode("utf-8", "replace"), page_url)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise PageError(f"{type(error).__name__}: {error}") from error


class ProjectListing:
    """A project's rows (after ``exclude_newer``), turned into records on demand."""

    def __init__(self, page: CachedPage, index_url: str, cutoff: datetime | None) -> None:
        self.page = page
        self.index_url = index_url
        self.cutoff = cutoff
        self.rows = page.rows
        self._all: tuple[DistFile, ...] | None = None

    def files(self, accept: Callable[[str], bool] | None = None) -> tuple[DistFile, ...]:
        if accept is None:
            if self._all is None:
                self._all = build_files(self.rows, self.index_url, self.cutoff)
            return self._all
        if self._all is not None:
            return tuple(f for f in self._all if accept(f.filename))
        return build_files([r for r in self.rows if accept(r[0])], self.index_url, self.cutoff)


def build_files(
    rows: Iterable[FileRow], index_url: str, cutoff: datetime | None
) -> tuple[DistFile, ...]:
    """DistFile records for ``rows``, without those uploaded after ``cutoff``.

    The hot loop of a warm resolve (62,000 files for the data-science set): one datetime parse
    and one record per file, nothing else.

    :raises ValueError: an upload time is not ISO 8601.
    """
    if cutoff is not None:
        limit = cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        rows = [row for row in rows if row[4] is None or _not_after(row[4], cutoff, limit)]
    parse_time = _utc
    files = [
        DistFile(
            filename=filename,
            url=url,
            sha256=sha256,
            size=size,
            upload_time=None if uploaded is None else parse_time(uploaded),
            yanked=yanked,
            requires_python=requires_python,
            metadata_sha256=metadata_sha256,
            index_url=index_url,
        )
        for filename, url, sha256, size, uploaded, yanked, requires_python, metadata_sha256 in rows
    ]
    return tuple(files)


def _not_after(text: str, cutoff: datetime, limit: str) -> bool:
    """``text`` (an upload time) is not after ``cutoff``; ``limit`` is the cutoff to the second.

    Comparing the ``YYYY-MM-DDTHH:MM:SS`` prefix as a string decides all but the files of the
    cutoff's very second, without parsing 60,000 timestamps on a warm resolve.  Text that is
    not in UTC (an explicit offset) is parsed.
    """
    if len(text) >= 19 and text[10] == "T" and (text.endswith("Z") or len(text) in (19, 26)):
        head = text[:19]
        if head != limit:
            return head < limit
    return _utc(text) <= cutoff


def _utc(text: str) -> datetime:
    """An ISO 8601 time; one without a zone (PEP 700 says UTC, some indexes omit the Z) is UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_json(body: bytes, page_url: str) -> list[FileRow]:
    rows: list[FileRow] = []
    for entry in json.loads(body)["files"]:
        url = entry["url"]
        if not url.startswith(("https://", "http://")):
            url = urljoin(page_url, url)
        url, _, fragment = url.partition("#")
        yanked = entry.get("yanked", False)
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata"))
        size = entry.get("size")
        rows.append(
            (
                str(entry["filename"]),
                url,
                entry.get("hashes", {}).get("sha256") or _fragment_sha256(fragment),
                size if isinstance(size, int) else None,
                entry.get("upload-time") or None,
                None if yanked is False else ("" if yanked is True else str(yanked)),
                entry.get("requires-python") or None,
                metadata.get("sha256") if isinstance(metadata, dict) else None,
            )
        )
    return rows


def _parse_html(text: str, page_url: str) -> list[FileRow]:
    parser = _Anchors()
    parser.feed(text)
    # No close(): it only handles what is left unterminated at the end (a tag there is not one),
    # and on CPython before 3.11.13/3.12.11/3.13.5 it takes time quadratic in that rest
    # (CVE-2025-6069: a page of unclosed "<!--" never finishes).  feed() saw every whole tag.
    base = urljoin(page_url, parser.base) if parser.base else page_url
    rows: list[FileRow] = []
    for attributes in parser.anchors:
        href = attributes.get("href")
        if not href:
            continue
        url, _, fragment = urljoin(base, href).partition("#")
        filename = unquote(posixpath.basename(urlsplit(url).path))
        if not filename:
            continue
        yanked = None if "data-yanked" not in attributes else (attributes["data-yanked"] or "")
        metadata = attributes.get("data-core-metadata", attributes.get("data-dist-info-metadata"))
        rows.append(
            (
                filename,
                url,
                _fragment_sha256(fragment),
                None,
                None,
                yanked,
                attributes.get("data-requires-python") or None,
                _fragment_sha256(metadata or ""),
            )
        )
    return rows


def _fragment_sha256(fragment: str) -> str | None:
    """The digest of a ``sha256=<hex>`` URL fragment or metadata attribute."""
    kind, _, digest = fragment.partition("=")
    return digest.lower() if kind == "sha256" and digest else None


class _Anchors(HTMLParser):
    """Collects the attributes of every ``<a>`` (values already unescaped) and ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")


def pick_metadata(wheel_filename: str, names: Sequence[str]) -> str | None:
    """The ``<name>-<version>.dist-info/METADATA`` member of a wheel, given its member names.

    >>> pick_metadata("Foo_Bar-1.0-py3-none-any.whl", ["foo_bar/__init__.py",
    ...     "foo_bar-1.0.dist-info/METADATA"])
    'foo_bar-1.0.dist-info/METADATA'
    """
    found = [n for n in names if n.endswith(".dist-info/METADATA") and n.count("/") == 1]
    if len(found) <= 1:
        return found[0] if found else None

    def key(text: str) -> str:
        return text.lower().replace(".", "_").replace("-", "_")

    expected = key("-".join(wheel_filename.split("-")[:2]) + ".dist-info/METADATA")
    return next((name for name in found if key(name) == expected), None)
