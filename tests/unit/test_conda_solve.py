"""The standalone conda solver: real closures (conda-forge numpy, intel, conda's test index)
and conda semantics on small synthetic channels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mach2.model.target import Target
from mach2.providers.conda.channels import ChannelIndex, RecordsInMemory
from mach2.providers.conda.errors import CondaResolutionFailed
from mach2.providers.conda.matchspec import parse_matchspec
from mach2.providers.conda.repodata import RepodataRecord, load_repodata
from mach2.providers.conda.solve import (
    Absent,
    Requirement,
    dependencies,
    records_for,
    solve,
    sort_records,
    unmet,
)
from mach2.providers.conda.virtual import interpreter_packages, virtual_packages

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "conda"))
from conda_fixtures import DATA, NUMPY_CLOSURE, rec

PY312 = Target.from_strings("3.12")


def _channel(path: Path, name: str, subdir: str = "linux-64") -> ChannelIndex:
    source = load_repodata(path, channel=name, subdir=subdir, base_url=f"https://x/{subdir}")
    return ChannelIndex([source])


def _index(*records: RepodataRecord) -> ChannelIndex:
    channels: dict[str, list[RepodataRecord]] = {}
    for record in records:
        channels.setdefault(record.channel, []).append(record)
    return ChannelIndex([RecordsInMemory(name, rs) for name, rs in channels.items()])


# -- real channels -----------------------------------------------------------------------------


def _closure_files() -> dict[str, str]:
    raw = json.loads(NUMPY_CLOSURE.read_text())
    files = {r["name"]: fn for fn, r in raw["packages"].items()}
    files.update({r["name"]: fn for fn, r in raw["packages.conda"].items()})  # .conda wins
    return files


def test_numpy_closure_with_conda_python() -> None:
    """numpy for python 3.12 (conda's python, pip added as conda does) is exactly the file."""
    solution = solve(
        ["numpy"], _channel(NUMPY_CLOSURE, "conda-forge"), PY312,
        python="channel", add_pip_as_python_dependency=True,
    )  # fmt: skip
    assert {r.name: r.filename for r in solution.records} == _closure_files()
    assert [r.name for r in solution.provided] == []
    assert unmet(solution.records, add_pip_to_python=True) == ()


def test_numpy_closure_with_the_target_interpreter() -> None:
    """With nixpkgs' python, the closure loses python and everything only python needed."""
    raw = json.loads(NUMPY_CLOSURE.read_text())
    by_name = {
        r["name"]: r for section in ("packages", "packages.conda") for r in raw[section].values()
    }
    expected, todo = set(), ["numpy"]
    while todo:  # an independent walk over depends, stopping at what the interpreter provides
        name = todo.pop()
        if name in expected or name in ("python", "python_abi"):
            continue
        expected.add(name)
        todo.extend(d.split()[0] for d in by_name[name].get("depends") or ())
    solution = solve(["numpy"], _channel(NUMPY_CLOSURE, "conda-forge"), PY312)
    assert solution.names() == expected
    assert {r.filename for r in solution.records} == {_closure_files()[n] for n in expected}
    assert [r.name for r in solution.provided] == ["python", "python_abi"]
    assert unmet([*solution.records, *solution.provided]) == ()
    assert ("numpy", "libblas") in solution.edges and ("numpy", "python") in solution.edges


def test_numpy_closure_for_the_wrong_python_says_why() -> None:
    with pytest.raises(CondaResolutionFailed) as info:
        solve(["numpy"], _channel(NUMPY_CLOSURE, "conda-forge"), Target.from_strings("3.11"))
    message = str(info.value)
    assert "\n" not in message and "'numpy' required by the request" in message
    assert "no build fits the target" in message and "python" in message


def _intel() -> ChannelIndex:
    return ChannelIndex(
        [
            load_repodata(DATA / "intel" / sub / "repodata.json", channel="intel", subdir=sub,
                          base_url=f"https://conda.anaconda.org/intel/{sub}")
            for sub in ("linux-64", "noarch")
        ]
    )  # fmt: skip


@pytest.mark.parametrize("python", ["target", "channel"])
def test_intel_numpy_scipy_mkl_for_python_39(python: str) -> None:
    target = Target.from_strings("3.9")
    solution = solve(["numpy", "scipy", "mkl"], _intel(), target, python=python)  # type: ignore[arg-type]
    chosen = solution.by_name()
    assert unmet(chosen.values()) == ()
    assert str(chosen["python"].version).startswith("3.9.")
    assert {"numpy", "numpy-base", "scipy", "mkl", "mkl_fft", "mkl_random"} <= set(chosen)
    assert "py39" in chosen["numpy"].build and "py39" in chosen["scipy"].build
    # highest first: numpy 1.24.3 is the newest py39 numpy of the channel
    newest = max(
        (r for r in _intel().records("numpy") if "py39" in r.build), key=lambda r: r.version
    )
    assert chosen["numpy"].version == newest.version
    assert (python == "target") == (chosen["python"].channel == "@interpreter")


def test_conda_test_index_no_features() -> None:
    """conda's tests/test_resolve.py::test_no_features, on the same index."""
    index = _channel(DATA / "conda-tests" / "index.json", "test")
    solution = solve(["python 2.6*", "numpy 1.6*", "scipy 0.11*"], index, PY312, python="any")
    assert [r.stem for r in solution.records] == [
        "numpy-1.6.2-py26_4", "openssl-1.0.1c-0", "python-2.6.8-6", "readline-6.2-0",
        "scipy-0.11.0-np16py26_3", "sqlite-3.7.13-0", "system-5.8-1", "tk-8.5.13-0",
        "zlib-1.2.7-0",
    ]  # fmt: skip


def test_conda_test_index_irrational_version() -> None:
    """conda's test_irrational_version: 'pytz 2012d' with python 3."""
    index = _channel(DATA / "conda-tests" / "index.json", "test")
    solution = solve(["pytz 2012d", "python 3*"], index, PY312, python="any")
    assert [r.stem for r in solution.records] == [
        "openssl-1.0.1c-0", "python-3.3.2-0", "pytz-2012d-py33_0", "readline-6.2-0",
        "sqlite-3.7.13-0", "system-5.8-1", "tk-8.5.13-0", "zlib-1.2.7-0",
    ]  # fmt: skip


def test_conda_test_index_anaconda_metapackage() -> None:
    """A metapackage pinning ~50 exact builds resolves to exactly those builds."""
    index = _channel(DATA / "conda-tests" / "index.json", "test")
    solution = solve(["anaconda 1.4.0 np17py33_0"], index, PY312, python="any")
    chosen = solution.by_name()
    anaconda = chosen["anaconda"]
    for text in anaconda.depends:
        spec = parse_matchspec(text)
        assert spec.matches(chosen[spec.name]), text
    assert unmet(chosen.values()) == ()


def test_pytorch_channel_glibc_floor() -> None:
    """faiss-cpu builds that need __glibc >=2.17 are not candidates on a glibc 2.12 target."""
    index = _channel(DATA / "rattler" / "pytorch" / "linux-64" / "repodata.json", "pytorch")
    records = index.records("faiss-cpu")
    needing = {r for r in records if any(d.startswith("__glibc") for d in r.depends)}
    assert needing and needing != set(records)
    old = {r.name: r for r in virtual_packages(Target.from_strings("3.12", glibc="2.12"))}
    assert not needing & set(records_for(index, "faiss-cpu", [], fixed=old))
    new = {r.name: r for r in virtual_packages(PY312)}
    assert needing <= set(records_for(index, "faiss-cpu", [], fixed=new))
    assert records_for(index, "faiss-cpu", [])[0] == sort_records(records, index)[0]


def test_cuda_only_when_asked() -> None:
    index = _index(rec("cudnn", "8.9", "0", depends=("__cuda >=11.8",)))
    with pytest.raises(CondaResolutionFailed, match="__cuda"):
        solve(["cudnn"], index, PY312)
    with pytest.raises(CondaResolutionFailed):
        solve(["cudnn"], index, PY312, cuda="11.2")
    solution = solve(["cudnn"], index, PY312, cuda="12.1")
    assert solution.names() == {"cudnn"} and [r.name for r in solution.provided] == ["__cuda"]


# -- conda semantics on synthetic channels -------------------------------------------------------


def test_constrains_bind_only_installed_packages() -> None:
    index = _index(
        rec("a", "1", "0", depends=("b",)),
        rec("b", "1", "0"),
        rec("b", "2", "0"),
        rec("c", "1", "0", constrains=("b <2",)),
    )
    assert solve(["c"], index, PY312).names() == {"c"}  # b is constrained, not installed
    assert {str(r.version) for r in solve(["a", "c"], index, PY312).records if r.name == "b"} == {
        "1"
    }
    assert {str(r.version) for r in solve(["a"], index, PY312).records if r.name == "b"} == {"2"}
    with pytest.raises(CondaResolutionFailed):
        solve(["c", "b >=2"], index, PY312)


def test_constraint_then_requirement_in_either_order() -> None:
    # x constrains y, and x's dependency z depends on y: the Absent pin of y must be replaced
    index = _index(
        rec("x", "1", "0", depends=("z",), constrains=("y >=2",)),
        rec("z", "1", "0", depends=("y",)),
        rec("y", "1", "0"),
        rec("y", "3", "0"),
    )
    chosen = solve(["x"], index, PY312).by_name()
    assert str(chosen["y"].version) == "3"
    with pytest.raises(CondaResolutionFailed):
        solve(["x", "y <2"], index, PY312)


def test_track_features_are_avoided() -> None:
    plain = rec("blas", "1.0", "openblas", timestamp=1)
    featured = rec("blas", "1.0", "mkl", build_number=5, track_features=("blas_mkl",), timestamp=2)
    newer_featured = rec("blas", "2.0", "mkl", track_features=("blas_mkl",))
    index = _index(plain, featured, newer_featured)
    assert solve(["blas"], index, PY312).records == (plain,)
    assert solve(["blas * mkl"], index, PY312).records == (newer_featured,)
    assert solve(["blas[build=mkl]", "blas <2"], index, PY312).records == (featured,)


def test_order_version_then_build_number_then_time() -> None:
    records = [
        rec("p", "1.0", "a", 1, timestamp=5),
        rec("p", "1.0", "b", 2, timestamp=1),
        rec("p", "1.0", "c", 2, timestamp=3),
        rec("p", "1.1rc1", "d", 0),
        rec("p", "0.9", "e", 9),
    ]
    index = _index(*records)
    assert [r.build for r in sort_records(records, index)] == ["d", "c", "b", "a", "e"]
    below = records_for(index, "p", [parse_matchspec("p <1.1")])
    assert [r.build for r in below] == ["d", "c", "b", "a", "e"]  # conda: 1.1rc1 < 1.1
    below = records_for(index, "p", [parse_matchspec("p <1.1rc0")])
    assert [r.build for r in below] == ["c", "b", "a", "e"]


def test_channel_priority() -> None:
    high = rec("numpy", "1.0", "0", channel="high")
    low = rec("numpy", "2.0", "0", channel="low")
    other = rec("scipy", "1.0", "0", channel="low")
    index = ChannelIndex([RecordsInMemory("high", [high]), RecordsInMemory("low", [low, other])])
    assert solve(["numpy"], index, PY312).records == (high,)
    assert solve(["scipy"], index, PY312).records == (other,)  # only low has it: allowed
    with pytest.raises(CondaResolutionFailed):
        solve(["numpy >=2"], index, PY312)
    assert solve(["numpy"], index, PY312, channel_priority="flexible").records == (high,)
    assert solve(["numpy >=2"], index, PY312, channel_priority="flexible").records == (low,)
    assert solve(["numpy"], index, PY312, channel_priority="disabled").records == (low,)
    assert solve(["high::numpy"], index, PY312, channel_priority="disabled").records == (high,)


def test_virtual_packages_from_the_target() -> None:
    old = rec("tool", "1", "0", depends=("__glibc >=2.17",))
    new = rec("tool", "2", "0", depends=("__glibc >=2.28", "__unix"))
    mac = rec("tool", "3", "0", depends=("__osx >=11",))
    index = _index(old, new, mac)
    assert solve(["tool"], index, Target.from_strings("3.12", glibc="2.17")).records == (old,)
    solution = solve(["tool"], index, PY312)
    assert solution.records == (new,)
    assert [r.name for r in solution.provided] == ["__glibc", "__unix"]
    mac_target = Target.from_strings("3.12", "aarch64-darwin", macos="12.0")
    assert solve(["tool"], index, mac_target).records == (mac,)
    with pytest.raises(CondaResolutionFailed, match="__osx"):
        solve(["tool 3"], index, PY312)
    with pytest.raises(CondaResolutionFailed, match="no channel"):
        solve(["nothing-like-it"], index, PY312)


def test_virtual_package_records() -> None:
    linux = {r.name: r for r in virtual_packages(Target.from_strings("3.12", glibc="2.28"))}
    assert sorted(linux) == ["__archspec", "__glibc", "__linux", "__unix"]
    assert str(linux["__glibc"].version) == "2.28" and linux["__archspec"].build == "x86_64"
    mac = {
        r.name: r
        for r in virtual_packages(Target.from_strings("3.12", "aarch64-darwin"), cuda="12.4")
    }
    assert sorted(mac) == ["__archspec", "__cuda", "__osx", "__unix"]
    assert str(mac["__osx"].version) == "13.0" and str(mac["__cuda"].version) == "12.4"
    assert mac["__archspec"].build == "m1" and mac["__osx"].subdir == "osx-arm64"
    python, abi = interpreter_packages(Target.from_strings("3.12"))
    assert parse_matchspec("python >=3.12,<3.13.0a0").matches(python)
    assert parse_matchspec("python 3.12.* *_cpython").matches(python)
    assert parse_matchspec("python_abi 3.12.* *_cp312").matches(abi)
    assert not parse_matchspec("python_abi 3.11.* *_cp311").matches(abi)


def test_requirement_and_absent_pieces() -> None:
    """The pieces the shared adapter reuses behave as documented."""
    record = rec("python", "3.12.1", "h_cpython", depends=("libffi",))
    assert [s.name for s in dependencies(record)] == ["libffi"]
    assert [s.name for s in dependencies(record, add_pip_to_python=True)] == ["libffi", "pip"]
    constraint = Requirement(parse_matchspec("b <2"), constraint=True, parent=record)
    assert constraint.name == "b" and "constrained by python 3.12.1" in constraint.describe()
    assert Absent("b") == Absent("b")


def test_unmet_reports_problems() -> None:
    a = rec("a", "1", "0", depends=("b >=2", "c"), constrains=("d <1",))
    b = rec("b", "1", "0")
    d = rec("d", "1", "0")
    problems = unmet([a, b, d])
    assert len(problems) == 3 and all("a 1 0" in p for p in problems)
