# Stand-in for nixpkgs' python/hooks/python-imports-check-hook.sh: a preDist phase, so it
# runs whatever doCheck says.
pythonImportsCheckPhase() {
    echo "Executing pythonImportsCheckPhase"
    if [ -n "${pythonImportsCheck-}" ]; then
        echo "Check whether the following modules can be imported: $pythonImportsCheck"
        export PYTHON_IMPORTS_CHECK="$pythonImportsCheck"
        (cd "$out" && @pythonCheckInterpreter@ -c 'import importlib, os; [importlib.import_module(m) for m in os.environ["PYTHON_IMPORTS_CHECK"].split()]')
    fi
}

if [ -z "${dontUsePythonImportsCheck-}" ]; then
    appendToVar preDistPhases pythonImportsCheckPhase
fi
