#!/usr/bin/python3
"""xmpp_probe: what a real, independent client sees of one XMPP account.

A verification client for the tests of server-side imports (issue 11): it
does not use xporta's session layer, only Debian's python3-slixmpp (run it
with /usr/bin/python3; a pyenv python3 on PATH has no Debian packages).

    xmpp_probe.py --jid USER@DOMAIN (--password-file F | --password-env VAR)
                  [--host 127.0.0.1 --port N --cafile CA | --servers-env FILE]
                  [--peer-jid JID (--peer-password-file F | --peer-password-env VAR)]
                  [--collect SECONDS] [--timeout SECONDS] [--no-presence]
                  [--mam-page N] [--mechanism SCRAM-SHA-1|SCRAM-SHA-256]
                  [--private {NS}NAME ...] [-o FILE] [-v]

It logs in with one SASL mechanism only (SCRAM-SHA-1 unless --mechanism), over STARTTLS verified against the CA file
with the XMPP domain as the host name (not the address it connects to), and
prints one JSON object (to stdout, or to FILE with -o):

  login         ok, mechanism, TLS version and cipher, or the error
  roster        every item: jid, name, subscription, ask, groups
  presented     after the roster and the initial presence, for --collect
                seconds: subscription requests (presence type=subscribe:
                from, status, nick) and messages (offline delivery: from, to,
                type, id, body, delay stamp)
  mam           the whole archive (urn:xmpp:mam:2), every page (RSM), in the
                server's order: archive id (the stanza-id), timestamp, with,
                from, to, type, message id, body; plus pages, count, complete
  mam_prefs     default, always, never
  pep           the nodes of the account's own JID (disco#items), each with
                its configuration (owner form: access_model and every field)
                and its items (id, publisher, payload XML)
  blocklist     the XEP-0191 blocklist
  vcard         the vcard-temp the server answers (canonical XML; null when
                it has none)
  private       XEP-0049 private XML: for each element asked with --private
                (default: the fill scenarios' {storage:rosternotes}storage and
                {exodus:prefs}exodus), its canonical XML, null when empty
  block_checks  with --peer-jid: a message from the peer to the account and
                one from the account to the peer; for each, whether it was
                delivered and the error the sender got (run last: it sends
                messages, which the servers may archive)
  errors        every query that failed, with its reason

Passwords come from a file (its first line) or an environment variable,
never from the command line. Sending the initial presence makes the server
deliver (and so delete) offline messages; --no-presence skips it.

Exit status: 0 all queries answered; 1 login refused (the JSON says why);
2 bad command line; 3 no connection, TLS or stream failure, or time-out
before login; 4 logged in, but some query failed (see "errors").
"""

import argparse
import asyncio
import json
import logging
import os
import shlex
import sys
import time
import uuid
import xml.etree.ElementTree as ET

# slixmpp warns at import that it uses its pure-Python stringprep: not our business.
logging.getLogger("slixmpp.stringprep").addFilter(lambda record: "stringprep" not in record.getMessage())

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
    from slixmpp.xmlstream import tostring
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath
except ImportError as exc:  # pragma: no cover
    sys.stderr.write(
        "xmpp_probe: slixmpp is missing (%s): install python3-slixmpp and run "
        "this with /usr/bin/python3\n" % exc)
    sys.exit(2)

NS_CLIENT = "jabber:client"
NS_ROSTER = "jabber:iq:roster"
NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_FORWARD = "urn:xmpp:forward:0"
NS_DELAY = "urn:xmpp:delay"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner"
NS_DATA = "jabber:x:data"
NS_BLOCKING = "urn:xmpp:blocking"
NS_BLOCKED_ERR = "urn:xmpp:blocking:errors"
NS_NICK = "http://jabber.org/protocol/nick"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_VCARD = "vcard-temp"
NS_PRIVATE = "jabber:iq:private"
DEFAULT_PRIVATE = ["{storage:rosternotes}storage", "{exodus:prefs}exodus"]

EXIT_OK, EXIT_AUTH, EXIT_USAGE, EXIT_CONNECT, EXIT_QUERY = 0, 1, 2, 3, 4

