"""PEP 621 / PEP 735 pyproject.toml input: selection, self-references and every error."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker

from mach2.errors import InputError
from mach2.inputs import RequirementsInput, read_pyproject

PROJECT = """\
[project]
name = "Demo_Project"
version = "1.0"
dependencies = [
    "requests>=2.31",
    'tomli ; python_version < "3.11"',
]

[project.optional-dependencies]
test = ["pytest>=8", "demo-project[Fast]"]
Fast = ["orjson"]
all = ['demo.project[test] ; sys_platform == "linux"', "demo-project"]

[dependency-groups]
lint = ["ruff==0.6"]
Dev = [{include-group = "lint"}, "ipython", "demo_project[fast]"]
"""


def pyproject(tmp_path: Path, text: str = PROJECT) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


def requirements(result: RequirementsInput) -> list[tuple[str, str]]:
    name = "pyproject.toml"
    return [(str(e.requirement), e.origin.rsplit(name, 1)[1]) for e in result.requirements]


def error(tmp_path: Path, text: str, **kw: Any) -> str:
    path = pyproject(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_pyproject(path, **kw)
    message = str(info.value)
    assert "\n" not in message
    return message.replace(path.as_posix(), "pyproject.toml")


def test_dependencies_only(tmp_path: Path) -> None:
    path = pyproject(tmp_path)
    result = read_pyproject(path)
    assert requirements(result) == [
        ("requests>=2.31", ":project.dependencies[0]"),
        ('tomli; python_version < "3.11"', ":project.dependencies[1]"),
    ]
    assert result.files == ((path.as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()),)
    assert result.constraints == ()
    assert all(not e.editable and not e.is_constraint for e in result.requirements)


def test_origin_names_the_file(tmp_path: Path) -> None:
    path = pyproject(tmp_path)
    assert read_pyproject(path).requirements[0].origin == (
        f"{path.as_posix()}:project.dependencies[0]"
    )


def test_extras_are_compared_normalized_and_self_references_expand(tmp_path: Path) -> None:
    result = read_pyproject(pyproject(tmp_path), extras=["TEST"])
    assert requirements(result)[2:] == [
        ("pytest>=8", ":project.optional-dependencies.test[0]"),
        ("orjson", ":project.optional-dependencies.Fast[0]"),
    ]


def test_self_reference_markers_are_combined_and_bare_self_dropped(tmp_path: Path) -> None:
    result = read_pyproject(pyproject(tmp_path), extras=["all"])
    linux = Marker('sys_platform == "linux"')
    extra_entries = result.requirements[2:]
    assert [e.requirement.name for e in extra_entries] == ["pytest", "orjson"]
    assert all(e.requirement.marker == linux for e in extra_entries)


def test_self_reference_marker_and_own_marker(tmp_path: Path) -> None:
    text = """\
[project]
name = "p"
dependencies = ['p[a] ; os_name == "posix"']
[project.optional-dependencies]
a = ['x ; python_version < "3.12"']
"""
    (entry,) = read_pyproject(pyproject(tmp_path, text)).requirements
    assert entry.requirement.marker == Marker('python_version < "3.12" and os_name == "posix"')
    assert entry.origin.endswith(":project.optional-dependencies.a[0]")


def test_self_reference_cycle_between_extras_terminates(tmp_path: Path) -> None:
    text = """\
