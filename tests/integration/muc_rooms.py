#!/usr/bin/python3
"""muc_rooms: group-chat rooms made and read by a real, independent client.

The test harness of issue 13 (affiliations follow the user, room moves). Like
xmpp_probe.py (whose login and conventions it uses) it does not use xporta's
session layer, only Debian's python3-slixmpp: run it with /usr/bin/python3.

    muc_rooms.py setup --owner JID (--owner-password-file F | --owner-password-env V)
                       --service MUC_JID --spec SPEC.json [connection options]
    muc_rooms.py probe --jid JID (--password-file F | --password-env V)
                       --room ROOM_JID [--room ...] [--as-user] [--join NICK] [--mam]
    muc_rooms.py grant --jid JID (...) --room ROOM_JID --target JID
                       --affiliation owner|admin|member|none|outcast [--reason TEXT] [--nick N]
    muc_rooms.py destroy --jid JID (...) --room ROOM_JID [--alternate ROOM_JID]
                       [--reason TEXT] [--watch-jid JID (--watch-password-file F | ...)]
    muc_rooms.py disco --jid JID (...) --target JID [--target ...]
    muc_rooms.py bookmarks --jid JID (...) [--rooms ROOM:NICK:AUTOJOIN[:NAME],...]

Connection options (every subcommand): --servers-env FILE (servers.env of
tests/servers/xporta-servers: host, port and CA for the account's domain), or
--host/--port/--cafile; --timeout SECONDS (20, per query and for the login);
-o FILE; -v/-vv.

setup   The owner (an independent account) creates or re-configures each room of
        SPEC and leaves it:
          {"rooms": [{"name": "r-owner",            # or a full room JID
                      "nick": "boss",               # optional, default "setup"
                      "config": {"muc#roomconfig_membersonly": "1", ...},
                      "affiliations": {"old@old.localhost": "owner",
                                       "x@y": {"affiliation": "outcast", "reason": "spam",
                                               "nick": "x"}},
                      "subject": "hello",
                      "messages": ["first", "second"]}]}
        Config values: strings, booleans (-> "1"/"0"), numbers, lists (multi-value
        fields). muc#roomconfig_persistentroom is "1" unless SPEC says otherwise.
        The flow is XEP-0045 §10.1.3 (reserved room): presence with <x xmlns=muc/>,
        get the owner form, submit it with the SPEC fields (fields the service does not
        offer are reported, not sent), then the affiliations (one muc#admin IQ each),
        the subject and the messages (each waited for until the room reflects it), and
        leave. JSON per room: created (status 201), codes, fields_set, fields_missing,
        affiliations (ok or error per JID), subject, messages, and the errors.
probe   Per room, as the account: disco#info (identities, features, forms by
        FORM_TYPE; subject from muc#roominfo_subject when the service puts it there),
        the four affiliation lists (owner, admin, member, outcast: jid -> nick, reason,
        role where the server gives them), the owner form (config: var -> value(s),
        config_types: var -> field type). --join NICK enters the room first (history 0)
        and also records the subject message and the self-presence, then leaves.
        --mam: also the room's archive (XEP-0313 query to the room, paged by 50):
        "mam": {complete, count, messages: [{id, stamp, from, body}]}.
        --as-user: a non-owner account; the result says which lists it may read
        ("readable") and the error condition for each it may not. Errors are then the
        expected result, so they do not make the exit status 4.
grant   One muc#admin set: {ok} or the error (type, condition, text). With --check,
        reads the target's affiliation back as the room owner would not: only what the
        acting account may read.
destroy The room's owner destroys it (<destroy jid=ALTERNATE><reason/></destroy>).
        With --watch-jid, that account joins first and the JSON shows the presence it
        gets (the <destroy> element, status codes, item) and any message.
disco   disco#info and disco#items of each target (a server domain, a MUC service, a room).
bookmarks  With --rooms: publishes XEP-0402 bookmarks (node urn:xmpp:bookmarks:1,
        item id = room JID, publish-options persist_items, access_model whitelist,
        max_items max). Always: prints the XEP-0402 items, the XEP-0048 PEP node
        storage:bookmarks and the XEP-0049 private storage:bookmarks.

Passwords come from a file (its first line) or an environment variable, never
from the command line.

Exit status: 0 done; 1 login refused; 2 bad command line or SPEC; 3 no connection,
TLS or stream failure, or time-out before login; 4 logged in, but something failed
(see "errors" in the JSON).
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # importing xmpp_probe must leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xmpp_probe as xp  # noqa: E402  (login, passwords, servers.env, error parsing)
from xmpp_probe import ProbeError, q, bare, text_of, stanza_error, iq_failure  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.xmlstream import tostring  # noqa: E402

NS_CLIENT = "jabber:client"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = NS_MUC + "#user"
NS_MUC_ADMIN = NS_MUC + "#admin"
NS_MUC_OWNER = NS_MUC + "#owner"
NS_DATA = "jabber:x:data"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_PUBSUB_OWNER = NS_PUBSUB + "#owner"
NS_BOOKMARKS2 = "urn:xmpp:bookmarks:1"
NS_BOOKMARKS1 = "storage:bookmarks"
NS_PRIVATE = "jabber:iq:private"
AFFILIATIONS = ("owner", "admin", "member", "outcast")

EXIT_OK, EXIT_AUTH, EXIT_USAGE, EXIT_CONNECT, EXIT_QUERY = 0, 1, 2, 3, 4

log = logging.getLogger("muc_rooms")


# --- small helpers ------------------------------------------------------------------------

def lower_jid(jid):
    """Rooms and accounts compared case-insensitively in node and domain (not resource)."""
    b, slash, res = (jid or "").partition("/")
    return b.lower() + slash + res


def parse_form(x):
    """({var: value or [values]}, {var: type}) of a data form."""
    fields, types = {}, {}
    for field in x.findall(q(NS_DATA, "field")):
        var = field.get("var")
        if not var:
            continue
        values = [v.text or "" for v in field.findall(q(NS_DATA, "value"))]
        ftype = field.get("type") or "text-single"
        types[var] = ftype
        if ftype in ("list-multi", "jid-multi", "text-multi"):
            fields[var] = values
        else:
            fields[var] = values[0] if values else None
    return fields, types


def form_value(value):
    """SPEC value -> list of strings for <value/> elements."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["1" if value else "0"]
    if isinstance(value, (list, tuple)):
        return [form_value(v)[0] if not isinstance(v, str) else v for v in value]
    return [str(value)]


