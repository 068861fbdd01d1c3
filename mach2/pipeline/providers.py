"""Stage 2, providers: a :class:`~mach2.pipeline.inputs.Request` → every provider by name.

Each provider family makes its own (``mach2.providers.<family>.configure``) from the options;
this stage only decides which families are asked and hands them what they share: the one HTTP
client (:class:`~mach2.net.http.Http`) and the one download cache
(:class:`~mach2.net.files.FileStore`, ``<cache dir>/files-v1``), and the PyPI index (the
client, or the caller's) behind ``wheel`` and ``sdist``, which ``nixpkgs`` reads for PyPI's
metadata.  A fifth family adds its ``configure.providers(...)`` call here.

The families' modules are imported only when the lock uses them: a PyPI-only lock does not
load conda's or nixpkgs'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from mach2.errors import InputError
from mach2.net.files import FileStore
from mach2.net.http import Http
from mach2.pipeline.inputs import Request
from mach2.pipeline.options import LockOptions, ProgressCallback
from mach2.providers.base import Provider
from mach2.providers.direct import configure as direct_family
from mach2.providers.direct.git import GitCache
from mach2.providers.direct.provider import DirectReferences
from mach2.providers.pypi import configure as pypi
from mach2.providers.pypi.client import PyPIClient
from mach2.providers.pypi.provider import PackageIndex

if TYPE_CHECKING:
    from mach2.providers.nixpkgs.index import NixpkgsIndex

__all__ = ["OpenProviders", "open_index", "open_providers"]


@frozen(kw_only=True)
class OpenProviders:
    """What the stage opened, valid inside :func:`open_providers`' ``with`` block.

    :param by_name: ``wheel``, ``sdist``, ``conda``, ``conda/<channel>``, ``nixpkgs``.
    :param index: the PyPI index behind ``wheel``/``sdist`` (downloads, for hashes and plans).
    """

    by_name: Mapping[str, Provider]
    index: PackageIndex
    #: The candidates of ``name @ URL`` requirements (git, local paths, files by URL).
    direct: DirectReferences | None = None

    @property
    def nixpkgs(self) -> NixpkgsIndex | None:
        """The nixpkgs index the lock used: read from a file, or made with Nix when the
        resolver asked the nixpkgs provider (``None`` before that, and without one)."""
        index: NixpkgsIndex | None = getattr(self.by_name.get("nixpkgs"), "index", None)
        return index


@contextmanager
def open_index(
    request: Request,
    options: LockOptions,
    *,
    index: PackageIndex | None = None,
    http: Http | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[tuple[PackageIndex, Http]]:
    """The PyPI index and the HTTP client every system's providers share; on leaving, the
    fetched pages are written to the cache (a cache error surfaces there) and the connections
    closed.

    :param index: a package index to use instead of a :class:`PyPIClient` (tests, mirrors).
    :param http: an HTTP client to share; the caller closes it.  Default: one of its own.
    :param on_progress: told of downloads (bytes).
    """
    own_http = http is None
    if http is None:
        http = Http()  # lazy: no connection (nor urllib3 import) before the first request
    client = None
    try:
        if index is None:
            cache_dir = options.cache_dir
            client = PyPIClient(
                index_urls=request.index_urls,
                cache_dir=cache_dir / "pypi" if cache_dir else None,
                exclude_newer=options.exclude_newer,
                offline=options.offline,
                refresh=options.refresh,
                http=http,
                files=(
                    FileStore(cache_dir / "files-v1", on_progress=on_progress)
                    if cache_dir
                    else None
                ),
            )
            index = client
        yield index, http
        if client is not None:
            client.flush()
    finally:
        if client is not None:
            client.close()
        if own_http:
            http.close()


@contextmanager
def open_providers(
    request: Request,
    options: LockOptions,
    *,
    index: PackageIndex | None = None,
    http: Http | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[OpenProviders]:
    """Open the providers for ``request.target``; on leaving, what :func:`open_index` opened
    is flushed and closed.

    :param index: a package index to use instead of a :class:`PyPIClient` (tests, mirrors, or
        the one several systems' providers share: pages and metadata are read once).
    :param http: an HTTP client to share (several targets' stages over one connection
        pool); the caller closes it.  Default: one of the stage's own.
    :param on_progress: told of downloads (bytes) and of indexing nixpkgs.
    """
    with open_index(request, options, index=index, http=http, on_progress=on_progress) as (
        opened_index,
        opened_http,
    ):
        opened = _open(request, options, opened_index, opened_http, on_progress)
        direct, git = _direct(request, options, opened_index, opened.by_name)
        try:
            yield attrs.evolve(
                opened, by_name={**opened.by_name, **direct_family.providers()}, direct=direct
            )
        finally:
            git.close()


def _open(
    request: Request,
    options: LockOptions,
    index: PackageIndex,
    http: Http,
    on_progress: ProgressCallback | None,
) -> OpenProviders:
    target = request.target
    read_sdist = pypi.sdist_reader(
        target,
        cache_dir=options.cache_dir,
        host_pythons=options.host_pythons,
        host_python=options.host_python,
    )
    made: dict[str, Provider] = pypi.providers(index, target, read_sdist)
    if options.channels or request.requirements.channels:
        from mach2.providers.conda import configure as conda

        made.update(
            conda.providers(
                options.channels,
                target,
                file_channels=request.requirements.channels,
                cache_dir=options.cache_dir,
                cuda=options.cuda,
                exclude_newer=options.exclude_newer,
                refresh=options.refresh,
                offline=options.offline,
                http=http,
            )
        )
    else:
        _no_channel_for_conda_specs(request)
    if options.nixpkgs_index is not None:
        from mach2.providers.nixpkgs import configure as nixpkgs

        nixpkgs_index = nixpkgs.open_index(options.nixpkgs_index, None, target, cache_dir=None)
        if nixpkgs_index is not None:
            made["nixpkgs"] = nixpkgs.provider(nixpkgs_index, target, index)
    elif options.nixpkgs is not None:
        from mach2.providers.nixpkgs import configure as nixpkgs

        source = options.nixpkgs

        def evaluate() -> NixpkgsIndex:
            if on_progress is not None:
                on_progress("index", str(source), 0, None)
            found = nixpkgs.open_index(
                None, source, target, cache_dir=options.cache_dir, refresh=options.refresh
            )
            assert found is not None  # a source is given
            return found

        # Evaluated with Nix only when the resolver asks the provider: a pinned nixpkgs that
        # no package comes from is never downloaded.
        made["nixpkgs"] = nixpkgs.OnDemandProvider(
            evaluate, lambda found: nixpkgs.provider(found, target, index)
        )
    return OpenProviders(by_name=made, index=index)


def _direct(
    request: Request, options: LockOptions, index: PackageIndex, made: Mapping[str, Provider]
) -> tuple[DirectReferences, GitCache]:
    return direct_family.references(
        index,
        request.target,
        project=request.project,
        editables=request.editables,
        providers=made.keys(),
        cache_dir=options.cache_dir,
        host_pythons=options.host_pythons,
        host_python=options.host_python,
        offline=options.offline,
        environ=None,
    )


def _no_channel_for_conda_specs(request: Request) -> None:
    """:raises InputError: conda specs of an environment.yml but no channel at all."""
    for entry in request.requirements.conda:
        if entry.spec.name not in ("python", "pip") and not entry.spec.name.startswith("__"):
            raise InputError(
                f"{entry.origin}: conda package {entry.spec.text!r} but no conda channel",
                hint="list channels: in the environment file or pass --channel NAME=URL_OR_DIR",
            )
