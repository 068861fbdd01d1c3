"""The Nix library's unit tests (tests/nix/lib/test_<file>.nix), run with real Nix."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from nixhelpers import ROOT, nix_eval

MODULES = [
    "util",
    "providers",
    "lock",
    "python",
    "fixes",
    "sources",
    "editable",
    "macho",
    "packages",
    "overlay",
    "underscore",
    "extra",
]


@functools.cache
def _results() -> dict[str, Any]:
    result: dict[str, Any] = nix_eval(f"import {ROOT / 'tests' / 'nix' / 'lib'}")
    return result


@pytest.mark.parametrize("module", MODULES)
def test_module(module: str) -> None:
    failures = [
        f"{function}.{case}: got {result['expr']!r}, expected {result['expected']!r}"
        for function, cases in _results()[module].items()
        for case, result in cases.items()
        if not result["pass"]
    ]
    assert not failures, "\n".join(failures)


def test_every_module_is_run() -> None:
    assert sorted(_results()) == sorted(MODULES)
