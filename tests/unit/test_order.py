"""ProviderOrder and ``-p`` parsing: the merge rules of mach2/providers/order.py, exactly."""

from __future__ import annotations

import pytest

from mach2.errors import InputError, ProviderError
from mach2.providers.order import (
    BOOTSTRAP,
    BUILTIN_DEFAULTS,
    ProviderOrder,
    parse_provider_option,
    validate_provider,
)


def order(entries: dict[str, str | list[str]]) -> ProviderOrder:
    return ProviderOrder.from_mapping(entries)


# -- parse_provider_option ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wheel,sdist", {"_default": "wheel,sdist"}),
        ("  wheel  ", {"_default": "wheel"}),
        ("_default=wheel;numpy=conda,wheel", {"_default": "wheel", "numpy": "conda,wheel"}),
        ("numpy=sdist", {"numpy": "sdist"}),
        ("_default = wheel ; numpy = sdist ;", {"_default": "wheel", "numpy": "sdist"}),
        ("a=wheel;;b=sdist", {"a": "wheel", "b": "sdist"}),
    ],
)
def test_parse_provider_option(text: str, expected: dict[str, str]) -> None:
    assert parse_provider_option(text) == expected


@pytest.mark.parametrize("text", ["_default=wheel;numpy", "=wheel", "_default=wheel; =sdist"])
def test_parse_provider_option_rejects_entries_without_name_or_value(text: str) -> None:
    with pytest.raises(ProviderError) as info:
        parse_provider_option(text)
    assert str(info.value.message).startswith("invalid provider entry ")
    assert f"in -p {text.strip()!r}" in info.value.message
    assert info.value.hint == "write NAME=PROVIDER[,PROVIDER...] entries separated by ';'"


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wheel", "sdist", "nixpkgs", "conda", "conda/conda-forge"])
def test_known_providers(name: str) -> None:
    assert validate_provider(name, where="x") == name


@pytest.mark.parametrize("name", ["wheal", "Wheel", "conda/", "conda/-x", "pip", ""])
def test_unknown_provider_is_an_input_error_naming_where(name: str) -> None:
    with pytest.raises(ProviderError) as info:
        validate_provider(name, where="-p 'x' (_default)")
    assert isinstance(info.value, InputError)
    assert info.value.message == f"unknown provider {name!r} in -p 'x' (_default)"
    assert info.value.hint == "providers are wheel, sdist, nixpkgs, conda or conda/<channel>"


def test_unknown_provider_in_a_package_entry_names_the_entry() -> None:
    with pytest.raises(ProviderError, match=r"unknown provider 'whl' in -p 'numpy=whl' \(numpy\)"):
        ProviderOrder.from_mapping({"numpy": "whl"}, where="-p 'numpy=whl'")


def test_empty_and_duplicate_lists_are_rejected() -> None:
    with pytest.raises(ProviderError, match=r"^empty provider list in providers \(numpy\)"):
        order({"numpy": " , "})
    with pytest.raises(ProviderError, match=r"provider listed twice in providers \(_default\)"):
        order({"_default": "wheel,sdist,wheel"})


def test_list_values_are_accepted_like_strings() -> None:
    assert order({"numpy": ["sdist", " wheel"]}).for_package("numpy") == ("sdist", "wheel")


# -- merging ---------------------------------------------------------------------------------


def test_builtin_default() -> None:
    empty = order({})
    assert BUILTIN_DEFAULTS["_default"] == ("wheel", "sdist", "nixpkgs")
    assert empty.for_package("requests") == ("wheel", "sdist", "nixpkgs")
    assert empty.explain("requests") == "built-in _default=wheel,sdist,nixpkgs"
    assert empty.effective() == {"_default": ("wheel", "sdist", "nixpkgs")}


def test_user_default_replaces_builtin_default() -> None:
    user = order({"_default": "sdist,wheel"})
    assert user.for_package("requests") == ("sdist", "wheel")
    assert user.explain("requests") == "your _default=sdist,wheel"


def test_user_package_entry_beats_every_default() -> None:
    user = order({"_default": "wheel", "NumPy": "sdist,wheel"})
    assert user.for_package("numpy") == ("sdist", "wheel")
    assert user.explain("numpy") == "your entry numpy=sdist,wheel"
    assert user.for_package("scipy") == ("wheel",)


def test_package_entry_without_user_default_keeps_builtin_default_for_the_rest() -> None:
    user = order({"numpy": "sdist"})
    assert user.for_package("numpy") == ("sdist",)
    assert user.for_package("scipy") == ("wheel", "sdist", "nixpkgs")
    assert user.explain("scipy") == "built-in _default=wheel,sdist,nixpkgs"
    assert user.effective() == {"_default": ("wheel", "sdist", "nixpkgs"), "numpy": ("sdist",)}


def test_package_names_are_normalized() -> None:
    user = order({"Scikit_Learn": "sdist"})
    assert user.for_package("scikit-learn") == ("sdist",)
    assert dict(user.user_entries()) == {"scikit-learn": ("sdist",)}


@pytest.mark.parametrize("name", ["setuptools", "wheel", "pip", "flit-core", "hatchling"])
def test_bootstrap_packages_never_take_sdist_from_the_builtin_default(name: str) -> None:
    assert name in BOOTSTRAP
    assert order({}).for_package(name) == ("wheel", "nixpkgs")
    assert order({}).explain(name) == (
        "built-in _default=wheel,sdist,nixpkgs without sdist (build bootstrap)"
    )


def test_bootstrap_packages_drop_sdist_from_the_user_default_too() -> None:
    user = order({"_default": "sdist,wheel"})
    assert user.for_package("setuptools") == ("wheel",)
    assert user.explain("setuptools") == "your _default=sdist,wheel without sdist (build bootstrap)"
    assert user.for_package("six") == ("sdist", "wheel")


def test_a_user_entry_for_a_bootstrap_package_is_taken_as_written() -> None:
    user = order({"setuptools": "sdist,wheel"})
    assert user.for_package("setuptools") == ("sdist", "wheel")
    assert user.explain("setuptools") == "your entry setuptools=sdist,wheel"


def test_bootstrap_rule_never_empties_the_order() -> None:
    # `-p sdist`: removing sdist would leave nothing, so the bootstrap package keeps it.
    assert order({"_default": "sdist"}).for_package("setuptools") == ("sdist",)


def test_replaced_builtin_defaults() -> None:
    custom = ProviderOrder.from_mapping({}, builtin={"_default": ("nixpkgs", "wheel")})
    assert custom.for_package("numpy") == ("nixpkgs", "wheel")
    assert custom.explain("numpy") == "built-in _default=nixpkgs,wheel"


def test_effective_merges_user_entries_over_the_default() -> None:
    user = order({"_default": "wheel,sdist", "numpy": "sdist"})
    assert user.effective() == {"_default": ("wheel", "sdist"), "numpy": ("sdist",)}


def test_mentions() -> None:
    user = order({"numpy": "conda/conda-forge,wheel"})
    assert user.mentions("conda")
    assert user.mentions("nixpkgs")  # through the built-in _default
    assert not order({"_default": "wheel"}).mentions("conda")
    assert not order({"_default": "wheel"}).mentions("nixpkgs")
