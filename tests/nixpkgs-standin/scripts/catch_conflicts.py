"""Stand-in for nixpkgs' python/catch_conflicts/catch_conflicts.py (pythonCatchConflictsHook).

Walks $out and, recursively, every path in nix-support/propagated-build-inputs; records the
distributions (``*.dist-info`` in site-packages) each store path holds; fails when one
normalized name is found in two store paths, printing each copy with its dependency chain.
"""

import os
import re
import sys
from importlib.metadata import PathDistribution
from pathlib import Path

SITE = f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> None:
    found: dict[str, dict[str, tuple[str, list[str]]]] = {}
    seen: set[str] = set()
    out = os.environ["out"]  # noqa: SIM112 (Nix sets $out)
    stack = [(Path(out), [f"this derivation: {out}"])]
    while stack:
        path, parents = stack.pop()
        if str(path) in seen:
            continue
        seen.add(str(path))
        site = path / SITE
        if site.is_dir():
            for info in sorted(site.glob("*.dist-info")):
                dist = PathDistribution(info)
                name = normalize(dist.metadata["Name"] or info.name.split("-")[0])
                found.setdefault(name, {})[str(path)] = (dist.version, parents)
        propagated = path / "nix-support" / "propagated-build-inputs"
        if propagated.is_file():
            for entry in reversed(propagated.read_text().split()):
                stack.append((Path(entry), [*parents, entry]))
    abort = False
    for name, copies in sorted(found.items()):
        if len(copies) > 1:
            abort = True
            print(f"Found duplicated packages in closure for dependency '{name}': ")
            for store_path, (version, parents) in copies.items():
                print(f"  {name} {version} ({store_path})")
                print("    dependency chain:\n      " + "\n      ...depending on: ".join(parents))
    if abort:
        print(
            "\nPackage duplicates found in closure, see above. Usually this happens if two "
            "packages depend on different version of the same dependency."
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
