"""mach2.atomic.write_atomic: the new file or the old one, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mach2.atomic import write_atomic


def test_writes_through_a_rename_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "mach2.lock"
    write_atomic(target, "one")
    write_atomic(target, b"two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["mach2.lock"]


def test_a_directory_in_the_way_is_named_not_the_temporary_file(tmp_path: Path) -> None:
    """`mach2 lock -o DIR` once said "error: '.../.DIR.2eohsq92' Is a directory"."""
    target = tmp_path / "out.lock"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(target, "x")
    assert info.value.filename == str(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.lock"]
