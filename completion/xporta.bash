# bash completion for xporta(1)                       -*- shell-script -*-
#
# Installed as share/bash-completion/completions/xporta.  The commands,
# options and values below are those of cli/*.c; tests/packaging/
# test_completion.sh checks them against `xporta COMMAND --help`.

_xporta_commands="check stats convert diff export import migrate announce
follow-moves rooms room-move server-export server-import history serve"

# Stores (server-export, server-import): a XEP-0227 file or one of these.
_xporta_stores="prosody: prosody+sqlite: prosody+pgsql: ejabberd+sqlite: ejabberd+pgsql: ejabberd+mnesia:"

_xporta_kinds="credentials roster pending vcard private privacy blocklist
offline pep-node pep-affiliations pep-subscriptions pep-item archive
mam-prefs other room-config room-affiliation room-subject pep secrets mam
rooms all"

# Connection options: one account (export, import, diff, follow-moves,
# rooms) or
# two (migrate, announce).
_xporta_account="--host --port --cafile --insecure --password-file"
_xporta_pair="--cafile --insecure --old-host --old-port --old-cafile
--old-password-file --new-host --new-port --new-cafile --new-password-file"
# What import and migrate share (cli/cli_live.h, COMMON_OPTIONS).
_xporta_common="-n --dry-run --on-conflict --only-kinds --exclude-kinds
--include-omemo --include-moved --no-verify --state-dir --parallel
--max-lines --json -q --quiet -v --verbose -h --help"

# The options of COMMAND, on stdout.
_xporta_options()
{
    case $1 in
    check) echo "--json --threads -q --quiet -v --verbose -h --help" ;;
    stats) echo "--json --summary --threads -q --quiet -h --help" ;;
    convert)
        echo "-o --output --dialect --split --users --exclude-kinds" \
            "--only-kinds --rename-host --strip-secrets --skip-invalid --compact" \
            "--threads -f" \
            "--force -q --quiet -v --verbose -h --help"
        ;;
    diff)
        echo "--only-kinds --exclude-kinds --rename-host --json" \
            "--max-lines -q --quiet -h --help $_xporta_account"
        ;;
    export)
        echo "-o --output --only-kinds --exclude-kinds --since --until" \
            "--private-ns --parallel --rooms --room -f --force --json -q --quiet" \
            "-v --verbose -h --help $_xporta_account"
        ;;
    import)
        echo "$_xporta_common --user --rename-host $_xporta_account"
        ;;
    migrate)
        echo "$_xporta_common --backup -f --force --announce" \
            "--moved-access --rate --no-rooms --room --notify-owners" \
            "$_xporta_pair"
        ;;
    announce)
        echo "--moved-access --rate --state-dir --json -q --quiet -v --verbose" \
            "-h --help $_xporta_pair"
        ;;
    follow-moves)
        echo "--watch --remove-old --json -q --quiet -h --help $_xporta_account"
        ;;
    rooms)
        echo "-n --dry-run --room --notify-owners --state-dir --json -q --quiet" \
            "-v --verbose -h --help $_xporta_account"
        ;;
    room-move)
        echo "-n --dry-run --destroy-old --map --no-verify --state-dir" \
            "--json -q --quiet -h --help $_xporta_pair"
        ;;
    server-export)
        echo "-o --output --dialect -f --force --users --rename-host" \
            "--only-kinds --exclude-kinds --strip-secrets --host --json -q" \
            "--quiet -v --verbose -h --help"
        ;;
    server-import)
        echo "-n --dry-run --on-conflict --state-dir --max-lines --users" \
            "--rename-host --only-kinds --exclude-kinds --strip-secrets" \
            "--host --live --json -q --quiet -v --verbose -h --help"
        ;;
    history)
        echo "-o --output -q --quiet --json -h --help"
        ;;
    serve)
        echo "--port --state-dir --max-upload --max-jobs --cafile --insecure" \
            "--listen --public-url --trust-proxy --xmpp-server --store" \
            "--file-ttl --session-ttl --max-session-jobs -h --help"
        ;;
    esac
}