log = logging.getLogger("xmpp_probe")


class ProbeError(Exception):
    """A failure before login; carries the exit status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def q(ns, name):
    return "{%s}%s" % (ns, name)


def bare(jid):
    return (jid or "").split("/", 1)[0]


def text_of(elem, path):
    found = elem.find(path) if elem is not None else None
    return found.text if found is not None and found.text is not None else None


def stanza_error(xml):
    """(type, condition, text, extra children) of an error stanza."""
    err = xml.find(q(NS_CLIENT, "error"))
    if err is None:
        return {"condition": "unknown"}
    out = {"type": err.get("type"), "condition": None}
    extra = []
    for child in err:
        ns, _, name = child.tag[1:].partition("}")
        if ns == NS_STANZAS:
            if name == "text":
                out["text"] = child.text
            else:
                out["condition"] = name
        else:
            extra.append(child.tag)
    if extra:
        out["extra"] = extra
    return out


def read_password(path, env, what):
    if path and env:
        raise ProbeError(EXIT_USAGE, "give %s as a file or an environment variable, not both" % what)
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                line = f.readline().rstrip("\r\n")
        except OSError as exc:
            raise ProbeError(EXIT_USAGE, "cannot read the %s file %s: %s" % (what, path, exc.strerror))
        if not line:
            raise ProbeError(EXIT_USAGE, "the %s file %s has an empty first line" % (what, path))
        return line
    if env:
        value = os.environ.get(env)
        if not value:
            raise ProbeError(EXIT_USAGE, "the environment variable %s (%s) is not set or empty" % (env, what))
        return value
    raise ProbeError(EXIT_USAGE, "%s: give --%s-file or --%s-env" % (
        what, what.replace(" ", "-"), what.replace(" ", "-")))


def read_servers_env(path):
    """KEY=VALUE lines with shell-quoted values, as xporta-servers writes them."""
    values = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                key, _, value = line.partition("=")
                parts = shlex.split(value) if value else [""]
                values[key] = parts[0] if parts else ""
    except OSError as exc:
        raise ProbeError(EXIT_USAGE, "cannot read %s: %s" % (path, exc.strerror))
    return values


def endpoint_from_env(env, domain):
    """(host, port) serving DOMAIN according to servers.env."""
    for server in ("PROSODY", "EJABBERD"):
        domains = {env.get("XPORTA_%s_DOMAIN" % server), env.get("XPORTA_%s_DOMAIN2" % server)}
        if domain in domains:
            host = env.get("XPORTA_%s_HOST" % server, "127.0.0.1")
            port = env.get("XPORTA_%s_PORT" % server)
            if not port:
                break
            return host, int(port)
    raise ProbeError(EXIT_USAGE, "servers.env names no server for the domain %s" % domain)


class Client(slixmpp.ClientXMPP):
    """A plain client: no automatic answers to subscriptions, no DNS."""

    def __init__(self, jid, password, host, port, cafile, mechanism="SCRAM-SHA-1"):
        super().__init__(jid, password, sasl_mech=mechanism)
        self.probe_host, self.probe_port = host, port
        self.ca_certs = cafile
        self.auto_authorize = None  # neither accept nor refuse subscription requests
        self.auto_subscribe = False
        self.messages = []     # every <message> that is not a MAM result, as received
        self.presences = []    # every <presence>, as received
        self.mam_results = {}  # queryid -> list of <result> elements
        self.started = asyncio.get_event_loop().create_future()
        self.auth_error = None
        self.register_handler(Callback(
            "probe messages", MatchXPath("{%s}message" % NS_CLIENT), self._on_message))
        self.register_handler(Callback(
            "probe presences", MatchXPath("{%s}presence" % NS_CLIENT), self._on_presence))
        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("failed_auth", self._on_failed_auth)
        self.add_event_handler("failed_all_auth", self._on_failed_all_auth)
        self.add_event_handler("connection_failed", self._on_connection_failed)
        self.add_event_handler("ssl_invalid_chain", self._on_bad_tls)
        self.add_event_handler("disconnected", self._on_disconnected)
        self.add_event_handler("stream_error", self._on_stream_error)

    async def get_dns_records(self, domain, port=None):
        # The test servers' domains (*.localhost) are not in DNS: always the given address.
        return [(self.default_domain, self.probe_host, self.probe_port)]

    def _settle(self, value):
        if not self.started.done():
            self.started.set_result(value)

    def _on_session_start(self, _event):
        self._settle(("ok", None))

    def _on_failed_auth(self, stanza):
        cond = None
        for child in stanza.xml:
            cond = child.tag.partition("}")[2]
            if cond != "text":
                break
        self.auth_error = cond or "failure"

    def _on_failed_all_auth(self, _event):
        self._settle(("auth", "SASL failed: %s" % (self.auth_error or "no usable mechanism")))
        self.disconnect()

    def _on_connection_failed(self, err):
        self._settle(("connect", "cannot connect to %s:%s: %s" % (self.probe_host, self.probe_port, err)))

    def _on_bad_tls(self, err):
        self._settle(("connect", "TLS: the certificate does not verify for %s against %s: %s"
                      % (self.boundjid.domain, self.ca_certs, err)))
        self.disconnect()

    def _on_stream_error(self, err):
        self._settle(("connect", "stream error: %s" % err))

    def _on_disconnected(self, reason):
        self._settle(("connect", "the server closed the stream before login%s"
                      % (": %s" % reason if reason else "")))

    def _on_message(self, stanza):
        result = stanza.xml.find(q(NS_MAM, "result"))
        if result is not None:
            self.mam_results.setdefault(result.get("queryid") or "", []).append(result)
            return
        self.messages.append(stanza.xml)

    def _on_presence(self, stanza):
        self.presences.append(stanza.xml)

    def mechanism(self):
        mech = getattr(self["feature_mechanisms"], "mech", None)
        return getattr(mech, "name", None)

    def tls_info(self):
        ssl_obj = self.transport.get_extra_info("ssl_object") if self.transport else None
        if ssl_obj is None:
            return None
        cipher = ssl_obj.cipher()
        return {"version": ssl_obj.version(), "cipher": cipher[0] if cipher else None,
                "server_name": self.boundjid.domain}

    async def iq(self, type_, payload, to=None, timeout=20):
        """Send an IQ with one payload element; the answer's XML (raises IqError/IqTimeout)."""
        iq = self.Iq()
        iq["type"] = type_
        if to:
            iq["to"] = to
        iq.append(payload)
        answer = await iq.send(timeout=timeout)
        return answer.xml


