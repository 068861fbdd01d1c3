"""nixpkgs first, then real wheels from the live PyPI (pages pinned by ``exclude_newer``).

The nixpkgs index is a real one of 2020 (Python 3.7 era; names and versions from pynixify's
dump, tests/data/nixpkgs/PROVENANCE.md); its candidates take their dependencies from PyPI's metadata for the same version.  The target is
Python 3.9, the oldest one numpy 2 has wheels for, so that ``numpy>=2`` can fall back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.requirements import Requirement as Pep508
from packaging.version import Version

from mach2.model.names import normalize
from mach2.model.target import Target
from mach2.providers.nixpkgs.index import read_index
from mach2.providers.nixpkgs.provider import NixpkgsProvider, pypi_dependencies, pypi_source
from mach2.providers.order import ProviderOrder
from mach2.providers.pypi.client import PyPIClient
from mach2.providers.pypi.configure import wheel_dependencies
from mach2.providers.pypi.provider import WheelProvider
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement
from mach2.resolve.resolver import resolve

NIXPKGS_2020 = Path(__file__).resolve().parents[1] / "data" / "nixpkgs" / "index-2020.json"
pytestmark = pytest.mark.network

CUTOFF = datetime(2026, 11, 1, tzinfo=UTC)
TARGET = Target.from_strings("3.9")


def lock(client: PyPIClient, *requirements: str) -> dict[str, tuple[str, str, str]]:
    nixpkgs = NixpkgsProvider(
        read_index(NIXPKGS_2020), TARGET, pypi_dependencies(client, wheel_dependencies, TARGET)
    )
    factory = Factory(
        target=TARGET,
        order=ProviderOrder.from_mapping({"_default": "nixpkgs,wheel"}),
        providers={"nixpkgs": nixpkgs, "wheel": WheelProvider(client, TARGET, wheel_dependencies)},
    )
    try:
        roots = [Requirement.from_pep508(Pep508(r), origin="test") for r in requirements]
        resolution = resolve(factory, roots)
    finally:
        factory.close()
    out = {}
    for ident, candidate in resolution.mapping.items():
        if candidate.provider == "python":
            continue
        source = (
            nixpkgs.dependencies_from(candidate) if candidate.provider == "nixpkgs" else "metadata"
        )
        out[ident] = (str(candidate.version), candidate.provider, source)
    return out


def test_requests_numpy_from_nixpkgs_and_numpy_2_from_a_wheel(tmp_path: Path) -> None:
    with PyPIClient(cache_dir=tmp_path, exclude_newer=CUTOFF) as client:
        assert lock(client, "requests", "numpy") == {
            "requests": ("2.22.0", "nixpkgs", "pypi"),
            # No numpy 1.17.4 wheel is for cp39; another wheel's METADATA tells its dependencies.
            "numpy": ("1.17.4", "nixpkgs", "pypi"),
            "chardet": ("3.0.4", "nixpkgs", "pypi"),
            "idna": ("2.8", "nixpkgs", "pypi"),
            "urllib3": ("1.25.7", "nixpkgs", "pypi"),
            "certifi": ("2019.9.11", "nixpkgs", "pypi"),
        }
        fallback = lock(client, "requests", "numpy>=2")
        version, provider, _ = fallback.pop("numpy")
        assert provider == "wheel" and version.startswith("2.0.")  # numpy 2.1 dropped 3.9
        assert {k: v[1] for k, v in fallback.items()} == dict.fromkeys(
            ["requests", "chardet", "idna", "urllib3", "certifi"], "nixpkgs"
        )
        # What the lock can carry for overriding `src` when the evaluated nixpkgs differs.
        sdist = pypi_source(client, normalize("requests"), Version("2.22.0"))
        assert sdist is not None and sdist.filename == "requests-2.22.0.tar.gz"
        assert sdist.sha256 == "11e007a8a2aa0323f5a921e9e6a2d7e4e67d9877e85773fba9ba6419025cbeb4"
