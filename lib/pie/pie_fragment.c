/*
 * One XML element from a string: a stanza as a server keeps it in a
 * database column (Prosody's SQL archive keeps tostring(stanza)).  Expat
 * with namespace processing; no DOCTYPE, hence no entity expansion.
 */
#include <expat.h>
#include <string.h>

#include "pie.h"

#define NS_SEP '\x01'
#define MAX_DEPTH 256

struct frag {
    struct xp_arena *a;
    const char *default_ns;
    xp_elem *root, *cur;
    unsigned depth;
    bool failed, oom;
    const char *why;
    XML_Parser p;
};

/* "ns\1local" or "local" */
static void split(struct frag *f, const char *name, const char **ns,
                  const char **local)
{
    const char *sep = strchr(name, NS_SEP);
    if (!sep) {
        *ns = NULL;
        *local = name;
        return;
    }
    *ns = xp_arena_strndup(f->a, name, (size_t)(sep - name));
    *local = sep + 1;
    if (!*ns)
        f->oom = true;
}

static void stop(struct frag *f, const char *why)
{
    if (!f->failed) {
        f->failed = true;
        f->why = why;
        XML_StopParser(f->p, XML_FALSE);
    }
}

static void XMLCALL on_start(void *ud, const XML_Char *name,
                             const XML_Char **attrs)
{
    struct frag *f = ud;
    if (f->failed)
        return;
    if (f->root && !f->cur) {
        stop(f, "more than one element");
        return;
    }
    if (++f->depth > MAX_DEPTH) {
        stop(f, "elements nested too deep");
        return;
    }
    const char *ns, *local;
    split(f, name, &ns, &local);
    if (!ns)
        ns = f->cur ? f->cur->ns : f->default_ns;
    /* expat's strings last only as long as the callback */
    local = f->oom ? NULL : xp_arena_strdup(f->a, local);
    xp_elem *e = local ? xp_elem_new(f->a, ns, local) : NULL;
    if (!e) {
        f->oom = true;
        stop(f, "out of memory");
        return;
    }
    for (size_t i = 0; attrs[i]; i += 2) {
        const char *ans, *alocal;
        split(f, attrs[i], &ans, &alocal);
        if (f->oom ||
            !xp_elem_set_attr(f->a, e, ans ? ans : "", alocal, attrs[i + 1])) {
            f->oom = true;
            stop(f, "out of memory");
            return;
        }
    }
    if (f->cur)
        xp_elem_append(f->cur, e);
    else
        f->root = e;
    f->cur = e;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct frag *f = ud;
    (void)name;
    if (f->failed || !f->cur)
        return;
    f->depth--;
    f->cur = f->cur->parent;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct frag *f = ud;
    if (f->failed)
        return;
    if (!f->cur) {
        stop(f, "text outside the element");
        return;
    }
    if (!xp_elem_add_text(f->a, f->cur, s, (size_t)len)) {
        f->oom = true;
        stop(f, "out of memory");
    }
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    stop(ud, "a DOCTYPE (not allowed in a stanza)");
}

xporta_status pie_parse_element(struct xp_arena *a, const char *xml, size_t len,
                                const char *default_ns, xp_elem **out,
                                const char **why, unsigned long *line,
                                unsigned long *col)
{
    struct frag f = {.a = a, .default_ns = default_ns ? default_ns : ""};
    *out = NULL;
    *why = NULL;
    *line = *col = 0;
    if (len > (size_t)INT32_MAX) {
        *why = "too large";
        return XPORTA_ETOOBIG;
    }
    f.p = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!f.p)
        return XPORTA_ENOMEM;
    XML_SetUserData(f.p, &f);
    XML_SetElementHandler(f.p, on_start, on_end);
    XML_SetCharacterDataHandler(f.p, on_text);
    XML_SetStartDoctypeDeclHandler(f.p, on_doctype);
    XML_SetParamEntityParsing(f.p, XML_PARAM_ENTITY_PARSING_NEVER);
    enum XML_Status s = XML_Parse(f.p, xml, (int)len, XML_TRUE);
    xporta_status st = XPORTA_OK;
    if (f.oom) {
        st = XPORTA_ENOMEM;
        *why = "out of memory";
    } else if (f.failed || s != XML_STATUS_OK || !f.root) {
        st = XPORTA_EFORMAT;
        *why = f.why ? f.why
               : !f.root && s == XML_STATUS_OK
                   ? "no element"
                   : XML_ErrorString(XML_GetErrorCode(f.p));
        *line = (unsigned long)XML_GetCurrentLineNumber(f.p);
        *col = (unsigned long)XML_GetCurrentColumnNumber(f.p) + 1;
    } else {
        *out = f.root;
    }
    XML_ParserFree(f.p);
    return st;
}
