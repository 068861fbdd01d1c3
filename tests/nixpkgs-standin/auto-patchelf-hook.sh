# Stand-in for nixpkgs' autoPatchelfHook setup hook: runs in postFixup over $out, with the
# lib/ directories of every input as the search path (nixpkgs: addAutoPatchelfSearchPath
# over the dependencies) and autoPatchelfIgnoreMissingDeps as the allowed misses.
declare -a autoPatchelfSearchPath=()
# nixpkgs: addAutoPatchelfSearchPath [--no-recurse] DIR... (searched recursively by default).
addAutoPatchelfSearchPath() {
    local dir
    for dir in "$@"; do
        [ "$dir" = --no-recurse ] && continue
        autoPatchelfSearchPath+=("$dir")
    done
}

autoPatchelfPostFixup() {
    if [ -n "${dontAutoPatchelf-}" ]; then return 0; fi
    if [ "${autoPatchelfIgnoreMissingDeps-}" = 1 ]; then
        echo "autoPatchelfIgnoreMissingDeps = true is deprecated in nixpkgs; give a list of sonames" >&2
        return 1
    fi
    local libs=() p
    for p in "${allInputs[@]}"; do
        [ -d "$p/lib" ] && libs+=("$p/lib")
    done
    /usr/bin/python3 -I @script@ --name "$name" --paths "$out" --libs "${libs[@]}" \
        --search "${autoPatchelfSearchPath[@]}" \
        --ignore-missing ${autoPatchelfIgnoreMissingDeps-}
}
postFixupHooks+=(autoPatchelfPostFixup)
