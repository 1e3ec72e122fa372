/*
 * The security audit trail (docs/audit.md): after each event, its row
 * with the right tenant, kind, actor, address and request id (the
 * X-Request-ID the server answered); a rolled back change leaves none;
 * the table is append-only; each tenant's events are its own; and the
 * operator's audit and audit-prune commands.
 *
 * Rows are read from the database (libpq): an API request's by its
 * request id, which is unique, an operator change's by its own tenant.
 * Every test works on tenants, users and clients it made itself.
 */

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define IP_OCTET	14
#define NO_TENANT	"00000000-0000-0000-0000-000000000000"

/* One audit row, its columns as text ("" for NULL). */
struct row {
	char	tenant[40];
	char	kind[40];
	char	actor_kind[16];
	char	actor_id[208];
	char	address[72];
	char	rid[136];
	char	detail[1024];
};

static PGconn	*db;

static void	db_open(void);
static void	db_close(void);
static PGresult	*query(const char *, int, const char **);
static int	rows_by_rid(const char *, struct row *, int);
static int	rows_of(const char *, const char *, struct row *, int);
static void	fill(PGresult *, struct row *, int);
static void	assert_row(const struct row *, const char *, const char *,
		    const char *, const char *, const char *, const char *);
static void	rid_of(struct h_resp *, char *, size_t);
static void	user_id_of(const char *, char *, size_t);
static int	run(const char *, char **, char **);
static void	new_client(const char *, char *, size_t, char *, size_t);

TestSuite(audit, .init = db_open, .fini = db_close, .timeout = 60);

static void
db_open(void)
{
	db = h_db_open();
}

static void
db_close(void)
{
	if (db != NULL)
		PQfinish(db);
	db = NULL;
}

static PGresult *
query(const char *sql, int n, const char **params)
{
	return (h_db_query(db, sql, n, params));
}

#define ROW_COLS	"SELECT tenant_id::text, kind, actor_kind, actor_id, " \
			"address, request_id, detail::text FROM audit_events "

/* The rows of one request (at most max into out); how many there are. */
static int
rows_by_rid(const char *rid, struct row *out, int max)
{
	PGresult	*res;
	const char	*p[1] = { rid };
	int		n;

	res = query(ROW_COLS "WHERE request_id = $1 ORDER BY id", 1, p);
	n = PQntuples(res);
	fill(res, out, max);
	PQclear(res);

	return (n);
}

/* The rows of a tenant of one kind, oldest first. */
static int
rows_of(const char *tenant, const char *kind, struct row *out, int max)
{
	PGresult	*res;
	const char	*p[2] = { tenant, kind };
	int		n;

	res = query(ROW_COLS "WHERE tenant_id = $1::uuid AND kind = $2 "
	    "ORDER BY id", 2, p);
	n = PQntuples(res);
	fill(res, out, max);
	PQclear(res);

	return (n);
}

static void
fill(PGresult *res, struct row *out, int max)
{
	int		i;

	for (i = 0; i < PQntuples(res) && i < max; i++) {
		(void)snprintf(out[i].tenant, sizeof(out[i].tenant), "%s",
		    PQgetvalue(res, i, 0));
		(void)snprintf(out[i].kind, sizeof(out[i].kind), "%s",
		    PQgetvalue(res, i, 1));
		(void)snprintf(out[i].actor_kind, sizeof(out[i].actor_kind),
		    "%s", PQgetvalue(res, i, 2));
		(void)snprintf(out[i].actor_id, sizeof(out[i].actor_id), "%s",
		    PQgetvalue(res, i, 3));
		(void)snprintf(out[i].address, sizeof(out[i].address), "%s",
		    PQgetvalue(res, i, 4));
		(void)snprintf(out[i].rid, sizeof(out[i].rid), "%s",
		    PQgetvalue(res, i, 5));
		(void)snprintf(out[i].detail, sizeof(out[i].detail), "%s",
		    PQgetvalue(res, i, 6));
	}
}

