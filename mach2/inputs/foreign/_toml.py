"""Reading a TOML lock with errors that name the file and the place (``package[3].wheels[0].hash``).

tomllib gives no positions for values, so places are key paths with 0-based indexes, as
``packaging.pylock`` writes them; a syntax error keeps tomllib's line and column.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from packaging.markers import InvalidMarker, Marker
from packaging.utils import InvalidName, NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from mach2.errors import InputError
from mach2.inputs.requirements import _read_input_file

__all__ = ["Doc", "load"]

T = TypeVar("T")


def load(path: Path) -> tuple[Doc, str, str]:
    """The parsed document, the text and the sha256 of the bytes of ``path``."""
    name = path.as_posix()
    text, digest = _read_input_file(path, name)
    if not text.strip():
        raise InputError(
            f"{name}: the file is empty", hint="lock again with the tool that wrote it"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{name}: invalid TOML: {e}", hint="fix the file or lock again") from e
    return Doc(name, data, ""), text, digest


class Doc:
    """A table of the document and its place in it; every getter checks the type."""

    def __init__(self, file: str, data: Mapping[str, Any], where: str) -> None:
        self.file = file
        self.data = data
        self.where = where

    def place(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.where}[{key}]"
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str | int, message: str) -> NoReturn:
        raise InputError(
            f"{self.file}: {self.place(key)}: {message}",
            hint="the file is malformed: lock again with the tool that wrote it",
        )

    def _get(self, key: str, kind: type[T], what: str, required: bool) -> T | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, f"missing (expected {what})")
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(key, f"expected {what}, found {type(value).__name__}")
        return value

    def string(self, key: str) -> str | None:
        return self._get(key, str, "a string", False)

    def required_string(self, key: str) -> str:
        value = self._get(key, str, "a string", True)
        assert value is not None
        return value

    def integer(self, key: str) -> int | None:
        return self._get(key, int, "an integer", False)

    def boolean(self, key: str) -> bool:
        return bool(self._get(key, bool, "true or false", False))

    def table(self, key: str) -> Doc | None:
        value = self._get(key, dict, "a table", False)
        return None if value is None else Doc(self.file, value, self.place(key))

    def tables(self, key: str) -> list[Doc]:
        """An array of tables (missing: empty)."""
        value = self._get(key, list, "an array of tables", False) or []
        found = []
        for index, item in enumerate(value):
            where = f"{self.place(key)}[{index}]"
            if not isinstance(item, dict):
                raise InputError(
                    f"{self.file}: {where}: expected a table, found {type(item).__name__}",
                    hint="the file is malformed: lock again with the tool that wrote it",
                )
            found.append(Doc(self.file, item, where))
        return found

    def strings(self, key: str) -> list[str]:
        value = self._get(key, list, "an array of strings", False) or []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(key, f"[{index}] is {type(item).__name__}, expected a string")
        return list(value)

    def name(self, key: str = "name") -> NormalizedName:
        text = self.required_string(key)
        try:
            return canonicalize_name(text, validate=True)
        except InvalidName:
            self.fail(key, f"invalid project name {text!r}")

    def version(self, key: str = "version", *, required: bool = True) -> Version | None:
        text = self.required_string(key) if required else self.string(key)
        if text is None:
            return None
        try:
            return Version(text)
        except InvalidVersion:
            self.fail(key, f"invalid version {text!r}")

    def marker(self, key: str = "marker") -> Marker | None:
        text = self.string(key)
        return None if text is None else self.parse_marker(key, text)

    def parse_marker(self, key: str, text: str) -> Marker | None:
        if not text.strip():
            return None
        try:
            return Marker(text)
        except InvalidMarker as e:
            self.fail(key, f"invalid marker {text!r}: {str(e).splitlines()[0]}")
