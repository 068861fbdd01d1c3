"""The nixpkgs provider's emission (docs/nixpkgs.md §5) with real Nix and the nixpkgs stand-in.

The stand-in's Python set is empty; tests/nixpkgs-standin/python-index-fixture.nix gives it
six real packages as nixpkgs defines them (certifi 2019.11.28, chardet 3.0.4, idna 2.8,
urllib3 1.25.7, requests 2.22.0, six 1.13.0).  The locks are hand-written fixtures
(tests/nix/fixtures/nixpkgs-*.lock):

* nixpkgs-exact: every package at the stand-in's version -> nixpkgs' derivations untouched;
* nixpkgs-mismatch: locked against another nixpkgs (requests 2.21.0, idna 2.7) -> overridden,
  with urllib3 from a wheel;
* nixpkgs-bootstrap: packaging (a build-system bootstrap package, which nixpkgs' own hooks are
  made of) at another version than the stand-in's packaging 25.0;
* nixpkgs-alias: lock key `urllib3` from attribute `urllib3_1`, packaging exact, and a wheel
  (requests-toolbelt) depending on a nixpkgs package;
* nixpkgs-packaging: nixpkgs' deprecation (which depends on packaging) with packaging pinned to
  24.2 from a wheel, away from the stand-in's 25.0;
* nixpkgs-checks: nixpkgs' certifi and idna, whose tests (doCheck is nixpkgs' default) hold
  with nixpkgs' six only, and six pinned to 1.16.0 from a wheel;
* nixpkgs-toml: toml locked against a nixpkgs that had 0.10.2; the stand-in's toml 0.10.0
  carries build plumbing for its own source (patches, postPatch, cmake's hook, cargoDeps).

The last one uses ALIASED, an overlay that adds `urllib3_1` (a second attribute of one PyPI
project, like django_4 next to django).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import (
    FIXTURES,
    LIBRARY,
    STANDIN,
    closure_distributions,
    nix_build,
    nix_build_error,
    nix_error,
    nix_eval,
)

FIXTURE_OVERLAY = f"(import {STANDIN}/python-index-fixture.nix)"

PYPI = "https://files.pythonhosted.org/packages"

ALIASED = """
(final: prev:
  let
    packages = self: super: {
      urllib3_1 = self.buildPythonPackage {
        pname = "urllib3";
        version = "1.24.3";
        format = "wheel";
        src = final.fetchurl {
          url = "PYPI/01/11/525b02e4acc0c747de8b6ccdab376331597c569c42ea66ab0a1dbd36eca2/urllib3-1.24.3-py2.py3-none-any.whl";
          sha256 = "a637e5fae88995b256e3409dc4d52c2e2e0ba32c42a6365fee8bbd2238de3cfb";
          name = "urllib3-1.24.3-py2.py3-none-any.whl";
        };
      };
    };
    python311 = prev.python311.override (old: {
      packageOverrides = final.lib.composeExtensions (old.packageOverrides or (_: _: { })) packages;
    });
  in
  { inherit python311; python3 = python311; python3Packages = python311.pkgs; python311Packages = python311.pkgs; })
