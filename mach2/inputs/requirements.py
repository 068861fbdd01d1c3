"""pip requirements files, read into one immutable :class:`RequirementsInput`.

mach-nix's users arrive with an ordinary ``requirements.txt``; mach2 therefore reads pip's
syntax as pip does (``pip/_internal/req/req_file.py``), line for line:

* physical lines ending in ``\\`` are joined with the next one; the logical line is
  numbered by its first physical line;
* ``#`` starts a comment at the start of a line or after whitespace only, so URL fragments
  such as ``#sha256=...`` and ``#egg=...`` survive;
* ``${VAR}`` (upper case, digits, ``_``) is replaced from the *explicit* ``environ`` mapping;
  an unset or empty variable is left as written, as pip does.  The library never reads
  ``os.environ`` itself: only the CLI may pass it in (the library does no I/O of its own choosing);
* each line is a requirement (PEP 508, optionally followed by ``--hash`` options) or a line
  of options: ``-r``/``-c`` includes, ``-e``, ``-i``, ``--extra-index-url``, ``-f``,
  ``--pre``, ``--no-binary``, ``--only-binary``.

Direct references (mach2.providers.direct) are taken as pip takes them: ``name @ URL`` with an
``https://``, ``file:`` or ``git+`` URL, ``name @ ./path`` (relative to the file, as uv does;
pip takes the current directory), a bare path or URL of a wheel or sdist (the name is in its
file name), a bare local directory (``./pkg``: the name is its static ``[project].name``, or
``#egg=``), a bare ``git+`` URL with ``#egg=NAME``, and ``-e PATH``.

What mach2 refuses, it refuses loudly with an :class:`~mach2.errors.InputError` whose one-line
message starts with ``file:line``: unknown options, pip options mach2 cannot honour
(``--no-index``, ``--trusted-host``...), URLs and paths whose project name cannot be told
without building them, VCS other than git, editable git URLs, and include cycles.  Recent pip
raises on ``-r`` cycles as well; skipping instead would be a silent difference between what
the user wrote and what is locked.  A file included twice without a cycle is read twice.

Reading include files is the only I/O here: this module is the input edge of the pipeline.
"""

from __future__ import annotations

import hashlib
import os.path
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import attrs
from attrs import frozen
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, canonicalize_name

from mach2.errors import InputError
from mach2.providers.conda.matchspec import MatchSpec

if TYPE_CHECKING:
    from mach2.inputs.foreign.model import ForeignLock

__all__ = [
    "HASH_LENGTHS",
    "CondaEntry",
    "RequirementEntry",
    "RequirementsInput",
    "parse_requirements",
    "project_input",
    "read_requirements",
]

#: Hash algorithms pip accepts in ``--hash`` (its ``STRONG_HASHES``), with their hex lengths.
HASH_LENGTHS: Final[Mapping[str, int]] = MappingProxyType(
    {"sha256": 64, "sha384": 96, "sha512": 128}
)
#: Weak algorithms pip knows in URL fragments; naming one is an error rather than ignored.
_WEAK_HASHES: Final = frozenset({"md5", "sha1", "sha224"})
#: Direct-reference schemes the providers can fetch (mach2.providers.direct).
_URL_SCHEMES: Final = frozenset({"file", "http", "https"})
_GIT_SCHEMES: Final = frozenset({"git+https", "git+http", "git+ssh", "git+file", "git+git"})
_OTHER_VCS: Final = ("hg+", "svn+", "bzr+")
_ARCHIVE_SUFFIXES: Final = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar")
_NO_ENVIRON: Final[Mapping[str, str]] = MappingProxyType({})

_ENV_VAR: Final = re.compile(r"\$\{([A-Z0-9_]+)\}")
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_OPTION_START: Final = re.compile(r"(?:^|(?<=\s))-")
#: what POSIX ``shlex.split`` takes as a word's plain characters and its blanks
_PLAIN: Final = re.compile(r"[^ \t\r\n\\'\"]+")
_IN_DOUBLE_QUOTES: Final = re.compile(r'[^"\\]*')
_BLANKS: Final = frozenset(" \t\r\n")

