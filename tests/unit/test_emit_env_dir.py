"""The env directory and the standalone expression (no Nix needed; tests/nix builds them)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from mach2.emit import (
    LIBRARY_DIR_NAME,
    NixpkgsPin,
    embedded_library,
    library_files,
    render_expression,
    write_env_dir,
)
from mach2.errors import InputError, LockError
from mach2.lock.model import Lock, read_lock

FIXTURES = Path(__file__).resolve().parents[1] / "nix" / "fixtures"


@pytest.fixture
def lock_and_text() -> tuple[Lock, str]:
    lock = read_lock(FIXTURES / "sdist-six.lock")
    return lock, (FIXTURES / "sdist-six.txt").read_text(encoding="utf-8")


def test_writes_the_directory(tmp_path: Path, lock_and_text: tuple[Lock, str]) -> None:
    lock, text = lock_and_text
    out = tmp_path / "env"
    changed = write_env_dir(lock, text, out)
    names = {p.relative_to(out).as_posix() for p in changed}
    assert {"mach2.lock", "requirements.txt", "default.nix", "shell.nix"} <= names
    assert f"{LIBRARY_DIR_NAME}/default.nix" in names
    assert (out / "mach2.lock").read_text(encoding="utf-8") == lock.dumps()
    assert (out / "requirements.txt").read_text(encoding="utf-8") == text
    default = (out / "default.nix").read_text(encoding="utf-8")
    assert "mach2.mkPython {" in default
    assert 'python = "python311";' in default
    assert "requirements = builtins.readFile ./requirements.txt;" in default
    # the user's providers are passed back so the lock is not seen as stale
    assert (
        'providers = {\n      _default = "sdist,wheel";\n      setuptools = "wheel";\n    };'
        in default
    )
    assert "pkgs ? import <nixpkgs> { }" in default
    assert "mach2.mkPythonShell {" in (out / "shell.nix").read_text(encoding="utf-8")


def test_rerun_changes_nothing(tmp_path: Path, lock_and_text: tuple[Lock, str]) -> None:
    lock, text = lock_and_text
    write_env_dir(lock, text, tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert write_env_dir(lock, text, tmp_path) == []
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == stamps


def test_library_copy_is_refreshed(tmp_path: Path, lock_and_text: tuple[Lock, str]) -> None:
    lock, text = lock_and_text
    write_env_dir(lock, text, tmp_path)
    stale = tmp_path / LIBRARY_DIR_NAME / "old-module.nix"
    stale.write_text("{ }", encoding="utf-8")
    (tmp_path / LIBRARY_DIR_NAME / "util.nix").write_text("edited", encoding="utf-8")
    changed = write_env_dir(lock, text, tmp_path)
    assert sorted(p.name for p in changed) == ["old-module.nix", "util.nix"]
    assert not stale.exists()
    assert (tmp_path / LIBRARY_DIR_NAME / "util.nix").read_text(encoding="utf-8") == (
        library_files()["util.nix"]
    )


def test_library_files_are_the_library_directory_layout() -> None:
    """One layout: what an env directory gets is the library directory's own files, by their
    own names, including the build-time scripts (mach2 imports them from there)."""
    import mach2.nix
    from mach2.nix import conda_install, patchelf_apply

    root = Path(mach2.nix.__file__).parent
    files = library_files()
    for name, text in files.items():
        assert (root / name).read_text(encoding="utf-8") == text
    assert {"default.nix", "build-fixes.json", "patchelf_apply.py", "conda_install.py"} <= set(
        files
    )
    assert Path(patchelf_apply.__file__).parent == root
    assert Path(conda_install.__file__).parent == root
    # every .nix file the library imports is there (nixpkgs-index.nix is a tool, not imported)
    assert {p.name for p in root.glob("*.nix")} - set(files) == {"nixpkgs-index.nix"}


def test_pinned_nixpkgs(tmp_path: Path, lock_and_text: tuple[Lock, str]) -> None:
    lock, text = lock_and_text
    pin = NixpkgsPin(rev="0" * 40, sha256="1" * 52)
    write_env_dir(lock, text, tmp_path, nixpkgs=pin)
    default = (tmp_path / "default.nix").read_text(encoding="utf-8")
    assert "builtins.fetchTarball {" in default
    assert f'url = "https://github.com/NixOS/nixpkgs/archive/{"0" * 40}.tar.gz";' in default
    assert f'sha256 = "{"1" * 52}";' in default


def test_requirements_must_match_the_lock(tmp_path: Path, lock_and_text: tuple[Lock, str]) -> None:
    lock, _ = lock_and_text
    with pytest.raises(LockError, match="not made from these requirements"):
        write_env_dir(lock, "flask\n", tmp_path)
    with pytest.raises(LockError):
        render_expression(lock, "flask\n")


@pytest.mark.parametrize(("rev", "sha"), [("bad rev", "1" * 52), ("0" * 40, "short")])
def test_pin_validation(rev: str, sha: str) -> None:
    with pytest.raises(InputError):
        NixpkgsPin(rev=rev, sha256=sha)


def test_expression_embeds_lock(lock_and_text: tuple[Lock, str]) -> None:
    lock, text = lock_and_text
    expression = render_expression(lock, text)
    assert 'lockFile = builtins.toFile "mach2.lock" "{\\n' in expression
    assert "mach2 ? import mach2_default_nix {" in expression
    assert 'requirements = "six==1.16.0\\n";' in expression
    # the lock's own `${` (none here) and quotes are escaped
    assert '\\"lock-version\\": 2' in expression


def test_expression_embeds_the_library(lock_and_text: tuple[Lock, str]) -> None:
    lock, text = lock_and_text
    expression = render_expression(lock, text)
    bindings, default = embedded_library()
    assert default.text == "mach2_default_nix"
    assert set(bindings) == {
        "mach2_" + name.replace(".", "_").replace("-", "_") for name in library_files()
    }
    # every file, its references to the others replaced by their store paths
    assert 'mach2_default_nix = builtins.toFile "default.nix" "' in expression
    assert "util = ${mach2_util_nix};" in expression
    assert "./util.nix" not in expression.split("mach2_default_nix = ", 1)[1].split('";', 1)[0]
    assert '\\"patchelf apply\\" ${mach2_patchelf_apply_py};' in expression
    assert "(readFile ${mach2_build_fixes_json})" in expression


def test_not_a_directory(tmp_path: Path, lock_and_text: tuple[Lock, str]) -> None:
    lock, text = lock_and_text
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(InputError):
        write_env_dir(lock, text, tmp_path / "file")


def test_the_header_of_an_expression_with_local_paths_says_it_names_their_directory(
    tmp_path: Path, lock_and_text: tuple[Lock, str]
) -> None:
    """It said "it names no file of the machine that made it" above `root = /home/…;`."""
    lock, text = lock_and_text
    plain = render_expression(lock, text, root=tmp_path)
    assert "(it names no file of the machine that\n# made it)." in plain
    assert f"root = {tmp_path}" not in plain
    system = next(iter(lock.systems))
    six = lock.systems[system].packages["six"]
    local = six.artifact.__class__(kind="path", extra={"path": "libs/six"})
    packages = {**lock.systems[system].packages, "six": attrs.evolve(six, artifact=local)}
    with_path = attrs.evolve(
        lock,
        systems={system: attrs.evolve(lock.systems[system], packages=packages)},
    )
    expression = render_expression(with_path, text, root=tmp_path)
    assert f"root = {tmp_path};" in expression
    header = " ".join(line[2:] for line in expression.splitlines() if line.startswith("# "))
    assert "names no file of the machine that made it but `root`" in header
    assert "it builds where that directory is" in header
