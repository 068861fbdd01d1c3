"""environment.yml: the YAML subset reader, against every environment file in tests/data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml  # a cross-check only (test extra); mach2 does not depend on PyYAML

from mach2.inputs.environment_yml import (
    parse_environment_yml,
    read_environment_yml,
    selector_matches,
)
from mach2.providers.conda.errors import EnvironmentYmlError

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "conda"))
from conda_fixtures import DATA

LOCKS = DATA / "locks"
ENV_FILES = sorted(
    p
    for p in LOCKS.rglob("*.y*ml")
    if "lock" not in p.name and "lookup" not in p.name and p.name != "virtual-packages.yml"
)


def test_found_them_all() -> None:
    assert len(ENV_FILES) == 16


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: "/".join(p.parts[-2:]))
def test_same_as_pyyaml(path: Path) -> None:
    reference = yaml.safe_load(path.read_text())
    env = read_environment_yml(path)
    dependencies = reference.get("dependencies") or []
    assert [d.spec.text for d in env.dependencies] == [
        d for d in dependencies if isinstance(d, str)
    ]
    pip = [line for d in dependencies if isinstance(d, dict) for line in d["pip"]]
    assert [p.text for p in env.pip] == pip
    assert list(env.channels) == (reference.get("channels") or [])
    assert list(env.platforms) == (reference.get("platforms") or [])
    assert env.name == reference.get("name") and env.category == reference.get("category")
    assert env.base_dir == path.parent


def test_specs_pip_and_selectors() -> None:
    path = LOCKS / "conda-lock" / "inputs-only" / "test-pip-with-platform-selector"
    env = read_environment_yml(path / "environment.yml")
    assert env.pip_requirements() == ("psutil",)
    assert env.pip_requirements("linux-64") == ("psutil",)
    assert env.pip_requirements("osx-arm64") == ()
    assert [s.name for s in env.conda_specs("osx-arm64")] == ["tomli"]
    gh449 = read_environment_yml(
        LOCKS / "conda-lock" / "inputs-only" / "test-pypi-resolve-gh449" / "environment.yml"
    )
    python, pip = gh449.conda_specs()
    assert python.name == "python" and str(python.version) == "3.10*" and pip.name == "pip"
    assert gh449.pip_requirements() == ("pydantic[email,dotenv]==1.10.10",)
    blas = read_environment_yml(
        LOCKS / "conda-lock" / "test-environment-blas-mkl" / "environment.yml"
    )
    assert str(blas.conda_specs()[1].build) == "mkl"


def test_subset_features() -> None:
    env = parse_environment_yml(
        """\
---
# leading comment
name: "demo"   # quoted
channels: [conda-forge, 'defaults']
variables:
  FOO: bar
dependencies:
    - python >=3.11   # [unix]
    - 'numpy=1.26'
    - scipy  # [not osx]
    - pip:
        - -e .
        - requests[socks] >=2 ; python_version >= "3.8"
        - "--index-url https://example.org/simple"
    - conda-forge::pandas
prefix: /opt/env
"""
    )
    assert env.name == "demo" and env.channels == ("conda-forge", "defaults")
    assert [s.text for s in env.conda_specs()] == [
        "python >=3.11", "numpy=1.26", "scipy", "conda-forge::pandas",
    ]  # fmt: skip
    assert [s.name for s in env.conda_specs("osx-64")] == ["python", "numpy", "pandas"]
    assert [s.name for s in env.conda_specs("win-64")] == ["numpy", "scipy", "pandas"]
    assert env.pip_requirements() == (
        "-e .", 'requests[socks] >=2 ; python_version >= "3.8"',
        "--index-url https://example.org/simple",
    )  # fmt: skip
    assert env.dependencies[0].line == 8 and env.pip[0].line == 12
    assert parse_environment_yml("").dependencies == ()
    assert parse_environment_yml("dependencies:\n").dependencies == ()


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("dependencies:\n  - &anchor numpy\n", 2, "outside the environment.yml subset"),
        ("dependencies:\n  - *anchor\n", 2, "outside the environment.yml subset"),
        ("description: |\n  text\n", 1, "outside the environment.yml subset"),
        ("dependencies: {a: 1}\n", 1, "outside the environment.yml subset"),
        ("dependencies:\n  - numpy >=\n", 2, "invalid conda match spec"),
        ("dependencies:\n  - numpy  # [beos]\n", 2, "unsupported selector"),
        ("dependencies:\n  - conda:\n    - x\n", 2, "only '- pip:'"),
        ("name: a\nname: b\n", 2, "duplicate key"),
        ("name: a\n  extra: 1\n", 2, "unexpected indentation"),
        ("- just\n- a list\n", 1, "not a mapping"),
        ("a: 1\n---\nb: 2\n", 2, "more than one YAML document"),
        ("dependencies: numpy\n", 1, "must be a list"),
        ("channels:\n  sub: x\n", 1, "must be a list of strings"),
        ("name: 'unterminated\n", 1, "unterminated quote"),
        ("just words\n", 1, "expected 'key: value'"),
        ("channels: [a, b\n", 1, "flow sequences"),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(EnvironmentYmlError) as info:
        parse_environment_yml(text, source="env.yml")
    message = str(info.value)
    assert message.startswith(f"env.yml:{line}: ") and reason in message and "\n" not in message


def test_unreadable(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentYmlError, match="cannot read"):
        read_environment_yml(tmp_path / "missing.yml")


def test_selector_matches() -> None:
    assert selector_matches("linux", "linux-aarch64") and not selector_matches("linux", "osx-64")
    assert selector_matches("unix", "osx-arm64") and not selector_matches("unix", "win-64")
    assert selector_matches("not win", "linux-64") and selector_matches("osx-arm64", "osx-arm64")