# Option spelling -> canonical long name.  Values are taken from ``--opt=v``, ``--opt v``,
# ``-ov`` or ``-o v`` as optparse (and thus pip) accepts them.
_ALIASES: Final = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
    **{name: name for name in ["--requirement", "--constraint", "--editable"]},
    **{name: name for name in ["--index-url", "--extra-index-url", "--find-links", "--pre"]},
    **{name: name for name in ["--no-binary", "--only-binary", "--hash"]},
}
_FLAGS: Final = frozenset({"--pre"})
_PER_REQUIREMENT: Final = frozenset({"--hash"})
#: Valid in a pip requirements file, but with no meaning mach2 can honour in a lock.
_PIP_ONLY: Final = frozenset(
    [
        "--no-index",
        "--prefer-binary",
        "--require-hashes",
        "--trusted-host",
        "--use-feature",
        "-Z",
        "--always-unzip",
        "--config-settings",
        "--global-option",
        "--build-option",
    ]
)


@frozen(kw_only=True)
class RequirementEntry:
    """One requirement as the user wrote it, with where it was written.

    ``origin`` is ``"path/requirements.txt:12"`` or ``"pyproject.toml:project.dependencies[3]"``
    so that every later error (no such package, conflict) can point back at the input line.
    ``hashes`` are ``"algo:hex"`` (lower case) from ``--hash`` options and a URL's
    ``#sha256=`` fragment; any of them may match the artifact, as in pip.
    """

    requirement: Requirement
    origin: str
    hashes: tuple[str, ...] = ()
    editable: bool = False
    is_constraint: bool = False

    @classmethod
    def from_pep508(
        cls,
        text: str,
        *,
        origin: str,
        hashes: Iterable[str] = (),
        is_constraint: bool = False,
        base: str | None = None,
    ) -> RequirementEntry:
        """Parse one PEP 508 string, checking what mach2 adds on top of packaging.

        ``name @ ./path`` (a path, not a URL) becomes a ``file:`` URL of the path joined to
        ``base``, the directory of the file it was written in.

        >>> RequirementEntry.from_pep508("a @ https://x/a-1.whl#sha256=" + "AB" * 32,
        ...                              origin="r.txt:1").hashes[0][:11]
        'sha256:abab'

        :raises InputError: malformed requirement, a bare URL or path, a URL mach2 cannot
            fetch, a malformed URL hash, or extras on a constraint (pip refuses those too).
        """
        if _looks_like_location(text):
            raise InputError(
                f"{origin}: {text!r} is a URL or path without a project name",
                hint=_location_hint(text),
            )
        try:
            requirement = Requirement(text)
        except InvalidRequirement as e:
            reason = str(e).splitlines()[0]
            raise InputError(f"{origin}: invalid requirement {text!r}: {reason}") from e
        except RecursionError:  # packaging parses markers recursively: ((((((...
            raise InputError(
                f"{origin}: invalid requirement {text!r}: parentheses nested too deeply"
            ) from None
        if requirement.url is not None and _is_path(requirement.url):
            location, _, fragment = requirement.url.partition("#")
            joined = _joined(base, os.path.expanduser(location))
            requirement.url = _file_url(joined) + (f"#{fragment}" if fragment else "")
        url_hashes = () if requirement.url is None else _url_hashes(requirement.url, origin)
        if is_constraint and requirement.extras:
            raise InputError(
                f"{origin}: constraint {text!r} has extras",
                hint="constraints cannot have extras; constrain the bare name",
            )
        return cls(
            requirement=requirement,
            origin=origin,
            hashes=_unique((*hashes, *url_hashes)),
            is_constraint=is_constraint,
        )


@frozen(kw_only=True)
class CondaEntry:
    """One conda spec of an environment.yml (``numpy >=1.26``), with where it was written.

    ``marker`` is the line's selector (``# [linux]``) as a PEP 508 marker, so that it is
    decided by the Target like the markers of pip lines.
    """

    spec: MatchSpec
    origin: str
    marker: Marker | None = None


_FILE_URL_HINT: Final = "write it as 'NAME @ ./path' or 'NAME @ https://...'"
_ARCHIVE_URL_HINT: Final = (
    "point at a wheel or sdist by https:// or file:// URL, a local directory, or a git+ URL"
)


