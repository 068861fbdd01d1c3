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
# What the build-fix tests build sdists against (the stand-in links the host's libraries):
# a C compiler, pkg-config, Python headers, libffi, libyaml, libpq, libxml2/libxslt, and a
# Rust toolchain recent enough for current Cargo.lock files.
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
for dev in python3-dev libffi-dev libyaml-dev libpq-dev libxml2-dev libxslt1-dev; do
  dpkg -s "$dev" >/dev/null 2>&1 || need_apt+=("$dev")
done
need_rust=""
[ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] || need_rust=1
if [ ${#need_apt[@]} -gt 0 ] || [ -n "$need_rust" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  if [ -n "$need_rust" ]; then
    # Debian 12's cargo is 1.63 (too old for Cargo.lock version 4); cargo-web is current.
    if apt-cache show cargo-web >/dev/null 2>&1; then need_apt+=(cargo-web rustc-web); else need_apt+=(cargo rustc); fi
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 -m pip install -q -e '.[test]'
python3 -m ruff check mach2 tests bench scripts
python3 -m mypy
python3 -m pytest -q "$@"
