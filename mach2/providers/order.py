"""ProviderOrder: which providers may supply each package, and in which order.

The order is *provider-major* (implementation.md, "Provider order"): for ``wheel,sdist,nixpkgs`` the resolver tries
every wheel candidate (newest first) before any sdist candidate, and so on.  So
``_default = "nixpkgs,wheel,sdist"`` means "take nixpkgs' version when it fits".

Merging the user's order with the built-in defaults (mach-nix's shallow merge surprised its
users, mach-nix issue #423), most specific first:

1. the user's entry for the package;
2. the user's ``_default``, else the built-in ``_default`` (``wheel,sdist,nixpkgs``);
   for the build bootstrap packages (pip, setuptools, wheel, flit-core, installer, build,
   ...) with ``sdist`` taken out, because building them from source needs themselves.

A user entry for a bootstrap package is taken as written.  ``builtin`` can be replaced whole
(Nix' ``_providerDefaults``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from attrs import frozen

from mach2.errors import ProviderError
from mach2.model.names import normalize

__all__ = [
    "BOOTSTRAP",
    "BUILTIN_DEFAULTS",
    "PROVIDER_KINDS",
    "ProviderOrder",
    "is_conda_provider",
    "parse_provider_option",
    "validate_provider",
]

PROVIDER_KINDS = ("wheel", "sdist", "nixpkgs", "conda")
_CONDA_CHANNEL = re.compile(r"^conda/[A-Za-z0-9][A-Za-z0-9._-]*$")

BOOTSTRAP = ("pip", "setuptools", "wheel", "flit-core", "installer", "build", "packaging",
              "pyproject-hooks", "hatchling", "poetry-core", "setuptools-scm", "calver")  # fmt: skip
BUILTIN_DEFAULTS: Mapping[str, tuple[str, ...]] = {"_default": ("wheel", "sdist", "nixpkgs")}


def is_conda_provider(name: str) -> bool:
    """``conda`` (the configured channels) or ``conda/<channel>``."""
    return name == "conda" or name.startswith("conda/")


def validate_provider(name: str, *, where: str) -> str:
    """Return ``name`` if it names a provider, else raise naming ``where`` it was given."""
    if name in PROVIDER_KINDS or _CONDA_CHANNEL.match(name):
        return name
    raise ProviderError(
        f"unknown provider {name!r} in {where}",
        hint="providers are wheel, sdist, nixpkgs, conda or conda/<channel>",
    )


def _split(value: str | Sequence[str], *, where: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(validate_provider(item.strip(), where=where) for item in items if item.strip())
    if not names:
        raise ProviderError(f"empty provider list in {where}", hint="name at least one provider")
    if len(set(names)) != len(names):
        raise ProviderError(f"provider listed twice in {where}: {','.join(names)}")
    return names


@frozen
class ProviderOrder:
    """The user's provider entries (``_default`` and per package), merged with the defaults.

    :param user: normalized package name (or ``_default``) → providers, as the user gave them.
    :param builtin: the defaults; replaceable for tests and for Nix' ``_providerDefaults``.
    """

    user: Mapping[str, tuple[str, ...]]
    builtin: Mapping[str, tuple[str, ...]] = BUILTIN_DEFAULTS

    @classmethod
    def from_mapping(
        cls,
        entries: Mapping[str, str | Sequence[str]],
        *,
        where: str = "providers",
        builtin: Mapping[str, tuple[str, ...]] = BUILTIN_DEFAULTS,
    ) -> ProviderOrder:
        user: dict[str, tuple[str, ...]] = {}
        for key, value in entries.items():
            name = "_default" if key == "_default" else normalize(key)
            user[name] = _split(value, where=f"{where} ({key})")
        return cls(user, builtin)

    def for_package(self, name: str) -> tuple[str, ...]:
        """The providers allowed for ``name`` (normalized), best first."""
        return self._rule(name)[0]

    def explain(self, name: str) -> str:
        """Which rule gave ``name`` its order, in words (for the lock's why-provider)."""
        return self._rule(name)[1]

    def _rule(self, name: str) -> tuple[tuple[str, ...], str]:
        if name in self.user:
            return self.user[name], f"your entry {name}={','.join(self.user[name])}"
        table, whose = (
            (self.user, "your") if "_default" in self.user else (self.builtin, "built-in")
        )
        default = table["_default"]
        text = f"{whose} _default={','.join(default)}"
        if name in BOOTSTRAP and "sdist" in default and len(default) > 1:
            return tuple(
                p for p in default if p != "sdist"
            ), f"{text} without sdist (build bootstrap)"
        return default, text

    def effective(self) -> dict[str, tuple[str, ...]]:
        """The ``_default`` and the user's entries after merging (the lock's ``providers``)."""
        merged = {"_default": self.for_package("_default")}
        merged.update(self.user)
        return merged

    def user_entries(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        yield from sorted(self.user.items())

    def mentions(self, kind: str) -> bool:
        """Whether any effective entry uses a provider of ``kind`` (``conda`` matches channels)."""
        entries = self.effective().values()
        return any(p == kind or p.startswith(kind + "/") for v in entries for p in v)


def parse_provider_option(text: str) -> dict[str, str]:
    """Parse the CLI's ``-p``: ``wheel,sdist`` or ``_default=wheel,sdist;numpy=sdist``.

    >>> parse_provider_option("wheel,sdist")
    {'_default': 'wheel,sdist'}
    >>> parse_provider_option("_default=wheel;numpy=conda,wheel")
    {'_default': 'wheel', 'numpy': 'conda,wheel'}
    """
    text = text.strip()
    if "=" not in text:
        return {"_default": text}
    entries: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ProviderError(
                f"invalid provider entry {part.strip()!r} in -p {text!r}",
                hint="write NAME=PROVIDER[,PROVIDER...] entries separated by ';'",
            )
        entries[key.strip()] = value.strip()
    return entries
