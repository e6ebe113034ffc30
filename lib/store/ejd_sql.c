/*
 * What both engines of ejd_sql.h share: the transaction of many accounts,
 * one savepoint per account.  A failed account is rolled back to its
 * savepoint; the others stay, and flush (esql_commit) makes them durable.
 */
#include "ejd_sql.h"

xporta_status esql_account_begin(struct esql *db)
{
    xporta_status st = XPORTA_OK;
    if (!db->in_tx) {
        if ((st = esql_exec(db, "BEGIN")))
            return st;
        db->in_tx = true;
    }
    if (!db->in_account) {
        if ((st = esql_exec(db, "SAVEPOINT xporta_account")))
            return st;
        db->in_account = true;
    }
    return XPORTA_OK;
}

xporta_status esql_account_end(struct esql *db)
{
    if (!db->in_account)
        return XPORTA_OK;
    db->in_account = false;
    return esql_exec(db, "RELEASE SAVEPOINT xporta_account");
}

void esql_account_undo(struct esql *db)
{
    if (!db->in_account)
        return;
    db->in_account = false;
    /* a lost connection leaves nothing to undo: the transaction is gone,
     * and with it the accounts written in it before this one */
    if (esql_exec(db, "ROLLBACK TO SAVEPOINT xporta_account") ||
        esql_exec(db, "RELEASE SAVEPOINT xporta_account")) {
        db->lost = db->in_tx;
        db->in_tx = false;
    }
}

xporta_status esql_commit(struct esql *db)
{
    if (db->lost) {
        db->lost = false;
        return xp_fail(&db->run->err, XPORTA_EIO,
                       "%s: the transaction was lost with the connection: "
                       "the accounts written since the last commit are not "
                       "there (run the same command again)",
                       db->where);
    }
    if (!db->in_tx)
        return XPORTA_OK;
    db->in_tx = false;
    return esql_exec(db, "COMMIT");
}
