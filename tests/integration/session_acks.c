/*
 * lib/xmpp's TCP behaviour against a server that splits its replies.
 *
 * A child process plays an XMPP server on loopback (STARTTLS with the
 * Prosody test certificate of tests/servers, SASL PLAIN accepting anyone,
 * bind) that answers pings.  A ping to "split.DOMAIN" gets its answer in
 * two writes a few milliseconds apart: a <message/>, then the IQ result.
 * The server keeps Nagle on, as Prosody does by default, so the second
 * write waits until the client acknowledges the first.  A client that
 * delays that ACK (Linux does, 40 ms, once the connection looks
 * interactive) leaves the server waiting: every such reply takes 40 ms
 * more.  The session must acknowledge before it waits (TCP_QUICKACK).
 * A ping to "big.DOMAIN" gets a 14 KB stanza and its answer in one TLS
 * record: libstrophe reads 4 KiB a pass and its select() cannot see the
 * rest in OpenSSL's buffer, so a loop that waited after a pass that
 * completed no stanza would wait 10 ms a pass.
 *
 * Run by session_smoke.sh (environment: XPORTA_SERVERS_DIR,
 * XPORTA_PROSODY_DOMAIN, XPORTA_TEST_CAFILE).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "xmpp/xmpp.h"

enum { WARMUP = 6, SPLIT = 5, GAP_US = 3000 };

static const char *domain;

/* ---- the server (child process) ----------------------------------------- */

struct conn {
    int fd;
    SSL *ssl;
    char buf[16384];
    size_t len;
};

static bool fill(struct conn *c)
{
    if (c->len >= sizeof c->buf - 1)
        return false;
    int n = c->ssl
                ? SSL_read(c->ssl, c->buf + c->len,
                           (int)(sizeof c->buf - 1 - c->len))
                : (int)read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return true;
}

/* Reads until `needle` arrived; drops everything up to its end. */
static bool expect(struct conn *c, const char *needle)
{
    char *p;
    while (!(p = strstr(c->buf, needle)))
        if (!fill(c))
            return false;
    p += strlen(needle);
    c->len -= (size_t)(p - c->buf);
    memmove(c->buf, p, c->len + 1);
    return true;
}

static bool say(struct conn *c, const char *fmt, ...) XP_PRINTF(2, 3);
static bool say(struct conn *c, const char *fmt, ...)
{
    static char out[20000];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, sizeof out, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof out)
        return false;
    return c->ssl ? SSL_write(c->ssl, out, n) == n
                  : write(c->fd, out, (size_t)n) == n;
}

