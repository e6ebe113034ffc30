/* xporta serve, portal mode: what serve_portal.c and serve_login.c share
 * (web/). */
#ifndef XPORTA_WEB_SERVE_PORTAL_P_H
#define XPORTA_WEB_SERVE_PORTAL_P_H

#include <netinet/in.h>

#include "serve_portal.h"
#include "serve_srv.h"

enum {
    XS_LOGINS_AT_ONCE = 8, /* SASL checks running at once */
    XS_JOBS_KEPT = 8,      /* jobs an account keeps here at once */
    XS_LOGIN_BURST = 5,    /* attempts before the limit ... */
    XS_LOGIN_EVERY = 60,   /* ... then one per this many seconds */
};

struct xs_portal {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bool v6, secure;
    char origin[300], host[256];
    struct sockaddr_storage proxy;
    bool has_proxy;
    char xmpp_host[256];
    unsigned short xmpp_port;
    const char *store;
    bool store_archive, store_offline;
    char store_note[600]; /* the refused kind and why, in words */
    double file_ttl;
    unsigned max_session_jobs;
    unsigned char log_key[16];
    struct xs_ptab sessions;
    struct xs_buckets by_ip, by_jid;
    unsigned logins; /* being checked */
};

struct xs_login {
    struct xs_server *s;
    struct MHD_Connection *c;
    char jid[256], ip[64];
    char *password;
    xporta_status st;
    char why[512];
    bool done;
};

/* serve_portal.c */
const char *xs_portal_hdr(struct MHD_Connection *c, const char *name);
/* The client's address: X-Forwarded-For's last entry from --trust-proxy,
 * else the peer's. */
void xs_portal_client_ip(struct xs_portal *p, struct MHD_Connection *c,
                         char *out, size_t cap);

/* serve_login.c */
void xs_portal_wipe(char *p);
/* POST /api/login: the check in a thread, the connection suspended; the
 * answer when it is resumed. */
enum MHD_Result xs_portal_login(struct xs_server *s, struct MHD_Connection *c,
                                struct xs_req *q);
enum MHD_Result xs_portal_logout(struct xs_server *s, struct MHD_Connection *c,
                                 struct xs_req *q);

#endif
