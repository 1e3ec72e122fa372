/*
 * Connections where Kore 4.1 falls short (src/conn.c).
 */

#ifndef MTAPI_CONN_H
#define MTAPI_CONN_H

#include <kore/kore.h>
#include <kore/pgsql.h>

void	conn_pgsql_cleanup(struct kore_pgsql *);

#endif