/* The value of attribute `name` in the start tag at `tag`. */
static bool attr(const char *tag, const char *name, char *out, size_t cap)
{
    const char *end = strchr(tag, '>');
    char key[32];
    snprintf(key, sizeof key, " %s=", name);
    const char *p = strstr(tag, key);
    if (!p || !end || p > end)
        return false;
    p += strlen(key);
    char q = *p++;
    const char *e = strchr(p, q);
    if (!e || (size_t)(e - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return true;
}

#define STREAM                                                             \
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "           \
    "xmlns:stream='http://etherx.jabber.org/streams' id='acks' from='%s' " \
    "version='1.0'><stream:features>"

static void serve(int lfd, const char *crt, const char *key)
{
    struct conn c;
    memset(&c, 0, sizeof c);
    c.fd = accept(lfd, NULL, NULL);
    if (c.fd < 0 || !expect(&c, "<stream:stream") || !expect(&c, ">") ||
        !say(&c,
             STREAM "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                    "<required/></starttls></stream:features>",
             domain) ||
        !expect(&c, "<starttls") ||
        !say(&c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
        _exit(1);
    c.len = 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        _exit(1);
    c.ssl = SSL_new(ctx);
    SSL_set_fd(c.ssl, c.fd);
    char id[128], to[256];
    if (SSL_accept(c.ssl) != 1 || !expect(&c, "<stream:stream") ||
        !expect(&c, ">") ||
        !say(&c,
             STREAM "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                    "<mechanism>PLAIN</mechanism></mechanisms>"
                    "</stream:features>",
             domain) ||
        !expect(&c, "</auth>") ||
        !say(&c, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>") ||
        !expect(&c, "<stream:stream") || !expect(&c, ">") ||
        !say(&c,
             STREAM "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                    "</stream:features>",
             domain) ||
        !expect(&c, "<iq") || !attr(c.buf, "id", id, sizeof id) ||
        !expect(&c, "</iq>") ||
        !say(&c,
             "<iq type='result' id='%s'><bind "
             "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>someone@%s/acks"
             "</jid></bind></iq>",
             id, domain))
        _exit(1);
    /* Pings, answered at once; to split.DOMAIN in two writes. */
    for (;;) {
        char *p;
        while (!(p = strstr(c.buf, "<iq")) || !strstr(p, "</iq>"))
            if (!fill(&c))
                _exit(0);
        if (!attr(p, "id", id, sizeof id) || !attr(p, "to", to, sizeof to))
            _exit(1);
        expect(&c, "</iq>");
        if (strncmp(to, "split.", 6) == 0) {
            char body[301];
            memset(body, 'x', 300);
            body[300] = '\0';
            struct timespec gap = {0, GAP_US * 1000L};
            if (!say(&c,
                     "<message from='%s' to='someone@%s/acks'><body>%s"
                     "</body></message>",
                     to, domain, body))
                _exit(1);
            nanosleep(&gap, NULL);
        }
        if (strncmp(to, "big.", 4) == 0) {
            /* One TLS record: a 14 KB stanza and the result behind it. */
            static char body[14001];
            memset(body, 'y', 14000);
            if (!say(&c,
                     "<message from='%s' to='someone@%s/acks'><body>%s"
                     "</body></message><iq type='result' id='%s' "
                     "from='%s'/>",
                     to, domain, body, id, to))
                _exit(1);
            continue;
        }
        if (!say(&c, "<iq type='result' id='%s' from='%s'/>", id, to))
            _exit(1);
    }
}

/* ---- the client -----------------------------------------------------------
 */

struct wait {
    bool done;
    xporta_status status;
};

static void on_reply(struct xp_session *s, const struct xp_iq_reply *r,
                     void *ud)
{
    struct wait *w = ud;
    (void)s;
    w->done = true;
    w->status = r->status;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One ping to `to`: how long until its reply, or -1. */
static double ping(struct xp_session *s, struct xp_arena *a, const char *to)
{
    struct wait w = {false, XPORTA_OK};
    double t0 = now_ms();
    if (xp_session_iq(s, "get", to, xp_elem_new(a, "urn:xmpp:ping", "ping"),
                      10000, on_reply, &w) != XPORTA_OK)
        return -1;
    while (!w.done)
        if (xp_session_run(s, 1000) != XPORTA_OK)
            return -1;
    return w.status == XPORTA_OK ? now_ms() - t0 : -1;
}

int main(void)
{
    const char *dir = getenv("XPORTA_SERVERS_DIR");
    const char *cafile = getenv("XPORTA_TEST_CAFILE");
    domain = getenv("XPORTA_PROSODY_DOMAIN");
    if (!dir || !cafile || !domain) {
        fprintf(stderr, "session_acks: run by session_smoke.sh\n");
        return 2;
    }
    char crt[1024], key[1024], split[300];
    snprintf(crt, sizeof crt, "%s/prosody/certs/server.crt", dir);
    snprintf(key, sizeof key, "%s/prosody/certs/server.key", dir);
    snprintf(split, sizeof split, "split.%s", domain);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(lfd, 1) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &len) != 0) {
        perror("session_acks: listen");
        return 2;
    }
    pid_t child = fork();
    if (child == 0)
        serve(lfd, crt, key);
    close(lfd);

    char jid[300];
    snprintf(jid, sizeof jid, "someone@%s", domain);
    struct xp_session_opts o;
    memset(&o, 0, sizeof o);
    o.jid = jid;
    o.password = "anything";
    o.host = "127.0.0.1";
    o.port = ntohs(sa.sin_port);
    o.cafile = cafile;
    o.timeout_ms = 10000;
    struct xp_session *s = NULL;
    struct xp_err err;
    xp_err_clear(&err);
    int failed = 0;
    if (xp_session_open(&s, &o, &err) != XPORTA_OK) {
        printf("FAIL login to the fake server: %s\n", xp_err_msg(&err));
        failed = 1;
    } else {
        struct xp_arena a;
        xp_arena_init(&a, 0);
        /* Requests out, replies in: the connection now looks interactive. */
        for (int i = 0; i < WARMUP; i++)
            if (ping(s, &a, domain) < 0)
                failed = 1;
        double best = 1e9;
        printf("replies in two writes %d us apart:", GAP_US);
        for (int i = 0; i < SPLIT; i++) {
            double ms = ping(s, &a, split);
            printf(" %.1f ms", ms);
            if (ms < 0)
                failed = 1;
            else if (ms < best)
                best = ms;
        }
        printf("\n");
        /* A delayed ACK makes every one of them 40 ms or more. */
        bool ok = !failed && best < 25;
        printf("%s the server never waits for our ACK: fastest %.1f ms "
               "(a delayed ACK costs 40)\n",
               ok ? "ok  " : "FAIL", best);
        failed |= !ok;
        char big[300];
        snprintf(big, sizeof big, "big.%s", domain);
        best = 1e9;
        printf("a 14 KB stanza in one TLS record:");
        for (int i = 0; i < SPLIT; i++) {
            double ms = ping(s, &a, big);
            printf(" %.1f ms", ms);
            if (ms < 0)
                failed = 1;
            else if (ms < best)
                best = ms;
        }
        printf("\n");
        ok = !failed && best < 8;
        printf("%s no wait while OpenSSL holds the rest: fastest %.1f ms "
               "(10 ms a 4 KiB read otherwise)\n",
               ok ? "ok  " : "FAIL", best);
        failed |= !ok;
        xp_session_close(s);
        xp_arena_cleanup(&a);
    }
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    return failed;
}