async def login(jid, password, host, port, cafile, timeout, mechanism="SCRAM-SHA-1"):
    client = Client(jid, password, host, port, cafile, mechanism)
    client.connect((host, port))
    try:
        kind, detail = await asyncio.wait_for(asyncio.shield(client.started), timeout)
    except asyncio.TimeoutError:
        client.disconnect()
        raise ProbeError(EXIT_CONNECT, "no login within %s s (%s:%s)" % (timeout, host, port))
    if kind == "auth":
        return client, detail
    if kind != "ok":
        raise ProbeError(EXIT_CONNECT, detail)
    return client, None


# --- the queries -------------------------------------------------------------------------

def parse_roster(xml):
    items = []
    query = xml.find(q(NS_ROSTER, "query"))
    for item in (query if query is not None else []):
        if item.tag != q(NS_ROSTER, "item"):
            continue
        items.append({
            "jid": item.get("jid"),
            "name": item.get("name"),
            "subscription": item.get("subscription") or "none",
            "ask": item.get("ask"),
            "groups": sorted(g.text or "" for g in item.findall(q(NS_ROSTER, "group"))),
        })
    return items, (query.get("ver") if query is not None else None)


def describe_message(xml):
    delay = xml.find(q(NS_DELAY, "delay"))
    out = {
        "from": xml.get("from"),
        "to": xml.get("to"),
        "type": xml.get("type") or "normal",
        "id": xml.get("id"),
        "body": text_of(xml, q(NS_CLIENT, "body")),
    }
    if delay is not None:
        out["delay"] = {"stamp": delay.get("stamp"), "from": delay.get("from")}
    if xml.get("type") == "error":
        out["error"] = stanza_error(xml)
    return out


