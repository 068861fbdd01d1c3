#!/usr/bin/env bash
# Run every test of mach2 on a fresh machine: installs what the tests need (Nix, patchelf,
# the Python test dependencies), then the linters and pytest (network and Nix tests included).
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v nix-build >/dev/null 2>&1 || need_apt+=(nix-bin)
command -v patchelf >/dev/null 2>&1 || need_apt+=(patchelf)
[ -x /usr/bin/python3 ] || need_apt+=(python3)
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
command -v zstd >/dev/null 2>&1 || need_apt+=(zstd)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 -m pip install -q -e '.[test]'
python3 -m ruff check mach2 tests bench
python3 -m mypy
python3 -m pytest -q "$@"
