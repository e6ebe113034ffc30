#!/bin/sh
# --json (xporta(1), JSON EVENTS) without a server: every line parses, the
# start comes first and the summary last, the counts are what the job did,
# the summary's exit is the command's; the live commands are run against a
# port where nobody listens (the stream of a failure), their real runs are
# in tests/integration (export_live.sh, moved_live.sh, rooms_live.sh).
X=$1 D=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-json-events-XXXXXX")
trap 'rm -rf "$T"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
export XDG_STATE_HOME="$T/state"
. "$(dirname "$0")/../integration/checks.sh"
EV="$(dirname "$0")/../tools/events.py"
ev() { if /usr/bin/python3 "$EV" "$@"; then ok; else bad "events of $2"; fi; }
quiet() { if [ -s "$T/err" ]; then bad "--json wrote to stderr: $(head -3 "$T/err")"; else ok; fi; }

# server-export: the accounts and kinds it wrote
run 0 "$X" server-export --json "prosody:$D/prosody-internal" -o "$T/a.xml"
quiet
ev "$T/out" server-export 0 's["accounts"] == 7 and s["accounts_failed"] == 0' \
    'kind("archive") ["state"] == "done" and kind("archive")["count"] == 42' \
    'kind("roster")["count"] == 9' 'start["file"].endswith("/a.xml")' \
    'all(p["step"] == "server-export" for p in by("progress"))'

# server-import: an account event per account, the summary adds them up
mkdir "$T/new" "$T/dry"
run 0 "$X" server-import --json "$T/a.xml" "prosody:$T/new"
quiet
ev "$T/out" server-import 0 'len(by("account")) == 7 and all(a["ok"] for a in by("account"))' \
    'sum(a["kinds"].get("archive", {}).get("written", 0) for a in by("account")) == 42' \
    'kind("archive")["written"] == 42 and kind("archive")["count"] == 42' \
    'kind("credentials")["add"] == 7' 's["accounts"] == 7 and not s["resumed"]' \
    '"verified" not in s and "state_dir" in s' 'start["store"] == "prosody:'"$T"'/new"'
# again: everything is there, nothing is written
run 0 "$X" server-import --json "$T/a.xml" "prosody:$T/new"
ev "$T/out" server-import 0 'kind("archive")["same"] == 42 and kind("archive")["written"] == 0'
# a dry run says so, at the start and at the end
run 0 "$X" server-import --json --dry-run "$T/a.xml" "prosody:$T/dry"
ev "$T/out" server-import 0 'start["dry_run"] and s["dry_run"] and kind("archive")["add"] == 42' \
    'kind("archive")["written"] == 0'
[ -z "$(ls -A "$T/dry")" ] && ok || bad "a dry run wrote"
# a failure ends with its summary, the error in words, exit as the command's
run 3 "$X" server-import --json "$T/missing.xml" "prosody:$T/new"
ev "$T/out" server-import 3 's["status"] == "input" and "no such file" in s["error"]'
has "$T/err" "no such file"
# bytes that are not UTF-8 (here in a file name) arrive as U+FFFD
bad_name="$T/bad-$(printf '\377')-name.xml"
cp "$T/a.xml" "$bad_name"
run 0 "$X" server-import --json --dry-run --users alice "$bad_name" "prosody:$T/dry"
ev "$T/out" server-import 0 'start["source"].endswith("bad-\ufffd-name.xml")' \
    'len(by("account")) == 1'

# The live commands, where nobody listens: start, what came before the
# connection, a summary with the network status.
export XPORTA_PASSWORD=x XPORTA_OLD_PASSWORD=x XPORTA_NEW_PASSWORD=x
one="--host 127.0.0.1 --port 1"
two="--old-host 127.0.0.1 --old-port 1 --new-host 127.0.0.1 --new-port 1"
net() { # COMMAND ARGS...: the failed run's stream
    cmd=$1
    shift
    run 5 "$X" "$cmd" --json "$@"
    ev "$T/out" "$cmd" 5 's["status"] == "network" and "Connection refused" in s["error"]' \
        'any(p["phase"] == "connect" for p in by("progress"))'
    has "$T/err" "Connection refused"
}
# shellcheck disable=SC2086
{
    net export $one alice@old.localhost -o "$T/x.xml"
    [ ! -e "$T/x.xml" ] && ok || bad "export wrote a file"
    net import $one --user alice@old.localhost "$T/a.xml" alice@new.localhost
    # the file's plan came first: an item per record left out on purpose
    ev "$T/out" import 5 'start["target"] == "alice@new.localhost"' \
        'len([i for i in by("item") if i["action"] == "skip" and i["kind"] == "pep-node"]) == kind("pep-node")["skip"] == 2' \
        'all(i["why"] for i in by("item"))' 'kind("credentials")["state"] == "not-restorable"' \
        's["verified"] is False'
    net migrate $two alice@old.localhost alice@new.localhost
    ev "$T/out" migrate 5 '"room_outcomes" in s and "contacts" not in s'
    net migrate $two --announce --no-rooms alice@old.localhost alice@new.localhost
    ev "$T/out" migrate 5 '"contacts" in s and "room_outcomes" not in s'
    net announce $two alice@old.localhost alice@new.localhost
    ev "$T/out" announce 5 's["contacts"]["moved"] == 0'
    net follow-moves $one alice@old.localhost
    net rooms $one --dry-run alice@old.localhost alice@new.localhost
    ev "$T/out" rooms 5 'start["dry_run"] and s["dry_run"] and s["room_outcomes"]["rooms"] == 0'
    net room-move $two alice@old.localhost alice@new.localhost team@muc.old.localhost muc.new.localhost
    ev "$T/out" room-move 5 'start["new_room"] == "team@muc.new.localhost"' \
        's["room_move"]["created"] is False'
}
# an error before the job: no stream, the usual message and status
run 2 "$X" export --json
[ ! -s "$T/out" ] && ok || bad "a usage error wrote to stdout"

# --help lists the events each command writes
for c in export import migrate announce follow-moves rooms room-move server-import server-export; do
    "$X" $c --help >"$T/out" 2>&1
    has "$T/out" "--json"
    has "$T/out" "JSON events (--json)"
    has "$T/out" "  summary   the last line"
done
"$X" migrate --help >"$T/out"
has "$T/out" "  contact   per contact"
has "$T/out" "  item      a record of the plan"
"$X" server-import --help >"$T/out"
has "$T/out" "  account   per account"

echo "json_events: $n checks, $fails failed"
[ "$fails" -eq 0 ]
