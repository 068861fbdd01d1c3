# Stand-in for nixpkgs' python/wrap.sh (wrapPython): wrapPythonPrograms, which
# buildPythonPackage runs at the start of postFixup (unless dontWrapPythonPrograms), turns
# every Python script in $out/bin into a makeWrapper wrapper (PATH, PYTHONNOUSERSITE,
# makeWrapperArgs) around `.<name>-wrapped`, the script with site.addsitedir lines for the
# package and everything it propagates.  ELF executables and other scripts are left alone.
wrapPythonPrograms() {
    wrapPythonProgramsIn "$out/bin" "$out ${pythonPath-}"
}

buildPythonPath() {
    local pythonPath="$1" path
    declare -gA pythonPathsSeen=()
    program_PYTHONPATH=
    program_PATH=
    pythonPathsSeen["@pythonHost@"]=1
    addToSearchPath program_PATH @pythonHost@/bin
    for path in $pythonPath; do
        _addToPythonPath "$path"
    done
}

_addToPythonPath() {
    local dir="$1"
    if [ -n "${pythonPathsSeen[$dir]-}" ]; then return; fi
    pythonPathsSeen[$dir]=1
    addToSearchPath program_PYTHONPATH "$dir/@sitePackages@"
    addToSearchPath program_PATH "$dir/bin"
    local prop="$dir/nix-support/propagated-build-inputs" new_path
    if [ -e "$prop" ]; then
        for new_path in $(< "$prop"); do
            _addToPythonPath "$new_path"
        done
    fi
}

wrapPythonProgramsIn() {
    local dir="$1" pythonPath="$2" f
    buildPythonPath "$pythonPath"
    [ -d "$dir" ] || return 0
    # The list is taken first: wrapping adds files to the directory.
    local -a programs=()
    mapfile -d '' programs < <(find "$dir" -type f -perm -0100 -print0)
    for f in "${programs[@]}"; do
        if head -n1 "$f" | grep -q '#!.*/env.*\(python\|pypy\)'; then
            sed -i "$f" -e "1 s^.*/env[ ]*\(python\|pypy\)[^ ]*^#!@executable@^"
        fi
        if head -n1 "$f" | grep -q '/\.\?\(python\|pypy\)'; then
            echo "wrapping \`$f'..."
            @pythonHost@/bin/python3 @patchScript@ "$f" "$(basename "$f")" "$program_PYTHONPATH"
            local -a wrapArgs=("$f" --prefix PATH ':' "$program_PATH")
            if [ -z "${permitUserSite-}" ]; then
                wrapArgs+=(--set PYTHONNOUSERSITE "true")
            fi
            local -a userArgs="(${makeWrapperArgs-})"
            wrapProgram "${wrapArgs[@]}" "${userArgs[@]}"
        fi
    done
}
