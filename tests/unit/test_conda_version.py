"""conda VersionOrder: rattler's oracle in full, plus conda's documented orderings."""

from __future__ import annotations

import gzip
import random
from itertools import pairwise
from pathlib import Path

import pytest

from mach2.providers.conda.errors import InvalidVersion
from mach2.providers.conda.version import VersionOrder, pep440

DATA = Path(__file__).resolve().parents[1] / "data" / "conda"
ORACLE = DATA / "version-ordering" / "rattler-parsed_versions.txt.gz"
INF = float("inf")


def _oracle_lines() -> list[tuple[str, str]]:
    pairs = []
    for line in gzip.decompress(ORACLE.read_bytes()).decode().splitlines():
        if not line or line.startswith("#"):
            continue
        cut = line.index("=[[")
        pairs.append((line[:cut], line[cut + 1 :]))
    return pairs


def test_oracle_every_line() -> None:
    """Each line is ``<version>=<conda's VersionOrder(v).version>``; all must agree."""
    pairs = _oracle_lines()
    assert len(pairs) > 28_000
    wrong = []
    for text, expected in pairs:
        parsed = repr([list(component) for component in VersionOrder.parse(text).version])
        if parsed != expected:
            wrong.append((text, expected, parsed))
    assert wrong == []


def test_oracle_versions_sort_without_errors() -> None:
    """Sorting all oracle versions is a total order: sorted twice from two shuffles agree."""
    versions = [VersionOrder.parse(text) for text, _ in _oracle_lines()]
    first, second = versions[:], versions[:]
    random.Random(1).shuffle(first)
    random.Random(2).shuffle(second)
    a, b = sorted(first), sorted(second)
    assert a == b  # equal up to VersionOrder equality (1.1 == 1.1.0 may swap places)
    assert all(x <= y for x, y in pairwise(a))


# conda.models.version docstring / tests/models/test_version.py, in ascending order
CONDA_PARSED = [
    ("0.4", [[0], [0], [4]]),
    ("0.4.0", [[0], [0], [4], [0]]),
    ("0.4.1a.vc11", [[0], [0], [4], [1, "a"], [0, "vc", 11]]),
    ("0.4.1.rc", [[0], [0], [4], [1], [0, "rc"]]),
    ("0.4.1.vc11", [[0], [0], [4], [1], [0, "vc", 11]]),
    ("0.4.1", [[0], [0], [4], [1]]),
    ("0.5*", [[0], [0], [5, "*"]]),
    ("0.5a1", [[0], [0], [5, "a", 1]]),
    ("0.5b3", [[0], [0], [5, "b", 3]]),
    ("0.5C1", [[0], [0], [5, "c", 1]]),
    ("0.5z", [[0], [0], [5, "z"]]),
    ("0.5za", [[0], [0], [5, "za"]]),
    ("0.5", [[0], [0], [5]]),
    ("0.5_5", [[0], [0], [5], [5]]),
    ("0.5-5", [[0], [0], [5], [5]]),
    ("0.9.6", [[0], [0], [9], [6]]),
    ("0.960923", [[0], [0], [960923]]),
    ("1.0", [[0], [1], [0]]),
    ("1.0.4a3", [[0], [1], [0], [4, "a", 3]]),
    ("1.0.4b1", [[0], [1], [0], [4, "b", 1]]),
    ("1.0.4", [[0], [1], [0], [4]]),
    ("1.1dev1", [[0], [1], [1, "DEV", 1]]),
    ("1.1_", [[0], [1], [1, "_"]]),
    ("1.1a1", [[0], [1], [1, "a", 1]]),
    ("1.1.dev1", [[0], [1], [1], [0, "DEV", 1]]),
    ("1.1.a1", [[0], [1], [1], [0, "a", 1]]),
    ("1.1", [[0], [1], [1]]),
    ("1.1.post1", [[0], [1], [1], [0, INF, 1]]),
    ("1.1.1dev1", [[0], [1], [1], [1, "DEV", 1]]),
    ("1.1.1rc1", [[0], [1], [1], [1, "rc", 1]]),
    ("1.1.1", [[0], [1], [1], [1]]),
    ("1.1.1post1", [[0], [1], [1], [1, INF, 1]]),
    ("1.1post1", [[0], [1], [1, INF, 1]]),
    ("2g6", [[0], [2, "g", 6]]),
    ("2.0b1pr0", [[0], [2], [0, "b", 1, "pr", 0]]),
    ("2.2be.ta29", [[0], [2], [2, "be"], [0, "ta", 29]]),
    ("2.2be5ta29", [[0], [2], [2, "be", 5, "ta", 29]]),
    ("2.2beta29", [[0], [2], [2, "beta", 29]]),
    ("2.2.0.1", [[0], [2], [2], [0], [1]]),
    ("3.1.1.6", [[0], [3], [1], [1], [6]]),
    ("3.2.p.r0", [[0], [3], [2], [0, "p"], [0, "r", 0]]),
    ("3.2.pr0", [[0], [3], [2], [0, "pr", 0]]),
    ("3.2.pr.1", [[0], [3], [2], [0, "pr"], [1]]),
    ("5.5.kw", [[0], [5], [5], [0, "kw"]]),
    ("11g", [[0], [11, "g"]]),
    ("14.3.1", [[0], [14], [3], [1]]),
    ("14.3.1.post26.g9d75ca2", [[0], [14], [3], [1], [0, INF, 26], [0, "g", 9, "d", 75, "ca", 2]]),
    ("1996.07.12", [[0], [1996], [7], [12]]),
    ("1!0.4.1", [[1], [0], [4], [1]]),
    ("1!3.1.1.6", [[1], [3], [1], [1], [6]]),
    ("2!0.4.1", [[2], [0], [4], [1]]),
]


