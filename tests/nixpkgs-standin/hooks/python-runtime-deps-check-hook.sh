# Stand-in for nixpkgs' python/hooks/python-runtime-deps-check-hook.sh: before installing, the
# built wheel's Requires-Dist must be satisfied by what the build environment has
# (dontCheckRuntimeDeps turns it off).
pythonRuntimeDepsCheck() {
    echo "Executing pythonRuntimeDepsCheck"
    local wheel
    for wheel in dist/*.whl; do
        echo "Checking runtime dependencies for $(basename "$wheel")"
        @pythonInterpreter@ @hook@ "$wheel"
    done
    echo "Finished executing pythonRuntimeDepsCheck"
}

if [ -z "${dontCheckRuntimeDeps-}" ]; then
    appendToVar preInstallPhases pythonRuntimeDepsCheck
fi
