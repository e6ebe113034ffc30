/*
 * Erlang terms as ejabberd keeps some values in SQL: misc:term_to_expr()
 * writes io_lib:print(Term) (pubsub_node_option.val, archive_prefs.always
 * and .never) and misc:expr_to_term() reads it back with erl_scan and
 * erl_parse over the bytes.  So a binary's bytes stand in the text as they
 * are (<<"caf\303\251">> prints as the UTF-8 bytes themselves), or as a list
 * of integers when io_lib finds them unprintable (<<1,2>>).
 *
 * Only data terms are read (atoms, integers, binaries, strings, lists,
 * tuples), never evaluated; anything else is an error.
 */
#ifndef XPORTA_STORE_EJD_TERM_H
#define XPORTA_STORE_EJD_TERM_H

#include "../model/xp_model.h"

enum et_type { ET_ATOM, ET_INT, ET_BIN, ET_LIST, ET_TUPLE };

struct eterm {
    enum et_type t;
    const char *s; /* ATOM, BIN: the bytes, NUL-terminated */
    size_t len;
    long long i;        /* INT */
    struct eterm *kids; /* LIST, TUPLE (a string "..." is a BIN) */
    size_t n;
};

/* Parses one term of text[0..len) into `a`; false with *why set. */
bool et_parse(struct xp_arena *a, const char *text, size_t len,
              struct eterm *out, const char **why);

/* Writes a term as io_lib:print would for what ejabberd stores: an atom
 * (quoted when it must be), an integer, a binary <<"...">>. */
xporta_status et_atom(struct xp_buf *b, const char *atom);
xporta_status et_bin(struct xp_buf *b, const char *s, size_t n);

/* A binary exactly as io_lib:print (latin-1 mode, misc:term_to_expr)
 * writes it: <<"...">> when every byte is printable latin-1 (32-126,
 * 160-255, or one of \n \r \t \v \b \f \e, escaped like " and \), else
 * the bytes as decimal integers <<90,195,...>>; <<>> when empty. */
xporta_status et_bin_print(struct xp_buf *b, const char *s, size_t n);

/* Whether `t` is the atom `name`. */
bool et_is_atom(const struct eterm *t, const char *name);

#endif
