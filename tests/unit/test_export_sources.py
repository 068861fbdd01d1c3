"""The export of git checkouts, local directories (the editable root among them) and local
wheels: PEP 751 ``vcs``, ``directory`` and ``archive`` entries with paths relative to where
the pylock is written; a requirements file takes the local files (by path, hashed) and refuses
the rest by name; a hostile lock entry is one line.  Offline: the lock is built here, the
directories and the wheel are real files (the export checks them), no git is run."""

from __future__ import annotations

import hashlib
import os
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import attrs
import pytest
from packaging.pylock import Pylock

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
from pep751 import pep751_violations

from mach2.emit.export import export
from mach2.errors import LockError
from mach2.lock.model import Lock, LockedArtifact, LockedPackage, LockInputs
from mach2.model.target import Target

TARGET = Target.from_strings(python="3.11", system="x86_64-linux")
COMMIT = "e635c9a98591656ce9c6440fda85b16758eba90f"
REPO = "https://example.invalid/upstream.git"
WHEEL = "dist/wheeled-3.0-py3-none-any.whl"


def _package(
    key: str, version: str, provider: str, artifact: LockedArtifact, **more: Any
) -> LockedPackage:
    return LockedPackage(
        key=key, name=key, version=version, provider=provider, why_provider=f"{provider}: test",
        artifact=artifact, **more,
    )  # fmt: skip


def _git(
    subdirectory: str | None = None, ref: str | None = "v1.0", rev: str = COMMIT
) -> LockedArtifact:
    data: dict[str, Any] = {
        "kind": "git",
        "url": REPO,
        "rev": rev,
        "nar-hash": "sha256-" + "A" * 43 + "=",
    }
    if ref is not None:
        data["ref"] = ref
    if subdirectory is not None:
        data["subdirectory"] = subdirectory
    return LockedArtifact.from_json(data)  # the lock's JSON shape, as read_lock reads it


