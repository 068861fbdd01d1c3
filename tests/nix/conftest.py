"""Every test in this directory gets the ``nix`` marker and is skipped when Nix is not
installed (``apt-get install -y nix-bin``).  Helpers live in nixhelpers.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.nix)


@pytest.fixture(autouse=True)
def _need_nix() -> None:
    if shutil.which("nix-instantiate") is None:
        pytest.skip("Nix is not installed (apt-get install -y nix-bin)")
