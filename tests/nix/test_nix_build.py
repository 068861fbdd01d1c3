"""Real builds with the nixpkgs stand-in: real downloads from PyPI, hashes checked by Nix."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from nixhelpers import (
    FIXTURES,
    STANDIN,
    docker_image,
    fixture_args,
    library_expr,
    nix_build,
    nix_build_error,
    run,
)

from mach2.emit import write_env_dir
from mach2.lock.model import read_lock

pytestmark = pytest.mark.network

SIX = fixture_args("sdist-six", 'providers = { _default = "sdist,wheel"; setuptools = "wheel"; };')


def _python(env: Path, code: str) -> str:
    result = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def _build(body: str) -> Path:
    return nix_build("-E", library_expr(body))


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("envdir") / "env"
    lock = read_lock(FIXTURES / "requests-pyyaml.lock")
    write_env_dir(lock, (FIXTURES / "requests-pyyaml.txt").read_text(encoding="utf-8"), out)
    return out


def test_env_dir_builds_unchanged_and_imports(env_dir: Path) -> None:
    env = nix_build(env_dir, "-I", f"nixpkgs={STANDIN}")
    assert _python(env, "import requests, yaml; print(requests.__version__, yaml.__version__)") == (
        "2.32.3 6.0.2"
    )
    # The binary wheel's extension module is the one imported (not a pure fallback).
    assert _python(env, "import yaml; print(yaml.__with_libyaml__)") == "True"
    # Only the environment's packages are importable (no host site-packages leak in).
    assert "dist-packages" not in _python(env, "import sys; print(sys.path)")


def test_env_dir_rerun_changes_nothing(env_dir: Path) -> None:
    lock = read_lock(FIXTURES / "requests-pyyaml.lock")
    text = (FIXTURES / "requests-pyyaml.txt").read_text(encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in env_dir.rglob("*") if p.is_file()}
    assert write_env_dir(lock, text, env_dir) == []
    assert {p: p.stat().st_mtime_ns for p in env_dir.rglob("*") if p.is_file()} == before


def test_nix_shell_enters_the_env(env_dir: Path) -> None:
    result = run(
        [
            "nix-shell",
            "--option",
            "substituters",
            "",
            str(env_dir),
            "--run",
            'python -c "import requests, yaml; print(requests.__name__)"',
        ],
        check=True,
    )
    assert result.stdout.strip().endswith("requests")


def test_env_dir_with_another_pkgs(env_dir: Path) -> None:
    env = nix_build(env_dir, "--arg", "pkgs", f"import {STANDIN} {{ }}")
    assert (env / "bin" / "python").exists()


def test_shell_nix_builds(env_dir: Path) -> None:
    shell = nix_build(env_dir / "shell.nix", "-I", f"nixpkgs={STANDIN}")
    assert "python3-3.11-env" in shell.read_text(encoding="utf-8")


def test_mk_python_shell_builds() -> None:
    shell = _build(f"mach2.mkPythonShell {fixture_args('requests-pyyaml')}")
    assert shell.name.endswith("mach2-python-shell")


def test_mk_docker_image_override() -> None:
    # `config` is merged key by key over mkDockerImage's: Cmd replaced, Env kept; an
    # override of the override too (issue 14 item 2).
    image = _build(
        f"((mach2.mkDockerImage {fixture_args('requests-pyyaml')}).override (old: {{ "
        'name = "my-image"; config.Cmd = [ "python" "-c" "print(1)" ]; })).override '
        '{ config.WorkingDir = "/srv"; }'
    )
    manifest, config, _ = docker_image(image)
    assert image.name.endswith("my-image.tar.gz")
    assert manifest["RepoTags"] == ["my-image:latest"]
    assert sorted(config["config"]) == ["Cmd", "Env", "WorkingDir"]
    assert config["config"]["Cmd"] == ["python", "-c", "print(1)"]
    assert [e.split("=")[0] for e in config["config"]["Env"]] == ["SSL_CERT_FILE", "PATH"]


def test_sdist_is_built_with_the_locked_backend() -> None:
    env = _build(f"mach2.mkPython {SIX}")
    assert _python(env, "import six; print(six.__version__)") == "1.16.0"
    # setuptools is build-only: not installed into the environment.
    assert _python(env, "import importlib.util as u; print(u.find_spec('setuptools'))") == "None"


def test_sdist_without_locked_backend_fails(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "sdist-six.lock").read_text(encoding="utf-8"))
    del data["packages"]["six"]["build-system"]
    lock = tmp_path / "six.lock"
    lock.write_text(json.dumps(data), encoding="utf-8")
    error = nix_build_error(
        "-E",
        library_expr(
            f'mach2.mkPython {{ requirements = builtins.readFile (fixtures + "/sdist-six.txt"); '
            f'lockFile = {lock}; providers = {{ _default = "sdist,wheel"; setuptools = "wheel"; }}; }}'
        ),
    )
    # pypa/build, run by the stand-in's pypaBuildHook, cannot ask the missing backend for its
    # build requirements.
    assert "Backend 'setuptools.build_meta:__legacy__' is not available." in error


def test_no_dist_copy_of_the_wheels() -> None:
    """nixpkgs' python-output-dist-hook keeps dist/ (the installed wheel) as the `dist`
    output; mach2 empties it first, so no wheel is stored twice."""
    args = fixture_args("requests-pyyaml")
    dist = _build(f"(mach2.mkPython {args}).python.pkgs.pyyaml.dist")
    assert dist.is_dir() and list(dist.iterdir()) == []
    six = _build(f"(mach2.mkPython {SIX}).python.pkgs.six.dist")
    assert list(six.iterdir()) == []


def test_wheel_with_native_libraries_from_the_plan() -> None:
    env = _build(f"mach2.mkPython {fixture_args('ujson')}")
    assert _python(env, "import ujson; print(ujson.dumps({'a': 1}))") == '{"a":1}'


def test_missing_soname_fails_the_build_by_name(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "ujson.lock").read_text(encoding="utf-8"))
    data["packages"]["ujson"]["patchelf"] = {"attrs": []}
    lock = tmp_path / "ujson.lock"
    lock.write_text(json.dumps(data), encoding="utf-8")
    error = nix_build_error(
        "-E",
        library_expr(
            f'mach2.mkPython {{ requirements = builtins.readFile (fixtures + "/ujson.txt"); '
            f"lockFile = {lock}; }}"
        ),
    )
    assert "auto-patchelf could not satisfy dependency libstdc++.so.6 wanted by" in error
    assert "ujson.cpython-311-x86_64-linux-gnu.so" in error
    assert "python3.11-ujson-6.1.0" in error


def test_underscore_overrides_apply() -> None:
    env = _build(
        f"mach2.mkPython ({fixture_args('requests-pyyaml')} // {{ "
        '_.Requests.postInstall = "echo marked > $out/marker"; '
        '_.idna.postInstall.mod = old: (if old == null then "" else old) + "touch $out/idna-marker"; })'
    )
    requests = Path(_python(env, "import requests, os; print(os.path.realpath(requests.__file__))"))
    store_path = Path(*requests.parts[:4])
    assert (store_path / "marker").read_text(encoding="utf-8") == "marked\n"
    idna = Path(_python(env, "import idna, os; print(os.path.realpath(idna.__file__))"))
    assert (Path(*idna.parts[:4]) / "idna-marker").exists()


def test_packages_extra_project_and_program() -> None:
    env = _build(
        f'mach2.mkPython ({SIX} // {{ packagesExtra = [ (fixtures + "/demo-app") pkgs.hello ]; }})'
    )
    result = subprocess.run(
        [str(env / "bin" / "demo-app")], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "demo-app with six 1.16.0"
    # Non-Python extras are on the PATH of the environment's programs.
    assert _python(
        env,
        "import subprocess; print(subprocess.run(['hello'], capture_output=True, text=True).stdout)",
    ) == ("Hello, world!")


def test_build_python_package_and_reuse_in_packages_extra() -> None:
    app = f'mach2.buildPythonApplication ({SIX} // {{ src = fixtures + "/demo-app"; }})'
    built = _build(app)
    assert (built / "bin" / "demo-app").exists()
    env = _build(f"mach2.mkPython ({SIX} // {{ packagesExtra = [ ({app}) ]; }})")
    result = subprocess.run(
        [str(env / "bin" / "demo-app")], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "demo-app with six 1.16.0"


def test_overlay_and_nixpkgs() -> None:
    args = fixture_args("requests-pyyaml")
    via_overlay = _build(
        f"(import {STANDIN} {{ overlays = [ (mach2.mkOverlay {args}) ]; }}).python311.pkgs.requests"
    )
    via_nixpkgs = _build(f"(mach2.mkNixpkgs {args}).python311.pkgs.requests")
    assert via_overlay == via_nixpkgs
    assert via_overlay.name.endswith("python3.11-requests-2.32.3")


def test_python_overrides_and_select_pkgs() -> None:
    env = _build(
        f"let overrides = mach2.mkPythonOverrides ({fixture_args('requests-pyyaml')} // "
        '{ _.requests.pname = "renamed"; }); '
        "py = pkgs.python311.override { packageOverrides = overrides; }; "
        "in py.withPackages (ps: ps.selectPkgs ps)"
    )
    assert _python(env, "import requests, yaml; print('ok')") == "ok"
    names = {p.name for p in (env / "lib" / "python3.11" / "site-packages").iterdir()}
    assert "requests" in names


def test_collisions_fail_unless_ignored(tmp_path: Path) -> None:
    # Two packages shipping the same file: nixpkgs' buildEnv refuses unless ignoreCollisions.
    args = fixture_args(
        "requests-pyyaml",
        '_.idna.postInstall = "echo a > $out/lib/python3.11/site-packages/clash.py"; '
        '_.certifi.postInstall = "echo b > $out/lib/python3.11/site-packages/clash.py";',
    )
    error = nix_build_error("-E", library_expr(f"mach2.mkPython {args}"))
    assert "collision between" in error and "clash.py" in error
    env = _build(f"mach2.mkPython ({args} // {{ ignoreCollisions = true; }})")
    assert (env / "lib" / "python3.11" / "site-packages" / "clash.py").exists()