static void
assert_row(const struct row *r, const char *tenant, const char *kind,
    const char *actor_kind, const char *actor_id, const char *address,
    const char *rid)
{
	cr_assert_str_eq(r->tenant, tenant, "%s: tenant", kind);
	cr_assert_str_eq(r->kind, kind);
	cr_assert_str_eq(r->actor_kind, actor_kind, "%s: actor kind", kind);
	cr_assert_str_eq(r->actor_id, actor_id, "%s: actor id", kind);
	cr_assert_str_eq(r->address, address, "%s: address", kind);
	cr_assert_str_eq(r->rid, rid, "%s: request id", kind);
}

/* The X-Request-ID the server answered with. */
static void
rid_of(struct h_resp *r, char *buf, size_t len)
{
	cr_assert_not_null(h_header(r, "x-request-id", buf, len),
	    "no X-Request-ID in the answer");
	cr_assert_gt(strlen(buf), 0);
}

/* A user's id, by name. */
static void
user_id_of(const char *username, char *buf, size_t len)
{
	PGresult	*res;
	const char	*p[1] = { username };

	res = query("SELECT id::text FROM users WHERE username = $1", 1, p);
	cr_assert_eq(PQntuples(res), 1);
	(void)snprintf(buf, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* mtapi-admin ARGS, stdout and stderr apart (callers free); its status. */
static int
run(const char *args, char **out, char **err)
{
	struct h_buf	b;
	FILE		*fp;
	char		path[64], chunk[4096];
	size_t		n, len;
	int		status;

	(void)snprintf(path, sizeof(path), "/tmp/mtapi-audit-err.%ld",
	    (long)getpid());
	fp = popen(h_fmt("%s --env %s %s </dev/null 2>%s",
	    h_env("MTAPI_TEST_ADMIN"), h_env("MTAPI_ENV_FILE"), args, path),
	    "r");
	cr_assert_not_null(fp);
	memset(&b, 0, sizeof(b));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		(void)h_collect(chunk, 1, n, &b);
	status = pclose(fp);
	*out = b.data != NULL ? b.data : strdup("");
	*err = h_read_file(path, &len);
	unlink(path);

	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* An API client of tenant slug: its id and secret. */
static void
new_client(const char *slug, char *id, size_t idlen, char *secret,
    size_t secretlen)
{
	char		*out;

	h_admin_ok(h_fmt("create-api-client --name %s --tenant %s "
	    "--roles read --scopes read:projects", h_unique("audit"), slug),
	    NULL, &out);
	cr_assert_not_null(h_field_after(out, "client_id:", id, idlen), "%s",
	    out);
	cr_assert_not_null(h_field_after(out, "client_secret:", secret,
	    secretlen), "%s", out);
	free(out);
}

Test(audit, user_login_success_and_failure)
{
	struct h_tenant	t;
	struct h_resp	*r;
	struct row	row[2];
	char		ip[32], rid[160], uid[32];

	h_new_tenant("audit-login", &t);
	user_id_of(t.username, uid, sizeof(uid));
	h_own_ip(IP_OCTET, ip, sizeof(ip));

	r = h_login(ip, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], t.id, "login.succeeded", "user", uid, ip, rid);
	cr_assert(strstr(row[0].detail, "\"session\"") != NULL, "%s",
	    row[0].detail);

	/* A wrong password: the tenant is the user's one tenant. */
	r = h_login(ip, t.username, "not the password", NULL);
	cr_assert_eq(r->status, 401);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], t.id, "login.failed", "user", uid, ip, rid);
	cr_assert(strstr(row[0].detail, t.username) != NULL, "%s",
	    row[0].detail);
	/* The password is nowhere in the row. */
	cr_assert(strstr(row[0].detail, "not the password") == NULL);

	/* An unknown user: no tenant, no actor id, the name as given. */
	r = h_login(ip, "audit-nobody-at-all", "whatever-it-is", NULL);
	cr_assert_eq(r->status, 401);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], NO_TENANT, "login.failed", "user", "", ip, rid);
	cr_assert(strstr(row[0].detail, "audit-nobody-at-all") != NULL);
}

