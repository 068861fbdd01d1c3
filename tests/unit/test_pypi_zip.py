"""Reading one zip member from a file's tail plus range reads (what wheel metadata needs)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from mach2.providers.pypi.pages import pick_metadata
from mach2.providers.pypi.remote_zip import ZIP_TAIL, ZipReadError, read_zip_member

METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: six\n"
WHEEL = "demo-1.0-py3-none-any.whl"


def make_zip(
    *,
    metadata_first: bool = False,
    modules: int = 1,
    module_size: int = 10,
    compression: int = zipfile.ZIP_DEFLATED,
    comment: bytes = b"",
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        if metadata_first:
            archive.writestr("demo-1.0.dist-info/METADATA", METADATA)
        for number in range(modules):
            # random bytes do not compress: module_size controls the archive size
            archive.writestr(f"demo/module_{number:05d}.py", os.urandom(module_size))
        if not metadata_first:
            archive.writestr("demo-1.0.dist-info/METADATA", METADATA)
        archive.writestr("demo-1.0.dist-info/RECORD", b"")
        archive.comment = comment
    return buffer.getvalue()


class Ranges:
    """``fetch`` over an in-memory file, recording the ranges asked for."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[tuple[int, int]] = []

    def __call__(self, start: int, end: int) -> bytes:
        assert 0 <= start < end <= len(self.data)
        self.calls.append((start, end))
        return self.data[start:end]


def read(data: bytes) -> tuple[bytes, Ranges]:
    fetch = Ranges(data)
    tail = data[-ZIP_TAIL:]
    member = read_zip_member(tail, len(data), fetch, lambda names: pick_metadata(WHEEL, names))
    return member, fetch


def test_small_wheel_needs_only_the_tail() -> None:
    member, fetch = read(make_zip())
    assert member == METADATA
    assert fetch.calls == []


def test_stored_member() -> None:
    member, fetch = read(make_zip(compression=zipfile.ZIP_STORED, modules=3))
    assert member == METADATA
    assert fetch.calls == []


def test_member_before_the_tail_is_fetched_in_one_range() -> None:
    data = make_zip(metadata_first=True, modules=4, module_size=50_000)
    member, fetch = read(data)
    assert member == METADATA
    assert len(fetch.calls) == 1
    assert fetch.calls[0][0] == 0  # the first member's local header


def test_central_directory_longer_than_the_tail_is_completed() -> None:
    data = make_zip(modules=2000)  # ~2000 * 70 bytes of directory
    member, fetch = read(data)
    assert member == METADATA
    directory, member_range = fetch.calls  # the rest of the directory, then the member
    assert directory[1] == len(data) - ZIP_TAIL
    assert member_range[1] == directory[0]


def test_comment_with_a_fake_end_record() -> None:
    member, _ = read(make_zip(comment=b"PK\x05\x06 looks like an end record"))
    assert member == METADATA


def test_zip64_records(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lowering the limit makes zipfile write zip64 end records and zip64 extra fields.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 20)
    data = make_zip(modules=3, module_size=100)
    monkeypatch.undo()
    assert b"PK\x06\x06" in data
    assert zipfile.ZipFile(io.BytesIO(data)).read("demo-1.0.dist-info/METADATA") == METADATA
    member, _ = read(data)
    assert member == METADATA


def test_damaged_member_is_detected() -> None:
    data = bytearray(make_zip(compression=zipfile.ZIP_STORED))
    position = data.find(b"Requires-Dist: six")
    data[position] ^= 0xFF
    with pytest.raises(ZipReadError, match="CRC"):
        read(bytes(data))


@pytest.mark.parametrize(
    "data",
    [b"not a zip at all" * 100, make_zip()[:-30]],
    ids=["no-zip", "truncated"],
)
def test_unreadable_zip(data: bytes) -> None:
    with pytest.raises(ZipReadError):
        read(data)


def test_missing_member() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo/__init__.py", b"")
    with pytest.raises(ZipReadError, match="not found"):
        read(buffer.getvalue())