@frozen(kw_only=True)
class RequirementsInput:
    """Everything the requirement inputs say, in the order they said it.

    ``files`` lists every file read as ``(path, sha256 hex of its bytes)``, each once, in
    read order: the lock stores a hash of it to tell when it is stale.  Text given directly
    to :func:`parse_requirements` is listed under its ``origin``.

    ``no_binary`` / ``only_binary`` are pip's format control *after* its rules were applied
    (``:all:`` clears both sets, ``:none:`` clears one, naming a project in one set removes
    it from the other); project names are normalized.  Sorted, ``:all:`` first.

    ``conda`` and ``channels`` come from environment.yml files (mach2.inputs.conda_env).
    """

    requirements: tuple[RequirementEntry, ...] = ()
    constraints: tuple[RequirementEntry, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    pre: bool = False
    no_binary: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    conda: tuple[CondaEntry, ...] = ()
    channels: tuple[str, ...] = ()
    #: A lock written by another tool (mach2.inputs.foreign): its pins replace resolving.
    foreign: ForeignLock | None = None

    def merged(self, other: RequirementsInput) -> RequirementsInput:
        """Combine inputs given one after another (``-r a.txt -r b.txt`` on the CLI).

        The result is what reading ``other``'s files after ``self``'s gives.  Two different
        index URLs are an error rather than "last one wins" (pip's rule), because silently
        dropping an index changes where packages come from.

        :raises InputError: both inputs set different ``index_url`` values.
        """
        if self.index_url and other.index_url and self.index_url != other.index_url:
            raise InputError(
                f"{_first_file(other)}: --index-url {other.index_url!r} conflicts with "
                f"{self.index_url!r} from {_first_file(self)}",
                hint="keep one --index-url and give the other as --extra-index-url",
            )
        for lock, rest in ((self.foreign, other), (other.foreign, self)):
            if lock is not None and rest != RequirementsInput():
                raise InputError(
                    f"{lock.path}: a lock is the whole environment and cannot be combined "
                    f"with {_first_file(rest)}",
                    hint="give the lock alone with -r",
                )
        control = _FormatControl(set(self.no_binary), set(self.only_binary))
        control.replay(other.no_binary, other.only_binary)
        return RequirementsInput(
            requirements=self.requirements + other.requirements,
            constraints=self.constraints + other.constraints,
            index_url=self.index_url or other.index_url,
            extra_index_urls=_unique(self.extra_index_urls + other.extra_index_urls),
            find_links=_unique(self.find_links + other.find_links),
            pre=self.pre or other.pre,
            no_binary=control.sorted_no(),
            only_binary=control.sorted_only(),
            files=_unique(self.files + other.files),
            conda=self.conda + other.conda,
            channels=_unique(self.channels + other.channels),
            foreign=self.foreign or other.foreign,
        )


def parse_requirements(
    text: str,
    *,
    origin: str = "<string>",
    base_dir: Path | None = None,
    environ: Mapping[str, str] = _NO_ENVIRON,
) -> RequirementsInput:
    """Parse requirements-file text; ``-r``/``-c`` includes are read relative to ``base_dir``.

    Without ``base_dir`` nothing is read from disk: includes and editables that need their
    project name looked up are errors.

    >>> parse_requirements("numpy>=1.26  # fast arrays\\n--pre").requirements[0].origin
    '<string>:1'

    :param origin: how the text is named in origins and errors, usually its path.
    :param environ: variables for ``${VAR}`` expansion; the CLI passes ``os.environ``.
    :raises InputError: any syntax error, unsupported option, missing or cyclic include.
    """
    reader = _Reader(environ)
    digest = hashlib.sha256(text.encode()).hexdigest()
    base = None if base_dir is None else base_dir.as_posix()
    reader.read(text, _Source(name=origin, base=base, constraint=False), digest)
    return reader.result()


def read_requirements(path: Path, *, environ: Mapping[str, str] = _NO_ENVIRON) -> RequirementsInput:
    """Read a requirements file; includes are relative to the file's directory.

    :raises InputError: the file cannot be read or is not UTF-8, or see
        :func:`parse_requirements`.
    """
    name = path.as_posix()
    text, digest = _read_input_file(path, name)
    reader = _Reader(environ)
    reader.enter(path, name)
    reader.read(text, _Source(name=name, base=os.path.dirname(name), constraint=False), digest)
    return reader.result()


def project_input(directory: Path) -> tuple[RequirementsInput, str]:
    """``--project DIR``: the project as an editable requirement, and the text that stands
    for it in the lock's requirements hash (``-e DIR``, as it would be written).

    :raises InputError: no such directory, or its project name cannot be read statically.
    """
    name = directory.as_posix()
    if not directory.is_dir():
        raise InputError(
            f"--project {name!r} is not a directory", hint="give the project's directory"
        )
    where = f"--project {name}"
    project = _project_name(name, name, where, may_read=True, what="project")
    url = _file_url(os.path.normpath(name))
    entry = RequirementEntry.from_pep508(f"{project} @ {url}", origin=where)
    return RequirementsInput(requirements=(attrs.evolve(entry, editable=True),)), f"-e {name}\n"


def _read_input_file(path: Path, name: str, *, where: str | None = None) -> tuple[str, str]:
    """Return the UTF-8 text of ``path`` and the sha256 hex of its bytes.

    ``where`` is the ``file:line`` that asked for the file, if any, so a missing include is
    reported where it was written.
    """
    prefix = f"{where}: " if where else ""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{prefix}no such file {name!r}", hint="check the path and the directory"
        ) from None
    except OSError as e:
        raise InputError(f"{prefix}cannot read {name!r}: {e.strerror}") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name}: not UTF-8 text ({e.reason} at byte {e.start})", hint="save it as UTF-8"
        ) from e
    return text, hashlib.sha256(data).hexdigest()


