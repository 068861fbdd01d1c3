"""Writing what Nix consumes: a portable env directory, or one standalone expression.

An env directory holds everything needed to build the environment without mach2 installed:

    mach2.lock        the lock
    requirements.txt  the requirements text the lock was made from (its sha256 is in the lock);
                      a foreign lock keeps its name (uv.lock, pylock.toml, poetry.lock, pdm.lock)
    default.nix       ``nix-build ./env``: the environment (mach2.mkPython)
    shell.nix         ``nix-shell ./env``: a shell with it (mach2.mkPythonShell)
    mach2/            a copy of mach2's Nix library: the files default.nix reads, in the
                      library directory's own layout (build-fixes.json, and the build-time
                      scripts patchelf_apply.py, which executes the lock's patch plans, and
                      conda_install.py, which unpacks conda packages)

Files are compared with what is on disk and only written (atomically) when their bytes
change, so re-running on unchanged inputs touches nothing.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from attrs import field, frozen

from mach2.atomic import write_atomic
from mach2.emit.nixexpr import (
    Apply,
    Attrs,
    Expr,
    Interpolated,
    Lambda,
    Let,
    Raw,
    Select,
    Value,
    render,
)
from mach2.emit.nixexpr import Path as NixPath
from mach2.errors import InputError, LockError
from mach2.lock.model import Lock, sha256_text

__all__ = [
    "LIBRARY_DIR_NAME",
    "NixpkgsPin",
    "embedded_library",
    "library_files",
    "render_expression",
    "write_env_dir",
]

#: The name of the library copy inside an env directory.
LIBRARY_DIR_NAME = "mach2"

#: A file of the library named by another: ``./util.nix``, ``./build-fixes.json``,
#: ``./patchelf_apply.py``.
_LIBRARY_REFERENCE = re.compile(r"\./([A-Za-z0-9_-]+\.(?:nix|json|py))\b")
#: The same, as a whole path literal (not the tail of ``../x.nix`` or ``a/./x.nix``).
_LIBRARY_USE = re.compile(r"(?<![\w./])\./([A-Za-z0-9_-]+\.(?:nix|json|py))\b")
_REV = re.compile(r"^[A-Za-z0-9._/-]{1,100}$")
_SHA256 = re.compile(r"^([0-9a-f]{64}|[0-9abcdfghijklmnpqrsvwxyz]{52}|sha256-[A-Za-z0-9+/]{43}=)$")


@frozen(kw_only=True)
class NixpkgsPin:
    """A nixpkgs revision fetched by ``builtins.fetchTarball`` of its GitHub archive.

    :param rev: a commit (or tag) of github.com/NixOS/nixpkgs.
    :param sha256: the unpacked tarball's hash (``nix-prefetch-url --unpack <url>``).
    """

    rev: str = field()
    sha256: str = field()

    @rev.validator
    def _check_rev(self, _attribute: object, value: str) -> None:
        if not _REV.match(value):
            raise InputError(f"invalid nixpkgs revision {value!r}", hint="give a commit hash")

    @sha256.validator
    def _check_sha256(self, _attribute: object, value: str) -> None:
        if not _SHA256.match(value):
            raise InputError(
                f"invalid nixpkgs sha256 {value!r}",
                hint="give the output of `nix-prefetch-url --unpack <archive url>`",
            )

    @property
    def url(self) -> str:
        return f"https://github.com/NixOS/nixpkgs/archive/{self.rev}.tar.gz"


def _library_root() -> Path:
    return Path(str(resources.files("mach2") / "nix"))


def library_files() -> dict[str, str]:
    """The Nix library shipped with mach2: relative path → text.

    That is default.nix and the files it reads (``./<name>.nix``, ``./<name>.json`` and
    ``./<name>.py``, followed through the files read: packages.nix imports conda.nix and
    runs patchelf_apply.py, fixes.nix reads build-fixes.json, conda.nix runs
    conda_install.py), with the same names as in the library directory: a copy made from
    these files and the directory itself are the same library.  Tools that live beside the
    library (the nixpkgs index script) are not part of what an environment needs.
    """
    root = _library_root()
    try:
        default = (root / "default.nix").read_text(encoding="utf-8")
    except OSError as error:
        raise LockError(f"mach2's Nix library is missing from {str(root)!r}") from error
    files = {"default.nix": default}
    pending = [default]
    while pending:
        for name in sorted(set(_LIBRARY_REFERENCE.findall(pending.pop()))):
            if name not in files and (root / name).is_file():
                files[name] = (root / name).read_text(encoding="utf-8")
                pending.append(files[name])
    return dict(sorted(files.items()))


def _pkgs_default(nixpkgs: NixpkgsPin | None) -> Apply:
    if nixpkgs is None:
        source: Raw | Apply = Raw("<nixpkgs>")
    else:
        source = Apply(
            Raw("builtins.fetchTarball"), [{"url": nixpkgs.url, "sha256": nixpkgs.sha256}]
        )
    return Apply(Raw("import"), [source, Attrs({})])


def _providers(lock: Lock) -> dict[str, str] | None:
    """The user's providers as given to ``mkPython`` (parsed back from the canonical string)."""
    text = lock.inputs.providers
    if not text:
        return None
    entries = {}
    for entry in text.split(";"):
        key, _, value = entry.partition("=")
        entries[key] = value
    return entries