def describe_subscribe(xml):
    return {
        "from": xml.get("from"),
        "status": text_of(xml, q(NS_CLIENT, "status")),
        "nick": text_of(xml, q(NS_NICK, "nick")),
    }


async def fetch_mam(client, own, page, timeout):
    messages, pages, count, last, complete = [], 0, None, None, False
    while True:
        query_id = "probe-%d" % pages
        query = ET.Element(q(NS_MAM, "query"), {"queryid": query_id})
        rsm = ET.SubElement(query, q(NS_RSM, "set"))
        ET.SubElement(rsm, q(NS_RSM, "max")).text = str(page)
        if last is not None:
            ET.SubElement(rsm, q(NS_RSM, "after")).text = last
        answer = await client.iq("set", query, timeout=timeout)
        pages += 1
        results = client.mam_results.pop(query_id, [])
        for result in results:
            fwd = result.find(q(NS_FORWARD, "forwarded"))
            msg = fwd.find(q(NS_CLIENT, "message")) if fwd is not None else None
            delay = fwd.find(q(NS_DELAY, "delay")) if fwd is not None else None
            frm = msg.get("from") if msg is not None else None
            to = msg.get("to") if msg is not None else None
            messages.append({
                "id": result.get("id"),
                "stamp": delay.get("stamp") if delay is not None else None,
                "with": bare(to) if bare(frm) == own else bare(frm),
                "from": frm,
                "to": to,
                "type": (msg.get("type") if msg is not None else None) or "normal",
                "message_id": msg.get("id") if msg is not None else None,
                "body": text_of(msg, q(NS_CLIENT, "body")),
            })
        fin = answer.find(q(NS_MAM, "fin"))
        if fin is None:
            raise RuntimeError("MAM answer without <fin/>")
        complete = fin.get("complete") in ("true", "1")
        rset = fin.find(q(NS_RSM, "set"))
        if rset is not None and text_of(rset, q(NS_RSM, "count")) is not None:
            count = int(text_of(rset, q(NS_RSM, "count")))
        new_last = text_of(rset, q(NS_RSM, "last")) if rset is not None else None
        if complete or not results or new_last is None:
            break
        if new_last == last:
            raise RuntimeError("MAM paging does not advance (last = %s)" % last)
        last = new_last
    return {"complete": complete, "pages": pages, "count": count,
            "messages": messages}


async def fetch_mam_prefs(client, timeout):
    answer = await client.iq("get", ET.Element(q(NS_MAM, "prefs")), timeout=timeout)
    prefs = answer.find(q(NS_MAM, "prefs"))
    if prefs is None:
        raise RuntimeError("prefs answer without <prefs/>")

    def jids(name):
        elem = prefs.find(q(NS_MAM, name))
        return sorted(j.text or "" for j in elem.findall(q(NS_MAM, "jid"))) if elem is not None else []

    return {"default": prefs.get("default"), "always": jids("always"), "never": jids("never")}


def parse_form(x):
    fields = {}
    for field in x.findall(q(NS_DATA, "field")):
        var = field.get("var")
        if not var:
            continue
        values = [v.text or "" for v in field.findall(q(NS_DATA, "value"))]
        if field.get("type") in ("list-multi", "jid-multi", "text-multi"):
            fields[var] = values
        else:
            fields[var] = values[0] if values else None
    return fields


