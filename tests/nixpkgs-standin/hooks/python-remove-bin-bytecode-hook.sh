# Stand-in for nixpkgs' python/hooks/python-remove-bin-bytecode-hook.sh.
pythonRemoveBinBytecodePhase() {
    if [ -d "$out/bin" ]; then
        rm -rf "$out/bin/__pycache__"
        find "$out/bin" -type f -name "*.pyc" -delete
    fi
}

if [ -z "${dontUsePythonRemoveBinBytecode-}" ]; then
    preFixupHooks+=(pythonRemoveBinBytecodePhase)
fi