def muc_user_info(xml):
    """Status codes, item and destroy of a <presence>/<message>'s muc#user <x/>."""
    x = xml.find(q(NS_MUC_USER, "x"))
    if x is None:
        return {}
    out = {"codes": sorted(int(s.get("code")) for s in x.findall(q(NS_MUC_USER, "status"))
                           if (s.get("code") or "").isdigit())}
    item = x.find(q(NS_MUC_USER, "item"))
    if item is not None:
        out["item"] = {k: v for k, v in item.attrib.items()}
        reason = text_of(item, q(NS_MUC_USER, "reason"))
        if reason is not None:
            out["item"]["reason"] = reason
        actor = item.find(q(NS_MUC_USER, "actor"))
        if actor is not None:
            out["item"]["actor"] = dict(actor.attrib)
    destroy = x.find(q(NS_MUC_USER, "destroy"))
    if destroy is not None:
        out["destroy"] = {"jid": destroy.get("jid"),
                          "reason": text_of(destroy, q(NS_MUC_USER, "reason")),
                          "password": text_of(destroy, q(NS_MUC_USER, "password")),
                          "xml": tostring(destroy)}
    return out


async def wait_for(items, start, pred, timeout):
    """The first element of items[start:] for which pred is true, or None after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        for elem in items[start:]:
            if pred(elem):
                return elem
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.05)


class Failed(Exception):
    """A step failed; carries a JSON-able error."""

    def __init__(self, error):
        super().__init__(json.dumps(error))
        self.error = error


async def iq(client, type_, payload, to, timeout):
    try:
        return await client.iq(type_, payload, to=to, timeout=timeout)
    except (IqError, IqTimeout) as exc:
        raise Failed(iq_failure(exc))


# --- room operations ----------------------------------------------------------------------

async def join(client, room, nick, timeout, password=None):
    """Enter ROOM as NICK (XEP-0045 §7.2, no history). The self-presence, as a dict."""
    start = len(client.presences)
    pres = client.Presence()
    pres["to"] = "%s/%s" % (room, nick)
    x = ET.SubElement(pres.xml, q(NS_MUC, "x"))
    ET.SubElement(x, q(NS_MUC, "history"), {"maxstanzas": "0"})
    if password:
        ET.SubElement(x, q(NS_MUC, "password")).text = password
    pres.send()
    room_l = lower_jid(room)

    def mine(p):
        if lower_jid(bare(p.get("from"))) != room_l:
            return False
        if p.get("type") == "error":
            return True
        return 110 in muc_user_info(p).get("codes", [])

    got = await wait_for(client.presences, start, mine, timeout)
    if got is None:
        raise Failed({"condition": "timeout", "text": "no self-presence from %s" % room})
    if got.get("type") == "error":
        raise Failed(stanza_error(got))
    info = muc_user_info(got)
    info["nick"] = got.get("from", "").partition("/")[2]
    info["created"] = 201 in info.get("codes", [])
    return info


async def leave(client, room, nick, timeout):
    start = len(client.presences)
    pres = client.Presence()
    pres["to"] = "%s/%s" % (room, nick)
    pres["type"] = "unavailable"
    pres.send()
    room_l = lower_jid(room)
    got = await wait_for(client.presences, start, lambda p: lower_jid(bare(p.get("from"))) == room_l
                         and p.get("type") == "unavailable"
                         and 110 in muc_user_info(p).get("codes", []), timeout)
    return got is not None


async def get_config(client, room, timeout):
    answer = await iq(client, "get", ET.Element(q(NS_MUC_OWNER, "query")), room, timeout)
    x = answer.find(".//" + q(NS_DATA, "x"))
    if x is None:
        raise Failed({"condition": "bad-answer", "text": "owner query without a data form"})
    return parse_form(x)


async def submit_config(client, room, values, types, timeout):
    """Submit the owner form with VALUES (only fields the form has). -> (set, missing)."""
    query = ET.Element(q(NS_MUC_OWNER, "query"))
    x = ET.SubElement(query, q(NS_DATA, "x"), {"type": "submit"})
    ft = ET.SubElement(x, q(NS_DATA, "field"), {"var": "FORM_TYPE", "type": "hidden"})
    ET.SubElement(ft, q(NS_DATA, "value")).text = NS_MUC + "#roomconfig"
    sent, missing = {}, []
    for var, value in values.items():
        if var not in types:
            missing.append(var)
            continue
        field = ET.SubElement(x, q(NS_DATA, "field"), {"var": var})
        vals = form_value(value)
        for v in vals:
            ET.SubElement(field, q(NS_DATA, "value")).text = v
        sent[var] = vals if types[var].endswith("-multi") else (vals[0] if vals else None)
    await iq(client, "set", query, room, timeout)
    return sent, sorted(missing)


async def set_affiliation(client, room, jid, affiliation, timeout, reason=None, nick=None):
    query = ET.Element(q(NS_MUC_ADMIN, "query"))
    attrs = {"jid": jid, "affiliation": affiliation}
    if nick:
        attrs["nick"] = nick
    item = ET.SubElement(query, q(NS_MUC_ADMIN, "item"), attrs)
    if reason is not None:
        ET.SubElement(item, q(NS_MUC_ADMIN, "reason")).text = reason
    await iq(client, "set", query, room, timeout)


async def get_affiliation_list(client, room, affiliation, timeout):
    """{jid: {nick, reason, role, affiliation if other than asked}} of one list."""
    query = ET.Element(q(NS_MUC_ADMIN, "query"))
    ET.SubElement(query, q(NS_MUC_ADMIN, "item"), {"affiliation": affiliation})
    answer = await iq(client, "get", query, room, timeout)
    out = {}
    res = answer.find(q(NS_MUC_ADMIN, "query"))
    for item in (res.findall(q(NS_MUC_ADMIN, "item")) if res is not None else []):
        entry = {}
        for attr in ("nick", "role"):
            if item.get(attr):
                entry[attr] = item.get(attr)
        if item.get("affiliation") and item.get("affiliation") != affiliation:
            entry["affiliation"] = item.get("affiliation")
        reason = text_of(item, q(NS_MUC_ADMIN, "reason"))
        if reason is not None:
            entry["reason"] = reason
        out[item.get("jid") or ""] = entry
    return dict(sorted(out.items()))


async def disco_info(client, jid, timeout, node=None):
    query = ET.Element(q(NS_DISCO_INFO, "query"), {"node": node} if node else {})
    answer = await iq(client, "get", query, jid, timeout)
    res = answer.find(q(NS_DISCO_INFO, "query"))
    res = res if res is not None else ET.Element("none")
    forms = {}
    for x in res.findall(q(NS_DATA, "x")):
        fields, _ = parse_form(x)
        forms[fields.pop("FORM_TYPE", None) or ""] = fields
    return {
        "identities": sorted(({k: v for k, v in i.attrib.items()} for i in res.findall(q(NS_DISCO_INFO, "identity"))),
                             key=lambda d: (d.get("category", ""), d.get("type", ""))),
        "features": sorted(f.get("var") for f in res.findall(q(NS_DISCO_INFO, "feature"))),
        "forms": forms,
    }


async def disco_items(client, jid, timeout, node=None):
    query = ET.Element(q(NS_DISCO_ITEMS, "query"), {"node": node} if node else {})
    answer = await iq(client, "get", query, jid, timeout)
    res = answer.find(q(NS_DISCO_ITEMS, "query"))
    items = []
    for item in (res.findall(q(NS_DISCO_ITEMS, "item")) if res is not None else []):
        items.append({k: v for k, v in item.attrib.items()})
    return sorted(items, key=lambda d: (d.get("jid", ""), d.get("node", "")))


async def send_groupchat(client, room, timeout, body=None, subject=None, since=None):
    """Send to the room and wait until it reflects the message (same id) or bounces it.

    A subject counts as reflected when a subject message with that text arrived after
    client.messages[since] (Prosody does not broadcast a subject that does not change,
    but it sent the current one at the join)."""
    msg_id = "muc-rooms-" + uuid.uuid4().hex[:12]
    start = len(client.messages) if since is None or subject is None else since
    m = client.Message()
    m["to"], m["type"], m["id"] = room, "groupchat", msg_id
    if body is not None:
        m["body"] = body
    if subject is not None:
        ET.SubElement(m.xml, q(NS_CLIENT, "subject")).text = subject
    m.send()
    room_l = lower_jid(room)

    def answer(xml):
        if lower_jid(bare(xml.get("from"))) != room_l:
            return False
        if xml.get("type") == "error":
            return xml.get("id") == msg_id
        if xml.get("id") == msg_id:
            return True
        # Some services rewrite ids; a reflected subject is recognisable by its text.
        return subject is not None and text_of(xml, q(NS_CLIENT, "subject")) == subject
    got = await wait_for(client.messages, start, answer, timeout)
    if got is None:
        raise Failed({"condition": "timeout", "text": "the room did not reflect the message"})
    if got.get("type") == "error":
        raise Failed(stanza_error(got))
    return True


# --- subcommands --------------------------------------------------------------------------

def load_spec(path):
    try:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    except OSError as exc:
        raise ProbeError(EXIT_USAGE, "cannot read the spec %s: %s" % (path, exc.strerror))
    except ValueError as exc:
        raise ProbeError(EXIT_USAGE, "the spec %s is not JSON: %s" % (path, exc))
    rooms = spec.get("rooms") if isinstance(spec, dict) else None
    if not isinstance(rooms, list) or not rooms:
        raise ProbeError(EXIT_USAGE, "the spec %s has no \"rooms\" list" % path)
    for i, room in enumerate(rooms):
        if not isinstance(room, dict) or not isinstance(room.get("name"), str) or not room["name"]:
            raise ProbeError(EXIT_USAGE, "spec room %d has no \"name\"" % i)
        for key, kind in (("config", dict), ("affiliations", dict), ("messages", list)):
            if key in room and not isinstance(room[key], kind):
                raise ProbeError(EXIT_USAGE, "spec room %s: \"%s\" must be a %s" % (room["name"], key, kind.__name__))
        for jid, aff in room.get("affiliations", {}).items():
            a = aff.get("affiliation") if isinstance(aff, dict) else aff
            if a not in AFFILIATIONS + ("none",):
                raise ProbeError(EXIT_USAGE, "spec room %s: bad affiliation %r for %s" % (room["name"], a, jid))
    return rooms


async def setup_room(client, service, room_spec, timeout):
    name = room_spec["name"]
    room = name if "@" in name else "%s@%s" % (name, service)
    nick = room_spec.get("nick") or "setup"
    config = {"muc#roomconfig_persistentroom": "1"}
    config.update(room_spec.get("config", {}))
    out = {"room": room, "ok": False, "errors": []}
    password = config.get("muc#roomconfig_roomsecret") or None

    async def step(name, coro):
        try:
            return await coro
        except Failed as exc:
            out["errors"].append({"step": name, "error": exc.error})
            return None

    since = len(client.messages)
    joined = await step("join", join(client, room, nick, timeout, password=password if password else None))
    if joined is None:
        return out
    out["created"] = joined["created"]
    out["codes"] = joined.get("codes", [])
    out["self"] = joined.get("item")
    try:
        form = await step("get config", get_config(client, room, timeout))
        if form is None:
            return out
        sent_missing = await step("submit config", submit_config(client, room, config, form[1], timeout))
        if sent_missing is None:
            return out
        out["fields_set"], out["fields_missing"] = sent_missing
        if out["fields_missing"]:
            out["errors"].append({"step": "config", "error": {
                "condition": "fields-missing", "text": "the owner form has no field %s" % ", ".join(out["fields_missing"])}})
        out["affiliations"] = {}
        for jid, aff in room_spec.get("affiliations", {}).items():
            a = aff if isinstance(aff, str) else aff.get("affiliation")
            reason = aff.get("reason") if isinstance(aff, dict) else None
            anick = aff.get("nick") if isinstance(aff, dict) else None
            try:
                await set_affiliation(client, room, jid, a, timeout, reason=reason, nick=anick)
                out["affiliations"][jid] = {"affiliation": a, "ok": True}
            except Failed as exc:
                out["affiliations"][jid] = {"affiliation": a, "ok": False, "error": exc.error}
                out["errors"].append({"step": "affiliation %s %s" % (a, jid), "error": exc.error})
        if room_spec.get("subject") is not None:
            out["subject"] = await step("subject", send_groupchat(client, room, timeout, subject=room_spec["subject"],
                                                                    since=since)) or False
        sent = 0
        for body in room_spec.get("messages", []):
            if await step("message %d" % (sent + 1), send_groupchat(client, room, timeout, body=str(body))):
                sent += 1
        out["messages"] = sent
    finally:
        out["left"] = await leave(client, room, joined.get("nick") or nick, timeout)
        if not out["left"]:
            out["errors"].append({"step": "leave", "error": {"condition": "timeout"}})
    out["ok"] = not out["errors"]
    return out


async def cmd_setup(client, args, report):
    service = args.service
    report["service"] = service
    report["rooms"] = []
    for room_spec in args.rooms:
        res = await setup_room(client, service, room_spec, args.timeout)
        report["rooms"].append(res)
        for e in res["errors"]:
            report["errors"].append(dict(e, room=res["room"]))
    # Persistence check: the rooms answer disco#info with nobody in them.
    await asyncio.sleep(0.3)
    for res in report["rooms"]:
        try:
            info = await disco_info(client, res["room"], args.timeout)
            res["persistent"] = "muc_persistent" in info["features"]
            if not res["persistent"]:
                report["errors"].append({"room": res["room"], "step": "persistence",
                                         "error": {"condition": "not-persistent", "text": "disco#info lacks muc_persistent"}})
        except Failed as exc:
            res["persistent"] = False
            report["errors"].append({"room": res["room"], "step": "persistence", "error": exc.error})


async def probe_room(client, room, args, as_user):
    out = {"room": room, "errors": []}

    async def part(name, coro):
        try:
            return await coro
        except Failed as exc:
            out["errors"].append({"query": name, "error": exc.error})
            return None

    out["disco_info"] = await part("disco#info", disco_info(client, room, args.timeout))
    roominfo = (out["disco_info"] or {}).get("forms", {}).get(NS_MUC + "#roominfo")
    if roominfo and "muc#roominfo_subject" in roominfo:
        out["subject"] = {"text": roominfo["muc#roominfo_subject"], "source": "muc#roominfo_subject"}
    joined = None
    if args.join:
        start = len(client.messages)
        joined = await part("join", join(client, room, args.join, args.timeout))
        if joined is not None:
            out["joined"] = joined
            got = await wait_for(client.messages, start, lambda m: lower_jid(bare(m.get("from"))) == lower_jid(room)
                                 and m.find(q(NS_CLIENT, "subject")) is not None, min(args.timeout, 3))
            if got is not None:
                out["subject"] = {"text": text_of(got, q(NS_CLIENT, "subject")) or "",
                                  "from": got.get("from"), "source": "join"}
    out["affiliations"] = {}
    readable = {}
    for aff in AFFILIATIONS:
        try:
            out["affiliations"][aff] = await get_affiliation_list(client, room, aff, args.timeout)
            readable[aff] = True
        except Failed as exc:
            out["affiliations"][aff] = None
            readable[aff] = exc.error
            out["errors"].append({"query": "affiliation list %s" % aff, "error": exc.error})
    if as_user:
        out["readable"] = {a: (v is True) for a, v in readable.items()}
        out["list_errors"] = {a: v.get("condition") for a, v in readable.items() if v is not True}
    form = await part("owner form", get_config(client, room, args.timeout))
    out["config"], out["config_types"] = form if form else (None, None)
    if joined is not None:
        out["left"] = await leave(client, room, joined["nick"], args.timeout)
    return out


async def room_mam(client, room, timeout, page=50):
    """The room's whole MAM archive, oldest first (XEP-0313 §4 on a room JID)."""
    messages, last, count, complete, pages = [], None, None, False, 0
    while True:
        query_id = "room-mam-%d" % pages
        query = ET.Element(q(xp.NS_MAM, "query"), {"queryid": query_id})
        rsm = ET.SubElement(query, q(xp.NS_RSM, "set"))
        ET.SubElement(rsm, q(xp.NS_RSM, "max")).text = str(page)
        if last is not None:
            ET.SubElement(rsm, q(xp.NS_RSM, "after")).text = last
        answer = await iq(client, "set", query, room, timeout)
        pages += 1
        results = client.mam_results.pop(query_id, [])
        for result in results:
            fwd = result.find(q(xp.NS_FORWARD, "forwarded"))
            msg = fwd.find(q(NS_CLIENT, "message")) if fwd is not None else None
            delay = fwd.find(q(xp.NS_DELAY, "delay")) if fwd is not None else None
            messages.append({
                "id": result.get("id"),
                "stamp": delay.get("stamp") if delay is not None else None,
                "from": msg.get("from") if msg is not None else None,
                "body": text_of(msg, q(NS_CLIENT, "body")) if msg is not None else None,
            })
        fin = answer.find(q(xp.NS_MAM, "fin"))
        if fin is None:
            raise Failed({"condition": "no-fin", "text": "MAM answer without <fin/>"})
        complete = fin.get("complete") in ("true", "1")
        rset = fin.find(q(xp.NS_RSM, "set"))
        if rset is not None and text_of(rset, q(xp.NS_RSM, "count")) is not None:
            count = int(text_of(rset, q(xp.NS_RSM, "count")))
        new_last = text_of(rset, q(xp.NS_RSM, "last")) if rset is not None else None
        if complete or not results or new_last is None or new_last == last:
            break
        last = new_last
    return {"complete": complete, "count": count, "messages": messages}


