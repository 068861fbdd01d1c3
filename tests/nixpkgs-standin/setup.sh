# Stand-in for nixpkgs' pkgs/stdenv/generic/setup.sh: sourced by the builder
# (default-builder.sh) and by `nix-shell` (as $stdenv/setup).  What it copies:
#   * inputs: nativeBuildInputs, buildInputs, propagatedBuildInputs and, recursively, each
#     input's nix-support/propagated-build-inputs and propagated-native-build-inputs; their
#     nix-support/setup-hook files are sourced (so hooks register themselves).  PATH: with
#     `strictDeps` (buildPythonPackage's default) only the bin/ of the native side
#     (nativeBuildInputs and what they propagate), else every input's bin/;
#   * runHook NAME: first the implicit hook (the NAME variable or function), then the
#     functions/commands in the NAMEHooks array (setup.sh's _callImplicitHook order);
#     appendToVar, addEnvHooks-free;
#   * genericBuild: buildCommand, or `phases`, else ${prePhases} unpackPhase patchPhase
#     ${preConfigurePhases} configurePhase ${preBuildPhases} buildPhase checkPhase
#     ${preInstallPhases} installPhase ${preFixupPhases} fixupPhase installCheckPhase
#     ${preDistPhases} distPhase ${postPhases}; dontUnpack/dontPatch/dontConfigure/dontBuild/
#     dontInstall/dontFixup skip, checkPhase needs doCheck, installCheckPhase doInstallCheck,
#     distPhase doDist; a phase variable's text replaces the phase function;
#   * fixupPhase: chmod -R u+w the outputs, preFixup (then preFixupHooks: move-docs), for each
#     output `fixupOutput` (fixupOutputHooks: move-lib64, strip, shrink-rpath), then
#     nix-support/propagated-build-inputs (+ propagated-native-build-inputs) and the
#     setup-hook, then postFixup (then postFixupHooks).
# Host tools (/usr/bin, /bin) come last on PATH: the stand-in builds with the host's tools.

shopt -s nullglob

declare -a allInputs=()
declare -A seenInputs=()
declare -a nativeInputs=()
declare -A seenNative=()

runHook() {
    local hookName="$1"
    shift
    # The implicit hook first (setup.sh: _callImplicitHook), then the hook array.
    if [ "$(type -t "$hookName")" = function ]; then
        "$hookName" "$@"
    elif [ -n "${!hookName-}" ]; then
        eval "${!hookName}"
    fi
    local hooksVar="${hookName}Hooks[@]"
    local hook
    for hook in "${!hooksVar-}"; do
        [ -n "$hook" ] && eval "$hook" "$@"
    done
    return 0
}

# setup.sh: appendToVar NAME VALUE... (for string variables: space separated).
appendToVar() {
    local name="$1"
    shift
    if [ "$(declare -p "$name" 2>/dev/null | cut -c1-10)" = "declare -a" ]; then
        eval "$name+=(\"\$@\")"
    else
        local current="${!name-}"
        printf -v "$name" '%s' "${current:+$current }$*"
    fi
}

addToSearchPath() {
    local var="$1" dir="$2"
    if [ -d "$dir" ]; then
        export "$var=${!var:+${!var}:}$dir"
    fi
}

isELF() {
    local fn="$1" magic
    [ -f "$fn" ] || return 1
    read -r -n 4 magic < "$fn" 2>/dev/null || true
    [ "$magic" = $'\177ELF' ]
}

addInput() {
    local p="$1" native="$2"
    if [ -n "$native" ] && [ -z "${seenNative[$p]-}" ]; then
        seenNative[$p]=1
        nativeInputs+=("$p")
    fi
    if [ -n "${seenInputs[$p]-}" ]; then
        [ -z "$native" ] && return 0
    else
        seenInputs[$p]=1
        allInputs+=("$p")
    fi
    local q
    if [ -f "$p/nix-support/propagated-build-inputs" ]; then
        for q in $(< "$p/nix-support/propagated-build-inputs"); do
            addInput "$q" "$native"
        done
    fi
    if [ -f "$p/nix-support/propagated-native-build-inputs" ]; then
        for q in $(< "$p/nix-support/propagated-native-build-inputs"); do
            addInput "$q" 1
        done
    fi
}

