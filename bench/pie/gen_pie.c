/*
 * gen_pie: writes a large, realistic XEP-0227 file for benchmarks.
 *
 *   gen_pie [--hosts H] [--users U] [--roster R] [--messages M]
 *           [--pep P] [--private V] [--seed S] [--salt binary|text]
 *           [--ids uuid|usec] [--peers N] [--gap SECONDS]
 *
 * Each archived message is with one of N partners (default 5: the next
 * users; with more partners than users, userK@ beyond the last user), 1 to
 * SECONDS (default 600) after the one before (bench/history: --users 1
 * --peers 50 --gap 1260 --messages 100000 spreads them over two years).
 *
 * Per user: SCRAM credentials (--salt binary, the default: RFC 5802's
 * example salt, random bytes as most servers make them; --salt text: a
 * UUID's text as Prosody makes them, with the keys of password "pencil",
 * which Prosody on PostgreSQL can keep), R roster items in 10 groups, a vCard,
 * V private XML entries (default 1: Exodus prefs), P PEP items (default 4;
 * below 8: a XEP-0402 bookmarks node with P - 1 items and a nick), and M
 * archived messages of ~350-400 bytes (body, origin-id, receipt request, like
 * real clients send).  Deterministic for a given seed.  Writes to stdout.
 *
 * Archive ids: --ids uuid (the default) gives UUIDs, as Prosody makes
 * them; --ids usec gives ejabberd's kind, the message's time in
 * microseconds (unique per user: its messages are at least a second
 * apart), which ejabberd's SQL archive keeps as they are.
 *
 * Roster items are contactK@host with K = (u + r + 1) mod max(U, 2), as
 * always, except for a single user (U = 1) with R > 2, where that would
 * repeat two contacts: there K = r, so the one account has R distinct
 * contacts (bench/migrate and bench/export use --users 1).
 *
 * With P >= 8, the PEP items are spread as a heavy client user's are: nick,
 * avatar data (~4 KiB) and metadata, geoloc (one item each), and the rest
 * split 50/30/20 between urn:xmpp:bookmarks:1 (conference items),
 * urn:xmpp:microblog:0 (Atom entries) and urn:xmpp:mds:displayed:0 (one
 * item per conversation), each capped at 256 items (Prosody's default
 * pep_max_items; more would be cut by the server), so P <= 772.  With V > 1,
 * the private XML entries after Exodus's are storage:rosternotes,
 * storage:metacontacts, then {urn:example:priv:N}data, each its own
 * namespace with a little content.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const words[] = {
    "love",   "night",  "moon",    "window",  "garden",   "sword", "letter",
    "poison", "friar",  "nurse",   "feast",   "name",     "rose",  "balcony",
    "star",   "dawn",   "orchard", "wall",    "dagger",   "tomb",  "joy",
    "sorrow", "verona", "mantua",  "tonight", "tomorrow", "ring",  "sweet",
};
#define NWORDS (sizeof words / sizeof words[0])

static void body(char *out, size_t cap)
{
    size_t n = 0;
    int count = 8 + (int)(next() % 14);
    for (int i = 0; i < count && n + 16 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "",
                              words[next() % NWORDS]);
    out[n] = '\0';
}

/* UTC seconds as XEP-0082 (civil_from_days, Howard Hinnant). */
static void stamp_format(long long secs, char *buf, size_t cap)
{
    long long days = secs / 86400, rem = secs % 86400;
    long long z = days + 719468;
    long long era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(buf, cap, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y + (m <= 2),
             m, d, rem / 3600, rem / 60 % 60, rem % 60);
}

static void uuid(char *out)
{
    uint64_t a = next(), b = next();
    snprintf(out, 37, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(b >> 48) & 0xfff,
             (unsigned long long)(b & 0xffffffffffffull));
}

/* PEP layout for --pep P: see the header. */
#define PEP_NODE_MAX 256
struct pep_plan {
    bool legacy;                    /* P < 8: bookmarks (P - 1) + nick */
    long bookmarks, microblog, mds; /* the three large nodes */
    long singles;                   /* nick, avatar data/metadata, geoloc */
};

static bool pep_plan(long p, struct pep_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    if (p < 8) {
        pl->legacy = true;
        pl->bookmarks = p > 0 ? p - 1 : 0;
        pl->singles = p > 0;
        return true;
    }
    long rest = p - 4;
    pl->singles = 4;
    pl->bookmarks = (rest + 1) / 2;
    pl->microblog = rest * 3 / 10;
    pl->mds = rest - pl->bookmarks - pl->microblog;
    /* Overflow of one node goes to the others while they have room. */
    long *n[3] = {&pl->bookmarks, &pl->microblog, &pl->mds};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3 && *n[i] > PEP_NODE_MAX; j++)
            if (*n[j] < PEP_NODE_MAX) {
                long move = *n[i] - PEP_NODE_MAX;
                if (move > PEP_NODE_MAX - *n[j])
                    move = PEP_NODE_MAX - *n[j];
                *n[i] -= move;
                *n[j] += move;
            }
    return *n[0] <= PEP_NODE_MAX && *n[1] <= PEP_NODE_MAX &&
           *n[2] <= PEP_NODE_MAX;
}

