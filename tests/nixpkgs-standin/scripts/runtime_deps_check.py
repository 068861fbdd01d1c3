"""Stand-in for nixpkgs' python/hooks/python-runtime-deps-check-hook.py.

Reads the METADATA of a built wheel and checks each Requires-Dist (markers evaluated, extras
off) against the distributions importable in the build environment, versions included.
Uses ``packaging``, which the hook propagates, as nixpkgs' does.

usage: runtime_deps_check.py WHEEL
"""

import sys
import zipfile
from email.parser import Parser
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.version import Version


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [member] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(member).decode("utf-8"))
    errors = []
    for text in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        try:
            version = distribution(requirement.name).version
        except PackageNotFoundError:
            errors.append(f"- {requirement.name}{requirement.specifier} not installed")
            continue
        if not requirement.specifier.contains(Version(version), prereleases=True):
            errors.append(
                f"- {requirement.name}{requirement.specifier} not satisfied by version {version}"
            )
    if errors:
        name = metadata["Name"]
        sys.exit(f"Found {len(errors)} unmet runtime dependencies of {name}:\n" + "\n".join(errors))


if __name__ == "__main__":
    main(*sys.argv[1:])
