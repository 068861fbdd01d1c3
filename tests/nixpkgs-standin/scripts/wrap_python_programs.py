"""nixpkgs' wrapPythonPrograms (pkgs/development/interpreters/python/wrap.sh and the
magicalSedExpression of wrap-python.nix), in miniature: every Python script in ``$out/bin``
gets, before its first statement, a line that adds the site-packages of ``$out`` and of its
propagated-build-inputs closure with ``site.addsitedir`` -- so an application's program
imports its modules without PYTHONPATH.  Not copied: the makeWrapper shell wrapper (PATH,
PYTHONNOUSERSITE), ``makeWrapperArgs``.

    python wrap_python_programs.py "$out" "$sitePackages"
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

_PYTHON_SHEBANG = re.compile(rb"^#!.*/\.?(python|pypy)")


def closure(out: Path, site_packages: str) -> list[str]:
    seen: set[str] = set()
    sites: list[str] = []
    pending = [str(out)]
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        if os.path.isdir(os.path.join(path, site_packages)):
            sites.append(os.path.join(path, site_packages))
        propagated = os.path.join(path, "nix-support", "propagated-build-inputs")
        if os.path.exists(propagated):
            with open(propagated, encoding="utf-8") as handle:
                pending.extend(handle.read().split())
    return sites


def main(out: Path, site_packages: str) -> None:
    bin_dir = out / "bin"
    if not bin_dir.is_dir():
        return
    sites = closure(out, site_packages)
    for script in sorted(bin_dir.iterdir()):
        if script.is_symlink() or not script.is_file() or not os.access(script, os.X_OK):
            continue
        lines = script.read_bytes().splitlines(keepends=True)
        if not lines or not _PYTHON_SHEBANG.match(lines[0]):
            continue
        preamble = (
            "import sys;import site;import functools;"
            f"sys.argv[0] = {script.name!r};"
            "functools.reduce(lambda k, p: site.addsitedir(p, k), "
            f"{sites!r}, site._init_pathinfo());\n"
        ).encode()
        at = 1
        while at < len(lines) and (lines[at].startswith(b"#") or not lines[at].strip()):
            at += 1
        print(f"wrapping `{script}'...")
        script.write_bytes(b"".join([*lines[:at], preamble, *lines[at:]]))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
