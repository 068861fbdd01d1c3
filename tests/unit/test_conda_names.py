"""conda ↔ PyPI names: the shipped derived map, its reverse, and overrides."""

from __future__ import annotations

import hashlib
import json
import lzma
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml  # reads the test input (test extra); mach2 does not need it
from packaging.utils import canonicalize_name

from mach2.providers.conda.names import NameMap, conda_names, default_map, pypi_name

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from conda_fixtures import DATA
from conda_pypi_names import RECORDED, SHIPPED, render

SOURCE = lzma.decompress(RECORDED.read_bytes())


def test_shipped_data_is_what_the_generator_makes() -> None:
    shipped = resources.files("mach2").joinpath("data/conda-pypi-names.json").read_text()
    assert shipped == SHIPPED.read_text(encoding="utf-8")  # the generator writes what ships
    assert shipped == render(SOURCE)
    assert json.loads(shipped)["source"]["sha256"] == hashlib.sha256(SOURCE).hexdigest()


def test_every_entry_is_kept() -> None:
    mapping = json.loads(SOURCE)
    names = default_map()
    assert len(names) == len(mapping) == 25_213
    for conda, pypi in mapping.items():
        assert names.pypi_name(conda) == (canonicalize_name(pypi) if pypi else None), conda
        assert names.is_known(conda)


@pytest.mark.parametrize(
    ("conda", "pypi"),
    [
        ("pytorch", "torch"),
        ("msgpack-python", "msgpack"),
        ("matplotlib-base", "matplotlib"),
        ("numpy", "numpy"),
        ("libgcc-ng", None),
        ("_libgcc_mutex", None),
        ("not-a-package-anywhere", None),
    ],
)
def test_pypi_name(conda: str, pypi: str | None) -> None:
    assert pypi_name(conda) == pypi


def test_reverse() -> None:
    assert conda_names("dask") == ("dask", "dask-core")
    assert "pytorch" in conda_names("torch")
    assert conda_names("Matplotlib")[0] == "matplotlib"
    assert "matplotlib-base" in conda_names("matplotlib")
    assert conda_names("no-such-project") == ()
    assert not default_map().is_known("not-a-package-anywhere")


def test_overrides_in_conda_lock_lookup_format() -> None:
    path = DATA / "locks" / "conda-lock" / "inputs-only" / "test-lookup"
    lookup = yaml.safe_load((path / "emoji-to-python-dateutil-lookup.yml").read_text())
    overrides = {entry["conda_name"]: entry["pypi_name"] for entry in lookup.values()}
    names = default_map().with_overrides(overrides)
    assert names.pypi_name("emoji") == "python-dateutil"
    assert "emoji" in names.conda_names("python-dateutil")
    assert default_map().pypi_name("emoji") == "emoji"  # the shared map is untouched
    assert NameMap({}).with_overrides({"libfoo": None}).is_known("libfoo")
