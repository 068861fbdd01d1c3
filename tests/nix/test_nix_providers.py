"""The Nix library's provider string is exactly the one `mach2 lock` stores."""

from __future__ import annotations

import json

import pytest
from nixhelpers import library_expr, nix_eval

from mach2.lock.model import canonical_providers
from mach2.providers.order import ProviderOrder

CASES: list[dict[str, str | list[str]]] = [
    {},
    {"_default": "wheel,sdist,nixpkgs"},
    {"_default": " wheel , sdist ,", "numpy": "conda"},
    {"NumPy": "conda/conda-forge,wheel", "_default": "sdist"},
    {"scikit_learn": ["wheel", "sdist"], "Zope.Interface": "sdist"},
    {"b": "wheel", "a": "sdist", "_default": "nixpkgs,wheel"},
]


def _python(providers: dict[str, str | list[str]]) -> str:
    # What mach2.api does: ProviderOrder normalizes the keys, canonical_providers renders.
    order = ProviderOrder.from_mapping(providers)
    return canonical_providers({k: list(v) for k, v in order.user.items()})


def _nix(providers: dict[str, str | list[str]]) -> str:
    value = json.dumps(json.dumps(providers))
    result: str = nix_eval(
        library_expr(f"mach2.internal.providers.canonicalProviders (builtins.fromJSON {value})")
    )
    return result


@pytest.mark.parametrize("providers", CASES, ids=[json.dumps(c) for c in CASES])
def test_same_string_as_python(providers: dict[str, str | list[str]]) -> None:
    assert _nix(providers) == _python(providers)