[project]
name = "p"
[project.optional-dependencies]
a = ["p[b]", "x"]
b = ["p[a]", "y"]
"""
    result = read_pyproject(pyproject(tmp_path, text), extras=["a"])
    assert [e.requirement.name for e in result.requirements] == ["x", "y"]


def test_dependency_groups_with_include_group(tmp_path: Path) -> None:
    result = read_pyproject(pyproject(tmp_path), groups=["dev"])
    assert requirements(result)[2:] == [
        ("ruff==0.6", ":dependency-groups.lint[0]"),
        ("ipython", ":dependency-groups.Dev[1]"),
        ("orjson", ":project.optional-dependencies.Fast[0]"),
    ]


def test_extras_and_groups_together_in_order(tmp_path: Path) -> None:
    result = read_pyproject(pyproject(tmp_path), extras=["fast"], groups=["lint"])
    assert [e.requirement.name for e in result.requirements] == [
        "requests",
        "tomli",
        "orjson",
        "ruff",
    ]


def test_groups_without_a_project_table(tmp_path: Path) -> None:
    text = '[dependency-groups]\ndocs = ["sphinx>=7"]\n'
    result = read_pyproject(pyproject(tmp_path, text), groups=["docs"])
    assert requirements(result) == [("sphinx>=7", ":dependency-groups.docs[0]")]


def test_empty_project(tmp_path: Path) -> None:
    result = read_pyproject(pyproject(tmp_path, '[project]\nname = "p"\n'))
    assert result.requirements == ()


def test_direct_reference_with_hash(tmp_path: Path) -> None:
    text = f'[project]\nname = "p"\ndependencies = ["a @ https://x.org/a.whl#sha256={"A" * 64}"]\n'
    (entry,) = read_pyproject(pyproject(tmp_path, text)).requirements
    assert entry.hashes == ("sha256:" + "a" * 64,)


# -- errors ------------------------------------------------------------------------------


def test_unknown_extra_lists_the_available_ones(tmp_path: Path) -> None:
    assert error(tmp_path, PROJECT, extras=["docs"]) == (
        "pyproject.toml: unknown extra 'docs' (not in [project.optional-dependencies]) "
        "(available: all, fast, test)"
    )


def test_unknown_extra_when_there_are_none(tmp_path: Path) -> None:
    assert error(tmp_path, '[project]\nname = "p"\n', extras=["x"]) == (
        "pyproject.toml: unknown extra 'x' (not in [project.optional-dependencies]) "
        "(available: none)"
    )


def test_self_reference_to_an_unknown_extra(tmp_path: Path) -> None:
    text = '[project]\nname = "p"\ndependencies = ["p[nope]"]\n'
    assert error(tmp_path, text) == (
        "pyproject.toml:project.dependencies[0]: unknown extra 'nope' "
        "(not in [project.optional-dependencies]) (available: none)"
    )


def test_unknown_group_lists_the_available_ones(tmp_path: Path) -> None:
    assert error(tmp_path, PROJECT, groups=["docs"]) == (
        "pyproject.toml: unknown dependency group 'docs' (available: Dev, lint)"
    )


def test_unknown_included_group(tmp_path: Path) -> None:
    text = '[dependency-groups]\na = [{include-group = "b"}]\n'
    assert error(tmp_path, text, groups=["a"]) == (
        "pyproject.toml: unknown dependency group 'b' (available: a)"
    )


def test_group_cycle(tmp_path: Path) -> None:
    text = """\
