#!/bin/sh
# User names Prosody's own import reads back (issue 15), on the real server:
#   prosody_names_live.sh SERVERS_SCRIPT SERVERS_DIR XPORTA
#
# A XEP-0227 file with a non-ASCII user (élève), one whose name holds
# characters Prosody's datamanager escapes in its own storage ('%' before
# hex digits, '+', '~', '!', '.') and a plain one is converted to the
# Prosody dialect, imported with prosody-migrator (xporta-servers import
# prosody), and each user then logs in with the old password and finds
# their roster and vCard (xporta export of the account).  A name with
# upper-case letters gets convert's warning, because Prosody imports it as
# written and no login reaches it: measured here too.  Before the fix the
# files were named %C3%A9l%C3%A8ve@HOST.xml: Prosody's xep0227 driver takes
# the user from the file name as it is, so the import created an account
# named "%C3%A9l%C3%A8ve" and élève could not log in.
set -u
SCRIPT=$1 DIR=$2 X=$3
command -v prosody >/dev/null 2>&1 && command -v lua5.4 >/dev/null 2>&1 || {
    echo "skip: prosody is needed"
    exit 77
}
command -v python3 >/dev/null 2>&1 || {
    echo "skip: python3 is needed (SCRAM credentials for the test file)"
    exit 77
}
. "$DIR/servers.env"
XPORTA_SERVERS_DIR=$DIR
export XPORTA_SERVERS_DIR
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-prosody-names-XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/checks.sh"
RUN=n$(date +%s)$$
D=$XPORTA_PROSODY_DOMAIN
PASS="old-pass-$RUN"
echo "$PASS" >"$T/pw"
# Names no other test uses (RUN makes them new on a reused data directory).
ELEVE="élève.$RUN"
ODD="p%41q+r~s!.$RUN"
PLAIN="plain-$RUN"
UPPER="Upper-$RUN"

# SCRAM-SHA-1 (Prosody's default password_hash) for the password.
scram() {
    python3 - "$PASS" <<'EOF'
import base64, hashlib, hmac, os, sys
pw, salt, it = sys.argv[1].encode(), os.urandom(16), 4096
salted = hashlib.pbkdf2_hmac("sha1", pw, salt, it)
ck = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
sk = hmac.new(salted, b"Server Key", hashlib.sha1).digest()
b = lambda x: base64.b64encode(x).decode()
print("<scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'>"
      f"<iter-count>{it}</iter-count><salt>{b(salt)}</salt>"
      f"<server-key>{b(sk)}</server-key>"
      f"<stored-key>{b(hashlib.sha1(ck).digest())}</stored-key></scram-credentials>")
EOF
}
user() { # NAME CREDENTIALS-ATTR CREDENTIALS-ELEMENT
    printf "<user name='%s'%s>%s<query xmlns='jabber:iq:roster'><item jid='friend-%s@%s' subscription='none' name='Friend of %s'/></query><vCard xmlns='vcard-temp'><FN>vCard of %s</FN></vCard></user>\n" \
        "$1" "$2" "$3" "$RUN" "$D" "$1" "$1"
}
{
    printf "<?xml version='1.0' encoding='UTF-8'?>\n<server-data xmlns='urn:xmpp:pie:0'><host jid='%s'>\n" "$D"
    user "$ELEVE" "" "$(scram)"
    user "$ODD" " password='$PASS'" ""
    user "$PLAIN" "" "$(scram)"
    user "$UPPER" "" "$(scram)"
    printf "</host></server-data>\n"
} >"$T/in.xml"
run 0 "$X" check "$T/in.xml"

# The files are named as Prosody reads them: USER@HOST.xml, unescaped.
run 0 "$X" convert --dialect prosody "$T/in.xml" -o "$T/pro"
for u in "$ELEVE" "$ODD" "$PLAIN" "$UPPER"; do
    [ -f "$T/pro/$u@$D.xml" ] && ok || bad "no file '$u@$D.xml' in: $(ls "$T/pro")"
done
[ "$(ls "$T/pro" | wc -l)" -eq 4 ] && ok || bad "files: $(ls "$T/pro")"
has "$T/err" "$UPPER@$D: Prosody's import keeps the upper-case letters"
hasnt "$T/err" "$PLAIN@$D: Prosody's import"

# Prosody's own import (stops Prosody, runs prosody-migrator, starts it).
if bash "$SCRIPT" import prosody "$T/pro" >"$T/import.log" 2>&1; then ok; else
    bad "import prosody"
    tail -20 "$T/import.log" >&2
fi
# The migrator names each account by its file: no percent-encoded ghost.
MLOG=$(dirname "$XPORTA_PROSODY_CONFIG")/migrator.log
if [ -f "$MLOG" ]; then
    hasnt "$MLOG" "%C3%A9l%C3%A8ve"
    has "$MLOG" "Migrating user $ELEVE@$D store accounts"
    has "$MLOG" "Migrating user $ODD@$D store accounts"
fi

# Each user logs in with the old password and finds their data.
i=0
for u in "$ELEVE" "$ODD" "$PLAIN"; do
    i=$((i + 1))
    E=$T/export-$i.xml
    run 0 "$X" export "$u@$D" -o "$E" --host 127.0.0.1 --port "$XPORTA_PROSODY_PORT" \
        --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/pw"
    has "$T/err" "exported $u@$D to"
    if [ -f "$E" ]; then
        has "$E" "<user name='$u'"
        has "$E" "jid='friend-$RUN@$D'"
        has "$E" "name='Friend of $u'"
        has "$E" "vCard of $u"
    fi
done
# The upper-case name was imported as written, and cannot log in, neither
# as written nor in lower case (Prosody maps logins to lower case).
for u in "$UPPER" "upper-$RUN"; do
    run 6 "$X" export "$u@$D" -o "$T/never.xml" --host 127.0.0.1 \
        --port "$XPORTA_PROSODY_PORT" --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/pw"
done
[ -n "$(find "$XPORTA_PROSODY_DATA_DIR" -path "*/accounts/Upper*$RUN.dat")" ] && ok ||
    bad "no account file Upper%2d$RUN.dat (Prosody changed how it imports such names?)"
# ... and not with another password (the login above is the real check).
echo "wrong-$PASS" >"$T/badpw"
run 6 "$X" export "$ELEVE@$D" -o "$T/never.xml" --host 127.0.0.1 \
    --port "$XPORTA_PROSODY_PORT" --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/badpw"

for u in "$ELEVE" "$ODD" "$PLAIN"; do
    bash "$SCRIPT" deluser prosody "$u@$D" >/dev/null 2>&1
done
# prosodyctl cannot name the upper-case account (it maps names to lower
# case): its files go by hand.  Only this run's, by RUN.
find "$XPORTA_PROSODY_DATA_DIR" -type f -name "*$RUN*" -exec rm -f {} +
echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
