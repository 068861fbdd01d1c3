"""The build-fix table (mach2/nix/build-fixes.json) and choosing its entries at lock time."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import attrs
import pytest
from packaging.version import Version

from mach2.buildfix import add_build_fixes, applied_fixes, is_sdist_build, load_table
from mach2.buildfix.cargo import read_crates
from mach2.buildfix.locking import CARGO_FIELD, FIXES_FIELD, matching_fixes
from mach2.buildfix.table import parse_table, table_path
from mach2.errors import ArtifactError, LockError
from mach2.lock.model import LockedArtifact, LockedPackage

TABLE = load_table()
SHA = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"


def package(key: str, version: str = "1.0", provider: str = "sdist", **kw: Any) -> LockedPackage:
    suffix = ".tar.gz" if provider == "sdist" else "-py3-none-any.whl"
    return LockedPackage(
        key=key,
        name=key,
        version=version,
        provider=provider,
        why_provider="test",
        artifact=LockedArtifact(
            kind=provider, filename=f"{key}-{version}{suffix}", url="https://x/f", sha256="0" * 64
        ),
        **kw,
    )


def no_download(package: LockedPackage) -> Path:
    raise AssertionError(f"{package.key} should not be downloaded")


# --- the shipped table ---------------------------------------------------------------


def test_the_shipped_table_is_the_nix_librarys_file() -> None:
    assert table_path().parent.name == "nix"
    assert "readFile ./build-fixes.json" in (table_path().parent / "fixes.nix").read_text()


def test_the_table_covers_the_issue_and_the_sets() -> None:
    packages = {f.package for f in TABLE.fixes.values()}
    backends = {f.build_system for f in TABLE.fixes.values()}
    assert {
        "psycopg2",
        "mysqlclient",
        "lxml",
        "pycairo",
        "h5py",
        "cffi",
        "cryptography",
    } <= packages
    assert {"numpy", "scipy", "pyyaml", "pyzmq", "grpcio", "pillow", "matplotlib"} <= packages
    assert {"maturin", "setuptools-rust", "meson-python", "scikit-build-core"} <= backends
    assert len(TABLE.fixes) >= 50


@pytest.mark.parametrize("fix_id", sorted(TABLE.fixes))
def test_every_entry_says_why_and_where_it_was_learned(fix_id: str) -> None:
    fix = TABLE.fixes[fix_id]
    assert fix.why and fix.sources
    assert fix.attributes() or fix.attrs, "an entry that adds nothing"


def _probes(specifiers: list[str]) -> list[str]:
    """Versions around every bound the package's entries mention."""
    probes = {"0", "0.1", "1.0", "9999"}
    for text in specifiers:
        for spec in filter(None, text.split(",")):
            bound = Version(spec.lstrip("<>=!~ "))
            probes |= {str(bound), f"{bound}.post1", f"{bound.release[0]}.{bound.release[-1]}a1"}
    return sorted(probes)


def test_entries_of_one_package_do_not_overlap() -> None:
    groups: dict[str, list[Any]] = {}
    for fix in TABLE.fixes.values():
        groups.setdefault(f"{fix.package}|{fix.build_system}", []).append(fix)
    for fixes in groups.values():
        for version in _probes([str(f.versions) for f in fixes]):
            matching = [f.id for f in fixes if f.applies_to(version)]
            assert len(matching) <= 1, f"{matching} all apply to {version}"


# --- parsing errors name the entry and the field -----------------------------------------


