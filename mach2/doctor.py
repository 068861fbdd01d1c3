"""What this machine has for mach2: Nix, nixpkgs, the sandbox, binary caches, patchelf, the
cache directory, Python interpreters for PEP 517 hooks; each with what to do when it is
missing.  :func:`diagnose` returns records and prints nothing; ``mach2 doctor`` renders them.

Everything the checks read comes in through :class:`Host` (environment, PATH, cache
directory, a URL probe), so tests run them against fake programs and servers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
from attrs import frozen

__all__ = ["MIN_NIX", "Check", "Host", "diagnose", "has_problems"]

#: Current nixpkgs refuses older Nix (lib/minver.nix).
MIN_NIX = (2, 18)
Status = Literal["ok", "warning", "problem"]
#: CPython minor versions whose interpreters are looked for on PATH.
_PYTHONS = tuple(f"python3.{minor}" for minor in range(8, 16))
_TIMEOUT = 20.0


def _probe(url: str, timeout: float) -> bool:
    """Whether ``url`` answers 200 (a binary cache's nix-cache-info)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


@frozen(kw_only=True)
class Host:
    """The machine as the checks see it.

    :param environ: the environment (``PATH`` finds the programs; ``NIX_PATH`` too).
    :param cache_dir: mach2's cache directory.
    :param own_python: the interpreter mach2 runs on (the fallback for PEP 517 hooks).
    :param probe: ``url, timeout → reachable?`` for substituters.
    """

    environ: Mapping[str, str]
    cache_dir: Path
    own_python: str
    probe: Callable[[str, float], bool] = _probe
    timeout: float = 5.0

    @classmethod
    def current(cls, cache_dir: Path) -> Host:
        import sys

        return cls(environ=dict(os.environ), cache_dir=cache_dir, own_python=sys.executable)

    def which(self, program: str) -> str | None:
        return shutil.which(program, path=self.environ.get("PATH", ""))

    def run(self, *args: str) -> subprocess.CompletedProcess[str] | None:
        """Run a program; None when it cannot be started or times out."""
        try:
            return subprocess.run(
                list(args), capture_output=True, text=True, env=dict(self.environ),
                timeout=_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None


@frozen(kw_only=True)
class Check:
    """One finding.

    :param name: what was checked (``nix``, ``nixpkgs``, ``sandbox``, ``substituters``,
        ``patchelf``, ``cache``, ``python``).
    :param status: ``ok``, ``warning`` (mach2 works, with a limit) or ``problem`` (a mach2
        command or the Nix build will fail).
    :param found: what the machine has, in words.
    :param fix: what to do about it (None when nothing is needed).
    :param data: the facts, for ``--json`` (versions, paths, sizes).
    """

    name: str
    status: Status
    found: str
    fix: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "found": self.found,
            "fix": self.fix,
            "data": dict(self.data),
        }


def has_problems(checks: tuple[Check, ...]) -> bool:
    return any(c.status == "problem" for c in checks)


def diagnose(host: Host) -> tuple[Check, ...]:
    """Every check, in a fixed order."""
    nix = _nix(host)
    config = _nix_config(host) if nix.status != "problem" else {}
    return (
        nix,
        _nixpkgs(host, nix.status != "problem"),
        _sandbox(config, nix.status != "problem"),
        _substituters(host, config, nix.status != "problem"),
        _patchelf(host),
        _cache(host),
        _pythons(host),
    )


def _version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(g) for g in match.groups() if g is not None) if match else None


