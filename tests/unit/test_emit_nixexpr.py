"""The Nix renderer: escaping, quoting, stable output."""

from __future__ import annotations

import pytest

from mach2.emit.nixexpr import Apply, Attrs, Lambda, Let, Path, Raw, Select, Value, render, string


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("${interpolation}", '"\\${interpolation}"'),
        ("$dollar and $${x}", '"$dollar and $\\${x}"'),
        ("line\nnext\ttab\r", '"line\\nnext\\ttab\\r"'),
        ("unicode ✓", '"unicode ✓"'),
    ],
)
def test_string_escaping(text: str, expected: str) -> None:
    assert string(text) == expected


def test_attrs_sorted_and_quoted() -> None:
    value: dict[str, Value] = {"b": 1, "a-b": True, "1x": None, "with": "kw", "_": []}
    assert render(value) == (
        '{\n  "1x" = null;\n  _ = [ ];\n  a-b = true;\n  b = 1;\n  "with" = "kw";\n}'
    )


def test_nested_and_inherit() -> None:
    expr = Let(
        {"m": Apply(Raw("import"), [Path("mach2"), Attrs({}, inherit=("pkgs",))])},
        Apply(Select(Raw("m"), ["mkPython"]), [{"lockFile": Path("mach2.lock"), "l": [1, "x"]}]),
    )
    assert render(expr) == (
        "let\n"
        "  m = import ./mach2 {\n"
        "    inherit pkgs;\n"
        "  };\n"
        "in\n"
        "m.mkPython {\n"
        '  l = [\n    1\n    "x"\n  ];\n'
        "  lockFile = ./mach2.lock;\n"
        "}"
    )


def test_lambda_with_defaults() -> None:
    expr = Lambda({"pkgs": Apply(Raw("import"), [Raw("<nixpkgs>"), {}]), "x": None}, Raw("x"))
    assert render(expr) == "{\n  pkgs ? import <nixpkgs> { },\n  x,\n}:\nx"


def test_operands_are_parenthesised() -> None:
    inner = Apply(Raw("builtins.fetchTarball"), [{"url": "u"}])
    assert render(Apply(Raw("import"), [inner, {}])) == (
        'import (builtins.fetchTarball {\n  url = "u";\n}) { }'
    )


@pytest.mark.parametrize("bad", ["../x", "/abs", "a b", "a/../b", ""])
def test_path_literals_are_plain(bad: str) -> None:
    with pytest.raises(ValueError):
        Path(bad)


def test_unrenderable() -> None:
    with pytest.raises(TypeError):
        render(1.5)  # type: ignore[arg-type]