static void node_config(const char *node, const char *access,
                        const char *max_items)
{
    printf("<configure node='%s'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE' type='hidden'><value>"
           "http://jabber.org/protocol/pubsub#node_config</value></field>",
           node);
    if (access)
        printf("<field var='pubsub#access_model'><value>%s</value></field>",
               access);
    if (max_items)
        printf("<field var='pubsub#max_items'><value>%s</value></field>",
               max_items);
    printf("</x></configure>");
}

/* SHA-1 (FIPS 180-4), for the avatar's item id: servers check it (ejabberd's
 * mod_avatar republishes data under its real hash). */
static uint32_t rol(uint32_t x, int n)
{
    return x << n | x >> (32 - n);
}

static void sha1_hex(const unsigned char *msg, size_t len, char out[41])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                     0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++) {
            uint32_t v = 0;
            for (int b = 0; b < 4; b++) {
                size_t k = off + (size_t)i * 4 + (size_t)b;
                unsigned char c;
                if (k < len)
                    c = msg[k];
                else if (k == len)
                    c = 0x80;
                else if (k >= total - 8)
                    c = (unsigned char)((uint64_t)len * 8 >>
                                        (8 * (total - 1 - k)));
                else
                    c = 0;
                v = v << 8 | c;
            }
            w[i] = v;
        }
        for (int i = 16; i < 80; i++)
            w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20)
                f = (b & c) | (~b & d), k = 0x5A827999;
            else if (i < 40)
                f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (i < 60)
                f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else
                f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d, d = c, c = rol(b, 30), b = a, a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    for (int i = 0; i < 5; i++)
        snprintf(out + i * 8, 9, "%08x", (unsigned)h[i]);
}

static void write_pep(long u, long h, const struct pep_plan *pl)
{
    char id[40], text[256], stamp[64];
    if (!pl->bookmarks && !pl->singles)
        return;
    printf("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>");
    if (pl->bookmarks)
        node_config("urn:xmpp:bookmarks:1", "whitelist", "max");
    if (pl->singles)
        node_config("http://jabber.org/protocol/nick", NULL, NULL);
    if (!pl->legacy) {
        node_config("urn:xmpp:avatar:data", "presence", "1");
        node_config("urn:xmpp:avatar:metadata", "presence", "1");
        node_config("http://jabber.org/protocol/geoloc", "presence", "1");
        if (pl->microblog)
            node_config("urn:xmpp:microblog:0", "presence", "max");
        if (pl->mds)
            node_config("urn:xmpp:mds:displayed:0", "whitelist", "max");
    }
    printf("</pubsub>\n");
    printf("<pubsub xmlns='http://jabber.org/protocol/pubsub'>");
    if (pl->bookmarks) {
        printf("<items node='urn:xmpp:bookmarks:1'>");
        for (long b = 0; b < pl->bookmarks; b++)
            printf("<item id='room%ld@conference.h%ld.example'><conference "
                   "xmlns='urn:xmpp:bookmarks:1' name='Room %ld' "
                   "autojoin='%s'><nick>u%ld</nick></conference></item>",
                   b, h, b, b < 3 || b % 4 == 0 ? "true" : "false", u);
        printf("</items>");
    }
    if (pl->singles)
        printf("<items node='http://jabber.org/protocol/nick'><item "
               "id='current'><nick xmlns='http://jabber.org/protocol/nick'>"
               "u%ld</nick></item></items>",
               u);
    if (!pl->legacy) {
        /* 3,000 bytes of image (4,000 characters of base64), its SHA-1
         * as the item id as XEP-0084 requires. */
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                  "opqrstuvwxyz0123456789+/";
        unsigned char img[3000];
        char sha[41];
        for (size_t i = 0; i < sizeof img; i++)
            img[i] = (unsigned char)next();
        sha1_hex(img, sizeof img, sha);
        printf("<items node='urn:xmpp:avatar:data'><item id='%s'><data "
               "xmlns='urn:xmpp:avatar:data'>",
               sha);
        for (size_t i = 0; i < sizeof img; i += 3) {
            unsigned v =
                (unsigned)img[i] << 16 | (unsigned)img[i + 1] << 8 | img[i + 2];
            putchar(b64[v >> 18 & 63]);
            putchar(b64[v >> 12 & 63]);
            putchar(b64[v >> 6 & 63]);
            putchar(b64[v & 63]);
        }
        printf("</data></item></items>");
        printf("<items node='urn:xmpp:avatar:metadata'><item id='%s'>"
               "<metadata xmlns='urn:xmpp:avatar:metadata'><info "
               "bytes='3000' id='%s' height='64' width='64' "
               "type='image/png'/></metadata></item></items>",
               sha, sha);
        printf("<items node='http://jabber.org/protocol/geoloc'><item "
               "id='current'><geoloc xmlns='http://jabber.org/protocol/"
               "geoloc'><country>Italy</country><locality>Verona</locality>"
               "<lat>45.44</lat><lon>10.99</lon></geoloc></item></items>");
        long long t = 1690000000 + u * 13;
        if (pl->microblog) {
            printf("<items node='urn:xmpp:microblog:0'>");
            for (long m = 0; m < pl->microblog; m++) {
                t += 3600 + (long long)(next() % 86400);
                stamp_format(t, stamp, sizeof stamp);
                uuid(id);
                body(text, sizeof text);
                printf("<item id='%s'><entry xmlns='http://www.w3.org/2005/"
                       "Atom'><title type='text'>%.24s</title><id>tag:h%ld."
                       "example,2026:posts-%s</id><published>%s</published>"
                       "<updated>%s</updated><author><name>User %ld</name>"
                       "<uri>xmpp:user%ld@h%ld.example</uri></author>"
                       "<content type='text'>%s</content></entry></item>",
                       id, text, h, id, stamp, stamp, u, u, h, text);
            }
            printf("</items>");
        }
        if (pl->mds) {
            printf("<items node='urn:xmpp:mds:displayed:0'>");
            for (long m = 0; m < pl->mds; m++) {
                uuid(id);
                printf("<item id='contact%ld@h%ld.example'><displayed "
                       "xmlns='urn:xmpp:mds:displayed:0'><stanza-id "
                       "xmlns='urn:xmpp:sid:0' id='%s' by='user%ld@h%ld."
                       "example'/></displayed></item>",
                       m, h, id, u, h);
            }
            printf("</items>");
        }
    }
    printf("</pubsub>\n");
}