async def cmd_probe(client, args, report):
    report["as_user"] = args.as_user
    report["rooms"] = {}
    for room in args.room:
        res = await probe_room(client, room, args, args.as_user)
        if args.mam:
            try:
                res["mam"] = await room_mam(client, room, args.timeout)
            except Failed as exc:
                res["mam"] = None
                res["errors"].append({"query": "mam", "error": exc.error})
        report["rooms"][room] = res
        if not args.as_user:
            for e in res["errors"]:
                report["errors"].append(dict(e, room=room))
        elif res.get("disco_info") is None and not any(res["readable"].values()):
            pass  # a user that may see nothing at all: still the answer asked for


async def cmd_grant(client, args, report):
    report.update({"room": args.room, "target": args.target, "affiliation": args.affiliation})
    try:
        await set_affiliation(client, args.room, args.target, args.affiliation, args.timeout,
                              reason=args.reason, nick=args.nick)
        report["ok"] = True
    except Failed as exc:
        report["ok"] = False
        report["error"] = exc.error
        if not args.expect_error:
            report["errors"].append({"query": "grant", "error": exc.error})
    if args.expect_error and report["ok"]:
        report["errors"].append({"query": "grant", "error": {"condition": "unexpected-success"}})


async def cmd_destroy(client, args, report):
    report.update({"room": args.room, "alternate": args.alternate, "reason": args.reason})
    watcher = None
    try:
        if args.watch_jid:
            watcher = await connect(args.watch_jid, args.watch_password, args)
            try:
                report["watch_join"] = await join(watcher, args.room, args.watch_nick, args.timeout)
            except Failed as exc:
                report["errors"].append({"query": "watcher join", "error": exc.error})
                watcher.disconnect()
                watcher = None
        wp, wm = (len(watcher.presences), len(watcher.messages)) if watcher else (0, 0)
        query = ET.Element(q(NS_MUC_OWNER, "query"))
        destroy = ET.SubElement(query, q(NS_MUC_OWNER, "destroy"), {"jid": args.alternate} if args.alternate else {})
        if args.reason is not None:
            ET.SubElement(destroy, q(NS_MUC_OWNER, "reason")).text = args.reason
        report["sent"] = tostring(query)
        try:
            await iq(client, "set", query, args.room, args.timeout)
            report["ok"] = True
        except Failed as exc:
            report["ok"] = False
            report["errors"].append({"query": "destroy", "error": exc.error})
        if watcher is not None:
            room_l = lower_jid(args.room)
            # ejabberd first sends a bare unavailable presence from the room's bare JID, then
            # the one from ROOM/NICK with the <destroy/> (and no status 110).
            got = await wait_for(watcher.presences, wp, lambda p: lower_jid(bare(p.get("from"))) == room_l
                                 and p.get("type") == "unavailable" and "destroy" in muc_user_info(p),
                                 args.timeout if report["ok"] else 1)
            await asyncio.sleep(0.5)  # anything the room sends after that presence
            report["watcher_saw"] = {
                "presence": tostring(got) if got is not None else None,
                "muc_user": muc_user_info(got) if got is not None else None,
                "presences": [tostring(p) for p in watcher.presences[wp:]
                              if lower_jid(bare(p.get("from"))) == room_l],
                "messages": [tostring(m) for m in watcher.messages[wm:]
                             if lower_jid(bare(m.get("from"))) == room_l],
            }
            if got is None and report["ok"]:
                report["errors"].append({"query": "watcher", "error": {"condition": "timeout",
                                         "text": "the occupant got no presence with <destroy/>"}})
        try:
            report["after"] = await disco_info(client, args.room, args.timeout)
        except Failed as exc:
            report["after"] = {"error": exc.error}
        if watcher is not None and report["ok"]:
            # What a client that still has the room bookmarked gets when it joins again.
            start = len(watcher.presences)
            try:
                report["rejoin"] = {"joined": await join(watcher, args.room, args.watch_nick, args.timeout)}
                await leave(watcher, args.room, args.watch_nick, args.timeout)
            except Failed as exc:
                report["rejoin"] = {"error": exc.error}
            err = next((p for p in watcher.presences[start:] if p.get("type") == "error"), None)
            if err is not None:
                report["rejoin"]["presence"] = tostring(err)
    finally:
        if watcher is not None:
            watcher.disconnect()


