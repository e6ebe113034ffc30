/*
 * xp_populate: runs a scenario script against real XMPP servers through the
 * session layer (lib/xmpp), to fill test accounts and capture replies.
 *
 *   xp_populate SERVERS_ENV SCRIPT.xml [NAME=VALUE ...]
 *
 * SERVERS_ENV is the servers.env written by tests/servers/xporta-servers.
 * Every KEY=VALUE in it becomes a variable, and XPORTA_KEY also KEY
 * (XPORTA_PROSODY_DOMAIN -> {PROSODY_DOMAIN}); NAME=VALUE arguments come
 * last and win.  Exit status: 0 when every step passed, 1 when a step
 * failed (the step and what happened are printed), 2 for a bad command
 * line or script.
 *
 * Script format.  The root is <script>; its children are steps, run in
 * order.  {NAME} in any attribute value or text (steps and payloads alike)
 * is replaced by the variable's value when the step runs; an undefined
 * variable is an error.  Whitespace-only text inside elements that have
 * element children is dropped, so payloads may be indented freely.
 *
 *   <default name='N' value='V'/>   sets N unless it is already set (so the
 *                                   command line can override it)
 *   <set name='N' value='V'/>       sets N
 *   <include href='F'/>             runs the steps of script F (relative to
 *                                   the including script); variables and
 *                                   sessions are shared
 *   <login as='S' jid='J' password='P' [resource='R'] [host='H']
 *          [port='N']/>
 *        opens session S (several may be open at once).  The connection
 *        goes to 127.0.0.1 (or H) at the c2s port of the server serving
 *        J's domain (PROSODY_PORT for PROSODY_DOMAIN and PROSODY_DOMAIN2,
 *        EJABBERD_PORT likewise) unless port is given; the certificate is
 *        verified against TEST_CAFILE.  No presence is sent.
 *   <logout as='S'/>                closes session S
 *   <iq as='S' type='get|set' [to='J'] [expect='result|error|any']
 *       [condition='C'] [timeout='MS'] [save='FILE'] [bind='NAME=PATH']>
 *       PAYLOAD</iq>
 *        sends an IQ with the (optional, single) payload element and waits
 *        for the answer, running every session meanwhile.  By default the
 *        answer must be a result; expect='error' wants an error (with
 *        condition C when given).  save writes the answer (the whole <iq>,
 *        as received) to FILE (relative to the working directory).
 *        bind='NAME=PATH' sets variable NAME from the answer: PATH is a
 *        '/'-separated list of element local names below the <iq>
 *        (first match, any namespace) ending in a name (the element's
 *        text) or '@attr' (an attribute), e.g. bind='LAST=pubsub/set/last'.
 *   <send as='S'>STANZA...</send>   sends each child as a stanza; elements
 *                                   in no namespace are in jabber:client,
 *                                   as on a client stream
 *   <expect as='S' name='presence|message|iq' [type='T'] [from='J']
 *           [child='{NS}NAME'] [timeout='MS'] [save='FILE']/>
 *        waits (default 10000 ms) until session S has received a matching
 *        stanza, which is then consumed; earlier non-matching stanzas stay
 *        queued.  type='available' matches a presence without type; from
 *        matches the full or the bare sender.
 *   <wait ms='MS'/>                 runs every session for MS milliseconds
 *   <repeat count='N' [var='V'] [from='F']>STEPS</repeat>
 *        runs STEPS N times with {V} = F, F+1, ... (F defaults to 1)
 *   <echo text='T'/>                prints T
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "xmpp/xmpp.h"
#include "xp_tools.h"

enum {
    MAX_SESSIONS = 64,
    QUEUE_MAX = 512,       /* received stanzas kept per session */
    EXPECT_MS = 10000,     /* default wait of <expect> */
    SLICE_MS = 2,          /* one session's turn in the event loop (short
                              turns also dodge libstrophe 0.12.2 sitting
                              on data left in OpenSSL's buffer) */
    MAX_SCRIPT = 64 << 20, /* bytes of one script file */
    MAX_INCLUDE_DEPTH = 8,
};

struct line_of {
    const xp_elem *e;
    unsigned long line;
};