Test(audit, client_login_created_and_revoked)
{
	struct h_tenant	t;
	struct h_resp	*r;
	struct row	row[2];
	char		ip[32], rid[160], id[64], secret[128];

	h_new_tenant("audit-client", &t);
	new_client(t.slug, id, sizeof(id), secret, sizeof(secret));
	h_own_ip(IP_OCTET, ip, sizeof(ip));

	cr_assert_eq(rows_of(t.id, "api_client.created", row, 2), 1);
	assert_row(&row[0], t.id, "api_client.created", "operator",
	    row[0].actor_id, "", "");
	cr_assert_gt(strlen(row[0].actor_id), 0, "the operator's name");
	cr_assert(strstr(row[0].detail, id) != NULL, "%s", row[0].detail);
	cr_assert(strstr(row[0].detail, secret) == NULL, "a secret");

	r = h_client_login(ip, id, secret);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], t.id, "login.succeeded", "api_client", id, ip,
	    rid);

	r = h_client_login(ip, id, "a wrong secret");
	cr_assert_eq(r->status, 401);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], t.id, "login.failed", "api_client", id, ip, rid);

	/* An unknown client id: no tenant, no actor id. */
	r = h_client_login(ip, "mtc_audit_unknown", "a wrong secret");
	cr_assert_eq(r->status, 401);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], NO_TENANT, "login.failed", "api_client", "", ip,
	    rid);

	h_admin_ok(h_fmt("revoke-api-client --client-id %s", id), NULL, NULL);
	cr_assert_eq(rows_of(t.id, "api_client.revoked", row, 2), 1);
	cr_assert_str_eq(row[0].actor_kind, "operator");
	cr_assert(strstr(row[0].detail, id) != NULL, "%s", row[0].detail);
	/* Revoking again changes nothing, and records nothing. */
	h_admin_ok(h_fmt("revoke-api-client --client-id %s", id), NULL, NULL);
	cr_assert_eq(rows_of(t.id, "api_client.revoked", row, 2), 1);
}

Test(audit, refresh_reuse_and_logout)
{
	struct h_tenant	t;
	struct h_resp	*r;
	struct row	row[2];
	char		rid[160], spent[2048], sid[1024], uid[32];
	const char	*s;

	h_new_tenant("audit-refresh", &t);
	user_id_of(t.username, uid, sizeof(uid));

	r = h_post_token("/api/v1/auth/token/refresh/", "refresh", t.refresh);
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], t.id, "token.refreshed", "user", uid,
	    "127.0.0.1", rid);
	(void)snprintf(sid, sizeof(sid), "%s", row[0].detail);

	/* The spent token again: the family is revoked, and recorded. */
	(void)snprintf(spent, sizeof(spent), "%s", t.refresh);
	r = h_post_token("/api/v1/auth/token/refresh/", "refresh", spent);
	cr_assert_eq(r->status, 401);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], t.id, "token.reuse_detected", "user", uid,
	    "127.0.0.1", rid);
	cr_assert_str_eq(row[0].detail, sid, "the same session");

	/* A new login, then its logout. */
	r = h_login(NULL, t.username, t.password, NULL);
	cr_assert_eq(r->status, 200);
	s = h_str(r, "refresh");
	cr_assert_not_null(s);
	(void)snprintf(spent, sizeof(spent), "%s", s);
	h_free(r);
	r = h_post_token("/api/v1/auth/token/revoke/", "refresh", spent);
	cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 1);
	assert_row(&row[0], t.id, "logout", "user", uid, "127.0.0.1", rid);

	/* Logging out again ends nothing: no second event. */
	r = h_post_token("/api/v1/auth/token/revoke/", "refresh", spent);
	rid_of(r, rid, sizeof(rid));
	h_free(r);
	cr_assert_eq(rows_by_rid(rid, row, 2), 0);
}

