/* xporta serve: the web migrator (web/).  The one entry point the command
 * (cli/cmd_serve.c) calls. */
#ifndef XPORTA_WEB_SERVE_H
#define XPORTA_WEB_SERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct xs_options {
    unsigned short port;   /* 0: the kernel picks */
    const char *state_dir; /* NULL: $XDG_STATE_HOME/xporta (serve/ in it) */
    uint64_t max_upload;   /* bytes */
    unsigned max_jobs;     /* jobs running at once */
    const char *cafile;    /* trusted for every account */
    bool insecure;
    /* Portal mode (docs/portal.md): `listen` set. */
    const char *listen;      /* ADDR[:PORT] */
    const char *public_url;  /* the exact Origin of writes */
    const char *trust_proxy; /* X-Forwarded-For only from this peer */
    const char *store;       /* the server's storage: history on import */
    const char *xmpp_server; /* HOST[:PORT] of the logged-in accounts */
    unsigned file_ttl;       /* seconds a job's files are kept */
    unsigned session_ttl;    /* seconds a session lives unused */
    unsigned max_session_jobs;
};

/* Serves until SIGINT or SIGTERM (which the caller has blocked in every
 * thread: serve waits for them with sigtimedwait).  Prints the address
 * with its token once to `out`, and problems to `err`.  Returns 0 after a
 * clean stop, else a CLI exit code. */
int xs_serve(const struct xs_options *o, FILE *out, FILE *err);

/* "4G", "512M", "1000k", "12345" -> bytes; 0 on a bad value. */
uint64_t xs_parse_size(const char *s);

#endif
