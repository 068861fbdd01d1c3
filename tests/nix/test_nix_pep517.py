"""sdists against nixpkgs' dependency-checking PEP 517 build.

nixpkgs' pypaBuildHook runs pypa/build without isolation and without --skip-dependency-check:
before building, every requirement of ``[build-system].requires`` *and* every requirement the
backend's ``get_requires_for_build_wheel`` returns must be installed, or the build fails with
"Missing dependencies".  The stand-in runs the same pyproject-build.  So the lock must list
both kinds as the sdist's build system, also when the sdist's metadata is static (PKG-INFO 2.2,
which needs no hook to read).

The sdist here is made on the spot: static PKG-INFO, an in-tree backend whose
get_requires_for_build_wheel asks for ``six`` and whose build_wheel imports it.  It is served
with a locally made six wheel by a local PEP 691 index (tests/fixtures/conda/local_channel.py).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from nixhelpers import nix_build, nix_build_error

from mach2.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "conda"))
from local_channel import SimpleIndex, make_six_wheel

PKG_INFO = "Metadata-Version: 2.2\nName: dynbuild\nVersion: 1.0\n"

PYPROJECT = """\
[build-system]
requires = []
build-backend = "dynbackend"
backend-path = ["."]
"""

BACKEND = """\
import os, zipfile

def get_requires_for_build_wheel(config_settings=None):
    return ["six>=1.10"]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import six  # what get_requires_for_build_wheel asked for
    name = "dynbuild-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as whl:
        whl.writestr("dynbuild.py", "BUILT_WITH_SIX = %r\\n" % six.__version__)
        whl.writestr("dynbuild-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: dynbuild\\nVersion: 1.0\\n")
        whl.writestr("dynbuild-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
        whl.writestr("dynbuild-1.0.dist-info/RECORD", "")
    return name
"""


def _sdist(directory: Path) -> Path:
    path = directory / "dynbuild-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in {
            "PKG-INFO": PKG_INFO,
            "pyproject.toml": PYPROJECT,
            "dynbackend.py": BACKEND,
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(f"dynbuild-1.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    work = tmp_path_factory.mktemp("pep517")
    make_six_wheel(work / "index")
    _sdist(work / "index")
    with SimpleIndex(work / "index") as index:
        yield work, index


@pytest.fixture(scope="module")
def env_dir(served: Any) -> Path:
    work, index = served
    (work / "requirements.txt").write_text("dynbuild\n", encoding="utf-8")
    args = ["env", "-r", str(work / "requirements.txt"), "-p", "wheel,sdist"]
    args += ["--python", "3.11", "--system", "x86_64-linux", "--index-url", index.url]
    args += ["--cache-dir", str(work / "cache"), str(work / "env")]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return work / "env"


@pytest.mark.network
def test_build_requirements_from_the_backend_are_locked_and_built(env_dir: Path) -> None:
    lock = json.loads((env_dir / "mach2.lock").read_text(encoding="utf-8"))
    assert lock["packages"]["dynbuild"]["provider"] == "sdist"
    assert "six" in lock["packages"]["dynbuild"]["build-system"]
    assert lock["packages"]["six"]["build-only"] is True
    env = nix_build(env_dir)
    code = "import dynbuild; print(dynbuild.BUILT_WITH_SIX)"
    result = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "1.16.0"


@pytest.mark.network
def test_an_unlisted_backend_requirement_fails_the_build(env_dir: Path, tmp_path: Path) -> None:
    """The stand-in checks what get_requires_for_build_wheel returns, as pypa/build does."""
    copy = tmp_path / "env"
    shutil.copytree(env_dir, copy)
    lock = json.loads((copy / "mach2.lock").read_text(encoding="utf-8"))
    lock["packages"]["dynbuild"]["build-system"] = {}
    (copy / "mach2.lock").write_text(json.dumps(lock, indent=2), encoding="utf-8")
    error = nix_build_error(copy)
    assert "Missing dependencies" in error and "six>=1.10" in error
