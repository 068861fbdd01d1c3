"""The shared resolver (Factory + CondaProvider) against the standalone conda solver.

The universes are the solved environments of test_conda_locks.py (conda-lock, pixi, rattler:
each lock's own records form the channel).  With the target's interpreter standing for conda's
python, both resolvers must choose the same records, and those must be a consistent
environment (every depends met, every constrains respected).  That checks the port of conda
semantics into the shared resolver (identifiers, MatchSpec requirements, constrains as absent
candidates, virtual packages, channel order) on real dependency data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mach2.model.target import Target
from mach2.providers.conda.channels import ChannelIndex, RecordsInMemory
from mach2.providers.conda.matchspec import MatchSpec, parse_matchspec
from mach2.providers.conda.provider import CondaProvider, conda_identifier
from mach2.providers.conda.repodata import RepodataRecord
from mach2.providers.conda.solve import solve, unmet
from mach2.providers.conda.virtual import interpreter_packages, virtual_packages
from mach2.providers.order import ProviderOrder
from mach2.resolve.factory import Factory
from mach2.resolve.requirement import Requirement
from mach2.resolve.resolver import resolve

sys.path.insert(0, str(Path(__file__).parent))
from test_conda_locks import (
    CONDA_LOCK_CASES,
    LOCKS,
    PIXI_SPECS,
    SYSTEM,
    conda_lock,
    pixi_lock,
)

from mach2.inputs.environment_yml import read_environment_yml


def shared(specs: list[str], records: list[RepodataRecord], target: Target) -> dict[str, str]:
    """conda name → filename chosen by the shared resolver (``-p conda``)."""
    index = ChannelIndex([RecordsInMemory("conda-forge", records)])
    provider = CondaProvider("conda", index, target)
    fixed = {r.name: r for r in (*interpreter_packages(target), *virtual_packages(target))}
    roots = []
    for spec in map(parse_matchspec, specs):
        if spec.name in fixed:
            # the inputs stage's check (mach2.pipeline.inputs.conda_roots)
            assert spec.matches(fixed[spec.name]), spec.text
            continue
        name = conda_identifier(spec.name, provider.names)
        roots.append(Requirement.from_matchspec(name, spec, origin="test"))
    factory = Factory(
        target=target,
        order=ProviderOrder.from_mapping({"_default": "conda"}),
        providers={"conda": provider},
        prefetch_workers=0,
    )
    chosen = resolve(factory, roots).mapping.values()
    found = [c.artifact for c in chosen if isinstance(c.artifact, RepodataRecord)]
    assert unmet([*found, *fixed.values()]) == ()
    return {r.name: r.filename for r in found}


def standalone(specs: list[str], records: list[RepodataRecord], target: Target) -> dict[str, str]:
    index = ChannelIndex([RecordsInMemory("conda-forge", records)])
    return {r.name: r.filename for r in solve(specs, index, target).records}


def _target(records: list[RepodataRecord], platform: str, macos: str | None = None) -> Target:
    python = next(r for r in records if r.name == "python")
    return Target.from_strings(str(python.version), SYSTEM[platform], macos=macos)


@pytest.mark.parametrize("platform", ["linux-64", "osx-64", "osx-arm64"])
def test_pixi_examples_pypi(platform: str) -> None:
    records = pixi_lock(LOCKS / "pixi" / "examples-pypi" / "pixi.lock")[platform]
    target = _target(records, platform, macos="12.0")
    assert shared(PIXI_SPECS, records, target) == standalone(PIXI_SPECS, records, target)


@pytest.mark.parametrize(("case", "sources", "platform", "add_pip", "extras"), CONDA_LOCK_CASES)
def test_conda_lock(
    case: str, sources: list[str], platform: str, add_pip: bool, extras: set[str]
) -> None:
    directory = LOCKS / "conda-lock" / case
    records = conda_lock(directory / "conda-lock.yml")[platform]
    specs: list[MatchSpec] = [
        s for name in sources for s in read_environment_yml(directory / name).conda_specs()
    ]
    texts = [s.text for s in specs]
    target = _target(records, platform)
    result = shared(texts, records, target)
    assert result == standalone(texts, records, target)
    assert set(result) <= {r.name for r in records}
