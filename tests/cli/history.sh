#!/bin/sh
# xporta history: a XEP-0227 file's messages as static web pages (what the
# pages say, that markup in messages stays text, the directory appearing
# whole or not at all, the exit codes).  The browser test
# (tests/browser/history.test.js) opens the same pages in Chromium.
# Usage: history.sh PATH/TO/xporta PATH/TO/tests/data
set -u
X=$1
D=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }
run() { # run EXPECTED_EXIT CMD...
    want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        bad "exit $got, want $want: $*"
        sed 's/^/    err: /' "$T/err" | head -20 >&2
        sed 's/^/    out: /' "$T/out" | head -20 >&2
        return 1
    fi
    ok
}
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks: $2"; fi; }
hasnt() { if grep -qF -- "$2" "$1"; then bad "$1 has: $2"; else ok; fi; }
exists() { if [ -e "$1" ]; then ok; else bad "missing: $1"; fi; }
absent() { if [ -e "$1" ]; then bad "should not exist: $1"; else ok; fi; }
no_tmp() { # nothing half-written beside the output
    if ls "$T" | grep -q 'tmp-\|old-'; then bad "left behind: $(ls "$T")"; else ok; fi
}

H=$T/hist
run 0 "$X" history "$D/history.xml" -o "$H"
has "$T/out" "9 messages, 4 conversations, 5 month pages"
# private messages: only the owner reads them, even with a lax umask
others=$(find "$H" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \) | head -3)
if [ -z "$others" ]; then ok; else bad "not private: $others"; fi
for f in index.html search.html history.css history.js search/meta.js \
         search/s0.js a1/c3.html a1/c3-2026-10.html a1/c3-2026-11.html \
         a2/c1-2026-11.html .xporta-history; do
    exists "$H/$f"