# Options that take a value (the next word, or after '=').
_xporta_takes_value()
{
    case $1 in
    -o | --output | --dialect | --users | --exclude-kinds | --only-kinds | \
        --kinds | --rename-host | --threads | --max-lines | --since | \
        --until | --private-ns | --parallel | --user | --on-conflict | \
        --state-dir | --live | --backup | --moved-access | --rate | --room | --host | \
        --port | --cafile | --password-file | --old-host | --old-port | \
        --old-cafile | --old-password-file | --new-host | --new-port | \
        --new-cafile | --new-password-file | --max-upload | --max-jobs | \
        --listen | --public-url | --trust-proxy | --xmpp-server | --store | \
        --file-ttl | --session-ttl | --max-session-jobs)
        return 0
        ;;
    esac
    return 1
}

# Completes the value of option $1, the word being $2.
_xporta_value()
{
    local opt=$1 cur=$2
    case $opt in
    --dialect)
        COMPREPLY=($(compgen -W "standard prosody ejabberd" -- "$cur"))
        ;;
    --threads)
        COMPREPLY=($(compgen -W "1 2" -- "$cur"))
        ;;
    --on-conflict)
        COMPREPLY=($(compgen -W "keep replace" -- "$cur"))
        ;;
    --moved-access)
        COMPREPLY=($(compgen -W "contacts presence open" -- "$cur"))
        ;;
    --only-kinds | --exclude-kinds | --kinds)
        # A comma-separated list: complete its last item.
        local done="" last=$cur
        if [[ $cur == *,* ]]; then
            done=${cur%,*},
            last=${cur##*,}
        fi
        local k
        COMPREPLY=()
        for k in $(compgen -W "$_xporta_kinds" -- "$last"); do
            COMPREPLY+=("$done$k")
        done
        compopt -o nospace 2>/dev/null
        ;;
    -o | --output | --backup | --cafile | --old-cafile | --new-cafile | \
        --password-file | --old-password-file | --new-password-file)
        _xporta_files "$cur"
        ;;
    --state-dir)
        _xporta_files "$cur" -d
        ;;
    *)
        COMPREPLY=()
        ;;
    esac
}

# Files (or with -d, directories) matching $1.
_xporta_files()
{
    if declare -F _filedir >/dev/null; then
        local cur=$1
        _filedir ${2:+"$2"}
    else
        local IFS=$'\n'
        COMPREPLY=($(compgen "${2:--f}" -- "$1"))
        compopt -o filenames 2>/dev/null
    fi
}

_xporta()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        # bash-completion: -s splits --option=value into prev and cur.
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
        # Plain bash splits "--option=value" into "--option" "=" "value".
        if [[ $cur == = ]]; then
            cur=""
            split=true
        elif [[ $prev == = ]] && ((cword > 2)); then
            prev=${words[cword - 2]}
            split=true
        fi
    fi

    if ((cword == 1)); then
        COMPREPLY=($(compgen -W "$_xporta_commands help -h --help -V
            --version" -- "$cur"))
        return
    fi
    local cmd=${words[1]}

    if [[ $split == true ]] || _xporta_takes_value "$prev"; then
        _xporta_value "$prev" "$cur"
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_xporta_options "$cmd")" -- "$cur"))
        return
    fi
    # Arguments: files for the file commands (and import's FILE, diff's A
    # and B, which may be files); accounts are not guessed.
    case $cmd in
    check | stats | convert | diff | import | history)
        _xporta_files "$cur"
        ;;
    server-export | server-import)
        # a store's scheme, then its path (prosody:DIR, prosody+sqlite:FILE)
        if [[ $cur == prosody:* || $cur == prosody+sqlite:* || $cur == ejabberd+sqlite:* || $cur == ejabberd+mnesia:* ]]; then
            local scheme=${cur%%:*}: i
            _xporta_files "${cur#*:}" $([[ $scheme == prosody: ]] && echo -d)
            for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=$scheme${COMPREPLY[i]}; done
        else
            _xporta_files "$cur"
            local s
            for s in $(compgen -W "$_xporta_stores" -- "$cur"); do COMPREPLY+=("$s"); done
            [[ $cur == p* || $cur == e* ]] && compopt -o nospace 2>/dev/null
        fi
        ;;
    *)
        COMPREPLY=()
        ;;
    esac
}
complete -F _xporta xporta
