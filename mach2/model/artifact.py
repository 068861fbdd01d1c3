"""Artifacts: things with a hash that a candidate points at."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

__all__ = ["DistFile"]


@frozen(kw_only=True, cache_hash=True)
class DistFile:
    """One file of a project as a package index lists it (PEP 691 ``files`` entry).

    :param filename: the file's name, e.g. ``requests-2.32.3-py3-none-any.whl``.
    :param url: absolute download URL.
    :param sha256: hex digest from the index (``None`` when the index gives none).
    :param size: size in bytes when known.
    :param upload_time: PEP 700 upload time (UTC), used by ``--exclude-newer``.
    :param yanked: ``None`` when not yanked, else the reason (``""`` when none was given).
    :param requires_python: the ``Requires-Python`` specifier text, if any.
    :param metadata_sha256: PEP 658/714 core-metadata hash when the index advertises it.
    :param index_url: the simple-API base URL this file was listed by.
    """

    filename: str
    url: str
    sha256: str | None
    size: int | None = None
    upload_time: datetime | None = None
    yanked: str | None = None
    requires_python: str | None = None
    metadata_sha256: str | None = None
    index_url: str = "https://pypi.org/simple/"

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")