struct doc {
    char *path;
    struct xp_arena arena;
    xp_elem *root;
    struct line_of *lines;
    size_t nlines, cap;
    struct doc *next;
};

struct queued {
    struct xp_arena arena;
    xp_elem *st;
};

struct sess {
    char *name;
    struct xp_session *s;
    struct queued *q; /* ring of QUEUE_MAX */
    size_t head, n;
    unsigned long dropped;
};

static struct {
    struct xpt_vars vars;
    struct sess sessions[MAX_SESSIONS];
    size_t nsess;
    struct doc *docs;
    const char *cafile;
    unsigned long steps;
    int depth;
} g;

/* The step being run, for messages. */
static const struct doc *cur_doc;
static const xp_elem *cur_step;

/* ---- messages ------------------------------------------------------------ */

static unsigned long line_of(const struct doc *d, const xp_elem *e)
{
    for (size_t i = 0; d && i < d->nlines; i++)
        if (d->lines[i].e == e)
            return d->lines[i].line;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static _Noreturn void die(int code, const char *fmt, ...) XP_PRINTF(2, 3);
static _Noreturn void die(int code, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    if (cur_doc)
        fprintf(stderr, "xp_populate: %s:%lu: ", cur_doc->path,
                line_of(cur_doc, cur_step));
    else
        fprintf(stderr, "xp_populate: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(code);
}

#define FAIL(...) die(1, __VA_ARGS__)
#define BAD_SCRIPT(...) die(2, __VA_ARGS__)

static void ok(const char *fmt, ...) XP_PRINTF(1, 2);
static void ok(const char *fmt, ...)
{
    va_list ap;
    g.steps++;
    printf("ok   %s:%lu ", base_name(cur_doc->path),
           line_of(cur_doc, cur_step));
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* ---- script documents ---------------------------------------------------- */

struct parse {
    struct doc *d;
    XML_Parser p;
    xp_elem *cur;
    bool oom;
};

/* expat with namespace processing: names arrive as "URI\x01local". */
static void split_name(struct xp_arena *a, const char *full, const char **ns,
                       const char **local)
{
    const char *sep = strchr(full, '\x01');
    if (sep) {
        *ns = xp_arena_strndup(a, full, (size_t)(sep - full));
        *local = xp_arena_strdup(a, sep + 1);
    } else {
        *ns = "";
        *local = xp_arena_strdup(a, full);
    }
}

static void XMLCALL on_start(void *ud, const char *name, const char **attrs)
{
    struct parse *ps = ud;
    struct doc *d = ps->d;
    const char *ns, *local;
    split_name(&d->arena, name, &ns, &local);
    xp_elem *e = ns && local ? xp_elem_new(&d->arena, ns, local) : NULL;
    if (!e) {
        ps->oom = true;
        XML_StopParser(ps->p, XML_FALSE);
        return;
    }
    for (size_t i = 0; attrs[i]; i += 2) {
        const char *ans, *alocal;
        split_name(&d->arena, attrs[i], &ans, &alocal);
        const char *v = xp_arena_strdup(&d->arena, attrs[i + 1]);
        if (!ans || !alocal || !v ||
            !xp_elem_add_attr_ref(&d->arena, e, ans, alocal, v)) {
            ps->oom = true;
            XML_StopParser(ps->p, XML_FALSE);
            return;
        }
    }
    if (ps->cur)
        xp_elem_append(ps->cur, e);
    else
        d->root = e;
    ps->cur = e;
    if (d->nlines == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct line_of *l = realloc(d->lines, cap * sizeof *l);
        if (!l) {
            ps->oom = true;
            XML_StopParser(ps->p, XML_FALSE);
            return;
        }
        d->lines = l;
        d->cap = cap;
    }
    d->lines[d->nlines].e = e;
    d->lines[d->nlines++].line = XML_GetCurrentLineNumber(ps->p);
}

static void XMLCALL on_end(void *ud, const char *name)
{
    struct parse *ps = ud;
    xp_elem *e = ps->cur;
    (void)name;
    /* Indentation between elements is not content. */
    if (xp_elem_first_element(e)) {
        xp_elem *prev = NULL;
        for (xp_elem *c = e->first; c;) {
            xp_elem *next = c->next;
            if (!c->name && xp_is_blank(c->text, c->text_len)) {
                if (prev)
                    prev->next = next;
                else
                    e->first = next;
                if (e->last == c)
                    e->last = prev;
            } else {
                prev = c;
            }
            c = next;
        }
    }
    ps->cur = e->parent;
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
    struct parse *ps = ud;
    if (ps->cur && !xp_elem_add_text(&ps->d->arena, ps->cur, s, (size_t)len)) {
        ps->oom = true;
        XML_StopParser(ps->p, XML_FALSE);
    }
}

static struct doc *load_doc(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        BAD_SCRIPT("cannot read %s: %s", path, strerror(errno));
    char *text = malloc(MAX_SCRIPT);
    size_t len = text ? fread(text, 1, MAX_SCRIPT, f) : 0;
    fclose(f);
    if (!text || len == MAX_SCRIPT)
        BAD_SCRIPT("%s: too large or out of memory", path);
    struct doc *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path)))
        BAD_SCRIPT("out of memory");
    xp_arena_init(&d->arena, 0);
    struct parse ps = {d, XML_ParserCreateNS(NULL, '\x01'), NULL, false};
    if (!ps.p)
        BAD_SCRIPT("out of memory");
    XML_SetUserData(ps.p, &ps);
    XML_SetElementHandler(ps.p, on_start, on_end);
    XML_SetCharacterDataHandler(ps.p, on_text);
    if (XML_Parse(ps.p, text, (int)len, XML_TRUE) != XML_STATUS_OK || ps.oom)
        BAD_SCRIPT("%s:%lu:%lu: %s", path,
                   (unsigned long)XML_GetCurrentLineNumber(ps.p),
                   (unsigned long)XML_GetCurrentColumnNumber(ps.p) + 1,
                   ps.oom ? "out of memory"
                          : XML_ErrorString(XML_GetErrorCode(ps.p)));
    XML_ParserFree(ps.p);
    free(text);
    if (!xp_elem_is(d->root, "", "script"))
        BAD_SCRIPT("%s: the root element must be <script>", path);
    d->next = g.docs;
    g.docs = d;
    return d;
}

