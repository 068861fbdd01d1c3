"""Errors raised by the mach2 library.

Every error carries the objects involved and renders as one line that names the input and
says what to do.  The library never prints or exits: the CLI renders these (``mach2.cli``).
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "CacheError",
    "IndexError_",
    "InputError",
    "LockError",
    "Mach2Error",
    "ProviderError",
    "ResolutionFailed",
    "TargetError",
]


class Mach2Error(Exception):
    """Root of every error mach2 raises on purpose.

    ``hint`` says what the user can do about it; the CLI prints it after the message.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = _shortened(message)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


#: a message quoting a megabyte of input is no longer one readable line
_MESSAGE_LIMIT = 1000


def _shortened(message: str) -> str:
    """``message`` with its middle left out when it is longer than ``_MESSAGE_LIMIT``: the
    start names the input and the end usually says what is wrong."""
    if len(message) <= _MESSAGE_LIMIT:
        return message
    return f"{message[:600]} ...[{len(message) - 900} characters]... {message[-300:]}"


class InputError(Mach2Error):
    """A requirements file, pyproject.toml, option or argument the user gave is malformed."""


class TargetError(InputError):
    """The target (Python version, system, libc) is not one mach2 can build for."""


class ProviderError(InputError):
    """A provider name or provider order is invalid."""


class IndexError_(Mach2Error):
    """A package index could not be reached or answered with something unusable."""


class CacheError(Mach2Error):
    """A cache entry is corrupt or unusable."""


class ArtifactError(Mach2Error):
    """A downloaded file does not match its hash, or its contents are unusable."""


class ResolutionFailed(Mach2Error):
    """No set of candidates satisfies the requirements; ``reasons`` are the lines explaining why."""

    def __init__(self, message: str, *, reasons: tuple[str, ...] = (), hint: str | None = None):
        super().__init__(message, hint=hint)
        self.reasons = reasons


class LockError(Mach2Error):
    """A lock file is missing, malformed, stale, or was written by an unknown lock version."""
