# Stand-in for nixpkgs' cpython/setup-hook.sh: the site-packages of every input go on
# PYTHONPATH (nixpkgs: addEnvHooks addPythonPath; the interpreter is both a native input and
# propagated by every package, so both sides' modules end up there); determinism settings.
for _p in "${allInputs[@]}"; do
    if [ -d "$_p/@sitePackages@" ]; then
        PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$_p/@sitePackages@"
    fi
done
unset _p
export PYTHONPATH
export DETERMINISTIC_BUILD=1 PYTHONHASHSEED=0
