/* Errors in words: a failed step of a job, said for people ("the new
 * server refused the password"), with the library's detail after it. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serve_p.h"

/* Does the detail name this account?  (The session layer's messages say
 * "authentication failed for JID: ...".) */
static bool names(const char *detail, const char *jid)
{
    if (!detail || !jid || !*jid)
        return false;
    size_t n = strlen(jid);
    for (const char *p = detail; *p; p++)
        if (strncasecmp(p, jid, n) == 0)
            return true;
    return false;
}

static void cap1(char *s)
{
    if (s[0] >= 'a' && s[0] <= 'z')
        s[0] = (char)(s[0] - 'a' + 'A');
}

void xs_words(char *out, size_t cap, xporta_status st, const char *detail,
              const char *old_jid, const char *new_jid)
{
    const char *side = "the server";
    if (new_jid && names(detail, new_jid))
        side = "the new server";
    else if (old_jid && names(detail, old_jid))
        side = new_jid ? "the old server" : "the server";
    const char *what;
    switch (st) {
    case XPORTA_OK:
        what = "done";
        break;
    case XPORTA_EAUTH:
        snprintf(out, cap,
                 "%s refused the password (or the address is wrong)%s%s", side,
                 detail ? ": " : "", detail ? detail : "");
        cap1(out);
        return;
    case XPORTA_ENET:
        snprintf(out, cap,
                 "%s could not be reached: check the address, or "
                 "try again later%s%s",
                 side, detail ? ": " : "", detail ? detail : "");
        cap1(out);
        return;
    case XPORTA_ETLS:
        snprintf(out, cap,
                 "%s's certificate could not be verified, so "
                 "nothing was sent to it%s%s",
                 side, detail ? ": " : "", detail ? detail : "");
        cap1(out);
        return;
    case XPORTA_ETIMEOUT:
        what = "a server did not answer in time; run it again to go on "
               "where it stopped";
        break;
    case XPORTA_EDISCONNECTED:
        what = "the connection to a server was lost; run it again to go on "
               "where it stopped";
        break;
    case XPORTA_ECANCELED:
        what = "stopped before the end; run it again to go on where it "
               "stopped";
        break;
    case XPORTA_ELOCKED:
        what = "the same work is already running (here or in a terminal); "
               "wait for it to finish";
        break;
    case XPORTA_ESTANZA:
        what = "a server refused a request";
        break;
    case XPORTA_EUNSUPPORTED:
        what = "a server lacks something this needs";
        break;
    case XPORTA_EFORMAT:
        what = "the file is not a valid XEP-0227 account export";
        break;
    case XPORTA_ETOOBIG:
        what = "something was bigger than allowed";
        break;
    case XPORTA_ENOTFOUND:
        what = "something was not found (an account, a user in the file, a "
               "file)";
        break;
    case XPORTA_ECONFLICT:
        what = "the data on the new account differs from what was expected";
        break;
    case XPORTA_EIO:
        what = "a file could not be read or written on this computer";
        break;
    case XPORTA_EINVAL:
        what = "a value given was not valid";
        break;
    case XPORTA_ENOMEM:
        what = "this computer ran out of memory";
        break;
    default:
        what = "something went wrong";
        break;
    }
    snprintf(out, cap, "%s%s%s", what, detail && *detail ? ": " : "",
             detail ? detail : "");
    cap1(out);
}
