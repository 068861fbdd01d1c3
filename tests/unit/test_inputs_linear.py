"""Input readers finish on huge adversarial inputs (issue 14 item 11): a hang guard.

Each case writes a ~1 MB input that made a reader backtrack (a regex retrying a long run of
spaces from every position), copy (shlex growing a token one character at a time) or
recurse (nested brackets), and reads it in a subprocess that must end within ``TIMEOUT``.
Linear readers take well under a second here; the quadratic ones took about an hour for 1 MB
(one minute for 100 KB of spaces), so the bound is far from both and measures no speed.  The
outcome is checked too: the input is read, or refused with a one-line error naming the file
(and quoting at most a short piece of the input).
"""

from __future__ import annotations

import random
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mach2.errors import InputError
from mach2.inputs.environment_yml import _key_value, _selector
from mach2.inputs.requirements import _is_comment, _shell_words, _split_extras, _without_comment
from mach2.providers.conda.matchspec import _BRACKET_ITEM, _split_version_build
from mach2.providers.conda.versionspec import _tokens, glob_pattern

#: 1 MB: a quadratic reader needs about an hour for it (and exponential ones forever)
N = 1_000_000
#: a hang guard, not a speed test: linear readers finish in well under a second
TIMEOUT = 60

READ = """
import sys
from pathlib import Path
from mach2.errors import InputError
from mach2.inputs import read_input
from mach2.providers.pypi.pages import parse_page

path, kind = Path(sys.argv[1]), sys.argv[2]
try:
    if kind == "page":
        rows = parse_page(path.read_bytes(), "text/html", "https://example.org/simple/x/")
        print("ok", [row[0] for row in rows])
    elif kind == "match":
        from mach2.providers.conda.matchspec import MatchSpec
        sys.path.insert(0, sys.argv[3])
        from conda_fixtures import rec
        spec = MatchSpec.parse(path.read_text())
        print("ok", spec.matches(rec("numpy", "1.0", "a" * 60)), spec.matches(rec("numpy", "1.0", "a" * 59 + "b")))
    else:
        read = read_input(path)
        print("ok", [e.requirement.name for e in read.requirements], [e.spec.name for e in read.conda])
except InputError as error:
    print("error", error)
"""

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "conda"


def _nested_or_and(depth: int) -> str:
    text = "1"
    for level in range(depth):
        text = f"({text}{'|' if level % 2 else ','}2)"
    return text


