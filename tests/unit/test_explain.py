"""Failures explained in words (DESIGN.md §3 "Errors tell the story"), on a fake index.

Each test checks the exact one-line message: unknown package, nothing compatible with the
target (what was rejected and why), the target Python, and conflicts (the chains that clash).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from index_fixture import FakeIndex, lock_with

from mach2.errors import LockError, Mach2Error, ProviderError, ResolutionFailed
from mach2.providers.pypi.client import UnknownProject

TARGET = "CPython 3.12.12 on x86_64-linux (glibc 2.40)"


def failure(spec: Any, text: str, **kw: Any) -> Mach2Error:
    """The error locking ``text`` raises; its message and hint are one line each."""
    with pytest.raises(Mach2Error) as info:
        lock_with(spec, text, **kw)
    error = info.value
    assert "\n" not in error.message
    assert error.hint is None or "\n" not in error.hint
    return error


# -- unknown package -----------------------------------------------------------------------------


def test_unknown_root_package() -> None:
    error = failure({"a": {"1.0": {}}}, "a\nnope\n")
    assert isinstance(error, UnknownProject)
    assert error.message == "no package named 'nope' on https://fake.invalid/simple/"
    assert error.hint == "check the spelling and the index URLs"


def test_unknown_package_names_every_index() -> None:
    index = FakeIndex({}, index_urls=("https://one.invalid/simple/", "https://two.invalid/simple/"))
    error = failure(index, "nope\n")
    assert error.message == (
        "no package named 'nope' on https://one.invalid/simple/ or https://two.invalid/simple/"
    )


def test_unknown_transitive_package_is_reported() -> None:
    spec = {"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {"deps": ["nope>=1"]}}}
    error = failure(spec, "a\n")
    assert isinstance(error, UnknownProject)
    assert error.message.startswith("no package named 'nope'")


def test_unknown_transitive_package_says_who_required_it() -> None:
    spec = {"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {"deps": ["nope>=1"]}}}
    error = failure(spec, "a\n")
    assert "b 1.0" in error.message
    assert "requirements.txt:1" in error.message


# -- nothing compatible with the target ----------------------------------------------------------


def test_nothing_compatible_lists_what_was_rejected_and_why() -> None:
    spec = {
        "a": {
            "1.0": {"wheels": ["cp312-cp312-macosx_11_0_arm64"]},
            "0.9": {"yanked": True},
            "0.8": {"requires_python": "<3"},
            "0.7": {"sdist": True, "requires_python": "<3"},
            "0.6": {"wheels": ["cp311-cp311-manylinux_2_17_x86_64"]},
        }
    }
    error = failure(spec, "a\n")
    assert isinstance(error, ResolutionFailed)
    assert error.message == (
        f"no distribution of a is compatible with {TARGET} (providers wheel,sdist): "
        "wheel: no wheel for the target platform: 1.0; wheel: yanked: 0.9; "
        "wheel: requires Python <3: 0.8; wheel: no wheel for the target Python: 0.6; "
        "sdist: requires Python <3: 0.7"
    )
    assert error.reasons == (
        "wheel: no wheel for the target platform: 1.0",
        "wheel: yanked: 0.9",
        "wheel: requires Python <3: 0.8",
        "wheel: no wheel for the target Python: 0.6",
        "sdist: requires Python <3: 0.7",
    )
    assert error.hint == "try another --python/--system/--glibc, or allow another provider with -p"


def test_long_rejection_lists_are_shortened() -> None:
    spec = {"a": {f"{v}.0": {"yanked": True} for v in range(1, 9)}}
    error = failure(spec, "a\n")
    assert error.message.endswith(
        "(providers wheel,sdist): wheel: yanked: 1.0, 2.0, 3.0, 4.0, 5.0 …"
    )


def test_nothing_compatible_for_a_transitive_package() -> None:
    spec = {"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {"wheels": ["cp311-cp311-linux_x86_64"]}}}
    error = failure(spec, "a\n")
    assert error.message == (
        f"no distribution of b is compatible with {TARGET} (providers wheel,sdist): "
        "wheel: no wheel for the target platform: 1.0"
    )


def test_nothing_compatible_names_only_the_providers_of_the_order() -> None:
    error = failure({"a": {"1.0": {"sdist": True}}}, "a\n", providers="wheel")
    assert error.message.startswith(
        f"no distribution of a is compatible with {TARGET} (providers wheel): "
    )


def test_files_left_out_by_the_order_are_not_called_no_files_at_all() -> None:
    error = failure({"a": {"1.0": {"sdist": True}}}, "a\n", providers="wheel")
    assert "no files at all" not in error.message
    assert "sdist" in error.message


def test_bootstrap_sdists_left_out_are_not_called_no_files_at_all() -> None:
    spec = {
        "a": {"1.0": {"sdist": True, "build_requires": ["setuptools"]}},
        "setuptools": {"70.0": {"sdist": True}},
    }
    error = failure(spec, "a\n", providers=None)
    assert isinstance(error, LockError)
    assert error.message.startswith("the build systems of a do not fit")
    assert "no files at all" not in error.message
    assert "sdist" in error.message


def test_requires_python_only_in_metadata_is_explained_with_the_target_python() -> None:
    spec = {"a": {"1.0": {"requires_python": ">=3.13", "index_requires_python": False}}}
    error = failure(spec, "a\n")
    assert error.message == (
        f"no candidate fits the target Python: a 1.0 needs Python >=3.13 but the target is {TARGET}"
    )
    assert error.hint == "pick another --python or pin an older version of that package"


# -- no version matches, conflicts -----------------------------------------------------------------


def test_no_version_matches_a_root_requirement() -> None:
    error = failure({"a": {"1.0": {}, "1.1": {}}}, "a>=2\n")
    assert error.message == (
        f"no version of a matches a>=2 ← requirements.txt:1; {TARGET} has 1.1, 1.0"
    )
    assert error.hint == "loosen that requirement"


def test_no_version_matches_a_dependency_shows_the_chain() -> None:
    spec = {"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {"deps": ["c>=9"]}}, "c": {"1.0": {}}}
    error = failure(spec, "a\n")
    assert error.message == (
        f"no version of c matches c>=9 ← b 1.0 ← a 1.0 ← requirements.txt:1; {TARGET} has 1.0"
    )


def test_impossible_root_set() -> None:
    spec = {"numpy": {"0.9": {}, "1.5": {}, "2.1": {}}}
    error = failure(spec, "numpy<1\nnumpy>2\n")
    assert isinstance(error, ResolutionFailed)
    assert error.message == (
        "conflicting requirements for numpy: numpy<1 ← requirements.txt:1 | "
        "numpy>2 ← requirements.txt:2"
    )
    assert error.reasons == ("numpy<1 ← requirements.txt:1", "numpy>2 ← requirements.txt:2")
    assert error.hint == "loosen one of these requirements"


def test_conflict_chains_through_dependencies() -> None:
    spec = {
        "a": {"1.0": {"deps": ["b"]}},
        "b": {"1.0": {"deps": ["c<2"]}},
        "c": {"1.0": {}, "2.0": {}},
        "d": {"1.0": {"deps": ["c>=2"]}},
    }
    error = failure(spec, "a\nd\n")
    assert error.message.startswith("conflicting requirements for c: ")
    assert sorted(error.message.split(": ", 1)[1].split(" | ")) == [
        "c<2 ← b 1.0 ← a 1.0 ← requirements.txt:1",
        "c>=2 ← d 1.0 ← requirements.txt:2",
    ]


def test_conflict_through_extras_shows_the_clashing_requirements() -> None:
    spec = {
        "a": {"1.0": {"deps": ["c[x]<2"]}},
        "b": {"1.0": {"deps": ["c[y]>=2"]}},
        "c": {"1.0": {}, "2.0": {}},
    }
    error = failure(spec, "a\nb\n")
    assert "c[x]<2 ← a 1.0 ← requirements.txt:1" in error.message
    assert "c[y]>=2 ← b 1.0 ← requirements.txt:2" in error.message


def test_conflict_with_a_constraint_names_the_constraint(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("b>5\n")
    spec = {"a": {"1.0": {"deps": ["b"]}}, "b": {"1.0": {}, "2.0": {}}}
    error = failure(spec, "-c constraints.txt\na\n", base_dir=tmp_path)
    assert "b>5" in error.message
    assert "constraints.txt:1" in error.message


def test_hash_mismatch_is_explained() -> None:
    error = failure({"a": {"1.0": {}}}, f"a --hash=sha256:{'0' * 64}\n")
    assert "hash" in error.message


# -- bad provider input ----------------------------------------------------------------------------


def test_unknown_provider_name() -> None:
    error = failure({"a": {"1.0": {}}}, "a\n", providers="wheel,wheal")
    assert isinstance(error, ProviderError)
    assert error.message == "unknown provider 'wheal' in -p 'wheel,wheal' (_default)"


def test_providers_as_a_mapping() -> None:
    error = failure({"a": {"1.0": {}}}, "a\n", providers={"a": "sdist,pypi"})
    assert error.message == "unknown provider 'pypi' in providers (a)"


def test_conflict_names_each_chain_once() -> None:
    # flask 2.0.0 has a wheel and an sdist: both candidates clash with click<7 by the same
    # chain, which the message must show once (issue 14 item 8).
    spec = {
        "flask": {"2.0.0": {"deps": ["click>=7.1.2"], "wheels": ["py3-none-any"], "sdist": True}},
        "click": {"6.7": {}, "7.1.2": {}},
    }
    error = failure(spec, "flask==2.0.0\nclick<7\n", providers="wheel,sdist")
    assert isinstance(error, ResolutionFailed)
    assert sorted(error.reasons) == [
        "click<7 ← requirements.txt:2",
        "click>=7.1.2 ← flask 2.0.0 ← requirements.txt:1",
    ]
    assert error.message.count("click>=7.1.2 ← flask 2.0.0") == 1
