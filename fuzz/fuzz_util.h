/* Shared by the fuzz targets: input splitting and a chunked reader. */
#ifndef XPORTA_FUZZ_FUZZ_UTIL_H
#define XPORTA_FUZZ_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xporta.h"

struct fuzz_input {
    const uint8_t *data;
    size_t len;
    size_t pos;
    size_t chunk;
};

/* The first byte picks how the bytes arrive (1..32 at a time, or 64 KiB),
 * so that every split of a token across reads gets exercised. */
static inline void fuzz_input_init(struct fuzz_input *in, const uint8_t *data,
                                   size_t size)
{
    in->chunk = size ? (data[0] & 31) + 1 : 1;
    if (size && (data[0] & 0x80))
        in->chunk = 65536;
    in->data = size ? data + 1 : data;
    in->len = size ? size - 1 : 0;
    in->pos = 0;
}

static inline long fuzz_read(void *ud, char *buf, size_t cap)
{
    struct fuzz_input *in = ud;
    size_t n = in->len - in->pos;
    if (n > in->chunk)
        n = in->chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, in->data + in->pos, n);
    in->pos += n;
    return (long)n;
}

/* Includes resolve to small fixed documents, so the include machinery is
 * exercised without touching the file system. */
static const char fuzz_host_doc[] =
    "<host xmlns='urn:xmpp:pie:0' jid='inc.example'><user name='i'>"
    "<query xmlns='jabber:iq:roster'><item jid='a@b'/></query></user></host>";
static const char fuzz_user_doc[] =
    "<user xmlns='urn:xmpp:pie:0' name='u'><vCard xmlns='vcard-temp'/></user>";

static inline long fuzz_read_doc(void *ud, char *buf, size_t cap)
{
    struct fuzz_input *in = ud;
    return fuzz_read(in, buf, cap);
}

static inline xporta_status fuzz_include(void *ud, const char *base,
                                         const char *href, xporta_read_fn *read,
                                         void **read_ud, char **name)
{
    static struct fuzz_input docs[2];
    (void)ud;
    (void)base;
    if (strcmp(href, "missing.xml") == 0)
        return XPORTA_ENOTFOUND;
    int which = strstr(href, "user") != NULL;
    const char *text = which ? fuzz_user_doc : fuzz_host_doc;
    docs[which].data = (const uint8_t *)text;
    docs[which].len = strlen(text);
    docs[which].pos = 0;
    docs[which].chunk = 7;
    *read = fuzz_read_doc;
    *read_ud = &docs[which];
    *name = NULL;
    return XPORTA_OK;
}

#endif
