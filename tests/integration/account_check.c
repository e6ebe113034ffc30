/*
 * xporta_account_check() on a real server (tests/integration/store_live.sh):
 *
 *   account_check JID PASSWORD_FILE HOST PORT CAFILE EXPECT
 *
 * EXPECT is ok, auth, net or tls: the status the check must return.  The
 * detail in words is printed; exit 0 when the status is the expected one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xporta.h"

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: account_check JID PWFILE HOST PORT CAFILE "
                        "ok|auth|net|tls\n");
        return 2;
    }
    char pw[256] = "";
    FILE *f = fopen(argv[2], "r");
    if (!f || !fgets(pw, sizeof pw, f)) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 2;
    }
    fclose(f);
    pw[strcspn(pw, "\n")] = '\0';
    xporta_account *a = NULL;
    if (xporta_account_new(&a, argv[1]) != XPORTA_OK ||
        xporta_account_set_password(a, pw) != XPORTA_OK ||
        xporta_account_set_server(a, argv[3], (unsigned short)atoi(argv[4])) !=
            XPORTA_OK ||
        (*argv[5] && xporta_account_set_cafile(a, argv[5]) != XPORTA_OK)) {
        fprintf(stderr, "bad account\n");
        return 2;
    }
    char why[512];
    xporta_status st = xporta_account_check(a, why, sizeof why);
    xporta_account_free(a);
    const char *got = st == XPORTA_OK      ? "ok"
                      : st == XPORTA_EAUTH ? "auth"
                      : st == XPORTA_ENET  ? "net"
                      : st == XPORTA_ETLS  ? "tls"
                                           : xporta_strerror(st);
    printf("%s: %s%s%s\n", argv[1], got, *why ? ": " : "", why);
    if (strcmp(got, argv[6]) != 0) {
        fprintf(stderr, "FAIL: %s: %s, want %s\n", argv[1], got, argv[6]);
        return 1;
    }
    if (st != XPORTA_OK && !*why) {
        fprintf(stderr, "FAIL: %s: no detail\n", argv[1]);
        return 1;
    }
    return 0;
}
