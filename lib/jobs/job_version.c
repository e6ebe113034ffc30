/*
 * xporta_version_string(): this library's version and those of the
 * libraries it runs with, for xporta --version.  Each layer reports its
 * own: lib/xmpp libstrophe and OpenSSL, lib/pie expat.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../pie/pie.h"
#include "../xmpp/xmpp.h"

static char versions[512];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

static void versions_make(void)
{
    struct xp_library_versions session;
    xp_session_library_versions(&session);
    const char *expat = pie_expat_version();
    if (strncmp(expat, "expat_", 6) == 0)
        expat += 6;
    snprintf(versions, sizeof versions, "libxporta %s\n%s\nexpat %s\n%s\n",
             xporta_version(), session.strophe, expat, session.openssl);
}

const char *xporta_version_string(void)
{
    pthread_once(&versions_once, versions_make);
    return versions;
}
