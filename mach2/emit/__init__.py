"""The emitter: a Lock → what Nix consumes (an env directory or one standalone expression)."""

from mach2.emit.env_dir import (
    LIBRARY_DIR_NAME,
    NixpkgsPin,
    embedded_library,
    library_files,
    render_expression,
    write_env_dir,
)

__all__ = [
    "LIBRARY_DIR_NAME",
    "NixpkgsPin",
    "embedded_library",
    "library_files",
    "render_expression",
    "write_env_dir",
]
