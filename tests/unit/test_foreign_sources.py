"""A foreign lock's git, directory, editable and local-file entries read as direct references
(offline, hand-made files in each format's shape; the real tools' files are in
tests/functional/test_foreign_direct.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from mach2.errors import InputError
from mach2.inputs.foreign import read_foreign_lock
from mach2.inputs.foreign.model import ForeignSource, Pins
from mach2.model.target import Target

LINUX = Target.from_strings(python="3.11", system="x86_64-linux")
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SHA = "ab" * 32


def _sources(pins: Pins) -> dict[str, ForeignSource | None]:
    return {str(name): pin.package.source for name, pin in pins.pins.items()}


def _uv(tmp_path: Path, root_source: str, body: str) -> Path:
    path = tmp_path / "uv.lock"
    path.write_text(
        'version = 1\nrequires-python = ">=3.11"\n\n'
        f'[[package]]\nname = "proj"\nversion = "0.1"\nsource = {root_source}\n'
        'dependencies = [{ name = "g" }, { name = "helper" }, { name = "w" }, { name = "v" }]\n\n'
        + body
    )
    return path


UV_BODY = (
    '[[package]]\nname = "g"\nversion = "1.2"\n'
    f'source = {{ git = "https://example.org/o/g?branch=main&subdirectory=pkg#{COMMIT}" }}\n\n'
    '[[package]]\nname = "helper"\nversion = "0.3"\nsource = { directory = "libs/helper" }\n\n'
    '[[package]]\nname = "w"\nversion = "1.0"\nsource = { path = "dist/w-1.0-py3-none-any.whl" }\n'
    f'wheels = [{{ filename = "w-1.0-py3-none-any.whl", hash = "sha256:{SHA}" }}]\n\n'
    '[[package]]\nname = "v"\nversion = "0.1"\nsource = { virtual = "libs/v" }\n'
    'dependencies = [{ name = "helper" }]\n'
)


def test_uv_git_directory_path_and_the_editable_root(tmp_path: Path) -> None:
    lock = read_foreign_lock(_uv(tmp_path, '{ editable = "." }', UV_BODY))[0]
    pins = lock.select(LINUX)
    sources = _sources(pins)
    assert set(sources) == {"proj", "g", "helper", "w"}  # v is virtual: walked, not installed
    git = sources["g"]
    assert git is not None and git.url == f"git+https://example.org/o/g@{COMMIT}#subdirectory=pkg"
    root = sources["proj"]
    assert root is not None and root.editable and root.url == tmp_path.as_uri()
    helper = sources["helper"]
    assert helper is not None and not helper.editable
    assert helper.url == (tmp_path / "libs" / "helper").as_uri()
    wheel = sources["w"]
    assert wheel is not None and wheel.hashes == {"sha256": SHA}
    assert wheel.url.endswith("/dist/w-1.0-py3-none-any.whl")
    assert pins.pins[NormalizedName("proj")].package.project
    assert "v" in pins.project


def test_uv_no_install_project_leaves_the_root_out(tmp_path: Path) -> None:
    lock = read_foreign_lock(_uv(tmp_path, '{ editable = "." }', UV_BODY))[0]
    pins = lock.select(LINUX, install_project=False)
    assert set(pins.pins) == {"g", "helper", "w"}
    assert pins.project == ("proj", "v")


def test_uv_virtual_root_is_never_installed(tmp_path: Path) -> None:
    lock = read_foreign_lock(_uv(tmp_path, '{ virtual = "." }', UV_BODY))[0]
    assert set(lock.select(LINUX).pins) == {"g", "helper", "w"}


@pytest.mark.parametrize(
    ("repository", "refused"),
    [
        ("https://token@example.org/o/g", True),
        ("https://user:secret@example.org/o/g", True),
        ("ssh://git@example.org/o/g", False),
    ],
)
def test_credentials_in_a_git_url_are_refused(
    tmp_path: Path, repository: str, refused: bool
) -> None:
    body = UV_BODY.replace("https://example.org/o/g", repository)
    lock = read_foreign_lock(_uv(tmp_path, '{ editable = "." }', body))[0]
    if refused:
        with pytest.raises(InputError, match=r"credentials .* for g 1\.2"):
            lock.select(LINUX)
    else:
        assert lock.select(LINUX).pins[NormalizedName("g")].package.source is not None


def test_pylock_vcs_directory_and_archive_path(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "uv"\n\n'
        '[[packages]]\nname = "proj"\ndirectory = { path = ".", editable = true }\n\n'
        '[[packages]]\nname = "g"\nversion = "1.2"\n'
        f'vcs = {{ type = "git", url = "https://example.org/o/g", requested-revision = "main", '
        f'commit-id = "{COMMIT}", subdirectory = "pkg" }}\n\n'
        '[[packages]]\nname = "helper"\ndirectory = { path = "libs/helper", editable = false }\n\n'
        '[[packages]]\nname = "w"\nversion = "1.0"\n'
        f'archive = {{ path = "dist/w-1.0-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }}\n'
    )
    lock = read_foreign_lock(path)[0]
    sources = _sources(lock.select(LINUX))
    assert sources["g"] == ForeignSource(
        url=f"git+https://example.org/o/g@{COMMIT}#subdirectory=pkg",
        written=f"git https://example.org/o/g@{COMMIT}",
    )
    assert sources["proj"] is not None and sources["proj"].editable
    assert sources["w"] is not None and sources["w"].hashes == {"sha256": SHA}
    assert set(lock.select(LINUX, install_project=False).pins) == {"g", "helper", "w"}


def test_pylock_other_vcs_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "m"\nversion = "1.0"\n'
        'vcs = { type = "hg", url = "https://example.org/m", commit-id = "abc" }\n'
    )
    with pytest.raises(InputError, match=r"cannot install 1 of its entries .*m 1\.0 \(hg "):
        read_foreign_lock(path)[0].select(LINUX)


def test_poetry_git_develop_directory_and_file(tmp_path: Path) -> None:
    path = tmp_path / "poetry.lock"
    path.write_text(
        "# This file is automatically @generated by Poetry 2.5.1 and should not be changed by hand.\n\n"
        '[[package]]\nname = "g"\nversion = "1.2"\ndescription = ""\noptional = false\n'
        'python-versions = "*"\ngroups = ["main"]\nfiles = []\ndevelop = false\n\n'
        '[package.source]\ntype = "git"\nurl = "git@example.org:o/g.git"\nreference = "main"\n'
        f'resolved_reference = "{COMMIT}"\nsubdirectory = "pkg"\n\n'
        '[[package]]\nname = "helper"\nversion = "0.3"\ndescription = ""\noptional = false\n'
        'python-versions = "*"\ngroups = ["main"]\nfiles = []\ndevelop = true\n\n'
        '[package.source]\ntype = "directory"\nurl = "libs/helper"\n\n'
        '[[package]]\nname = "w"\nversion = "1.0"\ndescription = ""\noptional = false\n'
        'python-versions = "*"\ngroups = ["main"]\n'
        f'files = [{{file = "w-1.0-py3-none-any.whl", hash = "sha256:{SHA}"}}]\n\n'
        '[package.source]\ntype = "file"\nurl = "dist/w-1.0-py3-none-any.whl"\n\n'
        '[metadata]\nlock-version = "2.1"\npython-versions = "*"\ncontent-hash = "x"\n'
    )
    pins = read_foreign_lock(path)[0].select(LINUX)
    sources = _sources(pins)
    assert sources["g"] is not None
    assert sources["g"].url == f"git+ssh://git@example.org/o/g.git@{COMMIT}#subdirectory=pkg"
    assert sources["helper"] is not None and sources["helper"].editable
    assert sources["w"] is not None and sources["w"].hashes == {"sha256": SHA}
    assert pins.pins[NormalizedName("w")].package.files == ()


def test_pdm_git_editable_path_and_other_vcs(tmp_path: Path) -> None:
    head = (
        '[metadata]\ngroups = ["default"]\nstrategy = ["inherit_metadata"]\n'
        'lock_version = "4.5.1"\ncontent_hash = "sha256:x"\n\n'
        '[[metadata.targets]]\nrequires_python = ">=3.11"\n\n'
    )
    path = tmp_path / "pdm.lock"
    path.write_text(
        head + '[[package]]\nname = "g"\nversion = "1.2"\ngit = "https://example.org/o/g"\n'
        f'ref = "main"\nrevision = "{COMMIT}"\ngroups = ["default"]\n\n'
        '[[package]]\nname = "helper"\nversion = "0.3"\npath = "./libs/helper"\n'
        'editable = true\ngroups = ["default"]\n'
    )
    sources = _sources(read_foreign_lock(path)[0].select(LINUX))
    assert sources["g"] is not None and sources["g"].url == f"git+https://example.org/o/g@{COMMIT}"
    assert sources["helper"] is not None and sources["helper"].editable
    path.write_text(
        head + '[[package]]\nname = "m"\nversion = "1.0"\nhg = "https://example.org/m"\n'
        'groups = ["default"]\n'
    )
    with pytest.raises(InputError, match=r"m 1\.0 \(hg https://example.org/m\)"):
        read_foreign_lock(path)[0].select(LINUX)
