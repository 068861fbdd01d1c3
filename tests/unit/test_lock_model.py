"""The lock file: deterministic bytes, round trip, atomic write, one-line errors; and what
``mach2.lock.build`` records per package (artifact, why-provider, dependencies)."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from index_fixture import FakeIndex, lock_with
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName

from mach2 import atomic
from mach2.errors import LockError
from mach2.lock.build import why_provider
from mach2.lock.model import (
    LOCK_VERSION,
    Lock,
    LockedArtifact,
    LockedPackage,
    LockInputs,
    canonical_providers,
    read_lock,
    write_lock,
)
from mach2.model.target import Target
from mach2.providers.order import ProviderOrder
from mach2.providers.pypi.configure import wheel_dependencies
from mach2.providers.pypi.provider import WheelProvider
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement

SPEC: dict[str, Any] = {
    "app": {"1.0": {"deps": ["lib[fast]>=1", "mac-only; sys_platform == 'darwin'"]}},
    "lib": {
        "1.0": {"deps": ["speedups; extra == 'fast'"], "requires_python": ">=3.9"},
        "2.0": {"sdist": True, "requires_python": ">=3.9"},
    },
    "speedups": {"0.1": {"wheels": ["cp312-cp312-manylinux_2_17_x86_64"]}},
    "mac-only": {"1.0": {}},
}
TEXT = "app\n"


def a_lock(**kw: Any) -> Lock:
    return lock_with(SPEC, TEXT, **kw)


def small_lock(packages: dict[str, LockedPackage] | None = None) -> Lock:
    artifact = LockedArtifact(
        kind="wheel", filename="a-1.0-py3-none-any.whl", url="u", sha256="0" * 64
    )
    if packages is None:
        packages = {
            name: LockedPackage(
                key=name,
                name=name,
                version="1.0",
                provider="wheel",
                why_provider="test",
                artifact=artifact,
            )
            for name in ("b", "a", "c")
        }
    return Lock.single(
        target=Target.from_strings("3.12", "x86_64-linux"),
        inputs=LockInputs(requirements_sha256="0" * 64, providers=""),
        roots=("c", "a"),
        packages=packages,
    )


# -- what a lock records ------------------------------------------------------------------------


def test_lock_contents() -> None:
    lock = a_lock(exclude_newer=datetime(2026, 11, 1, tzinfo=UTC))
    data = json.loads(lock.dumps())
    assert data["lock-version"] == LOCK_VERSION == 2
    assert data["python"] == "3.12.12"
    assert data["systems"] == {"x86_64-linux": {"glibc": "2.40"}}
    assert data["exclude-newer"] == "2026-11-01T00:00:00Z"
    assert data["roots"] == ["app"]
    assert data["providers"] == {"_default": ["wheel", "sdist"]}
    assert sorted(data["packages"]) == ["app", "lib", "speedups"]
    lib = data["packages"]["lib"]
    assert lib == {
        "name": "lib",
        "version": "1.0",
        "provider": "wheel",
        "why-provider": "wheel is first for lib in your _default=wheel,sdist",
        "artifact": {
            "kind": "wheel",
            "filename": "lib-1.0-py3-none-any.whl",
            "url": "https://fake.invalid/files/lib-1.0-py3-none-any.whl",
            "sha256": FakeIndex(SPEC).sha256("lib-1.0-py3-none-any.whl"),
            "size": FakeIndex(SPEC).file("lib-1.0-py3-none-any.whl").size,
        },
        "extras": ["fast"],
        "dependencies": {"speedups": "speedups"},
        "build-only": False,
        "requires-python": ">=3.9",
    }
    assert data["packages"]["app"]["dependencies"] == {"lib": "lib[fast]>=1"}
    assert "build-system" not in data["packages"]["app"]


def test_inputs_record_the_requirements_and_a_hash_of_everything() -> None:
    lock = a_lock()
    assert lock.inputs.requirements_sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    assert lock.inputs.providers == "_default=wheel,sdist"
    assert dict(lock.inputs.files) == {
        "requirements.txt": hashlib.sha256(TEXT.encode()).hexdigest()
    }
    same = a_lock().inputs.hash
    assert len(same) == 64 and lock.inputs.hash == same
    assert a_lock(python="3.13").inputs.hash != same
    assert a_lock(system="aarch64-darwin").inputs.hash != same
    assert a_lock(providers="sdist,wheel").inputs.hash != same
    assert a_lock(allow_prereleases=True).inputs.hash != same
    assert a_lock(exclude_newer=datetime(2026, 1, 1, tzinfo=UTC)).inputs.hash != same
    assert lock_with(SPEC, "app  \n").inputs.hash != same


def test_the_target_decides_markers_and_wheels() -> None:
    darwin = a_lock(system="aarch64-darwin")
    assert {k: (p.version, p.provider) for k, p in darwin.packages.items()} == {
        "app": ("1.0", "wheel"),
        "mac-only": ("1.0", "wheel"),
        # lib[fast] 1.0 needs speedups, whose only wheel is for Linux: back to the sdist
        "lib": ("2.0", "sdist"),
    }
    assert darwin.packages["app"].dependencies == {"lib": "lib[fast]>=1", "mac-only": "mac-only"}
    assert darwin.packages["lib"].extras == ("fast",)
    assert darwin.packages["lib"].dependencies == {}


@pytest.mark.parametrize(
    ("providers", "expected"),
    [
        ({}, ""),
        ({"numpy": "conda", "_default": "wheel, sdist"}, "_default=wheel,sdist;numpy=conda"),
        ({"b": ["sdist", " wheel "], "a": "wheel,,"}, "a=wheel;b=sdist,wheel"),
        ({"_default": ("wheel",)}, "_default=wheel"),
    ],
)
def test_canonical_providers(providers: dict[str, Any], expected: str) -> None:
    assert canonical_providers(providers) == expected


# -- deterministic bytes, round trip -----------------------------------------------------------


def test_bytes_are_deterministic() -> None:
    first, second = a_lock().dumps(), a_lock().dumps()
    assert first == second
    assert first.endswith("}\n") and not first.endswith("\n\n")
    assert '\n  "exclude-newer": null,\n' in first  # two-space indent, sorted keys
    keys = list(json.loads(first))
    assert keys == sorted(keys)


def test_bytes_do_not_depend_on_insertion_order() -> None:
    lock = small_lock()
    reordered = small_lock(dict(sorted(lock.packages.items())))
    assert lock.dumps() == reordered.dumps()
    assert json.loads(lock.dumps())["roots"] == ["a", "c"]
    assert list(json.loads(lock.dumps())["packages"]) == ["a", "b", "c"]


def test_non_ascii_is_written_as_utf8() -> None:
    package = LockedPackage(
        key="a",
        name="a",
        version="1.0",
        provider="wheel",
        why_provider="wheel — first",
        artifact=LockedArtifact(kind="wheel"),
    )
    text = small_lock({"a": package}).dumps()
    assert "wheel — first" in text


def test_round_trip(tmp_path: Path) -> None:
    lock = a_lock(exclude_newer=datetime(2026, 11, 1, tzinfo=UTC))
    path = tmp_path / "mach2.lock"
    assert write_lock(lock, path)
    again = read_lock(path)
    assert again == lock
    assert again.dumps() == lock.dumps() == path.read_text(encoding="utf-8")


def test_round_trip_keeps_unknown_fields() -> None:
    data = json.loads(small_lock().dumps())
    data["packages"]["a"]["patchelf"] = {"rpath": ["x"]}
    data["packages"]["a"]["artifact"]["channel"] = "conda-forge"
    data["packages"]["a"]["build-system"] = {"setuptools": "setuptools>=60"}
    lock = Lock.from_json(data)
    assert lock.packages["a"].extra == {"patchelf": {"rpath": ["x"]}}
    assert lock.packages["a"].artifact.extra == {"channel": "conda-forge"}
    assert json.loads(lock.dumps()) == data


# -- write_lock ----------------------------------------------------------------------------------


def test_write_lock_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "mach2.lock"
    assert write_lock(a_lock(), path) is True
    assert os.listdir(path.parent) == ["mach2.lock"]
    assert path.read_text(encoding="utf-8") == a_lock().dumps()


def test_unchanged_bytes_are_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "mach2.lock"
    write_lock(a_lock(), path)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    inode = path.stat().st_ino
    assert write_lock(a_lock(), path) is False
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert path.stat().st_ino == inode
    assert os.listdir(tmp_path) == ["mach2.lock"]


def test_changed_bytes_replace_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mach2.lock"
    write_lock(a_lock(), path)
    assert write_lock(a_lock(python="3.13"), path) is True
    assert read_lock(path).target.python == (3, 13, 9)
    assert os.listdir(tmp_path) == ["mach2.lock"]


def test_a_failed_write_keeps_the_old_lock_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mach2.lock"
    path.write_text("old\n")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_lock(a_lock(), path)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["mach2.lock"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_a_written_lock_has_the_umask_mode(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        path = tmp_path / "mach2.lock"
        write_lock(a_lock(), path)
        assert path.stat().st_mode & 0o777 == mode
    finally:
        os.umask(old)


# -- read_lock errors: one line, LockError --------------------------------------------------------


def lock_error(path: Path) -> LockError:
    with pytest.raises(LockError) as info:
        read_lock(path)
    assert "\n" not in info.value.message
    return info.value


def test_missing_lock(tmp_path: Path) -> None:
    error = lock_error(tmp_path / "nope.lock")
    assert error.message == f"no lock file at {str(tmp_path / 'nope.lock')!r}"
    assert error.hint == "create it with `mach2 lock`"


def test_lock_that_is_a_directory(tmp_path: Path) -> None:
    assert lock_error(tmp_path).message.startswith(f"cannot read lock {str(tmp_path)!r}: ")


def test_lock_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "mach2.lock"
    path.write_text('{"lock-version": 1,\n  oops}\n')
    error = lock_error(path)
    assert (
        error.message
        == f"{path}: not valid JSON (line 2: Expecting property name enclosed in double quotes)"
    )
    assert error.hint == "re-create it with `mach2 lock`"


@pytest.mark.parametrize(
    ("document", "version"), [({"lock-version": 0}, "0"), ({"lock-version": "2"}, "'2'")]
)
def test_unknown_lock_version(tmp_path: Path, document: Any, version: str) -> None:
    path = tmp_path / "mach2.lock"
    path.write_text(json.dumps(document))
    assert lock_error(path).message == (
        f"{path}: unsupported lock-version {version} (this mach2 reads 1 and 2)"
    )


@pytest.mark.parametrize("document", [{}, [1], "x", {"name": "x"}])
def test_json_without_a_lock_version_is_not_a_mach2_lock(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "mach2.lock"
    path.write_text(json.dumps(document))
    assert lock_error(path).message == f"{path}: not a mach2 lock (JSON without a lock-version)"


def test_a_lock_from_a_newer_mach2(tmp_path: Path) -> None:
    path = tmp_path / "mach2.lock"
    path.write_text(json.dumps({"lock-version": 3, "anything": "new"}))
    error = lock_error(path)
    assert error.message == (
        f"{path}: lock-version 3 was written by a newer mach2 "
        "(this mach2 reads lock-version 1 and 2)"
    )
    assert error.hint == "upgrade mach2 (or re-create the lock with this one: `mach2 lock`)"


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda d: d.pop("packages"), "KeyError: 'packages'"),
        (lambda d: d["packages"]["a"].pop("artifact"), "KeyError: 'artifact'"),
        (lambda d: d["packages"].update(a="text"), "AttributeError: "),
        (lambda d: d.update(packages=[]), "AttributeError: "),
        (lambda d: d.update(roots=5), "TypeError: "),
        (lambda d: d["inputs"].pop("providers"), "KeyError: 'providers'"),
    ],
)
def test_malformed_lock(tmp_path: Path, change: Any, detail: str) -> None:
    data = json.loads(small_lock().dumps())
    change(data)
    path = tmp_path / "mach2.lock"
    path.write_text(json.dumps(data))
    error = lock_error(path)
    assert error.message.startswith(f"{path}: malformed lock ({detail}")
    assert error.hint == "re-create it with `mach2 lock`"


def test_lock_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mach2.lock"
    path.write_bytes(b"\xff\xfe{}")
    assert lock_error(path).message.startswith(str(path))


def test_lock_with_a_malformed_target(tmp_path: Path) -> None:
    data = json.loads(small_lock().dumps())
    data["systems"]["windows"] = data["systems"].pop("x86_64-linux")
    path = tmp_path / "mach2.lock"
    path.write_text(json.dumps(data))
    assert lock_error(path).message.startswith(f"{path}: ")


# -- why_provider ------------------------------------------------------------------------------


def test_why_provider_names_providers_that_are_not_configured() -> None:
    index = FakeIndex({"a": {"1.0": {}}})
    target = Target.from_strings("3.12")
    factory = Factory(
        target=target,
        order=ProviderOrder.from_mapping({}, builtin={"_default": ("nixpkgs", "wheel")}),
        providers={"wheel": WheelProvider(index, target, wheel_dependencies)},
        prefetch_workers=0,
    )
    root = factory.register(Requirement(name=NormalizedName("a"), specifier=SpecifierSet()))
    (candidate,) = factory.find_matches("a", [root], set())
    assert why_provider(factory, candidate) == (
        "wheel after nixpkgs in built-in _default=nixpkgs,wheel: nixpkgs is not configured"
    )


def test_why_provider_of_a_direct_reference_outside_the_order() -> None:
    index = FakeIndex({"a": {"1.0": {}}})
    wheel = index.file("a-1.0-py3-none-any.whl")
    lock = lock_with(index, f"a @ {wheel.url}#sha256={wheel.sha256}\n", providers="sdist")
    assert lock.packages["a"].provider == "wheel"
    assert lock.packages["a"].why_provider == f"wheel: a direct reference to {wheel.url}"


def test_the_nixpkgs_record_round_trips_and_is_absent_without_nixpkgs() -> None:
    plain = small_lock()
    assert "nixpkgs" not in plain.to_json()
    system = plain.system("x86_64-linux")
    pinned = attrs.evolve(
        plain,
        systems={"x86_64-linux": attrs.evolve(system, nixpkgs={
            "kind": "tarball", "source": "https://github.com/NixOS/nixpkgs/archive/abc.tar.gz",
            "sha256": "1" * 52, "python": "3.12.8"})},
    )  # fmt: skip
    data = json.loads(pinned.dumps())
    assert data["nixpkgs"]["sha256"] == "1" * 52
    assert Lock.from_json(data).to_json() == data
