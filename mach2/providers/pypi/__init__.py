"""The PyPI provider family: ``wheel`` (binary wheels) and ``sdist`` (source distributions).

Import the modules directly (nothing is re-exported, so importing one loads no other)::

    client       PyPIClient: PEP 503/691 pages, wheel metadata, downloads (threads, cache)
    pages        PEP 691 JSON / PEP 503 HTML pages → file rows; which METADATA file is the one
    cache        the on-disk cache of parsed pages and wheel metadata
    remote_zip   a wheel's METADATA read by HTTP range requests on its zip directory
    metadata     core metadata (METADATA / PKG-INFO) parser
    sdist        sdist metadata: PKG-INFO when it is reliable, else the PEP 517 hooks
    archive      safe reading of sdist archives
    provider     WheelProvider, SdistProvider (candidates for the shared resolver)
    configure    providers(index, target, ...): ``wheel`` and ``sdist`` for a lock
"""
