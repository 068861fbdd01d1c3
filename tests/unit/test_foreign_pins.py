"""A foreign lock through the stages, offline (a fake index): pins kept, hashes checked against
the index and the downloaded files, the provider order over the lock's files, and the export
of the result."""

from __future__ import annotations

import tomllib
from pathlib import Path

import attrs
import pytest
from index_fixture import FakeIndex, file_url
from packaging.pylock import Pylock

from mach2.api import LockOptions, lock_input
from mach2.emit.export import export
from mach2.errors import ArtifactError, LockError
from mach2.inputs import read_foreign_input
from mach2.lock.model import Lock, LockedArtifact
from mach2.model.target import Target
from mach2.providers.pypi.client import UnknownProject

TARGET = Target.from_strings(python="3.12", system="x86_64-linux")


@pytest.fixture
def index() -> FakeIndex:
    return FakeIndex(
        {
            "app": {"1.0": {"deps": ["lib>=1"], "wheels": ["py3-none-any"], "sdist": True}},
            "lib": {
                "1.0": {"wheels": ["py3-none-any"], "sdist": True},
                "2.0": {"wheels": ["py3-none-any"], "sdist": True},
            },
            "elsewhere": {"3.0": {"unlisted": True}},
        }
    )


def _entry(index: FakeIndex, name: str, version: str, *, sdist: bool = True) -> str:
    stem = f"{name}-{version}"
    wheel = f"{stem}-py3-none-any.whl"
    text = (
        f'[[packages]]\nname = "{name}"\nversion = "{version}"\n'
        f'wheels = [{{ url = "{file_url(wheel)}", hashes = {{ sha256 = "{index.sha256(wheel)}" }} }}]\n'
    )
    if sdist:
        tar = f"{stem}.tar.gz"
        text += f'sdist = {{ url = "{file_url(tar)}", hashes = {{ sha256 = "{index.sha256(tar)}" }} }}\n'
    return text


