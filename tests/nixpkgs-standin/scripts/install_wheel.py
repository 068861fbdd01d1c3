"""Stand-in for nixpkgs' pypaInstallHook (``python -m installer --prefix $out dist/*.whl``).

Installs a wheel into ``<prefix>/<site-packages>`` with the standard library only: the
``.data/`` directories go to their scheme paths (purelib/platlib -> site-packages,
scripts -> bin, data -> prefix, headers -> include), console and GUI entry points become
scripts in bin/ whose shebang is the given interpreter.  Like installer (and unlike pip) it
does not check the wheel's tags.

usage: install_wheel.py WHEEL PREFIX SITE_PACKAGES INTERPRETER
"""

import configparser
import stat
import sys
import zipfile
from pathlib import Path

SCRIPT = """#!{interpreter}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {head}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({call}())
"""


def main(wheel: str, prefix: str, site_packages: str, interpreter: str) -> None:
    out = Path(prefix)
    site = out / site_packages
    site.mkdir(parents=True, exist_ok=True)
    schemes = {
        "purelib": site,
        "platlib": site,
        "scripts": out / "bin",
        "data": out,
        "headers": out / "include",
    }
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = next(
            (n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")), None
        )
        if dist_info is None:
            sys.exit(f"install_wheel: {wheel} has no .dist-info directory")
        data_dir = dist_info[: -len(".dist-info")] + ".data"
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename
            parts = name.split("/")
            if parts[0] == data_dir:
                scheme = parts[1]
                if scheme not in schemes:
                    sys.exit(f"install_wheel: {wheel}: unknown scheme {scheme!r} in {name}")
                target = schemes[scheme].joinpath(*parts[2:])
            else:
                target = site.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            content = archive.read(info)
            if parts[0] == data_dir and parts[1] == "scripts" and content.startswith(b"#!python"):
                rest = content.split(b"\n", 1)[1] if b"\n" in content else b""
                content = b"#!" + interpreter.encode() + b"\n" + rest
            target.write_bytes(content)
            mode = (info.external_attr >> 16) & 0o777
            executable = mode & 0o111 or (parts[0] == data_dir and parts[1] == "scripts")
            target.chmod(0o755 if executable else 0o644)
        entry_points = site / dist_info / "entry_points.txt"
        if entry_points.exists():
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            parser.read(entry_points, encoding="utf-8")
            for section in ("console_scripts", "gui_scripts"):
                if not parser.has_section(section):
                    continue
                for script, ref in parser.items(section):
                    module, _, attr = ref.partition(":")
                    attr = attr.split("[")[0].strip()
                    path = out / "bin" / script
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(
                        SCRIPT.format(
                            interpreter=interpreter,
                            module=module.strip(),
                            head=attr.split(".")[0],
                            call=attr,
                        ),
                        encoding="utf-8",
                    )
                    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


if __name__ == "__main__":
    main(*sys.argv[1:])
