/* SCRAM keys of a password (scram_keys.h). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "scram_keys.h"

bool scram_keys_compute(const char *mech, const char *password,
                        const unsigned char *salt, size_t salt_len, long iter,
                        unsigned char *stored, unsigned char *server,
                        size_t *len)
{
    const EVP_MD *md = strcmp(mech, "SCRAM-SHA-1") == 0     ? EVP_sha1()
                       : strcmp(mech, "SCRAM-SHA-256") == 0 ? EVP_sha256()
                       : strcmp(mech, "SCRAM-SHA-512") == 0 ? EVP_sha512()
                                                            : NULL;
    if (!md || iter < 1 || salt_len > 1024)
        return false;
    unsigned char salted[64], ck[64];
    unsigned int n = (unsigned int)EVP_MD_size(md), k = n;
    if (!PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
                           (int)iter, md, (int)n, salted) ||
        !HMAC(md, salted, (int)n, (const unsigned char *)"Client Key", 10, ck,
              &k) ||
        !HMAC(md, salted, (int)n, (const unsigned char *)"Server Key", 10,
              server, &k) ||
        !EVP_Digest(ck, n, stored, &k, md, NULL))
        return false;
    *len = n;
    return true;
}
