# Stand-in for nixpkgs' pkgs/stdenv/generic/setup.sh: sourced by the builder
# (default-builder.sh) and by `nix-shell` (as $stdenv/setup).  It copies the parts mach2's
# derivations rely on:
#   * inputs: nativeBuildInputs, buildInputs, propagatedBuildInputs and, recursively, each
#     input's $out/nix-support/propagated-build-inputs; their bin/ go on PATH and their
#     nix-support/setup-hook files are sourced (so hooks register themselves);
#   * runHook NAME runs the functions in the NAMEHooks array, then the NAME variable/function;
#   * genericBuild: buildCommand, or the phases unpack, build, install, fixup, installCheck
#     (each overridable by an attribute of the same name, with pre/post hooks);
#   * fixupPhase records propagatedBuildInputs in $out/nix-support/propagated-build-inputs.
# Host tools (/usr/bin, /bin) come last on PATH: the stand-in builds with the host's tools.

shopt -s nullglob

declare -a allInputs=()
declare -A seenInputs=()

runHook() {
    local hookName="$1"
    shift
    local hooksVar="${hookName}Hooks[@]"
    local hook
    for hook in "${!hooksVar-}"; do
        [ -n "$hook" ] && "$hook" "$@"
    done
    if [ "$(type -t "$hookName")" = function ]; then
        "$hookName" "$@"
    elif [ -n "${!hookName-}" ]; then
        eval "${!hookName}"
    fi
    return 0
}

addInput() {
    local p="$1"
    [ -n "${seenInputs[$p]-}" ] && return 0
    seenInputs[$p]=1
    allInputs+=("$p")
    if [ -f "$p/nix-support/propagated-build-inputs" ]; then
        local q
        for q in $(< "$p/nix-support/propagated-build-inputs"); do
            addInput "$q"
        done
    fi
}

for p in ${nativeBuildInputs-} ${buildInputs-} ${propagatedBuildInputs-}; do
    addInput "$p"
done

_path=""
for p in "${allInputs[@]}"; do
    [ -d "$p/bin" ] && _path="${_path:+$_path:}$p/bin"
done
# Nix starts builders with PATH=/path-not-set.
if [ "${PATH-}" = /path-not-set ]; then PATH=; fi
export PATH="${_path:+$_path:}${PATH:+$PATH:}/usr/bin:/bin"
unset _path

for p in "${allInputs[@]}"; do
    if [ -f "$p/nix-support/setup-hook" ]; then
        source "$p/nix-support/setup-hook"
    fi
done

unpackPhase() {
    runHook preUnpack
    if [ -z "${src-}" ]; then
        runHook postUnpack
        return 0
    fi
    local before after
    before=$(ls -A)
    case "$src" in
        *.zip)
            unzip -q "$src" ;;
        *.tar.gz | *.tgz | *.tar.bz2 | *.tar.xz | *.tar)
            tar xf "$src" ;;
        *)
            if [ -d "$src" ]; then
                cp -r --no-preserve=mode "$src" "$(stripHash "$src")"
            else
                echo "stand-in unpackPhase: do not know how to unpack $src" >&2
                return 1
            fi ;;
    esac
    after=$(ls -A)
    local new
    new=$(comm -13 <(echo "$before") <(echo "$after"))
    if [ -n "${sourceRoot-}" ]; then
        :
    elif [ "$(echo "$new" | wc -l)" = 1 ] && [ -d "$new" ]; then
        sourceRoot="$new"
    else
        sourceRoot=.
    fi
    chmod -R u+w "$sourceRoot"
    cd "$sourceRoot"
    runHook postUnpack
}

stripHash() {
    basename "$1" | sed -e 's/^[a-z0-9]\{32\}-//'
}

buildPhase() {
    runHook preBuild
    runHook postBuild
}

installPhase() {
    runHook preInstall
    mkdir -p "$out"
    runHook postInstall
}

fixupPhase() {
    runHook preFixup
    runHook fixupOutput
    if [ -n "${propagatedBuildInputs-}" ]; then
        mkdir -p "$out/nix-support"
        echo "$propagatedBuildInputs" | tr -s ' ' '\n' | sed '/^$/d' | tr '\n' ' ' \
            > "$out/nix-support/propagated-build-inputs"
    fi
    if [ -n "${setupHook-}" ]; then
        mkdir -p "$out/nix-support"
        cp "$setupHook" "$out/nix-support/setup-hook"
    fi
    runHook postFixup
}

installCheckPhase() {
    runHook preInstallCheck
    runHook postInstallCheck
}

runPhase() {
    local phase="$1"
    echo "stand-in: running $phase"
    if [ "$(type -t "$phase")" = function ] && [ -z "${!phase-}" ]; then
        "$phase"
    else
        eval "${!phase}"
    fi
}

genericBuild() {
    if [ -n "${buildCommand-}" ]; then
        eval "$buildCommand"
        return
    fi
    local phase
    local phases="${phases:-unpackPhase buildPhase installPhase fixupPhase installCheckPhase}"
    for phase in $phases; do
        if [ "$phase" = installCheckPhase ] && [ -z "${doInstallCheck-}" ]; then
            continue
        fi
        runPhase "$phase"
    done
}
