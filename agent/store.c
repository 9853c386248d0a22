/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's state in SQLite (STATE-DIR/agent.db): every SCA with its
 * verdict, every filter made, every installation on a VM.  Written as
 * things happen, one statement each, from the main loop only; read once
 * at start.  A restarted agent so knows every SCA it saw (it offers them
 * in have frames and does not verify them again), verifies again those
 * it had not decided, and reinstalls its filters.
 */
#include <sqlite3.h>
#include <string.h>

#include "agent.h"

#define STORE_VERSION   1

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS scas ("
    "  digest TEXT PRIMARY KEY, encoding BLOB NOT NULL,"
    "  program TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,"
    "  source TEXT NOT NULL, received_us INTEGER, decided_us INTEGER,"
    "  verify_ms REAL, filter TEXT, protected_us INTEGER);"
    "CREATE TABLE IF NOT EXISTS filters ("
    "  id TEXT PRIMARY KEY, sca TEXT, program TEXT NOT NULL,"
    "  encoding BLOB NOT NULL, made_us INTEGER, conditions INTEGER,"
    "  gen_ms REAL);"
    "CREATE TABLE IF NOT EXISTS installs ("
    "  vm TEXT NOT NULL, filter TEXT NOT NULL, installed_us INTEGER);";

static void log_db_error(Agent *a, const char *what)
{
    agent_log(a, "state database: %s: %s", what, sqlite3_errmsg(a->db));
}

bool agent_store_open(Agent *a, GError **errp)
{
    g_autofree char *path = g_build_filename(a->cfg->state_dir, "agent.db",
                                             NULL);
    sqlite3_stmt *st = NULL;
    int version = -1;

    if (sqlite3_open(path, &a->db) != SQLITE_OK) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path,
                    a->db ? sqlite3_errmsg(a->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(a->db, 1000);
    if (sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        version = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    if (version != 0 && version != STORE_VERSION) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: state of "
                    "version %d, this agent knows %d", path, version,
                    STORE_VERSION);
        goto fail;
    }
    /* WAL: a crash loses at most the last statements, never the file. */
    if (sqlite3_exec(a->db, "PRAGMA journal_mode=WAL;"
                     "PRAGMA synchronous=NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(a->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(a->db, "PRAGMA user_version=1", NULL, NULL,
                     NULL) != SQLITE_OK) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path,
                    sqlite3_errmsg(a->db));
        goto fail;
    }
    return true;

fail:
    sqlite3_close(a->db);
    a->db = NULL;
    return false;
}

void agent_store_close(Agent *a)
{
    sqlite3_close(a->db);
    a->db = NULL;
}

static sqlite3_stmt *prepare(Agent *a, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (!a->db) {
        return NULL;
    }
    if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_db_error(a, sql);
        return NULL;
    }
    return st;
}

static void step_once(Agent *a, sqlite3_stmt *st, const char *what)
{
    if (st && sqlite3_step(st) != SQLITE_DONE) {
        log_db_error(a, what);
    }
    sqlite3_finalize(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s) {
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, i);
    }
}

static void bind_blob(sqlite3_stmt *st, int i, GBytes *b)
{
    gsize n;
    const void *p = g_bytes_get_data(b, &n);

    if (!n) {
        sqlite3_bind_zeroblob(st, i, 0);    /* empty, not NULL */
        return;
    }
    sqlite3_bind_blob(st, i, p, n, SQLITE_TRANSIENT);
}

void agent_store_sca(Agent *a, const ScaEntry *e)
{
    sqlite3_stmt *st = prepare(a,
        "INSERT OR REPLACE INTO scas VALUES (?,?,?,?,?,?,?,?,?,?,?)");

    if (!st) {
        return;
    }
    bind_text(st, 1, e->digest);
    bind_blob(st, 2, e->encoding);
    bind_text(st, 3, e->program);
    bind_text(st, 4, sca_state_name(e->state));
    bind_text(st, 5, e->reason);
    bind_text(st, 6, e->source);
    sqlite3_bind_int64(st, 7, e->received_us);
    sqlite3_bind_int64(st, 8, e->decided_us);
    sqlite3_bind_double(st, 9, e->verify_ms);
    bind_text(st, 10, e->filter);
    sqlite3_bind_int64(st, 11, e->protected_us);
    step_once(a, st, "saving an SCA");
}

