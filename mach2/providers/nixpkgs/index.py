"""The nixpkgs index: which Python packages a nixpkgs has (attribute, PyPI name, version, deps).

mach2's nixpkgs provider resolves against this list.  It comes either from a prepared file
(``--nixpkgs-index FILE``: :func:`read_index`, which also reads the 2020 pynixify dump through
:func:`from_pynixify`) or from evaluating ``mach2/nix/nixpkgs-index.nix`` with real Nix against
a nixpkgs given as a path, a channel (``<nixpkgs>``), a flake reference or a bare nixpkgs
revision (:func:`evaluate_index`).  docs/nixpkgs.md documents the JSON format.

Cost: evaluating all of a real nixpkgs' Python set takes tens of seconds, so the result is
cached under ``cache_dir/nixpkgs-index-v1/`` keyed by the nixpkgs' content (store path, flake
narHash, or a hash of the checkout's files), the Python attribute, the system and the
expression itself.  Errors that ``builtins.tryEval`` cannot catch (a missing attribute inside
one package) abort a whole evaluation; then the attributes are evaluated in halves until each
culprit is found, and those are listed in the index as ``unevaluable``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
from attrs import frozen

from mach2.atomic import write_atomic
from mach2.errors import CacheError, IndexError_
from mach2.model.names import NormalizedName, normalize

__all__ = [
    "EXPRESSION",
    "INDEX_FORMAT",
    "NixpkgsIndex",
    "NixpkgsIndexError",
    "NixpkgsPackage",
    "NixpkgsSource",
    "evaluate_index",
    "from_pynixify",
    "input_identity",
    "parse_nixpkgs_source",
    "python_attr",
    "read_index",
    "write_index",
]

INDEX_FORMAT = 1
#: The Nix expression that lists a nixpkgs' Python packages (shipped as package data).
EXPRESSION = Path(__file__).resolve().parents[2] / "nix" / "nixpkgs-index.nix"
_CACHE_DIR = "nixpkgs-index-v1"
_FLAKES = ["--extra-experimental-features", "nix-command flakes"]
_REVISION = re.compile(r"^[0-9a-f]{40}$")
_HINT = "pass a prepared index with --nixpkgs-index FILE (format in docs/nixpkgs.md)"


class NixpkgsIndexError(IndexError_):
    """A nixpkgs index could not be evaluated, read or understood."""


@frozen(kw_only=True, cache_hash=True)
class NixpkgsPackage:
    """One attribute of a nixpkgs Python package set.

    :param attr: the attribute in ``pkgs.<python>.pkgs`` (``django_4``, ``pytest``).
    :param name: the PEP 503 normalized PyPI project name.
    :param version: the version exactly as nixpkgs has it (maybe not PEP 440:
        ``unstable-2020-01-01``).
    :param dependencies: attributes of its Python dependencies; ``None`` when the index does
        not say (the pynixify dump).
    :param extras: nixpkgs' ``optional-dependencies``: extra name → attributes.
    """

    attr: str
    name: NormalizedName
    version: str
    dependencies: tuple[str, ...] | None = None
    extras: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, hash=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"attr": self.attr, "name": self.name, "version": self.version}
        if self.dependencies is not None:
            data["dependencies"] = list(self.dependencies)
        if self.extras:
            data["extras"] = {k: list(v) for k, v in sorted(self.extras.items())}
        return data


@frozen(kw_only=True)
class NixpkgsIndex:
    """Every Python package of one nixpkgs, for one interpreter attribute and system.

    :param nixpkgs: where it came from: ``source``, ``url``, ``revision``, ``narHash``,
        ``path``, ``version`` (each may be missing or ``None``).
    :param python: the interpreter's full version (``3.12.8``), ``None`` when unknown.
    :param unevaluable: attributes skipped because evaluating them failed beyond tryEval.
    """

    packages: tuple[NixpkgsPackage, ...]
    nixpkgs: Mapping[str, Any] = attrs.field(factory=dict)
    python: str | None = None
    python_attr: str | None = None
    system: str | None = None
    unevaluable: tuple[str, ...] = ()
    _by_name: Mapping[str, tuple[NixpkgsPackage, ...]] = attrs.field(
        init=False, eq=False, repr=False
    )
    _by_attr: Mapping[str, NixpkgsPackage] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_name: dict[str, list[NixpkgsPackage]] = {}
        for package in self.packages:
            by_name.setdefault(package.name, []).append(package)
        object.__setattr__(self, "_by_name", {k: tuple(v) for k, v in by_name.items()})
        object.__setattr__(self, "_by_attr", {p.attr: p for p in self.packages})

    def by_name(self, name: str) -> tuple[NixpkgsPackage, ...]:
        """The attributes of PyPI project ``name`` (normalized), in index order."""
        return self._by_name.get(name, ())

    def by_attr(self, attr: str) -> NixpkgsPackage | None:
        return self._by_attr.get(attr)

    def names(self) -> Iterator[str]:
        yield from self._by_name

    @classmethod
    def from_json(cls, data: Any, *, where: str) -> NixpkgsIndex:
        """Validate a format-1 index; errors name ``where`` and the offending field.

        :raises NixpkgsIndexError: not an index, a newer format, or a malformed entry.
        """
        if not isinstance(data, dict) or "packages" not in data:
            raise NixpkgsIndexError(f"{where} is not a mach2 nixpkgs index", hint=_HINT)
        if data.get("format") != INDEX_FORMAT:
            raise NixpkgsIndexError(
                f"{where} has nixpkgs index format {data.get('format')!r}; this mach2 reads format {INDEX_FORMAT}",
                hint="regenerate it with this mach2 (or upgrade mach2)",
            )
        raw = data["packages"]
        if not isinstance(raw, list):
            raise NixpkgsIndexError(f"{where}: `packages` must be a list")
        packages = tuple(_package(entry, f"{where}: packages[{i}]") for i, entry in enumerate(raw))
        nixpkgs = data.get("nixpkgs") or {}
        unevaluable = data.get("unevaluable") or []
        if not isinstance(nixpkgs, dict) or not isinstance(unevaluable, list):
            raise NixpkgsIndexError(f"{where}: `nixpkgs` must be an object, `unevaluable` a list")
        return cls(
            packages=packages,
            nixpkgs=nixpkgs,
            python=_optional_str(data, "python", where),
            python_attr=_optional_str(data, "python-attr", where),
            system=_optional_str(data, "system", where),
            unevaluable=tuple(str(a) for a in unevaluable),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": INDEX_FORMAT,
            "nixpkgs": dict(sorted(self.nixpkgs.items())),
            "python": self.python,
            "packages": [p.to_json() for p in self.packages],
        }
        if self.python_attr is not None:
            data["python-attr"] = self.python_attr
        if self.system is not None:
            data["system"] = self.system
        if self.unevaluable:
            data["unevaluable"] = list(self.unevaluable)
        return data


def _optional_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise NixpkgsIndexError(f"{where}: `{key}` must be a string, not {value!r}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NixpkgsIndexError(f"{where} must be a list of attribute names, not {value!r}")
    return tuple(value)


def _package(entry: Any, where: str) -> NixpkgsPackage:
    if not isinstance(entry, dict):
        raise NixpkgsIndexError(f"{where} must be an object, not {entry!r}")
    for key in ("attr", "name", "version"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise NixpkgsIndexError(
                f"{where}.{key} must be a non-empty string, not {entry.get(key)!r}"
            )
    dependencies = entry.get("dependencies")
    extras = entry.get("extras") or {}
    if not isinstance(extras, dict):
        raise NixpkgsIndexError(f"{where}.extras must be an object, not {extras!r}")
    return NixpkgsPackage(
        attr=entry["attr"],
        name=normalize(entry["name"]),
        version=entry["version"],
        dependencies=None
        if dependencies is None
        else _strings(dependencies, f"{where}.dependencies"),
        extras={k: _strings(v, f"{where}.extras.{k}") for k, v in sorted(extras.items())},
    )


# -- files -----------------------------------------------------------------------------------


def from_pynixify(data: Mapping[str, Any]) -> dict[str, Any]:
    """Convert pynixify's nixpkgs dump to a format-1 index (as JSON data).

    The dump (pynixify's ``tests/nixpkgs_packages.json``) maps the PyPI name in each package's
    source URL to its attributes: ``{"Django": [{"attr": "django_2_2", "pypiName": "Django",
    "src": "mirror://pypi/D/Django/Django-2.2.8.tar.gz", "version": "2.2.8"}]}``.  It has no
    dependency lists, so the entries leave ``dependencies`` out (unknown): the provider then
    takes them from PyPI's metadata.  Nor does it say which nixpkgs revision or Python it is.

    >>> from_pynixify({"Django": [{"attr": "django_2_2", "pypiName": "Django",
    ...                            "version": "2.2.8"}]})["packages"]
    [{'attr': 'django_2_2', 'name': 'django', 'version': '2.2.8'}]

    :raises NixpkgsIndexError: an entry is not shaped like the dump's.
    """
    packages = []
    for key, rows in data.items():
        if not isinstance(rows, list):
            raise NixpkgsIndexError(f"pynixify dump entry {key!r} must be a list, not {rows!r}")
        for row in rows:
            if not isinstance(row, dict) or not all(
                isinstance(row.get(k), str) for k in ("attr", "version")
            ):
                raise NixpkgsIndexError(f"pynixify dump entry {key!r} has a malformed row {row!r}")
            pypi_name = row.get("pypiName")
            name = pypi_name if isinstance(pypi_name, str) else key
            packages.append(
                {"attr": row["attr"], "name": normalize(name), "version": row["version"]}
            )
    packages.sort(key=lambda p: (p["attr"], p["name"]))
    return {
        "format": INDEX_FORMAT,
        "nixpkgs": {"source": "pynixify dump", "revision": None},
        "python": None,
        "packages": packages,
    }


def _is_pynixify(data: Any) -> bool:
    if not isinstance(data, dict) or "format" in data or not data:
        return False
    first = next(iter(data.values()))
    return isinstance(first, list) and all(isinstance(r, dict) and "attr" in r for r in first)


def read_index(path: Path) -> NixpkgsIndex:
    """Read an index file: format 1 (docs/nixpkgs.md), or a pynixify dump (converted).

    :raises NixpkgsIndexError: unreadable, not JSON, or neither format.
    """
    try:
        data = json.loads(path.read_bytes())
    except OSError as error:
        raise NixpkgsIndexError(
            f"cannot read nixpkgs index {str(path)!r}: {error.strerror}"
        ) from None
    except ValueError as error:
        raise NixpkgsIndexError(f"nixpkgs index {str(path)!r} is not JSON: {error}") from None
    if _is_pynixify(data):
        data = from_pynixify(data)
    return NixpkgsIndex.from_json(data, where=repr(str(path)))


def write_index(index: NixpkgsIndex, path: Path) -> None:
    """Write ``index`` as deterministic JSON (sorted keys), atomically."""
    _write_atomic(path, index.to_json())


def _write_atomic(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


# -- evaluating a nixpkgs --------------------------------------------------------------------


@frozen
class NixpkgsSource:
    """A nixpkgs to index: a ``path``, a ``channel`` (``<nixpkgs>``), a ``flake`` reference
    or a ``tarball`` URL with its unpacked sha256 (what ``mach2 env --nixpkgs REV
    --nixpkgs-sha256 HASH`` pins: :meth:`github`)."""

    kind: Literal["path", "channel", "flake", "tarball"]
    value: str
    sha256: str | None = None

    @classmethod
    def github(cls, revision: str, sha256: str) -> NixpkgsSource:
        """NixOS/nixpkgs at ``revision``, as ``builtins.fetchTarball`` with ``sha256``."""
        return cls("tarball", f"https://github.com/NixOS/nixpkgs/archive/{revision}.tar.gz", sha256)

    def __str__(self) -> str:
        return f"<{self.value}>" if self.kind == "channel" else self.value


def parse_nixpkgs_source(text: str) -> NixpkgsSource:
    """What ``--nixpkgs TEXT`` names.

    ``<name>`` is a channel (a NIX_PATH entry); 40 hex digits are a nixpkgs revision on
    GitHub; anything with ``:`` that is not a path is a flake reference
    (``github:NixOS/nixpkgs/nixos-24.05``, ``flake:nixpkgs``); the rest is a path.

    >>> parse_nixpkgs_source("<nixpkgs>")
    NixpkgsSource(kind='channel', value='nixpkgs', sha256=None)
    >>> parse_nixpkgs_source("0" * 40).value
    'github:NixOS/nixpkgs/0000000000000000000000000000000000000000'
    """
    text = text.strip()
    if text.startswith("<") and text.endswith(">") and len(text) > 2:
        return NixpkgsSource("channel", text[1:-1])
    if _REVISION.match(text):
        return NixpkgsSource("flake", f"github:NixOS/nixpkgs/{text}")
    if ":" in text and not text.startswith(("/", ".", "~")):
        return NixpkgsSource("flake", text)
    if not text:
        raise NixpkgsIndexError(
            "empty nixpkgs reference", hint="give a path, <nixpkgs> or a flake reference"
        )
    return NixpkgsSource("path", text)


def input_identity(index_file: Path | None, nixpkgs: str | NixpkgsSource | None) -> str | None:
    """What a lock's input hash records of the nixpkgs it was made with, cheaply (no Nix).

    A prepared file counts by content; a nixpkgs reference as written (a moving channel or
    branch does not make a lock stale: pin a revision for that).

    :raises NixpkgsIndexError: the index file cannot be read.
    """
    if index_file is not None:
        try:
            return "file:" + hashlib.sha256(index_file.read_bytes()).hexdigest()
        except OSError as error:
            raise NixpkgsIndexError(
                f"cannot read nixpkgs index {str(index_file)!r}: {error.strerror}"
            ) from None
    if isinstance(nixpkgs, NixpkgsSource):
        return f"{nixpkgs.kind}:{nixpkgs.value}#{nixpkgs.sha256 or ''}"
    return nixpkgs


def python_attr(python: tuple[int, ...]) -> str:
    """The nixpkgs attribute of a CPython version: ``(3, 12, 8)`` → ``python312``."""
    return f"python{python[0]}{python[1]}"


# The expression nix-instantiate runs: every input is an --argstr, so nothing is spliced into
# Nix source.  `probe` lists the attributes and forces what every batch shares.
_DRIVER = """
{ expression, kind, source, sha256, python, system, attrs, probe }:
let
  flake = builtins.getFlake source;
  pkgs =
    if kind == "flake" && flake ? legacyPackages.${system} then
      flake.legacyPackages.${system}
    else
      import (
        if kind == "flake" then flake.outPath
        else if kind == "tarball" then builtins.fetchTarball { url = source; inherit sha256; }
        else if kind == "channel" then builtins.findFile builtins.nixPath source
        else /. + source
      ) { inherit system; config = { }; overlays = [ ]; };
  index = import (/. + expression) {
    inherit pkgs python;
    attrs = if attrs == "" then null else builtins.fromJSON attrs;
  };
in
if probe == "1" then { attrs = builtins.attrNames pkgs.${python}.pkgs; } else index
"""


class _EvaluationFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _nix_error(stderr: str) -> str:
    """The line of Nix's error output that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors[-1] if errors else lines[-1] if lines else "no error output").removeprefix(
        "error: "
    )


