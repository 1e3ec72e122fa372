/*
 * The security audit trail (sql/V009__audit.sql, docs/audit.md): audit
 * prints it, newest first, a page at a time; audit-prune is its
 * retention.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define AUDIT_LIMIT_DEFAULT	50
#define AUDIT_LIMIT_MAX		1000

/* The kinds of sql/V009__audit.sql; --kind takes one, or a prefix. */
static const char *const kinds[] = {
	"login.succeeded", "login.failed", "token.refreshed",
	"token.reuse_detected", "logout", "api_client.created",
	"api_client.revoked", "service_token.created",
	"service_token.revoked", "tenant.created", "tenant.activated",
	"tenant.deactivated", "member.added", "member.removed",
	"member.role_changed", "user.activated", "user.deactivated",
	"audit.pruned",
};

#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

/*
 * The columns of both outputs; the text of the table joins the actor's
 * kind and id, --json keeps them apart. The nil uuid is no tenant.
 */
#define AUDIT_FROM \
	"FROM audit_events e LEFT JOIN tenants t ON t.id = e.tenant_id " \
	"WHERE ($1::uuid IS NULL OR e.tenant_id = $1::uuid) " \
	"AND ($2::timestamptz IS NULL OR e.created_at >= $2::timestamptz) " \
	"AND ($3::text IS NULL OR e.kind = $3 OR e.kind LIKE $3 || '.%') " \
	"AND ($4::bigint IS NULL OR e.id < $4::bigint) " \
	"ORDER BY e.id DESC LIMIT $5::int + 1"
#define AUDIT_NO_TENANT	"'00000000-0000-0000-0000-000000000000'"

static const char	*audit_table =
	"SELECT e.id, api.ts(e.created_at) AS time, "
	"COALESCE(t.slug, NULLIF(e.tenant_id::text, " AUDIT_NO_TENANT ")) "
	"AS tenant, e.kind, e.actor_kind || COALESCE(':' || e.actor_id, '') "
	"AS actor, e.address, e.request_id, e.detail::text AS detail "
	AUDIT_FROM;
static const char	*audit_json =
	"SELECT e.id, api.ts(e.created_at) AS time, "
	"NULLIF(e.tenant_id::text, " AUDIT_NO_TENANT ") AS tenant_id, "
	"t.slug AS tenant, e.kind, e.actor_kind, e.actor_id, e.address, "
	"e.request_id, e.detail::json AS detail "
	AUDIT_FROM;

static void	check_kind(struct admin *, const char *);
static void	check_time(struct admin *, const char *);

int
cmd_audit(struct admin *adm)
{
	PGresult	*res;
	const char	*slug, *p[5];
	char		tenant[TOKEN_UUID_LEN + 1], limit[32], before[32];
	long		n, id;
	int		rows;

	slug = admin_opt(adm, "tenant");
	if (slug == NULL && admin_flag(adm, "tenant"))
		admin_fail(adm, "--tenant needs a value");
	p[1] = admin_opt(adm, "since");
	if (p[1] == NULL && admin_flag(adm, "since"))
		admin_fail(adm, "--since needs a value");
	p[2] = admin_opt(adm, "kind");
	if (p[2] == NULL && admin_flag(adm, "kind"))
		admin_fail(adm, "--kind needs a value");
	if (p[2] != NULL)
		check_kind(adm, p[2]);
	n = admin_opt_long(adm, "limit", AUDIT_LIMIT_DEFAULT, 1,
	    AUDIT_LIMIT_MAX);
	id = admin_opt_long(adm, "before", 0, 1, 0x7fffffffffffffffL);
	(void)snprintf(limit, sizeof(limit), "%ld", n);
	(void)snprintf(before, sizeof(before), "%ld", id);
	p[3] = id > 0 ? before : NULL;
	p[4] = limit;

	admin_begin(adm);
	if (p[1] != NULL)
		check_time(adm, p[1]);
	p[0] = NULL;
	if (slug != NULL) {
		admin_tenant_id(adm, slug, tenant);
		p[0] = tenant;
	}
	res = admin_exec(adm, admin_flag(adm, "json") ? audit_json :
	    audit_table, 5, p);
	admin_commit(adm);

	/* One row more than the page says whether there is another. */
	rows = PQntuples(res);
	admin_print_result(adm, res, (int)n);
	if (rows > n)
		fprintf(stderr, "more: audit ... --before %s\n",
		    PQgetvalue(res, n - 1, 0));
	PQclear(res);

	return (0);
}

/*
 * audit-prune [--older-than DAYS]: events older than that go, in one
 * transaction that says so (the append-only trigger lets only it
 * delete), and the prune itself is an event.
 */
int
cmd_audit_prune(struct admin *adm)
{
	PGresult	*res;
	const char	*p[2];
	char		days[32];
	long		n;

	n = admin_opt_long(adm, "older-than", adm->s.audit_retention_days,
	    1, 36500);
	(void)snprintf(days, sizeof(days), "%ld", n);
	p[0] = days;

	admin_begin(adm);
	PQclear(admin_exec(adm, "SELECT set_config('mtapi.audit_prune', "
	    "'on', true)", 0, NULL));
	res = admin_exec(adm, "DELETE FROM audit_events "
	    "WHERE created_at < now() - make_interval(days => $1::int)",
	    1, p);
	p[1] = PQcmdTuples(res);
	PQclear(admin_exec(adm, "SELECT audit_change(NULL, 'audit.pruned', "
	    "jsonb_build_object('older_than_days', $1::int, "
	    "'deleted', $2::bigint))", 2, p));
	PQclear(admin_exec(adm, "SELECT set_config('mtapi.audit_prune', "
	    "'off', true)", 0, NULL));
	admin_commit(adm);

	printf("pruned %s audit event%s older than %ld day%s\n", p[1],
	    strcmp(p[1], "1") ? "s" : "", n, n == 1 ? "" : "s");
	PQclear(res);

	return (0);
}

static void
check_kind(struct admin *adm, const char *k)
{
	size_t		i, len;

	len = strlen(k);
	for (i = 0; i < NKINDS; i++) {
		if (!strcmp(kinds[i], k) || (!strncmp(kinds[i], k, len) &&
		    kinds[i][len] == '.'))
			return;
	}

	fprintf(stderr, "mtapi-admin: unknown kind '%s'; kinds:", k);
	for (i = 0; i < NKINDS; i++)
		fprintf(stderr, " %s", kinds[i]);
	fputc('\n', stderr);
	admin_fail(adm, "--kind takes a kind above, or its prefix (login)");
}

/* --since: a time PostgreSQL reads, else a clear error (not its own). */
static void
check_time(struct admin *adm, const char *t)
{
	PGresult	*res;
	const char	*p[1] = { t };

	PQclear(admin_exec(adm, "SAVEPOINT since", 0, NULL));
	res = PQexecParams(adm->db, "SELECT $1::timestamptz", 1, NULL, p,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		admin_fail(adm, "--since: '%s' is not a time "
		    "(2026-01-01T00:00:00Z, 2026-01-01)", t);
	}
	PQclear(res);
	PQclear(admin_exec(adm, "RELEASE SAVEPOINT since", 0, NULL));
}
