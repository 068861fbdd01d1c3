"""The nixpkgs provider family: nixpkgs' own Python packages, reused as they are::

    index        NixpkgsIndex: read a prepared file, or evaluate a nixpkgs with real Nix
    provider     NixpkgsProvider (candidates for the shared resolver), lock fields
    configure    open_index / provider / lock_record: the provider for a lock

docs/nixpkgs.md describes the index format and how candidates are made.
"""