async def fetch_pep(client, own, timeout, errors):
    answer = await client.iq("get", ET.Element(q(NS_DISCO_ITEMS, "query")), to=own, timeout=timeout)
    query = answer.find(q(NS_DISCO_ITEMS, "query"))
    nodes = []
    for item in (query if query is not None else []):
        if item.tag == q(NS_DISCO_ITEMS, "item") and item.get("node"):
            nodes.append(item.get("node"))
    out = []
    for node in sorted(set(nodes)):
        entry = {"node": node, "access_model": None, "config": None, "items": None}
        owner = ET.Element(q(NS_PUBSUB_OWNER, "pubsub"))
        ET.SubElement(owner, q(NS_PUBSUB_OWNER, "configure"), {"node": node})
        try:
            conf = await client.iq("get", owner, to=own, timeout=timeout)
            x = conf.find(".//" + q(NS_DATA, "x"))
            entry["config"] = parse_form(x) if x is not None else {}
            entry["access_model"] = entry["config"].get("pubsub#access_model")
        except (IqError, IqTimeout) as exc:
            entry["config_error"] = iq_failure(exc)
            errors.append({"query": "pep configure %s" % node, "error": entry["config_error"]})
        ps = ET.Element(q(NS_PUBSUB, "pubsub"))
        ET.SubElement(ps, q(NS_PUBSUB, "items"), {"node": node})
        try:
            res = await client.iq("get", ps, to=own, timeout=timeout)
            items = []
            for it in res.iter(q(NS_PUBSUB, "item")):
                payload = list(it)
                items.append({
                    "id": it.get("id"),
                    "publisher": it.get("publisher"),
                    "payload": tostring(payload[0]) if payload else None,
                })
            entry["items"] = items
        except (IqError, IqTimeout) as exc:
            entry["items_error"] = iq_failure(exc)
            if entry["items_error"].get("condition") == "item-not-found":
                # Prosody's mod_bookmarks lists storage:bookmarks (XEP-0048 over XEP-0402)
                # and answers item-not-found while the account has no bookmarks.
                entry["items"] = []
            else:
                errors.append({"query": "pep items %s" % node, "error": entry["items_error"]})
        out.append(entry)
    return out


async def fetch_blocklist(client, timeout):
    answer = await client.iq("get", ET.Element(q(NS_BLOCKING, "blocklist")), timeout=timeout)
    bl = answer.find(q(NS_BLOCKING, "blocklist"))
    return sorted(i.get("jid") for i in (bl.findall(q(NS_BLOCKING, "item")) if bl is not None else []))


def canonical(elem):
    return ET.canonicalize(ET.tostring(elem, encoding="unicode"), strip_text=True)


async def fetch_vcard(client, timeout):
    try:
        answer = await client.iq("get", ET.Element(q(NS_VCARD, "vCard")), timeout=timeout)
    except IqError as exc:
        if stanza_error(exc.iq.xml).get("condition") == "item-not-found":
            return None
        raise
    vcard = answer.find(q(NS_VCARD, "vCard"))
    return canonical(vcard) if vcard is not None and len(vcard) else None


async def fetch_private(client, names, timeout):
    out = {}
    for name in names:
        query = ET.Element(q(NS_PRIVATE, "query"))
        ET.SubElement(query, name)
        answer = await client.iq("get", query, timeout=timeout)
        res = answer.find(q(NS_PRIVATE, "query"))
        got = res.find(name) if res is not None else None
        out[name] = canonical(got) if got is not None and (len(got) or (got.text or "").strip()) else None
    return out


def iq_failure(exc):
    if isinstance(exc, IqTimeout):
        return {"condition": "timeout"}
    return stanza_error(exc.iq.xml)


async def send_and_watch(sender, receiver, body, wait):
    """Send a chat message from sender to receiver's bare JID; was it delivered, bounced?"""
    msg_id = "probe-" + uuid.uuid4().hex[:12]
    to = receiver.boundjid.bare
    s0, r0 = len(sender.messages), len(receiver.messages)
    m = sender.Message()
    m["to"], m["type"], m["id"], m["body"] = to, "chat", msg_id, body
    m.send()
    delivered = bounced = None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        for xml in receiver.messages[r0:]:
            if text_of(xml, q(NS_CLIENT, "body")) == body:
                delivered = True
        for xml in sender.messages[s0:]:
            if xml.get("type") == "error" and xml.get("id") == msg_id:
                bounced = stanza_error(xml)
                err = xml.find(q(NS_CLIENT, "error"))
                bounced["blocked"] = err is not None and err.find(q(NS_BLOCKED_ERR, "blocked")) is not None
        if delivered or bounced:
            # give the other outcome a moment, then stop
            await asyncio.sleep(0.3)
            break
    for xml in receiver.messages[r0:]:
        if text_of(xml, q(NS_CLIENT, "body")) == body:
            delivered = True
    return {"from": sender.boundjid.bare, "to": to, "delivered": bool(delivered), "error": bounced}


