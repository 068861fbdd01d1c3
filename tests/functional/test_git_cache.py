"""Git requirements at lock time (mach2.providers.direct.git) against repositories made in the
test, over file://, HTTP (git's dumb protocol) and git daemon: resolving tags, branches and
commits, checkouts, and what goes wrong."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mach2.errors import ArtifactError, InputError
from mach2.providers.direct.git import GitCache, GitError, parse_git_url

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "direct"))
from projects import bare_copy, commit_all, git, git_daemon, git_repository, http_server

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.mark.parametrize(
    ("url", "repository", "rev", "subdirectory"),
    [
        ("git+https://h.org/a/b.git", "https://h.org/a/b.git", None, None),
        ("git+https://h.org/a/b.git@v1.2#egg=b", "https://h.org/a/b.git", "v1.2", None),
        ("git+ssh://git@h.org/a/b.git@main#subdirectory=x/./y/", "ssh://git@h.org/a/b.git", "main", "x/y"),
        ("git+file:///srv/r@" + "a" * 40, "file:///srv/r", "a" * 40, None),
        ("git+git://h.org/r@refs/pull/1/head", "git://h.org/r", "refs/pull/1/head", None),
        ("git+https://u:p@h.org/r@v%2B1", "https://u:p@h.org/r", "v+1", None),
    ],
)  # fmt: skip
def test_parse_git_url(
    url: str, repository: str, rev: str | None, subdirectory: str | None
) -> None:
    parsed = parse_git_url(url)
    assert (parsed.repository, parsed.rev, parsed.subdirectory) == (repository, rev, subdirectory)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("git+https://h/r#subdirectory=../x", "subdirectory '../x' of 'git+https://h/r#subdirectory=../x' leaves the repository"),
        ("git+https://h/r#subdirectory=/etc", "subdirectory '/etc' of 'git+https://h/r#subdirectory=/etc' leaves the repository"),
        ("git+https://h/r#subdirectory=a/../../b", "subdirectory 'a/../../b' of 'git+https://h/r#subdirectory=a/../../b' leaves the repository"),
        ("git+ftp://h/r", "git+ftp URLs are not supported ('git+ftp://h/r')"),
        ("git+https://h/r@", "'git+https://h/r@' has an empty @rev"),
    ],
)  # fmt: skip
def test_parse_git_url_refuses(url: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_git_url(url)
    assert info.value.message == message


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """main: c1 (tag v1, annotated tag v1-notes) → c2; branch feature: c3 (not on main)."""
    repo = git_repository(tmp_path / "repo")
    (repo / "a.txt").write_text("one\n")
    commits = {"c1": commit_all(repo, "one")}
    git(repo, "tag", "v1")
    git(repo, "tag", "-a", "v1-notes", "-m", "annotated")
    (repo / "a.txt").write_text("two\n")
    commits["c2"] = commit_all(repo, "two")
    git(repo, "checkout", "-q", "-b", "feature", commits["c1"])
    (repo / "b.txt").write_text("feature\n")
    commits["c3"] = commit_all(repo, "three")
    git(repo, "checkout", "-q", "main")
    yield repo, commits


@pytest.mark.parametrize(
    ("rev", "commit"),
    [(None, "c2"), ("main", "c2"), ("v1", "c1"), ("v1-notes", "c1"), ("feature", "c3")],
)
def test_resolve_names(
    tmp_path: Path, repository: tuple[Path, dict[str, str]], rev: str | None, commit: str
) -> None:
    repo, commits = repository
    cache = GitCache(tmp_path / "cache")
    suffix = "" if rev is None else f"@{rev}"
    assert cache.resolve(parse_git_url(f"git+{repo.as_uri()}{suffix}")) == commits[commit]


def test_commits_full_and_short(tmp_path: Path, repository: tuple[Path, dict[str, str]]) -> None:
    repo, commits = repository
    cache = GitCache(tmp_path / "cache")
    full = commits["c3"]
    assert cache.resolve(parse_git_url(f"git+{repo.as_uri()}@{full}")) == full
    assert cache.resolve(parse_git_url(f"git+{repo.as_uri()}@{full[:9]}")) == full


def test_checkout_of_a_commit_off_the_default_branch(
    tmp_path: Path, repository: tuple[Path, dict[str, str]]
) -> None:
    repo, commits = repository
    cache = GitCache(tmp_path / "cache")
    url = parse_git_url(f"git+{repo.as_uri()}@feature")
    cache.checkout(url, commits["c3"], tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt", "b.txt"]
    assert (tmp_path / "out" / "a.txt").read_text() == "one\n"


@pytest.mark.parametrize("transport", ["http", "daemon"])
def test_remote_transports(
    tmp_path: Path, repository: tuple[Path, dict[str, str]], transport: str
) -> None:
    repo, commits = repository
    served = tmp_path / "served"
    bare_copy(repo, served / "repo.git")
    server = http_server(served) if transport == "http" else git_daemon(served)
    with server as base:
        cache = GitCache(tmp_path / "cache")
        url = parse_git_url(f"git+{base}/repo.git@v1")
        assert cache.resolve(url) == commits["c1"]
        cache.checkout(url, commits["c1"], tmp_path / "out")
        assert (tmp_path / "out" / "a.txt").read_text() == "one\n"


def test_offline_uses_what_an_earlier_lock_recorded(
    tmp_path: Path, repository: tuple[Path, dict[str, str]]
) -> None:
    repo, commits = repository
    url = parse_git_url(f"git+{repo.as_uri()}@v1")
    online = GitCache(tmp_path / "cache")
    assert online.resolve(url) == commits["c1"]
    online.checkout(url, commits["c1"], tmp_path / "first")
    shutil.rmtree(repo)
    offline = GitCache(tmp_path / "cache", offline=True)
    assert offline.resolve(url) == commits["c1"]
    offline.checkout(url, commits["c1"], tmp_path / "again")
    assert (tmp_path / "again" / "a.txt").read_text() == "one\n"
    with pytest.raises(GitError, match="'v2' is not in the cache \\(offline\\)"):
        offline.resolve(parse_git_url(f"git+{repo.as_uri()}@v2"))


def test_errors_are_one_line(tmp_path: Path, repository: tuple[Path, dict[str, str]]) -> None:
    repo, _ = repository
    cache = GitCache(tmp_path / "cache")
    with pytest.raises(GitError) as info:
        cache.resolve(parse_git_url(f"git+{repo.as_uri()}@v9"))
    assert info.value.message == f"{repo.as_uri()} has no tag or branch 'v9'"
    missing = (tmp_path / "missing").as_uri()
    with pytest.raises(GitError) as info:
        cache.resolve(parse_git_url(f"git+{missing}@v1"))
    assert info.value.message.startswith(f"cannot reach the git repository {missing}: fatal: ")
    assert "\n" not in info.value.message


def test_a_submodule_is_refused(tmp_path: Path, repository: tuple[Path, dict[str, str]]) -> None:
    repo, _ = repository
    outer = git_repository(tmp_path / "outer")
    (outer / "x").write_text("x\n")
    git(
        outer,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "--quiet",
        "add",
        repo.as_uri(),
        "inner",
    )
    commit = commit_all(outer, "with a submodule")
    cache = GitCache(tmp_path / "cache")
    with pytest.raises(
        ArtifactError, match="has a git submodule \\(inner\\), which mach2 does not fetch"
    ):
        cache.checkout(parse_git_url(f"git+{outer.as_uri()}"), commit, tmp_path / "out")
