"""Conda MatchSpecs: ``name [version [build]]`` plus ``[key=value]`` brackets.

The grammar follows ``conda.models.match_spec`` (``_parse_spec_str``) and
``conda.models.version.VersionSpec``::

    numpy                       any numpy
    numpy 1.2.*   numpy 1.2*    version starts with 1.2 (not 1.20)
    numpy =1.2    numpy=1.2     the same (a single ``=`` means "starts with")
    numpy ==1.2   numpy 1.2     exactly 1.2 (== 1.2.0)
    numpy >=1.2,<2              ``,`` is "and", ``|`` is "or" (``,`` binds tighter); (...) groups
    numpy 1.2|1.3  numpy ~=1.2  numpy !=1.2.*
    numpy 1.2 py39*             a build-string glob (``*`` is the only wildcard)
    numpy=1.2=py39_0            version 1.2 (exact, because a build is given) and build py39_0
    numpy[build=mkl]  numpy[version='>=1', build_number='>=2']
    conda-forge::numpy          only from that channel (``conda-forge/linux-64::numpy``: and subdir)

Differences from conda, on purpose: parentheses only group version expressions (conda also
reads an options group such as ``numpy (optional)``, which no repodata uses); feature specs
(``name@``) and package URLs as specs are rejected with an error.  Conditional dependencies
(``... if __unix``) are ignored the way conda ignores them.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import Final, Protocol

from attrs import frozen

from mach2.providers.conda.errors import InvalidMatchSpec
from mach2.providers.conda.version import VersionOrder
from mach2.providers.conda.versionspec import (
    VersionSpec,
    compile_pattern,
    glob_pattern,
    parse_version_spec,
)

__all__ = [
    "BuildNumberSpec",
    "MatchSpec",
    "Record",
    "StrSpec",
    "VersionSpec",
    "parse_matchspec",
]


class Record(Protocol):
    """What a MatchSpec looks at (:class:`mach2.providers.conda.repodata.RepodataRecord` has it all)."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> VersionOrder: ...
    @property
    def build(self) -> str: ...
    @property
    def build_number(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def subdir(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def md5(self) -> str | None: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def track_features(self) -> tuple[str, ...]: ...


# -- string and build-number specs ------------------------------------------------------------


@frozen
class StrSpec:
    """An exact string, a glob (``*`` only) or a ``^regex$`` (build strings, names)."""

    text: str
    regex: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, text: str) -> StrSpec:
        if text.startswith("^") and text.endswith("$"):
            return cls(text, compile_pattern(text, text))
        if "*" in text:
            return cls(text, compile_pattern(f"^(?:{glob_pattern(text)})$", text))
        return cls(text)

    @property
    def is_any(self) -> bool:
        return self.text.strip("*") == "" and self.text != ""

    def match(self, value: str) -> bool:
        if self.regex is None:
            return value == self.text
        return self.regex.match(value) is not None

    def __str__(self) -> str:
        return self.text


@frozen
class BuildNumberSpec:
    """``3``, ``>=3``, ``!=0`` or ``*``."""

    text: str
    operator: str
    number: int

    @classmethod
    def parse(cls, text: str, whole: str) -> BuildNumberSpec:
        text = text.strip()
        if text == "*":
            return cls(text, "*", 0)
        match = re.match(r"^(==|!=|<=|>=|<|>|=)?\s*(\d+)$", text)
        if match is None:
            raise InvalidMatchSpec(whole, f"invalid build_number {text!r}")
        return cls(text, match[1] or "==", int(match[2]))

    def match(self, value: int) -> bool:
        op, n = self.operator, self.number
        if op == "*":
            return True
        if op in ("==", "="):
            return value == n
        if op == "!=":
            return value != n
        if op == "<=":
            return value <= n
        if op == ">=":
            return value >= n
        return value < n if op == "<" else value > n


# -- match specs ------------------------------------------------------------------------------

_SUBDIRS: Final = frozenset(
    {
        "noarch", "linux-64", "linux-aarch64", "linux-ppc64le", "linux-s390x", "linux-32",
        "linux-armv7l", "osx-64", "osx-arm64", "win-64", "win-32", "win-arm64", "emscripten-wasm32",
    }
)  # fmt: skip
_BRACKET_KEYS: Final = frozenset(
    {"version", "build", "build_number", "channel", "subdir", "md5", "sha256", "fn", "url",
     "track_features"}
)  # fmt: skip
# A key starts where a run of key characters starts: retried from inside a long run, the lazy
# key rescanned the rest of the run each time (quadratic); no later start could match anyway.
_BRACKET_ITEM = re.compile(
    r"""(?<![a-zA-Z0-9_-])([a-zA-Z0-9_-]+?)=(["']?)([^'"]*?)(\2)(?:[, ]|$)"""
)
_NAME_REST = re.compile(r"([^ =<>!~]+)?([><!=~ ].+)?")
_NOT_IN_BUILD = "-=,|<>~"
_NOT_BEFORE_BUILD = "=!|,<>~"


@frozen(kw_only=True, cache_hash=True)
class MatchSpec:
    """A parsed conda MatchSpec; :meth:`matches` tests a record against it.

    :param name: the package name (lower case); ``*`` matches any name.
    :param text: the spec as written (for messages and locks).
    :param extra: other bracket fields as ``(key, value)`` pairs: md5, sha256, fn, url,
        track_features.
    """

    name: str
    text: str
    version: VersionSpec | None = None
    build: StrSpec | None = None
    build_number: BuildNumberSpec | None = None
    channel: str | None = None
    subdir: str | None = None
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> MatchSpec:
        """Parse a MatchSpec (cached); raises :class:`InvalidMatchSpec`.

        >>> spec = MatchSpec.parse("python_abi 3.12.* *_cp312")
        >>> spec.name, str(spec.version), str(spec.build)
        ('python_abi', '3.12.*', '*_cp312')
        """
        return _parse(text)

    @property
    def is_simple(self) -> bool:
        """Only a name (``numpy``, ``numpy *``): every record of that name matches."""
        version_any = self.version is None or self.version.kind == "any"
        build_any = self.build is None or self.build.is_any
        rest = (self.build_number, self.channel, self.subdir)
        return version_any and build_any and rest == (None, None, None) and not self.extra

    def matches(self, record: Record) -> bool:
        """Whether ``record`` satisfies every field of this spec."""
        if self.name not in ("*", record.name) and (
            "*" not in self.name or not StrSpec.parse(self.name).match(record.name)
        ):
            return False
        if self.version is not None and not self.version.match(record.version):
            return False
        if self.build is not None and not self.build.match(record.build):
            return False
        if self.build_number is not None and not self.build_number.match(record.build_number):
            return False
        if self.channel is not None and not _channel_matches(self.channel, record):
            return False
        if self.subdir is not None and record.subdir != self.subdir:
            return False
        return all(_extra_matches(key, value, record) for key, value in self.extra)

    def __str__(self) -> str:
        return self.text


def parse_matchspec(text: str) -> MatchSpec:
    """Parse a conda MatchSpec string (cached); see :class:`MatchSpec`."""
    return _parse(text)


def _channel_matches(channel: str, record: Record) -> bool:
    if channel in ("*", record.channel):
        return True
    if "://" in channel:  # a channel URL: the record must come from under it
        return record.url.startswith(channel.rstrip("/") + "/")
    # "pkgs/main" names the channel we call "main"
    return channel.rstrip("/").rsplit("/", 1)[-1] == record.channel


def _extra_matches(key: str, value: str, record: Record) -> bool:
    if key == "md5":
        return record.md5 == value
    if key == "sha256":
        return record.sha256 == value
    if key == "fn":
        return record.filename == value
    if key == "url":
        return record.url == value
    # track_features: every listed feature is tracked by the record
    return set(re.split(r"[\s,]+", value.strip())) <= set(record.track_features)


def _split_channel(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    head, _, last = text.rstrip("/").rpartition("/")
    if head and last in _SUBDIRS:
        return head, last
    return text.rstrip("/"), None


@cache
def _parse(original: str) -> MatchSpec:
    try:
        return _parse_uncached(original)
    except InvalidMatchSpec as error:
        if error.spec == original:
            raise
        raise InvalidMatchSpec(original, error.reason) from None


def _parse_uncached(original: str) -> MatchSpec:
    text = original.split("#", 1)[0].strip()
    text = text.split(" if ", 1)[0].strip()  # conda ignores conditionals too
    if not text:
        raise InvalidMatchSpec(original, "empty spec")
    if text.endswith("@"):
        raise InvalidMatchSpec(original, "feature specs ('name@') are not supported")
    if text.endswith((".tar.bz2", ".conda")) or "://" in text.split("::")[-1]:
        raise InvalidMatchSpec(original, "package files or URLs are not match specs")

    brackets: dict[str, str] = {}
    if "[" in text:
        start, end = text.index("["), text.rfind("]")
        if end < start:
            raise InvalidMatchSpec(original, "unclosed '['")
        text, inner = text[:start] + text[end + 1 :], text[start + 1 : end]
        for match in _BRACKET_ITEM.finditer(inner):
            key, _quote, value, _ = match.groups()
            if not value:
                raise InvalidMatchSpec(original, f"empty value for {key!r} in brackets")
            if key not in _BRACKET_KEYS:
                raise InvalidMatchSpec(original, f"unsupported bracket key {key!r}")
            brackets[key] = value
        if not brackets:
            raise InvalidMatchSpec(original, "brackets hold no key=value pairs")

    pieces = text.rsplit(":", 2)
    channel_text = pieces[0] if len(pieces) == 3 else None
    text = pieces[-1].strip()
    channel, subdir = _split_channel(channel_text)
    if "channel" in brackets:
        b_channel, b_subdir = _split_channel(brackets.pop("channel"))
        channel, subdir = b_channel or channel, b_subdir or subdir
    subdir = brackets.pop("subdir", subdir)

    name_rest = _NAME_REST.match(text)
    if name_rest is None or name_rest[1] is None:
        raise InvalidMatchSpec(original, "no package name found")
    name, rest = name_rest[1], (name_rest[2] or "").strip()

    version_text: str | None = None
    build_text: str | None = None
    if rest:
        if "[" in rest:
            raise InvalidMatchSpec(original, "more than one bracket section")
        version_text, build_text = _version_and_build(rest, original)
    version_text = brackets.pop("version", version_text)
    build_text = brackets.pop("build", build_text)
    build_number_text = brackets.pop("build_number", None)

    return MatchSpec(
        name=name.lower(),
        text=original.strip(),
        version=parse_version_spec(version_text) if version_text else None,
        build=StrSpec.parse(build_text) if build_text else None,
        build_number=(
            BuildNumberSpec.parse(build_number_text, original) if build_number_text else None
        ),
        channel=channel,
        subdir=subdir,
        extra=tuple(sorted(brackets.items())),
    )


def _split_version_build(rest: str) -> tuple[str, str | None]:
    """``rest`` as ``(version, build)`` the way conda's regex
    ``((?:.+?)[^><!,|]?)(?:(?<![=!|,<>~])(?:[ =])([^-=,|<>~]+?))?$`` splits it, in linear time
    (that regex retries the rest of the text after each blank: quadratic).

    The build follows a ``" "`` or ``"="`` that is not preceded by an operator character and
    after which no ``-=,|<>~`` comes; of these, the regex tries index 2, then 1, 3, 4 ...
    """
    last_operator = max(rest.rfind(char) for char in _NOT_IN_BUILD)

    def splits_at(at: int) -> bool:
        return (
            last_operator <= at < len(rest) - 1
            and rest[at] in " ="
            and rest[at - 1] not in _NOT_BEFORE_BUILD
        )

    order = itertools.chain((2, 1), range(max(3, last_operator), len(rest) - 1))
    at = next((i for i in order if splits_at(i)), None)
    return (rest, None) if at is None else (rest[:at], rest[at + 1 :])


def _version_and_build(rest: str, original: str) -> tuple[str | None, str | None]:
    """Split ``">=1.0 , < 2.0 py34_0"`` into ``(">=1.0,<2.0", "py34_0")`` and apply ``=`` rules."""
    version, build = _split_version_build(rest)
    build = build.strip() if build else None
    version = version.replace(" ", "")
    if version in ("==", "=", ">=", "<=", "!=", "~=", "<", ">"):
        raise InvalidMatchSpec(original, "an operator without a version")
    if version.startswith("="):
        tail = version[1:]
        if version.startswith("==") and build is None:
            version = version[2:]
        elif not any(c in tail for c in "=,|"):
            # '=1.2' means '1.2.*' (starts with); with a build ('=1.2=py39_0') it is exact
            version = tail + "*" if build is None and not tail.endswith("*") else tail
    return version, build
