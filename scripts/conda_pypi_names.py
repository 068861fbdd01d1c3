"""Make ``mach2/data/conda-pypi-names.json``, the conda → PyPI name map mach2 ships.

Where the data comes from: prefix-dev/parselmouth maps every conda-forge package to the PyPI
project it packages (or to none).  Its "compressed mapping" (``{"<conda name>": "<pypi name>" |
null}``) is snapshotted in prefix-dev/pixi's tests; mach2 keeps that snapshot, as fetched, in
``tests/data/conda-pypi-names/compressed_mapping.json.xz`` (README.md there: commit, licence).

How to refresh it::

    # 1. take a newer mapping, e.g. pixi's tests/data/mapping_files/compressed_mapping.json at
    #    a newer commit, or parselmouth's published compressed_mapping.json, and record it:
    xz -9e -c compressed_mapping.json > tests/data/conda-pypi-names/compressed_mapping.json.xz
    # 2. write where it came from into SOURCE below and the README.md next to the .xz file
    # 3. regenerate the shipped file (from the repository root):
    python scripts/conda_pypi_names.py
    # 4. tests/unit/test_conda_names.py checks that the shipped file is what this makes

The output keeps the same facts, shaped for a fast load (no per-name work at import time):

- ``same``: conda names that *are* the normalized (PEP 503) PyPI name, verbatim;
- ``renamed``: conda name → normalized PyPI name, for the others (``pytorch`` → ``torch``,
  ``ruamel.yaml`` → ``ruamel-yaml``);
- ``not-on-pypi``: conda names with no PyPI project (native libraries, tools, ...).
"""

from __future__ import annotations

import hashlib
import json
import lzma
import sys
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests" / "data" / "conda-pypi-names" / "compressed_mapping.json.xz"
SHIPPED = ROOT / "mach2" / "data" / "conda-pypi-names.json"

#: Where the recorded mapping comes from (copied into the shipped file, with its licence).
SOURCE = {
    "what": "prefix-dev/parselmouth's conda-forge -> PyPI name mapping (compressed_mapping.json)",
    "repository": "https://github.com/prefix-dev/pixi",
    "commit": "2b25fc76dd3b5cc50a235387d948474975c40d73",
    "path": "tests/data/mapping_files/compressed_mapping.json",
    "licence": "BSD-3-Clause",
}

LICENCE = """\
BSD 3-Clause License

Copyright (c) 2023, prefix.dev GmbH

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""


def render(source: bytes) -> str:
    """The text of the shipped file for the recorded mapping's bytes (deterministic)."""
    mapping: dict[str, str | None] = json.loads(source)
    same, renamed, absent = [], {}, []
    for conda, pypi in sorted(mapping.items()):
        if any(c in conda for c in ' \n"\\') or not conda:
            raise ValueError(f"unexpected conda name {conda!r}")
        if not pypi:
            absent.append(conda)
        elif canonicalize_name(pypi) == conda:
            same.append(conda)
        else:
            renamed[conda] = canonicalize_name(pypi)
    data: dict[str, Any] = {
        "format": 1,
        "about": "conda-forge package name -> PyPI project (normalized), derived data: made by "
        "scripts/conda_pypi_names.py from the source below; do not edit by hand",
        "source": {**SOURCE, "sha256": hashlib.sha256(source).hexdigest()},
        "licence": LICENCE.splitlines(),
        "same": same,
        "renamed": renamed,
        "not-on-pypi": absent,
    }
    return json.dumps(data, indent=0, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    recorded = Path(argv[1]) if len(argv) > 1 else RECORDED
    SHIPPED.write_text(render(lzma.decompress(recorded.read_bytes())), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
