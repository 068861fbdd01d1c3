# Stand-in for nixpkgs' python setup-hook: every input that has a site-packages directory
# goes on PYTHONPATH (nixpkgs: addToSearchPath PYTHONPATH in an env hook).
for _p in "${allInputs[@]}"; do
    if [ -d "$_p/@sitePackages@" ]; then
        PYTHONPATH="$_p/@sitePackages@${PYTHONPATH:+:$PYTHONPATH}"
    fi
done
unset _p
export PYTHONPATH
export PYTHONNOUSERSITE=true PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1

# Stand-in for nixpkgs' wrapPythonPrograms (pkgs/development/interpreters/python/wrap.sh, run
# in postFixup by mk-python-derivation.nix unless dontWrapPythonPrograms): every executable in
# $out/bin with a python shebang gets, after the shebang, the line nixpkgs' sed expression
# inserts: `site.addsitedir` of $out's site-packages and of every Python input it propagates
# (walked through nix-support/propagated-build-inputs), so a console script finds its package
# and dependencies without an environment.  Not copied: the makeWrapper shell wrapper (PATH
# prefix, PYTHONNOUSERSITE, makeWrapperArgs) around the patched script.
wrapPythonPrograms() {
    local -A seen=()
    local -a dirs=()
    _mach2StandinAddSites() {
        local dir
        for dir in "$@"; do
            [ -n "${seen[$dir]-}" ] && continue
            seen[$dir]=1
            [ -d "$dir/@sitePackages@" ] && dirs+=("'$dir/@sitePackages@'")
            if [ -f "$dir/nix-support/propagated-build-inputs" ]; then
                _mach2StandinAddSites $(< "$dir/nix-support/propagated-build-inputs")
            fi
        done
    }
    _mach2StandinAddSites "$out" ${pythonPath-}
    local list
    list=$(IFS=,; echo "${dirs[*]}")
    [ -d "$out/bin" ] || return 0
    local f
    for f in "$out"/bin/*; do
        [ -f "$f" ] && [ -x "$f" ] && [ ! -L "$f" ] || continue
        head -n1 "$f" | grep -q '^#!.*/\.\?\(python\|pypy\)' || continue
        echo "wrapping \`$f'..."
        sed -i "$f" -e "1 a import sys;import site;import functools;sys.argv[0] = '$(basename "$f")';functools.reduce(lambda k, p: site.addsitedir(p, k), [$list], site._init_pathinfo());"
    done
}
