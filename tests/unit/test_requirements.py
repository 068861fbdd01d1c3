"""pip requirements-file syntax: every feature and every error message of mach2.inputs."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from mach2.errors import InputError
from mach2.inputs import (
    RequirementEntry,
    RequirementsInput,
    parse_requirements,
    project_input,
    read_input,
    read_requirements,
)

H1 = "a" * 64
H2 = "b" * 64


def parse(text: str, **kw: Any) -> RequirementsInput:
    return parse_requirements(text, origin="requirements.txt", **kw)


def error(text: str, **kw: Any) -> str:
    """The one-line message of the InputError that parsing ``text`` raises."""
    with pytest.raises(InputError) as info:
        parse(text, **kw)
    message = str(info.value)
    assert "\n" not in message
    return message


def names(result: RequirementsInput) -> list[str]:
    return [str(e.requirement) for e in result.requirements]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- requirement lines -------------------------------------------------------------------


def test_pep508_parts_and_origin() -> None:
    result = parse('\n\nrequests[socks,Test] >=2.24, <3 ; python_version >= "3.8"\n')
    (entry,) = result.requirements
    assert entry.origin == "requirements.txt:3"
    assert entry.requirement.name == "requests"
    assert entry.requirement.extras == {"socks", "Test"}
    assert entry.requirement.specifier == SpecifierSet(">=2.24,<3")
    assert entry.requirement.marker == Marker('python_version >= "3.8"')
    assert (entry.hashes, entry.editable, entry.is_constraint) == ((), False, False)


def test_files_lists_the_text_under_its_origin() -> None:
    text = "numpy\n"
    assert parse(text).files == (("requirements.txt", hashlib.sha256(b"numpy\n").hexdigest()),)


def test_default_origin() -> None:
    assert parse_requirements("a").requirements[0].origin == "<string>:1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# a comment\nnumpy", ["numpy"]),
        ("numpy  # trailing comment", ["numpy"]),
        ("numpy\t# tab before the comment", ["numpy"]),
        ("   # indented comment\nnumpy", ["numpy"]),
        ("numpy ; python_version < '3' # c", ['numpy; python_version < "3"']),
    ],
)
def test_comments(text: str, expected: list[str]) -> None:
    assert names(parse(text)) == expected


def test_hash_in_url_fragment_is_not_a_comment() -> None:
    url = f"https://example.org/a-1.0-py3-none-any.whl#sha256={H1.upper()}"
    (entry,) = parse(f"a @ {url}").requirements
    assert entry.requirement.url == url
    assert entry.hashes == (f"sha256:{H1}",)


def test_egg_and_subdirectory_fragments_survive() -> None:
    (entry,) = parse("a @ https://x.org/a.tar.gz#egg=a&subdirectory=sub").requirements
    assert entry.requirement.url == "https://x.org/a.tar.gz#egg=a&subdirectory=sub"
    assert entry.hashes == ()


def test_line_continuation_keeps_the_first_line_number() -> None:
    result = parse("x\nnumpy \\\n  >=1.26 \\\n  ; python_version >= '3.9'\nscipy")
    assert [e.origin for e in result.requirements] == [
        "requirements.txt:1",
        "requirements.txt:2",
        "requirements.txt:5",
    ]
    assert result.requirements[1].requirement.specifier == SpecifierSet(">=1.26")


def test_comment_line_ending_in_backslash_does_not_continue() -> None:
    assert names(parse("# comment \\\nnumpy")) == ["numpy"]


def test_continuation_into_a_comment_line_ends_the_requirement() -> None:
    assert names(parse("numpy \\\n# comment\nscipy")) == ["numpy", "scipy"]


def test_continuation_at_end_of_file() -> None:
    assert names(parse("numpy>=1 \\")) == ["numpy>=1"]


def test_crlf_line_endings() -> None:
    assert names(parse("a\r\nb \\\r\n>=1\r\n")) == ["a", "b>=1"]


def test_direct_references_file_and_https() -> None:
    result = parse("a @ file:///wheels/a-1-py3-none-any.whl\nb @ https://x.org/b-2.tar.gz")
    assert [e.requirement.url for e in result.requirements] == [
        "file:///wheels/a-1-py3-none-any.whl",
        "https://x.org/b-2.tar.gz",
    ]


def test_direct_reference_with_marker() -> None:
    (entry,) = parse("a @ https://x.org/a.whl ; sys_platform == 'linux'").requirements
    assert entry.requirement.marker == Marker("sys_platform == 'linux'")


def test_hash_options_several_and_normalized() -> None:
    (entry,) = parse(
        f"a==1 --hash=sha256:{H1.upper()} \\\n    --hash sha256:{H2} --hash=sha256:{H1}"
    ).requirements
    assert entry.hashes == (f"sha256:{H1}", f"sha256:{H2}")


def test_hash_option_and_url_fragment_are_both_recorded() -> None:
    (entry,) = parse(f"a @ https://x.org/a.whl#sha256={H1} --hash=sha512:{'c' * 128}").requirements
    assert entry.hashes == (f"sha512:{'c' * 128}", f"sha256:{H1}")


def test_requirement_entry_from_pep508() -> None:
    entry = RequirementEntry.from_pep508("a>=1", origin="x:1", hashes=[f"sha256:{H1}"])
    assert entry.hashes == (f"sha256:{H1}",)
    assert entry.origin == "x:1"


# -- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "-i https://mirror/simple",
        "-ihttps://mirror/simple",
        "--index-url https://mirror/simple",
        "--index-url=https://mirror/simple",
    ],
)
def test_index_url_spellings(line: str) -> None:
    assert parse(line).index_url == "https://mirror/simple"


def test_same_index_url_twice_is_fine() -> None:
    assert parse("-i https://a/simple\n-i https://a/simple").index_url == "https://a/simple"


def test_extra_index_urls_in_order_without_repeats() -> None:
    result = parse(
        "--extra-index-url https://b/simple\n--extra-index-url=https://a/simple\n"
        "--extra-index-url https://b/simple"
    )
    assert result.extra_index_urls == ("https://b/simple", "https://a/simple")


def test_several_options_on_one_line() -> None:
    result = parse("--pre -i https://a/simple --extra-index-url https://b/simple")
    assert (result.pre, result.index_url, result.extra_index_urls) == (
        True,
        "https://a/simple",
        ("https://b/simple",),
    )


def test_find_links_urls_kept_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "req.txt", "-f ./wheels\n--find-links https://x.org/links/\n-f/abs")
    result = read_requirements(tmp_path / "sub" / "req.txt")
    assert result.find_links == (
        (tmp_path / "sub" / "wheels").as_posix(),
        "https://x.org/links/",
        "/abs",
    )


def test_find_links_without_base_dir_kept_as_given() -> None:
    assert parse("--find-links wheels").find_links == ("wheels",)


def test_pre_defaults_off() -> None:
    assert parse("numpy").pre is False
    assert parse("--pre").pre is True


@pytest.mark.parametrize(
    ("text", "no_binary", "only_binary"),
    [
        ("--no-binary numpy,SciPy", ("numpy", "scipy"), ()),
        ("--only-binary=:all:", (), (":all:",)),
        ("--no-binary :all:\n--only-binary numpy", (":all:",), ("numpy",)),
        ("--only-binary a\n--no-binary a", ("a",), ()),
        ("--no-binary a,b\n--no-binary :none:", (), ()),
        ("--no-binary a\n--only-binary :all:", (), (":all:",)),
        ("--no-binary :all:,numpy", (":all:",), ()),
        ("--no-binary :all:,:none:,numpy", ("numpy",), ()),
    ],
)
def test_format_control_follows_pip(
    text: str, no_binary: tuple[str, ...], only_binary: tuple[str, ...]
) -> None:
    result = parse(text)
    assert (result.no_binary, result.only_binary) == (no_binary, only_binary)


def test_environment_variables_from_the_given_mapping_only() -> None:
    os.environ.setdefault("MACH2_TEST_NOT_PASSED", "leak")
    text = (
        "-i https://${USER_NAME}:${TOKEN}@mirror/simple\n"
        "a==${VERSION}\n"
        "b @ https://x.org/${MACH2_TEST_NOT_PASSED}/b.whl\n"
        "c @ https://x.org/${lower}/c.whl\n"
    )
    result = parse(
        text, environ={"USER_NAME": "me", "TOKEN": "s3cr3t", "VERSION": "1.2", "lower": "no"}
    )
    assert result.index_url == "https://me:s3cr3t@mirror/simple"
    assert [str(e.requirement) for e in result.requirements] == [
        "a==1.2",
        "b @ https://x.org/${MACH2_TEST_NOT_PASSED}/b.whl",
        "c @ https://x.org/${lower}/c.whl",
    ]


def test_empty_environment_variable_is_left_as_written() -> None:
    (entry,) = parse("a @ https://x.org/${EMPTY}/a.whl", environ={"EMPTY": ""}).requirements
    assert entry.requirement.url == "https://x.org/${EMPTY}/a.whl"


def test_expanded_hash_is_not_a_comment() -> None:
    (entry,) = parse(
        "a @ https://x.org/a.whl${FRAG}", environ={"FRAG": f"#sha256={H1}"}
    ).requirements
    assert entry.hashes == (f"sha256:{H1}",)


# -- editables ---------------------------------------------------------------------------


def test_editable_path_takes_name_from_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pkgs" / "mine" / "pyproject.toml", '[project]\nname = "My-Lib"\n')
    write(tmp_path / "reqs" / "requirements.txt", "-e ../pkgs/mine[test]\n")
    (entry,) = read_requirements(tmp_path / "reqs" / "requirements.txt").requirements
    assert entry.editable is True
    assert entry.requirement.name == "My-Lib"
    assert entry.requirement.extras == {"test"}
    assert entry.requirement.url == (tmp_path / "pkgs" / "mine").as_uri()


def test_editable_relative_path_stays_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "some" / "dir" / "lib" / "pyproject.toml", '[project]\nname = "lib"\n')
    (entry,) = parse("--editable ./lib", base_dir=Path("some/dir")).requirements
    assert entry.requirement.url == "file:some/dir/lib"
    (entry,) = parse("--editable=./lib#egg=lib").requirements
    assert entry.requirement.url == "file:lib"


def test_editable_egg_fragment_names_the_project() -> None:
    (entry,) = parse("-e ./src/thing#egg=thing").requirements
    assert (entry.requirement.name, entry.editable) == ("thing", True)


def test_editable_file_url_with_egg() -> None:
    (entry,) = parse("-e file:///src/thing#egg=thing").requirements
    assert entry.requirement.url == "file:///src/thing"


# -- includes ----------------------------------------------------------------------------


def test_includes_relative_to_the_including_file(tmp_path: Path) -> None:
    top = write(tmp_path / "requirements.txt", "-r reqs/base.txt\nflask\n-c reqs/pins.txt\n")
    write(tmp_path / "reqs" / "base.txt", "--requirement common/a.txt\nnumpy\n")
    write(tmp_path / "reqs" / "common" / "a.txt", "-i https://idx/simple\nrequests\n")
    write(tmp_path / "reqs" / "pins.txt", "numpy==1.26.4\n--constraint=more.txt\n")
    write(tmp_path / "reqs" / "more.txt", "requests<3\n")
    result = read_requirements(top)
    root = tmp_path.as_posix()
    assert [e.origin for e in result.requirements] == [
        f"{root}/reqs/common/a.txt:2",
        f"{root}/reqs/base.txt:2",
        f"{root}/requirements.txt:2",
    ]
    assert [(str(e.requirement), e.is_constraint) for e in result.constraints] == [
        ("numpy==1.26.4", True),
        ("requests<3", True),
    ]
    assert result.index_url == "https://idx/simple"
    assert [name for name, _ in result.files] == [
        f"{root}/requirements.txt",
        f"{root}/reqs/base.txt",
        f"{root}/reqs/common/a.txt",
        f"{root}/reqs/pins.txt",
        f"{root}/reqs/more.txt",
    ]
    digest = hashlib.sha256((tmp_path / "reqs" / "pins.txt").read_bytes()).hexdigest()
    assert result.files[3][1] == digest


def test_relative_paths_stay_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "reqs" / "requirements.txt", "-r ../common.txt\n")
    write(tmp_path / "common.txt", "a\n")
    result = read_requirements(Path("reqs/requirements.txt"))
    assert [name for name, _ in result.files] == ["reqs/requirements.txt", "common.txt"]
    assert result.requirements[0].origin == "common.txt:1"


def test_parse_requirements_reads_includes_from_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "base.txt", "numpy\n")
    result = parse_requirements("-r base.txt\nscipy", base_dir=tmp_path)
    assert names(result) == ["numpy", "scipy"]
    assert [n for n, _ in result.files] == ["<string>", f"{tmp_path.as_posix()}/base.txt"]


def test_requirement_include_inside_constraints_file_adds_requirements(tmp_path: Path) -> None:
    # pip's rule: the kind of an include comes from its own flag, not from the includer.
    write(tmp_path / "c.txt", "-r r.txt\na<2\n")
    write(tmp_path / "r.txt", "b\n")
    result = parse("-c c.txt", base_dir=tmp_path)
    assert names(result) == ["b"]
    assert [str(e.requirement) for e in result.constraints] == ["a<2"]


def test_options_in_constraints_files_apply(tmp_path: Path) -> None:
    write(tmp_path / "c.txt", "--pre\n--extra-index-url https://x/simple\n")
    result = parse("-c c.txt", base_dir=tmp_path)
    assert (result.pre, result.extra_index_urls) == (True, ("https://x/simple",))


def test_same_file_included_twice_is_read_twice_listed_once(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r common.txt\n")
    write(tmp_path / "b.txt", "-r common.txt\n")
    write(tmp_path / "common.txt", "six\n")
    result = parse("-r a.txt\n-r b.txt", base_dir=tmp_path)
    assert names(result) == ["six", "six"]
    assert len(result.files) == 4


def test_environment_variable_in_include_path(tmp_path: Path) -> None:
    write(tmp_path / "py311.txt", "a\n")
    result = parse("-r py${PY}.txt", base_dir=tmp_path, environ={"PY": "311"})
    assert names(result) == ["a"]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"\xef\xbb\xbfnumpy\n")
    result = read_requirements(path)
    assert names(result) == ["numpy"]
    assert result.files[0][1] == hashlib.sha256(b"\xef\xbb\xbfnumpy\n").hexdigest()


# -- merged ------------------------------------------------------------------------------


def test_merged_combines_in_order() -> None:
    a = parse_requirements("a\n--no-binary x\n-f w\n--extra-index-url e1", origin="a.txt")
    b = parse_requirements(
        "b\n--only-binary x\n--pre\n-f w\n-i https://i/simple\n--extra-index-url e1",
        origin="b.txt",
    )
    merged = a.merged(b)
    assert names(merged) == ["a", "b"]
    assert merged.no_binary == ()
    assert merged.only_binary == ("x",)
    assert merged.find_links == ("w",)
    assert merged.extra_index_urls == ("e1",)
    assert merged.pre is True
    assert merged.index_url == "https://i/simple"
    assert [n for n, _ in merged.files] == ["a.txt", "b.txt"]
    assert RequirementsInput().merged(a) == a
    assert a.merged(RequirementsInput()) == a


def test_merged_replays_all_before_names() -> None:
    a = parse_requirements("--only-binary y")
    b = parse_requirements("--only-binary :all:\n--no-binary x")
    merged = a.merged(b)
    assert (merged.no_binary, merged.only_binary) == (("x",), (":all:",))


def test_merged_conflicting_index_urls() -> None:
    a = parse_requirements("-i https://a/simple", origin="a.txt")
    b = parse_requirements("-i https://b/simple", origin="b.txt")
    with pytest.raises(InputError) as info:
        a.merged(b)
    assert str(info.value) == (
        "b.txt: --index-url 'https://b/simple' conflicts with 'https://a/simple' from a.txt "
        "(keep one --index-url and give the other as --extra-index-url)"
    )


# -- errors ------------------------------------------------------------------------------


def test_malformed_requirement_message() -> None:
    assert error("a\nb\nnumpy>>1") == (
        "requirements.txt:3: invalid requirement 'numpy>>1': "
        "Expected semicolon (after name with no version specifier) or end"
    )


def test_malformed_marker_message() -> None:
    assert error("a ; python_version >>> '3'").startswith(
        "requirements.txt:1: invalid requirement \"a ; python_version >>> '3'\": Expected"
    )


@pytest.mark.parametrize(
    ("line", "name", "url"),
    [
        ("./dist/a-1.0-py3-none-any.whl", "a", "file:dist/a-1.0-py3-none-any.whl"),
        ("a_b-1.0.tar.gz", "a_b", "file:a_b-1.0.tar.gz"),
        ("/abs/a-2-py3-none-any.whl", "a", "file:///abs/a-2-py3-none-any.whl"),
        ("file:///abs/a-2-py3-none-any.whl", "a", "file:///abs/a-2-py3-none-any.whl"),
        ("https://x.org/a-1.0.tar.gz", "a", "https://x.org/a-1.0.tar.gz"),
        ("git+https://github.com/a/b@v1#egg=b", "b", "git+https://github.com/a/b@v1#egg=b"),
        ("./src/thing#egg=thing", "thing", "file:src/thing#egg=thing"),
    ],
)
def test_bare_url_or_path_takes_its_name(line: str, name: str, url: str) -> None:
    (entry,) = parse(f"\n{line}").requirements
    assert (entry.requirement.name, entry.requirement.url) == (name, url)


def test_bare_directory_takes_its_static_name(tmp_path: Path) -> None:
    write(tmp_path / "libs" / "mine" / "pyproject.toml", '[project]\nname = "my-lib"\n')
    write(tmp_path / "r.txt", "./libs/mine ; python_version > '3'\n")
    (entry,) = read_requirements(tmp_path / "r.txt").requirements
    assert entry.requirement.name == "my-lib"
    assert entry.requirement.url == (tmp_path / "libs" / "mine").as_uri()
    assert str(entry.requirement.marker) == 'python_version > "3"'
    assert not entry.editable


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        ("git+https://github.com/a/b", "'git+https://github.com/a/b' has no project name",
         "write 'NAME @ git+https://github.com/a/b' or append '#egg=NAME'"),
        ("./noname", "'./noname' is a URL or path without a project name",
         "write it as 'NAME @ ./path' or 'NAME @ https://...'"),
        ("https://x.org/download", "'https://x.org/download' is a URL or path without a project name",
         "write it as 'NAME @ https://x.org/download'"),
        ("hg+https://x.org/r#egg=r", "'hg+https://x.org/r': mach2 supports git only",
         "point at a wheel or sdist by https:// or file:// URL, a local directory, or a git+ URL"),
    ],
)  # fmt: skip
def test_bare_url_or_path_without_a_name(line: str, message: str, hint: str) -> None:
    assert error(f"\n{line}") == f"requirements.txt:2: {message} ({hint})"


def test_direct_reference_to_a_relative_path(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "r.txt", "a @ ./dist/a.whl\nb @ ../b\n")
    a, b = read_requirements(tmp_path / "sub" / "r.txt").requirements
    assert a.requirement.url == (tmp_path / "sub" / "dist" / "a.whl").as_uri()
    assert b.requirement.url == (tmp_path / "b").as_uri()


def test_git_direct_reference() -> None:
    (entry,) = parse("a @ git+https://github.com/a/a@v1#subdirectory=x").requirements
    assert entry.requirement.url == "git+https://github.com/a/a@v1#subdirectory=x"
    assert entry.hashes == ()


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        (f"a @ git+https://h/a#sha256={'0' * 64}", "a git URL has no file to hash",
         "drop the hash: the lock records the commit and the checkout's NAR hash"),
        ("a @ hg+https://h/a", "'hg+https' URLs are not supported",
         "mach2 supports git+https, git+http, git+ssh, git+file and git+git"),
        ("a @ ftp://h/a.whl", "'ftp' URLs are not supported",
         "point at a wheel or sdist by https:// or file:// URL, a local directory, or a git+ URL"),
    ],
)  # fmt: skip
def test_unsupported_direct_references(line: str, message: str, hint: str) -> None:
    found = error(line)
    assert found.startswith(f"requirements.txt:1: {message}") and found.endswith(f"({hint})")


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("a==1 --hash=sha256:abc", "sha256:abc"),
        (f"a==1 --hash=md5:{H1}", f"md5:{H1}"),
        (f"a==1 --hash={H1}", H1),
        ("a @ https://x.org/a.whl#sha256=xyz", "sha256=xyz"),
    ],
)
def test_malformed_hash(line: str, shown: str) -> None:
    assert error(line) == (
        f"requirements.txt:1: malformed hash {shown!r} "
        "(expected sha256:<64 hex digits> (or sha384/sha512))"
    )


def test_weak_url_hash() -> None:
    assert error("a @ https://x.org/a.whl#md5=0123") == (
        "requirements.txt:1: weak hash 'md5' in 'https://x.org/a.whl#md5=0123' (use #sha256=HEX)"
    )


def test_hash_without_requirement() -> None:
    assert error(f"--hash=sha256:{H1}") == (
        "requirements.txt:1: --hash must follow a requirement on the same line "
        "(write 'NAME==VERSION --hash=...')"
    )


def test_unknown_option() -> None:
    assert error("a\n--frobnicate x") == (
        "requirements.txt:2: unknown option '--frobnicate' (check the spelling or remove it)"
    )
    assert (
        error("-x") == "requirements.txt:1: unknown option '-x' (check the spelling or remove it)"
    )


@pytest.mark.parametrize(
    "option", ["--no-index", "--trusted-host", "--require-hashes", "--prefer-binary"]
)
def test_pip_options_mach2_does_not_support(option: str) -> None:
    assert error(f"{option} x") == (
        f"requirements.txt:1: pip option {option!r} is not supported by mach2 (remove it)"
    )


def test_global_option_after_requirement() -> None:
    assert error("numpy -i https://x/simple") == (
        "requirements.txt:1: option '--index-url' cannot follow a requirement "
        "(put it on a line of its own)"
    )


def test_option_without_value() -> None:
    assert error("\n-r") == "requirements.txt:2: -r needs a value (write -r VALUE)"
    assert error("--index-url=") == (
        "requirements.txt:1: --index-url needs a value (write --index-url VALUE)"
    )


def test_flag_with_value() -> None:
    assert error("--pre=yes") == "requirements.txt:1: --pre takes no value (write --pre)"


def test_stray_word_after_options() -> None:
    assert error("-i https://a/simple https://b/simple") == (
        "requirements.txt:1: unexpected 'https://b/simple' after the options "
        "(give one requirement or one option value per line)"
    )


def test_unbalanced_quote_in_options() -> None:
    assert error('a==1 --hash="sha256:abc') == (
        "requirements.txt:1: cannot split options: No closing quotation (check the quotes)"
    )


def test_conflicting_index_urls_in_files() -> None:
    assert error("-i https://a/simple\n\n-i https://b/simple") == (
        "requirements.txt:3: --index-url 'https://b/simple' conflicts with 'https://a/simple' "
        "given at requirements.txt:1 (keep one --index-url and give the other as "
        "--extra-index-url)"
    )


def test_invalid_binary_name() -> None:
    assert error("--no-binary 'not a name'") == (
        "requirements.txt:1: 'not a name' is not a project name "
        "(give project names separated by commas, :all: or :none:)"
    )


def test_missing_include_names_including_file_and_missing_path(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "numpy\n\n-r extra/missing.txt\n")
    with pytest.raises(InputError) as info:
        read_requirements(tmp_path / "requirements.txt")
    root = tmp_path.as_posix()
    assert str(info.value) == (
        f"{root}/requirements.txt:3: no such file '{root}/extra/missing.txt' "
        "(check the path and the directory)"
    )


def test_missing_top_level_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_requirements(tmp_path / "nope.txt")
    assert str(info.value) == (
        f"no such file '{tmp_path.as_posix()}/nope.txt' (check the path and the directory)"
    )


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "x\n-r b.txt\n")
    write(tmp_path / "b.txt", "\n-r ./a.txt\n")
    with pytest.raises(InputError) as info:
        read_requirements(tmp_path / "a.txt")
    root = tmp_path.as_posix()
    assert str(info.value) == (
        f"{root}/b.txt:2: include cycle {root}/a.txt -> {root}/b.txt -> {root}/a.txt "
        "(remove one of the -r/-c lines)"
    )


def test_self_include(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-c a.txt\n")
    with pytest.raises(InputError, match=r"a\.txt:1: include cycle .*a\.txt -> .*a\.txt"):
        read_requirements(tmp_path / "a.txt")


def test_include_without_base_dir() -> None:
    assert error("-r base.txt") == (
        "requirements.txt:1: -r 'base.txt' needs a directory to read from "
        "(read the requirements from a file or pass base_dir)"
    )


def test_include_by_url() -> None:
    assert error("-c https://x.org/constraints.txt", base_dir=Path()) == (
        "requirements.txt:1: -c 'https://x.org/constraints.txt' is a URL "
        "(download it and include the file)"
    )


def test_constraint_with_extras(tmp_path: Path) -> None:
    write(tmp_path / "c.txt", "a[x]<2\n")
    assert error("-c c.txt", base_dir=tmp_path) == (
        f"{tmp_path.as_posix()}/c.txt:1: constraint 'a[x]<2' has extras "
        "(constraints cannot have extras; constrain the bare name)"
    )


def test_editable_in_constraints(tmp_path: Path) -> None:
    write(tmp_path / "c.txt", "-e ./x#egg=x\n")
    assert error("-c c.txt", base_dir=tmp_path) == (
        f"{tmp_path.as_posix()}/c.txt:1: editable './x#egg=x' in a constraints file "
        "(move it to a requirements file)"
    )


def test_editable_without_name(tmp_path: Path) -> None:
    (tmp_path / "noproj").mkdir()
    (tmp_path / "noproj" / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    assert error("-e ./noproj", base_dir=tmp_path) == (
        "requirements.txt:1: cannot tell the project name of editable './noproj' "
        "(no static [project].name) (append '#egg=NAME' to the path)"
    )
    assert error("-e ./noproj") == (
        "requirements.txt:1: cannot tell the project name of editable './noproj' "
        "(append '#egg=NAME' to the path)"
    )


def test_an_editable_or_project_that_is_no_python_project(tmp_path: Path) -> None:
    """An empty directory once got "cannot tell the project name … append '#egg=NAME'", and
    --project offered #egg=, which it cannot take."""
    (tmp_path / "empty").mkdir()
    assert error("-e ./empty", base_dir=tmp_path) == (
        "requirements.txt:1: './empty' is not a Python project (no pyproject.toml, setup.py or "
        "setup.cfg) (give the directory of a Python project)"
    )
    with pytest.raises(InputError) as info:
        project_input(tmp_path / "empty")
    assert info.value.message.endswith(
        "is not a Python project (no pyproject.toml, setup.py or setup.cfg)"
    )
    (tmp_path / "empty" / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    with pytest.raises(InputError) as info:
        project_input(tmp_path / "empty")
    assert "(no static [project].name)" in info.value.message
    assert info.value.hint is not None and "#egg=NAME in a -r file" in info.value.hint


def test_editable_url_without_egg() -> None:
    assert error("-e https://x.org/a.tar.gz") == (
        "requirements.txt:1: editable URL 'https://x.org/a.tar.gz' has no project name "
        "(append '#egg=NAME')"
    )


def test_editable_vcs_url_is_refused() -> None:
    assert error("-e git+https://github.com/a/b#egg=b") == (
        "requirements.txt:1: editable VCS requirement 'git+https://github.com/a/b#egg=b': mach2 "
        "builds a git requirement from its locked commit (drop -e to lock the commit, or clone it "
        "and use -e ./PATH for development)"
    )


def test_editable_file_url_reads_the_name(tmp_path: Path) -> None:
    write(tmp_path / "p" / "pyproject.toml", '[project]\nname = "p"\n')
    (entry,) = parse(f"-e {(tmp_path / 'p').as_uri()}", base_dir=tmp_path).requirements
    assert (entry.requirement.name, entry.requirement.url) == ("p", (tmp_path / "p").as_uri())


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"caf\xe9\n")
    with pytest.raises(InputError) as info:
        read_requirements(path)
    assert str(info.value) == (
        f"{path.as_posix()}: not UTF-8 text (invalid continuation byte at byte 3) "
        "(save it as UTF-8)"
    )


