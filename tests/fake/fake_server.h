/*
 * tests/fake: an in-memory XMPP server behind the session API.
 *
 * A test program links the library objects with tests/fake/fake_session.c
 * in place of lib/xmpp/xmpp_session.c (CMake target xporta_fake), sets up
 * servers and accounts with the functions below, and then runs the real
 * builders, decoders and jobs against them with no network.  What the fake
 * models, and what it does not, is in the design note of fake_session.c.
 *
 * Conventions: functions returning int give 0 on success and -1 on failure
 * (unknown server or account, malformed XML, out of memory); char * results
 * are malloc'd (free()).  JIDs are compared like servers do: local part and
 * domain without ASCII case.  Nothing here is thread-safe.
 */
#ifndef XPORTA_TESTS_FAKE_SERVER_H
#define XPORTA_TESTS_FAKE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "xporta.h"

/* ---- servers and accounts ----------------------------------------------- */

/* Forgets every server, account and counter.  Open sessions are cut off
 * (their next run returns XPORTA_EDISCONNECTED); close them as usual. */
void fake_reset(void);
/* A server for `domain` with the default features (Prosody 0.12 with
 * mod_mam, mod_blocklist, mod_privacy, mod_vcard, mod_private, mod_pep):
 * see fake_add_feature.  0 also when it exists. */
int fake_add_server(const char *domain);
/* Features, by name:
 *   "NS"         a disco#info feature of the domain (and, for urn:xmpp:mam:2
 *                and the pubsub ones, of its accounts); removing the
 *                feature of a protocol also switches the protocol off: its
 *                requests get <service-unavailable/> (jabber:iq:roster,
 *                vcard-temp, jabber:iq:private, jabber:iq:privacy,
 *                urn:xmpp:blocking, urn:xmpp:mam:2, urn:xmpp:ping,
 *                http://jabber.org/protocol/pubsub for PEP);
 *   "{NS}name"   a stream feature (xp_session_has_feature).
 * Removing "NS" also removes the stream features in NS. */
int fake_add_feature(const char *domain, const char *feature);
int fake_remove_feature(const char *domain, const char *feature);
/* The largest MAM page the server sends (Prosody: 50; default 50). */
int fake_set_mam_max(const char *domain, unsigned max);

/* Creates the account (its server too, if missing) or changes its
 * password. */
int fake_add_account(const char *jid, const char *password);
bool fake_has_account(const char *jid);

/* ---- seeding ------------------------------------------------------------- */

/* Loads every user of a XEP-0227 document (any dialect the library's
 * reader takes) as a server-side import would: servers and accounts are
 * created when missing, a user's plaintext password becomes the account's,
 * and every record is stored (roster items with their subscription state,
 * pending requests, vCard, private XML, privacy lists and the default,
 * blocklist, PEP nodes, affiliations and items, archive, MAM preferences).
 * SCRAM credentials, offline messages, PEP subscriptions and unknown
 * elements are ignored.  fake_load_pie_file reads a file (XIncludes are
 * not followed). */
int fake_load_pie(const char *xml);
int fake_load_pie_file(const char *path);
/* Stores one record given as the XML a XEP-0227 file carries for it, e.g.
 *   fake_put(j, XPORTA_KIND_ROSTER, NULL,
 *            "<item xmlns='jabber:iq:roster' jid='b@x' subscription='both'/>");
 *   fake_put(j, XPORTA_KIND_PEP_ITEM, "urn:xmpp:avatar:metadata",
 *            "<item xmlns='http://jabber.org/protocol/pubsub' id='1'>...");
 * `node` is used for PEP items only (other keys come from the payload, as
 * xp_record_derive_key makes them).  A PEP item of a node that does not
 * exist creates the node with the default configuration.  A record with
 * the key of a stored one replaces it; a privacy <default/> without a name
 * clears the default list. */
int fake_put(const char *jid, xporta_kind kind, const char *node,
             const char *xml);
/* A pending subscription request from `from`, delivered when the account
 * sends initial presence; `status` may be NULL. */
