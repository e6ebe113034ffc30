/*
 * xporta serve: the web migrator on 127.0.0.1 (web/).  Move an account,
 * download a copy, import a file, in a browser, with live progress.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

static const char serve_help[] =
    "Usage: xporta serve [OPTIONS]\n"
    "\n"
    "Serve the web migrator on 127.0.0.1: move an account (plan, copy with\n"
    "live progress, verification, then tell your contacts), download your\n"
    "data as a XEP-0227 file, import a file into an account.  Prints one\n"
    "address with a secret token: open it in a browser on this computer.\n"
    "Stop with Ctrl-C; running work is resumable from the page.\n"
    "\n"
    "Options:\n"
    "  --port N           listen on port N (default: any free port)\n"
    "  --state-dir DIR    where jobs and uploads live (default:\n"
    "                     $XDG_STATE_HOME/xporta, jobs in DIR/serve)\n"
    "  --max-upload SIZE  the biggest file accepted (default 4G; k, M, G)\n"
    "  --max-jobs N       jobs running at once (default 2)\n"
    "  --cafile FILE      also trust this CA certificate (PEM), for every\n"
    "                     account\n"
    "  --insecure         do not verify servers' certificates (dangerous)\n"
    "  -h, --help         this text\n"
    "\n"
    "Provider portal (behind a reverse proxy; docs/portal.md):\n"
    "  --listen ADDR[:PORT]   listen there (IPv4 or [IPv6]); no token: each\n"
    "                         session logs in as its own XMPP account\n"
    "  --public-url URL       the address people open (required); writes\n"
    "                         must carry its Origin; https: Secure cookies\n"
    "  --trust-proxy ADDR     take X-Forwarded-For only from this peer\n"
    "  --xmpp-server HOST[:PORT]  where the accounts are checked and used\n"
    "                         (default: found by the domain's name)\n"
    "  --store STORE          the server's storage (prosody:DIR, ...): an\n"
    "                         import also carries the archive and offline\n"
    "                         messages into the user's account\n"
    "  --file-ttl SECONDS     files and jobs kept this long (default 3600)\n"
    "  --session-ttl SECONDS  a session unused this long ends (default 1800)\n"
    "  --max-session-jobs N   jobs one account runs at once (default 1)\n"
    "\n"
    "Passwords are typed into the page, kept in memory only while a step\n"
    "needs them, and never written anywhere.\n";

enum {
    O_PORT = 2000,
    O_STATE,
    O_MAX_UPLOAD,
    O_MAX_JOBS,
    O_CAFILE,
    O_INSECURE,
    O_LISTEN,
    O_PUBLIC_URL,
    O_TRUST_PROXY,
    O_XMPP_SERVER,
    O_STORE,
    O_FILE_TTL,
    O_SESSION_TTL,
    O_MAX_SESSION_JOBS,
};

/* 1..max seconds, or 0 */
static unsigned seconds(const char *s, unsigned long max)
{
    char *e;
    unsigned long v = strtoul(s, &e, 10);
    return *e || !*s || v < 1 || v > max ? 0 : (unsigned)v;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, O_PORT},
        {"state-dir", required_argument, NULL, O_STATE},
        {"max-upload", required_argument, NULL, O_MAX_UPLOAD},
        {"max-jobs", required_argument, NULL, O_MAX_JOBS},
        {"cafile", required_argument, NULL, O_CAFILE},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"listen", required_argument, NULL, O_LISTEN},
        {"public-url", required_argument, NULL, O_PUBLIC_URL},
        {"trust-proxy", required_argument, NULL, O_TRUST_PROXY},
        {"xmpp-server", required_argument, NULL, O_XMPP_SERVER},
        {"store", required_argument, NULL, O_STORE},
        {"file-ttl", required_argument, NULL, O_FILE_TTL},
        {"session-ttl", required_argument, NULL, O_SESSION_TTL},
        {"max-session-jobs", required_argument, NULL, O_MAX_SESSION_JOBS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct xs_options o;
    memset(&o, 0, sizeof o);
    o.max_upload = 4ull << 30;
    o.max_jobs = 2;
    int opt;
    char *e;
    unsigned long v;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case O_PORT:
            v = strtoul(optarg, &e, 10);
            if (*e || !*optarg || v > 65535)
                return cli_usage_error("serve", "--port wants 0..65535");
            o.port = (unsigned short)v;
            break;
        case O_STATE:
            o.state_dir = optarg;
            break;
        case O_MAX_UPLOAD:
            o.max_upload = xs_parse_size(optarg);
            if (!o.max_upload)
                return cli_usage_error("serve",
                                       "--max-upload wants a size (512M, 4G)");
            break;
        case O_MAX_JOBS:
            v = strtoul(optarg, &e, 10);
            if (*e || v < 1 || v > 64)
                return cli_usage_error("serve", "--max-jobs wants 1..64");
            o.max_jobs = (unsigned)v;
            break;
        case O_CAFILE:
            o.cafile = optarg;
            break;
        case O_INSECURE:
            o.insecure = true;
            break;
        case O_LISTEN:
            o.listen = optarg;
            break;
        case O_PUBLIC_URL:
            o.public_url = optarg;
            break;
        case O_TRUST_PROXY:
            o.trust_proxy = optarg;
            break;
        case O_XMPP_SERVER:
            o.xmpp_server = optarg;
            break;
        case O_STORE:
            o.store = optarg;
            break;
        case O_FILE_TTL:
            if (!(o.file_ttl = seconds(optarg, 30ul * 86400)))
                return cli_usage_error("serve", "--file-ttl wants seconds");
            break;
        case O_SESSION_TTL:
            if (!(o.session_ttl = seconds(optarg, 7ul * 86400)))
                return cli_usage_error("serve", "--session-ttl wants seconds");
            break;
        case O_MAX_SESSION_JOBS:
            if (!(o.max_session_jobs = seconds(optarg, 64)))
                return cli_usage_error("serve",
                                       "--max-session-jobs wants 1..64");
            break;
        case 'h':
            fputs(serve_help, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("serve", argv, "h");
        }
    }
    if (optind != argc)
        return cli_usage_error("serve", "takes no arguments");
    if (!o.listen &&
        (o.public_url || o.trust_proxy || o.xmpp_server || o.store ||
         o.file_ttl || o.session_ttl || o.max_session_jobs))
        return cli_usage_error("serve",
                               "--public-url, --trust-proxy, --xmpp-server, "
                               "--store and the ttls are for a portal "
                               "(--listen)");
    if (o.listen && !o.public_url)
        return cli_usage_error("serve", "--listen needs --public-url");
    if (o.insecure)
        cli_warn("--insecure: servers' certificates are not verified");
    /* Every thread (MHD's, the workers) inherits the mask: only serve's
     * main thread takes SIGINT and SIGTERM, with sigtimedwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* A server that resets its connection while a worker writes must fail
     * that one step (EPIPE), not kill every job and stream of serve. */
    signal(SIGPIPE, SIG_IGN);
    return xs_serve(&o, stdout, stderr);
}
