/*
 * Connections where Kore 4.1 falls short (src/conn.c): pipelined
 * requests, a graceful stop, releasing a database connection that broke,
 * a lingering close.
 */

#ifndef MTAPI_CONN_H
#define MTAPI_CONN_H

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>

void	conn_init(void);
void	conn_respond(struct http_request *, int, const void *, size_t);
void	conn_drain(void);
void	conn_pgsql_cleanup(struct kore_pgsql *);
void	conn_pgsql_reset(struct kore_pgsql *);
int	conn_pgsql_dead(struct kore_pgsql *);
int	conn_pgsql_unavailable(struct kore_pgsql *);

#endif