/* ---- variables ----------------------------------------------------------- */

/* {NAME} replaced by the variable's value; other braces stay. */
static char *subst(struct xp_arena *a, const char *s)
{
    struct xp_buf b;
    xp_buf_init(&b, MAX_SCRIPT);
    for (const char *p = s; *p;) {
        const char *q = p + 1;
        while (*p == '{' && (isalnum((unsigned char)*q) || *q == '_'))
            q++;
        if (*p == '{' && q > p + 1 && *q == '}') {
            char name[128];
            size_t n = (size_t)(q - p - 1);
            if (n >= sizeof name)
                BAD_SCRIPT("variable name too long");
            memcpy(name, p + 1, n);
            name[n] = '\0';
            const char *v = xpt_vars_get(&g.vars, name);
            if (!v)
                BAD_SCRIPT("undefined variable {%s}", name);
            if (xp_buf_adds(&b, v) != XPORTA_OK)
                BAD_SCRIPT("out of memory");
            p = q + 1;
            continue;
        }
        if (xp_buf_addc(&b, *p++) != XPORTA_OK)
            BAD_SCRIPT("out of memory");
    }
    char *out = xp_arena_strdup(a, xp_buf_str(&b));
    xp_buf_cleanup(&b);
    if (!out)
        BAD_SCRIPT("out of memory");
    return out;
}

static const char *arg(struct xp_arena *a, const xp_elem *e, const char *name)
{
    const char *v = xp_elem_attr_ns(e, "", name);
    return v ? subst(a, v) : NULL;
}

static const char *need(struct xp_arena *a, const xp_elem *e, const char *name)
{
    const char *v = arg(a, e, name);
    if (!v)
        BAD_SCRIPT("<%s> needs %s=", e->name, name);
    return v;
}

