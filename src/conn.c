/*
 * Connections where Kore 4.1 falls short.
 *
 * Database connections: releasing a statement whose connection broke
 * killed the worker (conn_pgsql_cleanup()).
 */

#include <libpq-fe.h>

#include "mtapi.h"
#include "conn.h"

/*
 * kore_pgsql_cleanup(), safe on a connection that broke. Kore's release
 * takes a scheduled statement's socket out of epoll and dies when that
 * fails, as it does when the server closed the connection: libpq has
 * closed the socket (PQsocket() is -1) and the kernel took it out of
 * epoll already.
 */
void
conn_pgsql_cleanup(struct kore_pgsql *sql)
{
	if (sql->conn != NULL && sql->conn->db != NULL &&
	    PQsocket(sql->conn->db) < 0)
		sql->flags &= ~KORE_PGSQL_SCHEDULED;
	kore_pgsql_cleanup(sql);
}