async def cmd_watch(client, args, report):
    """An occupant waiting for the room to be destroyed: what it was told."""
    report.update({"room": args.room, "joined": False, "destroy": None})
    try:
        await join(client, args.room, args.nick, args.timeout)
        report["joined"] = True
    except Failed as exc:
        report["errors"].append({"query": "join", "error": exc.error})
        return
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("joined\n")
    room_l = lower_jid(args.room)
    got = await wait_for(client.presences, 0, lambda p: lower_jid(bare(p.get("from"))) == room_l
                         and p.get("type") == "unavailable" and "destroy" in muc_user_info(p),
                         args.wait)
    if got is None:
        report["errors"].append({"query": "watch", "error": {"condition": "timeout",
                                 "text": "no presence with <destroy/> within %ss" % args.wait}})
        return
    d = got.find(q(NS_MUC_USER, "x"))
    d = d.find(q(NS_MUC_USER, "destroy")) if d is not None else None
    report["destroy"] = {"jid": d.get("jid") if d is not None else None,
                         "reason": text_of(d, q(NS_MUC_USER, "reason"))}


async def cmd_disco(client, args, report):
    report["targets"] = {}
    for target in args.target:
        entry = {}
        for kind, fn in (("info", disco_info), ("items", disco_items)):
            try:
                entry[kind] = await fn(client, target, args.timeout)
            except Failed as exc:
                entry[kind] = None
                entry[kind + "_error"] = exc.error
                report["errors"].append({"query": "disco#%s %s" % (kind, target), "error": exc.error})
        report["targets"][target] = entry