/* The operator's changes, by the triggers: actor 'operator'. */
Test(audit, operator_changes)
{
	struct h_tenant	t;
	struct row	row[4];
	char		*out, jti[64], uid[32], other[96];

	h_new_tenant("audit-ops", &t);
	user_id_of(t.username, uid, sizeof(uid));

	cr_assert_eq(rows_of(t.id, "tenant.created", row, 4), 1);
	cr_assert_str_eq(row[0].actor_kind, "operator");
	cr_assert_eq(rows_of(t.id, "member.added", row, 4), 1);
	cr_assert(strstr(row[0].detail, t.username) != NULL, "%s",
	    row[0].detail);

	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no",
	    t.slug), NULL, NULL);
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no",
	    t.slug), NULL, NULL);
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes",
	    t.slug), NULL, NULL);
	/* The repeat changed nothing: one event. */
	cr_assert_eq(rows_of(t.id, "tenant.deactivated", row, 4), 1);
	assert_row(&row[0], t.id, "tenant.deactivated", "operator",
	    row[0].actor_id, "", "");
	cr_assert_eq(rows_of(t.id, "tenant.activated", row, 4), 1);

	h_admin_ok(h_fmt("add-member --user %s --tenant %s --role viewer",
	    t.username, t.slug), NULL, NULL);
	cr_assert_eq(rows_of(t.id, "member.role_changed", row, 4), 1);
	cr_assert(strstr(row[0].detail, "viewer") != NULL, "%s",
	    row[0].detail);

	/* A user of two tenants: each gets its event. */
	(void)snprintf(other, sizeof(other), "%s", h_unique("audit-ops2"));
	h_admin_ok(h_fmt("create-tenant --slug %s --name Other", other), NULL,
	    NULL);
	h_admin_ok(h_fmt("add-member --user %s --tenant %s", t.username,
	    other), NULL, NULL);
	h_admin_ok(h_fmt("set-user-active --user %s --active no",
	    t.username), NULL, NULL);
	h_admin_ok(h_fmt("set-user-active --user %s --active yes",
	    t.username), NULL, NULL);
	cr_assert_eq(rows_of(t.id, "user.deactivated", row, 4), 1);
	cr_assert(strstr(row[0].detail, uid) != NULL, "%s", row[0].detail);
	cr_assert_eq(rows_of(t.id, "user.activated", row, 4), 1);
	h_admin_ok(h_fmt("remove-member --user %s --tenant %s", t.username,
	    other), NULL, NULL);

	h_admin_ok(h_fmt("remove-member --user %s --tenant %s", t.username,
	    t.slug), NULL, NULL);
	cr_assert_eq(rows_of(t.id, "member.removed", row, 4), 1);
	assert_row(&row[0], t.id, "member.removed", "operator",
	    row[0].actor_id, "", "");

	h_admin_ok(h_fmt("create-service-token --tenant %s --service audit "
	    "--scopes read:projects", t.slug), NULL, &out);
	cr_assert_not_null(h_field_after(out, "--jti", jti, sizeof(jti)),
	    "%s", out);
	free(out);
	cr_assert_eq(rows_of(t.id, "service_token.created", row, 4), 1);
	cr_assert(strstr(row[0].detail, jti) != NULL, "%s", row[0].detail);
	h_admin_ok(h_fmt("revoke-service-token --jti %s", jti), NULL, NULL);
	cr_assert_eq(rows_of(t.id, "service_token.revoked", row, 4), 1);
	cr_assert(strstr(row[0].detail, jti) != NULL, "%s", row[0].detail);
}

/* A change rolled back takes its event with it; one kept keeps it. */
Test(audit, a_rolled_back_change_leaves_no_row)
{
	struct h_tenant	t;
	struct row	row[2];
	const char	*p[1];

	h_new_tenant("audit-rollback", &t);
	p[0] = t.slug;

	PQclear(query("BEGIN", 0, NULL));
	PQclear(query("UPDATE tenants SET is_active = false WHERE slug = $1",
	    1, p));
	cr_assert_eq(rows_of(t.id, "tenant.deactivated", row, 2), 1,
	    "the event is in the change's transaction");
	PQclear(query("ROLLBACK", 0, NULL));
	cr_assert_eq(rows_of(t.id, "tenant.deactivated", row, 2), 0);

	/* A failing operator command: nothing of it stays. */
	cr_assert_neq(h_admin(h_fmt("remove-member --user %s --tenant %s",
	    "audit-nobody-at-all", t.slug), NULL, NULL), 0);
	cr_assert_eq(rows_of(t.id, "member.removed", row, 2), 0);

	/* Without an actor (psql): 'database'. */
	PQclear(query("UPDATE tenants SET is_active = false WHERE slug = $1",
	    1, p));
	cr_assert_eq(rows_of(t.id, "tenant.deactivated", row, 2), 1);
	cr_assert_str_eq(row[0].actor_kind, "database");
}

