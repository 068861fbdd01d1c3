# Stand-in for nixpkgs' python/hooks/pypa-build-hook.sh (which runs pypa/build's pyproject-build
# without isolation): a minimal PEP 517 frontend that only imports the backend.
pypaBuildPhase() {
    echo "Executing pypaBuildPhase"
    runHook preBuild
    echo "Creating a wheel..."
    @pythonInterpreter@ @buildWheel@ . dist ${pypaBuildFlags-}
    echo "Finished creating a wheel..."
    runHook postBuild
    echo "Finished executing pypaBuildPhase"
}

if [ -z "${dontUsePypaBuild-}" ] && [ -z "${buildPhase-}" ]; then
    buildPhase=pypaBuildPhase
fi
