"""``mach2 lock`` and ``mach2 why`` as a user runs them: a real process, real stderr.

Bad input (issue 2, "Done when") must end with exit code != 0, a first stderr line that starts
with ``error:`` and is the only line besides an optional ``hint:``, no traceback, and no lock
written (a lock already there is left byte for byte, mtime included).

Tests that reach PyPI are marked ``network``; they pin the index with ``--exclude-newer`` and
use a private ``--cache-dir``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from mach2.lock.model import (
    Lock,
    LockedArtifact,
    LockedPackage,
    LockInputs,
    SystemLock,
    read_lock,
    write_lock,
)
from mach2.model.target import Target

EXCLUDE_NEWER = "2026-11-01T00:00:00Z"
DATA = Path(__file__).resolve().parents[1] / "data"
TARGET = ["--python", "3.12", "--system", "x86_64-linux"]
SENTINEL = '{"lock-version": 1, "sentinel": "a lock from before"}\n'


@functools.cache
def mach2() -> tuple[str, ...]:
    """``python -m mach2.cli.main`` when that runs the CLI, else the ``mach2`` script."""
    probe = subprocess.run(
        [sys.executable, "-m", "mach2.cli.main", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0 and "version" in probe.stdout:
        return (sys.executable, "-m", "mach2.cli.main")
    script = Path(sys.executable).parent / "mach2"
    if script.exists():
        return (str(script),)
    found = shutil.which("mach2")
    assert found is not None, "the mach2 console script is not installed"
    return (found,)


def run(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "MACH2_"))}
    env["MACH2_CACHE_DIR"] = str(cwd / "default-cache")  # never the user's cache
    return subprocess.run(
        [*mach2(), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


PROGRESS = ("resolving: ", "patch plans: ", "indexing nixpkgs ")


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The ``error:`` line, after checking the whole shape of a clean failure: it ends stderr
    (with its hint), after at most the progress lines of long work."""
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if not line.startswith(PROGRESS)]
    assert lines, "nothing on stderr"
    assert lines[0].startswith("error: "), result.stderr
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), result.stderr
    return lines[0]