@pytest.mark.parametrize(("text", "expected"), CONDA_PARSED, ids=[t for t, _ in CONDA_PARSED])
def test_conda_documented_parse(text: str, expected: list[list[object]]) -> None:
    assert [list(c) for c in VersionOrder.parse(text).version] == expected


def test_conda_documented_order() -> None:
    versions = [VersionOrder.parse(text) for text, _ in CONDA_PARSED]
    shuffled = versions[:]
    random.Random(0).shuffle(shuffled)
    assert sorted(shuffled) == sorted(versions)
    assert all(a <= b for a, b in pairwise(versions))


def _chain(*texts: str) -> list[VersionOrder]:
    return [VersionOrder.parse(t) for t in texts]


def test_docstring_chain() -> None:
    """The ordering table of conda's VersionOrder docstring (``<`` and ``==`` steps)."""
    steps = [
        ("0.4", "<", "0.4.1.rc"), ("0.4", "==", "0.4.0"), ("0.4.1.rc", "==", "0.4.1.RC"),
        ("0.4.1.RC", "<", "0.4.1"), ("0.4.1", "<", "0.5a1"), ("0.5a1", "<", "0.5b3"),
        ("0.5b3", "<", "0.5C1"), ("0.5C1", "<", "0.5"), ("0.5", "<", "0.9.6"),
        ("0.9.6", "<", "0.960923"), ("0.960923", "<", "1.0"), ("1.0", "<", "1.1dev1"),
        ("1.1dev1", "<", "1.1_"), ("1.1_", "<", "1.1a1"), ("1.1a1", "<", "1.1.0dev1"),
        ("1.1.0dev1", "==", "1.1.dev1"), ("1.1.dev1", "<", "1.1.a1"), ("1.1.a1", "<", "1.1.0rc1"),
        ("1.1.0rc1", "<", "1.1.0"), ("1.1.0", "==", "1.1"), ("1.1", "<", "1.1.0post1"),
        ("1.1.0post1", "==", "1.1.post1"), ("1.1.post1", "<", "1.1post1"),
        ("1.1post1", "<", "1996.07.12"), ("1996.07.12", "<", "1!0.4.1"),
        ("1!0.4.1", "<", "1!3.1.1.6"), ("1!3.1.1.6", "<", "2!0.4.1"),
    ]  # fmt: skip
    for left, relation, right in steps:
        a, b = VersionOrder.parse(left), VersionOrder.parse(right)
        if relation == "<":
            assert a < b and b > a and a != b, (left, right)
        else:
            assert a == b and hash(a) == hash(b) and not a < b and not b < a, (left, right)


