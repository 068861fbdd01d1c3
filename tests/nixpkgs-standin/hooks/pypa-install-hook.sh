# Stand-in for nixpkgs' python/hooks/pypa-install-hook.sh: pypa/installer (which also
# compiles the bytecode, optimization levels 0 and 1, its default) into $out.
pypaInstallPhase() {
    echo "Executing pypaInstallPhase"
    runHook preInstall
    pushd dist >/dev/null
    local wheel
    for wheel in *.whl; do
        @pythonInterpreter@ -m installer --prefix "$out" "$wheel"
        echo "Successfully installed $wheel"
    done
    popd >/dev/null
    export PYTHONPATH="$out/@pythonSitePackages@:${PYTHONPATH-}"
    runHook postInstall
    echo "Finished executing pypaInstallPhase"
}

if [ -z "${dontUsePypaInstall-}" ] && [ -z "${installPhase-}" ]; then
    installPhase=pypaInstallPhase
fi