def fails_cleanly(tmp_path: Path, *args: str | Path, output: str = "out.lock") -> tuple[str, str]:
    """Run a lock that must fail twice: without a lock (none appears) and over an existing one
    (left untouched).  Returns the error line and the hint line (or "")."""
    before = set(os.listdir(tmp_path))
    fresh = run(tmp_path, "lock", *args, "-o", output)
    line = assert_one_line_error(fresh)
    assert not (tmp_path / output).exists()
    created = set(os.listdir(tmp_path)) - before - {"default-cache", "cache"}
    assert not created, f"left behind: {created}"

    existing = tmp_path / output
    existing.write_text(SENTINEL)
    os.utime(existing, ns=(1_000_000_000, 1_000_000_000))
    again = run(tmp_path, "lock", *args, "-o", output)
    assert assert_one_line_error(again) == line
    assert existing.read_text() == SENTINEL
    assert existing.stat().st_mtime_ns == 1_000_000_000
    existing.unlink()
    said = [line for line in fresh.stderr.splitlines() if not line.startswith(PROGRESS)]
    hint = said[1] if len(said) > 1 else ""
    return line, hint


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_cli_runs() -> None:
    result = subprocess.run([*mach2(), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "lock" in result.stdout and "why" in result.stdout


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mach2.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Usage" in result.stdout


# -- bad input, offline ------------------------------------------------------------------------


def test_malformed_requirement_line(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six\nrequests>=\n")
    line, _ = fails_cleanly(tmp_path, "-r", "requirements.txt", *TARGET)
    assert line.startswith("error: requirements.txt:2: invalid requirement 'requests>='")


def test_missing_include(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six\n-r missing.txt\n")
    line, hint = fails_cleanly(tmp_path, "-r", "requirements.txt", *TARGET)
    assert line == "error: requirements.txt:2: no such file 'missing.txt'"
    assert hint == "hint: check the path and the directory"


def test_missing_requirements_file(tmp_path: Path) -> None:
    line, _ = fails_cleanly(tmp_path, "-r", "nope.txt", *TARGET)
    assert line == "error: no such requirements file: 'nope.txt'"


def test_no_requirements(tmp_path: Path) -> None:
    line, _ = fails_cleanly(tmp_path, *TARGET)
    assert line == "error: no requirements given"


@pytest.mark.parametrize(
    ("providers", "expected"),
    [
        ("wheal", "error: unknown provider 'wheal' in -p 'wheal' (_default)"),
        (
            "_default=wheel;numpy=pypi",
            "error: unknown provider 'pypi' in -p '_default=wheel;numpy=pypi' (numpy)",
        ),
        (
            "_default=wheel;numpy",
            "error: invalid provider entry 'numpy' in -p '_default=wheel;numpy'",
        ),
        ("wheel,nixpkgs", "error: provider 'nixpkgs' (asked for _default) is not available"),
    ],
)
def test_bad_provider_option(tmp_path: Path, providers: str, expected: str) -> None:
    write(tmp_path / "requirements.txt", "six\n")
    line, _ = fails_cleanly(
        tmp_path,
        "-r",
        "requirements.txt",
        "-p",
        providers,
        *TARGET,
        "--cache-dir",
        tmp_path / "cache",
    )
    assert line == expected


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--python", "2.7"], "error: unsupported Python version '2.7'"),
        (["--system", "windows"], "error: unknown system 'windows'"),
        (["--exclude-newer", "yesterday"], "error: invalid --exclude-newer 'yesterday'"),
        (["--glibc", "two"], "error: invalid glibc version 'two'"),
    ],
)
def test_bad_target_options(tmp_path: Path, option: list[str], expected: str) -> None:
    write(tmp_path / "requirements.txt", "six\n")
    line, _ = fails_cleanly(tmp_path, "-r", "requirements.txt", *option)
    assert line == expected


def test_unreachable_index(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six\n")
    line, hint = fails_cleanly(
        tmp_path,
        "-r",
        "requirements.txt",
        *TARGET,
        "--index-url",
        "http://127.0.0.1:9/simple/",
        "--cache-dir",
        tmp_path / "cache",
    )
    assert line.startswith("error: cannot reach http://127.0.0.1:9/simple/six/: ")
    assert hint == "hint: check the URL / network, or use --offline with a warm cache"


def test_offline_with_a_cold_cache(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six\n")
    line, hint = fails_cleanly(
        tmp_path, "-r", "requirements.txt", *TARGET, "--offline", "--cache-dir", tmp_path / "cache"
    )
    assert line == "error: https://pypi.org/simple/six/ is not in the cache (offline)"
    assert hint == "hint: run once without --offline to fill the cache"


# -- mach2 why, offline ----------------------------------------------------------------------


def handmade_lock() -> Lock:
    def package(name: str, deps: dict[str, str], **kw: object) -> LockedPackage:
        return LockedPackage(
            key=name,
            name=name,
            version="1.0",
            provider=str(kw.pop("provider", "wheel")),
            why_provider=f"wheel is first for {name} in your _default=wheel,sdist",
            artifact=LockedArtifact(kind="wheel", filename=f"{name}.whl", url="u", sha256="0" * 64),
            dependencies=deps,
            **kw,  # type: ignore[arg-type]
        )

    packages = {
        "app": package("app", {"lib": "lib[fast]>=1"}),
        "lib": package("lib", {"speedups": "speedups"}, extras=("fast",)),
        "speedups": package("speedups", {}),
        "src": package("src", {}, provider="sdist", build_system={"flit-core": "flit_core>=3"}),
        "flit-core": package("flit-core", {}, build_only=True),
    }
    return Lock.single(
        target=Target.from_strings("3.12", "x86_64-linux"),
        inputs=LockInputs(requirements_sha256="0" * 64, providers="_default=wheel,sdist"),
        roots=("app", "src"),
        packages=packages,
    )


def two_system_lock() -> Lock:
    """handmade_lock on x86_64-linux; on aarch64-darwin lib is 0.9 (a note says why) and
    app also needs appnope (a darwin-only dependency)."""
    linux = handmade_lock()
    packages = dict(linux.packages)
    packages["lib"] = attrs.evolve(
        packages["lib"], version="0.9", why_version="differs per system (--split-versions): …"
    )
    packages["app"] = attrs.evolve(
        packages["app"], dependencies={**packages["app"].dependencies, "appnope": "appnope"}
    )
    packages["appnope"] = attrs.evolve(packages["speedups"], key="appnope", name="appnope")
    darwin = SystemLock(
        target=Target.from_strings("3.12", "aarch64-darwin"),
        roots=("app", "src"),
        packages=packages,
    )
    return attrs.evolve(linux, systems={**linux.systems, "aarch64-darwin": darwin})


def test_why_follows_the_chain_from_the_roots(tmp_path: Path) -> None:
    write_lock(handmade_lock(), tmp_path / "mach2.lock")
    result = run(tmp_path, "why", "Speedups")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "speedups 1.0 from wheel",
        "  provider: wheel is first for speedups in your _default=wheel,sdist",
        "  required by: app [lib[fast]>=1] → lib [speedups] → speedups",
    ]
    lib = run(tmp_path, "why", "lib", "--lock", tmp_path / "mach2.lock")
    assert lib.stdout.splitlines()[2:] == [
        "  extras: fast",
        "  required by: app [lib[fast]>=1] → lib",
    ]
    root = run(tmp_path, "why", "app")
    assert root.stdout.splitlines()[-1] == "  requested: app"
    build = run(tmp_path, "why", "flit_core")
    assert build.stdout.splitlines()[-1] == "  required by: src (build) [flit_core>=3] → flit-core"


def test_why_errors(tmp_path: Path) -> None:
    write_lock(handmade_lock(), tmp_path / "mach2.lock")
    line = assert_one_line_error(run(tmp_path, "why", "nope"))
    assert line == "error: 'nope' is not in mach2.lock"
    line = assert_one_line_error(run(tmp_path, "why", "app", "--lock", "missing.lock"))
    assert line == "error: no lock file at 'missing.lock'"
    write(tmp_path / "bad.lock", '{"lock-version": 0}')
    line = assert_one_line_error(run(tmp_path, "why", "app", "--lock", "bad.lock"))
    assert line == "error: bad.lock: unsupported lock-version 0 (this mach2 reads 1 and 2)"
    write(tmp_path / "new.lock", '{"lock-version": 7}')
    line = assert_one_line_error(run(tmp_path, "why", "app", "--lock", "new.lock"))
    assert line == (
        "error: new.lock: lock-version 7 was written by a newer mach2 "
        "(this mach2 reads lock-version 1 and 2)"
    )
    write(tmp_path / "broken.lock", "{")
    line = assert_one_line_error(run(tmp_path, "why", "app", "--lock", "broken.lock"))
    assert line.startswith("error: broken.lock: not valid JSON (line 1: ")


def test_why_names_the_requirement_s_file_and_line(tmp_path: Path) -> None:
    # The lock names its input files (with their sha256); `why` reads them again to say
    # where each root was asked for, as the resolver's errors do (issue 14 item 8).
    text = "# the app\napp\nsrc>=1 ; python_version >= '3'\n"
    write(tmp_path / "requirements.txt", text)
    sha = hashlib.sha256(text.encode()).hexdigest()
    lock = handmade_lock()
    lock = Lock.single(
        target=lock.target,
        inputs=LockInputs(
            requirements_sha256=sha, providers=lock.inputs.providers,
            files={"requirements.txt": sha},
        ),
        roots=lock.roots,
        packages=lock.packages,
    )  # fmt: skip
    write_lock(lock, tmp_path / "mach2.lock")
    root = run(tmp_path, "why", "src")
    assert root.stdout.splitlines()[-1] == ("  requested: requirements.txt:3: src>=1"), root.stdout
    chain = run(tmp_path, "why", "speedups")
    assert chain.stdout.splitlines()[-1] == (
        "  required by: requirements.txt:2: app [lib[fast]>=1] → lib [speedups] → speedups"
    )
    # From another directory, the file is named from there.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = run(elsewhere, "why", "app", "--lock", "../mach2.lock")
    assert root.stdout.splitlines()[-1] == "  requested: ../requirements.txt:2: app"
    # A file changed since the lock was made gives no line numbers (they may be wrong).
    write(tmp_path / "requirements.txt", "\n" + text)
    assert run(tmp_path, "why", "app").stdout.splitlines()[-1] == "  requested: app"


def test_why_suggests_the_conda_name(tmp_path: Path) -> None:
    lock = handmade_lock()
    conda = LockedPackage(
        key="conda:libgcc-ng",
        name="libgcc-ng",
        version="14.2.0",
        provider="conda",
        why_provider="conda-only package",
        artifact=LockedArtifact(kind="conda", filename="libgcc-ng.conda", url="u", sha256="0" * 64),
    )
    packages = {**lock.packages, "conda:libgcc-ng": conda}
    write_lock(Lock.single(target=lock.target, inputs=lock.inputs, roots=lock.roots,
                           packages=packages), tmp_path / "mach2.lock")  # fmt: skip
    result = run(tmp_path, "why", "libgcc-ng")
    assert_one_line_error(result)
    assert result.stderr.splitlines() == [
        "error: 'libgcc-ng' is not in mach2.lock",
        "hint: did you mean conda:libgcc-ng? (a conda package that is not a PyPI project)",
    ]
    assert run(tmp_path, "why", "conda:libgcc-ng").returncode == 0
    # A near miss among the lock's names is suggested too.
    near = run(tmp_path, "why", "speedup")
    assert near.stderr.splitlines()[1] == "hint: did you mean speedups?"


def test_why_on_a_lock_of_two_systems(tmp_path: Path) -> None:
    write_lock(two_system_lock(), tmp_path / "mach2.lock")
    lib = run(tmp_path, "why", "lib")
    assert lib.returncode == 0, lib.stderr
    assert lib.stdout.splitlines() == [
        "[x86_64-linux] lib 1.0 from wheel",
        "[aarch64-darwin] lib 0.9 from wheel",
        "  provider: wheel is first for lib in your _default=wheel,sdist",
        "  extras: fast",
        "  required by: app [lib[fast]>=1] → lib",
        "  [aarch64-darwin] version: differs per system (--split-versions): …",
    ]
    appnope = run(tmp_path, "why", "appnope")
    assert appnope.stdout.splitlines() == [
        "appnope 1.0 from wheel",
        "  only on aarch64-darwin (not x86_64-linux)",
        "  provider: wheel is first for speedups in your _default=wheel,sdist",
        "  required by: app [appnope] → appnope",
    ]
    one = run(tmp_path, "why", "lib", "--system", "x86_64-linux")
    assert one.stdout.splitlines()[0] == "lib 1.0 from wheel"
    line = assert_one_line_error(run(tmp_path, "why", "appnope", "--system", "x86_64-linux"))
    assert line == "error: 'appnope' is not in mach2.lock for x86_64-linux"
    line = assert_one_line_error(run(tmp_path, "why", "app", "--system", "aarch64-linux"))
    assert (
        line
        == "error: mach2.lock has no entries for aarch64-linux (it has x86_64-linux, aarch64-darwin)"
    )


def test_why_on_a_lock_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "mach2.lock").write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line_error(run(tmp_path, "why", "app"))


# -- against PyPI ------------------------------------------------------------------------------


def pypi(cache: Path) -> list[str]:
    return [*TARGET, "--exclude-newer", EXCLUDE_NEWER, "--cache-dir", str(cache)]


@pytest.mark.network
def test_unknown_package(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six\nthis-package-does-not-exist-mach2-test\n")
    line, hint = fails_cleanly(tmp_path, "-r", "requirements.txt", *pypi(tmp_path / "cache"))
    assert line == (
        "error: no package named 'this-package-does-not-exist-mach2-test' on https://pypi.org/simple/"
    )
    assert hint == "hint: check the spelling and the index URLs"


@pytest.mark.network
def test_impossible_set(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "numpy<1\nnumpy>2\n")
    line, _ = fails_cleanly(tmp_path, "-r", "requirements.txt", *pypi(tmp_path / "cache"))
    assert "numpy<1" in line
    assert "requirements.txt:1" in line


@pytest.mark.network
def test_lock_why_json_and_an_unchanged_relock(tmp_path: Path) -> None:
    write(tmp_path / "req.txt", "requests\n")
    options = ["-r", "req.txt", *pypi(tmp_path / "cache")]
    first = run(tmp_path, "lock", *options)
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines()[-1] == (
        "wrote mach2.lock: 5 packages for CPython 3.12.12 on x86_64-linux (glibc 2.40)"
    )
    lock_path = tmp_path / "mach2.lock"
    lock = read_lock(lock_path)
    assert set(lock.packages) == {"requests", "idna", "urllib3", "certifi", "charset-normalizer"}
    assert lock.roots == ("requests",)
    assert lock.exclude_newer == EXCLUDE_NEWER
    for package in lock.packages.values():
        assert package.provider == "wheel"
        assert package.artifact.sha256 is not None and len(package.artifact.sha256) == 64
        assert package.artifact.url and package.artifact.url.startswith("https://")
    assert lock.inputs.requirements_sha256 == hashlib.sha256(b"requests\n").hexdigest()

    idna = lock.packages["idna"]
    why = run(tmp_path, "why", "idna", "--lock", "mach2.lock")
    assert why.returncode == 0, why.stderr
    assert why.stdout.splitlines() == [
        f"idna {idna.version} from wheel",
        "  provider: wheel is first for idna in built-in _default=wheel,sdist,nixpkgs",
        "  required by: req.txt:1: "
        f"requests [{lock.packages['requests'].dependencies['idna']}] → idna",
    ]

    bytes_before = lock_path.read_bytes()
    os.utime(lock_path, ns=(1_000_000_000, 1_000_000_000))
    again = run(tmp_path, "lock", *options, "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["changed"] is False
    assert summary["lock"] == "mach2.lock"
    assert summary["target"] == {"python": "3.12.12", "system": "x86_64-linux", "glibc": "2.40"}
    assert summary["packages"] == {
        k: {"version": p.version, "provider": p.provider, "build-only": False}
        for k, p in lock.packages.items()
    }
    assert lock_path.read_bytes() == bytes_before
    assert lock_path.stat().st_mtime_ns == 1_000_000_000

    quiet = run(tmp_path, "lock", *options, "--offline")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.splitlines()[-1].startswith("unchanged mach2.lock: 5 packages")
    assert lock_path.read_bytes() == bytes_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "mach2.lock", "req.txt"]


# -- corrupt cache entries ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def warm_six_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache filled by a real lock of ``six``."""
    work = tmp_path_factory.mktemp("warm")
    write(work / "requirements.txt", "six\n")
    result = run(work, "lock", "-r", "requirements.txt", *pypi(work / "cache"))
    assert result.returncode == 0, result.stderr
    return work / "cache"


def page_of_six(cache: Path) -> Path:
    (page,) = cache.glob("pypi/pages-v2/*/six")
    return page


def metadata_of_six(cache: Path) -> Path:
    (entry,) = cache.glob("pypi/metadata-v1/*/*.metadata")
    return entry


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


def garbage(path: Path) -> None:
    path.write_bytes(b"garbage\n")


def append_byte(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"X")


CORRUPTIONS: list[tuple[str, Callable[[Path], Path], Callable[[Path], None]]] = [
    ("page-truncated", page_of_six, truncate),
    ("page-garbage", page_of_six, garbage),
    ("metadata-changed", metadata_of_six, append_byte),
]


@pytest.mark.network
@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
@pytest.mark.parametrize(
    ("entry", "corrupt"), [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS]
)
def test_corrupt_cache_entry(
    tmp_path: Path,
    warm_six_cache: Path,
    entry: Callable[[Path], Path],
    corrupt: Callable[[Path], None],
    offline: bool,
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(warm_six_cache, cache)
    damaged = entry(cache)
    corrupt(damaged)
    write(tmp_path / "requirements.txt", "six\n")
    args = ["-r", "requirements.txt", *pypi(cache), *(["--offline"] if offline else [])]
    line, hint = fails_cleanly(tmp_path, *args)
    assert line.startswith(f"error: corrupt cache entry {damaged}: ")
    assert hint == "hint: delete it or run with --refresh"
    # --refresh replaces the damaged entry
    repaired = run(tmp_path, "lock", "-r", "requirements.txt", *pypi(cache), "--refresh")
    assert repaired.returncode == 0, repaired.stderr
    assert read_lock(tmp_path / "mach2.lock").packages["six"].artifact.sha256 is not None


@pytest.mark.network
def test_a_flipped_byte_in_a_cached_page_is_detected(tmp_path: Path, warm_six_cache: Path) -> None:
    write(tmp_path / "requirements.txt", "six\n")
    reference = run(
        tmp_path, "lock", "-r", "requirements.txt", *pypi(warm_six_cache), "-o", "ref.lock"
    )
    assert reference.returncode == 0, reference.stderr
    sha256 = read_lock(tmp_path / "ref.lock").packages["six"].artifact.sha256
    assert sha256 is not None
    (tmp_path / "ref.lock").unlink()

    cache = tmp_path / "cache"
    shutil.copytree(warm_six_cache, cache)
    page = page_of_six(cache)
    data = bytearray(page.read_bytes())
    at = data.index(sha256.encode())
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    page.write_bytes(bytes(data))
    # Online: the metadata, cached under the real sha256, is fetched again for the wrong one.
    fails_cleanly(tmp_path, "-r", "requirements.txt", *pypi(cache))


@pytest.mark.network
def test_check_tells_a_fresh_lock_from_a_stale_one(tmp_path: Path) -> None:
    write(tmp_path / "req.txt", "six\n")
    options = ["-r", "req.txt", *pypi(tmp_path / "cache")]
    assert run(tmp_path, "lock", *options).returncode == 0
    before = (tmp_path / "mach2.lock").read_bytes()
    fresh = run(tmp_path, "lock", *options, "--check")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stderr.strip() == "mach2.lock is up to date (x86_64-linux)"
    write(tmp_path / "req.txt", "six\nidna\n")
    stale = run(tmp_path, "lock", *options, "--check")
    assert stale.returncode == 1
    assert stale.stderr.splitlines() == [
        "error: mach2.lock is stale: req.txt changed",
        "hint: run the same command without --check to lock again",
    ]
    assert (tmp_path / "mach2.lock").read_bytes() == before  # --check never writes


@pytest.mark.network
def test_systems_are_part_of_the_lock_and_kept_on_relock(tmp_path: Path) -> None:
    write(tmp_path / "req.txt", "six\n")
    common = ["-r", "req.txt", "--python", "3.12", *pypi(tmp_path / "cache")[4:]]
    two = ["--system", "x86_64-linux", "--system", "aarch64-darwin"]
    made = run(tmp_path, "lock", *common, *two)
    assert made.returncode == 0, made.stderr
    assert made.stderr.splitlines()[-1] == (
        "wrote mach2.lock: packages for CPython 3.12.12: 1 on x86_64-linux, 1 on aarch64-darwin"
    )
    assert read_lock(tmp_path / "mach2.lock").system_names == ("x86_64-linux", "aarch64-darwin")
    # no --system: the lock's own systems, for --check and for a re-lock alike
    fresh = run(tmp_path, "lock", *common, "--check")
    assert fresh.stderr.strip() == "mach2.lock is up to date (x86_64-linux, aarch64-darwin)"
    again = run(tmp_path, "lock", *common)
    assert again.stderr.splitlines()[-1].startswith("unchanged mach2.lock: ")
    stale = run(tmp_path, "lock", *common, "--system", "x86_64-linux", "--check")
    assert stale.returncode == 1
    assert stale.stderr.splitlines()[0] == (
        "error: mach2.lock is stale: the systems changed: x86_64-linux, aarch64-darwin → "
        "x86_64-linux"
    )
    both = run(tmp_path, "lock", *common, "--all-systems", "--system", "x86_64-linux")
    assert assert_one_line_error(both) == "error: --all-systems and --system go separately"
    unknown = run(tmp_path, "lock", *common, "--system", "riscv64-linux")
    assert assert_one_line_error(unknown) == "error: unknown system 'riscv64-linux'"
    summary = json.loads(run(tmp_path, "lock", *common, "--all-systems", "--json").stdout)
    assert sorted(summary["systems"]) == sorted(
        ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"]
    )
    assert "packages" not in summary  # per system only, when there are several
    assert summary["systems"]["x86_64-darwin"]["target"]["macos"] == "13.0"


def test_a_relock_keeps_the_locks_python_and_floors_unless_named(tmp_path: Path) -> None:
    """The lock was made with --python 3.12 --glibc 2.28: `--check` (and `mach2 env` on the
    directory) without them checks that target, not the defaults; naming one changes it."""
    shutil.copy(DATA / "lock-version-1" / "req.txt", tmp_path / "req.txt")
    shutil.copy(DATA / "lock-version-1" / "mach2.lock", tmp_path / "mach2.lock")
    bare = ["-r", "req.txt", "--exclude-newer", EXCLUDE_NEWER,
            "--cache-dir", str(tmp_path / "cache"), "--no-patchelf", "--check"]  # fmt: skip
    check = run(tmp_path, "lock", *bare)
    assert check.returncode == 0, check.stderr
    assert check.stderr.splitlines()[0] == "mach2.lock is up to date (x86_64-linux)"
    other = run(tmp_path, "lock", *bare, "--python", "3.11")
    assert other.returncode == 1
    assert other.stderr.splitlines()[0] == (
        "error: mach2.lock is stale: the target changed: python 3.12.12 → 3.11.14"
    )
    newer = run(tmp_path, "lock", *bare, "--glibc", "2.40")
    assert newer.returncode == 1
    assert newer.stderr.splitlines()[0] == (
        "error: mach2.lock is stale: the target changed: glibc 2.28 → 2.40"
    )
    # a darwin-only re-lock of it does not carry the Linux floor over
    darwin = run(tmp_path, "lock", *bare, "--system", "aarch64-darwin")
    assert darwin.returncode == 1
    assert darwin.stderr.splitlines()[0] == (
        "error: mach2.lock is stale: the target changed: system x86_64-linux → aarch64-darwin, "
        "glibc 2.28 → none, macos none → 13.0"
    )


def test_a_lock_version_1_is_read_checked_and_rewritten(tmp_path: Path) -> None:
    """A lock of today's mach2 before systems (lock-version 1): --check passes (the input
    hash of one system is unchanged), `mach2 why` reads it, a re-lock writes version 2."""
    shutil.copy(DATA / "lock-version-1" / "req.txt", tmp_path / "req.txt")
    old = json.loads((DATA / "lock-version-1" / "mach2.lock").read_text())
    assert old["lock-version"] == 1
    shutil.copy(DATA / "lock-version-1" / "mach2.lock", tmp_path / "mach2.lock")
    options = ["-r", "req.txt", *TARGET, "--glibc", "2.28", "--exclude-newer", EXCLUDE_NEWER,
               "--cache-dir", str(tmp_path / "cache"), "--no-patchelf"]  # fmt: skip
    check = run(tmp_path, "lock", *options, "--check")
    assert check.returncode == 0, check.stderr
    assert check.stderr.splitlines() == [
        "mach2.lock is up to date (x86_64-linux)",
        "note: mach2.lock is lock-version 1; `mach2 lock` rewrites it as lock-version 2",
    ]
    why = run(tmp_path, "why", "six")
    assert why.stdout.splitlines()[0] == f"six {old['packages']['six']['version']} from wheel"
    # `mach2 env` keeps the fresh lock (nothing is resolved: offline works) and writes it back
    # as lock-version 2, with the same packages.
    (tmp_path / "env").mkdir()
    shutil.copy(tmp_path / "mach2.lock", tmp_path / "env" / "mach2.lock")
    env = run(tmp_path, "env", "env", *options, "--offline")
    assert env.returncode == 0, env.stderr
    assert (
        "note: env/mach2.lock was lock-version 1; it is rewritten as lock-version 2 "
        "(the same packages)"
    ) in env.stderr.splitlines()
    new = json.loads((tmp_path / "env" / "mach2.lock").read_text())
    assert new["lock-version"] == 2 and new["inputs"] == old["inputs"]
    assert new["systems"] == {"x86_64-linux": {"glibc": "2.28"}}
    assert new["packages"] == old["packages"]