def test_errors_are_input_errors_with_hints() -> None:
    with pytest.raises(InputError) as info:
        parse("--bogus")
    assert info.value.message == "requirements.txt:1: unknown option '--bogus'"
    assert info.value.hint == "check the spelling or remove it"


# -- read_input dispatch -----------------------------------------------------------------


def test_read_input_requirements_file(tmp_path: Path) -> None:
    path = write(tmp_path / "dev-requirements.in", "a==${V}\n")
    assert names(read_input(path, environ={"V": "1"})) == ["a==1"]


def test_read_input_pyproject(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "p"\ndependencies = ["a"]\n')
    assert names(read_input(path)) == ["a"]


@pytest.mark.parametrize("name", ["environment.yml", "env.yaml"])
def test_read_input_conda_environment_missing(tmp_path: Path, name: str) -> None:
    # Environment files are read since issue 5 (tests/unit/test_conda_provider.py); a
    # missing one is a one-line input error naming it.
    with pytest.raises(InputError) as info:
        read_input(tmp_path / name)
    assert str(info.value) == f"{tmp_path / name}: cannot read (FileNotFoundError)"


def test_read_input_extras_for_requirements_file(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements.txt", "a\n")
    with pytest.raises(InputError, match="extras and dependency groups apply to pyproject"):
        read_input(path, extras=["test"])


# -- mach-nix parse cases (tests/data/resolver-cases/PROVENANCE.md) ------------------------

MACH_NIX = Path(__file__).resolve().parents[1] / "data" / "resolver-cases" / "mach-nix"
_CONDA = "conda MatchSpec syntax (space-separated version/build string), not pip syntax"
_NOT_PIP = {
    "requests[socks,test] 2.24.0": _CONDA,
    "requests 2.24.0": _CONDA,
    "hdf5 >=1.10.5,<1.10.6.0a0 mpi_mpich_*": _CONDA,
    "blas 1.* openblas": _CONDA,
    "blas * openblas": _CONDA,
    "blas 1.1 openblas": _CONDA,
    "requests >=2.24.0 build123*": _CONDA,
    "requests ==2.24.* build123*": _CONDA,
    "requests 2.24.* build123*": _CONDA,
    "requests 2.24.0 build123*": _CONDA,
    "requests 2.24.0 *bla": _CONDA,
    "requests 2.24.0 *": _CONDA,
    "requests * *bla": _CONDA,
    "requests * *": _CONDA,
    "ruamel.yaml >=0.12.4,<0.16|0.16.5.*": "conda '|' alternatives, not pip syntax",
    "openjdk =8|11": "conda '=' and '|' syntax, not pip syntax",
    "python 3.6.9 ab_73_pypy": _CONDA,
    "gitpython >=3.0.8,3.0.*": "conda bare version inside a specifier list, not PEP 440",
    "libcurl 7.71.1 h20c2e04_1": _CONDA,
    "ixmp ==0.1.3 1": _CONDA,
    "pytz (>dev)": "legacy '>dev' specifier; packaging rejects it, mach-nix dropped it",
    "certifi (==2016.9.26) ; extra == 'certs'": (
        "mach-nix quirk: a marker's extra is added to extras; pip keeps bracket extras only"
    ),
    "sphinx ; extra == 'docs'": "mach-nix quirk: a marker's extra is added to extras",
    "zest.releaser[recommended] ; extra == 'maintainer'": (
        "mach-nix quirk: a marker's extra is added to extras"
    ),
}


def _mach_nix_cases() -> list[Any]:
    path = MACH_NIX / "requirement-parse-cases.json"
    params = []
    for index, case in enumerate(json.loads(path.read_text())["cases"]):
        reason = _NOT_PIP.get(case["input"])
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=f"{index}-{case['input']}", marks=marks))
    return params