def _pylock(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "pylock.toml"
    path.write_text('lock-version = "1.0"\ncreated-by = "test"\n' + "\n".join(entries))
    return path


def _lock(path: Path, index: FakeIndex, providers: str | None = None) -> Lock:
    requirements = read_foreign_input(path)
    options = LockOptions(target=TARGET, providers=providers, patchelf=False)
    return lock_input(requirements, path.read_text(), options, index=index)


def test_the_pins_are_kept_not_resolved_again(tmp_path: Path, index: FakeIndex) -> None:
    lock = _lock(_pylock(tmp_path, _entry(index, "app", "1.0"), _entry(index, "lib", "1.0")), index)
    assert {k: p.version for k, p in lock.packages.items()} == {"app": "1.0", "lib": "1.0"}
    lib = lock.packages["lib"]  # 2.0 exists and fits app's lib>=1: the lock's 1.0 stays
    assert lib.artifact.sha256 == index.sha256("lib-1.0-py3-none-any.whl")
    assert lib.why_provider == "wheel: pinned by pylock.toml (lib-1.0-py3-none-any.whl)"
    assert lock.packages["app"].dependencies == {"lib": "lib>=1"}
    assert lock.foreign == {"file": "pylock.toml", "format": "pylock.toml", "tool": "test"}
    assert lock.inputs.files == {"pylock.toml": lock.inputs.requirements_sha256}


def test_the_provider_order_picks_among_the_lock_files(tmp_path: Path, index: FakeIndex) -> None:
    path = _pylock(tmp_path, _entry(index, "app", "1.0"), _entry(index, "lib", "1.0"))
    lock = _lock(path, index, providers="_default=wheel,sdist;lib=sdist")
    assert lock.packages["lib"].artifact.filename == "lib-1.0.tar.gz"
    assert lock.packages["app"].artifact.kind == "wheel"


def test_no_sdist_in_the_lock_for_an_sdist_order_says_so(tmp_path: Path, index: FakeIndex) -> None:
    path = _pylock(tmp_path, _entry(index, "app", "1.0"), _entry(index, "lib", "1.0", sdist=False))
    with pytest.raises(LockError, match=r"pylock\.toml: its pins do not fit together.*no sdist"):
        _lock(path, index, providers="_default=wheel,sdist;lib=sdist")


def test_a_wrong_hash_is_one_line_naming_the_file(tmp_path: Path, index: FakeIndex) -> None:
    entry = _entry(index, "lib", "1.0").replace(index.sha256("lib-1.0-py3-none-any.whl"), "0" * 64)
    path = _pylock(tmp_path, _entry(index, "app", "1.0"), entry)
    with pytest.raises(ArtifactError) as caught:
        _lock(path, index)
    message = caught.value.message
    assert message.startswith(f"{path}: packages[1] (lib 1.0): sha256 of lib-1.0-py3-none-any.whl")
    assert "0" * 64 in message and index.sha256("lib-1.0-py3-none-any.whl") in message
    assert "\n" not in message


def test_a_dependency_the_lock_does_not_pin_names_who_asked(
    tmp_path: Path, index: FakeIndex
) -> None:
    with pytest.raises(
        UnknownProject, match=r"'lib' is needed .*lib>=1 ← app 1\.0.*does not pin it"
    ):
        _lock(_pylock(tmp_path, _entry(index, "app", "1.0")), index)


def test_a_file_the_index_does_not_list_is_checked_when_downloaded(
    tmp_path: Path, index: FakeIndex
) -> None:
    wheel = "elsewhere-3.0-py3-none-any.whl"
    good = (
        f'[[packages]]\nname = "elsewhere"\nversion = "3.0"\n'
        f'wheels = [{{ url = "{file_url(wheel)}", hashes = {{ sha256 = "{index.sha256(wheel)}" }} }}]\n'
    )
    lock = _lock(_pylock(tmp_path, good), index)
    assert lock.packages["elsewhere"].artifact.sha256 == index.sha256(wheel)
    assert ("download", wheel) in index.calls
    with pytest.raises(
        ArtifactError, match=r"sha256 of elsewhere-3\.0-py3-none-any\.whl is 1{64} in the lock but"
    ):
        _lock(_pylock(tmp_path, good.replace(index.sha256(wheel), "1" * 64)), index)


def test_a_hashed_requirements_file_takes_the_index_files_with_those_hashes(
    tmp_path: Path, index: FakeIndex
) -> None:
    from mach2.pipeline.inputs import read_requirement_files

    path = tmp_path / "requirements.txt"
    path.write_text(
        f"app==1.0 --hash=sha256:{index.sha256('app-1.0.tar.gz')}\n"
        f"lib==1.0 --hash=sha256:{index.sha256('lib-1.0-py3-none-any.whl')}\n"
    )
    requirements, text = read_requirement_files([path])
    options = LockOptions(target=TARGET, patchelf=False)
    lock = lock_input(requirements, text, options, index=index)
    # app's only hash is its sdist's: the wheel (first in the order) is not offered.
    assert lock.packages["app"].artifact.filename == "app-1.0.tar.gz"
    assert lock.packages["lib"].artifact.filename == "lib-1.0-py3-none-any.whl"
    path.write_text(path.read_text().replace(index.sha256("app-1.0.tar.gz"), "2" * 64))
    requirements, text = read_requirement_files([path])
    with pytest.raises(
        ArtifactError, match=r"requirements\.txt:1: none of the 1 hashes of app 1\.0"
    ):
        lock_input(requirements, text, options, index=index)


# -- export -----------------------------------------------------------------------------------


def test_export_pylock_is_valid_pep_751_with_the_locked_files(
    tmp_path: Path, index: FakeIndex
) -> None:
    lock = _lock(_pylock(tmp_path, _entry(index, "app", "1.0"), _entry(index, "lib", "1.0")), index)
    text = export(lock, "pylock").text
    document = tomllib.loads(text)
    pylock = Pylock.from_dict(document)
    assert pylock.created_by == "mach2"
    assert document["environments"] == [
        'implementation_name == "cpython" and sys_platform == "linux" and '
        'platform_machine == "x86_64" and python_version == "3.12"'
    ]
    by_name = {p.name: p for p in pylock.packages}
    assert str(by_name["lib"].version) == "1.0"
    wheel = (by_name["lib"].wheels or [])[0]
    assert wheel.hashes == {"sha256": index.sha256("lib-1.0-py3-none-any.whl")}
    assert [d["name"] for d in document["packages"][0]["dependencies"]] == ["lib"]


def test_export_leaves_out_build_only_packages_and_refuses_conda(
    tmp_path: Path, index: FakeIndex
) -> None:
    lock = _lock(_pylock(tmp_path, _entry(index, "app", "1.0"), _entry(index, "lib", "1.0")), index)
    build = attrs.evolve(lock.packages["lib"], key="builder", name="builder", build_only=True)
    conda = attrs.evolve(
        lock.packages["lib"],
        key="numpy",
        name="numpy",
        provider="conda",
        artifact=LockedArtifact(
            kind="conda", filename="numpy.conda", url="https://c/n", sha256="3" * 64
        ),
    )
    system = lock.system("x86_64-linux")
    packages = {**system.packages, "builder": build, "numpy": conda}
    lock = attrs.evolve(lock, systems={"x86_64-linux": attrs.evolve(system, packages=packages)})
    with pytest.raises(
        LockError, match=r"1 packages cannot be written to pylock\.toml: numpy \(conda\)"
    ):
        export(lock, "pylock")
    partial = export(lock, "requirements", partial=True)
    assert partial.left_out == ("numpy (conda)",)
    lines = [line for line in partial.text.splitlines() if not line.startswith("#")]
    assert lines == [
        "app==1.0 \\",
        f"    --hash=sha256:{index.sha256('app-1.0-py3-none-any.whl')}",
        "lib==1.0 \\",
        f"    --hash=sha256:{index.sha256('lib-1.0-py3-none-any.whl')}",
    ]
    document = tomllib.loads(export(lock, "pylock", partial=True).text)
    assert document["tool"]["mach2"]["left-out"] == ["numpy (conda)"]


def test_a_foreign_lock_for_two_systems_keeps_its_pins_on_each(
    tmp_path: Path, index: FakeIndex
) -> None:
    """Each system takes its entries of the same foreign lock (no one-version pass: the foreign
    lock chose the versions), and the export is for one system at a time."""
    path = _pylock(tmp_path, _entry(index, "app", "1.0"), _entry(index, "lib", "1.0"))
    requirements = read_foreign_input(path)
    options = LockOptions(target=TARGET, systems=("x86_64-linux", "aarch64-darwin"), patchelf=False)
    lock = lock_input(requirements, path.read_text(), options, index=index)
    assert lock.system_names == ("x86_64-linux", "aarch64-darwin")
    for system in lock.systems.values():
        assert {k: p.version for k, p in system.packages.items()} == {"app": "1.0", "lib": "1.0"}
        assert system.packages["lib"].why_version is None
    assert lock.foreign == {"file": "pylock.toml", "format": "pylock.toml", "tool": "test"}
    with pytest.raises(LockError) as info:
        export(lock, "requirements")
    assert info.value.message == (
        "mach2.lock has several systems (x86_64-linux, aarch64-darwin); an export is for one"
    )
    assert info.value.hint == "choose it with --system x86_64-linux or --system aarch64-darwin"
    darwin = export(lock, "requirements", system="aarch64-darwin").text
    assert "CPython 3.12.12 on aarch64-darwin (macOS 13.0)" in darwin
    assert "lib==1.0" in darwin
    with pytest.raises(LockError, match="has no entries for x86_64-darwin"):
        export(lock, "pylock", system="x86_64-darwin")
