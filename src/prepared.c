/*
 * Statements prepared once per database connection, so that PostgreSQL
 * parses and plans each once, not on every request as for the unnamed
 * statements Kore's async pgsql sends. src/db.c's state machine sends
 * every statement through prepared_send() and asks prepared_replan()
 * about a statement that failed before it ran.
 *
 * A statement is known by its text (the SQL_* of a handler, the same
 * pointer on every request): it gets a number at its first use, and its
 * name is a hash of the text. A connection remembers, as bits, which
 * numbers it has prepared.
 */

#include <inttypes.h>
#include <string.h>

#include <libpq-fe.h>

#include "mtapi.h"

/* Statements that get a name, and connections that remember theirs. */
#define PREPARED_MAX		64
#define PREPARED_CONNS_MAX	16

struct prepared_conn {
	struct pgsql_conn	*conn;
	PGconn			*db;
	int			pid;
	int			stale;	/* DEALLOCATE ALL before preparing */
	u_int64_t		prepared;
	u_int64_t		used;
};

static int	prepared_id(const char *);
static void	prepared_name(const char *, char *, size_t);
static int	prepared_pooled(void);
static struct prepared_conn	*prepared_conn_find(struct pgsql_conn *);
static int	prepared_make(struct prepared_conn *, const char *,
		    const char *);

/* The statements by their number. */
static const char		*prepared_sql[PREPARED_MAX];
static int			prepared_n;
static struct prepared_conn	prepared_conns[PREPARED_CONNS_MAX];
static u_int64_t		prepared_clock;
static int			prepared_pooler_found;

/*
 * Send the statement, as a prepared one where it can: prepared on this
 * connection the first time (a round trip that waits, once per statement
 * and connection, as Kore's own connect does), then only executed. Kore
 * has no call for a prepared statement, so after sending, what its
 * sending calls do: wait for the answer on the connection's socket.
 * Anything unusual goes out as Kore's unnamed statement instead, and so
 * does everything through a transaction pooler: PgBouncer before 1.21
 * (Debian 12 ships 1.18) lends a server connection per transaction and
 * keeps no prepared statement for the next one.
 */
int
prepared_send(struct http_request *req, struct api_req *ar)
{
	struct prepared_conn	*cn;
	PGconn			*db;
	char			name[32];
	int			id, fd;

	ar->sql_named = 0;
	db = ar->sql.conn != NULL ? ar->sql.conn->db : NULL;
	if (prepared_pooled() || db == NULL || (fd = PQsocket(db)) < 0 ||
	    (id = prepared_id(ar->query)) == -1 ||
	    (cn = prepared_conn_find(ar->sql.conn)) == NULL)
		goto unnamed;

	prepared_name(ar->query, name, sizeof(name));
	if (!(cn->prepared & (1ULL << id))) {
		if (prepared_make(cn, name, ar->query) == -1)
			goto unnamed;
		cn->prepared |= 1ULL << id;
	}

	if (!PQsendQueryPrepared(db, name, ar->nparams, ar->params, NULL,
	    NULL, 0)) {
		kore_free(ar->sql.error);
		ar->sql.error = kore_strdup(PQerrorMessage(db));
		ar->sql.state = KORE_PGSQL_STATE_ERROR;
		return (KORE_RESULT_ERROR);
	}

	ar->sql_named = 1;
	kore_platform_schedule_read(fd, ar->sql.conn);
	ar->sql.state = KORE_PGSQL_STATE_WAIT;
	ar->sql.flags |= KORE_PGSQL_SCHEDULED;
	http_request_sleep(req);

	return (KORE_RESULT_OK);

unnamed:
	return (kore_pgsql_query_param_fields(&ar->sql, ar->query, 0,
	    ar->nparams, ar->params, NULL, NULL));
}

/* The statement's number, given at its first use; -1: none left. */
static int
prepared_id(const char *sql)
{
	int		i;

	for (i = 0; i < prepared_n; i++) {
		if (prepared_sql[i] == sql)
			return (i);
	}
	for (i = 0; i < prepared_n; i++) {
		if (!strcmp(prepared_sql[i], sql))
			return (i);
	}
	if (prepared_n == PREPARED_MAX)
		return (-1);

	prepared_sql[prepared_n] = sql;
	return (prepared_n++);
}

/*
 * A statement's name, from its text: the same name is the same statement
 * in every worker, so a server connection that several of them share
 * (a pooler) never holds another statement under a name (FNV-1a).
 */