static unsigned long num(struct xp_arena *a, const xp_elem *e, const char *name,
                         unsigned long dflt)
{
    const char *v = arg(a, e, name);
    uint64_t n;
    if (!v)
        return dflt;
    if (!xp_parse_uint(v, &n) || n > 100000000)
        BAD_SCRIPT("<%s %s='%s'>: not a number", e->name, name, v);
    return (unsigned long)n;
}

/* A copy of a payload with variables replaced. */
static xp_elem *instantiate(struct xp_arena *a, const xp_elem *e)
{
    xp_elem *c;
    if (!e->name) {
        c = xp_elem_new(a, "", NULL);
        if (!c)
            BAD_SCRIPT("out of memory");
        c->text = subst(a, e->text);
        c->text_len = strlen(c->text);
        return c;
    }
    c = xp_elem_new(a, e->ns, e->name);
    if (!c)
        BAD_SCRIPT("out of memory");
    for (unsigned i = 0; i < e->nattrs; i++)
        if (!xp_elem_set_attr(a, c, e->attrs[i].ns, e->attrs[i].name,
                              subst(a, e->attrs[i].value)))
            BAD_SCRIPT("out of memory");
    for (const xp_elem *k = e->first; k; k = k->next)
        xp_elem_append(c, instantiate(a, k));
    return c;
}

/* ---- sessions ------------------------------------------------------------ */

static struct sess *find_sess(const char *name, bool must)
{
    for (size_t i = 0; i < g.nsess; i++)
        if (strcmp(g.sessions[i].name, name) == 0)
            return &g.sessions[i];
    if (must)
        BAD_SCRIPT("no session '%s' (<login as='%s'> first)", name, name);
    return NULL;
}

static void on_stanza(struct xp_session *s, const xp_elem *st, void *ud)
{
    struct sess *ss = ud;
    (void)s;
    if (ss->n == QUEUE_MAX) {
        xp_arena_cleanup(&ss->q[ss->head].arena);
        ss->head = (ss->head + 1) % QUEUE_MAX;
        ss->n--;
        ss->dropped++;
    }
    struct queued *q = &ss->q[(ss->head + ss->n) % QUEUE_MAX];
    xp_arena_init(&q->arena, 0);
    q->st = xp_elem_clone(&q->arena, st);
    if (!q->st) {
        xp_arena_cleanup(&q->arena);
        return;
    }
    q->st->parent = q->st->next = NULL;
    ss->n++;
}

/* One turn of every session's event loop. */
static void pump_once(void)
{
    for (size_t i = 0; i < g.nsess; i++) {
        struct sess *ss = &g.sessions[i];
        if (xp_session_run(ss->s, SLICE_MS) != XPORTA_OK)
            FAIL("session '%s' (%s) lost its connection: %s", ss->name,
                 xp_session_jid(ss->s), xp_session_error(ss->s));
    }
}

static void pump(unsigned long ms)
{
    long long end = xpt_now_ms() + (long long)ms;
    do
        pump_once();
    while (xpt_now_ms() < end);
}

static unsigned short port_for(const char *jid)
{
    static const char *const servers[][3] = {
        {"PROSODY_DOMAIN", "PROSODY_DOMAIN2", "PROSODY_PORT"},
        {"EJABBERD_DOMAIN", "EJABBERD_DOMAIN2", "EJABBERD_PORT"},
    };
    struct xp_jid_parts p;
    if (!xp_jid_split(jid, &p))
        BAD_SCRIPT("bad JID '%s'", jid);
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < 2; k++) {
            const char *dom = xpt_vars_get(&g.vars, servers[i][k]);
            const char *port = xpt_vars_get(&g.vars, servers[i][2]);
            if (dom && port && xp_domain_eq(p.domain, p.domain_len, dom))
                return (unsigned short)atoi(port);
        }
    }
    BAD_SCRIPT("which server serves '%s'? (give port=)", jid);
}

