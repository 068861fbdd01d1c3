"""Plain progress lines for logs (issue 14 item 5): long stages only, throttled, last state."""

from __future__ import annotations

import pytest

from mach2.cli.progress import PlainProgress, interval_from
from mach2.errors import InputError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_quick_work_prints_nothing() -> None:
    lines: list[str] = []
    clock = Clock()
    progress = PlainProgress(lines.append, clock=clock, interval=5)
    for n, name in enumerate(["a", "b", "c"], 1):
        clock.now = n
        progress("resolve", name, n, None)
    progress("plan", "", 0, 2)
    progress("plan", "x", 1, 2)
    progress.close()
    assert lines == []


def test_long_stages_get_a_line_every_interval_and_their_last_state() -> None:
    lines: list[str] = []
    clock = Clock()
    progress = PlainProgress(lines.append, clock=clock, interval=5)
    progress("resolve", "a", 1, None)  # t=0: the stage starts, nothing yet
    clock.now = 4
    progress("resolve", "b", 2, None)
    clock.now = 6
    progress("resolve", "c", 3, None)  # 6 s into the stage: a line
    clock.now = 8
    progress("resolve", "d", 4, None)  # 2 s after the last line: none
    clock.now = 9
    progress("plan", "", 0, 2)  # the resolve stage ends: its last state
    progress("download", "torch.whl", 0, 2_500_000_000)
    clock.now = 15
    progress("download", "torch.whl", 1_000_000_000, 2_500_000_000)  # 6 s into plans
    progress("download", "numpy.whl", 5_000_000, 5_000_000)
    clock.now = 16
    progress("plan", "numpy", 1, 2)
    clock.now = 30
    progress("download", "torch.whl", 2_500_000_000, 2_500_000_000)
    progress("plan", "torch", 2, 2)  # within 5 s of the line before: only at close
    progress.close()
    assert lines == [
        "resolving: 3 pinned (last: c)",
        "resolving: 4 pinned (last: d)",
        "patch plans: 0 of 2 binary wheels inspected; downloaded 1.00 GB of 2.50 GB (1 file)",
        "patch plans: 1 of 2 binary wheels inspected; downloaded 2.50 GB of 2.50 GB (2 files)",
        "patch plans: 2 of 2 binary wheels inspected; downloaded 2.50 GB of 2.50 GB (2 files)",
    ]


def test_interval_zero_prints_every_new_state() -> None:
    lines: list[str] = []
    progress = PlainProgress(lines.append, clock=Clock(), interval=0)
    progress("index", "<nixpkgs>", 0, None)
    progress("resolve", "a", 1, None)
    progress("resolve", "a", 1, None)
    progress.close()
    assert lines == [
        "indexing nixpkgs <nixpkgs> with Nix",
        "resolving: 1 pinned (last: a)",
    ]


def test_the_interval_comes_from_the_environment() -> None:
    assert interval_from({}) == 5
    assert interval_from({"MACH2_PROGRESS_INTERVAL": "0.5"}) == 0.5
    with pytest.raises(InputError, match="MACH2_PROGRESS_INTERVAL='soon' is not a number"):
        interval_from({"MACH2_PROGRESS_INTERVAL": "soon"})
