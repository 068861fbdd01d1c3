"""Stand-in for nixpkgs' pythonRuntimeDepsCheckHook (pyproject builds only).

Checks that every unconditional ``Requires-Dist`` of the installed distribution is installed
(a ``*.dist-info`` with that normalized name on PYTHONPATH or in the output).  The real hook
also checks versions and markers with ``packaging``; the stand-in has only the standard
library, so requirements with markers are skipped.  ``dontCheckRuntimeDeps`` disables it,
as in nixpkgs.

usage: runtime_deps_check.py SITE_PACKAGES
"""

import email.parser
import os
import re
import sys
from pathlib import Path


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed(dirs: list[Path]) -> set[str]:
    names = set()
    for directory in dirs:
        for info in directory.glob("*.dist-info"):
            names.add(normalize(info.name[: -len(".dist-info")].rsplit("-", 1)[0]))
    return names


def main(site: str) -> None:
    site_path = Path(site)
    dirs = [site_path] + [Path(p) for p in os.environ.get("PYTHONPATH", "").split(":") if p]
    have = installed(dirs)
    missing = []
    for info in site_path.glob("*.dist-info"):
        metadata = email.parser.Parser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        print(f"Checking runtime dependencies for {info.name}")
        for requirement in metadata.get_all("Requires-Dist") or []:
            if ";" in requirement:
                continue
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
            if match and normalize(match[1]) not in have:
                missing.append(f"  - {match[1]} not installed (required by {requirement!r})")
    if missing:
        sys.exit("\n".join(missing))


if __name__ == "__main__":
    main(*sys.argv[1:])