static void do_login(struct xp_arena *a, const xp_elem *e)
{
    const char *as = need(a, e, "as");
    if (find_sess(as, false))
        BAD_SCRIPT("session '%s' is already open", as);
    if (g.nsess == MAX_SESSIONS)
        BAD_SCRIPT("more than %d sessions", MAX_SESSIONS);
    struct xp_session_opts o;
    memset(&o, 0, sizeof o);
    o.jid = need(a, e, "jid");
    o.password = need(a, e, "password");
    o.resource = arg(a, e, "resource");
    o.host = arg(a, e, "host");
    if (!o.host)
        o.host = "127.0.0.1";
    o.port = xp_elem_attr_ns(e, "", "port")
                 ? (unsigned short)num(a, e, "port", 0)
                 : port_for(o.jid);
    o.cafile = g.cafile;
    struct sess *ss = &g.sessions[g.nsess];
    memset(ss, 0, sizeof *ss);
    ss->name = strdup(as);
    ss->q = calloc(QUEUE_MAX, sizeof *ss->q);
    if (!ss->name || !ss->q)
        BAD_SCRIPT("out of memory");
    struct xp_err err;
    xp_err_clear(&err);
    xporta_status st = xp_session_open(&ss->s, &o, &err);
    if (st != XPORTA_OK)
        FAIL("login as %s: %s: %s", o.jid, xporta_status_name(st),
             xp_err_msg(&err));
    xp_session_on_stanza(ss->s, on_stanza, ss);
    g.nsess++;
    ok("login %s as %s", as, xp_session_jid(ss->s));
}

static void close_sess(struct sess *ss)
{
    xp_session_close(ss->s);
    for (size_t i = 0; i < ss->n; i++)
        xp_arena_cleanup(&ss->q[(ss->head + i) % QUEUE_MAX].arena);
    free(ss->q);
    free(ss->name);
    size_t idx = (size_t)(ss - g.sessions);
    memmove(ss, ss + 1, (g.nsess - idx - 1) * sizeof *ss);
    g.nsess--;
    /* The moved sessions' callbacks point at their old slots. */
    for (size_t i = idx; i < g.nsess; i++)
        xp_session_on_stanza(g.sessions[i].s, on_stanza, &g.sessions[i]);
}

static void do_logout(struct xp_arena *a, const xp_elem *e)
{
    const char *as = need(a, e, "as");
    close_sess(find_sess(as, true));
    ok("logout %s", as);
}

static void save_elem(const char *path, const xp_elem *e)
{
    struct xp_buf b;
    xp_buf_init(&b, XP_MAX_RECORD_BYTES);
    if (xp_elem_serialize(&b, e, XP_NS_CLIENT) != XPORTA_OK ||
        xp_buf_addc(&b, '\n') != XPORTA_OK)
        FAIL("cannot serialise the stanza for %s", path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0)
        FAIL("cannot write %s: %s", path, strerror(errno));
    xp_buf_cleanup(&b);
}

static const char *describe(struct xp_arena *a, const xp_elem *payload)
{
    if (!payload)
        return "(empty)";
    const xp_elem *c = xp_elem_first_element(payload);
    const char *node = c ? xp_elem_attr_ns(c, "", "node") : NULL;
    return xp_arena_printf(a, "{%s}%s%s%s%s%s", payload->ns, payload->name,
                           c ? " " : "", c ? c->name : "", node ? " node=" : "",
                           node ? node : "");
}

struct iq_wait {
    bool done;
    xporta_status status;
    char type[32], condition[64], text[512];
    const char *save;
    const char *bind; /* NAME=PATH */
    char *bound;      /* the value found (malloc) */
};

/* Follows a bind='NAME=PATH' path from the <iq>. */
static char *lookup(const xp_elem *iq, const char *path)
{
    const xp_elem *e = iq;
    const char *p = path;
    while (e && *p) {
        size_t n = strcspn(p, "/");
        if (p[0] == '@') {
            char attr[128];
            snprintf(attr, sizeof attr, "%.*s", (int)n - 1, p + 1);
            const char *v = xp_elem_attr_ns(e, "", attr);
            return v && !p[n] ? strdup(v) : NULL;
        }
        const xp_elem *c = xp_elem_first_element(e);
        while (c && !(strlen(c->name) == n && strncmp(c->name, p, n) == 0))
            c = xp_elem_next_element(c);
        e = c;
        p += n;
        if (*p == '/')
            p++;
    }
    return e ? strdup(xp_elem_text(e)) : NULL;
}

