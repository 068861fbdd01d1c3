# Stand-in for nixpkgs' python/hooks/python-output-dist-hook.sh: dist/ (the built or given
# wheels) becomes the `dist` output; a build without dist/ fails.
pythonOutputDistPhase() {
    echo "Executing pythonOutputDistPhase"
    if [ -d dist ]; then
        mv dist "$dist"
    else
        echo "The build contains no ./dist directory." >&2
        false
    fi
    echo "Finished executing pythonOutputDistPhase"
}

appendToVar preFixupPhases pythonOutputDistPhase
