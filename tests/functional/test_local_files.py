"""Wheels and sdists by ``file://`` URL, by path and by ``https://`` URL with a ``#sha256=``
(issue 14, items 4 and 10), as a user runs ``mach2 lock``.

Item 10: ``evil @ file:///abs/x.whl`` failed ("cannot reach file:///…whl.metadata"); local
files must lock, with the hash computed from the file.  Item 4: a wrong ``#sha256=`` on a
direct URL was written into the lock unchecked; it must fail at lock time, in the fragment's
own syntax.  Nothing here needs PyPI: the files are made in the test (no dependencies).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from test_cli_lock import TARGET, fails_cleanly, run, write

from mach2.lock.model import read_lock

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
from projects import http_server, make_sdist, make_wheel


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_local_wheel_by_file_url_locks(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "elsewhere", "evil", "1.0")
    project = tmp_path / "project"
    project.mkdir()
    write(project / "requirements.txt", f"evil @ {wheel.as_uri()}\n")
    result = run(project, "lock", "-r", "requirements.txt", *TARGET, "--offline")
    assert result.returncode == 0, result.stderr
    package = read_lock(project / "mach2.lock").packages["evil"]
    assert (package.version, package.provider) == ("1.0", "wheel")
    artifact = package.artifact
    assert (artifact.sha256, artifact.size) == (sha256(wheel), wheel.stat().st_size)
    # Outside the project: recorded by absolute path, no file:// URL to fetch it by.
    assert (artifact.url, artifact.extra["path"]) == (None, str(wheel))
    assert package.why_provider == "wheel: a direct reference to a local file"


def test_a_local_wheel_and_sdist_by_path_lock_relative_to_the_lock(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "evil", "1.0")
    sdist = make_sdist(tmp_path / "dist", "other", "2.0")
    write(tmp_path / "requirements.txt", f"./dist/{wheel.name}\nother @ ./dist/{sdist.name}\n")
    (tmp_path / "locks").mkdir()
    options = ["-r", "requirements.txt", *TARGET, "--offline", "-o", "locks/m.lock"]
    result = run(tmp_path, "lock", *options)
    assert result.returncode == 0, result.stderr
    lock = read_lock(tmp_path / "locks" / "m.lock")
    for key, file, provider in (("evil", wheel, "wheel"), ("other", sdist, "sdist")):
        package = lock.packages[key]
        assert package.provider == provider
        artifact = package.artifact
        assert (artifact.url, artifact.sha256) == (None, sha256(file))
        assert artifact.extra["path"] == f"../dist/{file.name}"  # relative to the lock


def test_a_wrong_sha256_fragment_on_a_file_url_fails_in_its_own_syntax(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "evil", "1.0")
    wrong = "0" * 64
    write(tmp_path / "requirements.txt", f"evil @ {wheel.as_uri()}#sha256={wrong}\n")
    line, hint = fails_cleanly(tmp_path, "-r", "requirements.txt", *TARGET, "--offline")
    assert line == (
        f"error: requirements.txt:1: {wheel.name}: the file's sha256 is {sha256(wheel)}, but its "
        f"URL says #sha256={wrong} ({wheel.as_uri()})"
    )
    assert hint == (
        "hint: correct the #sha256= fragment (or remove it: mach2 then records the file's own hash)"
    )


def test_a_wrong_sha256_fragment_on_an_https_url_fails_at_lock_time(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "served", "evil", "1.0")
    # The server has the PEP 658 metadata file too, as PyPI does: the wheel's metadata is read
    # without downloading it, so only an explicit check finds the wrong hash.
    (tmp_path / "served" / f"{wheel.name}.metadata").write_text(
        "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"
    )
    wrong = "ab" * 32
    with http_server(tmp_path / "served") as base:
        url = f"{base}/{wheel.name}"
        write(tmp_path / "requirements.txt", f"evil @ {url}#sha256={wrong}\n")
        line, _ = fails_cleanly(tmp_path, "-r", "requirements.txt", *TARGET)
        assert line == (
            f"error: requirements.txt:1: {wheel.name}: the file's sha256 is {sha256(wheel)}, "
            f"but its URL says #sha256={wrong} ({url})"
        )
        # the right hash locks, and so does none (the file's own hash is recorded)
        for fragment in (f"#sha256={sha256(wheel)}", ""):
            write(tmp_path / "requirements.txt", f"evil @ {url}{fragment}\n")
            result = run(tmp_path, "lock", "-r", "requirements.txt", *TARGET)
            assert result.returncode == 0, result.stderr
            artifact = read_lock(tmp_path / "mach2.lock").packages["evil"].artifact
            assert (artifact.url, artifact.sha256) == (url, sha256(wheel))


def test_a_wrong_hash_option_on_a_direct_url_fails(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "evil", "1.0")
    wrong = "cd" * 32
    write(tmp_path / "requirements.txt", f"evil @ {wheel.as_uri()} --hash=sha256:{wrong}\n")
    line, hint = fails_cleanly(tmp_path, "-r", "requirements.txt", *TARGET, "--offline")
    assert line == (
        f"error: requirements.txt:1: {wheel.name}: its sha256 {sha256(wheel)} is none of the "
        "--hash values given for it"
    )
    assert hint == "hint: correct the --hash option (pip hash FILE prints a file's)"
