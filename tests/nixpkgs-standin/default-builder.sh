# Stand-in for nixpkgs' pkgs/stdenv/generic/default-builder.sh.
set -eu -o pipefail
source "$stdenv/setup"
genericBuild
