"""noarch: python packages laid out like conda links them (site-packages, scripts, entry points)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conda_package_handling import api as cph

from mach2.providers.conda.errors import PrefixError
from mach2.providers.conda.extract import extract_package
from mach2.providers.conda.install import relocate_noarch_python


def _noarch_package(tmp_path: Path, entry_points: list[str]) -> Path:
    src = tmp_path / "src"
    (src / "info").mkdir(parents=True)
    (src / "site-packages" / "hello").mkdir(parents=True)
    (src / "site-packages" / "hello" / "__init__.py").write_text("")
    (src / "site-packages" / "hello" / "cli.py").write_text(
        "import sys\n\ndef main():\n    print('hello from', sys.argv[0])\n    return 0\n"
    )
    (src / "python-scripts").mkdir()
    (src / "python-scripts" / "raw-tool").write_text("#!/bin/sh\necho raw\n")
    (src / "info" / "index.json").write_text(json.dumps({"name": "hello", "noarch": "python"}))
    (src / "info" / "link.json").write_text(
        json.dumps({"noarch": {"type": "python", "entry_points": entry_points}})
    )
    files = [str(p.relative_to(src)) for p in sorted(src.rglob("*")) if p.is_file()]
    out = tmp_path / "out"
    out.mkdir()
    cph.create(str(src), files, "hello-1.0-pyh_0.conda", out_folder=str(out))
    package = out / "hello-1.0-pyh_0.conda"
    digest = hashlib.sha256(package.read_bytes()).hexdigest()
    return extract_package(package, tmp_path / "env", sha256=digest)


def test_relocate_and_run_entry_point(tmp_path: Path) -> None:
    root = _noarch_package(tmp_path, ["hello = hello.cli:main"])
    placed = relocate_noarch_python(root, "3.11", sys.executable)
    site = root / "lib" / "python3.11" / "site-packages"
    assert (site / "hello" / "cli.py").is_file()
    assert not (root / "site-packages").exists() and not (root / "python-scripts").exists()
    assert "bin/raw-tool" in placed and "bin/hello" in placed
    assert "lib/python3.11/site-packages/hello/cli.py" in placed
    script = root / "bin" / "hello"
    assert script.read_text().startswith(f"#!{sys.executable}\n")
    assert os.access(script, os.X_OK)
    run = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.startswith("hello from") and "hello" in run.stdout


@pytest.mark.parametrize("bad", ["no-colon", "../evil = x:y", "x = a b:c", ".. = a:b"])
def test_malformed_entry_points(tmp_path: Path, bad: str) -> None:
    root = _noarch_package(tmp_path, [bad])
    with pytest.raises(PrefixError, match="malformed entry point"):
        relocate_noarch_python(root, "3.11", sys.executable)
    assert not (tmp_path / "evil").exists()


def test_bad_minor(tmp_path: Path) -> None:
    with pytest.raises(PrefixError):
        relocate_noarch_python(tmp_path, "3", sys.executable)