@pytest.mark.parametrize("case", _mach_nix_cases())
def test_mach_nix_requirement_parse_cases(case: dict[str, Any]) -> None:
    expected = case["expected"]
    (entry,) = parse(case["input"]).requirements
    requirement = entry.requirement
    assert requirement.name == expected["name"]
    assert requirement.extras == set(expected["extras"])
    sets = expected["specifier_sets"]
    assert sets is None or len(sets) == 1, "alternatives are conda-only"
    assert requirement.specifier == SpecifierSet(sets[0] if sets else "")
    assert expected["build"] is None
    marker = expected["marker"]
    assert requirement.marker == (None if marker is None else Marker(marker))


def _mach_nix_requirement_sets() -> list[Any]:
    params = []
    for file, key, label in [
        ("nix-test-requirement-sets.json", "cases", "test"),
        ("examples-requirement-sets.json", "examples", "section"),
    ]:
        path = MACH_NIX / file
        if not path.exists():
            params.append(pytest.param([], marks=pytest.mark.skip(reason=f"{path} not present")))
            continue
        for item in json.loads(path.read_text())[key]:
            params.append(pytest.param(item["requirements"], id=f"{file}:{item[label]}"))
    return params


@pytest.mark.parametrize("lines", _mach_nix_requirement_sets())
def test_mach_nix_requirement_sets_parse(lines: list[str]) -> None:
    result = parse("\n".join(lines))
    assert [str(e.requirement) for e in result.requirements] == [
        str(RequirementEntry.from_pep508(line, origin="x").requirement) for line in lines
    ]
    assert [e.origin for e in result.requirements] == [
        f"requirements.txt:{n}" for n in range(1, len(lines) + 1)
    ]
