#!/usr/bin/env python3
"""bench/export/rawclient.py: the ceiling for `xporta export`'s archive.

A minimal client with nothing but the standard library (socket, ssl,
xml.parsers.expat): STARTTLS with the certificate verified, SASL PLAIN,
bind, then the whole MAM archive over RANGES disjoint time ranges, all in
flight at once, pages of 250, each range asking for its next page as soon
as its <fin> arrives.  Results are parsed (expat) and counted, nothing is
written: what the server can deliver, not what a careful exporter can.

    rawclient.py HOST PORT JID PASSWORD_FILE CAFILE [RANGES [PAGE]]

Prints one line: messages, seconds of the archive (from the first MAM query
to the last <fin>), seconds of the whole run, messages/s of the archive.
"""
import base64
import socket
import ssl
import sys
import time
import xml.parsers.expat

NS_MAM = "urn:xmpp:mam:2"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")


class Stream:
    """One XML stream: depth-1 elements handed out as small trees."""

    def __init__(self, sock):
        self.sock = sock
        self.new_parser()

    def new_parser(self):
        p = xml.parsers.expat.ParserCreate(namespace_separator=" ")
        p.buffer_text = True
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.text
        self.p = p
        self.depth = 0
        self.stack = []
        self.done = []

    def start(self, name, attrs):
        self.depth += 1
        if self.depth == 1:
            return
        el = [name, attrs, [], ""]
        if self.stack:
            self.stack[-1][2].append(el)
        self.stack.append(el)

    def end(self, name):
        self.depth -= 1
        if self.depth == 0:
            raise EOFError("stream closed")
        el = self.stack.pop()
        if not self.stack:
            self.done.append(el)

    def text(self, data):
        if self.stack:
            self.stack[-1][3] += data

    def send(self, s):
        self.sock.sendall(s.encode())

    def read(self):
        """Blocks for at least one top-level element; returns them all."""
        while not self.done:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.p.Parse(data, False)
        out, self.done = self.done, []
        return out

    def one(self):
        els = self.read()
        assert len(els) == 1, els
        return els[0]


def child(el, name):
    for c in el[2]:
        if c[0] == name:
            return c
    return None


def open_stream(st, domain):
    st.send(
        "<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
        "xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams'>" % domain
    )
    return st.one()  # <stream:features>


def login(host, port, jid, password, cafile):
    user, domain = jid.split("@", 1)
    sock = socket.create_connection((host, port))
    st = Stream(sock)
    open_stream(st, domain)
    st.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    assert st.one()[0].endswith(" proceed")
    ctx = ssl.create_default_context(cafile=cafile)
    st.sock = ctx.wrap_socket(sock, server_hostname=domain)
    st.new_parser()
    open_stream(st, domain)
    auth = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    st.send(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
        "%s</auth>" % auth
    )
    assert st.one()[0].endswith(" success"), "login failed"
    st.new_parser()
    open_stream(st, domain)
    st.send(
        "<iq type='set' id='bind'><bind "
        "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
    )
    st.one()
    return st


def mam_query(qid, iqid, start=None, end=None, after=None, before=False, page=250):
    form = ""
    if start or end:
        form = (
            "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
            "type='hidden'><value>%s</value></field>" % NS_MAM
        )
        if start:
            form += "<field var='start'><value>%s</value></field>" % start
        if end:
            form += "<field var='end'><value>%s</value></field>" % end
        form += "</x>"
    rsm = "<max>%d</max>" % page
    if after:
        rsm += "<after>%s</after>" % esc(after)
    if before:
        rsm += "<before/>"
    return (
        "<iq type='set' id='%s'><query xmlns='%s' queryid='%s'>%s"
        "<set xmlns='http://jabber.org/protocol/rsm'>%s</set></query></iq>"
        % (iqid, NS_MAM, qid, form, rsm)
    )


def stamp_of(msg):
    res = msg[2][0]
    fwd = child(res, "urn:xmpp:forward:0 forwarded")
    delay = child(fwd, "urn:xmpp:delay delay")
    return delay[1]["stamp"]


def parse_stamp(s):
    return int(time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))) - time.timezone


def fmt_stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def fin_of(iq):
    fin = child(iq, NS_MAM + " fin")
    assert fin is not None, iq
    complete = fin[1].get("complete") in ("true", "1")
    rsm = child(fin, "http://jabber.org/protocol/rsm set")
    last = child(rsm, "http://jabber.org/protocol/rsm last") if rsm else None
    return complete, (last[3] if last else None)


def main():
    host, port, jid, pwfile, cafile = sys.argv[1:6]
    nranges = int(sys.argv[6]) if len(sys.argv) > 6 else 8
    page = int(sys.argv[7]) if len(sys.argv) > 7 else 250
    with open(pwfile) as f:
        password = f.readline().rstrip("\n")
    t_start = time.monotonic()
    st = login(host, int(port), jid, password, cafile)

    t0 = time.monotonic()
    # Planning: the oldest and the newest message, as xporta does.
    st.send(mam_query("p0", "p0", page=1) + mam_query("p1", "p1", before=True, page=1))
    stamps = {}
    waiting = {"p0", "p1"}
    while waiting:
        for el in st.read():
            if el[0] == "jabber:client message":
                res = el[2][0]
                stamps[res[1]["queryid"]] = parse_stamp(stamp_of(el))
            elif el[0] == "jabber:client iq":
                waiting.discard(el[1]["id"])
    t_first, t_last = stamps["p0"], stamps["p1"]
    span = t_last - t_first + 1
    nranges = max(1, min(nranges, span))
    ranges = []
    for i in range(nranges):
        b = t_first + span * i // nranges
        b1 = t_first + span * (i + 1) // nranges
        start = None if i == 0 else fmt_stamp(b)
        end = None if i + 1 == nranges else fmt_stamp(b1 - 1)[:-1] + ".999999Z"
        ranges.append([start, end, None])  # start, end, after

    count = [0] * nranges
    n_pages = 0
    seq = 0
    for i, r in enumerate(ranges):
        seq += 1
        st.send(mam_query("r%d" % i, "q%d-%d" % (i, seq), r[0], r[1], page=page))
    running = nranges
    while running:
        for el in st.read():
            if el[0] == "jabber:client message":
                res = el[2][0]
                i = int(res[1]["queryid"][1:])
                count[i] += 1
                ranges[i][2] = res[1]["id"]
            elif el[0] == "jabber:client iq":
                i = int(el[1]["id"][1:].split("-")[0])
                assert el[1]["type"] == "result", el
                n_pages += 1
                complete, last = fin_of(el)
                if complete or not last:
                    running -= 1
                    continue
                seq += 1
                r = ranges[i]
                st.send(
                    mam_query("r%d" % i, "q%d-%d" % (i, seq), r[0], r[1], last, page=page)
                )
    t1 = time.monotonic()
    st.send("</stream:stream>")
    st.sock.close()
    n = sum(count)
    print(
        "%d %.3f %.3f %.0f %d"
        % (n, t1 - t0, time.monotonic() - t_start, n / (t1 - t0), n_pages)
    )


if __name__ == "__main__":
    main()