""".replace("PYPI", PYPI)


def expr(body: str, *, aliased: bool = False) -> str:
    """`body` with `pkgs` (the stand-in plus the fixture overlay, and ALIASED if asked), `base`
    (its python3.pkgs: nixpkgs' own packages), `mach2` and `fixtures` bound."""
    overlays = FIXTURE_OVERLAY + (" " + ALIASED if aliased else "")
    return (
        f"let pkgs = import {STANDIN} {{ overlays = [ {overlays} ]; }}; "
        f"base = pkgs.python3.pkgs; mach2 = import {LIBRARY} {{ inherit pkgs; }}; "
        f"fixtures = {FIXTURES}; in {body}"
    )


def env(lock: str | Path, extra: str = "") -> str:
    """mkPython of a fixture lock (a name) or of a lock file (a path)."""
    lock_file = f'fixtures + "/{lock}.lock"' if isinstance(lock, str) else str(lock)
    return f"(mach2.mkPython {{ lockFile = {lock_file}; {extra} }})"


def url(lock: str, key: str) -> str:
    data = json.loads((FIXTURES / f"{lock}.lock").read_text(encoding="utf-8"))
    value: str = data["packages"][key]["artifact"]["url"]
    return value


def python(env_path: Path, code: str) -> str:
    result = subprocess.run(
        [str(env_path / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


VERSIONS = "from importlib.metadata import version; print(' '.join(version(n) for n in {names!r}))"


def versions(env_path: Path, *names: str) -> str:
    return python(env_path, VERSIONS.format(names=list(names)))


FIXTURE_NAMES = ["certifi", "chardet", "idna", "requests", "urllib3"]


# 1. Exact version: nixpkgs' derivation itself (same .drv: a binary-cache hit).


def test_exact_versions_are_nixpkgs_derivations_untouched() -> None:
    names = " ".join(f'"{n}"' for n in FIXTURE_NAMES)
    result: dict[str, Any] = nix_eval(
        expr(
            f"let e = {env('nixpkgs-exact')}; ps = e.python.pkgs; in {{ "
            f"env = map (n: ps.${{n}}.drvPath) [ {names} ]; "
            f"nixpkgs = map (n: base.${{n}}.drvPath) [ {names} ]; "
            "selected = map (p: p.drvPath) (e.selectPkgs ps); "
            "marked = builtins.any (p: p ? mach2) (e.selectPkgs ps); "
            "drv = e.drvPath; }"
        )
    )
    assert result["env"] == result["nixpkgs"]
    # The environment installs exactly those derivations (lock keys are sorted).
    assert result["selected"] == result["nixpkgs"]
    assert not result["marked"]
    assert result["drv"].endswith(".drv")


@pytest.mark.network
def test_exact_versions_build_and_import() -> None:
    out = nix_build("-E", expr(env("nixpkgs-exact")))
    assert versions(out, "requests", "idna", "urllib3") == "2.22.0 2.8 1.25.7"
    assert python(out, "import requests; print(requests.__version__)") == "2.22.0"


# 2. Another version: src/version overridden, Python dependencies the lock's.

MISMATCH = f"""
let
  e = {env("nixpkgs-mismatch")};
  ps = e.python.pkgs;
  info = p: {{ inherit (p) drvPath version; src = p.src.url; mach2 = p.mach2 or null; }};
in {{
  idna = info ps.idna;
  requests = info ps.requests;
  urllib3 = {{ inherit (ps.urllib3) version; provider = ps.urllib3.mach2.provider; }};
  base = {{ idna = info base.idna; requests = info base.requests; }};
  same = map (n: ps.${{n}}.drvPath == base.${{n}}.drvPath) [ "certifi" "chardet" ];
  requestsDependencies = map (p: p.drvPath) ps.requests.dependencies;
  lockDependencies = map (n: ps.${{n}}.drvPath) [ "certifi" "chardet" "idna" "urllib3" ];
  requestsNative = map (p: p.name) ps.requests.nativeBuildInputs;
  drv = e.drvPath;
}}
"""


def test_another_version_overrides_src_version_and_dependencies() -> None:
    result: dict[str, Any] = nix_eval(expr(MISMATCH))
    idna, requests = result["idna"], result["requests"]
    # certifi and chardet are exact: nixpkgs' own.
    assert result["same"] == [True, True]
    assert idna["drvPath"] != result["base"]["idna"]["drvPath"]
    assert (idna["version"], idna["src"]) == ("2.7", url("nixpkgs-mismatch", "idna"))
    assert idna["mach2"] == {
        "key": "idna",
        "attr": "idna",
        "provider": "nixpkgs",
        "why": "hand-written test fixture (nixpkgs provider)",
    }
    assert requests["drvPath"] != result["base"]["requests"]["drvPath"]
    assert (requests["version"], requests["src"]) == ("2.21.0", url("nixpkgs-mismatch", "requests"))
    assert result["base"]["requests"]["version"] == "2.22.0"
    # nixpkgs' dependencies are replaced by the lock's: urllib3 is the wheel it locked.
    assert result["requestsDependencies"] == result["lockDependencies"]
    assert result["urllib3"] == {"version": "1.24.3", "provider": "wheel"}
    assert result["drv"].endswith(".drv")


@pytest.mark.network
def test_another_version_builds_and_imports() -> None:
    out = nix_build("-E", expr(env("nixpkgs-mismatch")))
    assert versions(out, "requests", "idna", "urllib3", "certifi", "chardet") == (
        "2.21.0 2.7 1.24.3 2019.11.28 3.0.4"
    )
    # requests checks its urllib3/chardet versions on import (RequestsDependencyWarning).
    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import requests\n"
        "print(requests.__version__, [w.category.__name__ for w in caught if 'Dependency' in w.category.__name__])"
    )
    assert python(out, code) == "2.21.0 []"


# 3. Packages nixpkgs' build hooks are made of (packaging here): overridden in place like any
# other, while the hooks stay nixpkgs' own (overlay.nix buildToolHooks).

BOOTSTRAP = f"""
let
  e = {env("nixpkgs-bootstrap")};
  ps = e.python.pkgs;
in {{
  nixpkgs = base.packaging.version;
  locked = {{ inherit (ps.packaging) version; src = ps.packaging.src.url; }};
  selected = map (p: p.name) (e.selectPkgs ps);
  # six is exact and untouched: the hooks that build it are nixpkgs' own, though packaging
  # (which pythonRuntimeDepsCheckHook is made of) is overridden.
  six = ps.six.drvPath == base.six.drvPath;
  hooks = map (h: ps.${{h}}.drvPath == base.${{h}}.drvPath)
    [ "pypaBuildHook" "pypaInstallHook" "pythonRuntimeDepsCheckHook" ];
  drv = e.drvPath;
}}
"""


def test_a_bootstrap_package_at_another_version_is_overridden_in_place() -> None:
    result: dict[str, Any] = nix_eval(expr(BOOTSTRAP))
    assert result["nixpkgs"] == "25.0"
    assert result["locked"] == {"version": "20.1", "src": url("nixpkgs-bootstrap", "packaging")}
    assert result["selected"] == [
        "python3.11-packaging-20.1",
        "python3.11-pyparsing-2.4.6",
        "python3.11-six-1.13.0",
    ]
    assert result["six"]
    assert result["hooks"] == [True, True, True]
    assert result["drv"].endswith(".drv")


def _sdist_pyparsing(tmp_path: Path) -> Path:
    """nixpkgs-bootstrap with pyparsing (a dependency of the locked packaging 20.1) as an
    sdist: built with pythonRuntimeDepsCheckHook, which is made of packaging."""
    pyparsing = {
        "kind": "sdist",
        "filename": "pyparsing-2.4.6.tar.gz",
        "url": f"{PYPI}/a2/56/0404c03c83cfcca229071d3c921d7d79ed385060bbe969fde3fd8f774ebd/pyparsing-2.4.6.tar.gz",
        "sha256": "4c830582a84fb022400b85429791bc551f1f4871c33f23e44f353119e92f969f",
    }
    lock = edited(tmp_path, "nixpkgs-bootstrap", "pyparsing", "artifact", pyparsing)
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["packages"]["pyparsing"]["provider"] = "sdist"
    lock.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return lock


def test_overriding_hook_packages_in_place_does_not_recurse(tmp_path: Path) -> None:
    """packaging 20.1 (in place) depends on pyparsing, an sdist built with the runtime-deps hook
    made of packaging: with nixpkgs' own hooks that is no cycle.  A hook made of the overridden
    packaging (as nixpkgs' hooks would be if mach2 let the overlay reach them) is the
    infinite recursion of mach-nix #529/#564."""
    lock = _sdist_pyparsing(tmp_path)
    assert nix_eval(expr(f"builtins.isString {env(lock)}.drvPath"))
    remade = (
        "overridesPost = [ (final: prev: { pythonRuntimeDepsCheckHook = "
        "prev.pythonRuntimeDepsCheckHook.override { packaging = final.packaging; }; }) ];"
    )
    assert "infinite recursion" in nix_error(expr(f"{env(lock, remade)}.drvPath"))


@pytest.mark.network
def test_a_bootstrap_package_at_another_version_builds() -> None:
    out = nix_build("-E", expr(env("nixpkgs-bootstrap")))
    assert versions(out, "packaging", "pyparsing", "six") == "20.1 2.4.6 1.13.0"
    code = "import packaging.requirements as r; print(r.Requirement('a>1').specifier)"
    assert python(out, code) == ">1"


# 4. Lock key != attribute; dependents get the locked derivation.

ALIAS = f"""
let
  e = {env("nixpkgs-alias")};
  ps = e.python.pkgs;
in {{
  urllib3 = ps.urllib3.drvPath == base.urllib3_1.drvPath;
  attrLeftAlone = ps.urllib3_1.drvPath == base.urllib3_1.drvPath;
  nixpkgsUrllib3 = base.urllib3.version;
  requestsDependencies = map (p: p.drvPath) ps.requests.dependencies;
  lockUrllib3 = base.urllib3_1.drvPath;
  requests = {{ inherit (ps.requests) version; marked = ps.requests ? mach2; }};
  toolbelt = map (p: p.drvPath) ps.requests-toolbelt.dependencies == [ ps.requests.drvPath ];
  packaging = ps.packaging.drvPath == base.packaging.drvPath;
  drv = e.drvPath;
}}
"""


def test_a_key_other_than_the_attribute() -> None:
    result: dict[str, Any] = nix_eval(expr(ALIAS, aliased=True))
    # final.urllib3 = prev.urllib3_1; urllib3_1 itself is left alone.
    assert result["urllib3"]
    assert result["attrLeftAlone"]
    assert result["nixpkgsUrllib3"] == "1.25.7"
    # nixpkgs' requests (exact, untouched) is instantiated with final.urllib3: the locked one.
    assert result["lockUrllib3"] in result["requestsDependencies"]
    assert result["requests"] == {"version": "2.22.0", "marked": False}
    # A wheel depending on a nixpkgs package gets the locked derivation.
    assert result["toolbelt"]
    # An exact package nixpkgs' hooks are made of is nixpkgs' own.
    assert result["packaging"]
    assert result["drv"].endswith(".drv")


@pytest.mark.network
def test_a_key_other_than_the_attribute_builds() -> None:
    out = nix_build("-E", expr(env("nixpkgs-alias"), aliased=True))
    assert versions(out, "urllib3", "requests", "requests-toolbelt", "packaging") == (
        "1.24.3 2.22.0 0.9.1 25.0"
    )
    assert python(out, "import requests_toolbelt, urllib3; print(urllib3.__version__)") == "1.24.3"


# 5. One copy of each Python name in a closure: nixpkgs' pythonCatchConflictsHook fails a
# package whose closure has two (catch_conflicts.py), buildEnv fails on the colliding files.


@pytest.mark.network
def test_a_bootstrap_package_pinned_away_from_nixpkgs_is_the_only_copy() -> None:
    out = nix_build("-E", expr(env("nixpkgs-packaging")))
    assert versions(out, "packaging", "deprecation") == "24.2 2.1.0"
    copies = {name: paths for name, paths in closure_distributions(out).items() if len(paths) > 1}
    assert copies == {}
    code = "import deprecation, packaging; print(packaging.__version__)"
    assert python(out, code) == "24.2"


# 6. "Untouched" and tests: nixpkgs' packages default to doCheck = true with check inputs from
# the final set.  A package mach2 leaves as nixpkgs wrote it is a cache hit when its
# derivation is nixpkgs' own; when the environment changes one of its inputs it is rebuilt
# anyway, and then its tests would run against mach2's versions: mach2 turns them off there.

CHECKS = f"""
let
  e = {env("nixpkgs-checks")};
  ps = e.python.pkgs;
  tested = {env("nixpkgs-checks", "tests = true;")}.python.pkgs;
in {{
  certifi = ps.certifi.drvPath == base.certifi.drvPath;
  certifiChecks = ps.certifi.doInstallCheck;
  idna = ps.idna.drvPath == base.idna.drvPath;
  idnaChecks = ps.idna.doInstallCheck;
  idnaVersion = ps.idna.version;
  testedChecks = tested.idna.doInstallCheck;
}}
"""


def test_checks_are_turned_off_only_where_the_package_is_rebuilt_anyway() -> None:
    result: dict[str, Any] = nix_eval(expr(CHECKS))
    # certifi: nixpkgs' own derivation (a cache hit; its checks ran where it was built).
    assert result["certifi"] and result["certifiChecks"]
    # idna's check input six is the lock's: rebuilt, so without its tests.
    assert not result["idna"] and result["idnaChecks"] is False
    assert result["idnaVersion"] == "2.8"
    # tests = true keeps nixpkgs' checks (and runs them against the lock's versions).
    assert result["testedChecks"] is True


@pytest.mark.network
def test_checks_against_the_locked_versions_do_not_fail_the_build() -> None:
    out = nix_build("-E", expr(env("nixpkgs-checks")))
    assert versions(out, "certifi", "idna", "six") == "2019.11.28 2.8 1.16.0"


# 7. Another version of a nixpkgs package drops the plumbing written for nixpkgs' source.

PLUMBING = f"""
let
  e = {env("nixpkgs-toml")};
  t = e.python.pkgs.toml;
in {{
  inherit (t) version;
  patches = t.patches or null;
  postPatch = t.postPatch or null;
  cargoDeps = t.cargoDeps or null;
  native = map (d: d.name) t.nativeBuildInputs;
  base = {{ inherit (base.toml) version; patches = map toString base.toml.patches; }};
}}
"""


def test_another_version_drops_the_old_sources_plumbing() -> None:
    result: dict[str, Any] = nix_eval(expr(PLUMBING))
    assert result["base"]["version"] == "0.10.0" and len(result["base"]["patches"]) == 1
    assert result["version"] == "0.10.2"
    assert (result["patches"], result["postPatch"], result["cargoDeps"]) == ([], None, None)
    # A wheel needs nothing to build: the cmake hook (and setuptools) are gone.
    assert not any("cmake" in n or "setuptools" in n for n in result["native"])


@pytest.mark.network
def test_another_version_from_a_wheel_builds() -> None:
    out = nix_build("-E", expr(env("nixpkgs-toml")))
    assert python(out, "import toml; print(toml.__version__)") == "0.10.2"


TOML_SDIST = {
    "kind": "nixpkgs",
    "attr": "toml",
    "filename": "toml-0.10.2.tar.gz",
    "url": f"{PYPI}/be/ba/1f744cdc819428fc6b5084ec34d9b30660f6f9daaf70eead706e3203ec3c/toml-0.10.2.tar.gz",
    "sha256": "b3bda1d108d5dd99f4a20d24d9c348e91c4db7ab1b749200bded2f839ccbe68f",
}


@pytest.mark.network
def test_another_version_from_an_sdist_keeps_the_build_tools(tmp_path: Path) -> None:
    """An sdist keeps nixpkgs' way of building (cmake's hook, setuptools) but not the patches
    and postPatch of the old source; here the CMakeLists.txt that postPatch wrote is missing,
    and `_` puts it back."""
    lock = edited(tmp_path, "nixpkgs-toml", "toml", "artifact", TOML_SDIST)
    error = nix_build_error("-E", expr(env(lock)))
    assert "does not appear to contain CMakeLists.txt" in error
    fixed = env(lock, "_.toml.postPatch = \"echo 'project(toml)' > CMakeLists.txt\";")
    out = nix_build("-E", expr(fixed))
    assert python(out, "import toml; print(toml.__version__)") == "0.10.2"


# 8. Errors.


def edited(tmp_path: Path, lock: str, key: str, field: str, value: Any) -> Path:
    """A copy of a fixture lock with packages[key][field] replaced."""
    data = json.loads((FIXTURES / f"{lock}.lock").read_text(encoding="utf-8"))
    data["packages"][key][field] = value
    path = tmp_path / f"{lock}.lock"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


NO_SOURCE = {"kind": "nixpkgs", "attr": "idna"}


def test_another_version_without_a_source_is_a_clear_error(tmp_path: Path) -> None:
    # PyPI has no sdist of that version: the lock has no url for it.
    lock = edited(tmp_path, "nixpkgs-mismatch", "idna", "artifact", NO_SOURCE)
    error = nix_error(expr(f"{env(lock)}.drvPath"))
    assert (
        "mach2: locked package `idna` is nixpkgs' `idna` 2.7, but this nixpkgs has `idna` 2.8 "
        "and the lock has no source for 2.7 (PyPI has no sdist of it); lock idna with another "
        "provider (e.g. -p 'idna=wheel,sdist') or re-lock against this nixpkgs" in error
    )
    # An exact package needs none.
    exact = edited(tmp_path, "nixpkgs-exact", "idna", "artifact", NO_SOURCE)
    assert nix_eval(expr(f"{env(exact)}.python.pkgs.idna.drvPath == base.idna.drvPath"))


def test_an_attribute_this_nixpkgs_lacks_is_a_clear_error(tmp_path: Path) -> None:
    nixpkgs = {
        "attr": "requests_2",
        "version": "2.22.0",
        "exact": True,
        "dependencies-from": "pypi",
    }
    lock = edited(tmp_path, "nixpkgs-exact", "requests", "nixpkgs", nixpkgs)
    error = nix_error(expr(f"{env(lock)}.drvPath"))
    assert (
        "mach2: locked package `requests` is nixpkgs attribute `requests_2`, which this nixpkgs "
        "does not have; re-lock against it" in error
    )


def test_a_nixpkgs_module_in_packages_extra_gets_the_locked_dependencies(tmp_path: Path) -> None:
    """packagesExtra = [ python3.pkgs.deprecation ]: nixpkgs' own package is taken from the
    environment's set, so it depends on the locked packaging, not on nixpkgs' second copy."""
    data = json.loads((FIXTURES / "nixpkgs-packaging.lock").read_text(encoding="utf-8"))
    del data["packages"]["deprecation"]
    data["roots"] = ["packaging"]
    lock = tmp_path / "packaging.lock"
    lock.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    result: dict[str, Any] = nix_eval(
        expr(
            f"let e = {env(lock, 'packagesExtra = [ base.deprecation ];')}; "
            "in map (p: p.name) e.python.pkgs.deprecation.propagatedBuildInputs"
        )
    )
    assert result == ["python3.11-packaging-24.2", "python3-3.11"]
