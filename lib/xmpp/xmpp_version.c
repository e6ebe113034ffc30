/*
 * The versions of libstrophe and OpenSSL this library runs with (for
 * xporta --version): only lib/xmpp includes <strophe.h>.
 *
 * libstrophe 0.12 has no version string, only xmpp_version_check(major,
 * minor), true when the loaded library has that major and a minor no
 * greater than the one asked; the smallest minor that passes is the
 * library's.  Its patch level is known only from the headers it was
 * compiled against (XP_STROPHE_BUILT, from pkg-config, set by CMake).
 * OpenSSL is the one libstrophe loaded: the process has one libcrypto.
 */
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <strophe.h>

#include "xmpp.h"

#ifndef XP_STROPHE_BUILT
#define XP_STROPHE_BUILT "an unknown version"
#endif

/* The loaded libstrophe's major.minor. */
static bool strophe_runtime(int *major, int *minor)
{
    for (int ma = 0; ma < 10; ma++) {
        for (int mi = 0; mi < 1000; mi++) {
            if (xmpp_version_check(ma, mi)) {
                *major = ma;
                *minor = mi;
                return true;
            }
        }
    }
    return false;
}

void xp_session_library_versions(struct xp_library_versions *v)
{
    int major, minor;
    if (strophe_runtime(&major, &minor))
        snprintf(v->strophe, sizeof v->strophe,
                 "libstrophe %d.%d at run time (compiled against %s)", major,
                 minor, XP_STROPHE_BUILT);
    else
        snprintf(v->strophe, sizeof v->strophe,
                 "libstrophe (run time version unknown; compiled against %s)",
                 XP_STROPHE_BUILT);
    snprintf(v->openssl, sizeof v->openssl, "%s",
             OpenSSL_version(OPENSSL_VERSION));
}