static void on_iq(struct xp_session *s, const struct xp_iq_reply *r, void *ud)
{
    struct iq_wait *w = ud;
    (void)s;
    w->done = true;
    w->status = r->status;
    if (r->status == XPORTA_ESTANZA) {
        snprintf(w->type, sizeof w->type, "%s", r->error_type);
        snprintf(w->condition, sizeof w->condition, "%s", r->condition);
    }
    snprintf(w->text, sizeof w->text, "%s", r->text ? r->text : "");
    if (w->save && r->iq)
        save_elem(w->save, r->iq);
    if (w->bind && r->iq)
        w->bound = lookup(r->iq, strchr(w->bind, '=') + 1);
}

static void do_iq(struct xp_arena *a, const xp_elem *e)
{
    struct sess *ss = find_sess(need(a, e, "as"), true);
    const char *type = need(a, e, "type");
    const char *to = arg(a, e, "to");
    const char *expect = arg(a, e, "expect");
    const char *cond = arg(a, e, "condition");
    unsigned long timeout = num(a, e, "timeout", 0);
    if (!expect)
        expect = "result";
    if (strcmp(expect, "result") && strcmp(expect, "error") &&
        strcmp(expect, "any"))
        BAD_SCRIPT("<iq expect='%s'>: result, error or any", expect);
    const xp_elem *src = xp_elem_first_element(e);
    if (src && xp_elem_next_element(src))
        BAD_SCRIPT("<iq> carries one payload element at most");
    xp_elem *payload = src ? instantiate(a, src) : NULL;
    struct iq_wait w;
    memset(&w, 0, sizeof w);
    w.save = arg(a, e, "save");
    w.bind = arg(a, e, "bind");
    if (w.bind && (!strchr(w.bind, '=') || w.bind[0] == '='))
        BAD_SCRIPT("bind='%s': NAME=PATH", w.bind);
    xporta_status st =
        xp_session_iq(ss->s, type, to, payload, (unsigned)timeout, on_iq, &w);
    if (st != XPORTA_OK)
        FAIL("iq %s %s: cannot send: %s", type, describe(a, payload),
             xporta_status_name(st));
    while (!w.done)
        pump_once();
    const char *what = describe(a, payload);
    bool good = false;
    if (w.status == XPORTA_OK)
        good = strcmp(expect, "error") != 0;
    else if (w.status == XPORTA_ESTANZA)
        good = strcmp(expect, "result") != 0 &&
               (!cond || strcmp(cond, w.condition) == 0);
    if (!good) {
        if (w.status == XPORTA_ESTANZA)
            FAIL("iq %s %s (%s): expected %s%s%s, got error %s/%s%s%s", type,
                 what, ss->name, expect, cond ? " " : "", cond ? cond : "",
                 w.type, w.condition, w.text[0] ? ": " : "", w.text);
        FAIL("iq %s %s (%s): expected %s, got %s%s%s", type, what, ss->name,
             expect, xporta_status_name(w.status), w.text[0] ? ": " : "",
             w.text);
    }
    if (w.bind) {
        const char *eq = strchr(w.bind, '=');
        char *name = xp_arena_strndup(a, w.bind, (size_t)(eq - w.bind));
        if (!w.bound)
            FAIL("iq %s %s (%s): nothing at %s in the answer", type, what,
                 ss->name, eq + 1);
        if (!name || !xpt_vars_set(&g.vars, name, w.bound))
            BAD_SCRIPT("out of memory");
        free(w.bound);
    }
    if (w.status == XPORTA_OK)
        ok("iq %s %s (%s) -> result", type, what, ss->name);
    else
        ok("iq %s %s (%s) -> error %s/%s", type, what, ss->name, w.type,
           w.condition);
}