def _run(args: Sequence[str], what: str) -> str:
    try:
        result = subprocess.run(
            list(args), capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise NixpkgsIndexError(
            f"{args[0]} was not found: Nix is needed to index {what}", hint=_HINT
        ) from None
    if result.returncode != 0:
        raise _EvaluationFailed(_nix_error(result.stderr))
    return result.stdout


class _Evaluator:
    def __init__(self, source: NixpkgsSource, python: str, system: str, nix_bin: Path | None):
        self.source = source
        self.python = python
        self.system = system
        self.nix_bin = nix_bin

    def tool(self, name: str) -> str:
        return str(self.nix_bin / name) if self.nix_bin is not None else name

    def evaluate(
        self, source: NixpkgsSource, *, attrs: Sequence[str] | None = None, probe: bool = False
    ) -> Any:
        args = [self.tool("nix-instantiate"), "--eval", "--strict", "--json"]
        if source.kind == "flake":
            args += _FLAKES
        for key, value in (
            ("expression", str(EXPRESSION)),
            ("kind", source.kind),
            ("source", source.value),
            ("sha256", source.sha256 or ""),
            ("python", self.python),
            ("system", self.system),
            ("attrs", "" if attrs is None else json.dumps(list(attrs))),
            ("probe", "1" if probe else ""),
        ):
            args += ["--argstr", key, value]
        args += ["--expr", _DRIVER]
        return json.loads(_run(args, str(self.source)))

    def flake_metadata(self) -> dict[str, Any]:
        try:
            output = _run(
                [self.tool("nix"), *_FLAKES, "flake", "metadata", "--json", self.source.value],
                str(self.source),
            )
        except _EvaluationFailed as error:
            raise NixpkgsIndexError(
                f"cannot lock nixpkgs flake {self.source.value!r}: {error.message}", hint=_HINT
            ) from None
        data: dict[str, Any] = json.loads(output)
        return data

    def find_channel(self) -> Path:
        try:
            output = _run(
                [self.tool("nix-instantiate"), "--find-file", self.source.value], str(self.source)
            )
        except _EvaluationFailed as error:
            raise NixpkgsIndexError(
                f"nixpkgs channel {str(self.source)!r} is not on NIX_PATH: {error.message}",
                hint="set NIX_PATH (nixpkgs=...) or give a path or flake reference",
            ) from None
        return Path(output.strip())


def _tree_hash(root: Path) -> str:
    """sha256 over the relative paths and contents of every file below ``root`` (no .git)."""
    digest = hashlib.sha256()
    if root.is_file():
        digest.update(root.read_bytes())
        return digest.hexdigest()
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != ".git")
        for filename in sorted(files):
            path = Path(directory, filename)
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            if path.is_symlink():
                digest.update(b"link:" + os.readlink(path).encode())
            else:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _identify(evaluator: _Evaluator) -> tuple[str, NixpkgsSource, dict[str, Any]]:
    """``(cache key, what to evaluate, nixpkgs metadata)`` for the evaluator's nixpkgs.

    What is evaluated is pinned to what the key names: a flake's locked URL, a channel's
    resolved path.
    """
    source = evaluator.source
    if source.kind == "flake":
        meta = evaluator.flake_metadata()
        locked = meta.get("locked") or {}
        # Nix 2.8 calls the locked reference `url`; later releases also `lockedUrl`.
        url = meta.get("lockedUrl") or meta.get("url") or source.value
        info = {
            "source": source.value,
            "url": url,
            "revision": meta.get("revision") or locked.get("rev"),
            "narHash": locked.get("narHash"),
            "path": meta.get("path"),
        }
        return f"flake:{locked.get('narHash') or url}", NixpkgsSource("flake", url), info
    if source.kind == "tarball":
        info = {"source": source.value, "url": source.value, "sha256": source.sha256}
        revision = re.search(r"/archive/([0-9a-f]{40})\.tar\.gz$", source.value)
        info["revision"] = revision[1] if revision else None
        return f"tarball:{source.value}#{source.sha256}", source, info
    if source.kind == "channel":
        path = evaluator.find_channel().resolve()
        given = str(source)
    else:
        path = Path(source.value).expanduser().resolve()
        given = source.value
        if not path.exists():
            raise NixpkgsIndexError(f"nixpkgs path {source.value!r} does not exist", hint=_HINT)
    info = {"source": given, "path": str(path), "revision": None}
    parts = path.parts
    if len(parts) > 3 and parts[:3] == ("/", "nix", "store"):
        # Store paths are content-addressed.
        return f"store:{path}", NixpkgsSource("path", str(path)), info
    return f"tree:{_tree_hash(path)}", NixpkgsSource("path", str(path)), info