def test_openssl_convention() -> None:
    ordered = _chain(
        "1.0.1dev", "1.0.1_", "1.0.1a", "1.0.1b", "1.0.1c", "1.0.1d", "1.0.1r", "1.0.1rc",
        "1.0.1rc1", "1.0.1rc2", "1.0.1s", "1.0.1", "1.0.1post.a", "1.0.1post.b",
        "1.0.1post.z", "1.0.1post.za", "1.0.2",
    )  # fmt: skip
    shuffled = ordered[:]
    random.Random(3).shuffle(shuffled)
    assert sorted(shuffled) == ordered


def test_pep440_like_order() -> None:
    texts = [
        "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
        "1.0b2.post345.dev456", "1.0b2.post345", "1.0c1.dev456", "1.0c1", "1.0c3", "1.0rc2",
        "1.0.dev456", "1.0", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "1.2.r32+123456",
        "1.2.rev33+123456", "1.2+abc", "1.2+abc123def", "1.2+abc123", "1.2+123abc",
        "1.2+123abc456", "1.2+1234.abc", "1.2+123456",
    ]  # fmt: skip
    texts += ["1!" + t for t in texts]
    versions = _chain(*texts)
    assert sorted(versions) == versions


def test_equality_and_hash() -> None:
    assert VersionOrder.parse("  0.4.rc  ") == VersionOrder.parse("0.4.RC")
    assert VersionOrder.parse("0.4.a1") == VersionOrder.parse("0.4.0a1")
    assert VersionOrder.parse("0.4") != VersionOrder.parse("0.4.1")
    assert VersionOrder.parse("0.4.a1") != VersionOrder.parse("0.4.1a1")
    assert len({VersionOrder.parse(v) for v in ("1.1", "1.1.0", "1.1.0.0", "1.1.0+0")}) == 1
    # a string local part sorts *below* no local part (strings before the fill value 0)
    assert VersionOrder.parse("1.0+local") < VersionOrder.parse("1.0") < VersionOrder.parse("1.0+1")
    assert str(VersionOrder.parse("1.0.RC1")) == "1.0.RC1"
    assert VersionOrder.parse("1.0.RC1").normalized == "1.0.rc1"
    assert VersionOrder.parse("0.5-5").normalized == "0.5_5"


@pytest.mark.parametrize(
    ("version", "prefix", "expected"),
    [
        ("0.4.1", "0", True),
        ("0.4.1", "0.4", True),
        ("0.4.1p1", "0.4", True),
        ("0.4.1p1", "0.4.1p", True),
        ("0.4.1p1", "0.4.1q1", False),
        ("0.4", "0.4.1", False),
        ("0.4.1+1.3", "0.4.1", True),
        ("0.4.1+1.3", "0.4.1+1", True),
        ("0.4.1", "0.4.1+1.3", False),
        ("0.4.1+1", "0.4.1+1.3", False),
        ("1.20", "1.2", False),
        ("1.2", "1.2", True),
    ],
)
def test_startswith(version: str, prefix: str, expected: bool) -> None:
    assert VersionOrder.parse(version).startswith(VersionOrder.parse(prefix)) is expected


@pytest.mark.parametrize(
    "text", ["", "  ", "3.5&1", "5.5++", "5.5..mw", "!", "a!1.0", "a!b!1.0", "+1", "1.", "1+2+3"]
)
def test_invalid(text: str) -> None:
    with pytest.raises(InvalidVersion) as info:
        VersionOrder.parse(text)
    assert repr(text) in str(info.value)
    assert "\n" not in str(info.value)


def test_prerelease_and_pep440() -> None:
    assert VersionOrder.parse("1.0rc1").is_prerelease()
    assert not VersionOrder.parse("1.0").is_prerelease()
    assert not VersionOrder.parse("1.1.1_").is_prerelease()
    assert str(pep440("1.26.4")) == "1.26.4"
    assert pep440("1.1.1_") is None
