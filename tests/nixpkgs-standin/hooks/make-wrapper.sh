# Stand-in for nixpkgs' pkgs/build-support/setup-hooks/make-wrapper.sh: makeWrapper EXECUTABLE
# OUT ARGS... writes a bash script OUT that sets up the environment and execs EXECUTABLE;
# wrapProgram PROG ARGS... moves PROG to .PROG-wrapped and puts such a wrapper in its place
# (argv0 kept).  Arguments: --argv0 NAME, --inherit-argv0, --set VAR VAL, --set-default VAR
# VAL, --unset VAR, --prefix/--suffix VAR SEP VAL, --run CMD, --add-flags F, --append-flags F,
# --chdir DIR.
makeWrapper() {
    local original="$1" wrapper="$2"
    shift 2
    if [ ! -x "$original" ]; then
        echo "makeWrapper: $original is not executable" >&2
        return 1
    fi
    local argv0='"$0"' flags="" after="" lines=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --argv0) argv0=$(printf '%q' "$2"); shift 2 ;;
            --inherit-argv0) argv0='"$0"'; shift ;;
            --set) lines+="export $2=$(printf '%q' "$3")"$'\n'; shift 3 ;;
            --set-default) lines+="export $2=\${$2-$(printf '%q' "$3")}"$'\n'; shift 3 ;;
            --unset) lines+="unset $2"$'\n'; shift 2 ;;
            --prefix)
                lines+="export $2=$(printf '%q' "$4")\${$2:+$(printf '%q' "$3")\$$2}"$'\n'; shift 4 ;;
            --suffix)
                lines+="export $2=\${$2:+\$$2$(printf '%q' "$3")}$(printf '%q' "$4")"$'\n'; shift 4 ;;
            --run) lines+="$2"$'\n'; shift 2 ;;
            --add-flags) flags+=" $2"; shift 2 ;;
            --append-flags) after+=" $2"; shift 2 ;;
            --chdir) lines+="cd $(printf '%q' "$2")"$'\n'; shift 2 ;;
            *) echo "makeWrapper: unknown argument $1" >&2; return 1 ;;
        esac
    done
    mkdir -p "$(dirname "$wrapper")"
    {
        echo "#! /bin/bash -e"
        printf '%s' "$lines"
        echo "exec -a $argv0 $(printf '%q' "$original")$flags \"\$@\"$after"
    } > "$wrapper"
    chmod +x "$wrapper"
}

wrapProgram() {
    local prog="$1"
    shift
    local hidden
    hidden="$(dirname "$prog")/.$(basename "$prog")-wrapped"
    while [ -e "$hidden" ]; do hidden="${hidden}_"; done
    mv "$prog" "$hidden"
    makeWrapper "$hidden" "$prog" --inherit-argv0 "$@"
}