static void
prepared_name(const char *sql, char *name, size_t len)
{
	u_int64_t	h;

	for (h = 0xcbf29ce484222325ULL; *sql != '\0'; sql++)
		h = (h ^ (u_int8_t)*sql) * 0x100000001b3ULL;
	(void)snprintf(name, len, "mtapi_%016" PRIx64, h);
}

/*
 * Does DB go through a pooler? The settings say so when the connection
 * that needs a session of its own (DB_LISTEN_*, docs/scaling.md) goes
 * elsewhere than the others; or a prepared statement went missing (see
 * prepared_replan()). Every connection of the worker goes the same way.
 */
static int
prepared_pooled(void)
{
	if (prepared_pooler_found)
		return (1);
	if (app.s.db_conninfo == NULL || app.s.db_listen_conninfo == NULL)
		return (0);

	return (strcmp(app.s.db_conninfo, app.s.db_listen_conninfo) != 0);
}

/*
 * What this connection has prepared. A connection Kore made again, or
 * that PQreset() reconnected, is another backend: nothing prepared. The
 * least recently used entry makes room for a new connection.
 */
static struct prepared_conn *
prepared_conn_find(struct pgsql_conn *conn)
{
	struct prepared_conn	*cn, *old;
	int			i, pid;

	if ((pid = PQbackendPID(conn->db)) == 0)
		return (NULL);

	old = &prepared_conns[0];
	for (i = 0; i < PREPARED_CONNS_MAX; i++) {
		cn = &prepared_conns[i];
		if (cn->conn == conn)
			break;
		if (cn->used < old->used)
			old = cn;
	}
	if (i == PREPARED_CONNS_MAX) {
		cn = old;
		cn->conn = conn;
		cn->db = NULL;
	}

	/*
	 * Another backend, or one this table forgot: nothing known to be
	 * prepared (a name that exists already is this worker's own
	 * statement: names are given once per worker).
	 */
	if (cn->db != conn->db || cn->pid != pid) {
		cn->db = conn->db;
		cn->pid = pid;
		cn->prepared = 0;
		cn->stale = 0;
	}
	cn->used = ++prepared_clock;

	return (cn);
}

/* Prepare, waiting for the answer; one that exists already is fine. */
static int
prepared_make(struct prepared_conn *cn, const char *name, const char *sql)
{
	PGresult	*res;
	const char	*state;
	int		ok;

	if (cn->stale) {
		res = PQexec(cn->db, "DEALLOCATE ALL");
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok)
			return (-1);
		cn->stale = 0;
		cn->prepared = 0;
	}

	res = PQprepare(cn->db, name, sql, 0, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    ((state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) != NULL &&
	    !strcmp(state, "42P05"));
	PQclear(res);

	return (ok ? 0 : -1);
}

/*
 * Did a prepared statement fail before it ran because it no longer fits
 * (gone, or the API functions were made again with other columns)? Then
 * this connection prepares everything anew and the statement is sent
 * once more. Gone from the backend that prepared it and still connected
 * to the same: a pooler between (settings that do not say so), which
 * lent another server connection; the worker sends unnamed statements
 * from now on.
 */
int
prepared_replan(struct api_req *ar)
{
	struct prepared_conn	*cn;
	const char		*state, *msg;

	if (!ar->sql_named || ar->sql_replanned || ar->sql.result == NULL ||
	    ar->sql.conn == NULL)
		return (0);
	if ((state = PQresultErrorField(ar->sql.result,
	    PG_DIAG_SQLSTATE)) == NULL)
		return (0);
	msg = PQresultErrorField(ar->sql.result, PG_DIAG_MESSAGE_PRIMARY);
	if (strcmp(state, "26000") && (strcmp(state, "0A000") ||
	    msg == NULL || strcmp(msg,
	    "cached plan must not change result type")))
		return (0);

	if ((cn = prepared_conn_find(ar->sql.conn)) != NULL) {
		if (!strcmp(state, "26000")) {
			prepared_pooler_found = 1;
			log_line(LOG_LEVEL_WARNING, NULL, "rid=%s: a prepared "
			    "statement is gone (a transaction pooler?): this "
			    "worker sends unnamed statements", ar->rid);
		} else {
			cn->stale = 1;
			log_line(LOG_LEVEL_INFO, NULL, "rid=%s: prepared "
			    "statements made again (%s)", ar->rid,
			    msg != NULL ? msg : state);
		}
		cn->prepared = 0;
	}
	ar->sql_replanned = 1;

	return (1);
}
