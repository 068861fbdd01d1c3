"""Execute a wheel's patch plan on its installed files with ``patchelf``.

Run at build time, inside the Nix derivation of a binary wheel, after the wheel is installed::

    python3 patchelf_apply.py --plan plan.json --site-packages "$out/lib/python3.12/site-packages" \\
        --library-path "/nix/store/…-zlib-1.3.1/lib:/nix/store/…-gcc-14.2.1-lib/lib" \\
        --interpreter "$(cat $NIX_CC/nix-support/dynamic-linker)"

This file is deliberately self-contained: standard library only, Python 3.8 or newer, so the
Nix library (the directory it lives in) runs it in a build where mach2 is not importable.  (Its records are
therefore dataclasses, not attrs; when mach2 is importable, :class:`ApplyError` is a
:class:`mach2.errors.ArtifactError`.)

For each ELF file of the plan the new RUNPATH is: the plan's ``$ORIGIN`` entries, then, in
``DT_NEEDED`` order, the library-path directory holding each ``nixpkgs`` or ``unresolved``
soname, the sibling wheel's directory for each ``sibling`` soname, and the driver directory
(``/run/opengl-driver/lib``) when an allowed host library is needed.  Everything else in the
old RPATH/RUNPATH is dropped.  ``system`` sonames (glibc, libpython) need no entry: the Nix
interpreter's loader finds them.  A soname found nowhere and not on the host allow-list fails
the whole run with one :class:`ApplyError` naming the package, the files, the sonames and the fix.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import posixpath
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from mach2.errors import ArtifactError as _ErrorBase
except ImportError:  # pragma: no cover - a standalone copy inside a Nix build

    class _ErrorBase(Exception):  # type: ignore[no-redef]
        def __init__(self, message: str, *, hint: str | None = None) -> None:
            super().__init__(message)
            self.message = message
            self.hint = hint

        def __str__(self) -> str:
            return self.message if self.hint is None else f"{self.message} ({self.hint})"


__all__ = [
    "DEFAULT_HOST_LIBRARIES",
    "DRIVER_RUNPATH",
    "Action",
    "ApplyError",
    "Missing",
    "apply_plan",
    "main",
    "plan_actions",
]

#: Libraries the host's GPU driver supplies at run time; ``--allow`` adds patterns.  Kept equal
#: to ``host.patterns`` of ``mach2/data/sonames.json`` (a test checks).
DEFAULT_HOST_LIBRARIES = (
    "libcuda.so*",
    "libnvidia-*.so*",
    "libnvcuvid.so*",
    "libnvoptix.so*",
    "libcudadebugger.so*",
    "libGLX_nvidia.so*",
    "libEGL_nvidia.so*",
    "libGLESv1_CM_nvidia.so*",
    "libGLESv2_nvidia.so*",
    "libvdpau_nvidia.so*",
    "libdxcore.so",
)
#: Where NixOS links the host's driver libraries (nixpkgs' ``addDriverRunpath.driverLink``).
DRIVER_RUNPATH = "/run/opengl-driver/lib"


@dataclass(frozen=True)
class Missing:
    """A soname no directory supplies: the file needing it, and what the plan knew."""

    path: str
    soname: str
    attr: str | None = None
    reason: str | None = None


class ApplyError(_ErrorBase):
    """The plan cannot be carried out: a library is missing, a file or sibling is absent."""

    def __init__(
        self, message: str, *, hint: str | None = None, missing: Sequence[Missing] = ()
    ) -> None:
        super().__init__(message, hint=hint)
        self.missing = tuple(missing)


@dataclass(frozen=True)
class Action:
    """What apply does to one file.

    :param path: the file.
    :param runpath: the new RUNPATH entries (empty: remove it); ``None``: leave it alone.
    :param interpreter: the new ``PT_INTERP``; ``None``: leave it alone.
    :param removed: the file is gone (a ``_`` override removed it after installing, e.g.
        the one file that needs a library nothing supplies): nothing to do.
    """

    path: Path
    runpath: tuple[str, ...] | None = None
    interpreter: str | None = None
    removed: bool = False

    def command(self, patchelf: str = "patchelf") -> list[str]:
        command = [patchelf]
        if self.interpreter is not None:
            command += ["--set-interpreter", self.interpreter]
        if self.runpath:
            command += ["--set-rpath", ":".join(self.runpath)]
        elif self.runpath is not None:
            command += ["--remove-rpath"]
        return [*command, str(self.path)]


@dataclass
class _Libraries:
    """The directories of ``--library-path``, each listed once."""

    directories: Sequence[str]
    _listings: dict[str, frozenset[str]] = field(default_factory=dict)

    def find(self, soname: str) -> str | None:
        for directory in self.directories:
            if directory not in self._listings:
                try:
                    self._listings[directory] = frozenset(os.listdir(directory))
                except OSError:
                    self._listings[directory] = frozenset()
            if soname in self._listings[directory]:
                return directory
        return None


def plan_actions(
    plan: Mapping[str, Any],
    site_packages: str | os.PathLike[str],
    *,
    library_path: Sequence[str] = (),
    siblings: Mapping[str, str] | None = None,
    allow: Iterable[str] = DEFAULT_HOST_LIBRARIES,
    driver_runpath: str | None = DRIVER_RUNPATH,
    interpreter: str | None = None,
) -> list[Action]:
    """The patchelf actions for an installed wheel; reads directories, changes nothing.

    :param plan: a patch plan as ``WheelPatchPlan.to_json`` wrote it.
    :param site_packages: where the wheel was installed.
    :param library_path: directories searched for ``nixpkgs`` and ``unresolved`` sonames
        (in Nix: ``lib.makeLibraryPath buildInputs``).
    :param siblings: sibling package name → its site-packages directory.
    :param allow: :mod:`fnmatch` patterns of sonames the host supplies at run time.
    :param driver_runpath: appended for files that need an allowed host library.
    :param interpreter: the loader for executables (``None``: keep theirs).
    Files of the plan that are gone were removed on purpose (a ``_`` override's
    ``postInstall``): they are skipped, with an :class:`Action` that says so.  None of them
    there means the plan is another wheel's.

    :raises ApplyError: a soname is missing (all of them are named), no planned file is
        there, or a sibling is not given.
    """
    root = Path(site_packages)
    name = str(plan.get("name", "package"))
    libraries = _Libraries([d for d in library_path if d])
    allowed = tuple(allow)
    siblings = siblings or {}
    actions: list[Action] = []
    missing: list[Missing] = []
    files = list(plan.get("files", ()))
    present = [file for file in files if (root / file["install"]).is_file()]
    if files and not present:
        raise ApplyError(
            f"{name}: none of the {len(files)} files of the patch plan is in {str(root)!r}",
            hint="the plan belongs to another wheel or target; lock again",
        )
    for file in files:
        target = root / file["install"]
        if file not in present:
            actions.append(Action(target, removed=True))
            continue
        entries = list(file.get("runpath", ()))
        for needed in file.get("needed", ()):
            directory = _directory_for(
                needed, name, file, libraries, siblings, allowed, driver_runpath, missing
            )
            if directory is not None and directory not in entries:
                entries.append(directory)
        runpath: tuple[str, ...] | None = tuple(entries)
        if runpath == tuple(file.get("old_runpath", ())):
            runpath = None  # already right (and kind: RPATH stays RPATH)
        new_interpreter = (
            interpreter
            if file.get("interpreter") and interpreter != file.get("interpreter")
            else None
        )
        if runpath is not None or new_interpreter is not None:
            actions.append(Action(target, runpath, new_interpreter))
    if missing:
        raise _missing_error(name, missing)
    return actions


def _directory_for(
    needed: Mapping[str, str],
    name: str,
    file: Mapping[str, Any],
    libraries: _Libraries,
    siblings: Mapping[str, str],
    allowed: Sequence[str],
    driver_runpath: str | None,
    missing: list[Missing],
) -> str | None:
    source, soname = needed["source"], needed["soname"]
    directory: str | None
    if source in ("wheel", "system"):
        return None
    if source == "sibling":
        package = needed["package"]
        if package not in siblings:
            raise ApplyError(
                f"{name}: {file['install']} needs {soname} from sibling package {package!r}, "
                "which was not given",
                hint=f"pass --sibling {package}=<its site-packages>",
            )
        directory = os.path.join(siblings[package], posixpath.dirname(needed["path"]))
        if not os.path.isfile(os.path.join(siblings[package], needed["path"])):
            missing.append(
                Missing(
                    file["install"], soname, reason=f"not in sibling {package!r} at {directory}"
                )
            )
        return directory
    if any(fnmatch.fnmatchcase(soname, pattern) for pattern in allowed):
        return driver_runpath
    directory = libraries.find(soname)
    if directory is None:
        missing.append(Missing(file["install"], soname, needed.get("attr"), needed.get("reason")))
    return directory


def _missing_error(name: str, missing: Sequence[Missing]) -> ApplyError:
    sonames = list(dict.fromkeys(m.soname for m in missing))
    details = []
    for soname in sonames:
        users = [m for m in missing if m.soname == soname]
        first = users[0]
        files = first.path + (f" and {len(users) - 1} more" if len(users) > 1 else "")
        known = f"nixpkgs attribute {first.attr}" if first.attr else (first.reason or "unresolved")
        details.append(f"{soname} (needed by {files}; {known})")
    attrs = sorted({m.attr for m in missing if m.attr})
    packages = " ".join(f"pkgs.{a}" for a in attrs) or "pkgs.<package providing it>"
    example = ", ".join(f'"{s}": "<nixpkgs attribute>"' for s in sonames[:2])
    return ApplyError(
        f"{name}: no library found for {', '.join(details)}",
        hint=f"add it in Nix with `_.{name}.buildInputs.add = [ {packages} ];` "
        f"or map it when locking with a soname map ({{{example}}})",
        missing=missing,
    )


def apply_plan(
    plan: Mapping[str, Any],
    site_packages: str | os.PathLike[str],
    *,
    library_path: Sequence[str] = (),
    siblings: Mapping[str, str] | None = None,
    allow: Iterable[str] = DEFAULT_HOST_LIBRARIES,
    driver_runpath: str | None = DRIVER_RUNPATH,
    interpreter: str | None = None,
    patchelf: str = "patchelf",
    run: Callable[[list[str]], None] | None = None,
) -> list[Action]:
    """Carry out :func:`plan_actions` (same arguments) and create the plan's symlinks.

    :param run: runs one patchelf command (default: :func:`subprocess.run`, checked).
    :raises ApplyError: as :func:`plan_actions`, or patchelf failed.
    """
    actions = plan_actions(
        plan,
        site_packages,
        library_path=library_path,
        siblings=siblings,
        allow=allow,
        driver_runpath=driver_runpath,
        interpreter=interpreter,
    )
    for link in plan.get("links", ()):
        path = Path(site_packages) / link["path"]
        if not os.path.lexists(path):
            path.symlink_to(link["target"])
    for action in actions:
        if not action.removed:
            _run_writable(action, patchelf, run or _run)
    return actions


def _run(command: list[str]) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise ApplyError(
            f"cannot run {command[0]!r}: {error.strerror}", hint="install patchelf"
        ) from error
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise ApplyError(f"patchelf failed on {command[-1]}: {detail}")


def _run_writable(action: Action, patchelf: str, run: Callable[[list[str]], None]) -> None:
    mode = action.path.stat().st_mode
    if not mode & stat.S_IWUSR:
        action.path.chmod(mode | stat.S_IWUSR)
    try:
        run(action.command(patchelf))
    finally:
        if not mode & stat.S_IWUSR:
            action.path.chmod(mode)


# -- command line ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mach2-patchelf-apply",
        description="Rewrite the RUNPATHs of an installed wheel as its mach2 patch plan says.",
    )
    parser.add_argument("--plan", required=True, help="the plan JSON (WheelPatchPlan.to_json)")
    parser.add_argument("--site-packages", required=True, help="where the wheel is installed")
    parser.add_argument(
        "--library-path",
        action="append",
        default=[],
        help="colon-separated directories holding the nixpkgs libraries (repeatable)",
    )
    parser.add_argument(
        "--sibling",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a sibling wheel's site-packages",
    )
    parser.add_argument(
        "--allow", action="append", default=[], metavar="PATTERN", help="a host library pattern"
    )
    parser.add_argument(
        "--no-default-allow", action="store_true", help="drop the built-in GPU driver patterns"
    )
    parser.add_argument("--driver-runpath", default=DRIVER_RUNPATH, help="'' to add none")
    parser.add_argument("--interpreter", help="the dynamic loader for executables")
    parser.add_argument("--patchelf", default="patchelf", help="the patchelf binary")
    parser.add_argument("--dry-run", action="store_true", help="print the patchelf commands only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The script's entry point; prints one line per changed file, errors as one line."""
    args = _parser().parse_args(argv)
    try:
        with open(args.plan, encoding="utf-8") as handle:
            plan = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"error: cannot read plan {args.plan!r}: {error}", file=sys.stderr)
        return 1
    siblings = dict(item.split("=", 1) for item in args.sibling if "=" in item)
    options: dict[str, Any] = {
        "library_path": [d for entry in args.library_path for d in entry.split(":")],
        "siblings": siblings,
        "allow": [*(() if args.no_default_allow else DEFAULT_HOST_LIBRARIES), *args.allow],
        "driver_runpath": args.driver_runpath or None,
        "interpreter": args.interpreter,
    }
    try:
        if args.dry_run:
            actions = plan_actions(plan, args.site_packages, **options)
        else:
            actions = apply_plan(plan, args.site_packages, patchelf=args.patchelf, **options)
    except ApplyError as error:
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 1
    for action in actions:
        print(
            " ".join(action.command(args.patchelf))
            if args.dry_run and not action.removed
            else _describe(action, args.site_packages)
        )
    return 0


def _describe(action: Action, site_packages: str) -> str:
    if action.removed:
        return (
            f"patchelf: {os.path.relpath(action.path, site_packages)}: not patched: removed "
            "before the patch plan ran (by an override)"
        )
    what = []
    if action.interpreter is not None:
        what.append(f"interpreter {action.interpreter}")
    if action.runpath is not None:
        what.append(f"RUNPATH {':'.join(action.runpath)}" if action.runpath else "RUNPATH removed")
    return f"patchelf: {os.path.relpath(action.path, site_packages)}: {', '.join(what)}"


if __name__ == "__main__":
    sys.exit(main())
