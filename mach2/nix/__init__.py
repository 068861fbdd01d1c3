"""mach2's Nix library directory (``default.nix`` and the files it reads).

The Python modules here are the standard-library-only scripts the Nix build runs
(:mod:`mach2.nix.patchelf_apply`, :mod:`mach2.nix.conda_install`).  They live in the library
directory, next to ``build-fixes.json``, so that any copy of the directory (pip's installed
package, the flake, an env directory, a plain ``cp -r``) is complete; mach2's Python code
imports them from here, so there is one file of each.
"""