static void write_private(long u, long h, long n)
{
    if (n <= 0)
        return;
    printf("<query xmlns='jabber:iq:private'><exodus "
           "xmlns='exodus:prefs'><defaultnick>u%ld</defaultnick>"
           "</exodus>",
           u);
    if (n > 1)
        printf("<storage xmlns='storage:rosternotes'><note "
               "jid='contact0@h%ld.example' cdate='2026-01-02T10:00:00Z' "
               "mdate='2026-03-04T11:00:00Z'>met at the feast</note>"
               "</storage>",
               h);
    if (n > 2)
        printf("<storage xmlns='storage:metacontacts'><meta "
               "jid='contact1@h%ld.example' tag='family' order='1'/><meta "
               "jid='contact2@h%ld.example' tag='family' order='2'/>"
               "</storage>",
               h, h);
    for (long i = 3; i < n; i++) {
        char text[256];
        body(text, sizeof text);
        printf("<data xmlns='urn:example:priv:%ld'><value n='%ld'>%.60s"
               "</value></data>",
               i, i, text);
    }
    printf("</query>\n");
}

int main(int argc, char **argv)
{
    long hosts = 1, users = 100, roster = 100, messages = 1000;
    long pep = 4, private_n = 1, peers = 5, gap = 600;
    bool text_salt = false, usec_ids = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--salt") == 0 &&
            (strcmp(argv[i + 1], "text") == 0 ||
             strcmp(argv[i + 1], "binary") == 0))
            text_salt = argv[i + 1][0] == 't';
        else if (strcmp(argv[i], "--ids") == 0 &&
                 (strcmp(argv[i + 1], "uuid") == 0 ||
                  strcmp(argv[i + 1], "usec") == 0))
            usec_ids = argv[i + 1][0] == 'u' && argv[i + 1][1] == 's';
        else if (strcmp(argv[i], "--hosts") == 0)
            hosts = v;
        else if (strcmp(argv[i], "--users") == 0)
            users = v;
        else if (strcmp(argv[i], "--roster") == 0)
            roster = v;
        else if (strcmp(argv[i], "--messages") == 0)
            messages = v;
        else if (strcmp(argv[i], "--pep") == 0)
            pep = v;
        else if (strcmp(argv[i], "--private") == 0)
            private_n = v;
        else if (strcmp(argv[i], "--peers") == 0 && v > 0)
            peers = v;
        else if (strcmp(argv[i], "--gap") == 0 && v > 0)
            gap = v;
        else if (strcmp(argv[i], "--seed") == 0)
            rng ^= (uint64_t)v * 0x9e3779b97f4a7c15ull;
        else {
            fprintf(stderr, "gen_pie: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc % 2 == 0) {
        fprintf(stderr, "gen_pie: option %s needs a value\n", argv[argc - 1]);
        return 2;
    }
    if (hosts < 0 || users < 0 || roster < 0 || messages < 0 || pep < 0 ||
        private_n < 0) {
        fprintf(stderr, "gen_pie: counts must be >= 0\n");
        return 2;
    }
    struct pep_plan plan;
    if (!pep_plan(pep, &plan)) {
        fprintf(stderr,
                "gen_pie: --pep %ld: at most %d items (4 single-item "
                "nodes and 3 nodes of %d)\n",
                pep, 4 + 3 * PEP_NODE_MAX, PEP_NODE_MAX);
        return 2;
    }
    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    printf("<?xml version='1.0' encoding='UTF-8'?>\n"
           "<server-data xmlns='urn:xmpp:pie:0'>\n");
    for (long h = 0; h < hosts; h++) {
        printf("<host jid='h%ld.example'>\n", h);
        for (long u = 0; u < users; u++) {
            char id[40], text[256];
            printf("<user name='user%ld'>", u);
            if (text_salt)
                printf("<scram-credentials xmlns='urn:xmpp:pie:0#scram' "
                       "mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count>"
                       "<salt>ZTk2ZTk3OWQtOGYyYi00YjU0LWI1MzQtOWI0Y2QzNzU4ZWM0"
                       "</salt>"
                       "<server-key>xxL6NOytoi8g4bGM21ZBEeEe+B4=</server-key>"
                       "<stored-key>zzGY9lQ9AG/TyMHAEuT07HCfpaA=</stored-key>"
                       "</scram-credentials>\n");
            else
                printf("<scram-credentials xmlns='urn:xmpp:pie:0#scram' "
                       "mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count>"
                       "<salt>QSXCR+Q6sek8bf92</salt>"
                       "<server-key>0pXWGK0GZJ6TR73AIUN3ITYtA1g=</server-key>"
                       "<stored-key>Q6qT/SbybblGCZz8e8eSfCJOQic=</stored-key>"
                       "</scram-credentials>\n");
            printf("<query xmlns='jabber:iq:roster'>");
            long ring = users > 1 ? users : 2;
            for (long r = 0; r < roster; r++)
                printf("<item jid='contact%ld@h%ld.example' name='Contact %ld' "
                       "subscription='both'><group>Group %ld</group></item>",
                       users == 1 && roster > 2 ? r : (u + r + 1) % ring, h, r,
                       r % 10);
            printf("</query>\n");
            printf("<vCard xmlns='vcard-temp'><FN>User %ld</FN><NICKNAME>u%ld"
                   "</NICKNAME><EMAIL><INTERNET/><USERID>user%ld@mail.example"
                   "</USERID></EMAIL></vCard>\n",
                   u, u, u);
            write_private(u, h, private_n);
            write_pep(u, h, &plan);
            printf("<archive xmlns='urn:xmpp:pie:0#mam'>\n");
            long long t = 1700000000 + u * 7;
            /* with --peers above the users, the ring of partners grows */
            long pring = users > 1 ? users : 2;
            if (peers != 5 && pring < peers + 1)
                pring = peers + 1;
            for (long m = 0; m < messages; m++) {
                long peer = (u + 1 + (long)(next() % (uint64_t)peers)) % pring;
                bool out = next() & 1;
                t += 1 + (long long)(next() % (uint64_t)gap);
                char stamp[64];
                stamp_format(t, stamp, sizeof stamp);
                uuid(id);
                body(text, sizeof text);
                char mid[40];
                if (usec_ids)
                    snprintf(mid, sizeof mid, "%lld000000", t);
                else
                    memcpy(mid, id, sizeof mid);
                printf(
                    "<result xmlns='urn:xmpp:mam:2' id='%s'><forwarded "
                    "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
                    "stamp='%s'/><message "
                    "xmlns='jabber:client' to='user%ld@h%ld.example' "
                    "from='user%ld@h%ld.example/phone' type='chat' "
                    "id='%.8s'><body>%s</body><origin-id "
                    "xmlns='urn:xmpp:sid:0' id='%.8s'/><request "
                    "xmlns='urn:xmpp:receipts'/></message></forwarded>"
                    "</result>\n",
                    mid, stamp, out ? peer : u, h, out ? u : peer, h, id + 24,
                    text, id + 9);
            }
            printf("</archive></user>\n");
        }
        printf("</host>\n");
    }
    printf("</server-data>\n");
    return ferror(stdout) ? 1 : 0;
}
