#!/usr/bin/env bash
# mach2 locks itself: the locks the flake builds mach2 from (packages.default,
# locks/mach2.lock) and its development shell (devShells.default, locks/dev/mach2.lock), each
# one lock for the four systems (x86_64/aarch64 Linux and macOS, one version of each package
# on all of them), for CPython 3.11 (the nixpkgs stand-in's interpreter, and still in
# nixpkgs).  Run after changing a pin in pyproject.toml; tests/nix/test_nix_flake.py checks
# that the locks match the pins.
#
#   scripts/lock_self.sh [more mach2 lock options]
set -euo pipefail
cd "$(dirname "$0")/.."
common=(-r pyproject.toml --group nix-build --python 3.11 --all-systems
        --exclude-newer 2026-12-01T00:00:00Z "$@")
mkdir -p locks/dev
python3 -m mach2 lock "${common[@]}" -o locks/mach2.lock
python3 -m mach2 lock "${common[@]}" --extra test -o locks/dev/mach2.lock