def parse_bookmark_specs(text):
    out = []
    for part in [p for p in (text or "").split(",") if p.strip()]:
        fields = part.strip().split(":")
        if len(fields) < 3 or "@" not in fields[0] or fields[2].lower() not in ("true", "false", "1", "0"):
            raise ProbeError(EXIT_USAGE, "--rooms: %r is not ROOM:NICK:AUTOJOIN[:NAME]" % part)
        out.append({"jid": fields[0], "nick": fields[1] or None,
                    "autojoin": fields[2].lower() in ("true", "1"),
                    "name": ":".join(fields[3:]) or None})
    return out


async def publish_bookmark(client, own, bm, timeout, max_items=True):
    ps = ET.Element(q(NS_PUBSUB, "pubsub"))
    pub = ET.SubElement(ps, q(NS_PUBSUB, "publish"), {"node": NS_BOOKMARKS2})
    item = ET.SubElement(pub, q(NS_PUBSUB, "item"), {"id": bm["jid"]})
    attrs = {"autojoin": "true" if bm["autojoin"] else "false"}
    if bm["name"]:
        attrs["name"] = bm["name"]
    conf = ET.SubElement(item, q(NS_BOOKMARKS2, "conference"), attrs)
    if bm["nick"]:
        ET.SubElement(conf, q(NS_BOOKMARKS2, "nick")).text = bm["nick"]
    opts = ET.SubElement(ps, q(NS_PUBSUB, "publish-options"))
    x = ET.SubElement(opts, q(NS_DATA, "x"), {"type": "submit"})
    options = [("FORM_TYPE", NS_PUBSUB + "#publish-options"), ("pubsub#persist_items", "true"),
               ("pubsub#access_model", "whitelist")]
    if max_items:
        options.append(("pubsub#max_items", "max"))
    for var, value in options:
        f = ET.SubElement(x, q(NS_DATA, "field"), {"var": var})
        if var == "FORM_TYPE":
            f.set("type", "hidden")
        ET.SubElement(f, q(NS_DATA, "value")).text = value
    await iq(client, "set", ps, own, timeout)


