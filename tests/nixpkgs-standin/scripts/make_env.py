"""Stand-in for nixpkgs' python buildEnv (pkgs/development/interpreters/python/wrapper.nix).

What it copies: the environment is one prefix holding the files of every package
(`requiredPythonModules` of extraLibs) as symlinks; two packages with different files at the
same path are a collision, an error naming both unless ignoreCollisions; every program in
the packages' bin/ is available in $out/bin with makeWrapperArgs applied (--set,
--set-default, --unset, --prefix, --suffix, --run, --add-flags); PYTHONNOUSERSITE is set
unless permitUserSite; postBuild runs afterwards (in the builder).
How it differs: nixpkgs' interpreter finds the environment through NIX_PYTHONPREFIX and its
sitecustomize; the stand-in's interpreter is the host's, so $out is made a venv
(pyvenv.cfg without system site-packages) and bin/python3.11 is a wrapper that runs the
host interpreter with argv[0] inside $out, which makes it use $out's site-packages only.
Python scripts get the environment's interpreter as shebang instead of a wrapper.

Environment: out, paths, sitePackages, executable, hostPython, pythonVersion,
ignoreCollisions, permitUserSite, makeWrapperArgsJSON.
"""

import json
import os
import shlex
import sys
from pathlib import Path

SKIP_TOP = {"nix-support", "bin", "pyvenv.cfg"}


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


def write_wrapper(path: Path, target: str, lines: list[str], flags: list[str], argv0: bool) -> None:
    argv0_flag = '-a "$0" ' if argv0 else ""
    exec_line = f'exec {argv0_flag}{shlex.quote(target)} {" ".join(flags)} "$@"'
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
    executable = env["executable"]
    site = env["sitePackages"]
    ignore = bool(env.get("ignoreCollisions"))
    lines, flags = wrapper_lines(json.loads(env.get("makeWrapperArgsJSON", "[]")))
    if not env.get("permitUserSite"):
        lines = ['export PYTHONNOUSERSITE="true"', *lines]
    (out / "bin").mkdir(parents=True)
    (out / site).mkdir(parents=True)
    (out / "pyvenv.cfg").write_text(
        f"home = {Path(env['hostPython']).parent}\n"
        "include-system-site-packages = false\n"
        f"version = {env['pythonVersion']}\n",
        encoding="utf-8",
    )
    python = out / "bin" / executable
    write_wrapper(python, env["hostPython"], lines, flags, argv0=True)
    for alias in ("python3", "python"):
        (out / "bin" / alias).symlink_to(executable)

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
        if not bindir.is_dir() or (package / "pyvenv.cfg").exists():
            continue
        for program in sorted(bindir.iterdir()):
            if not (program.is_file() and os.access(program, os.X_OK)):
                continue
            dest = out / "bin" / program.name
            if dest.exists() or dest.is_symlink():
                dest.unlink()
            head = program.read_bytes()[:2]
            if head == b"#!" and b"python" in program.read_bytes().split(b"\n", 1)[0]:
                body = program.read_bytes().split(b"\n", 1)
                dest.write_bytes(
                    b"#!" + str(python).encode() + b"\n" + (body[1] if len(body) > 1 else b"")
                )
                dest.chmod(0o755)
            else:
                write_wrapper(dest, str(program), lines, flags, argv0=False)


if __name__ == "__main__":
    main()