def _nix(host: Host) -> Check:
    program = host.which("nix-build")
    if program is None:
        return Check(
            name="nix", status="problem", found="no nix-build on PATH",
            fix="install Nix (https://nixos.org/download, or `apt-get install nix-bin`), then open a new shell",
        )  # fmt: skip
    result = host.run(program, "--version")
    version = _version(result.stdout) if result is not None and result.returncode == 0 else None
    if version is None:
        return Check(
            name="nix", status="problem", found=f"{program} does not run (`--version` failed)",
            fix="repair the Nix installation (the daemon, or the store's permissions)",
            data={"path": program},
        )  # fmt: skip
    text = ".".join(map(str, version))
    data = {"path": program, "version": text, "minimum-for-nixpkgs": "{}.{}".format(*MIN_NIX)}
    if version[:2] < MIN_NIX:
        return Check(
            name="nix", status="warning", found=f"Nix {text} ({program}): older than current nixpkgs needs",
            fix="upgrade to Nix {}.{}+ to build with current nixpkgs; with this Nix pin an older nixpkgs (mach2 env --nixpkgs REV --nixpkgs-sha256 H)".format(*MIN_NIX),
            data=data,
        )  # fmt: skip
    return Check(name="nix", status="ok", found=f"Nix {text} ({program})", data=data)


def _nix_config(host: Host) -> dict[str, str]:
    """``nix show-config`` (Nix < 2.20; later `nix config show`) as name → value."""
    program = host.which("nix")
    if program is None:
        return {}
    for args in (("show-config",), ("config", "show")):
        result = host.run(program, "--extra-experimental-features", "nix-command", *args)
        if result is not None and result.returncode == 0:
            config = {}
            for line in result.stdout.splitlines():
                name, sep, value = line.partition(" = ")
                if sep:
                    config[name.strip()] = value.strip()
            return config
    return {}


def _nixpkgs(host: Host, have_nix: bool) -> Check:
    nix_path = host.environ.get("NIX_PATH", "")
    data: dict[str, Any] = {"NIX_PATH": nix_path}
    if have_nix and (program := host.which("nix-instantiate")) is not None:
        result = host.run(program, "--find-file", "nixpkgs")
        if result is not None and result.returncode == 0 and result.stdout.strip():
            found = result.stdout.strip()
            return Check(
                name="nixpkgs", status="ok", found=f"<nixpkgs> is {found}",
                data={**data, "channel": found},
            )  # fmt: skip
    registry = _flake_registry(host) if have_nix else None
    if registry:
        return Check(
            name="nixpkgs", status="warning",
            found=f"no <nixpkgs> on NIX_PATH; the flake registry has nixpkgs → {registry}",
            fix="env directories import <nixpkgs>: pin one (mach2 env --nixpkgs REV --nixpkgs-sha256 H) or run with -I nixpkgs=flake:nixpkgs",
            data={**data, "registry": registry},
        )  # fmt: skip
    return Check(
        name="nixpkgs", status="warning", found="no <nixpkgs> (NIX_PATH, channels) and no flake registry entry",
        fix="pin nixpkgs (mach2 env --nixpkgs REV --nixpkgs-sha256 H), or add a channel: nix-channel --add https://nixos.org/channels/nixpkgs-unstable nixpkgs && nix-channel --update",
        data=data,
    )  # fmt: skip


def _flake_registry(host: Host) -> str | None:
    program = host.which("nix")
    if program is None:
        return None
    result = host.run(
        program, "--extra-experimental-features", "nix-command flakes", "registry", "list"
    )
    if result is None or result.returncode != 0:
        return None
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "flake:nixpkgs":
            return parts[2]
    return None


def _sandbox(config: Mapping[str, str], have_nix: bool) -> Check:
    if not have_nix or "sandbox" not in config:
        return Check(name="sandbox", status="warning", found="unknown (no `nix show-config`)",
                     fix="install Nix to build environments")  # fmt: skip
    value = config["sandbox"]
    if value == "true":
        return Check(name="sandbox", status="ok", found="sandbox = true", data={"sandbox": value})
    return Check(
        name="sandbox", status="warning", found=f"sandbox = {value}: builds can read the host",
        fix="set `sandbox = true` in nix.conf so builds see only what the lock and nixpkgs give them (a build that works here may fail elsewhere)",
        data={"sandbox": value},
    )  # fmt: skip


