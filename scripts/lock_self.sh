#!/usr/bin/env bash
# mach2 locks itself: the locks the flake builds mach2 from (packages.default, locks/) and its
# development shell (devShells.default, locks/dev/), one per system, for CPython 3.11 (the
# nixpkgs stand-in's interpreter, and still in nixpkgs).  Run after changing a pin in
# pyproject.toml; tests/nix/test_nix_flake.py checks that the locks match the pins.
#
#   scripts/lock_self.sh [more mach2 lock options]
set -euo pipefail
cd "$(dirname "$0")/.."
exclude_newer=2026-12-01T00:00:00Z
mkdir -p locks/dev
for system in x86_64-linux aarch64-linux x86_64-darwin aarch64-darwin; do
  common=(-r pyproject.toml --group nix-build --python 3.11 --system "$system"
          --exclude-newer "$exclude_newer" "$@")
  python3 -m mach2 lock "${common[@]}" -o "locks/mach2-$system.lock"
  python3 -m mach2 lock "${common[@]}" --extra test -o "locks/dev/mach2-$system.lock"
done
