#!/bin/bash
# The shell completions (completion/) against the command itself:
#  - bash, with and without bash-completion: commands, options, --dialect
#    and the other values, kind lists after a comma, files;
#  - every option that `xporta COMMAND --help` lists is completed, and every
#    option completed is one the command accepts; the kinds are those of
#    `xporta stats --help` and convert's groups;
#  - zsh (completion/_xporta), driven through a pseudo-terminal.
# Usage: test_completion.sh XPORTA_BINARY SOURCE_DIR
set -euo pipefail
xporta=${1:?usage: test_completion.sh XPORTA SOURCE_DIR}
src=$(cd "${2:?usage: test_completion.sh XPORTA SOURCE_DIR}" && pwd)
bashcomp=$src/completion/xporta.bash
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xporta-comp.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
failed=0
fail() {
    echo "test_completion: FAIL: $*" >&2
    failed=1
}

# complete MODE LINE: what bash completes at the end of LINE, one word per
# line.  MODE is "plain" (bash alone) or "bc" (with bash-completion).
# COMP_WORDS is split as readline does: at blanks, and at '=' (in
# COMP_WORDBREAKS), which becomes a word of its own.
complete_line() {
    local mode=$1 line=$2
    bash --norc --noprofile -c '
        mode=$1 line=$2
        if [ "$mode" = bc ]; then . /usr/share/bash-completion/bash_completion; fi
        . "$3"
        COMP_WORDS=()
        for w in $line; do
            while [[ $w == *=* ]]; do
                [ -n "${w%%=*}" ] && COMP_WORDS+=("${w%%=*}")
                COMP_WORDS+=("=")
                w=${w#*=}
            done
            [ -n "$w" ] && COMP_WORDS+=("$w")
        done
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line
        COMP_POINT=${#line}
        cur=${COMP_WORDS[COMP_CWORD]}
        _xporta xporta "$cur" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$mode" "$line" "$bashcomp"
}

# expect LINE WORD...: LINE completes to exactly these words, both modes.
expect() {
    local line=$1 mode got want
    shift
    want=$(printf '%s\n' "$@" | sort)
    for mode in plain bc; do
        got=$(complete_line "$mode" "$line")
        if [ "$got" != "$want" ]; then
            fail "[$mode] '$line<TAB>' gives '${got//$'\n'/ }', want '$*'"
        fi
    done
}

cd "$tmp"
mkdir -p dir/sub
touch dir/a.xml dir/b.xml dir/sub/c.xml

expect 'xporta mig' migrate
expect 'xporta f' follow-moves
expect 'xporta --v' --version
expect 'xporta convert --dia' --dialect
expect 'xporta convert --dialect ' standard prosody ejabberd
expect 'xporta convert --dialect pr' prosody
expect 'xporta convert --dialect=ej' ejabberd
expect 'xporta convert --dialect=' standard prosody ejabberd
expect 'xporta export --only-kinds roster,ar' roster,archive
expect 'xporta convert --exclude-kinds=pep-n' pep-node
expect 'xporta diff --only-kinds se' secrets
expect 'xporta import --on-conflict ' keep replace
expect 'xporta migrate --moved-access p' presence
expect 'xporta announce --moved-access=o' open
expect 'xporta check --threads ' 1 2
expect 'xporta check dir/' dir/a.xml dir/b.xml dir/sub
expect 'xporta convert dir/a.xml -o dir/s' dir/sub
expect 'xporta export a@b.example --output dir/b' dir/b.xml
expect 'xporta import --state-dir dir/' dir/sub
expect 'xporta migrate a@b.example ' ''
expect 'xporta follow-moves --w' --watch
expect 'xporta roo' room-move rooms
expect 'xporta room-' room-move
expect 'xporta rooms --no' --notify-owners
expect 'xporta rooms --room ' ''
expect 'xporta rooms --state-dir dir/' dir/sub
expect 'xporta migrate --no-' --no-rooms --no-verify

# The commands of `xporta --help`.
"$xporta" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 {print $1}' |
    sort >"$tmp/commands"
complete_line plain 'xporta ' | grep -v '^-\|^help$' >"$tmp/completed" || true
diff -u "$tmp/commands" "$tmp/completed" >&2 ||
    fail "the commands completed differ from xporta --help's (- help, + completion)"

# Options: those of each command's --help are completed; those completed
# are accepted (getopt would say "unrecognized option" / "invalid option").
for cmd in $(cat "$tmp/commands"); do
    "$xporta" "$cmd" --help | grep -E '^  (-[a-zA-Z]|--[a-z])' |
        sed 's/   .*//' | grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' |
        tr -d ' ,' | sort -u >"$tmp/help-$cmd"
    complete_line plain "xporta $cmd -" | sort -u >"$tmp/comp-$cmd"
    missing=$(comm -23 "$tmp/help-$cmd" "$tmp/comp-$cmd")
    [ -z "$missing" ] || fail "xporta $cmd: not completed: ${missing//$'\n'/ }"
    for opt in $(cat "$tmp/comp-$cmd"); do
        err=$("$xporta" "$cmd" "$opt" 1 --help 2>&1 >/dev/null </dev/null) || true
        case $err in
        *"unrecognized option"* | *"invalid option"*)
            fail "xporta $cmd does not accept $opt" ;;
        esac
    done
done

# Kinds: those `xporta stats --help` lists, and convert's groups.
"$xporta" stats --help | sed -n '/Kinds:/,/^$/p' | sed 's/.*Kinds://; s/\.$//' |
    tr ' ' '\n' | sed '/^$/d' >"$tmp/kinds"
"$xporta" convert --help | grep -o 'groups: [a-z, -]*' | sed 's/groups://' |
    tr ', ' '\n\n' | sed '/^$/d' >>"$tmp/kinds"
echo all >>"$tmp/kinds" # xporta(1), KINDS
sort -u -o "$tmp/kinds" "$tmp/kinds"
complete_line plain 'xporta convert --only-kinds ' >"$tmp/comp-kinds"
diff -u "$tmp/kinds" "$tmp/comp-kinds" >&2 ||
    fail "the kinds completed differ from xporta stats --help's (- help, + completion)"
# Values: each appears in the command's --help.
values() {
    local cmd=$1 help v
    shift
    help=$("$xporta" "$cmd" --help)
    for v in "$@"; do
        [[ $help == *"$v"* ]] || fail "xporta $cmd --help does not name $v"
    done
}
values convert standard prosody ejabberd
values import keep replace
values announce contacts presence open
values check "1:" "2:"

# zsh: type a line and TAB in an interactive zsh (zsh/zpty), read back the
# line as completion left it.
if [ -n "${XPORTA_SKIP_ZSH:-}" ]; then
    echo "test_completion: zsh skipped (XPORTA_SKIP_ZSH)"
else
    mkdir -p "$tmp/zfunc"
    cp "$src/completion/_xporta" "$tmp/zfunc/"
    zsh -n "$tmp/zfunc/_xporta" || fail "completion/_xporta: zsh syntax"
    cat >"$tmp/zcases" <<'CASES'
xporta mig	xporta migrate 
xporta convert --dialect=pr	xporta convert --dialect=prosody 
xporta convert --only-kinds=roster,arc	xporta convert --only-kinds=roster,archive,
xporta import --on-conflict re	xporta import --on-conflict replace 
xporta follow-moves --wa	xporta follow-moves --watch 
xporta rooms --notify-o	xporta rooms --notify-owners 
xporta migrate --no-r	xporta migrate --no-rooms 
xporta export --sin	xporta export --since=
xporta check --thr	xporta check --threads=
xporta check dir/sub/	xporta check dir/sub/c.xml 
CASES
    zsh -f -c '
        zmodload zsh/zpty || exit 2
        out=$1/zout cases=$1/zcases
        : >$out
        zpty z zsh -f -i
        zpty -w z "PS1=\"> \"; fpath=($1/zfunc \$fpath); autoload -Uz compinit; compinit -u -D; zstyle \":completion:*\" menu no; dump() { print -r -- \"\$BUFFER\" >>$out; BUFFER=; }; zle -N dump; bindkey \"^X\" dump; print ready >>$out"
        wait_lines() {
            local i
            for i in {1..300}; do
                (( $(wc -l <$out) >= $1 )) && return 0
                sleep 0.1
            done
            return 1
        }
        wait_lines 1 || { print "zsh did not start"; exit 1; }
        n=1
        while IFS=$'\''\t'\'' read -r line want; do
            zpty -w -n z "$line"$'\''\t'\''
            sleep 0.3
            zpty -w -n z $'\''\C-x'\''
            n=$((n + 1))
            wait_lines $n || { print "no answer to: $line"; exit 1; }
        done <$cases
        zpty -d z
    ' _ "$tmp" || fail "zsh completion could not be driven"
    # line n+1 of zout answers case n
    tail -n +2 "$tmp/zout" >"$tmp/zgot" || true
    cut -f2 "$tmp/zcases" >"$tmp/zwant"
    if ! diff -u "$tmp/zwant" "$tmp/zgot" >&2; then
        fail "zsh completion differs (- expected, + got)"
    fi
fi

[ "$failed" -eq 0 ] && echo "test_completion: ok"
exit "$failed"
