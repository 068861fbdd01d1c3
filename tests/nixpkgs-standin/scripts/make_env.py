"""Stand-in for nixpkgs' python buildEnv (pkgs/development/interpreters/python/wrapper.nix).

What it copies: the environment is one prefix holding the files of every package
(`requiredPythonModules` of extraLibs, the interpreter included) as symlinks; two packages with
different files at the same path are a collision, an error naming both unless
ignoreCollisions; then every program in a package's bin/ (names not starting with a dot, as
wrapper.nix's `for prg in *`) becomes a makeWrapper wrapper in $out/bin that sets
NIX_PYTHONPREFIX=$out, NIX_PYTHONEXECUTABLE, NIX_PYTHONPATH, PYTHONNOUSERSITE (unless
permitUserSite) and applies makeWrapperArgs (--set, --set-default, --unset, --prefix, --suffix,
--run, --add-flags); postBuild runs afterwards (in the builder).
How it differs: nixpkgs' interpreter reads NIX_PYTHONPREFIX in its sitecustomize; the
stand-in's interpreter (the host's, see python.nix) reads it in its bash wrapper and becomes
the venv at $out (this script writes $out/pyvenv.cfg).

Environment: out, paths, sitePackages, executable, hostPython, pythonVersion,
ignoreCollisions, permitUserSite, makeWrapperArgsJSON.
"""

import json
import os
import shlex
import sys
from pathlib import Path

SKIP_TOP = {"nix-support", "pyvenv.cfg"}


def wrapper_lines(args: list[str]) -> tuple[list[str], list[str]]:
    words = shlex.split(" ".join(args))
    lines, flags = [], []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--set":
            lines.append(f"export {words[i + 1]}={shlex.quote(words[i + 2])}")
            i += 3
        elif w == "--set-default":
            k = words[i + 1]
            lines.append(f'export {k}="${{{k}-{words[i + 2]}}}"')
            i += 3
        elif w == "--unset":
            lines.append(f"unset {words[i + 1]}")
            i += 2
        elif w in ("--prefix", "--suffix"):
            k, sep, value = words[i + 1], words[i + 2], words[i + 3]
            q, qs = shlex.quote(value), shlex.quote(sep)
            if w == "--prefix":
                lines.append(f"export {k}={q}${{{k}:+{qs}${k}}}")
            else:
                lines.append(f"export {k}=${{{k}:+${k}{qs}}}{q}")
            i += 4
        elif w == "--run":
            lines.append(words[i + 1])
            i += 2
        elif w == "--add-flags":
            flags.append(words[i + 1])
            i += 2
        else:
            sys.exit(f"make_env: unsupported makeWrapper argument {w!r}")
    return lines, flags


def write_wrapper(path: Path, target: str, lines: list[str], flags: list[str]) -> None:
    exec_line = f'exec -a "$0" {shlex.quote(target)} {" ".join(flags)} "$@"'
    path.write_text("#!/bin/bash\n" + "\n".join([*lines, exec_line]) + "\n", encoding="utf-8")
    path.chmod(0o755)


def link_tree(source: Path, target: Path, owners: dict[Path, Path], ignore: bool) -> None:
    for entry in sorted(source.iterdir()):
        dest = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            dest.mkdir(exist_ok=True)
            link_tree(entry, dest, owners, ignore)
            continue
        if dest.is_symlink() or dest.exists():
            previous = owners[dest]
            same = (
                entry.is_file()
                and previous.is_file()
                and entry.read_bytes() == previous.read_bytes()
            )
            if not same and not ignore:
                sys.exit(f"collision between `{previous}' and `{entry}'")
            continue
        dest.symlink_to(entry)
        owners[dest] = entry


def main() -> None:
    env = os.environ
    out = Path(env["out"])
    site = env["sitePackages"]
    ignore = bool(env.get("ignoreCollisions"))
    user_lines, flags = wrapper_lines(json.loads(env.get("makeWrapperArgsJSON", "[]")))
    lines = [
        f"export NIX_PYTHONPREFIX={shlex.quote(str(out))}",
        f"export NIX_PYTHONEXECUTABLE={shlex.quote(str(out / 'bin' / env['executable']))}",
        f"export NIX_PYTHONPATH={shlex.quote(str(out / site))}",
    ]
    if not env.get("permitUserSite"):
        lines.append('export PYTHONNOUSERSITE="true"')
    lines += user_lines
    (out / "bin").mkdir(parents=True)
    (out / site).mkdir(parents=True)
    (out / "pyvenv.cfg").write_text(
        f"home = {Path(env['hostPython']).parent}\n"
        "include-system-site-packages = false\n"
        f"version = {env['pythonVersion']}\n",
        encoding="utf-8",
    )

    owners: dict[Path, Path] = {}
    paths = [Path(p) for p in env["paths"].split()]
    for package in paths:
        for entry in sorted(package.iterdir()):
            if entry.name in SKIP_TOP:
                continue
            dest = out / entry.name
            if entry.is_dir():
                dest.mkdir(exist_ok=True)
                link_tree(entry, dest, owners, ignore)
            elif not dest.exists():
                dest.symlink_to(entry)
                owners[dest] = entry
    for package in paths:
        bindir = package / "bin"
        if not bindir.is_dir():
            continue
        for program in sorted(bindir.iterdir()):
            if program.name.startswith(".") or not program.is_file():
                continue
            dest = out / "bin" / program.name
            if dest.exists() or dest.is_symlink():
                dest.unlink()
            if os.access(program, os.X_OK):
                write_wrapper(dest, str(program), lines, flags)


if __name__ == "__main__":
    main()