for p in ${nativeBuildInputs-} ${propagatedNativeBuildInputs-}; do
    addInput "$p" 1
done
for p in ${buildInputs-} ${propagatedBuildInputs-}; do
    addInput "$p" ""
done

_path=""
if [ -n "${strictDeps-}" ]; then
    for p in "${nativeInputs[@]}"; do
        [ -d "$p/bin" ] && _path="${_path:+$_path:}$p/bin"
    done
else
    for p in "${allInputs[@]}"; do
        [ -d "$p/bin" ] && _path="${_path:+$_path:}$p/bin"
    done
fi
# Nix starts builders with PATH=/path-not-set.
if [ "${PATH-}" = /path-not-set ]; then PATH=; fi
export PATH="${_path:+$_path:}${PATH:+$PATH:}/usr/bin:/bin"
unset _path

for p in "${allInputs[@]}"; do
    if [ -f "$p/nix-support/setup-hook" ]; then
        source "$p/nix-support/setup-hook"
    fi
done

getAllOutputNames() {
    echo ${outputs:-out}
}

# -- stdenv's own fixup hooks (pkgs/build-support/setup-hooks/*, patchelf's setup-hook) ------

# move-docs.sh: $out/{man,doc,info} -> $out/share/ (a preFixup hook).
_moveToShare() {
    local d
    for d in ${forceShare:-man doc info}; do
        if [ -d "$out/$d" ]; then
            if [ -d "$out/share/$d" ]; then
                echo "both $d/ and share/$d/ exist!"
            else
                echo "moving $out/$d to $out/share/$d"
                mkdir -p "$out/share"
                mv "$out/$d" "$out/share/"
            fi
        fi
    done
}
preFixupHooks+=(_moveToShare)

