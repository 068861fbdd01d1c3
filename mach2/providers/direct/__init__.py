"""Direct references: requirements that name their source instead of a version.

``name @ git+https://…@tag``, ``./libs/pkg``, ``-e .``, ``name @ file:///…/x.whl``: no index
lists them, so each makes its one candidate from its URL (``provider.py``).  Git
repositories are resolved and checked out by ``git.py``; local directories are filtered and
checked by ``tree.py``; ``nar.py`` computes the NAR hash Nix checks for a fetched tree.
"""
