"""The conda provider family: versions, match specs, repodata, channels, the provider, unpacking.

Import the modules directly (nothing is re-exported here, so importing one does not pull in
the HTTP client or the solver)::

    version      VersionOrder (conda's ordering), pep440()
    matchspec    MatchSpec.parse / parse_matchspec, .matches(record)
    versionspec  VersionSpec (the version part of a MatchSpec)
    repodata     RepodataRecord, load_repodata() (streaming parse, cached per-name index;
                 the streaming JSON reader is _jsonstream)
    fetch        fetch_repodata() (cache + ETag/Last-Modified revalidation, .zst first)
    channels     Channel.parse, parse_channels, target_subdir, open_channels -> ChannelIndex
    virtual      virtual_packages(target, cuda=), interpreter_packages(target)
    solve        records_for, sort_records, dependencies, constraints, Requirement/Absent,
                 solve() (standalone resolvelib solver), unmet()
    names        pypi_name, conda_names, NameMap (conda <-> PyPI, mach2/data/conda-pypi-names.json)
    provider     CondaProvider (candidates for the shared resolver), conda_identifier
    configure    providers(channels, target, ...): ``conda`` and ``conda/<channel>`` for a lock
    extract      extract_package / extract_record (safe, hash-checked), replace_prefix
    install      relocate_noarch_python (noarch: python layout and entry points)
    (mach2.nix.conda_install: the same, standard library only, run by the Nix builder; it is a
    file of the Nix library directory)
    errors       the error classes (all subclass mach2.errors)

docs/conda.md describes how they fit the shared resolver.
"""

__all__: list[str] = []