@frozen
class _Source:
    """The file being read: its display name, directory for relative paths, and kind."""

    name: str
    base: str | None
    constraint: bool

    def join(self, relative: str) -> str:
        """``relative`` against this file's directory, normalized, kept relative if it was."""
        if self.base is None or os.path.isabs(relative):
            return os.path.normpath(relative)
        return os.path.normpath(os.path.join(self.base, relative))


class _Reader:
    """Mutable accumulator for one parse; :meth:`result` freezes it."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.requirements: list[RequirementEntry] = []
        self.constraints: list[RequirementEntry] = []
        self.index_url: tuple[str, str] | None = None  # (url, where it was set)
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.pre = False
        self.format_control = _FormatControl(set(), set())
        self.files: list[tuple[str, str]] = []
        self.stack: list[tuple[Path, str]] = []  # files being read, for cycle detection

    def result(self) -> RequirementsInput:
        return RequirementsInput(
            requirements=tuple(self.requirements),
            constraints=tuple(self.constraints),
            index_url=None if self.index_url is None else self.index_url[0],
            extra_index_urls=_unique(self.extra_index_urls),
            find_links=_unique(self.find_links),
            pre=self.pre,
            no_binary=self.format_control.sorted_no(),
            only_binary=self.format_control.sorted_only(),
            files=_unique(self.files),
        )

    def enter(self, path: Path, name: str, where: str | None = None) -> None:
        """Push a file on the include stack; a file already on it is a cycle."""
        key = path.resolve()
        for seen, _ in self.stack:
            if seen == key:
                chain = " -> ".join([*(n for _, n in self.stack), name])
                raise InputError(
                    f"{where}: include cycle {chain}", hint="remove one of the -r/-c lines"
                )
        self.stack.append((key, name))

    def read(self, text: str, source: _Source, digest: str) -> None:
        self.files.append((source.name, digest))
        for lineno, line in _logical_lines(text):
            expanded = _ENV_VAR.sub(lambda m: self.environ.get(m[1]) or m[0], line)
            self.line(expanded, f"{source.name}:{lineno}", source)

    def line(self, line: str, where: str, source: _Source) -> None:
        requirement, options = _split_line(line, where)
        if requirement and _looks_like_location(requirement):
            requirement = _named_location(requirement, where, source)
        if requirement:
            hashes = []
            for option, value in options:
                if option not in _PER_REQUIREMENT:
                    raise InputError(
                        f"{where}: option {option!r} cannot follow a requirement",
                        hint="put it on a line of its own",
                    )
                hashes.append(_option_hash(value, where))
            entry = RequirementEntry.from_pep508(
                requirement,
                origin=where,
                hashes=hashes,
                is_constraint=source.constraint,
                base=source.base,
            )
            (self.constraints if source.constraint else self.requirements).append(entry)
            return
        for option, value in options:
            self.option(option, value, where, source)

    def option(self, option: str, value: str, where: str, source: _Source) -> None:
        """Apply one option of an option line (``value`` is ``""`` for flags)."""
        if option in ("--requirement", "--constraint"):
            self.include(value, where, source, constraint=option == "--constraint")
        elif option == "--editable":
            self.editable(value, where, source)
        elif option == "--index-url":
            if self.index_url is not None and self.index_url[0] != value:
                raise InputError(
                    f"{where}: --index-url {value!r} conflicts with {self.index_url[0]!r} "
                    f"given at {self.index_url[1]}",
                    hint="keep one --index-url and give the other as --extra-index-url",
                )
            self.index_url = (value, where)
        elif option == "--extra-index-url":
            self.extra_index_urls.append(value)
        elif option == "--find-links":
            self.find_links.append(value if _SCHEME.match(value) else source.join(value))
        elif option == "--pre":
            self.pre = True
        elif option in ("--no-binary", "--only-binary"):
            self.format_control.apply(value, no_binary=option == "--no-binary", where=where)
        else:  # --hash: the only per-requirement option
            raise InputError(
                f"{where}: {option} must follow a requirement on the same line",
                hint=f"write 'NAME==VERSION {option}=...'",
            )

    def include(self, target: str, where: str, source: _Source, *, constraint: bool) -> None:
        flag = "-c" if constraint else "-r"
        if _SCHEME.match(target):
            raise InputError(
                f"{where}: {flag} {target!r} is a URL", hint="download it and include the file"
            )
        if source.base is None:
            raise InputError(
                f"{where}: {flag} {target!r} needs a directory to read from",
                hint="read the requirements from a file or pass base_dir",
            )
        name = source.join(target)
        text, digest = _read_input_file(Path(name), name, where=where)
        self.enter(Path(name), name, where)
        # pip: a -r inside a constraints file adds requirements, a -c adds constraints.
        self.read(
            text, _Source(name=name, base=os.path.dirname(name), constraint=constraint), digest
        )
        self.stack.pop()

    def editable(self, value: str, where: str, source: _Source) -> None:
        """``-e path[extras]``, ``-e path#egg=name`` or ``-e URL#egg=name``."""
        if source.constraint:
            raise InputError(
                f"{where}: editable {value!r} in a constraints file",
                hint="move it to a requirements file",
            )
        location, _, fragment = value.partition("#")
        egg = dict(parse_qsl(fragment)).get("egg")
        if location.lower().startswith(("git+", *_OTHER_VCS)):
            raise InputError(
                f"{where}: editable VCS requirement {value!r}: mach2 builds a git requirement "
                "from its locked commit",
                hint="drop -e to lock the commit, or clone it and use -e ./PATH for development",
            )
        if location.lower().startswith("file:"):
            location = _file_path(location)
        if _SCHEME.match(location):
            if egg is None:
                raise InputError(
                    f"{where}: editable URL {value!r} has no project name",
                    hint="append '#egg=NAME'",
                )
            text = f"{egg} @ {location}"
        else:
            path, extras = _split_extras(location)
            joined = source.join(path)
            name = egg or _project_name(joined, value, where, source.base is not None)
            text = f"{name}{extras} @ {_file_url(joined)}"
        entry = RequirementEntry.from_pep508(text, origin=where)
        self.requirements.append(attrs.evolve(entry, editable=True))


