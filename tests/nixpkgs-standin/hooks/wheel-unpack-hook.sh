# Stand-in for nixpkgs' python/hooks/wheel-unpack-hook.sh: the "unpack" of a wheel is a copy
# of it into dist/, where pypaInstallPhase (and pythonOutputDistPhase) find it.
wheelUnpackPhase() {
    echo "Executing wheelUnpackPhase"
    runHook preUnpack
    mkdir -p dist
    cp "$src" "dist/$(stripHash "$src")"
    echo "Finished executing wheelUnpackPhase"
}

if [ -z "${dontUseWheelUnpack-}" ] && [ -z "${unpackPhase-}" ]; then
    unpackPhase=wheelUnpackPhase
fi