static void do_send(struct xp_arena *a, const xp_elem *e)
{
    struct sess *ss = find_sess(need(a, e, "as"), true);
    for (const xp_elem *c = xp_elem_first_element(e); c;
         c = xp_elem_next_element(c)) {
        xp_elem *st = instantiate(a, c);
        /* The script's "no namespace" is the stream's default. */
        xp_elem_rename_ns(st, "", XP_NS_CLIENT);
        xporta_status s = xp_session_send(ss->s, st);
        if (s != XPORTA_OK)
            FAIL("send <%s> (%s): %s", st->name, ss->name,
                 xporta_status_name(s));
        const char *to = xp_elem_attr_ns(st, "", "to");
        const char *type = xp_elem_attr_ns(st, "", "type");
        ok("send <%s%s%s%s%s> (%s)", st->name, type ? " type=" : "",
           type ? type : "", to ? " to=" : "", to ? to : "", ss->name);
    }
}

struct want {
    const char *name, *type, *from, *child_ns, *child;
};

static bool matches(const xp_elem *st, const struct want *w)
{
    if (!xp_elem_is(st, NULL, w->name))
        return false;
    const char *type = xp_elem_attr_ns(st, "", "type");
    if (w->type) {
        if (strcmp(w->type, "available") == 0 ? type != NULL
                                              : !xp_streq(type, w->type))
            return false;
    }
    if (w->from) {
        const char *from = xp_elem_attr_ns(st, "", "from");
        size_t n = from ? strcspn(from, "/") : 0;
        if (!from ||
            (strcmp(from, w->from) != 0 &&
             !(strlen(w->from) == n && strncmp(from, w->from, n) == 0)))
            return false;
    }
    if (w->child && !xp_elem_child(st, w->child_ns, w->child))
        return false;
    return true;
}

static void do_expect(struct xp_arena *a, const xp_elem *e)
{
    struct sess *ss = find_sess(need(a, e, "as"), true);
    struct want w = {need(a, e, "name"), arg(a, e, "type"), arg(a, e, "from"),
                     NULL, arg(a, e, "child")};
    const char *save = arg(a, e, "save");
    unsigned long timeout = num(a, e, "timeout", EXPECT_MS);
    if (w.child && w.child[0] == '{') {
        const char *close = strchr(w.child, '}');
        if (!close)
            BAD_SCRIPT("child='%s': {NAMESPACE}NAME", w.child);
        w.child_ns =
            xp_arena_strndup(a, w.child + 1, (size_t)(close - w.child - 1));
        w.child = close + 1;
    }
    long long end = xpt_now_ms() + (long long)timeout;
    for (;;) {
        for (size_t i = 0; i < ss->n; i++) {
            size_t k = (ss->head + i) % QUEUE_MAX;
            if (!matches(ss->q[k].st, &w))
                continue;
            if (save)
                save_elem(save, ss->q[k].st);
            xp_arena_cleanup(&ss->q[k].arena);
            /* Close the gap: shift the later entries down by one. */
            for (size_t j = i; j + 1 < ss->n; j++)
                ss->q[(ss->head + j) % QUEUE_MAX] =
                    ss->q[(ss->head + j + 1) % QUEUE_MAX];
            ss->n--;
            ok("expect <%s%s%s%s%s> (%s)", w.name, w.type ? " type=" : "",
               w.type ? w.type : "", w.from ? " from=" : "",
               w.from ? w.from : "", ss->name);
            return;
        }
        if (xpt_now_ms() >= end)
            break;
        pump_once();
    }
    printf("     %s has %zu unmatched stanza(s) queued:\n", ss->name, ss->n);
    for (size_t i = 0; i < ss->n && i < 20; i++) {
        struct xp_buf b;
        xp_buf_init(&b, 4096);
        xp_elem_serialize(&b, ss->q[(ss->head + i) % QUEUE_MAX].st,
                          XP_NS_CLIENT);
        printf("       %s\n", xp_buf_str(&b));
        xp_buf_cleanup(&b);
    }
    FAIL("expect <%s%s%s%s%s> (%s): nothing matching within %lu ms", w.name,
         w.type ? " type=" : "", w.type ? w.type : "", w.from ? " from=" : "",
         w.from ? w.from : "", ss->name, timeout);
}

/* ---- steps --------------------------------------------------------------- */

static void run_steps(const struct doc *d, const xp_elem *parent);

