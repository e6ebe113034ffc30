#!/usr/bin/python3
"""probe_compare.py BEFORE.json AFTER.json DOMAIN [--no-nick]

What an independent client (xmpp_probe.py) sees of alice@DOMAIN after a
server-side move, against what it saw before (the server the data came
from): the old password works (SCRAM-SHA-1), every query is answered, the
roster with every subscription state, MAM with the same ids, times and
order, MAM preferences, PEP nodes with their access models and items, the
blocklist, grace's pending request presented with its status (and nick,
unless --no-nick: ejabberd keeps the status only), the offline messages
delivered at login, the blocklist enforced both ways (when the probe ran
with a peer).  Prints a line per check; exit 1 when one fails.

With --map OLD=NEW (repeatable), JIDs of BEFORE are renamed first (a move
with a host rename).  With --new-ids, MAM ids need not be the same (a
server that makes its own, as ejabberd's timestamps): times, order and
content still must.  With --whole-seconds, MAM times are compared to the
second (Prosody 0.12 keeps whole seconds; ejabberd microseconds).  With
--mechanism M, the login must have used M (default SCRAM-SHA-1).  Private
XML is compared when both probes read it; the vcard-temp answer only with
--vcard (Prosody serves vcard-temp made from PEP vcard4, ejabberd its own
vcard store: across the two they differ by design).  With --ignore-node
NODE (repeatable), BEFORE's PEP node NODE need not be the same after
(Prosody's storage:bookmarks is made from XEP-0402 bookmarks on request,
not stored).
"""
import json
import sys
import xml.etree.ElementTree as ET

args = sys.argv[1:]
no_nick = "--no-nick" in args
new_ids = "--new-ids" in args
whole_seconds = "--whole-seconds" in args
want_vcard = "--vcard" in args
mechanism = "SCRAM-SHA-1"
ignore_nodes = []
maps = []
rest = []
i = 0
while i < len(args):
    if args[i] == "--map":
        maps.append(args[i + 1].split("=", 1))
        i += 2
        continue
    if args[i] == "--ignore-node":
        ignore_nodes.append(args[i + 1])
        i += 2
        continue
    if args[i] == "--mechanism":
        mechanism = args[i + 1]
        i += 2
        continue
    if not args[i].startswith("--"):
        rest.append(args[i])
    i += 1
before_f, after_f, D = rest[:3]
text = open(before_f).read()
for old, new in maps:
    text = text.replace("@" + old, "@" + new).replace('"' + old + '"', '"' + new + '"')
before, after = json.loads(text), json.load(open(after_f))
fails = []


def check(cond, what):
    print("%s  %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        fails.append(what)


check(after["login"]["ok"] and after["login"]["mechanism"] == mechanism,
      "alice logs in with the old password, %s" % mechanism)
check(not after["errors"], "every query answered %s" % (after["errors"] or ""))


def roster(p):
    return sorted((i["jid"], i["name"], i["subscription"], i["ask"], tuple(sorted(i["groups"])))
                  for i in p["roster"] or [])


check(roster(before) == roster(after), "the roster: %s" % roster(after))
fields = ("stamp", "with", "from", "to", "type", "message_id", "body") + (() if new_ids else ("id",))


def stamp(m, f):
    v = m.get(f)
    if f == "stamp" and whole_seconds and v and "." in v:
        v = v.split(".", 1)[0] + "Z"  # 2026-01-02T03:04:05.123456Z -> ...05Z
    return v


def mam(p):
    return [tuple(stamp(m, f) for f in fields) for m in (p["mam"] or {"messages": []})["messages"]]


b, a = mam(before), mam(after)
check(len(b) >= 20 and a[:len(b)] == b,
      "MAM: %d messages, the same %stimes, content and order (%d after)"
      % (len(b), "" if new_ids else "ids, ", len(a)))
if len(b) != len(a) or a[:len(b)] != b:
    for x, y in zip(b, a):
        if x != y:
            print("   before", x, "\n   after ", y)
            break
check(after["mam"] and after["mam"]["complete"], "MAM: complete")
check(before["mam_prefs"] == after["mam_prefs"], "MAM preferences %s" % after["mam_prefs"])


def canon(xml):
    return ET.canonicalize(xml) if xml else xml


def pep(p):
    return {n["node"]: (n["access_model"], sorted((i["id"], canon(i["payload"])) for i in n["items"] or []))
            for n in p["pep"] or []}


pb, pa = pep(before), pep(after)
for node, (model, items) in sorted(pb.items()):
    if node in ignore_nodes:
        print("      PEP %s: not compared (%s after)" % (node, pa.get(node)))
        continue
    got = pa.get(node)
    check(got is not None and got[0] == model and got[1] == items,
          "PEP %s: access model %s, %d item(s)" % (node, got and got[0], len(got[1]) if got else 0))
check(set(pb) <= set(pa), "PEP: every node (%s more)" % sorted(set(pa) - set(pb)))
check(sorted(before["blocklist"]) == sorted(after["blocklist"]) and after["blocklist"],
      "blocklist %s" % after["blocklist"])
if before.get("private") is not None and "private" in after:
    check(before["private"] == after["private"] and any(after["private"].values()),
          "private XML: %s" % sorted(k for k, v in (after["private"] or {}).items() if v))
if want_vcard:
    check(before.get("vcard") and before.get("vcard") == after.get("vcard"), "vcard-temp: the same")
pr = after["presented"]
subs = [s for s in pr["subscribe"] if s["from"] == "grace@" + D]
check(len(subs) == 1 and subs[0]["status"] == "Hi Alice, it is Grace" and
      (no_nick or subs[0]["nick"] == "Grace H."),
      "the pending request from grace presented at login, with its status%s" % ("" if no_nick else " and nick"))
check([m for m in pr["messages"] if m.get("delay", {}).get("stamp") and m["body"] == "while you were away"],
      "offline messages delivered at login: %s" % [m["body"] for m in pr["messages"]])
bc = after.get("block_checks")
if bc:
    check(not bc["from_peer"]["delivered"] and bc["from_peer"]["error"] is not None,
          "a message from the blocked JID is refused")
    check(not bc["to_peer"]["delivered"] and bc["to_peer"]["error"] is not None,
          "a message to the blocked JID is refused")
sys.exit(1 if fails else 0)