def _split_extras(location: str) -> tuple[str, str]:
    """``./pkg[test,docs]`` -> ``("./pkg", "[test,docs]")``; no such suffix -> ``(location, "")``.

    The suffix starts at the first ``[`` after the last inner ``]`` (what
    ``^(.+?)(\\[[^\\]]+\\])$`` matches, without that regex's quadratic retries on ``[[[...``).

    >>> _split_extras("./pkg[a][test]"), _split_extras("./[x"), _split_extras("[a]")
    (('./pkg[a]', '[test]'), ('./[x', ''), ('[a]', ''))
    """
    if not location.endswith("]"):
        return location, ""
    open_at = location.find("[", location.rfind("]", 0, -1) + 1 or 1)
    if open_at < 1 or open_at > len(location) - 3:
        return location, ""
    return location[:open_at], location[open_at:]


def _project_name(
    directory: str, value: str, where: str, may_read: bool, what: str = "editable"
) -> str:
    """The static ``[project].name`` of a local directory, so the lock has a name."""
    problem = f"{where}: cannot tell the project name of {what} {value!r}"
    hint = "append '#egg=NAME' to the path"
    if what == "project":  # --project DIR has no place for #egg=
        hint = (
            f"give it a [project] name in pyproject.toml, or use -e {value}#egg=NAME in a -r file"
        )
    if not may_read:
        raise InputError(problem, hint=hint)
    markers = ("pyproject.toml", "setup.py", "setup.cfg")
    if os.path.isdir(directory) and not any(
        os.path.exists(os.path.join(directory, m)) for m in markers
    ):
        raise InputError(
            f"{where}: {value!r} is not a Python project (no pyproject.toml, setup.py or setup.cfg)",
            hint="give the directory of a Python project",
        )
    try:
        with open(os.path.join(directory, "pyproject.toml"), "rb") as f:
            name = tomllib.load(f).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        name = None
    if not isinstance(name, str):
        raise InputError(f"{problem} (no static [project].name)", hint=hint)
    return name


def _joined(base: str | None, relative: str) -> str:
    return _Source(name="", base=base, constraint=False).join(relative)