Test(audit, append_only)
{
	PGresult	*res;

	res = PQexec(db, "UPDATE audit_events SET kind = 'logout' "
	    "WHERE id = (SELECT max(id) FROM audit_events)");
	cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "UPDATE allowed");
	PQclear(res);
	res = PQexec(db, "DELETE FROM audit_events "
	    "WHERE id = (SELECT max(id) FROM audit_events)");
	cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "DELETE allowed");
	cr_assert(strstr(PQresultErrorMessage(res), "append-only") != NULL,
	    "%s", PQresultErrorMessage(res));
	PQclear(res);
	res = PQexec(db, "TRUNCATE audit_events");
	cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "TRUNCATE "
	    "allowed");
	PQclear(res);
}

/*
 * Each tenant's events are its own: no API route serves them, and the
 * operator's view of one tenant shows that tenant's rows only.
 */
Test(audit, tenants_never_see_each_others_events)
{
	struct h_tenant	a, b;
	struct h_resp	*r;
	json_t		*rows, *e;
	char		*out, *err, *text;
	size_t		i;
	int		kinds;

	h_new_tenant("audit-iso-a", &a);
	h_new_tenant("audit-iso-b", &b);
	r = h_login(NULL, b.username, "not the password", NULL);
	h_free(r);

	r = h_get("/api/v1/audit/", a.access);
	cr_assert_eq(r->status, 404, "%ld %s", r->status, r->body);
	h_free(r);
	r = h_get("/api/v1/audit-events/", a.access);
	cr_assert_eq(r->status, 404, "%ld %s", r->status, r->body);
	h_free(r);

	cr_assert_eq(run(h_fmt("audit --tenant %s --json --limit 1000",
	    a.slug), &out, &err), 0, "%s", err);
	rows = json_loads(out, 0, NULL);
	cr_assert(json_is_array(rows), "%s", out);
	kinds = 0;
	json_array_foreach(rows, i, e) {
		cr_assert_str_eq(h_jstr(e, "tenant_id"), a.id);
		cr_assert_str_eq(h_jstr(e, "tenant"), a.slug);
		text = json_dumps(e, 0);
		cr_assert(strstr(text, b.slug) == NULL, "%s", text);
		free(text);
		if (!strcmp(h_jstr(e, "kind"), "login.succeeded"))
			kinds++;
	}
	cr_assert_geq(json_array_size(rows), 3, "created, added, login");
	cr_assert_eq(kinds, 1);
	json_decref(rows);
	free(out);
	free(err);
}

Test(audit, cli_audit)
{
	struct h_tenant	t;
	json_t		*rows, *e;
	char		*out, *err;
	long long	first, prev;
	size_t		i;

	h_new_tenant("audit-cli", &t);
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active no",
	    t.slug), NULL, NULL);
	h_admin_ok(h_fmt("set-tenant-active --tenant %s --active yes",
	    t.slug), NULL, NULL);

	/* Newest first. */
	cr_assert_eq(run(h_fmt("audit --tenant %s --json", t.slug), &out,
	    &err), 0, "%s", err);
	rows = json_loads(out, 0, NULL);
	cr_assert(json_is_array(rows), "%s", out);
	cr_assert_eq(json_array_size(rows), 5, "%s", out);
	cr_assert_str_eq(h_jstr(json_array_get(rows, 0), "kind"),
	    "tenant.activated");
	cr_assert_str_eq(h_jstr(json_array_get(rows, 4), "kind"),
	    "tenant.created");
	prev = 0;
	json_array_foreach(rows, i, e) {
		if (i > 0)
			cr_assert_lt(h_jint(e, "id"), prev);
		prev = h_jint(e, "id");
		cr_assert(json_is_object(json_object_get(e, "detail")));
	}
	first = h_jint(json_array_get(rows, 0), "id");
	json_decref(rows);
	free(out);
	free(err);

	/* --kind, a kind or its prefix. */
	cr_assert_eq(run(h_fmt("audit --tenant %s --json --kind tenant",
	    t.slug), &out, &err), 0, "%s", err);
	rows = json_loads(out, 0, NULL);
	cr_assert_eq(json_array_size(rows), 3, "%s", out);
	json_decref(rows);
	free(out);
	free(err);
	cr_assert_eq(run(h_fmt("audit --tenant %s --json --kind "
	    "tenant.deactivated", t.slug), &out, &err), 0, "%s", err);
	rows = json_loads(out, 0, NULL);
	cr_assert_eq(json_array_size(rows), 1, "%s", out);
	json_decref(rows);
	free(out);
	free(err);

	/* Pages: --limit, then --before the last id shown. */
	cr_assert_eq(run(h_fmt("audit --tenant %s --limit 2", t.slug), &out,
	    &err), 0, "%s", err);
	cr_assert(strstr(out, "tenant.activated") != NULL, "%s", out);
	cr_assert(strstr(out, "tenant.created") == NULL, "%s", out);
	cr_assert(strstr(err, "--before") != NULL, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run(h_fmt("audit --tenant %s --json --before %lld",
	    t.slug, first), &out, &err), 0, "%s", err);
	rows = json_loads(out, 0, NULL);
	cr_assert_eq(json_array_size(rows), 4, "%s", out);
	json_decref(rows);
	free(out);
	free(err);

	/* --since in the future: nothing. */
	cr_assert_eq(run(h_fmt("audit --tenant %s --json --since 2999-01-01",
	    t.slug), &out, &err), 0, "%s", err);
	cr_assert_str_eq(out, "[]\n");
	free(out);
	free(err);

	/* Errors: one line, status 1; usage errors 2. */
	cr_assert_eq(run("audit --tenant audit-no-such-tenant", &out, &err),
	    1);
	cr_assert(strstr(err, "unknown tenant") != NULL, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run("audit --kind nope", &out, &err), 1);
	cr_assert(strstr(err, "unknown kind 'nope'") != NULL, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run("audit --since yesterdayish", &out, &err), 1);
	cr_assert(strstr(err, "--since: 'yesterdayish' is not a time") !=
	    NULL, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run("audit --limit 0", &out, &err), 1);
	cr_assert(strstr(err, "--limit must be") != NULL, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run("audit --color", &out, &err), 2);
	free(out);
	free(err);
}

