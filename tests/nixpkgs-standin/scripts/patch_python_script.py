"""Stand-in for the sed expression of nixpkgs' wrap-python.nix (magicalSedExpression).

After the shebang, the comment/blank lines right below it and any ``from __future__``
imports, a Python script gets one line that sets ``sys.argv[0]`` to the program's name and
adds every directory of the package's closure as a site directory, so the script finds its
dependencies without PYTHONPATH.

usage: patch_python_script.py SCRIPT NAME SITE_DIRS (colon separated)
"""

import sys
from pathlib import Path


def main(script: str, name: str, site_dirs: str) -> None:
    path = Path(script)
    lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(keepends=True)
    dirs = [d for d in site_dirs.split(":") if d]
    inject = (
        f"import sys;import site;import functools;sys.argv[0] = {name!r};"
        f"functools.reduce(lambda k, p: site.addsitedir(p, k), {dirs!r}, site._init_pathinfo());\n"
    )
    at = 1
    while at < len(lines) and (
        not lines[at].strip() or lines[at].lstrip().startswith("#") or "__future__" in lines[at]
    ):
        at += 1
    lines.insert(at, inject)
    path.write_text("".join(lines), encoding="utf-8", errors="surrogateescape")


if __name__ == "__main__":
    main(*sys.argv[1:])