[dependency-groups]
a = [{include-group = "b"}]
b = ["x", {include-group = "A"}]
"""
    assert error(tmp_path, text, groups=["a"]) == (
        "pyproject.toml: dependency group cycle a -> b -> a (remove one include-group)"
    )


def test_groups_with_the_same_normalized_name(tmp_path: Path) -> None:
    text = '[dependency-groups]\nmy_group = ["a"]\nMy-Group = ["b"]\n'
    assert error(tmp_path, text, groups=["my-group"]) == (
        "pyproject.toml: dependency groups 'my_group' and 'My-Group' have the same normalized "
        "name (rename or merge one of them (PEP 735))"
    )


@pytest.mark.parametrize(
    ("entry", "path", "expected"),
    [
        ('{include-group = "a", extra = 1}', "[0]", 'a string or {include-group = "NAME"}'),
        ("3", "[0]", 'a string or {include-group = "NAME"}'),
        ("{include-group = 3}", "[0]", "a group name"),
    ],
)
def test_malformed_group_entry(tmp_path: Path, entry: str, path: str, expected: str) -> None:
    text = f"[dependency-groups]\ng = [{entry}]\n"
    assert error(tmp_path, text, groups=["g"]) == (
        f"pyproject.toml:dependency-groups.g{path}: expected {expected} "
        "(fix the pyproject.toml entry)"
    )


def test_group_that_is_not_an_array(tmp_path: Path) -> None:
    assert error(tmp_path, '[dependency-groups]\ng = "a"\n', groups=["g"]) == (
        "pyproject.toml:dependency-groups.g: expected an array (fix the pyproject.toml entry)"
    )


def test_dynamic_dependencies(tmp_path: Path) -> None:
    text = '[project]\nname = "p"\ndynamic = ["version", "dependencies"]\n'
    assert error(tmp_path, text) == (
        "pyproject.toml: 'dependencies' is listed in [project].dynamic (mach2 needs static "
        "dependencies: list them in [project].dependencies or give a requirements file)"
    )


def test_dynamic_optional_dependencies_only_matter_when_asked_for(tmp_path: Path) -> None:
    text = '[project]\nname = "p"\ndependencies = ["a"]\ndynamic = ["optional-dependencies"]\n'
    assert len(read_pyproject(pyproject(tmp_path, text)).requirements) == 1
    assert error(tmp_path, text, extras=["x"]) == (
        "pyproject.toml: 'optional-dependencies' is listed in [project].dynamic "
        "(mach2 needs static extras: list them in [project.optional-dependencies])"
    )


def test_malformed_toml(tmp_path: Path) -> None:
    assert error(tmp_path, '[project]\nname = "p"\ndependencies = [\n') == (
        "pyproject.toml: invalid TOML: Invalid value (at end of document) (fix the TOML syntax)"
    )


def test_malformed_toml_message_has_the_location(tmp_path: Path) -> None:
    assert error(tmp_path, "[project]\nname = \n") == (
        "pyproject.toml: invalid TOML: Invalid value (at line 2, column 8) (fix the TOML syntax)"
    )


def test_no_project_table(tmp_path: Path) -> None:
    assert error(tmp_path, '[tool.poetry]\nname = "p"\n') == (
        "pyproject.toml: no [project] table (mach2 reads PEP 621 metadata; [tool.poetry] and "
        "similar are not supported)"
    )


def test_invalid_requirement_names_the_key(tmp_path: Path) -> None:
    text = '[project]\nname = "p"\ndependencies = ["a", "numpy>>1"]\n'
    assert error(tmp_path, text) == (
        "pyproject.toml:project.dependencies[1]: invalid requirement 'numpy>>1': "
        "Expected semicolon (after name with no version specifier) or end"
    )


def test_dependencies_not_strings(tmp_path: Path) -> None:
    text = '[project]\nname = "p"\ndependencies = ["a", 1]\n'
    assert error(tmp_path, text) == (
        "pyproject.toml:project.dependencies: expected an array of requirement strings "
        "(fix the pyproject.toml entry)"
    )


def test_optional_dependencies_not_a_table(tmp_path: Path) -> None:
    text = '[project]\nname = "p"\noptional-dependencies = ["a"]\n'
    assert error(tmp_path, text) == (
        "pyproject.toml:project.optional-dependencies: expected a table "
        "(fix the pyproject.toml entry)"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such file '.*/pyproject\.toml'"):
        read_pyproject(tmp_path / "pyproject.toml")


# -- dotted keys are counted before tomllib (quadratic in a key's parts) runs --------------------

REAL_LOOKING = '''
[project]
name = "p"  # a.b.c.d.e in a comment
version = "1.2.3.4.5.6"
dependencies = ["a.b.c.d.e.f>=1.2.3"]
description = """many. dots. "quoted." \\""" and. more."""
[tool.x.y.z]
pi = 3.14159
when = 1979-05-27T07:32:00.999999-07:00
a.b."c.d".e = 'x.y.z'
t = {u.v.w = [1.5, 2.5]}
'''


def test_dotted_key_parts_are_counted_outside_strings_and_comments() -> None:
    from mach2.inputs.pyproject import _most_key_parts

    assert _most_key_parts(REAL_LOOKING) == 4  # a.b."c.d".e; strings, floats, dates: at most 2
    assert _most_key_parts('x = """a""""\nb.c.d = 1') == 3  # a quote before the closing three
    assert _most_key_parts("x = '''a'''''\nb.c = 1") == 2


@pytest.mark.parametrize(("parts", "refused"), [(100, False), (101, True)])
def test_a_dotted_key_of_more_than_100_parts_is_refused(
    tmp_path: Path, parts: int, refused: bool
) -> None:
    path = tmp_path / "pyproject.toml"
    key = ".".join(["k"] * parts)
    path.write_text(f'[project]\nname = "p"\ndependencies = ["six"]\n[tool]\n{key} = 1\n')
    if not refused:
        assert [e.requirement.name for e in read_pyproject(path).requirements] == ["six"]
        return
    with pytest.raises(InputError) as error:
        read_pyproject(path)
    assert error.value.message == f"{path.as_posix()}: a dotted key of more than 100 parts"
