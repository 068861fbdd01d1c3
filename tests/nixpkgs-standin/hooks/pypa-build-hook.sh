# Stand-in for nixpkgs' python/hooks/pypa-build-hook.sh: pypa/build's pyproject-build without
# isolation and WITHOUT --skip-dependency-check, so a build requirement (build-system.requires,
# or what the backend's get_requires_for_build_wheel returns) that is not installed, or not in
# the required version, fails the build ("ERROR Missing dependencies").  pypaBuildFlags
# (e.g. -C/--config-setting) go to pyproject-build.
pypaBuildPhase() {
    echo "Executing pypaBuildPhase"
    runHook preBuild
    echo "Creating a wheel..."
    @build@/bin/pyproject-build --no-isolation --outdir dist/ --wheel ${pypaBuildFlags-}
    echo "Finished creating a wheel..."
    runHook postBuild
    echo "Finished executing pypaBuildPhase"
}

if [ -z "${dontUsePypaBuild-}" ] && [ -z "${buildPhase-}" ]; then
    buildPhase=pypaBuildPhase
fi