void agent_store_sca_forget(Agent *a, const char *digest)
{
    sqlite3_stmt *st = prepare(a, "DELETE FROM scas WHERE digest = ?");

    if (st) {
        bind_text(st, 1, digest);
        step_once(a, st, "forgetting an SCA");
    }
}

void agent_store_filter(Agent *a, const char *id, const char *sca,
                        const char *program, GBytes *encoding,
                        int64_t made_us, unsigned conditions, double gen_ms)
{
    sqlite3_stmt *st = prepare(a,
        "INSERT OR REPLACE INTO filters VALUES (?,?,?,?,?,?,?)");

    if (!st) {
        return;
    }
    bind_text(st, 1, id);
    bind_text(st, 2, sca);
    bind_text(st, 3, program);
    bind_blob(st, 4, encoding);
    sqlite3_bind_int64(st, 5, made_us);
    sqlite3_bind_int(st, 6, conditions);
    sqlite3_bind_double(st, 7, gen_ms);
    step_once(a, st, "saving a filter");
}

void agent_store_install(Agent *a, const char *vm, const char *filter,
                         int64_t installed_us)
{
    sqlite3_stmt *st = prepare(a, "INSERT INTO installs VALUES (?,?,?)");

    if (st) {
        bind_text(st, 1, vm);
        bind_text(st, 2, filter);
        sqlite3_bind_int64(st, 3, installed_us);
        step_once(a, st, "saving an installation");
    }
}

static ScaState state_from_name(const char *s)
{
    for (ScaState i = SCA_STATE_PENDING; i <= SCA_STATE_UNVERIFIABLE; i++) {
        if (!g_strcmp0(s, sca_state_name(i))) {
            return i;
        }
    }
    return SCA_STATE_PENDING;   /* unknown: decide again */
}

static char *column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? g_strdup((const char *)t) : NULL;
}

static GBytes *column_blob(sqlite3_stmt *st, int i)
{
    return g_bytes_new(sqlite3_column_blob(st, i),
                       sqlite3_column_bytes(st, i));
}

void agent_store_load_scas(Agent *a, void (*fn)(Agent *, ScaEntry *))
{
    sqlite3_stmt *st = prepare(a, "SELECT digest, encoding, program, state,"
                               " reason, source, received_us, decided_us,"
                               " verify_ms, filter, protected_us FROM scas"
                               " ORDER BY received_us, rowid");

    while (st && sqlite3_step(st) == SQLITE_ROW) {
        ScaEntry *e = g_new0(ScaEntry, 1);
        g_autofree char *digest = column_text(st, 0);
        g_autofree char *state = column_text(st, 3);

        g_strlcpy(e->digest, digest ? digest : "", sizeof(e->digest));
        e->encoding = column_blob(st, 1);
        e->program = column_text(st, 2);
        e->state = state_from_name(state);
        e->reason = column_text(st, 4);
        e->source = column_text(st, 5);
        e->received_us = sqlite3_column_int64(st, 6);
        e->decided_us = sqlite3_column_int64(st, 7);
        e->verify_ms = sqlite3_column_double(st, 8);
        e->filter = column_text(st, 9);
        e->protected_us = sqlite3_column_int64(st, 10);
        fn(a, e);
    }
    sqlite3_finalize(st);
}

void agent_store_load_filters(Agent *a,
                              void (*fn)(Agent *, const char *sca,
                                         GBytes *encoding, int64_t made_us,
                                         unsigned conditions, double gen_ms))
{
    sqlite3_stmt *st = prepare(a, "SELECT sca, encoding, made_us,"
                               " conditions, gen_ms FROM filters"
                               " ORDER BY made_us, rowid");

    while (st && sqlite3_step(st) == SQLITE_ROW) {
        g_autofree char *sca = column_text(st, 0);
        g_autoptr(GBytes) enc = column_blob(st, 1);

        fn(a, sca ? sca : "", enc, sqlite3_column_int64(st, 2),
           sqlite3_column_int(st, 3), sqlite3_column_double(st, 4));
    }
    sqlite3_finalize(st);
}