int fake_add_pending(const char *jid, const char *from, const char *status);
/* Adds a message to the account's archive.  `id` NULL: one is made up;
 * `stamp` (XEP-0082) NULL: now; `message` is a <message/> in jabber:client
 * (the default namespace if it declares none).  Kept in stamp order. */
int fake_archive_add(const char *jid, const char *id, const char *stamp,
                     const char *message);

/* ---- inspection -----------------------------------------------------------
 */

/* Records of a kind stored for the account (PEP items: of every node;
 * privacy: lists, plus one for the default list).  0 for an unknown
 * account. */
size_t fake_count(const char *jid, xporta_kind kind);
/* One stored record as XML text, or NULL: `key` as the kind's records are
 * keyed ("{ns}name" for private XML, "list NAME" or "default" for privacy),
 * `id` for PEP items (the key is the node). */
char *fake_get(const char *jid, xporta_kind kind, const char *key,
               const char *id);
/* The whole account as canonical text, one line per record:
 *   "KIND KEY[ ID]: XML\n"
 * in the order of the kinds in xporta.h, keys sorted (PEP items per node
 * in publish order, the archive in stamp order).  Attributes are sorted
 * and whitespace between elements dropped, so equal data dumps equal. */
char *fake_dump(const char *jid);
/* IQ requests (get and set) the server handled for the account, over all
 * its sessions since it was created or fake_reset, and those of one kind
 * of request: `what` as in fake_fail ("roster set", "pep publish set";
 * "unknown" for payloads the server does not know).  Refused and
 * unanswered requests count; the one a connection dropped at does not.
 * Requests are handled when the sending session runs (or closes). */
unsigned long fake_requests(const char *jid);
unsigned long fake_requests_of(const char *jid, const char *what);
/* Sessions of the account open now. */
unsigned fake_sessions(const char *jid);

/* ---- faults -------------------------------------------------------------- */

/* Makes the server refuse requests of the account.  `what` names a request:
 *   "roster get", "roster set", "vcard get", "vcard set", "private get",
 *   "private set", "privacy get", "privacy set", "blocklist get",
 *   "block set", "unblock set", "disco#info get", "disco#items get",
 *   "ping get", "pep items get", "pep publish set", "pep create set",
 *   "pep retract set", "pep delete set", "pep configure get",
 *   "pep configure set", "pep affiliations get", "pep affiliations set",
 *   "mam prefs get", "mam prefs set", "mam query set";
 *   "*" for any IQ request;
 *   "presence subscribe" (also subscribed, unsubscribe, unsubscribed): the
 *   presence comes back as an error from its addressee;
 *   "login": xp_session_open fails (condition "not-authorized" gives
 *   XPORTA_EAUTH, "timeout" XPORTA_ETIMEOUT, anything else XPORTA_ENET).
 * `condition` is a stanza error condition ("not-acceptable",
 * "resource-constraint", ...; the error type follows RFC 6120 §8.3.3),
 * optionally followed by ": TEXT" for an error <text>, or one of
 *   "no-answer"   the request is never answered (the caller's deadline
 *                 passes; the fake's clock jumps, no real waiting),
 *   "disconnect"  the connection drops when the request arrives,
 *   "lost"        the request is answered with a result, and nothing is
 *                 stored (a server that loses data: what verify catches).
 * `times` 0: from now on; N: the next N matching requests. */
int fake_fail(const char *jid, const char *what, const char *condition,
              unsigned times);
/* The server answers `n` more IQ requests of the account, then drops the
 * connection when the next one arrives (that one is not handled): the
 * session's next run returns XPORTA_EDISCONNECTED, pending callbacks get
 * XPORTA_EDISCONNECTED and xp_session_error() says why.  Once. */
int fake_disconnect_after(const char *jid, unsigned n);
/* Ends every session of the account with a stream error, seen at their
 * next run: "DOMAIN closed the stream: system-shutdown (killed by the
 * test)". */
int fake_kill(const char *jid);
/* Forgets the account's faults. */
int fake_clear_faults(const char *jid);

#endif
