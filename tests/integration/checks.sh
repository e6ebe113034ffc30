# Sourced by the integration scripts: counted checks and how they fail.
# Each check adds to $n; a failing one to $fails, with a FAIL: line on
# stderr.  Commands run by `run` write to $T/out and $T/err ($T is the
# script's temporary directory).
# shellcheck shell=sh
fails=0 n=0
ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks: $2"; fi; }
hasre() { if grep -qE -- "$2" "$1"; then ok; else bad "$1 lacks /$2/"; fi; }
hasnt() { if grep -qF -- "$2" "$1"; then bad "$1 has: $2"; else ok; fi; }
count_is() { # FILE PATTERN N
    c=$(grep -cF -- "$2" "$1")
    if [ "$c" -eq "$3" ]; then ok; else bad "$1: '$2' $c times, want $3"; fi
}
item_has() { # FILE JID ATTR...: the roster item of JID has every ATTR
    f=$1 j=$2
    shift 2
    line=$(grep -o "<item [^>]*jid='$j'[^>]*>.*</item>\|<item [^>]*jid='$j'[^>]*/>" "$f" | head -n 1)
    for a in "$@"; do
        case $line in *"$a"*) ok ;; *) bad "roster item $j lacks $a: $line" ;; esac
    done
}
no_item() { # FILE JID: no roster item for JID
    if grep -q "<item [^>]*jid='$2'" "$1"; then bad "$1 has an item for $2"; else ok; fi
}
run() { # EXPECTED CMD...: output in $T/out, $T/err
    want=$1
    shift
    "$@" >"$T/out" 2>"$T/err" </dev/null
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "exit $got, want $want: $*"
        sed 's/^/    err: /' "$T/err" | tail -25 >&2
    fi
}
