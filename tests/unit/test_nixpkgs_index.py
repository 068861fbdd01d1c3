"""The nixpkgs index file: format 1, the pynixify converter, source references (no Nix here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mach2.providers.nixpkgs.index import (
    INDEX_FORMAT,
    NixpkgsIndex,
    NixpkgsIndexError,
    NixpkgsSource,
    evaluate_index,
    from_pynixify,
    input_identity,
    parse_nixpkgs_source,
    python_attr,
    read_index,
    write_index,
)

#: names and versions from pynixify's 2020 dump of nixpkgs python3Packages (the dump itself is
#: GPL-3.0 and not in the repository: tests/data/nixpkgs/PROVENANCE.md)
NIXPKGS_2020 = Path(__file__).resolve().parents[1] / "data" / "nixpkgs" / "index-2020.json"

INDEX: dict[str, Any] = {
    "format": 1,
    "nixpkgs": {"source": "<nixpkgs>", "revision": None, "version": "24.05"},
    "python": "3.12.8",
    "python-attr": "python312",
    "system": "x86_64-linux",
    "packages": [
        {"attr": "django_4", "name": "Django", "version": "4.2.7", "dependencies": []},
        {"attr": "django_5", "name": "django", "version": "5.0.1", "dependencies": []},
        {
            "attr": "requests",
            "name": "requests",
            "version": "2.32.3",
            "dependencies": ["urllib3"],
            "extras": {"socks": ["pysocks"]},
        },
        {"attr": "urllib3", "name": "urllib3", "version": "2.2.3"},
    ],
}


def test_from_json_reads_and_looks_up() -> None:
    index = NixpkgsIndex.from_json(INDEX, where="test")
    assert [p.attr for p in index.by_name("django")] == ["django_4", "django_5"]
    assert {p.name for p in index.by_name("django")} == {"django"}  # normalized
    requests = index.by_attr("requests")
    assert requests is not None
    assert requests.dependencies == ("urllib3",)
    assert requests.extras == {"socks": ("pysocks",)}
    urllib3 = index.by_attr("urllib3")
    assert urllib3 is not None and urllib3.dependencies is None  # unknown, not empty
    assert index.by_name("numpy") == ()
    assert (index.python, index.python_attr, index.system) == (
        "3.12.8",
        "python312",
        "x86_64-linux",
    )
    assert sorted(index.names()) == ["django", "requests", "urllib3"]


def test_to_json_round_trips() -> None:
    index = NixpkgsIndex.from_json(INDEX, where="test")
    again = NixpkgsIndex.from_json(index.to_json(), where="again")
    assert again == index
    assert again.to_json()["packages"][0] == {
        "attr": "django_4",
        "name": "django",
        "version": "4.2.7",
        "dependencies": [],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, "'f.json' has nixpkgs index format 2; this mach2 reads format 1"),
        ({"packages": {}}, "'f.json': `packages` must be a list"),
        (
            {"packages": [{"attr": "a", "name": "a"}]},
            "'f.json': packages[0].version must be a non-empty string, not None",
        ),
        (
            {"packages": [{"attr": "a", "name": "a", "version": "1", "dependencies": "b"}]},
            "'f.json': packages[0].dependencies must be a list of attribute names, not 'b'",
        ),
        (
            {"packages": [{"attr": "a", "name": "a", "version": "1", "extras": {"x": [1]}}]},
            "'f.json': packages[0].extras.x must be a list of attribute names, not [1]",
        ),
        ({"python": 3.12}, "'f.json': `python` must be a string, not 3.12"),
    ],
)
def test_malformed_indexes_name_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(NixpkgsIndexError) as error:
        NixpkgsIndex.from_json({**INDEX, **change}, where="'f.json'")
    assert error.value.message == message


def test_not_an_index(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    with pytest.raises(NixpkgsIndexError, match="is not a mach2 nixpkgs index"):
        read_index(path)
    path.write_text("{")
    with pytest.raises(NixpkgsIndexError, match="is not JSON"):
        read_index(path)
    with pytest.raises(NixpkgsIndexError, match="cannot read nixpkgs index"):
        read_index(tmp_path / "missing.json")


def test_write_index_is_deterministic_and_readable(tmp_path: Path) -> None:
    index = NixpkgsIndex.from_json(INDEX, where="test")
    first, second = tmp_path / "a" / "index.json", tmp_path / "b.json"
    write_index(index, first)
    write_index(read_index(first), second)
    assert first.read_bytes() == second.read_bytes()
    assert read_index(second) == index
    assert json.loads(first.read_text())["format"] == INDEX_FORMAT


def test_from_pynixify_small() -> None:
    data = {
        "pytest": [
            {
                "attr": "pytest_4",
                "pypiName": "pytest",
                "src": "mirror://pypi/...",
                "version": "4.6.6",
            },
            {
                "attr": "pytest",
                "pypiName": "pytest",
                "src": "mirror://pypi/...",
                "version": "5.2.4",
            },
        ],
        "Zope.Interface": [{"attr": "zope_interface", "version": "4.7.1"}],
    }
    converted = from_pynixify(data)
    assert converted == {
        "format": 1,
        "nixpkgs": {"source": "pynixify dump", "revision": None},
        "python": None,
        "packages": [
            {"attr": "pytest", "name": "pytest", "version": "5.2.4"},
            {"attr": "pytest_4", "name": "pytest", "version": "4.6.6"},
            {"attr": "zope_interface", "name": "zope-interface", "version": "4.7.1"},
        ],
    }
    with pytest.raises(NixpkgsIndexError, match="pynixify dump entry 'x' has a malformed row"):
        from_pynixify({"x": [{"attr": "x"}]})


def test_the_2020_index_in_both_shapes(tmp_path: Path) -> None:
    """The 2020 index reads as format 1; rendered in the pynixify dump's own shape, the same
    packages come back through ``read_index`` (which recognises a dump) and ``from_pynixify``."""
    index = read_index(NIXPKGS_2020)
    assert [(p.attr, p.version) for p in index.by_name("requests")] == [("requests", "2.22.0")]
    assert [(p.attr, p.version) for p in index.by_name("numpy")] == [("numpy", "1.17.4")]
    assert [p.attr for p in index.by_name("django")] == ["django_2_1", "django_2_2"]
    assert [p.attr for p in index.by_name("pytest")] == ["pytest", "pytest_4", "pytest_5"]
    assert all(p.dependencies is None for p in index.packages)
    assert index.python is None  # the dump does not say (Python 3.7 era)
    dump: dict[str, list[dict[str, str]]] = {}
    for p in reversed(index.packages):  # the converter sorts
        src = f"mirror://pypi/{p.name[0]}/{p.name.title()}/{p.name.title()}-{p.version}.tar.gz"
        row = {"attr": p.attr, "pypiName": p.name.title(), "src": src, "version": p.version}
        dump.setdefault(p.name.title(), []).append(row)
    path = tmp_path / "pynixify.json"
    path.write_text(json.dumps(dump))
    assert read_index(path).packages == index.packages
    assert NixpkgsIndex.from_json(from_pynixify(dump), where="dump").packages == index.packages
    converted = tmp_path / "nixpkgs-2020.json"
    write_index(read_index(path), converted)
    assert read_index(converted).packages == index.packages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<nixpkgs>", NixpkgsSource("channel", "nixpkgs")),
        (
            "github:NixOS/nixpkgs/nixos-24.05",
            NixpkgsSource("flake", "github:NixOS/nixpkgs/nixos-24.05"),
        ),
        ("flake:nixpkgs", NixpkgsSource("flake", "flake:nixpkgs")),
        ("path:/src/nixpkgs", NixpkgsSource("flake", "path:/src/nixpkgs")),
        ("a" * 40, NixpkgsSource("flake", "github:NixOS/nixpkgs/" + "a" * 40)),
        ("/src/nixpkgs", NixpkgsSource("path", "/src/nixpkgs")),
        ("./nixpkgs", NixpkgsSource("path", "./nixpkgs")),
        ("nixpkgs", NixpkgsSource("path", "nixpkgs")),
    ],
)
def test_parse_nixpkgs_source(text: str, expected: NixpkgsSource) -> None:
    assert parse_nixpkgs_source(text) == expected


def test_github_pin_and_python_attr() -> None:
    source = NixpkgsSource.github("b" * 40, "sha256-x")
    assert source.value == f"https://github.com/NixOS/nixpkgs/archive/{'b' * 40}.tar.gz"
    assert source.sha256 == "sha256-x"
    assert python_attr((3, 12, 8)) == "python312"
    with pytest.raises(NixpkgsIndexError, match="empty nixpkgs reference"):
        parse_nixpkgs_source(" ")


def test_without_nix_the_error_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(NixpkgsIndexError) as error:
        evaluate_index(NixpkgsSource("path", str(tmp_path)), nix_bin=tmp_path / "no-nix")
    assert "nix-instantiate was not found: Nix is needed to index" in error.value.message
    assert error.value.hint is not None and "--nixpkgs-index FILE" in error.value.hint
    with pytest.raises(NixpkgsIndexError, match="nixpkgs path '/nonexistent/x' does not exist"):
        evaluate_index(NixpkgsSource("path", "/nonexistent/x"))


def test_input_identity(tmp_path: Path) -> None:
    path = tmp_path / "index.json"
    path.write_text("{}")
    digest = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert input_identity(path, "<nixpkgs>") == f"file:{digest}"  # the file wins
    assert input_identity(None, "<nixpkgs>") == "<nixpkgs>"
    pin = NixpkgsSource.github("c" * 40, "sha256-y")
    assert input_identity(None, pin) == f"tarball:{pin.value}#sha256-y"
    assert input_identity(None, None) is None
    with pytest.raises(NixpkgsIndexError, match="cannot read nixpkgs index"):
        input_identity(tmp_path / "missing.json", None)
