# Stand-in for nixpkgs' python/hooks/python-remove-tests-dir-hook.sh: top-level tests/ and
# test/ packages are deleted from site-packages (a postFixup hook: after the postFixup text).
pythonRemoveTestsDir() {
    echo "Executing pythonRemoveTestsDir"
    rm -rf "$out/@pythonSitePackages@/tests"
    rm -rf "$out/@pythonSitePackages@/test"
    echo "Finished executing pythonRemoveTestsDir"
}

if [ -z "${dontUsePythonRemoveTestsDir-}" ]; then
    appendToVar postFixupHooks pythonRemoveTestsDir
fi