def _is_path(url: str) -> bool:
    """``./x``, ``../x``, ``/x``, ``~/x``: a path where PEP 508 wants a URL."""
    return not _SCHEME.match(url) and url.startswith((".", "/", "~"))


def _file_path(url: str) -> str:
    """The path of a ``file:`` URL (``file:///abs``, ``file:rel``)."""
    parts = urlsplit(url)
    return unquote(parts.path) or "."


def _named_location(text: str, where: str, source: _Source) -> str:
    """A bare URL or path as ``name @ URL``, the name read from what it points at.

    :raises InputError: the name cannot be told without building the project.
    """
    head, semicolon, marker = text.partition(";")
    location, _, fragment = head.strip().partition("#")
    egg = dict(parse_qsl(fragment)).get("egg")
    suffix = f"#{fragment}" if fragment else ""
    marker_text = f" ;{marker}" if semicolon else ""
    lower = location.lower()
    if lower.startswith("git+"):
        if egg is None:
            raise InputError(
                f"{where}: {location!r} has no project name",
                hint=f"write 'NAME @ {location}' or append '#egg=NAME'",
            )
        return f"{egg} @ {location}{suffix}{marker_text}"
    if lower.startswith(_OTHER_VCS):
        raise InputError(f"{where}: {location!r}: mach2 supports git only", hint=_ARCHIVE_URL_HINT)
    if _SCHEME.match(location) and not lower.startswith("file:"):
        url = location
    else:
        path = _file_path(location) if lower.startswith("file:") else location
        url = _file_url(source.join(os.path.expanduser(path)))
        location = path
    filename = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = egg or _name_of_archive(filename)
    if name is None:
        if not lower.endswith(_ARCHIVE_SUFFIXES) and source.base is not None:
            directory = source.join(os.path.expanduser(location))
            if os.path.isdir(directory):
                name = _project_name(
                    directory, location, where, may_read=True, what="local directory"
                )
        if name is None:
            raise InputError(
                f"{where}: {text!r} is a URL or path without a project name",
                hint=_location_hint(location),
            )
    return f"{name} @ {url}{suffix}{marker_text}"


def _name_of_archive(filename: str) -> str | None:
    """The project name in a wheel or sdist file name (``a_b-1.0.tar.gz`` → ``a_b``)."""
    if filename.endswith(".whl"):
        return filename.split("-", 1)[0] if "-" in filename else None
    for suffix in _ARCHIVE_SUFFIXES:
        if filename.endswith(suffix) and "-" in filename:
            return filename[: -len(suffix)].rsplit("-", 1)[0]
    return None


