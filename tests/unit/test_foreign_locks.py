"""The foreign-lock readers on files written by uv, PDM and Poetry (tests/data/foreign), and on
hand-made variants for what those files do not show (forks, git entries, malformed fields)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mach2.errors import InputError
from mach2.inputs import read_input
from mach2.inputs.foreign import foreign_format, read_foreign_lock
from mach2.inputs.foreign.hashed import hashed_lock
from mach2.inputs.foreign.model import ForeignLock, Pins
from mach2.model.target import Target
from mach2.pipeline.inputs import read_requirement_files

DATA = Path(__file__).resolve().parents[1] / "data" / "foreign"
LOCKS = ("uv.lock", "pylock.toml", "poetry.lock", "pdm.lock")
LINUX = Target.from_strings(python="3.11", system="x86_64-linux")
WINDOWS_LIKE = Target.from_strings(python="3.12", system="aarch64-darwin")

#: What the pinned set is (tests/data/foreign/pyproject.toml).
VERSIONS = {
    "certifi": "2024.8.30",
    "charset-normalizer": "3.4.0",
    "click": "8.1.7",
    "idna": "3.10",
    "pysocks": "1.7.1",
    "requests": "2.32.3",
    "urllib3": "2.2.3",
}
#: sha256 of files PyPI lists (pinned by every one of the five files).
REQUESTS_WHEEL = "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6"
CHARSET_LINUX_WHEEL = "3710a9751938947e6327ea9f3ea6332a09bf0ba0c09cae9cb1f250bd1f1549bc"


def _read(name: str) -> ForeignLock:
    if name == "requirements-hashed.txt":
        lock = hashed_lock(read_input(DATA / name))
        assert lock is not None
        return lock
    return read_foreign_lock(DATA / name)[0]


def _versions(pins: Pins) -> dict[str, str]:
    return {name: str(pin.package.version) for name, pin in pins.pins.items()}


@pytest.mark.parametrize("name", [*LOCKS, "requirements-hashed.txt"])
def test_every_format_gives_the_same_pins(name: str) -> None:
    pins = _read(name).select(LINUX)
    assert _versions(pins) == VERSIONS
    requests = pins.pins["requests"].package
    hashes = {f.sha256 for f in requests.files} | {h.split(":")[1] for h in requests.hashes}
    assert REQUESTS_WHEEL in hashes
    charset = pins.pins["charset-normalizer"].package
    assert CHARSET_LINUX_WHEEL in {f.sha256 for f in charset.files} | {
        h.split(":")[1] for h in charset.hashes
    }


@pytest.mark.parametrize("name", LOCKS)
def test_other_platforms_packages_are_left_out_by_marker(name: str) -> None:
    pins = _read(name).select(LINUX)
    assert "colorama" not in pins.pins
    assert pins.other_environments == ("colorama 0.4.6",)


def test_uv_lock_walks_from_the_project() -> None:
    pins = _read("uv.lock").select(LINUX)
    assert pins.project == ("demo",)
    assert pins.pins["requests"].extras == {"socks"}  # the edge's extra, from the graph


def test_pdm_extras_entries_merge_into_one_pin() -> None:
    pins = _read("pdm.lock").select(LINUX)
    assert pins.pins["requests"].extras == {"socks"}


def test_tools_and_formats_are_named() -> None:
    assert {n: (_read(n).format, _read(n).tool) for n in LOCKS} == {
        "uv.lock": ("uv.lock", "uv"),
        "pylock.toml": ("pylock.toml", "uv"),
        "poetry.lock": ("poetry.lock", "Poetry 2.5.1"),
        "pdm.lock": ("pdm.lock", "PDM"),
    }


def test_foreign_locks_are_known_by_name() -> None:
    assert foreign_format(Path("x/pylock.dev.toml")) == "pylock.toml"
    assert foreign_format(Path("pylock.a.b.toml")) is None
    assert foreign_format(Path("requirements.txt")) is None
    assert foreign_format(Path("sub/poetry.lock")) == "poetry.lock"


@pytest.mark.parametrize("name", LOCKS)
def test_a_lock_for_newer_python_refuses_the_target(name: str) -> None:
    with pytest.raises(InputError, match=r"Python >=3\.11.*3\.10"):
        _read(name).select(Target.from_strings(python="3.10", system="x86_64-linux"))


def test_windows_gets_colorama_from_pylock() -> None:
    # pylock's marker and uv.lock's edge marker both name win32; no Windows target exists in
    # mach2, so check the marker itself holds where it should.
    lock = _read("pylock.toml")
    colorama = next(p for p in lock.packages if p.name == "colorama")
    marker = colorama.applies[None]
    assert marker is not None
    assert marker.evaluate({"sys_platform": "win32"})


def test_a_hashed_requirements_file_is_a_lock_and_a_partly_hashed_one_is_not(
    tmp_path: Path,
) -> None:
    requirements, _ = read_requirement_files([DATA / "requirements-hashed.txt"])
    assert requirements.foreign is not None and requirements.requirements == ()
    partial = tmp_path / "requirements.txt"
    partial.write_text("requests==2.32.3 --hash=sha256:" + REQUESTS_WHEEL + "\nidna\n")
    requirements, _ = read_requirement_files([partial])
    assert requirements.foreign is None and len(requirements.requirements) == 2


def test_a_lock_cannot_be_combined_with_other_inputs(tmp_path: Path) -> None:
    other = tmp_path / "requirements.txt"
    other.write_text("six\n")
    with pytest.raises(InputError, match="a lock is the whole environment"):
        read_requirement_files([DATA / "uv.lock", other])


def test_extras_and_groups_must_exist_in_the_lock() -> None:
    with pytest.raises(InputError, match="no extra named 'nope'"):
        _read("uv.lock").select(LINUX, extras=["nope"])
    with pytest.raises(InputError, match="no group named 'dev'"):
        _read("poetry.lock").select(LINUX, groups=["dev"])


# -- hand-made variants -----------------------------------------------------------------------

_WHEEL = (
    '{ url = "https://files.example/a-1.0-py3-none-any.whl", hash = "sha256:' + "a" * 64 + '" }'
)


def _uv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "uv.lock"
    path.write_text(
        'version = 1\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "proj"\nversion = "0.1"\nsource = { editable = "." }\n' + body
    )
    return path


def test_uv_fork_picks_the_version_for_the_target(tmp_path: Path) -> None:
    path = _uv(
        tmp_path,
        "dependencies = [\n"
        '  { name = "a", version = "1.0", source = { registry = "https://pypi.org/simple" }, marker = "sys_platform == \'linux\'" },\n'
        '  { name = "a", version = "2.0", source = { registry = "https://pypi.org/simple" }, marker = "sys_platform == \'darwin\'" },\n'
        "]\n\n"
        '[[package]]\nname = "a"\nversion = "1.0"\nsource = { registry = "https://pypi.org/simple" }\n'
        f"wheels = [{_WHEEL}]\n\n"
        '[[package]]\nname = "a"\nversion = "2.0"\nsource = { registry = "https://pypi.org/simple" }\n'
        f"wheels = [{_WHEEL.replace('1.0', '2.0').replace('a' * 64, 'b' * 64)}]\n",
    )
    lock = read_foreign_lock(path)[0]
    assert _versions(lock.select(LINUX, install_project=False)) == {"a": "1.0"}
    assert _versions(lock.select(WINDOWS_LIKE, install_project=False)) == {"a": "2.0"}
    assert _versions(lock.select(LINUX)) == {"a": "1.0", "proj": "0.1"}  # as uv sync


def test_entries_mach2_cannot_build_are_named_in_one_line(tmp_path: Path) -> None:
    path = _uv(
        tmp_path,
        'dependencies = [{ name = "g" }, { name = "lfs" }]\n\n'
        '[[package]]\nname = "g"\nversion = "1.2"\n'
        'source = { git = "https://github.com/o/g?tag=v1.2#0123456789abcdef" }\n\n'
        '[[package]]\nname = "lfs"\nversion = "0.3"\n'
        'source = { git = "https://github.com/o/l?lfs=true#' + "c" * 40 + '" }\n',
    )
    with pytest.raises(InputError) as caught:
        read_foreign_lock(path)[0].select(LINUX)
    message = caught.value.message
    assert "cannot install 2 of its entries" in message
    assert "g 1.2 (git https://github.com/o/g?tag=v1.2#0123456789abcdef (no full commit" in message
    assert "lfs 0.3 (git https://github.com/o/l?lfs=true#ccc" in message and "(with lfs)" in message
    assert "\n" not in message


def test_credentials_in_urls_are_refused(tmp_path: Path) -> None:
    path = _uv(
        tmp_path,
        'dependencies = [{ name = "a" }]\n\n'
        '[[package]]\nname = "a"\nversion = "1.0"\n'
        'source = { registry = "https://user:secret@private.example/simple" }\n'
        f"wheels = [{_WHEEL}]\n",
    )
    with pytest.raises(InputError, match=r"credentials .* for a 1\.0"):
        read_foreign_lock(path)[0].select(LINUX)


def test_malformed_fields_name_the_file_and_the_place(tmp_path: Path) -> None:
    path = _uv(tmp_path, '\n[[package]]\nname = "a"\nversion = 3\n')
    with pytest.raises(InputError, match=r"uv\.lock: package\[1\]\.version: expected a string"):
        read_foreign_lock(path)
    bad_hash = _uv(
        tmp_path,
        '\n[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "https://x/simple" }\n'
        'wheels = [{ url = "https://x/a-1-py3-none-any.whl", hash = "sha256:zz" }]\n',
    )
    with pytest.raises(InputError, match=r"package\[1\]\.wheels\[0\]\.hash: malformed sha256"):
        read_foreign_lock(bad_hash)


@pytest.mark.parametrize("name", LOCKS)
def test_an_empty_lock_is_called_empty(tmp_path: Path, name: str) -> None:
    """An empty uv.lock once said "version: uv.lock version None is not one mach2 reads"."""
    path = tmp_path / name
    path.write_text("\n")
    with pytest.raises(InputError) as info:
        read_foreign_lock(path)
    assert info.value.message == f"{path.as_posix()}: the file is empty"
    assert info.value.hint == "lock again with the tool that wrote it"


def test_a_uv_lock_without_a_version_is_not_a_uv_lock(tmp_path: Path) -> None:
    path = tmp_path / "uv.lock"
    path.write_text('[[package]]\nname = "a"\n')
    with pytest.raises(InputError, match=r"uv\.lock: version: missing: not a uv\.lock "):
        read_foreign_lock(path)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "poetry.lock"
    path.write_text('[[package]]\nname = "a"\nversion = \n')
    with pytest.raises(InputError, match=r"poetry\.lock: invalid TOML: .*line 3"):
        read_foreign_lock(path)


def test_pylock_rules_are_checked_with_the_place(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\nversion = "1"\n'
        'wheels = [{ url = "https://x/a-1-py3-none-any.whl", hashes = "nope" }]\n'
    )
    with pytest.raises(
        InputError,
        match=r"pylock\.toml: not a valid pylock\.toml: .*packages\[0\]\.wheels\[0\]\.hashes",
    ):
        read_foreign_lock(path)


def test_two_pylock_entries_for_one_target_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    entry = (
        '[[packages]]\nname = "a"\nversion = "{v}"\n'
        'wheels = [{{ url = "https://x/a-{v}-py3-none-any.whl", hashes = {{ sha256 = "{h}" }} }}]\n'
    )
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n'
        + entry.format(v="1", h="a" * 64)
        + entry.format(v="2", h="b" * 64)
    )
    with pytest.raises(InputError, match=r"both .*packages\[0\].* and .*packages\[1\]"):
        read_foreign_lock(path)[0].select(LINUX)


def test_old_poetry_and_pdm_locks_are_refused_with_the_way_out(tmp_path: Path) -> None:
    poetry = tmp_path / "poetry.lock"
    poetry.write_text('[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\n')
    with pytest.raises(InputError, match=r"metadata\.lock-version: .*Poetry 2"):
        read_foreign_lock(poetry)
    pdm = tmp_path / "pdm.lock"
    pdm.write_text('[metadata]\nlock_version = "4.4"\nstrategy = ["cross_platform"]\n')
    with pytest.raises(InputError, match=r"metadata\.strategy: .*inherit_metadata"):
        read_foreign_lock(pdm)


def test_poetry_optional_packages_come_with_their_extra(tmp_path: Path) -> None:
    path = tmp_path / "poetry.lock"
    path.write_text(
        '[[package]]\nname = "a"\nversion = "1"\noptional = true\ngroups = ["main"]\n'
        'files = [{file = "a-1-py3-none-any.whl", hash = "sha256:' + "a" * 64 + '"}]\n\n'
        '[extras]\nfast = ["a (>=1)"]\n\n'
        '[metadata]\nlock-version = "2.1"\npython-versions = ">=3.11"\ncontent-hash = "x"\n'
    )
    lock = read_foreign_lock(path)[0]
    assert lock.select(LINUX).pins == {}
    assert _versions(lock.select(LINUX, extras=["fast"])) == {"a": "1"}


def test_a_url_hash_fragment_alone_does_not_make_a_lock(tmp_path: Path) -> None:
    digest = "a" * 64
    path = tmp_path / "requirements.txt"
    path.write_text(f"demo @ https://x.example/demo-1.0.tar.gz#sha256={digest}\n")
    assert read_requirement_files([path])[0].foreign is None  # its dependencies get resolved
    path.write_text(f"demo==1.0 --hash=sha256:{digest}\n")
    assert read_requirement_files([path])[0].foreign is not None  # pip's hash-checking mode


def test_a_direct_reference_with_a_hash_option_is_resolved_not_pinned(tmp_path: Path) -> None:
    # Its version is in its file, which the direct-reference provider reads and checks against
    # the --hash values (tests/functional/test_local_files.py); a pin needs the version first.
    digest = "a" * 64
    path = tmp_path / "requirements.txt"
    path.write_text(
        f"demo @ https://x.example/demo-1.0.tar.gz --hash=sha256:{digest}\n"
        f"other==2.0 --hash=sha256:{digest}\n"
    )
    read = read_requirement_files([path])[0]
    assert read.foreign is None
    assert [e.hashes for e in read.requirements] == [(f"sha256:{digest}",)] * 2