async def raise_max_items(client, own, timeout):
    """Set pubsub#max_items of the bookmarks node to "max", else 1000; the value set."""
    errors = []
    for value in ("max", "1000"):
        ps = ET.Element(q(NS_PUBSUB_OWNER, "pubsub"))
        conf = ET.SubElement(ps, q(NS_PUBSUB_OWNER, "configure"), {"node": NS_BOOKMARKS2})
        x = ET.SubElement(conf, q(NS_DATA, "x"), {"type": "submit"})
        for var, val in (("FORM_TYPE", NS_PUBSUB + "#node_config"), ("pubsub#max_items", value)):
            f = ET.SubElement(x, q(NS_DATA, "field"), {"var": var})
            ET.SubElement(f, q(NS_DATA, "value")).text = val
        try:
            await iq(client, "set", ps, own, timeout)
            return {"value": value, "refused": errors}
        except Failed as exc:
            errors.append({"value": value, "error": exc.error})
    raise Failed({"condition": "max-items", "text": "the node keeps max_items 1: %s" % json.dumps(errors)})


async def read_pep_items(client, own, node, timeout):
    ps = ET.Element(q(NS_PUBSUB, "pubsub"))
    ET.SubElement(ps, q(NS_PUBSUB, "items"), {"node": node})
    try:
        answer = await iq(client, "get", ps, own, timeout)
    except Failed as exc:
        if exc.error.get("condition") == "item-not-found":
            return []
        raise
    return list(answer.iter(q(NS_PUBSUB, "item")))