def evaluate_index(
    source: NixpkgsSource,
    *,
    python: str = "python3",
    system: str = "x86_64-linux",
    cache_dir: Path | None = None,
    refresh: bool = False,
    nix_bin: Path | None = None,
) -> NixpkgsIndex:
    """Index ``source``'s ``pkgs.<python>.pkgs`` for ``system`` with real Nix (cached).

    :param python: the interpreter attribute (:func:`python_attr` of the target).
    :param cache_dir: mach2's cache directory; ``None`` evaluates every time.
    :param refresh: evaluate even when a cached index exists (and replace it).
    :param nix_bin: directory holding ``nix-instantiate`` and ``nix``; ``None``: from PATH.
    :raises NixpkgsIndexError: Nix is missing, the nixpkgs cannot be found or locked, or its
        evaluation fails outside any one package.
    """
    evaluator = _Evaluator(source, python, system, nix_bin)
    key, evaluated, info = _identify(evaluator)
    cache_file = None
    if cache_dir is not None:
        digest = hashlib.sha256(
            json.dumps(
                [
                    INDEX_FORMAT,
                    key,
                    python,
                    system,
                    hashlib.sha256(EXPRESSION.read_bytes()).hexdigest(),
                ]
            ).encode()
        ).hexdigest()
        cache_file = cache_dir / _CACHE_DIR / f"{digest}.json"
        if not refresh and cache_file.exists():
            return _read_cached(cache_file)
    data = _evaluate_all(evaluator, evaluated)
    data["nixpkgs"] = {**info, **{k: v for k, v in data["nixpkgs"].items() if v is not None}}
    data["python-attr"] = python
    data["system"] = system
    index = NixpkgsIndex.from_json(data, where=f"the nixpkgs index of {str(source)!r}")
    if cache_file is not None:
        _write_atomic(cache_file, index.to_json())
    return index