/*
 * audit-prune: events older than the days given go, newer ones stay,
 * and the prune is an event itself. Old events are made here (the
 * suite's own are all from today).
 */
Test(audit, cli_audit_prune)
{
	struct h_tenant	t;
	struct row	row[4];
	PGresult	*res;
	char		*out, *err;
	const char	*p[1];

	h_new_tenant("audit-prune", &t);
	p[0] = t.id;
	/* As an operator's psql would: the owner may insert, not delete. */
	PQclear(query("INSERT INTO audit_events (tenant_id, created_at, "
	    "kind, actor_kind, detail) VALUES ($1, now() - interval "
	    "'9000 days', 'logout', 'database', '{\"old\": 1}'), ($1, "
	    "now() - interval '8000 days', 'logout', 'database', "
	    "'{\"old\": 2}')", 1, p));
	cr_assert_eq(rows_of(t.id, "logout", row, 4), 2);

	cr_assert_eq(run("audit-prune --older-than 8500", &out, &err), 0,
	    "%s", err);
	cr_assert(strstr(out, "pruned ") != NULL, "%s", out);
	free(out);
	free(err);
	cr_assert_eq(rows_of(t.id, "logout", row, 4), 1);
	cr_assert(strstr(row[0].detail, "2") != NULL, "%s", row[0].detail);
	cr_assert_eq(rows_of(t.id, "tenant.created", row, 4), 1,
	    "a new event stays");

	res = query("SELECT count(*) FROM audit_events WHERE tenant_id = "
	    "'" NO_TENANT "' AND kind = 'audit.pruned' AND "
	    "(detail->>'older_than_days')::int = 8500", 0, NULL);
	cr_assert_geq(atoi(PQgetvalue(res, 0, 0)), 1);
	PQclear(res);

	/* The default is AUDIT_RETENTION_DAYS, 365: today's rows stay. */
	cr_assert_eq(run("audit-prune", &out, &err), 0, "%s", err);
	cr_assert(strstr(out, "older than 365 days") != NULL, "%s", out);
	free(out);
	free(err);
	cr_assert_eq(rows_of(t.id, "logout", row, 4), 0);
	cr_assert_eq(rows_of(t.id, "tenant.created", row, 4), 1);

	cr_assert_eq(run("audit-prune --older-than 0", &out, &err), 1);
	cr_assert(strstr(err, "--older-than must be") != NULL, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run("audit-prune --older-than", &out, &err), 1);
	free(out);
	free(err);
}
