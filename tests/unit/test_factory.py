"""Providers, Factory and resolver on a fake index: the semantics of DESIGN.md §3, exactly.

Every test locks (or lists candidates) against :class:`index_fixture.FakeIndex`, offline, and
checks concrete outcomes: versions, providers, extras, dependencies, artifacts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from index_fixture import FakeIndex, file_url, lock_with
from packaging.utils import NormalizedName

from mach2.errors import ProviderError, ResolutionFailed
from mach2.lock.model import Lock
from mach2.model.artifact import DistFile
from mach2.model.names import normalize
from mach2.model.target import Target
from mach2.providers.base import Candidate, Dependencies
from mach2.providers.order import ProviderOrder
from mach2.providers.pypi.configure import wheel_dependencies
from mach2.providers.pypi.provider import SdistProvider, WheelProvider, sdist_version, wheel_tags
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement

LINUX = Target.from_strings("3.12", "x86_64-linux")
MAC_ARM = Target.from_strings("3.12", "aarch64-darwin")


def versions(lock: Lock) -> dict[str, tuple[str, str]]:
    """name → (version, provider) of every package in the lock."""
    return {k: (p.version, p.provider) for k, p in lock.packages.items()}


def no_sdist_reader(path: Path, file: DistFile) -> Dependencies:
    raise AssertionError(f"{file.filename} should not be read")


def wheels(index: FakeIndex, target: Target = LINUX) -> WheelProvider:
    return WheelProvider(index, target, wheel_dependencies)


def listed(candidates: Iterable[Candidate]) -> list[tuple[str, str, str]]:
    result = []
    for c in candidates:
        assert isinstance(c.artifact, DistFile)
        result.append((str(c.version), c.provider, c.artifact.filename))
    return result


class ListIndex(FakeIndex):
    """A FakeIndex whose project pages are given as DistFile lists (odd file names)."""

    def __init__(self, pages: dict[str, list[DistFile]]) -> None:
        super().__init__({})
        self._files.update({normalize(k): tuple(v) for k, v in pages.items()})


def dist(filename: str, **kw: object) -> DistFile:
    return DistFile(filename=filename, url=file_url(filename), sha256="0" * 64, **kw)  # type: ignore[arg-type]


# -- PyPI providers: which file per version ------------------------------------------------------


def test_wheel_provider_takes_the_best_ranked_wheel_per_version_newest_first() -> None:
    index = FakeIndex(
        {
            "a": {
                "1.0": {"wheels": ["py3-none-any"]},
                "2.0": {
                    "wheels": [
                        "py3-none-any",
                        "cp312-cp312-manylinux_2_17_x86_64",
                        "cp38-abi3-manylinux_2_17_x86_64",
                        "cp312-cp312-manylinux_2_28_x86_64",
                    ]
                },
            }
        }
    )
    assert listed(wheels(index).candidates(NormalizedName("a"))) == [
        ("2.0", "wheel", "a-2.0-cp312-cp312-manylinux_2_28_x86_64.whl"),
        ("1.0", "wheel", "a-1.0-py3-none-any.whl"),
    ]


def test_abi3_wheels_are_forward_compatible() -> None:
    index = FakeIndex({"a": {"1.0": {"wheels": ["cp38-abi3-manylinux_2_17_x86_64"]}}})
    assert listed(wheels(index).candidates(NormalizedName("a"))) == [
        ("1.0", "wheel", "a-1.0-cp38-abi3-manylinux_2_17_x86_64.whl")
    ]


def test_wheels_for_other_targets_are_rejected_with_reasons() -> None:
    index = FakeIndex(
        {
            "a": {
                "1.0": {"wheels": ["cp312-cp312-macosx_11_0_arm64"]},
                "2.0": {"wheels": ["cp313-cp313-manylinux_2_17_x86_64"]},
                "3.0": {"wheels": ["cp312-cp312-manylinux_2_41_x86_64"]},
                "4.0": {"wheels": ["cp312-cp312-musllinux_1_2_x86_64"]},
                "5.0": {"wheels": ["cp312-cp312-manylinux_2_17_aarch64"]},
                "6.0": {"yanked": "broken"},
                "7.0": {"requires_python": ">=3.13"},
            }
        }
    )
    provider = wheels(index)
    assert provider.candidates(NormalizedName("a")) == ()
    assert provider.rejections(NormalizedName("a")) == {
        "no wheel for the target platform": ["1.0", "3.0", "4.0", "5.0"],
        "no wheel for the target Python": ["2.0"],
        "yanked": ["6.0"],
        "requires Python >=3.13": ["7.0"],
    }


def test_glibc_of_the_target_bounds_manylinux() -> None:
    index = FakeIndex({"a": {"1.0": {"wheels": ["cp312-cp312-manylinux_2_34_x86_64"]}}})
    old = Target.from_strings("3.12", "x86_64-linux", glibc="2.28")
    assert wheels(index, old).candidates(NormalizedName("a")) == ()
    assert [str(c.version) for c in wheels(index).candidates(NormalizedName("a"))] == ["1.0"]


def test_macos_arm64_prefers_the_arm64_wheel() -> None:
    index = FakeIndex(
        {
            "a": {
                "1.0": {
                    "wheels": [
                        "cp312-cp312-macosx_10_9_x86_64",
                        "cp312-cp312-macosx_11_0_universal2",
                        "cp312-cp312-macosx_11_0_arm64",
                    ]
                }
            }
        }
    )
    assert listed(wheels(index, MAC_ARM).candidates(NormalizedName("a"))) == [
        ("1.0", "wheel", "a-1.0-cp312-cp312-macosx_11_0_arm64.whl")
    ]
    assert wheels(index).candidates(NormalizedName("a")) == ()


def test_macos_arm64_accepts_universal2_wheels_with_a_10_x_floor() -> None:
    index = FakeIndex({"a": {"1.0": {"wheels": ["cp312-cp312-macosx_10_9_universal2"]}}})
    assert [str(c.version) for c in wheels(index, MAC_ARM).candidates(NormalizedName("a"))] == [
        "1.0"
    ]


def test_sdist_provider_one_file_per_version_tar_gz_preferred() -> None:
    index = ListIndex(
        {
            "python-dateutil": [
                dist("python-dateutil-2.8.2.zip"),
                dist("python-dateutil-2.8.2.tar.gz"),
                dist("python_dateutil-2.9.0.zip"),
                dist("python_dateutil-2.9.0-py3-none-any.whl"),
                dist("python_dateutil-3.0.tar.gz", yanked=""),
                dist("python_dateutil-3.1.tar.gz", requires_python=">=3.14"),
                dist("dateutil-9.0.tar.gz"),  # another project's file on the page
                dist("python-dateutil-notaversion!.tar.gz"),
            ]
        }
    )
    provider = SdistProvider(index, LINUX, no_sdist_reader)
    assert listed(provider.candidates(NormalizedName("python-dateutil"))) == [
        ("2.9.0", "sdist", "python_dateutil-2.9.0.zip"),
        ("2.8.2", "sdist", "python-dateutil-2.8.2.tar.gz"),
    ]
    assert provider.rejections(NormalizedName("python-dateutil")) == {
        "yanked": ["3.0"],
        "requires Python >=3.14": ["3.1"],
    }


@pytest.mark.parametrize(
    ("filename", "name", "expected"),
    [
        ("python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2"),
        ("python_dateutil-2.9.0.tar.gz", "python-dateutil", "2.9.0"),
        ("Python.Dateutil-2.9.0.zip", "python-dateutil", "2.9.0"),
        ("foo-bar-1.0rc1.tar.bz2", "foo-bar", "1.0rc1"),
        ("foo-1.0.tgz", "foo", "1.0"),
        ("foo-1.0.tar.xz", "foo", "1.0"),
        ("foo-1.0.whl", "foo", None),
        ("foo-1.0.rar", "foo", None),
        ("foobar-1.0.tar.gz", "foo", None),
        ("foo-.tar.gz", "foo", None),
    ],
)
def test_sdist_version(filename: str, name: str, expected: str | None) -> None:
    assert sdist_version(filename, NormalizedName(name)) == expected


def test_wheel_tags() -> None:
    assert wheel_tags("a-1.0-1build-py3-none-any.whl") == ("1.0", "py3", "none", "any")
    assert wheel_tags("a-1.0.whl") is None


# -- provider-major candidate order --------------------------------------------------------------

TWO = {
    "a": {
        "1.0": {"wheels": ["py3-none-any"], "sdist": True},
        "2.0": {"sdist": True},
    }
}


def factory(index: FakeIndex, providers: dict[str, str], target: Target = LINUX) -> Factory:
    return Factory(
        target=target,
        order=ProviderOrder.from_mapping(providers),
        providers={
            "wheel": wheels(index, target),
            "sdist": SdistProvider(index, target, no_sdist_reader),
        },
        prefetch_workers=0,
    )


def test_find_matches_yields_all_wheels_before_any_sdist() -> None:
    index = FakeIndex(
        {
            "a": {
                "1.0": {"wheels": ["py3-none-any"], "sdist": True},
                "1.5": {"wheels": ["py3-none-any"]},
                "2.0": {"sdist": True},
            }
        }
    )
    f = factory(index, {"_default": "wheel,sdist"})
    root = f.register(Requirement(name=NormalizedName("a")))
    found = f.find_matches("a", [root], set())
    assert [(str(c.version), c.provider) for c in found] == [
        ("1.5", "wheel"),
        ("1.0", "wheel"),
        ("2.0", "sdist"),
        ("1.0", "sdist"),
    ]
    f = factory(index, {"_default": "sdist,wheel"})
    f.register(root)
    assert [(str(c.version), c.provider) for c in f.find_matches("a", [root], set())] == [
        ("2.0", "sdist"),
        ("1.0", "sdist"),
        ("1.5", "wheel"),
        ("1.0", "wheel"),
    ]


def test_wheel_first_takes_an_older_wheel_over_a_newer_sdist() -> None:
    lock = lock_with(TWO, "a\n", providers="_default=wheel,sdist")
    assert versions(lock) == {"a": ("1.0", "wheel")}
    assert lock.packages["a"].why_provider == "wheel is first for a in your _default=wheel,sdist"
    assert lock.packages["a"].artifact.filename == "a-1.0-py3-none-any.whl"


def test_sdist_first_takes_the_newest_sdist() -> None:
    lock = lock_with(TWO, "a\n", providers="sdist,wheel")
    assert versions(lock) == {"a": ("2.0", "sdist")}
    assert lock.packages["a"].artifact.filename == "a-2.0.tar.gz"
    assert lock.packages["a"].build_system == {}


def test_the_next_provider_is_used_when_the_first_has_nothing_that_fits() -> None:
    lock = lock_with(TWO, "a>=2\n", providers="wheel,sdist")
    assert versions(lock) == {"a": ("2.0", "sdist")}
    assert lock.packages["a"].why_provider == (
        "sdist after wheel in your _default=wheel,sdist: "
        "no wheel candidate of a fits the requirements"
    )


def test_a_package_entry_overrides_the_default() -> None:
    spec = {
        **TWO,
        "b": {"1.0": {"wheels": ["py3-none-any"], "sdist": True}, "2.0": {"sdist": True}},
    }
    lock = lock_with(spec, "a\nb\n", providers="_default=wheel,sdist;b=sdist,wheel")
    assert versions(lock) == {"a": ("1.0", "wheel"), "b": ("2.0", "sdist")}
    assert lock.packages["b"].why_provider == "sdist is first for b in your entry b=sdist,wheel"
    assert lock.providers == {"_default": ("wheel", "sdist"), "b": ("sdist", "wheel")}
    assert lock.inputs.providers == "_default=wheel,sdist;b=sdist,wheel"


def test_a_package_entry_can_exclude_a_provider() -> None:
    with pytest.raises(ResolutionFailed, match=r"^no distribution of a is compatible"):
        lock_with({"a": {"2.0": {"sdist": True}}}, "a\n", providers="_default=sdist;a=wheel")


def test_builtin_default_is_wheel_first() -> None:
    lock = lock_with(TWO, "a\n", providers=None)
    assert versions(lock) == {"a": ("1.0", "wheel")}
    assert lock.packages["a"].why_provider == (
        "wheel is first for a in built-in _default=wheel,sdist,nixpkgs"
    )
    assert lock.providers == {"_default": ("wheel", "sdist", "nixpkgs")}
    assert lock.inputs.providers == ""


SETUPTOOLS = {"70.0": {"sdist": True}, "69.0": {"wheels": ["py3-none-any"], "sdist": True}}


def test_bootstrap_packages_never_come_from_sdist_under_the_builtin_default() -> None:
    spec = {"a": {"1.0": {"deps": ["setuptools"]}}, "setuptools": SETUPTOOLS}
    lock = lock_with(spec, "a\n", providers=None)
    assert versions(lock) == {"a": ("1.0", "wheel"), "setuptools": ("69.0", "wheel")}
    assert lock.packages["setuptools"].why_provider == (
        "wheel is first for setuptools in built-in _default=wheel,sdist,nixpkgs "
        "without sdist (build bootstrap)"
    )


def test_bootstrap_package_asked_for_only_as_sdist_is_not_taken_from_sdist() -> None:
    with pytest.raises(ResolutionFailed) as info:
        lock_with({"setuptools": SETUPTOOLS}, "setuptools>=70\n", providers=None)
    assert info.value.message.startswith("no version of setuptools matches setuptools>=70")


def test_a_user_entry_may_take_a_bootstrap_package_from_sdist() -> None:
    lock = lock_with({"setuptools": SETUPTOOLS}, "setuptools\n", providers="setuptools=sdist")
    assert versions(lock) == {"setuptools": ("70.0", "sdist")}


def test_build_system_of_an_sdist_is_resolved_without_bootstrap_sdists() -> None:
    spec = {
        "a": {"1.0": {"sdist": True, "build_requires": ["setuptools>=60", "wheel"]}},
        "setuptools": SETUPTOOLS,
        "wheel": {"0.45": {}, "0.46": {"sdist": True}},
    }
    lock = lock_with(spec, "a\n", providers=None)
    assert versions(lock) == {
        "a": ("1.0", "sdist"),
        "setuptools": ("69.0", "wheel"),
        "wheel": ("0.45", "wheel"),
    }
    assert lock.packages["a"].build_system == {"setuptools": "setuptools>=60", "wheel": "wheel"}
    assert lock.packages["setuptools"].build_only
    assert lock.packages["wheel"].build_only
    assert not lock.packages["a"].build_only
    assert lock.packages["a"].why_provider == (
        "sdist after wheel in built-in _default=wheel,sdist,nixpkgs: wheel has no a for the target"
    )


def test_sdist_dependencies_come_from_its_static_pkg_info() -> None:
    spec = {
        "a": {"1.0": {"sdist": True, "deps": ["b>=2"], "requires_python": ">=3.9"}},
        "b": {"1.0": {}, "2.0": {}},
    }
    index = FakeIndex(spec)
    lock = lock_with(index, "a\n")
    assert versions(lock) == {"a": ("1.0", "sdist"), "b": ("2.0", "wheel")}
    assert lock.packages["a"].dependencies == {"b": "b>=2"}
    assert lock.packages["a"].requires_python == ">=3.9"
    assert ("download", "a-1.0.tar.gz") in index.calls


def test_a_provider_that_is_not_available_is_an_error() -> None:
    with pytest.raises(ProviderError) as info:
        lock_with(TWO, "a\n", providers="_default=wheel;a=nixpkgs")
    assert info.value.message == "provider 'nixpkgs' (asked for a) is not available"
    assert info.value.hint == "give a nixpkgs index with --nixpkgs-index or --nixpkgs"


# -- extras ------------------------------------------------------------------------------------

EXTRAS = {
    "a": {
        "1.0": {"deps": ["base>=1", "x1; extra == 'x'", "y1; extra == 'y'", "z1; extra == 'z'"]},
        "2.0": {"deps": ["base>=1", "x1; extra == 'x'", "y1; extra == 'y'", "z1; extra == 'z'"]},
    },
    "b": {"1.0": {"deps": ["a[y]"]}},
    "c": {"1.0": {"deps": ["a<2"]}},
    "base": {"1.0": {}},
    "x1": {"1.0": {}},
    "y1": {"1.0": {}},
    "z1": {"1.0": {}},
}


def test_extras_requested_in_different_places_all_end_up_active() -> None:
    lock = lock_with(EXTRAS, "a[x]\nb\n")
    assert lock.packages["a"].extras == ("x", "y")
    assert lock.packages["a"].dependencies == {"base": "base>=1", "x1": "x1", "y1": "y1"}
    assert set(lock.packages) == {"a", "b", "base", "x1", "y1"}
    assert lock.roots == ("a[x]", "b")
    assert lock.packages["b"].dependencies == {"a": "a[y]"}


def test_extras_are_identifiers_of_the_same_version_as_their_base() -> None:
    lock = lock_with(EXTRAS, "a[x]\nc\n")
    assert versions(lock)["a"] == ("1.0", "wheel")
    assert lock.packages["a"].extras == ("x",)


def test_extra_names_are_normalized() -> None:
    lock = lock_with(EXTRAS, "a[X]\n")
    assert lock.packages["a"].extras == ("x",)
    assert "x1" in lock.packages


def test_an_extras_candidate_depends_exactly_on_its_base_and_only_on_its_extra_deps() -> None:
    f = factory(FakeIndex(EXTRAS), {"_default": "wheel"})
    root = f.register(Requirement(name=NormalizedName("a"), extras=frozenset({"x"})))
    (newest, *_) = f.find_matches("a[x]", [root], set())
    assert (newest.identifier, str(newest.version), newest.extras) == ("a[x]", "2.0", {"x"})
    pin, *rest = f.dependencies(newest)
    assert pin.identifier == "a"
    assert pin.pinned == newest.base
    assert pin.is_satisfied_by(newest.base)
    other = f.find_matches("a", [Requirement(name=NormalizedName("a"))], set())[1]
    assert str(other.version) == "1.0" and not pin.is_satisfied_by(other)
    assert [r.text for r in rest] == ["x1"]
    base_deps = f.dependencies(newest.base)
    assert [r.text for r in base_deps] == ["base>=1"]


def test_extras_of_an_sdist_package() -> None:
    spec = {
        "a": {"1.0": {"sdist": True, "deps": ["x1; extra == 'x'"]}},
        "x1": {"1.0": {}},
    }
    lock = lock_with(spec, "a[x]\n")
    assert versions(lock) == {"a": ("1.0", "sdist"), "x1": ("1.0", "wheel")}
    assert lock.packages["a"].extras == ("x",)


# -- pre-releases ----------------------------------------------------------------------------

PRE = {"a": {"1.0": {}, "2.0b1": {}}, "p": {"1.0a1": {}}, "q": {"1.0": {"deps": ["p"]}}}


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("a\n", {}, "1.0"),
        ("a>=2.0b1\n", {}, "2.0b1"),  # a specifier naming a pre-release asks for them
        ("a>1.0\n", {}, "2.0b1"),  # nothing else fits
        ("a\n", {"allow_prereleases": True}, "2.0b1"),
        ("--pre\na\n", {}, "2.0b1"),
    ],
)
def test_pre_releases_only_when_asked_or_nothing_else_fits(
    text: str, options: dict[str, bool], expected: str
) -> None:
    assert lock_with(PRE, text, **options).packages["a"].version == expected


def test_a_dependency_with_only_pre_releases_gets_one() -> None:
    assert versions(lock_with(PRE, "q\n")) == {"q": ("1.0", "wheel"), "p": ("1.0a1", "wheel")}


def test_older_versions_metadata_is_fetched_ahead_only_once_the_resolver_backtracks() -> None:
    spec = {"a": {v: {} for v in ("3.0a2", "3.0a1", "2.0", "1.1", "1.0", "1.0rc1")}}
    index = FakeIndex(spec)
    f = factory(index, {"_default": "wheel"})
    root = f.register(Requirement(name=NormalizedName("a")))
    stream = f.iter_matches("a", [root], set())()
    assert str(next(stream).version) == "2.0"
    # The newest final release comes after two held pre-releases: no backtracking yet.
    assert not [c for c in index.calls if c[0] == "prefetch_metadata"]
    assert str(next(stream).version) == "1.1"
    ahead = [c[1] for c in index.calls if c[0] == "prefetch_metadata"]
    assert ahead == ["a-1.0-py3-none-any.whl"]  # the older final releases, not 1.0rc1


def test_pre_release_rule_applies_across_providers() -> None:
    spec = {"a": {"2.0rc1": {"wheels": ["py3-none-any"]}, "1.0": {"sdist": True}}}
    assert versions(lock_with(spec, "a\n")) == {"a": ("1.0", "sdist")}


# -- yanked ------------------------------------------------------------------------------------


def test_yanked_files_are_skipped() -> None:
    spec = {"a": {"1.0": {"sdist": True}, "2.0": {"yanked": "broken", "sdist": True}}}
    lock = lock_with(spec, "a\n")
    assert versions(lock) == {"a": ("1.0", "sdist")}


def test_a_yanked_version_pinned_with_double_equals_is_used() -> None:
    spec = {"a": {"1.0": {}, "2.0": {"yanked": "broken"}}}
    assert versions(lock_with(spec, "a==2.0\n")) == {"a": ("2.0", "wheel")}


# -- constraints -------------------------------------------------------------------------------

CONSTRAINED = {
    "a": {"1.0": {"deps": ["b"]}},
    "b": {"1.0": {}, "2.0": {}},
    "c": {"1.0": {}},
}


def test_constraints_only_constrain(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("b<2\nc==1.0\nnot-on-the-index<1\n")
    lock = lock_with(CONSTRAINED, "-c constraints.txt\na\n", base_dir=tmp_path)
    assert versions(lock) == {"a": ("1.0", "wheel"), "b": ("1.0", "wheel")}
    assert lock.roots == ("a",)


def test_a_constraint_that_cannot_be_met_fails(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("b>5\n")
    with pytest.raises(ResolutionFailed):
        lock_with(CONSTRAINED, "-c constraints.txt\na\n", base_dir=tmp_path)


def test_constraint_markers_are_evaluated_for_the_target(tmp_path: Path) -> None:
    (tmp_path / "constraints.txt").write_text("b<2; sys_platform == 'darwin'\n")
    text = "-c constraints.txt\na\n"
    assert versions(lock_with(CONSTRAINED, text, base_dir=tmp_path))["b"] == ("2.0", "wheel")
    lock = lock_with(CONSTRAINED, text, base_dir=tmp_path, system="aarch64-darwin")
    assert versions(lock)["b"] == ("1.0", "wheel")


# -- --hash ------------------------------------------------------------------------------------

HASHED = {"a": {"1.0": {"wheels": ["py3-none-any"], "sdist": True}, "2.0": {}}}


def test_hash_of_an_older_wheel_selects_that_version() -> None:
    index = FakeIndex(HASHED)
    digest = index.sha256("a-1.0-py3-none-any.whl")
    lock = lock_with(index, f"a --hash=sha256:{digest}\n")
    assert versions(lock) == {"a": ("1.0", "wheel")}
    assert lock.packages["a"].artifact.sha256 == digest


def test_hash_of_an_sdist_selects_the_sdist_even_when_wheels_come_first() -> None:
    index = FakeIndex(HASHED)
    digest = index.sha256("a-1.0.tar.gz")
    lock = lock_with(index, f"a --hash=sha256:{digest} --hash=sha256:{'f' * 64}\n")
    assert versions(lock) == {"a": ("1.0", "sdist")}
    assert lock.packages["a"].artifact.filename == "a-1.0.tar.gz"


def test_hash_matching_no_file_fails() -> None:
    with pytest.raises(ResolutionFailed):
        lock_with(HASHED, f"a --hash=sha256:{'0' * 64}\n")


def test_hash_of_a_compatible_but_not_best_ranked_wheel_is_used() -> None:
    spec = {
        "a": {
            "1.0": {"wheels": ["cp312-cp312-manylinux_2_28_x86_64", "py3-none-any"]},
        }
    }
    index = FakeIndex(spec)
    digest = index.sha256("a-1.0-py3-none-any.whl")
    lock = lock_with(index, f"a --hash=sha256:{digest}\n", providers="wheel")
    assert lock.packages["a"].artifact.filename == "a-1.0-py3-none-any.whl"


# -- direct references -------------------------------------------------------------------------

DIRECT = {
    "a": {
        "1.0": {"deps": ["b"]},
        "2.0": {"sdist": True},
        "3.0": {},
    },
    "b": {"1.0": {}},
}


def test_a_direct_wheel_url_is_the_only_candidate() -> None:
    index = FakeIndex(DIRECT)
    wheel = index.file("a-1.0-py3-none-any.whl")
    lock = lock_with(index, f"a @ {wheel.url}#sha256={wheel.sha256}\n")
    assert versions(lock) == {"a": ("1.0", "wheel"), "b": ("1.0", "wheel")}
    artifact = lock.packages["a"].artifact
    assert (artifact.url, artifact.sha256) == (wheel.url, wheel.sha256)
    assert lock.packages["a"].dependencies == {"b": "b"}


def test_a_direct_sdist_url() -> None:
    index = FakeIndex(DIRECT)
    sdist = index.file("a-2.0.tar.gz")
    lock = lock_with(index, f"a @ {sdist.url}#sha256={sdist.sha256}\n")
    assert versions(lock) == {"a": ("2.0", "sdist")}
    assert lock.packages["a"].artifact.url == sdist.url
    assert lock.packages["a"].artifact.sha256 == sdist.sha256


def test_a_direct_url_conflicts_with_a_pin_of_another_version() -> None:
    index = FakeIndex(DIRECT)
    sdist = index.file("a-2.0.tar.gz")
    with pytest.raises(ResolutionFailed, match="conflicting requirements for a"):
        lock_with(index, f"a==1.0\na @ {sdist.url}\n")


def test_a_direct_url_from_a_dependency() -> None:
    index = FakeIndex(
        {
            "a": {"3.0": {}, "2.5": {}, "2.0": {"sdist": True, "unlisted": True}},
            "b": {"1.0": {"deps": [f"a @ {file_url('a-2.0.tar.gz')}"]}},
        }
    )
    assert versions(lock_with(index, "a\nb\n")) == {"a": ("2.0", "sdist"), "b": ("1.0", "wheel")}


def test_a_direct_url_next_to_a_plain_requirement_when_the_index_has_one_version() -> None:
    index = FakeIndex(
        {
            "a": {"3.0": {}, "2.0": {"sdist": True, "unlisted": True}},
            "b": {"1.0": {"deps": [f"a @ {file_url('a-2.0.tar.gz')}"]}},
        }
    )
    assert versions(lock_with(index, "a\nb\n")) == {"a": ("2.0", "sdist"), "b": ("1.0", "wheel")}


def test_a_direct_url_without_hash_still_gets_a_sha256() -> None:
    index = FakeIndex(DIRECT)
    wheel = index.file("a-1.0-py3-none-any.whl")
    lock = lock_with(index, f"a @ {wheel.url}\n")
    assert lock.packages["a"].artifact.sha256 == wheel.sha256


def test_a_direct_sdist_of_a_project_the_index_does_not_know() -> None:
    index = FakeIndex(
        {"private": {"0.5": {"sdist": True, "unlisted": True, "deps": ["b"]}}, "b": {"1.0": {}}}
    )
    sdist = index.file("private-0.5.tar.gz")
    lock = lock_with(index, f"private @ {sdist.url}#sha256={sdist.sha256}\n")
    assert versions(lock) == {"private": ("0.5", "sdist"), "b": ("1.0", "wheel")}
    assert "direct reference" in lock.packages["private"].why_provider


# -- markers come from the Target --------------------------------------------------------------

MARKERS = {
    "a": {
        "1.0": {
            "deps": [
                "mac; sys_platform == 'darwin'",
                "lin; sys_platform == 'linux'",
                "arm; platform_machine == 'arm64'",
                "old; python_version < '3.10'",
                "new; python_full_version >= '3.12.0'",
            ]
        }
    },
    **{n: {"1.0": {}} for n in ("mac", "lin", "arm", "old", "new")},
}


def test_darwin_dependency_is_absent_on_x86_64_linux() -> None:
    lock = lock_with(MARKERS, "a\n", system="x86_64-linux")
    assert set(lock.packages) == {"a", "lin", "new"}
    assert lock.packages["a"].dependencies == {"lin": "lin", "new": "new"}


def test_darwin_dependency_is_present_on_aarch64_darwin() -> None:
    lock = lock_with(MARKERS, "a\n", system="aarch64-darwin")
    assert set(lock.packages) == {"a", "mac", "arm", "new"}


def test_python_version_markers_follow_the_target_python() -> None:
    lock = lock_with(MARKERS, "a\n", python="3.9")
    assert set(lock.packages) == {"a", "lin", "old"}


def test_root_markers_are_evaluated_for_the_target() -> None:
    text = "a\nmac; sys_platform == 'darwin'\nold; python_version < '3'\n"
    assert lock_with(MARKERS, text).roots == ("a",)
    darwin = lock_with(MARKERS, text, system="x86_64-darwin")
    assert darwin.roots == ("a", "mac")
    assert "arm" not in darwin.packages  # platform_machine is x86_64 there


# -- Requires-Python ---------------------------------------------------------------------------


def test_requires_python_from_the_index_filters_files() -> None:
    spec = {"a": {"1.0": {"requires_python": ">=3.8"}, "2.0": {"requires_python": ">=3.13"}}}
    assert versions(lock_with(spec, "a\n")) == {"a": ("1.0", "wheel")}
    assert versions(lock_with(spec, "a\n", python="3.13")) == {"a": ("2.0", "wheel")}


def test_requires_python_only_in_metadata_backtracks_to_an_older_version() -> None:
    spec = {
        "a": {
            "1.0": {"requires_python": ">=3.8"},
            "2.0": {"requires_python": ">=3.13", "index_requires_python": False},
        }
    }
    lock = lock_with(spec, "a\n")
    assert versions(lock) == {"a": ("1.0", "wheel")}
    assert lock.packages["a"].requires_python == ">=3.8"
    assert versions(lock_with(spec, "a\n", python="3.13")) == {"a": ("2.0", "wheel")}