def _file_url(path: str) -> str:
    """A ``file:`` URL; relative paths stay relative (``file:../pkg``) so locks stay portable."""
    if os.path.isabs(path):
        return Path(path).as_uri()
    return "file:" + quote(PurePosixPath(path).as_posix())


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Join ``\\`` continuations, drop comments and blank lines, as pip's preprocessing does.

    >>> list(_logical_lines("a \\\\\\n  >=1 # c\\n\\n# x\\nb"))
    [(1, 'a   >=1'), (5, 'b')]
    """
    pending: list[str] = []
    first = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        # A comment line never continues, even if it ends in a backslash (pip).
        if raw.endswith("\\") and not _is_comment(raw):
            if not pending:
                first = lineno
            pending.append(raw[:-1])
            continue
        if pending:
            pending.append(" " + raw if _is_comment(raw) else raw)
            lineno, raw, pending = first, "".join(pending), []
        if line := _without_comment(raw).strip():
            yield lineno, line
    if pending and (line := _without_comment("".join(pending)).strip()):
        yield first, line


def _is_comment(line: str) -> bool:
    """Whether the whole line is a comment (``#`` after blanks only)."""
    return line.lstrip().startswith("#")


def _without_comment(line: str) -> str:
    """``line`` up to its comment: a ``#`` at the start or after a blank (pip's
    ``COMMENT_RE``, ``(^|\\s+)#.*$``).  Searched for, not matched with that regex: from every
    position of a long run of blanks the regex retries the whole run, quadratic in its length.

    >>> _without_comment("a @ https://x/a.whl#sha256=00  # pinned")
    'a @ https://x/a.whl#sha256=00  '
    """
    hash_at = line.find("#")
    while hash_at > 0 and not line[hash_at - 1].isspace():
        hash_at = line.find("#", hash_at + 1)
    return line if hash_at < 0 else line[:hash_at]


def _split_line(line: str, where: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a logical line into its requirement and its ``(option, value)`` pairs.

    The requirement is every whitespace-separated word before the first word starting with
    ``-`` (pip's ``break_args_options``); the rest is split like a shell command.
    """
    first_option = _OPTION_START.search(line)
    cut = len(line) if first_option is None else first_option.start()
    try:
        tokens = _shell_words(line[cut:])
    except ValueError as e:
        raise InputError(f"{where}: cannot split options: {e}", hint="check the quotes") from e
    return line[:cut].strip(), list(_options(tokens, where))


def _shell_words(text: str) -> list[str]:
    r"""Split ``text`` into words as POSIX ``shlex.split`` does (pip's way), in linear time.

    ``shlex`` grows each word one character at a time, quadratic in the word's length.  Here a
    word is joined from runs: plain characters, ``'...'`` (literal), ``"..."`` (where ``\``
    escapes only ``"`` and ``\``) and ``\x`` (``x`` itself); blanks (space, tab, CR, LF) end
    it.

    >>> _shell_words("--hash 'sha256:a b' -i\\ x")
    ['--hash', 'sha256:a b', '-i x']

    :raises ValueError: an unclosed quote or a trailing backslash, with shlex's message.
    """
    words: list[str] = []
    parts: list[str] | None = None  # the word being read, None between words
    at, end = 0, len(text)
    while at < end:
        char = text[at]
        if char in _BLANKS:
            if parts is not None:
                words.append("".join(parts))
                parts = None
            at += 1
            continue
        parts = [] if parts is None else parts
        if char == "'":
            close = text.find("'", at + 1)
            if close < 0:
                raise ValueError("No closing quotation")
            parts.append(text[at + 1 : close])
            at = close + 1
        elif char == '"':
            at = _double_quoted(text, at + 1, parts)
        elif char == "\\":
            if at + 1 >= end:
                raise ValueError("No escaped character")
            parts.append(text[at + 1])
            at += 2
        else:
            plain = _PLAIN.match(text, at)
            assert plain is not None  # char is none of the characters that end a run
            parts.append(plain[0])
            at = plain.end()
    if parts is not None:
        words.append("".join(parts))
    return words


def _double_quoted(text: str, at: int, parts: list[str]) -> int:
    """Append what a ``"`` opened just before ``at`` holds to ``parts``; return the index after
    the closing ``"``."""
    while True:
        run = _IN_DOUBLE_QUOTES.match(text, at)
        assert run is not None  # the pattern matches the empty string too
        parts.append(run[0])
        at = run.end()
        if at == len(text):
            raise ValueError("No closing quotation")
        if text[at] == '"':
            return at + 1
        if at + 1 == len(text):  # a backslash, at the very end
            raise ValueError("No escaped character")
        escaped = text[at + 1]
        parts.append(escaped if escaped in '"\\' else "\\" + escaped)
        at += 2


def _options(tokens: list[str], where: str) -> Iterator[tuple[str, str]]:
    """``(canonical option, value)`` pairs in the ways optparse accepts them."""
    rest = iter(tokens)
    for token in rest:
        if not token.startswith("-"):
            raise InputError(
                f"{where}: unexpected {token!r} after the options",
                hint="give one requirement or one option value per line",
            )
        if token.startswith("--"):
            spelled, has_value, inline = token.partition("=")
        else:
            spelled, inline = token[:2], token[2:]
            has_value = "=" if inline else ""
        option = _ALIASES.get(spelled)
        if option is None:
            if spelled in _PIP_ONLY:
                raise InputError(
                    f"{where}: pip option {spelled!r} is not supported by mach2",
                    hint="remove it",
                )
            raise InputError(
                f"{where}: unknown option {spelled!r}", hint="check the spelling or remove it"
            )
        if option in _FLAGS:
            if has_value:
                raise InputError(f"{where}: {spelled} takes no value", hint=f"write {spelled}")
            yield option, ""
            continue
        value = inline if has_value else next(rest, None)
        if not value:
            raise InputError(f"{where}: {spelled} needs a value", hint=f"write {spelled} VALUE")
        yield option, value


def _option_hash(value: str, where: str) -> str:
    algorithm, _, digest = value.partition(":")
    return _normalized_hash(algorithm, digest, value, where)


def _normalized_hash(algorithm: str, digest: str, spelled: str, where: str) -> str:
    """``algo:hex`` in lower case, after checking pip's algorithms and the hex length."""
    algorithm, digest = algorithm.lower(), digest.lower()
    length = HASH_LENGTHS.get(algorithm)
    if length is None or len(digest) != length or not all(c in "0123456789abcdef" for c in digest):
        raise InputError(
            f"{where}: malformed hash {spelled!r}",
            hint="expected sha256:<64 hex digits> (or sha384/sha512)",
        )
    return f"{algorithm}:{digest}"


def _url_hashes(url: str, where: str) -> tuple[str, ...]:
    """Check a direct reference URL and return the hashes in its fragment."""
    parts = urlsplit(url)
    if not _SCHEME.match(url):
        raise InputError(f"{where}: direct reference {url!r} is not a URL", hint=_FILE_URL_HINT)
    scheme = parts.scheme.lower()
    if scheme in _GIT_SCHEMES:
        if any(
            k.lower() in HASH_LENGTHS or k.lower() in _WEAK_HASHES
            for k, _ in parse_qsl(parts.fragment)
        ):
            raise InputError(
                f"{where}: a git URL has no file to hash ({url!r})",
                hint="drop the hash: the lock records the commit and the checkout's NAR hash",
            )
        return ()
    if scheme not in _URL_SCHEMES:
        raise InputError(
            f"{where}: {parts.scheme!r} URLs are not supported ({url!r})",
            hint=_ARCHIVE_URL_HINT
            if scheme.partition("+")[0] not in ("hg", "svn", "bzr", "git")
            else "mach2 supports git+https, git+http, git+ssh, git+file and git+git",
        )
    hashes = []
    for key, value in parse_qsl(parts.fragment):
        if key.lower() in _WEAK_HASHES:
            raise InputError(f"{where}: weak hash {key!r} in {url!r}", hint="use #sha256=HEX")
        if key.lower() in HASH_LENGTHS:
            hashes.append(_normalized_hash(key, value, f"{key}={value}", where))
    return tuple(hashes)


def _looks_like_location(text: str) -> bool:
    """A bare URL or path, which pip would install by location (mach2 needs the name)."""
    head = text.split(";")[0].strip()
    if "@" in head and not _SCHEME.match(head):
        return False  # ``name @ url``
    return bool(
        _SCHEME.match(head)
        or head.startswith((".", "/", "~", "\\"))
        or head.lower().endswith(_ARCHIVE_SUFFIXES)
    )


def _location_hint(text: str) -> str:
    if not _SCHEME.match(text):
        return _FILE_URL_HINT
    if urlsplit(text).scheme.lower() in _URL_SCHEMES:
        return f"write it as 'NAME @ {text}'"
    return _ARCHIVE_URL_HINT


class _FormatControl:
    """pip's ``--no-binary``/``--only-binary`` bookkeeping (``FormatControl``)."""

    def __init__(self, no_binary: set[str], only_binary: set[str]) -> None:
        self.no_binary = no_binary
        self.only_binary = only_binary

    def apply(self, value: str, *, no_binary: bool, where: str) -> None:
        target, other = (
            (self.no_binary, self.only_binary) if no_binary else (self.only_binary, self.no_binary)
        )
        items = value.split(",")
        while ":all:" in items:
            other.clear()
            target.clear()
            target.add(":all:")
            del items[: items.index(":all:") + 1]
            if ":none:" not in items:
                return  # :all: covers every name after it
        for item in items:
            if item == ":none:":
                target.clear()
            else:
                try:
                    name = canonicalize_name(item, validate=True)
                except InvalidName as e:
                    raise InputError(
                        f"{where}: {item!r} is not a project name",
                        hint="give project names separated by commas, :all: or :none:",
                    ) from e
                other.discard(name)
                target.add(name)

    def replay(self, no_binary: tuple[str, ...], only_binary: tuple[str, ...]) -> None:
        """Apply another input's final state on top; ``:all:`` first so the rest survives."""
        steps = [(True, no_binary), (False, only_binary)]
        if ":all:" in only_binary:
            steps.reverse()
        for is_no, values in steps:
            for value in values:
                self.apply(value, no_binary=is_no, where="<merged>")

    def sorted_no(self) -> tuple[str, ...]:
        return tuple(sorted(self.no_binary, key=lambda n: (n != ":all:", n)))

    def sorted_only(self) -> tuple[str, ...]:
        return tuple(sorted(self.only_binary, key=lambda n: (n != ":all:", n)))


def _first_file(requirements: RequirementsInput) -> str:
    return requirements.files[0][0] if requirements.files else "<input>"


_T = TypeVar("_T")


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    """Items in first-seen order without repeats."""
    return tuple(dict.fromkeys(items))
