"""Errors of the conda building blocks.

Each one subclasses the mach2 error it is a case of, keeps the offending input on the
instance and renders as one line that quotes it.
"""

from __future__ import annotations

from mach2.errors import ArtifactError, IndexError_, InputError, ResolutionFailed

__all__ = [
    "ChannelError",
    "CondaResolutionFailed",
    "EnvironmentYmlError",
    "HashMismatch",
    "InvalidMatchSpec",
    "InvalidVersion",
    "MissingSha256",
    "PrefixError",
    "RepodataError",
    "UnsafeArchive",
]


class InvalidVersion(InputError):
    """A conda version string that conda's VersionOrder rejects."""

    def __init__(self, version: str, reason: str) -> None:
        super().__init__(f"invalid conda version {version!r}: {reason}")
        self.version = version
        self.reason = reason


class InvalidMatchSpec(InputError):
    """A conda MatchSpec (``name >=1.2 build*``) that cannot be parsed."""

    def __init__(self, spec: str, reason: str) -> None:
        super().__init__(f"invalid conda match spec {spec!r}: {reason}")
        self.spec = spec
        self.reason = reason


class ChannelError(InputError):
    """A channel name, URL or directory that does not describe a usable conda channel."""

    def __init__(self, channel: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"conda channel {channel!r}: {reason}", hint=hint)
        self.channel = channel
        self.reason = reason


class RepodataError(IndexError_):
    """A repodata.json that cannot be fetched or read."""

    def __init__(self, source: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"conda repodata {source!r}: {reason}", hint=hint)
        self.source = source
        self.reason = reason


class EnvironmentYmlError(InputError):
    """An environment.yml outside the subset mach2 reads (see mach2.inputs.environment_yml)."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class HashMismatch(ArtifactError):
    """A conda package whose sha256 differs from the one its repodata record promises."""

    def __init__(self, filename: str, expected: str, actual: str) -> None:
        super().__init__(
            f"conda package {filename!r} has sha256 {actual}, its record says {expected}",
            hint="the download is corrupt or the channel changed the file; refusing to use it",
        )
        self.filename = filename
        self.expected = expected
        self.actual = actual


class MissingSha256(ArtifactError):
    """A conda record with only an md5: Nix needs a sha256 to fetch it."""

    def __init__(self, filename: str, channel: str) -> None:
        super().__init__(
            f"conda package {filename!r} from channel {channel!r} has no sha256 (md5 only)",
            hint="md5 is not accepted for reproducible builds; use a channel whose repodata "
            "lists sha256, or take the package from another provider",
        )
        self.filename = filename
        self.channel = channel


class UnsafeArchive(ArtifactError):
    """A conda package member that would land outside the output directory, or a device file."""

    def __init__(self, filename: str, member: str, reason: str) -> None:
        super().__init__(f"conda package {filename!r}: refusing member {member!r}: {reason}")
        self.filename = filename
        self.member = member
        self.reason = reason


class PrefixError(ArtifactError):
    """A prefix placeholder that cannot be replaced (binary, and shorter than the prefix)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"prefix replacement in {path!r}: {reason}")
        self.path = path
        self.reason = reason


class CondaResolutionFailed(ResolutionFailed):
    """The conda solver found no consistent set of records; ``reasons`` say which specs clash."""