# move-lib64.sh: $prefix/lib64/* -> $prefix/lib, lib64 becomes a symlink to lib.
_moveLib64() {
    if [ "${dontMoveLib64-}" = 1 ]; then return; fi
    if [ ! -e "$prefix/lib64" ] || [ -L "$prefix/lib64" ]; then return; fi
    echo "moving $prefix/lib64/* to $prefix/lib"
    mkdir -p "$prefix/lib"
    shopt -s dotglob
    local i
    for i in "$prefix"/lib64/*; do
        mv --no-clobber "$i" "$prefix/lib"
    done
    shopt -u dotglob
    rmdir "$prefix/lib64"
    ln -s lib "$prefix/lib64"
}
fixupOutputHooks+=(_moveLib64)

# strip.sh: debug symbols out of the ELF files under stripDebugList (with the host's strip).
_doStrip() {
    if [ -n "${dontStrip-}" ] || ! [ -x /usr/bin/strip ]; then return; fi
    local d f
    for d in ${stripDebugList:-lib lib32 lib64 libexec bin sbin}; do
        [ -d "$prefix/$d" ] || continue
        while IFS= read -r -d $'\0' f; do
            isELF "$f" || continue
            /usr/bin/strip -S -p "$f" 2>/dev/null || true
        done < <(find "$prefix/$d" -type f -print0)
    done
}
fixupOutputHooks+=(_doStrip)

# patchelf's setup-hook.sh (shrink-rpath): drop RUNPATH entries that hold no needed library
# (with the host's patchelf; relative entries such as $ORIGIN are kept).
patchELF() {
    local dir="$1"
    [ -e "$dir" ] || return 0
    [ -x /usr/bin/patchelf ] || return 0
    echo "shrinking RPATHs of ELF executables and libraries in $dir"
    local i
    while IFS= read -r -d $'\0' i; do
        if [[ "$i" =~ .build-id ]]; then continue; fi
        if ! isELF "$i"; then continue; fi
        echo "shrinking $i"
        /usr/bin/patchelf --shrink-rpath "$i" || true
    done < <(find "$dir" -type f -print0)
}
fixupOutputHooks+=('if [ -z "${dontPatchELF-}" ]; then patchELF "$prefix"; fi')

# -- phases -------------------------------------------------------------------------------------

unpackPhase() {
    runHook preUnpack
    if [ -z "${src-}" ]; then
        runHook postUnpack
        return 0
    fi
    local before after
    before=$(ls -A)
    case "$src" in
        *.zip | *.whl)
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
    runHook postUnpack
}

stripHash() {
    basename "$1" | sed -e 's/^[a-z0-9]\{32\}-//'
}

patchPhase() {
    runHook prePatch
    local p
    for p in ${patches-}; do
        echo "applying patch $p"
        patch ${patchFlags:--p1} < "$p"
    done
    runHook postPatch
}

configurePhase() {
    runHook preConfigure
    runHook postConfigure
}

buildPhase() {
    runHook preBuild
    runHook postBuild
}

checkPhase() {
    runHook preCheck
    runHook postCheck
}

installPhase() {
    runHook preInstall
    mkdir -p "$out"
    runHook postInstall
}

fixupPhase() {
    local output
    for output in $(getAllOutputNames); do
        if [ -e "${!output}" ]; then chmod -R u+w,u-s,g-s "${!output}"; fi
    done
    runHook preFixup
    for output in $(getAllOutputNames); do
        prefix="${!output}" runHook fixupOutput
    done
    if [ -n "${propagatedBuildInputs-}" ]; then
        mkdir -p "$out/nix-support"
        echo "$propagatedBuildInputs" | tr -s ' ' '\n' | sed '/^$/d' | tr '\n' ' ' \
            > "$out/nix-support/propagated-build-inputs"
    fi
    if [ -n "${propagatedNativeBuildInputs-}" ]; then
        mkdir -p "$out/nix-support"
        echo "$propagatedNativeBuildInputs" | tr -s ' ' '\n' | sed '/^$/d' | tr '\n' ' ' \
            > "$out/nix-support/propagated-native-build-inputs"
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

distPhase() {
    runHook preDist
    runHook postDist
}

runPhase() {
    local phase="$1"
    case "$phase" in
        unpackPhase) [ -n "${dontUnpack-}" ] && return 0 ;;
        patchPhase) [ -n "${dontPatch-}" ] && return 0 ;;
        configurePhase) [ -n "${dontConfigure-}" ] && return 0 ;;
        buildPhase) [ -n "${dontBuild-}" ] && return 0 ;;
        checkPhase) [ -z "${doCheck-}" ] && return 0 ;;
        installPhase) [ -n "${dontInstall-}" ] && return 0 ;;
        fixupPhase) [ -n "${dontFixup-}" ] && return 0 ;;
        installCheckPhase) [ -z "${doInstallCheck-}" ] && return 0 ;;
        distPhase) [ -z "${doDist-}" ] && return 0 ;;
    esac
    echo "stand-in: running $phase"
    if [ "$(type -t "$phase")" = function ] && [ -z "${!phase-}" ]; then
        "$phase"
    else
        eval "${!phase:-$phase}"
    fi
    if [ "$phase" = unpackPhase ]; then
        cd "${sourceRoot:-.}"
    fi
}

genericBuild() {
    if [ -n "${buildCommand-}" ]; then
        eval "$buildCommand"
        return
    fi
    local phase
    local phases="${phases:-${prePhases-} unpackPhase patchPhase ${preConfigurePhases-} configurePhase ${preBuildPhases-} buildPhase checkPhase ${preInstallPhases-} installPhase ${preFixupPhases-} fixupPhase installCheckPhase ${preDistPhases-} distPhase ${postPhases-}}"
    for phase in $phases; do
        runPhase "$phase"
    done
}