#: id -> (file name, content, expected first line: "ok ..." or an error's text after the path)
CASES: dict[str, tuple[str, Callable[[], str], str]] = {
    # requirements files
    "requirements-trailing-spaces": (
        "requirements.txt", lambda: "requests" + " " * N + "\n", "ok ['requests'] []"
    ),
    "requirements-spaces-before-specifier": (
        "requirements.txt", lambda: "requests" + " " * N + ">=2\n", "ok ['requests'] []"
    ),
    "requirements-long-option-value": (
        "requirements.txt", lambda: "--extra-index-url https://x/" + "a" * 4 * N + "\nb\n", "ok ['b'] []"
    ),
    "requirements-editable-brackets": (
        "requirements.txt", lambda: "-e ./x" + "[" * N + "#egg=x\n", "ok ['x'] []"
    ),
    # direct references: bare paths and URLs, ``name @ ./path``, git fragments
    "requirements-bare-path-long": (
        "requirements.txt", lambda: "./" + "a/" * (N // 2) + "\n", ":1: "
    ),
    "requirements-bare-archive-dashes": (
        "requirements.txt", lambda: "./" + "-" * N + ".tar.gz\n", ":1: invalid requirement"
    ),
    "requirements-named-path-long": (
        "requirements.txt", lambda: "a @ ./" + "b/../" * (N // 5) + "\n", "ok ['a'] []"
    ),
    "requirements-git-fragment-long": (
        "requirements.txt", lambda: "git+https://x/y#" + "egg=a&" * (N // 6) + "\n", "ok ['a'] []"
    ),
    "requirements-git-at-brackets": (
        "requirements.txt", lambda: "a @ git+https://x/y@" + "[" * N + "\n", "ok ['a'] []"
    ),
    "requirements-nested-marker": (
        "requirements.txt", lambda: "a; " + "(" * N + "\n", ":1: invalid requirement"
    ),
    # environment.yml
    "environment-key-spaces": (
        "environment.yml", lambda: "name" + " " * N + "x\n", ":1: "
    ),
    "environment-selector-brackets": (
        "environment.yml", lambda: "dependencies:\n  - numpy # " + "[" * N + "\n", "ok [] ['numpy']"
    ),
    "environment-deep-blocks": (  # 2,000 levels, 2 MB; a RecursionError before the fix
        "environment.yml", lambda: "".join(" " * i + "a:\n" for i in range(2_000)), ":33: blocks nested"
    ),
    "environment-spec-version-words": (
        "environment.yml", lambda: "dependencies:\n  - numpy " + "x " * (N // 2) + "<\n", ":2: "
    ),
    "environment-spec-bracket-run": (
        "environment.yml", lambda: "dependencies:\n  - numpy[" + "a" * N + "]\n", ":2: "
    ),
    "environment-spec-regex-alternatives": (
        "environment.yml", lambda: "dependencies:\n  - numpy " + "^|" * (N // 2) + "1\n", ":2: "
    ),
    "environment-spec-many-alternatives": (
        "environment.yml", lambda: "dependencies:\n  - numpy " + "1|" * (N // 2) + "1\n", "ok [] ['numpy']"
    ),
    "environment-spec-nested-parentheses": (
        "environment.yml", lambda: "dependencies:\n  - numpy " + _nested_or_and(10_000) + "\n", ":2: "
    ),
    # pyproject.toml
    "pyproject-trailing-spaces": (
        "pyproject.toml",
        lambda: '[project]\nname = "p"\ndependencies = ["requests' + " " * N + '"]\n',
        "ok ['requests'] []",
    ),
    "pyproject-dotted-key": (
        "pyproject.toml",
        lambda: '[project]\nname = "p"\ndependencies = []\n[tool]\na' + ".a" * (N // 2) + " = 1\n",
        ": ",
    ),
    "pyproject-nested-arrays": (
        "pyproject.toml", lambda: '[project]\nname = "p"\ndependencies = ' + "[" * N + "\n", ": "
    ),
    # what the readers' results meet next: conda globs, index pages
    "conda-build-glob": ("spec.txt", lambda: "numpy 1.0 " + "*a" * 12 + "*b", "ok False True"),
    "simple-page-unclosed-comments": (
        "page.html", lambda: '<a href="x-1.tar.gz">x-1.tar.gz</a>' + "<!--" * (N // 4), "ok ['x-1.tar.gz']"
    ),
}  # fmt: skip

KIND = {"spec.txt": "match", "page.html": "page"}


@pytest.mark.parametrize("case", list(CASES))
def test_reader_finishes_and_answers(case: str, tmp_path: Path) -> None:
    name, content, expected = CASES[case]
    path = tmp_path / name
    path.write_text(content())
    args = [sys.executable, "-c", READ, str(path), KIND.get(name, "input"), str(FIXTURES)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: still reading after {TIMEOUT} s (superlinear in the input)")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout[:2000]  # an error is one line
    if expected.startswith("ok"):
        assert lines[0] == expected
    else:
        assert lines[0].startswith(f"error {path.as_posix()}{expected}"), lines[0][:500]
        assert len(lines[0]) < 1500  # the quoted input is shortened: still a readable line


def test_a_message_quoting_huge_input_keeps_its_start_and_end() -> None:
    error = InputError("r.txt:1: invalid requirement '" + "a" * 5_000 + "': expected end")
    assert error.message.startswith("r.txt:1: invalid requirement 'aaa")
    assert error.message.endswith("aaa': expected end")
    assert "...[4145 characters]..." in error.message and len(error.message) < 1_000
    assert InputError("short").message == "short"


# -- the linear replacements answer as the regexes and shlex did --------------------------------
#
# Seeded random strings over the characters each piece reacts to, short enough that the old
# (superlinear) reference is instant; each reference is the exact expression it replaced.


def _strings(alphabet: str, count: int, longest: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(count)
    ]


def _outcome(split: Callable[[str], list[str]], text: str) -> object:
    try:
        return split(text)
    except ValueError as error:
        return str(error)


def test_shell_words_split_as_shlex() -> None:
    for text in _strings("ab \t'\"\\#-=\r\n", 30_000, 12, 1):
        assert _outcome(_shell_words, text) == _outcome(shlex.split, text), repr(text)


def test_requirement_comments_and_extras_as_the_regexes() -> None:
    comment = re.compile(r"(^|\s+)#.*$")
    extras = re.compile(r"^(.+?)(\[[^\]]+\])$")
    for text in _strings("a #\t[].", 30_000, 10, 2):
        assert _without_comment(text).strip() == comment.sub("", text).strip(), repr(text)
        assert _is_comment(text) == bool(comment.match(text)), repr(text)
        match = extras.match(text)
        assert _split_extras(text) == ((match[1], match[2]) if match else (text, "")), repr(text)


def test_environment_keys_and_selectors_as_the_regexes() -> None:
    key = re.compile(r"""^((?:[^\s'"#:\-\[{][^:#]*?)|'[^']*'|"[^"]*")\s*:(?:\s+(.*)|$)""")
    selector = re.compile(r"\[([^\]]+)\]\s*$")
    for text in _strings("ab :#'\"-[{\t]", 30_000, 9, 3):
        match = key.match(text)
        found = _key_value(text)
        assert (found and (found[0], found[1].strip())) == (
            match and (match[1].strip(), (match[2] or "").strip())
        ), repr(text)
        match = selector.search(text)
        assert _selector(text) == (match[1].strip() if match else None), repr(text)


def test_matchspec_pieces_as_the_regexes() -> None:
    version_build = re.compile(r"((?:.+?)[^><!,|]?)(?:(?<![=!|,<>~])(?:[ =])([^-=,|<>~]+?))?$")
    bracket_item = re.compile(r"""([a-zA-Z0-9_-]+?)=(["']?)([^'"]*?)(\2)(?:[, ]|$)""")
    tokens = re.compile(r"\s*\^[^$]*[$]|\s*[()|,]|[^()|,]+")
    for text in _strings("1a =<>!,|-~.*'\"^$()", 30_000, 10, 4):
        match = version_build.search(text)
        if text:
            assert _split_version_build(text) == (match[1], match[2]), repr(text)
        assert [m.groups() for m in _BRACKET_ITEM.finditer(text)] == [
            m.groups() for m in bracket_item.finditer(text)
        ], repr(text)
        assert list(_tokens(text)) == tokens.findall(text), repr(text)


def test_globs_match_as_the_backtracking_regex() -> None:
    rng = random.Random(5)
    for glob in _strings("ab*._", 3_000, 7, 6):
        if not glob:
            continue
        old = re.compile("^(?:" + re.escape(glob).replace(r"\*", ".*") + ")$")
        new = re.compile(f"^(?:{glob_pattern(glob)})$")
        for text in _strings("ab._", 10, 9, rng.randrange(1 << 30)):
            assert bool(new.match(text)) == bool(old.match(text)), (glob, text)
