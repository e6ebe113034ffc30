/*
 * lib/xmpp/xmpp_session_p.h: the real session's state, shared by its two
 * files: xmpp_session.c (the connection, requests, the loop) and
 * xmpp_login.c (what a failed login tells).  The tests' fake server has a
 * session of its own and links neither.
 */
#ifndef XPORTA_XMPP_XMPP_SESSION_P_H
#define XPORTA_XMPP_XMPP_SESSION_P_H

#include "xmpp_p.h"

enum state { ST_CONNECTING, ST_ONLINE, ST_CLOSING, ST_CLOSED };

/* How far the login got, for the detail of a failure or a timeout. */
enum phase { PH_CONNECT, PH_STREAM, PH_TLS, PH_AUTH, PH_BIND };

enum { NOTE_MAX = 256 }; /* one remembered log fact */

struct xp_session {
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    xmpp_log_t log; /* the context points here: handler NULL = silent */
    enum state state;
    struct xp_err err;

    char *account; /* user@domain as given */
    char *where;   /* "old.localhost (127.0.0.1:15222)", for details */
    char *jid, *bare, *domain;

    /* What the login taught (see the design note). */
    enum phase phase;
    struct xp_buf features; /* "{ns}name\n" lines */
    bool no_tls;
    bool sasl_failed;
    char sasl_condition[NOTE_MAX];
    char sasl_text[NOTE_MAX];
    char cert_reason[2 * NOTE_MAX];
    char lib_error[NOTE_MAX];
    char tls_error[NOTE_MAX];
    int connect_errno; /* from "connection failed, error N" */
    int conn_error;    /* the connection handler's error */
    bool stream_error;
    char stream_condition[64];
    char stream_text[NOTE_MAX];

    struct xp_client c; /* requests in flight, received stanzas */

    int fd;
    uint64_t bytes_in, bytes_out;
    unsigned long handled; /* stanzas seen (the loop's progress) */
};

/* The session xp_session_open() is opening: libstrophe's certfail and
 * sockopt callbacks carry no userdata (see xmpp_login.c). */
extern _Thread_local struct xp_session *xp_session_opening;

/* ---- xmpp_login.c ---- */

/* libstrophe's log handler while the stream is negotiated. */
void xp_login_on_log(void *ud, xmpp_log_level_t level, const char *area,
                     const char *msg);
/* The certfail handler: rejects, and records OpenSSL's reason. */
int xp_login_on_certfail(const xmpp_tlscert_t *cert,
                         const char *const errormsg);
/* Fails s->err with why the login failed, from what the handlers saw. */
void xp_login_failure(struct xp_session *s);
/* xmpp_connect_client() failed at once: name resolution or socket(). */
void xp_login_connect_error(struct xp_session *s, const char *name);
/* The condition of a stream error, as sent. */
const char *xp_login_stream_condition(const xmpp_stream_error_t *se);
const char *xp_login_phase_name(enum phase p);
void xp_login_note(char *dst, size_t cap, const char *src);
const char *xp_login_errno_text(int e, char *buf, size_t cap);

#endif
