"""Stand-in for nixpkgs' pypaBuildHook (``python -m build --no-isolation --wheel``).

A minimal PEP 517 frontend without isolation: the build backend and its requirements must
already be importable (they come from ``build-system`` through PYTHONPATH, exactly as in
nixpkgs, where a missing backend fails the build).  Reads ``[build-system]`` from
pyproject.toml with tomllib; without one, uses setuptools' legacy backend (PEP 517's
fallback), which then must be in build-system too.

usage: build_wheel.py SOURCE_DIR OUT_DIR [-CKEY=VALUE | --config-setting=KEY=VALUE ...]

The flags are nixpkgs' ``pypaBuildFlags`` (pypa-build-hook.sh passes them to ``python -m
build``); a key given more than once becomes a list, as pypa/build does.
"""

import importlib
import os
import sys
import tomllib
from pathlib import Path


def config_settings(flags: list[str]) -> dict[str, str | list[str]]:
    settings: dict[str, str | list[str]] = {}
    for flag in flags:
        for prefix in ("--config-setting=", "-C"):
            if flag.startswith(prefix):
                key, _, value = flag[len(prefix) :].partition("=")
                break
        else:
            sys.exit(
                f"build_wheel: unsupported pypaBuildFlags entry {flag!r} (the stand-in takes -C/--config-setting)"
            )
        old = settings.get(key)
        settings[key] = value if old is None else [*([old] if isinstance(old, str) else old), value]
    return settings


def main(source: str, out: str, *flags: str) -> None:
    os.chdir(source)
    pyproject = Path("pyproject.toml")
    system = {}
    if pyproject.exists():
        system = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("build-system", {})
    backend_ref = system.get("build-backend", "setuptools.build_meta:__legacy__")
    for entry in reversed(system.get("backend-path", [])):
        sys.path.insert(0, str(Path(entry).resolve()))
    module_name, _, attr = backend_ref.partition(":")
    try:
        backend = importlib.import_module(module_name)
    except ImportError as error:
        sys.exit(
            f"build_wheel: cannot import the build backend {backend_ref!r} ({error}); "
            f"it must be in build-system (requires = {system.get('requires', [])!r})"
        )
    for part in filter(None, attr.split(".")):
        backend = getattr(backend, part)
    Path(out).mkdir(parents=True, exist_ok=True)
    settings = config_settings(list(flags))
    name = backend.build_wheel(str(Path(out).resolve()), settings or None)
    print(f"build_wheel: built {name}")


if __name__ == "__main__":
    main(*sys.argv[1:])