def _wheel_artifact(path: str, sha256: str, size: int) -> LockedArtifact:
    return LockedArtifact(
        kind="wheel", filename=PurePosixPath(path).name, sha256=sha256, size=size,
        extra={"path": path},
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git working tree (a ``.git`` directory is all the export looks at) with the app, its
    path dependency and a local wheel."""
    root = tmp_path / "app"
    (root / ".git").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1.0"\n')
    (root / "libs" / "helper").mkdir(parents=True)
    (root / "libs" / "helper" / "pyproject.toml").write_text('[project]\nname = "helper"\n')
    (root / "dist").mkdir()
    (root / WHEEL).write_bytes(b"not really a zip, but hashed all the same")
    return root


def _lock(project: Path, *extra: LockedPackage) -> Lock:
    wheel = (project / WHEEL).read_bytes()
    packages = [
        _package("app", "1.0", "path", LockedArtifact(kind="path", extra={"path": "."}),
                 dependencies={"gitlib": "gitlib", "helper": "helper", "subpkg": "subpkg",
                               "wheeled": "wheeled"},
                 extra={"editable": {"import-paths": ["."], "scripts": {}}}),
        _package("gitlib", "1.0", "git", _git()),
        _package("subpkg", "0.5", "git", _git("sub/subpkg", ref="main"),
                 dependencies={"gitlib": "gitlib"}),
        _package("helper", "0.3", "path", LockedArtifact(kind="path", extra={"path": "libs/helper"})),
        _package("wheeled", "3.0", "wheel",
                 _wheel_artifact(WHEEL, hashlib.sha256(wheel).hexdigest(), len(wheel))),
        *extra,
    ]  # fmt: skip
    return Lock.single(
        target=TARGET,
        roots=("app",),
        packages={p.key: p for p in packages},
        inputs=LockInputs(requirements_sha256="0" * 64, providers="", hash="1" * 64),
        providers={"_default": ("wheel", "sdist")},
    )


def _replace(lock: Lock, key: str, **changes: Any) -> Lock:
    (system,) = lock.systems.values()
    package = system.packages[key]
    if "artifact" in changes and isinstance(changes["artifact"], dict):
        changes["artifact"] = LockedArtifact.from_json(
            {**package.artifact.to_json(), **changes["artifact"]}
        )
    packages = {**system.packages, key: attrs.evolve(package, **changes)}
    return attrs.evolve(lock, systems={"x86_64-linux": attrs.evolve(system, packages=packages)})


def test_the_pep_751_checker_finds_what_breaks_the_rules(tmp_path: Path) -> None:
    document = {
        "packages": [
            {"name": "a", "version": "1", "directory": {"path": "gone"}},
            {"name": "b", "vcs": {"type": "git", "url": "u", "commit-id": "main"}, "wheels": []},
            {"name": "c", "archive": {"path": "x.whl", "hashes": {}}},
            {"name": "d", "vcs": {"type": "git", "path": ".", "commit-id": COMMIT,
                                   "subdirectory": "../up"}},
        ]
    }  # fmt: skip
    assert pep751_violations(document, tmp_path) == [
        f"a: gone does not exist from {tmp_path}",
        "a: a directory must not have a version",
        "b: vcs with ['wheels']",
        "b: commit-id is not a commit hash",
        f"c: x.whl does not exist from {tmp_path}",
        "c: archive needs hashes and url or path",
        "d: subdirectory ../up leaves the tree",
    ]


def _pylock(text: str, where: Path) -> dict[str, Any]:
    document = tomllib.loads(text)
    Pylock.from_dict(document)
    assert pep751_violations(document, where) == []
    return {p["name"]: p for p in document["packages"]}


# -- pylock ----------------------------------------------------------------------------------------


def test_git_directories_the_editable_root_and_a_local_wheel_become_pep_751_entries(
    project: Path,
) -> None:
    lock = _lock(project)
    entries = _pylock(export(lock, "pylock", lock_dir=project).text, project)
    sha = hashlib.sha256((project / WHEEL).read_bytes()).hexdigest()
    assert entries == {
        "app": {"name": "app", "dependencies": [{"name": "gitlib"}, {"name": "helper"},
                {"name": "subpkg"}, {"name": "wheeled"}],
                "directory": {"path": ".", "editable": True}},
        "gitlib": {"name": "gitlib", "version": "1.0",
                   "vcs": {"type": "git", "url": REPO, "requested-revision": "v1.0",
                           "commit-id": COMMIT}},
        "helper": {"name": "helper", "directory": {"path": "libs/helper", "editable": False}},
        "subpkg": {"name": "subpkg", "version": "0.5", "dependencies": [{"name": "gitlib"}],
                   "vcs": {"type": "git", "url": REPO, "requested-revision": "main",
                           "commit-id": COMMIT, "subdirectory": "sub/subpkg"}},
        "wheeled": {"name": "wheeled", "version": "3.0",
                    "archive": {"path": WHEEL, "size": (project / WHEEL).stat().st_size,
                                "hashes": {"sha256": sha}}},
    }  # fmt: skip


def test_paths_are_re_expressed_relative_to_where_the_pylock_is_written(project: Path) -> None:
    lock = _lock(project)
    out = project / "out" / "deep"
    out.mkdir(parents=True)
    entries = _pylock(export(lock, "pylock", lock_dir=project, output_dir=out).text, out)
    assert entries["app"]["directory"]["path"] == "../.."
    assert entries["helper"]["directory"]["path"] == "../../libs/helper"
    assert entries["wheeled"]["archive"]["path"] == f"../../{WHEEL}"
    for written, real in (("../../libs/helper", "libs/helper"), (f"../../{WHEEL}", WHEEL)):
        assert (out / written).resolve() == (project / real).resolve()


def test_a_commit_without_a_ref_has_no_requested_revision(project: Path) -> None:
    lock = _replace(_lock(project), "gitlib", artifact=_git(ref=None))
    vcs = _pylock(export(lock, "pylock", lock_dir=project).text, project)["gitlib"]["vcs"]
    assert vcs == {"type": "git", "url": REPO, "commit-id": COMMIT}


def test_an_absolute_local_file_stays_absolute(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "wheeled-3.0-py3-none-any.whl"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes((project / WHEEL).read_bytes())
    artifact = _lock(project).packages["wheeled"].artifact
    lock = _replace(_lock(project), "wheeled", artifact={"path": str(elsewhere)})
    assert artifact.sha256
    out = project / "out"
    text = export(lock, "pylock", lock_dir=project, output_dir=out).text
    assert tomllib.loads(text)["packages"][-1]["archive"]["path"] == str(elsewhere)


# -- requirements ------------------------------------------------------------------------------------


def test_requirements_write_local_files_by_path_and_refuse_git_and_directories(
    project: Path,
) -> None:
    lock = _lock(project)
    with pytest.raises(LockError) as refused:
        export(lock, "requirements", lock_dir=project)
    assert refused.value.message == (
        "mach2.lock: 4 packages cannot be written to a requirements file: app (directory), "
        "gitlib (git), helper (directory), subpkg (git)"
    )
    assert refused.value.hint is not None
    assert "--format pylock" in refused.value.hint and "--partial" in refused.value.hint
    out = project / "out"
    partial = export(lock, "requirements", lock_dir=project, output_dir=out, partial=True)
    assert partial.left_out == ("app (directory)", "gitlib (git)", "helper (directory)",
                                "subpkg (git)")  # fmt: skip
    sha = hashlib.sha256((project / WHEEL).read_bytes()).hexdigest()
    lines = [line for line in partial.text.splitlines() if not line.startswith("#")]
    assert lines == [f"../{WHEEL} \\", f"    --hash=sha256:{sha}"]


def test_pylock_and_requirements_still_refuse_conda(project: Path) -> None:
    conda = _package("numpy", "2.0", "conda", LockedArtifact(
        kind="conda", filename="numpy.conda", url="https://c/n", sha256="3" * 64))  # fmt: skip
    lock = _lock(project, conda)
    with pytest.raises(LockError) as refused:
        export(lock, "pylock", lock_dir=project)
    assert refused.value.message == (
        "mach2.lock: 1 packages cannot be written to pylock.toml: numpy (conda)"
    )
    assert refused.value.hint is not None and "no PyPI file" in refused.value.hint
    assert export(lock, "pylock", lock_dir=project, partial=True).left_out == ("numpy (conda)",)


# -- hostile or broken lock entries: one line each -------------------------------------------------


def _refusal(lock: Lock, project: Path, format: str = "pylock") -> str:
    with pytest.raises(LockError) as refused:
        export(lock, format, lock_dir=project, partial=True)
    assert "\n" not in refused.value.message
    return refused.value.message


def test_a_subdirectory_that_leaves_the_repository(project: Path) -> None:
    lock = _replace(_lock(project), "subpkg", artifact=_git("../../etc"))
    assert _refusal(lock, project) == (
        "mach2.lock: package 'subpkg' 0.5: subdirectory '../../etc' of "
        f"'git+{REPO}@{COMMIT}#subdirectory=../../etc' leaves the repository"
    )


def test_a_rev_that_is_not_a_commit(project: Path) -> None:
    lock = _replace(_lock(project), "gitlib", artifact=_git(rev="main"))
    assert _refusal(lock, project) == (
        "mach2.lock: package 'gitlib' 1.0: git rev 'main' is not a full commit hash"
    )


def test_a_git_url_that_would_change_meaning_in_a_requirement(project: Path) -> None:
    url = REPO + "#egg=evil"
    lock = _replace(_lock(project), "gitlib", artifact={"url": url})
    assert "cannot be written as a git URL" in _refusal(lock, project)


def test_a_directory_that_escapes_the_project(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "pyproject.toml").write_text('[project]\nname = "helper"\n')
    lock = _replace(_lock(project), "helper", artifact={"path": "../outside"})
    assert _refusal(lock, project) == (
        "mach2.lock: package 'helper' 0.3: directory ../outside lies outside the project "
        f"{project.resolve()} (the git working tree holding the lock)"
    )


def test_a_directory_through_a_symbolic_link_out_of_the_project(
    project: Path, tmp_path: Path
) -> None:
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", project / "libs" / "link")
    lock = _replace(_lock(project), "helper", artifact={"path": "libs/link"})
    assert "lies outside the project" in _refusal(lock, project)


def test_a_directory_that_is_gone(project: Path) -> None:
    lock = _replace(_lock(project), "helper", artifact={"path": "libs/gone"})
    assert _refusal(lock, project) == (
        "mach2.lock: package 'helper' 0.3: directory libs/gone (relative to the lock's "
        "directory) does not exist"
    )


def test_a_local_wheel_whose_bytes_changed(project: Path) -> None:
    lock = _lock(project)
    (project / WHEEL).write_bytes(b"something else")
    actual = hashlib.sha256(b"something else").hexdigest()
    assert _refusal(lock, project, "requirements").startswith(
        f"mach2.lock: package 'wheeled' 3.0: sha256 of {WHEEL} is {actual}, the lock says "
    )


def test_a_path_with_a_line_break_cannot_inject_requirement_lines(project: Path) -> None:
    evil = "dist/x.whl\n--index-url https://evil.invalid/simple"
    lock = _replace(_lock(project), "wheeled", artifact={"path": evil})
    assert _refusal(lock, project, "requirements") == (
        "mach2.lock: package 'wheeled' 3.0: the path "
        "'dist/x.whl\\n--index-url https://evil.invalid/simple' holds a space or control "
        "character, which a requirements file cannot hold"
    )


def test_local_paths_need_the_locks_directory(project: Path) -> None:
    with pytest.raises(LockError, match="names local paths relative to its directory"):
        export(_lock(project), "pylock")


def test_a_local_wheel_that_is_gone(project: Path) -> None:
    lock = _lock(project)
    (project / WHEEL).unlink()
    assert _refusal(lock, project) == (
        f"mach2.lock: package 'wheeled' 3.0: the local file {WHEEL} (relative to the lock's "
        "directory) cannot be read: No such file or directory"
    )