done
absent "$H/.spool"
no_tmp
M=$H/a1/c3-2026-10.html
# markup in a message is text
has "$M" "&lt;img src=x onerror=alert(1)&gt; and &lt;script&gt;alert(2)&lt;/script&gt; stay text"
hasnt "$M" "<img"
if grep -c '<script' "$M" | grep -qx 1; then ok; else bad "$M: a <script> beyond history.js"; fi
has "$H/a1/c2-2026-10.html" "&lt;/p&gt;&lt;iframe src=&quot;"
hasnt "$H/a1/c2-2026-10.html" "<iframe"
has "$H/index.html" "Nurse &lt;b&gt;"
# links open on click only, without referrer; javascript: is no link
has "$M" '<a href="https://example.org/verona?a=1&amp;b=" rel="noopener noreferrer nofollow">'
hasnt "$M" 'href="javascript'
# every page has the policy; days in time order (the offline message,
# read first, goes last), the stamp with an offset in UTC
for f in "$H"/index.html "$H"/search.html "$H"/a1/*.html "$H"/a2/*.html; do
    has "$f" "default-src 'none'; script-src 'self' file:; style-src 'self' file:"
done
has "$M" '<li id="m1" class="o"><time datetime="2026-10-01T07:01:30Z">07:01</time>'
has "$M" '<li id="m5" class="i"><time datetime="2026-10-20T06:30:00Z">'
has "$M" '<h2 id="d2026-10-01">Thursday 1 October 2026</h2>'
has "$H/a2/c1-2026-11.html" "<b>Mercutio</b><p>A plague o&#39; both your houses!</p>"
# the search index: scripts, escaped
has "$H/search/s0.js" '\u003cscript\u003ealert(2)\u003c/script\u003e'
has "$H/search/meta.js" '["a1/c3-2026-10.html","Romeo, October 2026"]'
# a second run replaces the first history
echo stale >"$H/stale.html"
run 0 "$X" history -q "$D/history.xml" -o "$H/"
absent "$H/stale.html"
if [ -s "$T/out" ]; then bad "-q printed: $(cat "$T/out")"; else ok; fi
no_tmp

# an empty directory is taken
mkdir "$T/empty-dir"
run 0 "$X" history -q "$D/history.xml" -o "$T/empty-dir"
exists "$T/empty-dir/index.html"
rm -rf "$T/empty-dir"

# refusals
mkdir "$T/mine" && echo keep >"$T/mine/notes.txt"
run 9 "$X" history "$D/history.xml" -o "$T/mine"
has "$T/err" "is not a history xporta wrote"
exists "$T/mine/notes.txt"
no_tmp
run 3 "$X" history "$T/nothing.xml" -o "$T/h2"
has "$T/err" "no such file"
absent "$T/h2"
run 3 "$X" history "$D/bad/malformed.xml" -o "$T/h3"
absent "$T/h3"
no_tmp
run 2 "$X" history "$D/history.xml"
has "$T/err" "-o DIR"
run 2 "$X" history -o "$T/h4"
run 2 "$X" history --bogus "$D/history.xml" -o "$T/h4"
run 0 "$X" history --help
has "$T/out" "Usage: xporta history"
# a file without messages is still a history
run 0 "$X" history "$D/prosody-pending.xml" -o "$T/empty"
has "$T/empty/index.html" "The file holds no messages."

# a month of more than 500 messages is cut into parts; the days link to
# the part where they begin; search knows every part
awk 'BEGIN {
    print "<server-data xmlns=\"urn:xmpp:pie:0\"><host jid=\"a.example\"><user name=\"me\"><archive xmlns=\"urn:xmpp:pie:0#mam\">"
    for (i = 0; i < 1100; i++)
        printf "<result xmlns=\"urn:xmpp:mam:2\" id=\"r%d\"><forwarded xmlns=\"urn:xmpp:forward:0\"><delay xmlns=\"urn:xmpp:delay\" stamp=\"2026-03-%02dT%02d:%02d:00Z\"/><message xmlns=\"jabber:client\" from=\"you@b.example/x\" to=\"me@a.example\" type=\"chat\"><body>message %d</body></message></forwarded></result>\n", i, 1 + int(i / 120), int(i % 120 / 60), i % 60, i + 1
    print "</archive></user></host></server-data>"
}' >"$T/many.xml"
run 0 "$X" history "$T/many.xml" -o "$T/many"
has "$T/out" "1100 messages, 1 conversations, 3 month pages"
P=$T/many/a1
for f in c1-2026-03.html c1-2026-03-2.html c1-2026-03-3.html; do exists "$P/$f"; done
if [ "$(grep -c '<li id="m' "$P/c1-2026-03-2.html")" = 500 ]; then ok; else bad "part 2 holds not 500 messages"; fi
has "$P/c1-2026-03-2.html" '<li id="m501" class="i">'
has "$P/c1-2026-03-2.html" '<a href="c1-2026-03.html" rel="prev">&larr; Part 1</a>'
has "$P/c1-2026-03-2.html" '<a href="c1-2026-03-3.html" rel="next">Part 3 &rarr;</a>'
has "$P/c1-2026-03-2.html" '<li><a href="c1-2026-03.html#d2026-03-01" aria-label="1 March">1</a></li>'
has "$P/c1-2026-03-2.html" '<li><a href="#d2026-03-07" aria-label="7 March">7</a></li>'
has "$P/c1-2026-03-2.html" '<h2 id="d2026-03-05-c">Thursday 5 March 2026 (continued)</h2>'
has "$P/c1-2026-03-2.html" '<p>message 501</p>'
has "$T/many/search/meta.js" '["a1/c1-2026-03-3.html","you@b.example, March 2026, part 3 of 3"]'
has "$T/many/search/s0.js" '[2,1001,"2026-03-09 00:40","you@b.example","message 1001"]'

# a whole server's file (more than 1000 conversations): the index lists
# the accounts, each with a page of its own
awk 'BEGIN {
    print "<server-data xmlns=\"urn:xmpp:pie:0\"><host jid=\"a.example\">"
    for (u = 1; u <= 2; u++) {
        printf "<user name=\"u%d\"><archive xmlns=\"urn:xmpp:pie:0#mam\">\n", u
        for (c = 0; c < 501; c++)
            printf "<result xmlns=\"urn:xmpp:mam:2\" id=\"r%d\"><forwarded xmlns=\"urn:xmpp:forward:0\"><delay xmlns=\"urn:xmpp:delay\" stamp=\"2026-01-02T03:04:05Z\"/><message xmlns=\"jabber:client\" from=\"c%d@b.example\" to=\"u%d@a.example\" type=\"chat\"><body>hi %d</body></message></forwarded></result>\n", c, c, u, c
        print "</archive></user>"
    }
    print "</host></server-data>"
}' >"$T/server.xml"
run 0 "$X" history -q "$T/server.xml" -o "$T/server"
has "$T/server/index.html" '<li><a href="a1/index.html">u1@a.example</a> <span>501 conversations &middot; 501 messages</span></li>'
hasnt "$T/server/index.html" 'c1.html'
has "$T/server/a2/index.html" '<h1 id="a2">u2@a.example</h1>'
has "$T/server/a2/index.html" '<li><a href="c1.html">c0@b.example</a>'
exists "$T/server/a2/c501-2026-01.html"
has "$T/server/a2/c501-2026-01.html" '<li><a href="../index.html">All accounts</a></li><li><a href="index.html">u2@a.example</a></li><li><a href="c501.html">c9@b.example</a></li>'
has "$T/hist/a1/c3.html" '<li><a href="../index.html">All conversations</a></li><li><a href="c3.html" aria-current="page">Romeo</a></li>' 

echo "history.sh: $n checks, $fails failed"
[ "$fails" -eq 0 ]
