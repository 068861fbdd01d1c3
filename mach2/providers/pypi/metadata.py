"""Core metadata (``METADATA`` / ``PKG-INFO``) parsing, shared by wheels and sdists.

The resolver parses one of these per candidate it visits, so this is deliberately small:
one pass of :mod:`email.parser` over the headers (the body, the long description, is never
parsed) and no validation of the requirement strings, which the resolver parses anyway.
It is tolerant the way the files on PyPI need: any ``Metadata-Version`` from 1.0 on,
missing optional fields, folded header lines, non-UTF-8 bytes in fields mach2 ignores.
Only a file without ``Name`` or ``Version`` is refused (:class:`~mach2.errors.ArtifactError`).
"""

from __future__ import annotations

import email.parser
import email.policy
import re

from attrs import frozen

from mach2.errors import ArtifactError
from mach2.model.names import NormalizedName, normalize

__all__ = ["CoreMetadata", "parse_metadata"]

_PARSER = email.parser.Parser(policy=email.policy.compat32)
_FOLD = re.compile(r"\r?\n[ \t]+")
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


@frozen(kw_only=True)
class CoreMetadata:
    """The fields of a core metadata file the resolver needs.

    :param metadata_version: ``Metadata-Version`` as written (``"1.0"`` when absent).
    :param name: the normalized project name.
    :param version: ``Version`` as written (not normalized: the file name decides that).
    :param requires_dist: ``Requires-Dist`` values, PEP 508 strings, in file order.
    :param requires_python: the ``Requires-Python`` specifier text, if any.
    :param provides_extra: ``Provides-Extra`` values as written.
    :param dynamic: ``Dynamic`` field names (PEP 643), lower-cased, e.g. ``"requires-dist"``.
    """

    metadata_version: str
    name: NormalizedName
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str | None
    provides_extra: tuple[str, ...]
    dynamic: tuple[str, ...]


def parse_metadata(data: bytes, *, origin: str = "METADATA") -> CoreMetadata:
    """Parse a ``METADATA`` or ``PKG-INFO`` file.

    :param data: the file's bytes.
    :param origin: what to call the file in errors, e.g. ``"six-1.16.0.tar.gz!PKG-INFO"``.
    :raises ArtifactError: when ``Name`` or ``Version`` is missing or empty.

    >>> m = parse_metadata(b"Metadata-Version: 2.1\\nName: Foo_Bar\\nVersion: 1.0\\n"
    ...                    b"Requires-Dist: six>=1.5; extra == 'x'\\n")
    >>> (m.name, m.version, m.requires_dist)
    ('foo-bar', '1.0', ("six>=1.5; extra == 'x'",))
    """
    # The body is the long description: cutting it off first halves the parsing time.
    end = _END_OF_HEADERS.search(data)
    # Undecodable bytes only occur in free-text fields (author, summary); replacing them keeps
    # compat32 from turning those headers into Header objects.
    text = (data if end is None else data[: end.end()]).decode("utf-8-sig", errors="replace")
    message = _PARSER.parsestr(text, headersonly=True)

    def values(field: str) -> tuple[str, ...]:
        found = message.get_all(field) or []
        return tuple(v for v in (_FOLD.sub(" ", str(raw)).strip() for raw in found) if v)

    def single(field: str) -> str | None:
        found = values(field)
        return found[0] if found else None

    name = single("Name")
    version = single("Version")
    if name is None or version is None:
        missing = "Name" if name is None else "Version"
        raise ArtifactError(
            f"{origin}: core metadata has no {missing!r} field",
            hint="the file is not a Python package's metadata; report it to the package's authors",
        )
    return CoreMetadata(
        metadata_version=single("Metadata-Version") or "1.0",
        name=normalize(name),
        version=version,
        requires_dist=values("Requires-Dist"),
        requires_python=single("Requires-Python"),
        provides_extra=values("Provides-Extra"),
        dynamic=tuple(field.lower() for field in values("Dynamic")),
    )
