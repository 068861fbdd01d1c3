"""Writing what Nix consumes: a portable env directory, or one standalone expression.

An env directory holds everything needed to build the environment without mach2 installed:

    mach2.lock        the lock
    requirements.txt  the requirements text the lock was made from (its sha256 is in the lock);
                      a foreign lock keeps its name (uv.lock, pylock.toml, poetry.lock, pdm.lock)
    default.nix       ``nix-build ./env``: the environment (mach2.mkPython)
    shell.nix         ``nix-shell ./env``: a shell with it (mach2.mkPythonShell)
    mach2/            a copy of mach2's Nix library (with patchelf-apply.py, the build-time
                      script of mach2/patchelf/apply.py that executes the lock's patch plans,
                      and conda-install.py, mach2/providers/conda/install_script.py, which unpacks
                      conda packages)

Files are compared with what is on disk and only written (atomically) when their bytes
change, so re-running on unchanged inputs touches nothing.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from attrs import field, frozen

from mach2.atomic import write_atomic
from mach2.emit.nixexpr import Apply, Attrs, Lambda, Let, Raw, Select, render
from mach2.emit.nixexpr import Path as NixPath
from mach2.errors import InputError, LockError
from mach2.lock.model import Lock, sha256_text

__all__ = [
    "LIBRARY_DIR_NAME",
    "NixpkgsPin",
    "library_files",
    "render_expression",
    "write_env_dir",
]

#: The name of the library copy inside an env directory.
LIBRARY_DIR_NAME = "mach2"
#: The name of mach2/patchelf/apply.py inside the library copy (packages.nix looks for it there
#: and falls back to ../patchelf/apply.py in the source tree).
APPLY_SCRIPT_NAME = "patchelf-apply.py"
#: The name of mach2/providers/conda/install_script.py inside the library copy (conda.nix looks for it
#: there and falls back to ../providers/conda/install_script.py in the source tree).
CONDA_SCRIPT_NAME = "conda-install.py"

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

    That is default.nix and the files it reads (``./<name>.nix`` and ``./<name>.json``,
    followed through the imported files: packages.nix imports conda.nix, fixes.nix reads
    build-fixes.json), plus the build-time scripts
    (standard library only): the patchelf apply script (``mach2/patchelf/apply.py``, copied as
    ``patchelf-apply.py``: wheel and conda derivations run it) and the conda install script
    (``mach2/providers/conda/install_script.py``, copied as ``conda-install.py``).  Tools that live
    beside the library (the nixpkgs index script) are not part of what an environment needs.
    """
    root = _library_root()
    try:
        default = (root / "default.nix").read_text(encoding="utf-8")
    except OSError as error:
        raise LockError(f"mach2's Nix library is missing from {str(root)!r}") from error
    files = {"default.nix": default}
    pending = [default]
    while pending:
        for name in sorted(set(re.findall(r"\./([A-Za-z0-9_-]+\.(?:nix|json))\b", pending.pop()))):
            if name not in files and (root / name).is_file():
                files[name] = (root / name).read_text(encoding="utf-8")
                pending.append(files[name])
    for copy, (package, module) in (
        (APPLY_SCRIPT_NAME, ("patchelf", "apply.py")),
        (CONDA_SCRIPT_NAME, ("providers/conda", "install_script.py")),
    ):
        script = Path(str(resources.files("mach2") / package / module))
        try:
            files[copy] = script.read_text(encoding="utf-8")
        except OSError as error:
            raise LockError(f"mach2's build-time script is missing: {str(script)!r}") from error
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


def _mk_python_args(lock: Lock, requirements: Apply | str, lock_file: NixPath | Apply) -> Attrs:
    entries: dict[str, object] = {
        "lockFile": lock_file,
        "python": "python{}{}".format(*lock.target.python[:2]),
        "requirements": requirements,
    }
    providers = _providers(lock)
    if providers is not None:
        entries["providers"] = providers
    return Attrs(entries)  # type: ignore[arg-type]


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
    library: Path | None = None,
) -> str:
    """One standalone Nix expression for the environment (what ``mach2 gen`` prints).

    The lock and the requirements are embedded (``builtins.toFile``, which is plain
    evaluation); the Nix library is imported from ``library`` (default: the copy installed
    with mach2) unless the caller passes its own with ``--arg mach2 ...``.
    """
    _check_requirements(lock, requirements_text)
    library_path = library if library is not None else _library_root()
    body = Lambda(
        {
            "pkgs": _pkgs_default(nixpkgs),
            "mach2": Apply(
                Raw("import"), [Raw(_absolute_path(library_path)), Attrs({}, inherit=("pkgs",))]
            ),
        },
        Apply(
            Select(Raw("mach2"), ["mkPython"]),
            [
                _mk_python_args(
                    lock,
                    requirements_text,
                    Apply(Raw("builtins.toFile"), ["mach2.lock", lock.dumps()]),
                )
            ],
        ),
    )
    header = _header(
        [
            f"Generated by {lock.generator.split(' (')[0]} via `mach2 gen`: the environment,",
            "with its lock embedded.  Build with `nix-build <this file>`.",
        ]
    )
    return header + render(body) + "\n"


def _absolute_path(path: Path) -> str:
    text = str(path.resolve())
    if not re.match(r"^/[A-Za-z0-9._+/-]*$", text):
        raise InputError(
            f"the Nix library path {text!r} cannot be written as a Nix path literal",
            hint="install mach2 under a plain path, or pass --arg mach2 to nix-build",
        )
    return text
