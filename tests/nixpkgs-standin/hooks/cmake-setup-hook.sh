# Stand-in for nixpkgs' cmake setup hook (pkgs/by-name/cm/cmake/setup-hook.sh): in
# nativeBuildInputs it takes over the configure phase (unless dontUseCmakeConfigure), which
# fails without a CMakeLists.txt.  It configures nothing: the stand-in has no cmake.
cmakeConfigurePhase() {
    runHook preConfigure
    if [ ! -f "${cmakeDir:-.}/CMakeLists.txt" ]; then
        echo "CMake Error: The source directory \"$PWD/${cmakeDir:-.}\" does not appear to contain CMakeLists.txt." >&2
        return 1
    fi
    echo "cmake (stand-in): found ${cmakeDir:-.}/CMakeLists.txt"
    runHook postConfigure
}

if [ -z "${dontUseCmakeConfigure-}" ] && [ -z "${configurePhase-}" ]; then
    configurePhase=cmakeConfigurePhase
fi
