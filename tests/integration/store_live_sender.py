#!/usr/bin/python3
"""store_live_sender: a real client sending chat messages while xporta writes.

    store_live_sender.py --servers-env FILE --jid FROM --password-file F
                         --to JID --count N [--prefix TEXT] [--started FILE]

Logs in as FROM (slixmpp, through xmpp_probe's login), sends N chat
messages "PREFIX 1" .. "PREFIX N" to JID, one every few milliseconds, then
a ping so the server has handled them all, and exits 0.  The server
archives each one for both sides: tests/integration/store_live.sh sends
them to the account whose history xporta appends at the same moment.
"""
import argparse
import asyncio
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xmpp_probe  # noqa: E402


async def run(a):
    host, port, cafile = a.host, a.port, a.cafile
    if a.servers_env:
        env = xmpp_probe.read_servers_env(a.servers_env)
        host, port = xmpp_probe.endpoint_from_env(env, a.jid.partition("@")[2])
        cafile = env["XPORTA_TEST_CAFILE"]
    with open(a.password_file) as f:
        password = f.readline().rstrip("\n")
    client, err = await xmpp_probe.login(a.jid, password, host, port, cafile, 30)
    if err:
        print("login: %s" % err, file=sys.stderr)
        return 1
    if a.started:
        open(a.started, "w").close()
    for i in range(1, a.count + 1):
        client.send_message(mto=a.to, mbody="%s %d" % (a.prefix, i), mtype="chat")
        await asyncio.sleep(a.gap)
    # an IQ answered after every message before it was handled
    ping = ET.Element("{urn:xmpp:ping}ping")
    await client.iq("get", ping, to=client.boundjid.domain, timeout=30)
    client.disconnect()
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--servers-env")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--cafile")
    p.add_argument("--jid", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--gap", type=float, default=0.005)
    p.add_argument("--prefix", default="live")
    p.add_argument("--started", help="a file created once logged in, before the first message")
    a = p.parse_args()
    return asyncio.get_event_loop().run_until_complete(run(a))


if __name__ == "__main__":
    sys.exit(main())