def describe_conference(conf, jid_attr=None):
    if conf is None:
        return None
    out = {"autojoin": conf.get("autojoin") in ("true", "1"), "name": conf.get("name")}
    if jid_attr:
        out["jid"] = conf.get("jid")
    ns = conf.tag[1:].partition("}")[0]
    out["nick"] = text_of(conf, q(ns, "nick"))
    password = text_of(conf, q(ns, "password"))
    if password is not None:
        out["password"] = password
    extra = [tostring(c) for c in conf if c.tag not in (q(ns, "nick"), q(ns, "password"))]
    if extra:
        out["extensions"] = extra
    return out


async def cmd_bookmarks(client, args, report):
    own = client.boundjid.bare
    published = []
    max_items = True
    for bm in parse_bookmark_specs(args.rooms):
        try:
            try:
                await publish_bookmark(client, own, bm, args.timeout, max_items)
            except Failed as exc:
                # ejabberd 23.01 does not know the publish option pubsub#max_items
                # (resource-constraint "Unknown field"): publish without it, and say so.
                if not max_items or "pubsub#max_items" not in (exc.error.get("text") or ""):
                    raise
                report["max_items_refused"] = exc.error
                max_items = False
                await publish_bookmark(client, own, bm, args.timeout, max_items)
                # Without the option, ejabberd makes the node with max_items 1, so the next
                # item would replace this one: raise it in the node configuration.
                report["node_max_items"] = await raise_max_items(client, own, args.timeout)
            published.append(bm["jid"])
        except Failed as exc:
            report["errors"].append({"query": "publish %s" % bm["jid"], "error": exc.error})
    report["published"] = published
    try:
        items = await read_pep_items(client, own, NS_BOOKMARKS2, args.timeout)
        report["bookmarks2"] = {it.get("id"): describe_conference(it.find(q(NS_BOOKMARKS2, "conference")))
                                for it in items}
    except Failed as exc:
        report["bookmarks2"] = None
        report["errors"].append({"query": "pep %s" % NS_BOOKMARKS2, "error": exc.error})
    for key, reader in (("bookmarks1_pep", lambda: read_pep_items(client, own, NS_BOOKMARKS1, args.timeout)),
                        ("bookmarks1_private", lambda: read_private_bookmarks(client, args.timeout))):
        try:
            confs = []
            for elem in await reader():
                for conf in elem.iter(q(NS_BOOKMARKS1, "conference")):
                    confs.append(describe_conference(conf, jid_attr=True))
            report[key] = confs
        except Failed as exc:
            report[key] = None
            report["errors"].append({"query": key, "error": exc.error})


async def read_private_bookmarks(client, timeout):
    query = ET.Element(q(NS_PRIVATE, "query"))
    ET.SubElement(query, q(NS_BOOKMARKS1, "storage"))
    answer = await iq(client, "get", query, None, timeout)
    return [s for s in answer.iter(q(NS_BOOKMARKS1, "storage"))]


# --- main ---------------------------------------------------------------------------------

async def connect(jid, password, args):
    host, port = args.endpoint(jid)
    client, auth_error = await xp.login(jid, password, host, port, args.cafile, args.timeout)
    if auth_error:
        client.disconnect()
        raise ProbeError(EXIT_AUTH, "%s: login refused: %s" % (jid, auth_error))
    return client