def _substituters(host: Host, config: Mapping[str, str], have_nix: bool) -> Check:
    urls = config.get("substituters", "").split()
    if not have_nix:
        return Check(name="substituters", status="warning", found="unknown (no Nix)",
                     fix="install Nix to build environments")  # fmt: skip
    if not urls:
        return Check(
            name="substituters", status="warning", found="no substituters: everything is built from source",
            fix="add `substituters = https://cache.nixos.org/` (and its trusted-public-keys) to nix.conf",
        )  # fmt: skip
    reachable = {u: host.probe(u.rstrip("/") + "/nix-cache-info", host.timeout) for u in urls}
    down = [u for u, ok in reachable.items() if not ok]
    data = {"substituters": reachable}
    if len(down) == len(urls):
        return Check(
            name="substituters", status="warning", found=f"none reachable ({', '.join(urls)}): everything is built from source",
            fix="check the network or proxy (https_proxy), or pass `--option substituters ''` to stop Nix waiting on them",
            data=data,
        )  # fmt: skip
    if down:
        return Check(
            name="substituters", status="warning", found=f"unreachable: {', '.join(down)}",
            fix="remove them from nix.conf or fix the network", data=data,
        )  # fmt: skip
    return Check(name="substituters", status="ok", found=f"reachable: {', '.join(urls)}", data=data)


def _patchelf(host: Host) -> Check:
    program = host.which("patchelf")
    if program is None:
        return Check(
            name="patchelf", status="warning", found="no patchelf on PATH",
            fix="Nix builds use nixpkgs' patchelf; install one (apt-get install patchelf) only to run mach2's tests or inspect wheels by hand",
        )  # fmt: skip
    result = host.run(program, "--version")
    version = _version(result.stdout) if result is not None else None
    text = ".".join(map(str, version)) if version else "unknown version"
    return Check(name="patchelf", status="ok", found=f"patchelf {text} ({program})",
                 data={"path": program, "version": text})  # fmt: skip


def _cache(host: Host) -> Check:
    directory = host.cache_dir
    data: dict[str, Any] = {"path": str(directory)}
    if not directory.exists():
        parent = next((p for p in directory.parents if p.exists()), None)
        if parent is not None and os.access(parent, os.W_OK):
            return Check(
                name="cache", status="ok", found=f"{directory} (not created yet)", data=data
            )
        return Check(
            name="cache", status="problem", found=f"{directory} cannot be created",
            fix="pass --cache-dir or set MACH2_CACHE_DIR to a writable directory", data=data,
        )  # fmt: skip
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        return Check(
            name="cache", status="problem", found=f"{directory} is not a writable directory",
            fix="pass --cache-dir or set MACH2_CACHE_DIR to a writable directory", data=data,
        )  # fmt: skip
    size = files = 0
    for root, _dirs, names in os.walk(directory):
        for name in names:
            try:
                size += (Path(root) / name).lstat().st_size
                files += 1
            except OSError:
                continue
    data.update(bytes=size, files=files)
    return Check(
        name="cache", status="ok", found=f"{directory}: {_human(size)} in {files} files",
        fix=None, data=data,
    )  # fmt: skip


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _pythons(host: Host) -> Check:
    found: dict[str, str] = {}
    for name in _PYTHONS:
        program = host.which(name)
        if program is None:
            continue
        result = host.run(program, "-c", "import sys; print('%d.%d' % sys.version_info[:2])")
        if result is not None and result.returncode == 0 and result.stdout.strip() == name[6:]:
            found[name[6:]] = program
    data = {"interpreters": found, "fallback": host.own_python}
    if not found:
        return Check(
            name="python", status="warning",
            found=f"no python3.X on PATH; sdist metadata hooks run on mach2's own Python ({host.own_python})",
            fix="install the target's python3.X (e.g. apt-get install python3.12) when locking sdists whose setup.py depends on the Python version",
            data=data,
        )  # fmt: skip
    listed = ", ".join(f"{v} ({p})" for v, p in found.items())
    return Check(
        name="python", status="ok", found=f"for PEP 517 hooks: {listed}; other targets use {host.own_python}",
        data=data,
    )  # fmt: skip