def _mk_python_args(
    lock: Lock, requirements: Apply | str, lock_file: NixPath | Apply, root: Raw | None = None
) -> Attrs:
    entries: dict[str, object] = {
        "lockFile": lock_file,
        "python": "python{}{}".format(*lock.python[:2]),
        "requirements": requirements,
    }
    if root is not None and has_local_paths(lock):
        entries["root"] = root
    providers = _providers(lock)
    if providers is not None:
        entries["providers"] = providers
    return Attrs(entries)  # type: ignore[arg-type]


def has_local_paths(lock: Lock) -> bool:
    """Whether the lock names local paths (relative to its directory, which ``root`` gives
    when the lock is embedded)."""
    return any(
        "path" in p.artifact.extra
        for system in lock.systems.values()
        for p in system.packages.values()
    )


def _check_requirements(lock: Lock, requirements_text: str) -> None:
    if sha256_text(requirements_text) != lock.inputs.requirements_sha256:
        raise LockError(
            "the lock was not made from these requirements (their sha256 differs from the "
            "lock's inputs.requirements-sha256)",
            hint="lock them again with `mach2 lock`",
        )


def _header(lines: list[str]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def _env_file(lock: Lock, nixpkgs: NixpkgsPin | None, function: str, requirements_name: str) -> str:
    call = Apply(
        Select(Raw("mach2"), [function]),
        [
            _mk_python_args(
                lock,
                Apply(Raw("builtins.readFile"), [NixPath(requirements_name)]),
                NixPath("mach2.lock"),
            )
        ],
    )
    library = Apply(Raw("import"), [NixPath(LIBRARY_DIR_NAME), Attrs({}, inherit=("pkgs",))])
    if function == "mkPython":
        # `nix-shell ./env` evaluates default.nix too: give it the shell (IN_NIX_SHELL is set
        # while nix-shell evaluates; pure evaluation sees "" and gets the environment).
        body = Let(
            {"mach2": library, "environment": call},
            Raw('if builtins.getEnv "IN_NIX_SHELL" == "" then environment else environment.shell'),
        )
        what = "the environment (a shell under nix-shell)"
    else:
        body = Let({"mach2": library}, call)
        what = "a shell with the environment"
    header = _header(
        [
            f"Generated by {lock.generator.split(' (')[0]} via `mach2 env`: {what}.",
            f"Do not edit; change {requirements_name} and re-run `mach2 env` on this directory.",
            "Build with `nix-build`, enter with `nix-shell`; `--arg pkgs` takes another nixpkgs.",
        ]
    )
    return header + render(Lambda({"pkgs": _pkgs_default(nixpkgs)}, body)) + "\n"


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return False
    except OSError:
        pass
    write_atomic(path, text)
    return True


def write_env_dir(
    lock: Lock,
    requirements_text: str,
    out: Path,
    *,
    nixpkgs: NixpkgsPin | None = None,
    requirements_name: str = "requirements.txt",
) -> list[Path]:
    """Write (or update) the env directory ``out``; return the paths that changed.

    :param requirements_text: the requirements the lock was made from, byte for byte.
    :param nixpkgs: a pinned nixpkgs, or None for ``<nixpkgs>``.
    :param requirements_name: the name of the requirements copy (a foreign lock keeps its
        own: ``uv.lock``, ``pylock.toml``, …).
    :raises LockError: the lock was not made from ``requirements_text``.
    """
    _check_requirements(lock, requirements_text)
    if out.exists() and not out.is_dir():
        raise InputError(f"{str(out)!r} exists and is not a directory")
    wanted: dict[Path, str] = {
        out / "mach2.lock": lock.dumps(),
        out / requirements_name: requirements_text,
        out / "default.nix": _env_file(lock, nixpkgs, "mkPython", requirements_name),
        out / "shell.nix": _env_file(lock, nixpkgs, "mkPythonShell", requirements_name),
    }
    library = out / LIBRARY_DIR_NAME
    for relative, text in library_files().items():
        wanted[library / relative] = text
    changed = [path for path, text in sorted(wanted.items()) if _write_if_changed(path, text)]
    if library.is_dir():
        for stale in sorted(library.rglob("*")):
            if stale.is_file() and stale not in wanted:
                stale.unlink()
                changed.append(stale)
    return changed


def render_expression(
    lock: Lock,
    requirements_text: str,
    *,
    nixpkgs: NixpkgsPin | None = None,
    root: Path | None = None,
) -> str:
    """One standalone Nix expression for the environment (what ``mach2 gen`` prints).

    Everything is embedded, so the text evaluates on any machine and names no host path: the
    lock and the requirements (``builtins.toFile``, which is plain evaluation), and mach2's
    Nix library, each of its files written to the store by ``builtins.toFile`` with its
    ``./name`` references to the others replaced by those store paths (see
    :func:`embedded_library`).  ``--arg mach2 'import /some/copy { inherit pkgs; }'`` still
    takes another copy of the library.  The one exception is a lock with local paths (``./pkg``,
    ``-e .``): they are relative to ``root``, the directory the lock was made for, which the
    expression names as ``root``.
    """
    _check_requirements(lock, requirements_text)
    bindings, library = embedded_library()
    body = Lambda(
        {
            "pkgs": _pkgs_default(nixpkgs),
            "mach2": Apply(Raw("import"), [library, Attrs({}, inherit=("pkgs",))]),
        },
        Apply(
            Select(Raw("mach2"), ["mkPython"]),
            [
                _mk_python_args(
                    lock,
                    requirements_text,
                    Apply(Raw("builtins.toFile"), ["mach2.lock", lock.dumps()]),
                    None if root is None else Raw(_absolute_path(root)),
                )
            ],
        ),
    )
    build = "Build with `nix-build <this file>`; `--arg pkgs` takes another nixpkgs."
    lines = [
        f"Generated by {lock.generator.split(' (')[0]} via `mach2 gen`: the environment, with",
        "its lock and mach2's Nix library embedded (it names no file of the machine that",
    ]
    if root is not None and has_local_paths(lock):
        lines += [
            "made it but `root`, the directory of the lock's local paths: it builds where that",
            f"directory is).  {build}",
        ]
    else:
        lines += [f"made it).  {build}"]
    header = _header(lines)
    return header + render(Let(bindings, body)) + "\n"


def embedded_library() -> tuple[dict[str, Value], Raw]:
    """mach2's Nix library as ``let`` bindings (one per file) and the expression of its
    ``default.nix``.

    Each file is ``builtins.toFile "<name>" "<text>"`` where every ``./<name>`` reference to
    another library file is replaced by ``${<that file's binding>}``: the store path the
    other ``toFile`` gives.  Evaluating it writes the files to the store (plain evaluation,
    no derivation, so no import-from-derivation), and the scripts reach the builds under the
    same fixed store names as from the library directory, so the derivations are the same.
    """
    files = library_files()
    names = {name: _binding_name(name) for name in files}
    if len(set(names.values())) != len(names):  # pragma: no cover - library file names
        raise LockError("mach2's Nix library has two files whose binding names collide")
    bindings: dict[str, Value] = {}
    for name, text in files.items():
        parts: list[str | Expr] = []
        position = 0
        for match in _LIBRARY_USE.finditer(text):
            if match.group(1) not in files:
                continue
            parts.append(text[position : match.start()])
            parts.append(Raw(names[match.group(1)]))
            position = match.end()
        parts.append(text[position:])
        content = Interpolated(parts, multiline=True)
        bindings[names[name]] = Apply(Raw("builtins.toFile"), [name, content])
    return bindings, Raw(names["default.nix"])


def _absolute_path(path: Path) -> str:
    """``path`` as a Nix path literal (the root of a lock's local paths)."""
    text = str(path.resolve())
    if not re.match(r"^/[A-Za-z0-9._+/-]*$", text):
        raise InputError(
            f"the project directory {text!r} cannot be written as a Nix path literal",
            hint="write the expression under a plain path (letters, digits, ._+-/), or use "
            "mach2 env, whose default.nix finds its lock beside it",
        )
    return text


def _binding_name(file_name: str) -> str:
    """``build-fixes.json`` → ``mach2_build_fixes_json``."""
    return "mach2_" + re.sub(r"[^A-Za-z0-9]", "_", file_name)