def _read_cached(path: Path) -> NixpkgsIndex:
    try:
        return NixpkgsIndex.from_json(json.loads(path.read_bytes()), where=str(path))
    except (OSError, ValueError, NixpkgsIndexError) as error:
        raise CacheError(
            f"cached nixpkgs index {str(path)!r} is damaged: {error}",
            hint="delete it or run with --refresh",
        ) from None


def _evaluate_all(evaluator: _Evaluator, source: NixpkgsSource) -> dict[str, Any]:
    try:
        data: dict[str, Any] = evaluator.evaluate(source)
        return data
    except _EvaluationFailed:
        pass
    # Something tryEval could not catch.  Probe the parts every batch needs first: when those
    # fail, no split can help.
    what = f"{evaluator.python} of nixpkgs {str(evaluator.source)!r}"
    try:
        attrs = evaluator.evaluate(source, probe=True)["attrs"]
        skeleton = evaluator.evaluate(source, attrs=[])
    except _EvaluationFailed as error:
        raise NixpkgsIndexError(f"evaluating {what} failed: {error.message}", hint=_HINT) from None
    packages: list[Any] = []
    unevaluable: list[str] = []
    for batch, result in _bisect(evaluator, source, attrs):
        if result is None:
            unevaluable.extend(batch)
        else:
            packages.extend(result)
    skeleton["packages"] = sorted(packages, key=lambda p: p["attr"])
    skeleton["unevaluable"] = unevaluable
    return dict(skeleton)


def _bisect(
    evaluator: _Evaluator, source: NixpkgsSource, attrs: Sequence[str]
) -> Iterable[tuple[Sequence[str], list[Any] | None]]:
    """Evaluate ``attrs``, halving each failing batch down to the single attributes that fail."""
    pending = [list(attrs)]
    while pending:
        batch = pending.pop()
        try:
            yield batch, evaluator.evaluate(source, attrs=batch)["packages"]
        except _EvaluationFailed:
            if len(batch) == 1:
                yield batch, None
            else:
                middle = len(batch) // 2
                pending += [batch[middle:], batch[:middle]]
