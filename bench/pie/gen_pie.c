/*
 * gen_pie: writes a large, realistic XEP-0227 file for benchmarks.
 *
 *   gen_pie [--hosts H] [--users U] [--roster R] [--messages M] [--seed S]
 *
 * Per user: SCRAM credentials, R roster items in 10 groups, a vCard, private
 * XML, a XEP-0402 bookmarks node with 3 items, a nick, and M archived
 * messages of ~350-400 bytes (body, origin-id, receipt request, like real
 * clients send).  Deterministic for a given seed.  Writes to stdout.
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

int main(int argc, char **argv)
{
    long hosts = 1, users = 100, roster = 100, messages = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--hosts") == 0)
            hosts = v;
        else if (strcmp(argv[i], "--users") == 0)
            users = v;
        else if (strcmp(argv[i], "--roster") == 0)
            roster = v;
        else if (strcmp(argv[i], "--messages") == 0)
            messages = v;
        else if (strcmp(argv[i], "--seed") == 0)
            rng ^= (uint64_t)v * 0x9e3779b97f4a7c15ull;
        else {
            fprintf(stderr, "gen_pie: unknown option %s\n", argv[i]);
            return 2;
        }
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
            printf("<scram-credentials xmlns='urn:xmpp:pie:0#scram' "
                   "mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count>"
                   "<salt>QSXCR+Q6sek8bf92</salt>"
                   "<server-key>0pXWGK0GZJ6TR73AIUN3ITYtA1g=</server-key>"
                   "<stored-key>Q6qT/SbybblGCZz8e8eSfCJOQic=</stored-key>"
                   "</scram-credentials>\n");
            printf("<query xmlns='jabber:iq:roster'>");
            for (long r = 0; r < roster; r++)
                printf("<item jid='contact%ld@h%ld.example' name='Contact %ld' "
                       "subscription='both'><group>Group %ld</group></item>",
                       (u + r + 1) % (users > 1 ? users : 2), h, r, r % 10);
            printf("</query>\n");
            printf("<vCard xmlns='vcard-temp'><FN>User %ld</FN><NICKNAME>u%ld"
                   "</NICKNAME><EMAIL><INTERNET/><USERID>user%ld@mail.example"
                   "</USERID></EMAIL></vCard>\n",
                   u, u, u);
            printf("<query xmlns='jabber:iq:private'><exodus "
                   "xmlns='exodus:prefs'><defaultnick>u%ld</defaultnick>"
                   "</exodus></query>\n",
                   u);
            printf(
                "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
                "<configure node='urn:xmpp:bookmarks:1'><x "
                "xmlns='jabber:x:data' "
                "type='submit'><field var='FORM_TYPE' type='hidden'><value>"
                "http://jabber.org/protocol/pubsub#node_config</value></field>"
                "<field var='pubsub#access_model'><value>whitelist</value>"
                "</field><field var='pubsub#max_items'><value>max</value>"
                "</field></x></configure><configure "
                "node='http://jabber.org/protocol/nick'><x "
                "xmlns='jabber:x:data' "
                "type='submit'><field var='FORM_TYPE' type='hidden'><value>"
                "http://jabber.org/protocol/pubsub#node_config</value></field>"
                "</x></configure></pubsub>\n");
            printf("<pubsub xmlns='http://jabber.org/protocol/pubsub'><items "
                   "node='urn:xmpp:bookmarks:1'>");
            for (int b = 0; b < 3; b++)
                printf("<item id='room%d@conference.h%ld.example'><conference "
                       "xmlns='urn:xmpp:bookmarks:1' name='Room %d' "
                       "autojoin='true'><nick>u%ld</nick></conference></item>",
                       b, h, b, u);
            printf(
                "</items><items node='http://jabber.org/protocol/nick'><item "
                "id='current'><nick xmlns='http://jabber.org/protocol/nick'>"
                "u%ld</nick></item></items></pubsub>\n",
                u);
            printf("<archive xmlns='urn:xmpp:pie:0#mam'>\n");
            long long t = 1700000000 + u * 7;
            for (long m = 0; m < messages; m++) {
                long peer =
                    (u + 1 + (long)(next() % 5)) % (users > 1 ? users : 2);
                bool out = next() & 1;
                t += 1 + (long long)(next() % 600);
                char stamp[64];
                stamp_format(t, stamp, sizeof stamp);
                uuid(id);
                body(text, sizeof text);
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
                    id, stamp, out ? peer : u, h, out ? u : peer, h, id + 24,
                    text, id + 9);
            }
            printf("</archive></user>\n");
        }
        printf("</host>\n");
    }
    printf("</server-data>\n");
    return ferror(stdout) ? 1 : 0;
}
