/*
 * SCRAM's stored and server keys of a password (RFC 5802), for the server
 * stores that must tell whether credentials they hold accept a plaintext
 * password (prosody_map_write.c, ejd_write.c).
 */
#ifndef XPORTA_STORE_SCRAM_KEYS_H
#define XPORTA_STORE_SCRAM_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* `mech` "SCRAM-SHA-1", "SCRAM-SHA-256" or "SCRAM-SHA-512"; `stored` and
 * `server` hold 64 bytes; *len gets the hash's length.  False for another
 * mechanism or when OpenSSL fails. */
bool scram_keys_compute(const char *mech, const char *password,
                        const unsigned char *salt, size_t salt_len, long iter,
                        unsigned char *stored, unsigned char *server,
                        size_t *len);

#endif
