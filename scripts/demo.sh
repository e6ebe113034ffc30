#!/bin/sh
# make demo: show xporta working end to end on this machine.
#
# Today this runs the XEP-0227 engine on real files written by Prosody 0.12
# and ejabberd 23.01 (tests/data): validate them, count what they hold,
# translate ejabberd's export into Prosody's layout and back, and prove with
# `check` that nothing broke.  As export/import/migrate land, this script
# grows into the full migration with two live servers.
set -eu
X=${1:-build/xporta}
D=$(cd "$(dirname "$0")/../tests/data" && pwd)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/xporta-demo-XXXXXX")
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "Validate real exports from both servers" \
     "xporta check prosody-export.xml ejabberd-export-main.xml"
"$X" check -v "$D/prosody-export.xml" "$D/ejabberd-export-main.xml"

step "What do they hold?" "xporta stats ..."
"$X" stats "$D/prosody-export.xml" "$D/prosody-export-bob.xml" "$D/ejabberd-export-main.xml"

step "ejabberd -> Prosody: fix ejabberd's double-base64 SCRAM, split per user, rename the host" \
     "xporta convert ejabberd-export-main.xml --dialect prosody --rename-host new.localhost=old.localhost -o $OUT/prosody"
"$X" convert "$D/ejabberd-export-main.xml" --dialect prosody \
    --rename-host new.localhost=old.localhost -o "$OUT/prosody"
ls -l "$OUT/prosody"

step "Prosody -> ejabberd: merge Prosody's per-user files, encode SCRAM ejabberd's way" \
     "xporta convert prosody-export.xml prosody-export-bob.xml --dialect ejabberd -o $OUT/ejabberd.xml"
"$X" convert "$D/prosody-export.xml" "$D/prosody-export-bob.xml" \
    --dialect ejabberd -o "$OUT/ejabberd.xml"
ls -l "$OUT"/ejabberd*.xml

step "Everything written is valid XEP-0227" "xporta check ..."
"$X" check "$OUT"/prosody/*.xml "$OUT/ejabberd.xml"

printf '\nOutputs are in %s (files with credentials are mode 0600).\n' "$OUT"
