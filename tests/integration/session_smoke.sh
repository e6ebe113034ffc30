#!/bin/sh
# CTest glue for the tests against real servers (tests/servers/xporta-servers).
#
#   session_smoke.sh start SERVERS_SCRIPT DIR        fixture "servers" setup
#   session_smoke.sh stop  SERVERS_SCRIPT DIR        fixture cleanup
#   session_smoke.sh run   SERVERS_SCRIPT DIR BIN    the lib/xmpp smoke test
#
# DIR is the servers' private directory (XPORTA_SERVERS_DIR), under the build
# tree.  Exits 77 (skip) when Prosody or ejabberd is not installed.
set -eu
cmd=$1 script=$2 dir=$3

installed() {
    command -v prosody >/dev/null 2>&1 || [ -x /usr/bin/prosody ] || return 1
    [ -x /usr/sbin/ejabberdctl ] || command -v ejabberdctl >/dev/null 2>&1
}

XPORTA_SERVERS_DIR=$dir
export XPORTA_SERVERS_DIR

case $cmd in
start)
    if ! installed; then
        echo "skip: prosody and ejabberd are needed (apt-get install prosody ejabberd)"
        exit 77
    fi
    # An Erlang node name of our own, so that another build tree's servers
    # (or a developer's) never share it.
    if [ -z "${XPORTA_EJABBERD_NODE:-}" ]; then
        XPORTA_EJABBERD_NODE=xporta-t$(printf '%s' "$dir" | cksum | cut -d' ' -f1)@localhost
        export XPORTA_EJABBERD_NODE
    fi
    exec bash "$script" start all
    ;;
stop)
    [ -f "$dir/servers.env" ] || exit 0
    exec bash "$script" stop all
    ;;
run)
    bin=$4
    if ! installed; then
        echo "skip: prosody and ejabberd are needed"
        exit 77
    fi
    [ -f "$dir/servers.env" ] || { echo "no $dir/servers.env: the servers.start fixture did not run" >&2; exit 1; }
    # servers.env holds KEY=VALUE lines with shell-quoted values.
    set -a
    . "$dir/servers.env"
    set +a
    # One account per run: the tests that use this run in parallel, and a
    # shared account would get each one's password in turn.
    XPORTA_SMOKE_USER=xpsmoke-$(basename "$bin")
    XPORTA_SMOKE_PASS=xpsmoke-$$-pass
    export XPORTA_SMOKE_USER XPORTA_SMOKE_PASS
    bash "$script" adduser prosody "$XPORTA_SMOKE_USER" "$XPORTA_SMOKE_PASS"
    bash "$script" adduser ejabberd "$XPORTA_SMOKE_USER" "$XPORTA_SMOKE_PASS"
    exec "$bin"
    ;;
*)
    echo "usage: $0 start|stop|run SERVERS_SCRIPT DIR [BIN]" >&2
    exit 2
    ;;
esac
