# Stand-in for nixpkgs' python/hooks/python-catch-conflicts-hook.sh: after the build (a
# preDist phase), two copies of one Python distribution in the closure of $out fail it.
pythonCatchConflictsPhase() {
    @pythonInterpreter@ @catchConflicts@
}

if [ -z "${dontUsePythonCatchConflicts-}" ]; then
    appendToVar preDistPhases pythonCatchConflictsPhase
fi
