"""The documented commands of docs/*.md, run as a user runs them (examples.md's harness).

A block is marked like an example of examples.md (tests/nix/test_examples.py), with two more
attributes: ``group=NAME`` runs the doc's blocks of that group in one directory, in order
(write a file, lock, build), and ``setup=...`` prepares that directory:

* ``conda-channel``: ``./channel``, a local conda channel (tests/data/docs/conda-channel);
* ``nixpkgs``: ``./nixpkgs``, the stand-in with a few real Python packages
  (python-index-fixture.nix), standing for the user's nixpkgs checkout.

And one more mode: ``file`` writes the block to ``path=`` (an environment.yml, a
requirements.txt) for the group's later blocks.  Every ``console`` block of docs/*.md must be
marked: a documented command that is not run is a claim nobody checks.  So is output shown
for a command: ``<!-- output: group=NAME command="mach2 why numpy" -->`` before an indented
block is compared with what that command prints after the group's blocks ran.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from nixhelpers import NIX_OPTIONS, ROOT, STANDIN, run
from test_examples import _ATTR, _BLOCK, _cli, _workdir

from mach2.cli.main import main

DOCS = sorted((ROOT / "docs").glob("*.md"))
_CONSOLE = re.compile(r"^```console$", re.MULTILINE)
_OUTPUT = re.compile(r"<!-- output: (?P<attrs>.*?) -->\n\n(?P<text>(?:(?: {4}.*)?\n)+)")


def _blocks(path: Path) -> list[dict[str, str]]:
    found = []
    for match in _BLOCK.finditer(path.read_text(encoding="utf-8")):
        attrs = {m[1]: m[3] if m[3] is not None else m[2] for m in _ATTR.finditer(match["attrs"])}
        found.append({**attrs, "lang": match["lang"], "code": match["code"]})
    return found


def _outputs(path: Path) -> list[dict[str, str]]:
    found = []
    for match in _OUTPUT.finditer(path.read_text(encoding="utf-8")):
        attrs = {m[1]: m[3] if m[3] is not None else m[2] for m in _ATTR.finditer(match["attrs"])}
        text = "\n".join(line[4:] for line in match["text"].splitlines()).strip()
        found.append({**attrs, "mode": "output", "name": attrs["command"], "code": text})
    return found


def _groups() -> list[tuple[str, list[dict[str, str]]]]:
    """(test id, blocks run in one directory), in document order (outputs last)."""
    groups: dict[str, list[dict[str, str]]] = {}
    for path in DOCS:
        for block in [*_blocks(path), *_outputs(path)]:
            key = f"{path.name}:{block.get('group') or block['name']}"
            groups.setdefault(key, []).append(block)
    return list(groups.items())


def _setup(work: Path, what: str) -> None:
    if what == "conda-channel":
        shutil.copytree(ROOT / "tests" / "data" / "docs" / "conda-channel", work / "channel")
    elif what == "nixpkgs":
        (work / "nixpkgs").mkdir()
        (work / "nixpkgs" / "default.nix").write_text(
            f"args: import {STANDIN} (args // {{ overlays = (args.overlays or [ ]) ++ "
            f"[ (import {STANDIN}/python-index-fixture.nix) ]; }})\n",
            encoding="utf-8",
        )
    else:
        raise AssertionError(f"unknown setup {what!r}")


GROUPS = _groups()


def test_every_documented_command_is_run() -> None:
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        marked = [b for b in _blocks(path) if b["lang"] == "console"]
        assert len(marked) == len(_CONSOLE.findall(text)), f"{path.name}: an unmarked console block"
        assert marked, f"{path.name} runs no documented command"


def test_the_docs_cite_only_what_a_user_has() -> None:
    # The design notes and the shared data live beside the repository, not in it.
    for path in [*DOCS, ROOT / "README.md", ROOT / "examples.md"]:
        text = path.read_text(encoding="utf-8")
        for missing in ("DESIGN.md", "DESIGN §", "../shared", "/work/"):
            assert missing not in text, f"{path.name} cites {missing}"
        assert "not implemented yet" not in text, f"{path.name}: a stale claim"


@pytest.mark.network  # the commands resolve against PyPI and builds download from it
@pytest.mark.parametrize("blocks", [g for _, g in GROUPS], ids=[name for name, _ in GROUPS])
def test_doc_example(
    blocks: list[dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _workdir(tmp_path, None)
    for block in blocks:
        if "setup" in block:
            _setup(work, block["setup"])
    monkeypatch.chdir(work)
    for block in blocks:
        mode, code = block["mode"], block["code"]
        if mode == "file":
            (work / block["path"]).write_text(code, encoding="utf-8")
        elif mode == "cli":
            _cli(work, code)
        elif mode == "output":
            words = shlex.split(block["command"])
            result = CliRunner().invoke(main, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            assert result.stdout.strip() == code, f"{block['command']} printed:\n{result.stdout}"
        elif mode in ("build", "eval", "fail"):
            file = work / block.get("path", "default.nix")
            file.write_text(code, encoding="utf-8")
            if mode == "build":
                run(["nix-build", *NIX_OPTIONS, "--no-out-link", str(file)], check=True)
            elif mode == "eval":
                run(["nix-instantiate", *NIX_OPTIONS, str(file)], check=True)
            else:
                result = run(["nix-instantiate", *NIX_OPTIONS, str(file)])
                assert result.returncode != 0 and block["expect"] in result.stderr
        else:
            raise AssertionError(f"unknown mode {mode!r} in {block['name']}")


_TABLE_ROW = re.compile(
    r"^\| `mach2 (?P<command>patchelf plan|[a-z]+)(?: [A-Z_]+)?(?P<rest>(?: [^`]*)?)` \|", re.M
)


def _command_options() -> dict[str, set[str]]:
    """Each command's option names (``--lock``, ``-o``), ``patchelf plan`` included."""
    import click

    found: dict[str, set[str]] = {}
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        subcommands = command.commands if isinstance(command, click.Group) else {"": command}
        for sub, each in subcommands.items():
            key = f"{name} {sub}".strip()
            found[key] = {o for p in each.params for o in (*p.opts, *p.secondary_opts)}
    return found


