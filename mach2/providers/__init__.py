"""Where candidates come from: one package per provider family, the same shape for each.

    base.py      Candidate, Dependencies and the Provider protocol every family implements
    order.py     ProviderOrder: which providers may supply a package, in which order
    pypi/        ``wheel`` and ``sdist`` (PyPI and other simple-API indexes)
    conda/       ``conda`` and ``conda/<channel>``
    nixpkgs/     ``nixpkgs`` (nixpkgs' own Python packages)

A family has ``provider.py`` (its Provider implementations) and ``configure.py`` (its
providers made from a lock's settings; ``mach2.pipeline.providers`` calls it), beside the
modules for its own sources and formats.  Families use ``mach2.net`` (HTTP, the download cache)
and ``mach2.model``; they never import the resolver or the stages above them.
"""