async def block_checks(client, peer, wait):
    tag = uuid.uuid4().hex[:8]
    return {
        "peer": peer.boundjid.bare,
        "from_peer": await send_and_watch(peer, client, "xmpp_probe from peer " + tag, wait),
        "to_peer": await send_and_watch(client, peer, "xmpp_probe to peer " + tag, wait),
    }


async def run(args):
    report = {"jid": args.jid, "server": "%s:%s" % (args.host, args.port), "login": {"ok": False},
              "errors": []}
    errors = report["errors"]
    started = time.monotonic()
    client, auth_error = await login(args.jid, args.password, args.host, args.port, args.cafile, args.timeout,
                                     args.mechanism)
    if auth_error:
        report["login"] = {"ok": False, "mechanism": args.mechanism, "error": auth_error}
        client.disconnect()
        return report, EXIT_AUTH
    own = client.boundjid.bare
    report["login"] = {"ok": True, "mechanism": client.mechanism(), "bound": str(client.boundjid),
                       "tls": client.tls_info()}

    async def section(name, coro):
        try:
            report[name] = await coro
        except (IqError, IqTimeout) as exc:
            report[name] = None
            errors.append({"query": name, "error": iq_failure(exc)})
        except Exception as exc:  # a malformed answer: say so, go on with the next query
            report[name] = None
            errors.append({"query": name, "error": {"condition": "bad-answer", "text": str(exc)}})

    async def roster():
        answer = await client.iq("get", ET.Element(q(NS_ROSTER, "query")), timeout=args.timeout)
        items, ver = parse_roster(answer)
        report["roster_ver"] = ver
        return sorted(items, key=lambda i: i["jid"] or "")

    await section("roster", roster())

    if args.no_presence:
        report["presented"] = None
    else:
        # Initial presence: the server now presents pending subscription requests and
        # delivers offline messages.
        client.send_presence()
        await asyncio.sleep(args.collect)
        report["presented"] = {
            "subscribe": [describe_subscribe(p) for p in client.presences if p.get("type") == "subscribe"],
            "messages": [describe_message(m) for m in client.messages],
            "seconds": args.collect,
        }

    await section("mam", fetch_mam(client, own, args.mam_page, args.timeout))
    await section("mam_prefs", fetch_mam_prefs(client, args.timeout))
    await section("pep", fetch_pep(client, own, args.timeout, errors))
    await section("blocklist", fetch_blocklist(client, args.timeout))
    await section("vcard", fetch_vcard(client, args.timeout))
    await section("private", fetch_private(client, args.private or DEFAULT_PRIVATE, args.timeout))

    if args.peer_jid:
        peer = None
        try:
            peer, peer_auth = await login(args.peer_jid, args.peer_password, args.host, args.port,
                                          args.cafile, args.timeout, args.mechanism)
            if peer_auth:
                raise ProbeError(EXIT_QUERY, "peer %s: %s" % (args.peer_jid, peer_auth))
            peer.send_presence()
            await asyncio.sleep(0.5)
            report["block_checks"] = await block_checks(client, peer, args.block_wait)
        except ProbeError as exc:
            report["block_checks"] = None
            errors.append({"query": "block_checks", "error": {"condition": "peer-login", "text": str(exc)}})
        finally:
            if peer is not None:
                peer.disconnect()

    client.disconnect()
    try:
        await asyncio.wait_for(client.disconnected, 5)
    except (asyncio.TimeoutError, Exception):  # closing is best effort
        pass
    report["elapsed_s"] = round(time.monotonic() - started, 3)
    report["errors"] = report.pop("errors")  # last in the JSON
    return report, (EXIT_QUERY if errors else EXIT_OK)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="xmpp_probe.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring (the file's head) for the JSON fields and exit codes.")
    p.add_argument("--jid", required=True, help="the account, user@domain")
    p.add_argument("--password-file", help="the password is this file's first line")
    p.add_argument("--password-env", help="the password is in this environment variable")
    p.add_argument("--servers-env", help="servers.env of tests/servers/xporta-servers: "
                   "host, port and CA for the JID's domain")
    p.add_argument("--host", help="server address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="c2s port")
    p.add_argument("--cafile", help="CA certificate(s) to verify the server with")
    p.add_argument("--peer-jid", help="a second account, for the block checks")
    p.add_argument("--peer-password-file")
    p.add_argument("--peer-password-env")
    p.add_argument("--collect", type=float, default=3.0,
                   help="seconds to collect what is presented after the initial presence (3)")
    p.add_argument("--no-presence", action="store_true",
                   help="send no initial presence (offline messages stay on the server)")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds for the login and each query (20)")
    p.add_argument("--mam-page", type=int, default=50, help="MAM page size (50)")
    p.add_argument("--mechanism", default="SCRAM-SHA-1", choices=("SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"),
                   help="the only SASL mechanism to use, for the account and the peer (SCRAM-SHA-1)")
    p.add_argument("--private", action="append", metavar="{NS}NAME",
                   help="a private XML element to read (repeatable; default: %s)" % " ".join(DEFAULT_PRIVATE))
    p.add_argument("--block-wait", type=float, default=3.0,
                   help="seconds to wait for each block-check message (3)")
    p.add_argument("-o", "--output", help="write the JSON here instead of stdout")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr (-vv: XML too)")
    args = p.parse_args(argv)

    if "@" not in args.jid or "/" in args.jid:
        raise ProbeError(EXIT_USAGE, "--jid must be a bare user@domain, not %r" % args.jid)
    domain = args.jid.split("@", 1)[1]
    if args.servers_env:
        env = read_servers_env(args.servers_env)
        host, port = endpoint_from_env(env, domain)
        args.host = args.host or host
        args.port = args.port or port
        args.cafile = args.cafile or env.get("XPORTA_TEST_CAFILE")
    args.host = args.host or "127.0.0.1"
    if not args.port:
        raise ProbeError(EXIT_USAGE, "no port: give --port or --servers-env")
    if not args.cafile:
        raise ProbeError(EXIT_USAGE, "no CA file: give --cafile or --servers-env")
    if not os.path.isfile(args.cafile):
        raise ProbeError(EXIT_USAGE, "the CA file %s does not exist" % args.cafile)
    if args.mam_page < 1 or args.collect < 0 or args.timeout <= 0:
        raise ProbeError(EXIT_USAGE, "--mam-page, --collect and --timeout must be positive")
    args.password = read_password(args.password_file, args.password_env, "password")
    if args.peer_jid:
        args.peer_password = read_password(args.peer_password_file, args.peer_password_env,
                                           "peer password")
    elif args.peer_password_file or args.peer_password_env:
        raise ProbeError(EXIT_USAGE, "a peer password without --peer-jid")
    return args


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except ProbeError as exc:
        sys.stderr.write("xmpp_probe: error: %s\n" % exc)
        return exc.status
    level = logging.ERROR
    if args.verbose == 1:
        level = logging.INFO
    elif args.verbose > 1:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="xmpp_probe: %(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        # slixmpp logs a failed certificate check and SASL failures as errors; the JSON and
        # our own message say it once.
        logging.getLogger("slixmpp").setLevel(logging.CRITICAL)
    try:
        report, status = asyncio.run(run(args))
    except ProbeError as exc:
        sys.stderr.write("xmpp_probe: error: %s\n" % exc)
        report = {"jid": args.jid, "server": "%s:%s" % (args.host, args.port),
                  "login": {"ok": False, "error": str(exc)}}
        status = exc.status
    text = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    if status == EXIT_AUTH:
        sys.stderr.write("xmpp_probe: error: %s: login refused: %s\n" % (args.jid, report["login"]["error"]))
    elif status == EXIT_QUERY:
        sys.stderr.write("xmpp_probe: error: queries failed (%d): %s\n" % (
            len(report["errors"]), ", ".join(e["query"] for e in report["errors"])))
    return status


if __name__ == "__main__":
    sys.exit(main())