def test_the_readme_s_command_table_names_real_options() -> None:
    """Each row of README's command table names options its command has, and the rows of
    `why` and `export` (few options, each needed) name all of them: export's row once lacked
    `--system`, which a lock of several systems needs."""
    options = _command_options()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m["command"].strip(): m["rest"] for m in _TABLE_ROW.finditer(text)}
    assert set(rows) >= {"lock", "env", "gen", "why", "export", "patchelf plan", "doctor"}, rows
    for command, rest in rows.items():
        named = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", rest))
        assert named <= options[command], f"mach2 {command}: {named - options[command]}"
        if command in ("why", "export"):
            # The long name or the short one (-o for --output).
            missing = {
                o for o in options[command] if o.startswith("--") and o not in ("--help",)
            } - named
            short = {"--output": "-o"}
            missing = {o for o in missing if short.get(o) not in named}
            assert not missing, f"README's row of mach2 {command} lacks {sorted(missing)}"


def test_the_docs_say_lock_file_for_prefers_the_per_system_file() -> None:
    """`lockFileIn` (nix/lock.nix) takes `mach2-<system>.lock` first, then a `mach2.lock` that
    has the system; examples.md once said it the other way round."""
    wrong = re.compile(r"`mach2\.lock` when it has that system[^.]*?else `mach2-<system>\.lock`")
    for path in [*DOCS, ROOT / "README.md", ROOT / "examples.md", ROOT / "implementation.md"]:
        text = " ".join(path.read_text(encoding="utf-8").split())
        assert not wrong.search(text), f"{path.name} puts mach2.lock before mach2-<system>.lock"
    lock_nix = (ROOT / "nix" / "lock.nix").read_text(encoding="utf-8")
    assert re.search(r"if pathExists perSystem then\s+perSystem\s+else if", lock_nix)