static void run_step(const struct doc *d, const xp_elem *e)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    cur_doc = d;
    cur_step = e;
    if (e->ns[0])
        BAD_SCRIPT("unknown step <%s xmlns='%s'>", e->name, e->ns);
    if (strcmp(e->name, "login") == 0) {
        do_login(&a, e);
    } else if (strcmp(e->name, "logout") == 0) {
        do_logout(&a, e);
    } else if (strcmp(e->name, "iq") == 0) {
        do_iq(&a, e);
    } else if (strcmp(e->name, "send") == 0) {
        do_send(&a, e);
    } else if (strcmp(e->name, "expect") == 0) {
        do_expect(&a, e);
    } else if (strcmp(e->name, "wait") == 0) {
        unsigned long ms = num(&a, e, "ms", 0);
        pump(ms);
        ok("wait %lu ms", ms);
    } else if (strcmp(e->name, "default") == 0 || strcmp(e->name, "set") == 0) {
        const char *name = need(&a, e, "name");
        const char *value = need(&a, e, "value");
        if ((strcmp(e->name, "set") == 0 || !xpt_vars_get(&g.vars, name)) &&
            !xpt_vars_set(&g.vars, name, value))
            BAD_SCRIPT("out of memory");
    } else if (strcmp(e->name, "echo") == 0) {
        printf("--   %s\n", need(&a, e, "text"));
    } else if (strcmp(e->name, "repeat") == 0) {
        unsigned long count = num(&a, e, "count", 0);
        unsigned long from = num(&a, e, "from", 1);
        const char *var = arg(&a, e, "var");
        for (unsigned long i = 0; i < count; i++) {
            char n[32];
            snprintf(n, sizeof n, "%lu", from + i);
            if (var && !xpt_vars_set(&g.vars, var, n))
                BAD_SCRIPT("out of memory");
            run_steps(d, e);
        }
    } else if (strcmp(e->name, "include") == 0) {
        const char *href = need(&a, e, "href");
        char *path = href[0] == '/' ? xp_arena_strdup(&a, href) : NULL;
        if (!path) {
            const char *slash = strrchr(d->path, '/');
            path = xp_arena_printf(&a, "%.*s%s",
                                   slash ? (int)(slash - d->path + 1) : 0,
                                   d->path, href);
        }
        if (++g.depth > MAX_INCLUDE_DEPTH)
            BAD_SCRIPT("includes nested deeper than %d", MAX_INCLUDE_DEPTH);
        const struct doc *inc = load_doc(path);
        run_steps(inc, inc->root);
        g.depth--;
    } else {
        BAD_SCRIPT("unknown step <%s>", e->name);
    }
    xp_arena_cleanup(&a);
}

static void run_steps(const struct doc *d, const xp_elem *parent)
{
    for (const xp_elem *e = xp_elem_first_element(parent); e;
         e = xp_elem_next_element(e))
        run_step(d, e);
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc < 3) {
        fprintf(stderr,
                "usage: xp_populate SERVERS_ENV SCRIPT.xml [NAME=VALUE ...]\n");
        return 2;
    }
    xpt_vars_init(&g.vars);
    if (!xpt_vars_load_env(&g.vars, argv[1], err, sizeof err)) {
        fprintf(stderr, "xp_populate: %s\n", err);
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            fprintf(stderr, "xp_populate: '%s' is not NAME=VALUE\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        if (!xpt_vars_set(&g.vars, argv[i], eq + 1))
            return 2;
    }
    g.cafile = xpt_vars_get(&g.vars, "TEST_CAFILE");
    if (!g.cafile) {
        fprintf(stderr, "xp_populate: %s has no XPORTA_TEST_CAFILE\n", argv[1]);
        return 2;
    }
    const struct doc *d = load_doc(argv[2]);
    run_steps(d, d->root);
    cur_doc = NULL;
    while (g.nsess)
        close_sess(&g.sessions[g.nsess - 1]);
    printf("%lu steps ok\n", g.steps);
    while (g.docs) {
        struct doc *next = g.docs->next;
        xp_arena_cleanup(&g.docs->arena);
        free(g.docs->lines);
        free(g.docs->path);
        free(g.docs);
        g.docs = next;
    }
    xpt_vars_free(&g.vars);
    return 0;
}
