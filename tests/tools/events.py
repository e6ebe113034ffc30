#!/usr/bin/python3
"""Checks a --json event stream (xporta(1), JSON EVENTS).

    events.py FILE COMMAND EXIT [EXPR...]

FILE holds a command's standard output.  Every line must be one JSON
object with "v": 1 and a known "event"; the first is the command's
"start", the last its "summary" (and they come once each), with "exit"
EXIT and "ok" true exactly when EXIT is 0.  Each EXPR is then evaluated
with `ev` (the objects), `start`, `s` (the summary), `by(name)` (the
objects of an event), `kind(name)` (the summary's entry for a kind, {} when
absent) and the json module;
a false one fails, printed with the values it saw.
"""
import json
import sys

EVENTS = {"start", "progress", "item", "refused", "account", "contact",
          "room", "note", "summary"}


def main():
    path, command, code = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # strict: the stream is valid UTF-8
    ev = []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        o = json.loads(line)
        assert isinstance(o, dict), "line %d is no object" % n
        assert o.get("v") == 1, "line %d: v is %r" % (n, o.get("v"))
        assert o.get("event") in EVENTS, "line %d: event %r" % (n, o.get("event"))
        ev.append(o)
    assert text.endswith("\n") or not text, "the last line is not ended"
    names = [o["event"] for o in ev]
    assert names and names[0] == "start" and names[-1] == "summary", names
    assert names.count("start") == 1 and names.count("summary") == 1, names
    start, s = ev[0], ev[-1]
    assert start["command"] == command and s["command"] == command, (start, s)
    assert s["exit"] == code, "exit %r, want %d: %r" % (s["exit"], code, s)
    assert s["ok"] == (code == 0), s
    assert ("error" in s) == (not s["ok"]), s
    assert isinstance(s["kinds"], dict), s

    def by(name):
        return [o for o in ev if o["event"] == name]

    def kind(name):
        return s["kinds"].get(name, {})

    for expr in sys.argv[4:]:
        if not eval(expr, {"ev": ev, "s": s, "by": by, "kind": kind,
                           "start": start, "json": json}):
            sys.exit("false: %s\n  summary: %s" % (expr, json.dumps(s)))


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, ValueError, KeyError) as e:
        sys.exit("%s: %s: %r" % (sys.argv[1], type(e).__name__, e))
