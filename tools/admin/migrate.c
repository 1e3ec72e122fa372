/*
 * Migrations: the files of sql/, built into this program.
 *
 *   V<nnn>__<name>.sql	versioned: applied once, in order, each in its own
 *			transaction with its record in schema_migrations; a
 *			changed file that was already applied is an error.
 *   R__<nnn>_<name>.sql	repeatable: the API functions (schema "api").
 *			When any of them changed, the api schema is dropped
 *			and all of them are created again, in one
 *			transaction.
 *
 * An advisory lock keeps two runs from interleaving; running it again
 * when nothing changed does nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"

#define MIGRATE_LOCK	"7263001"

static void	checksum(const char *, char *);
static char	*recorded(struct admin *, const char *);
static void	record(struct admin *, const char *, const char *);
static int	repeatables_changed(struct admin *);

int
cmd_migrate(struct admin *adm)
{
	const struct migration	*m;
	char			sum[crypto_hash_sha256_BYTES * 2 + 1], *have;
	size_t			i;
	int			applied;

	PQclear(admin_exec(adm, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
	    0, NULL));
	PQclear(admin_exec(adm, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "name text PRIMARY KEY, checksum text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL));

	applied = 0;
	for (i = 0; i < migrations_count; i++) {
		m = &migrations[i];
		if (m->name[0] != 'V')
			continue;

		checksum(m->sql, sum);
		if ((have = recorded(adm, m->name)) != NULL) {
			if (strcmp(have, sum))
				admin_fail(adm, "migration %s was changed "
				    "after it was applied; add a new "
				    "migration instead", m->name);
			free(have);
			continue;
		}

		admin_begin(adm);
		PQclear(admin_exec(adm, m->sql, 0, NULL));
		record(adm, m->name, sum);
		admin_commit(adm);
		printf("applied %s\n", m->name);
		applied++;
	}

	if (repeatables_changed(adm)) {
		admin_begin(adm);
		PQclear(admin_exec(adm, "DROP SCHEMA IF EXISTS api CASCADE; "
		    "CREATE SCHEMA api; "
		    "DELETE FROM schema_migrations WHERE name LIKE 'R%'",
		    0, NULL));
		for (i = 0; i < migrations_count; i++) {
			m = &migrations[i];
			if (m->name[0] != 'R')
				continue;
			PQclear(admin_exec(adm, m->sql, 0, NULL));
			checksum(m->sql, sum);
			record(adm, m->name, sum);
		}
		admin_commit(adm);
		printf("applied the API functions (sql/R__*.sql)\n");
		applied++;
	}

	PQclear(admin_exec(adm, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")",
	    0, NULL));

	if (applied == 0)
		printf("migrations: nothing to apply\n");

	return (0);
}

static void
checksum(const char *sql, char *hex)
{
	unsigned char	d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, (const unsigned char *)sql, strlen(sql));
	sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, d, sizeof(d));
}

static char *
recorded(struct admin *adm, const char *name)
{
	PGresult	*res;
	const char	*p[1] = { name };
	char		*out;

	res = admin_exec(adm, "SELECT checksum FROM schema_migrations "
	    "WHERE name = $1", 1, p);
	out = PQntuples(res) == 1 ? strdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);

	return (out);
}

static void
record(struct admin *adm, const char *name, const char *sum)
{
	const char	*p[2] = { name, sum };

	PQclear(admin_exec(adm, "INSERT INTO schema_migrations "
	    "(name, checksum) VALUES ($1, $2)", 2, p));
}

/* Any repeatable file new, changed or gone since the last run? */
static int
repeatables_changed(struct admin *adm)
{
	PGresult	*res;
	const struct migration	*m;
	char		sum[crypto_hash_sha256_BYTES * 2 + 1], *have;
	size_t		i, n;
	int		changed;

	changed = 0;
	n = 0;
	for (i = 0; i < migrations_count; i++) {
		m = &migrations[i];
		if (m->name[0] != 'R')
			continue;
		n++;
		checksum(m->sql, sum);
		have = recorded(adm, m->name);
		if (have == NULL || strcmp(have, sum))
			changed = 1;
		free(have);
	}

	res = admin_exec(adm, "SELECT count(*) FROM schema_migrations "
	    "WHERE name LIKE 'R%'", 0, NULL);
	if (strtoul(PQgetvalue(res, 0, 0), NULL, 10) != n)
		changed = 1;
	PQclear(res);

	return (changed);
}
