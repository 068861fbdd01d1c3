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