def table_with(entry: dict[str, Any]) -> dict[str, Any]:
    base = {"package": "demo", "buildInputs": ["zlib"], "why": "w", "sources": ["s"]}
    return {"format": 1, "revision": 1, "fixes": {"demo": {**base, **entry}}}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"bogus": 1}, "unknown field 'bogus'"),
        ({"build-system": "maturin"}, "exactly one of `package` and `build-system`"),
        ({"package": "Demo_X"}, "not a normalized project name"),
        ({"versions": ">=x"}, "`versions`"),
        ({"buildInputs": ["zlib; rm -rf"]}, "not a nixpkgs attribute path"),
        ({"buildInputs": [[]]}, "not an attribute path or a list of them"),
        ({"env": {"A": "@bad path@"}}, "not a nixpkgs attribute path"),
        ({"env": {"A": 1}}, "`env` must map names to strings"),
        ({"attrs": {"buildInputs": ["x"]}}, "cannot be set through env/attrs"),
        ({"attrs": {"a": {"b": 1}}}, "`attrs` values"),
        ({"sources": []}, "needs `sources`"),
        ({"cargo": "yes"}, "`cargo` must be true or false"),
    ],
)
def test_a_bad_entry_is_named(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(LockError, match="fix 'demo'") as raised:
        parse_table(table_with(entry))
    assert message in raised.value.message


def test_a_table_of_another_format_is_refused() -> None:
    with pytest.raises(LockError, match="format 1"):
        parse_table({"format": 2, "fixes": {}})


def test_alternatives_and_placeholders_are_attributes() -> None:
    table = parse_table(
        table_with({"buildInputs": [["libpq", "postgresql"]], "env": {"D": "@dev:hdf5@/x"}})
    )
    assert table.fixes["demo"].attributes() == ("libpq", "postgresql", "hdf5")


# --- choosing entries at lock time -------------------------------------------------------


def test_backend_entries_come_first_then_the_packages_own() -> None:
    packages = {
        "cryptography": package("cryptography", "44.0.0", build_system={"maturin": "maturin"}),
        "maturin": package("maturin", "1.7.0", provider="wheel", build_only=True),
    }
    fixes = matching_fixes(packages["cryptography"], packages, TABLE)
    assert [f.id for f in fixes] == ["maturin", "cryptography"]


def test_version_ranges_are_pep_440() -> None:
    assert [f.id for f in matching_fixes(package("python-snappy", "0.6.1"), {}, TABLE)] == [
        "python-snappy"
    ]
    assert matching_fixes(package("python-snappy", "0.7.0"), {}, TABLE) == ()
    assert matching_fixes(package("numpy", "2.0.0rc1"), {}, TABLE) != ()  # pre-releases too
    assert matching_fixes(package("numpy", "1.25.2"), {}, TABLE) == ()


def test_only_sdist_builds_get_fixes() -> None:
    packages = {
        "psycopg2": package("psycopg2", "2.9.9"),
        "lxml": package("lxml", "5.3.0", provider="wheel"),
        "six": package("six", "1.16.0"),
    }
    result = add_build_fixes(packages, no_download)
    assert result["psycopg2"].extra[FIXES_FIELD] == ["psycopg2"]
    assert FIXES_FIELD not in result["lxml"].extra
    assert result["six"] == packages["six"]


def test_a_direct_url_to_an_sdist_is_an_sdist_build() -> None:
    artifact = LockedArtifact(kind="url", url="https://x/psycopg2-2.9.9.tar.gz", sha256="0" * 64)
    url = attrs.evolve(package("psycopg2", "2.9.9", provider="url"), artifact=artifact)
    assert is_sdist_build(url)
    assert add_build_fixes({"psycopg2": url}, no_download)["psycopg2"].extra[FIXES_FIELD]


def test_the_lock_round_trips_the_fields() -> None:
    fixed = add_build_fixes({"cffi": package("cffi", "1.17.1")}, no_download)["cffi"]
    again = LockedPackage.from_json("cffi", json.loads(json.dumps(fixed.to_json())))
    assert again.extra[FIXES_FIELD] == ["cffi"]


# --- Rust crates -------------------------------------------------------------------------

CARGO_LOCK = f"""
version = 4

[[package]]
name = "demo"
version = "0.1.0"

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{SHA}"
"""


def sdist(tmp_path: Path, files: dict[str, str], name: str = "demo-1.0.tar.gz") -> Path:
    path = tmp_path / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as archive:
            for member, text in files.items():
                archive.writestr(member, text)
        return path
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("name", ["demo-1.0.tar.gz", "demo-1.0.zip"])
def test_crates_come_from_every_cargo_lock(tmp_path: Path, name: str) -> None:
    other = CARGO_LOCK.replace("itoa", "ryu").replace(SHA, "1" * 64)
    path = sdist(
        tmp_path, {"demo-1.0/Cargo.lock": CARGO_LOCK, "demo-1.0/src/x/Cargo.lock": other}, name
    )
    crates = read_crates(path)
    assert [(c.name, c.version, c.sha256) for c in crates] == [
        ("itoa", "1.0.11", SHA),
        ("ryu", "1.0.11", "1" * 64),
    ]


def test_a_maturin_sdist_records_its_crates(tmp_path: Path) -> None:
    path = sdist(tmp_path, {"demo-1.0/Cargo.lock": CARGO_LOCK})
    packages = {
        "demo": package("demo", build_system={"maturin": "maturin>=1"}),
        "maturin": package("maturin", "1.7.0", provider="wheel", build_only=True),
    }
    result = add_build_fixes(packages, lambda p: path)
    assert result["demo"].extra[FIXES_FIELD] == ["maturin"]
    assert result["demo"].extra[CARGO_FIELD] == [
        {"name": "itoa", "version": "1.0.11", "sha256": SHA}
    ]
    lines = applied_fixes(result["demo"])
    assert lines[0].startswith("build fix maturin (backend maturin): cargo, rustc")
    assert lines[-1] == "  1 crates from its Cargo.lock, vendored by Nix"


def test_a_git_crate_cannot_be_vendored(tmp_path: Path) -> None:
    git = CARGO_LOCK.replace('source = "registry+https://github.com/rust-lang/crates.io-index"', 'source = "git+https://example.org/itoa#abc"')  # fmt: skip
    with pytest.raises(ArtifactError, match=r"crate itoa 1.0.11 comes from git\+https"):
        read_crates(sdist(tmp_path, {"demo-1.0/Cargo.lock": git}))


def test_no_cargo_lock_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"has no Cargo\.lock") as raised:
        read_crates(sdist(tmp_path, {"demo-1.0/Cargo.toml": ""}))
    assert "-p NAME=wheel" in (raised.value.hint or "")


def test_a_broken_archive_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(b"not a tarball")
    with pytest.raises(ArtifactError, match=r"cannot read its Cargo\.lock"):
        read_crates(path)


# --- what `mach2 why` says ------------------------------------------------------------


def test_why_lines() -> None:
    fixed = add_build_fixes({"pyyaml": package("pyyaml", "6.0.2")}, no_download)["pyyaml"]
    assert applied_fixes(fixed) == [
        "build fix pyyaml (pyyaml >=5.4): libyaml, PYYAML_FORCE_LIBYAML=1",
        f"  why: {TABLE.fixes['pyyaml'].why}",
    ]
    assert applied_fixes(package("six")) == [
        "build fixes: none (mach2's table has no entry for six 1.0 or its build backend)"
    ]
    assert applied_fixes(package("six", provider="wheel")) == []
    stale = LockedPackage.from_json("x", {**package("x").to_json(), FIXES_FIELD: ["gone"]})
    assert applied_fixes(stale) == [
        "build fix gone: not in this mach2's table (revision 1); re-lock"
    ]