async def run(args):
    report = {"command": args.command, "jid": args.jid, "errors": []}
    started = time.monotonic()
    client = await connect(args.jid, args.password, args)
    report["bound"] = str(client.boundjid)
    try:
        # An initial presence: some services (ejabberd) only answer presence-based joins
        # of available resources; nothing here depends on roster pushes.
        client.send_presence(ppriority=-1)
        await asyncio.sleep(0.2)
        await {"setup": cmd_setup, "probe": cmd_probe, "grant": cmd_grant, "destroy": cmd_destroy,
               "disco": cmd_disco, "bookmarks": cmd_bookmarks, "watch": cmd_watch}[args.command](client, args, report)
    except Exception as exc:  # a malformed answer or a bug: report it as JSON, exit 4
        log.debug("failure", exc_info=True)
        report["errors"].append({"query": args.command, "error": {"condition": "internal", "text": repr(exc)}})
    finally:
        client.disconnect()
        try:
            await asyncio.wait_for(client.disconnected, 5)
        except Exception:  # closing is best effort
            pass
    report["elapsed_s"] = round(time.monotonic() - started, 3)
    report["errors"] = report.pop("errors")
    return report, (EXIT_QUERY if report["errors"] else EXIT_OK)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="muc_rooms.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the module docstring for the JSON and exit codes.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, who="jid"):
        if who == "owner":
            sp.add_argument("--owner", dest="jid", required=True, help="the room owner, user@domain")
            sp.add_argument("--owner-password-file", dest="password_file")
            sp.add_argument("--owner-password-env", dest="password_env")
        else:
            sp.add_argument("--jid", required=True, help="the account, user@domain")
            sp.add_argument("--password-file", help="the password is this file's first line")
            sp.add_argument("--password-env", help="the password is in this environment variable")
        sp.add_argument("--servers-env", help="servers.env of tests/servers/xporta-servers")
        sp.add_argument("--host")
        sp.add_argument("--port", type=int)
        sp.add_argument("--cafile")
        sp.add_argument("--timeout", type=float, default=20.0)
        sp.add_argument("-o", "--output")
        sp.add_argument("-v", "--verbose", action="count", default=0)

    sp = sub.add_parser("setup", help="create and configure rooms from a SPEC")
    common(sp, "owner")
    sp.add_argument("--service", required=True, help="the MUC service, e.g. conference.old.localhost")
    sp.add_argument("--spec", required=True, help="the rooms, as JSON")

    sp = sub.add_parser("probe", help="read rooms: disco#info, affiliation lists, owner form")
    common(sp)
    sp.add_argument("--room", action="append", required=True)
    sp.add_argument("--as-user", action="store_true", help="record what this account may read")
    sp.add_argument("--join", metavar="NICK", help="enter the room first (records the subject)")
    sp.add_argument("--mam", action="store_true", help="also read the room's archive (XEP-0313)")

    sp = sub.add_parser("grant", help="one muc#admin affiliation change")
    common(sp)
    sp.add_argument("--room", required=True)
    sp.add_argument("--target", required=True)
    sp.add_argument("--affiliation", required=True, choices=AFFILIATIONS + ("none",))
    sp.add_argument("--reason")
    sp.add_argument("--nick")
    sp.add_argument("--expect-error", action="store_true", help="a refusal is the expected outcome (exit 0)")

    sp = sub.add_parser("destroy", help="destroy a room, optionally watched by an occupant")
    common(sp)
    sp.add_argument("--room", required=True)
    sp.add_argument("--alternate", help="the alternate venue (room JID)")
    sp.add_argument("--reason")
    sp.add_argument("--watch-jid")
    sp.add_argument("--watch-password-file")
    sp.add_argument("--watch-password-env")
    sp.add_argument("--watch-nick", default="watcher")

    sp = sub.add_parser("watch", help="be in a room until it is destroyed")
    common(sp)
    sp.add_argument("--room", required=True)
    sp.add_argument("--nick", default="watcher")
    sp.add_argument("--wait", type=float, default=60.0)
    sp.add_argument("--ready", help="a file written once the account is in the room")

    sp = sub.add_parser("disco", help="disco#info and #items of JIDs")
    common(sp)
    sp.add_argument("--target", action="append", required=True)

    sp = sub.add_parser("bookmarks", help="publish (--rooms) and read XEP-0402/0048 bookmarks")
    common(sp)
    sp.add_argument("--rooms", help="ROOM:NICK:AUTOJOIN[:NAME],...")

    args = p.parse_args(argv)
    if "@" not in args.jid or "/" in args.jid:
        raise ProbeError(EXIT_USAGE, "the account must be a bare user@domain, not %r" % args.jid)
    env = xp.read_servers_env(args.servers_env) if args.servers_env else None
    if env:
        args.cafile = args.cafile or env.get("XPORTA_TEST_CAFILE")

    def endpoint(jid):
        if args.port:
            return args.host or "127.0.0.1", args.port
        if env is None:
            raise ProbeError(EXIT_USAGE, "no port: give --port or --servers-env")
        host, port = xp.endpoint_from_env(env, jid.split("@", 1)[1])
        return args.host or host, port
    args.endpoint = endpoint
    endpoint(args.jid)
    if not args.cafile or not os.path.isfile(args.cafile):
        raise ProbeError(EXIT_USAGE, "no CA file (give --cafile or --servers-env): %s" % args.cafile)
    if args.timeout <= 0:
        raise ProbeError(EXIT_USAGE, "--timeout must be positive")
    args.password = xp.read_password(args.password_file, args.password_env, "password")
    if args.command == "setup":
        args.rooms = load_spec(args.spec)
    if args.command == "destroy":
        if args.watch_jid:
            args.watch_password = xp.read_password(args.watch_password_file, args.watch_password_env,
                                                   "watch password")
        elif args.watch_password_file or args.watch_password_env:
            raise ProbeError(EXIT_USAGE, "a watch password without --watch-jid")
    if args.command == "bookmarks":
        parse_bookmark_specs(args.rooms)
    return args


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except ProbeError as exc:
        sys.stderr.write("muc_rooms: error: %s\n" % exc)
        return exc.status
    level = {0: logging.ERROR, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="muc_rooms: %(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        logging.getLogger("slixmpp").setLevel(logging.CRITICAL)
    try:
        report, status = asyncio.run(run(args))
    except ProbeError as exc:
        report = {"command": args.command, "jid": args.jid, "login": {"ok": False, "error": str(exc)}}
        status = exc.status
        sys.stderr.write("muc_rooms: error: %s\n" % exc)
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        with open(args.output + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(args.output + ".tmp", args.output)
    else:
        sys.stdout.write(text)
    if status == EXIT_QUERY:
        sys.stderr.write("muc_rooms: error: %d failure(s): %s\n" % (
            len(report["errors"]), ", ".join(str(e.get("step") or e.get("query")) for e in report["errors"])))
    return status


if __name__ == "__main__":
    sys.exit(main())
