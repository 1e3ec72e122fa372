/*
 * The schema is ready for Citus, sharded by tenant (docs/scaling.md):
 * read from the catalog of the test database, after the whole suite ran
 * against it.
 *
 * The decision, table by table, is the tables[] list below; a table that
 * is not in it fails the test, so a new table has to be placed. Rules:
 *
 *   distributed	tenant_id NOT NULL, in the primary key, in every
 *			unique constraint and unique index; every foreign
 *			key to another distributed table pairs tenant_id
 *			with tenant_id; foreign keys only to distributed
 *			or reference tables
 *   reference		foreign keys to reference tables only (Citus copies
 *			them to every node)
 *   local		on the coordinator only: no foreign key to or from
 *			a distributed table
 *
 * and every statement of the service on a distributed table filters on
 * tenant_id (a router query on Citus): the statements of the api
 * functions, as installed (pg_proc), and those the suite actually ran
 * inside them (pg_stat_statements, track = all). The module itself sends
 * nothing but calls of api functions (read from src/).
 */

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <libpq-fe.h>

#include "harness.h"

#define DIST	"distributed"
#define REF	"reference"
#define LOCAL	"local"

static const struct {
	const char	*name;
	const char	*kind;
} tables[] = {
	{ "api_clients",	DIST },
	{ "api_client_usage",	DIST },
	{ "auth_sessions",	DIST },
	{ "refresh_tokens",	DIST },
	{ "projects",		DIST },
	{ "tasks",		DIST },
	{ "documents",		DIST },
	{ "service_tokens",	DIST },
	{ "audit_events",	DIST },	/* no tenant: the nil uuid */
	{ "tenant_count_parts", DIST },	/* kept counts (sql/V012) */
	/* Small, read on every request or login, written rarely. */
	{ "tenants",		REF },
	{ "users",		REF },	/* usernames are global */
	{ "memberships",	REF },	/* read by user at login */
	{ "api_client_ids",	REF },	/* client ids are global */
	/* One row each, read by every API statement (sql/V008). */
	{ "verdict_epochs",	REF },
	{ "kept_bodies",	REF },
	/* The key ring: every instance signs and verifies with it. */
	{ "signing_keys",	REF },
	/* Unlogged counters, batched across tenants; bookkeeping. */
	{ "rate_counters",	LOCAL },
	{ "auth_failures",	LOCAL },
	/* Account-at-address keys of logins: no tenant (users are global). */
	{ "auth_known_logins",	LOCAL },
	{ "schema_migrations",	LOCAL },
};

#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

/*
 * The distributed tables a statement reads or writes without filtering
 * on tenant_id: "x.tenant_id = ..." (x its alias, or its name), or
 * tenant_id among the columns of an INSERT. A heuristic on the text:
 * it cannot prove a filter selective, only that one is there.
 */
static const char *unfiltered_fn =
"CREATE FUNCTION pg_temp.unfiltered(q text, dist text[]) RETURNS SETOF text "
"LANGUAGE plpgsql IMMUTABLE AS $f$ "
"DECLARE "
"	s text := lower(regexp_replace(q, '--[^\\n]*', '', 'g')); "
"	m text[]; "
"	a text; "
"	kw text[] := '{where,on,set,join,left,right,inner,cross,full,"
"	    natural,using,group,order,limit,offset,returning,select,values,"
"	    default,for,as,union,except,intersect,window,having,and,or,"
"	    lateral,tablesample}'; "
"BEGIN "
"	FOR m IN SELECT regexp_matches(s, '\\m(from|join|update|into)\\s+"
"	    (?:only\\s+)?(?:public\\.)?([a-z_][a-z0-9_]*)"
"	    (?:\\s+(?:as\\s+)?(?!(?:from|join|where|on|set|using|into|"
"	    update|select|returning|values|left|right|inner|cross|full|"
"	    natural|group|order|limit|offset|for|union|except|intersect|"
"	    window|having|and|or|lateral|tablesample|default)\\M)"
"	    ([a-z_][a-z0-9_]*))?', 'gx') LOOP "
"		CONTINUE WHEN NOT m[2] = ANY (dist); "
"		IF m[1] = 'into' THEN "
"			IF s !~ ('\\minto\\s+(?:public\\.)?' || m[2] || "
"			    '(?:\\s+as\\s+[a-z_]+)?\\s*\\([^)]*\\mtenant_id\\M') "
"			    THEN "
"				RETURN NEXT m[2]; "
"			END IF; "
"			CONTINUE; "
"		END IF; "
"		a := CASE WHEN m[3] IS NULL OR m[3] = ANY (kw) THEN m[2] "
"		    ELSE m[3] END; "
"		IF s !~ ('\\m' || a || '\\.tenant_id\\s*(=|in\\M)') AND "
"		    NOT (a = m[2] AND "
"		    s ~ '(^|[^.a-z0-9_])tenant_id\\s*(=|in\\M)') THEN "
"			RETURN NEXT m[2]; "
"		END IF; "
"	END LOOP; "
"END $f$";

static PGconn	*db;

static void	db_open(void);
static void	db_close(void);
static PGresult	*query(const char *, int, const char **);
static const char *dist_array(void);
static const char *kind_of(const char *);
static void	scan_sources(const char *, int *);
static void	check_source(const char *, int *);

TestSuite(schema, .init = db_open, .fini = db_close, .timeout = 60);

static void
db_open(void)
{
	PGresult	*res;

	db = h_db_open();

	res = query(unfiltered_fn, 0, NULL);
	PQclear(res);
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

/* The distributed tables as a text[] literal. */
static const char *
dist_array(void)
{
	static char	buf[1024];
	size_t		i;

	(void)strcpy(buf, "{");
	for (i = 0; i < NTABLES; i++) {
		if (strcmp(tables[i].kind, DIST))
			continue;
		if (buf[1] != '\0')
			(void)strcat(buf, ",");
		(void)strcat(buf, tables[i].name);
	}
	(void)strcat(buf, "}");

	return (buf);
}

static const char *
kind_of(const char *name)
{
	size_t		i;

	for (i = 0; i < NTABLES; i++) {
		if (!strcmp(tables[i].name, name))
			return (tables[i].kind);
	}

	return (NULL);
}

/* Every table of the schema is placed, and every placed table exists. */
Test(schema, every_table_placed)
{
	PGresult	*res;
	const char	*p[1];
	int		i, bad;
	size_t		t;

	res = query("SELECT c.relname FROM pg_class c JOIN pg_namespace n "
	    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
	    "AND c.relkind IN ('r', 'p') ORDER BY 1", 0, NULL);
	bad = 0;
	for (i = 0; i < PQntuples(res); i++) {
		if (kind_of(PQgetvalue(res, i, 0)) == NULL) {
			cr_log_error("table %s is neither distributed, "
			    "reference nor local: place it in tables[]",
			    PQgetvalue(res, i, 0));
			bad++;
		}
	}
	PQclear(res);

	for (t = 0; t < NTABLES; t++) {
		p[0] = tables[t].name;
		res = query("SELECT to_regclass('public.' || $1) IS NOT NULL",
		    1, p);
		if (strcmp(PQgetvalue(res, 0, 0), "t")) {
			cr_log_error("table %s is placed but does not exist",
			    tables[t].name);
			bad++;
		}
		PQclear(res);
	}

	cr_assert_eq(bad, 0, "%d table(s) misplaced", bad);
}

/* A distributed table's tenant_id: NOT NULL, in the primary key. */
Test(schema, distributed_keys)
{
	PGresult	*res;
	const char	*p[1];
	int		i, bad;

	p[0] = dist_array();
	res = query("SELECT c.relname, "
	    "EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
	    "    AND a.attname = 'tenant_id' AND a.attnotnull "
	    "    AND NOT a.attisdropped), "
	    "EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_attribute a "
	    "    ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) "
	    "    WHERE k.conrelid = c.oid AND k.contype = 'p' "
	    "    AND a.attname = 'tenant_id') "
	    "FROM pg_class c WHERE c.oid = ANY (SELECT to_regclass('public.' "
	    "    || t) FROM unnest($1::text[]) t) ORDER BY 1", 1, p);
	bad = 0;
	cr_assert_gt(PQntuples(res), 0);
	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 1), "t")) {
			cr_log_error("%s: no tenant_id NOT NULL",
			    PQgetvalue(res, i, 0));
			bad++;
		}
		if (strcmp(PQgetvalue(res, i, 2), "t")) {
			cr_log_error("%s: tenant_id is not in the primary key",
			    PQgetvalue(res, i, 0));
			bad++;
		}
	}
	PQclear(res);

	cr_assert_eq(bad, 0, "%d problem(s)", bad);
}

/* Every unique constraint or unique index on tenant data has tenant_id. */
Test(schema, distributed_unique_has_tenant)
{
	PGresult	*res;
	const char	*p[1];
	int		i;

	p[0] = dist_array();
	res = query("SELECT t.relname, i.relname FROM pg_index x "
	    "JOIN pg_class i ON i.oid = x.indexrelid "
	    "JOIN pg_class t ON t.oid = x.indrelid "
	    "WHERE x.indisunique AND t.oid = ANY (SELECT to_regclass("
	    "    'public.' || n) FROM unnest($1::text[]) n) "
	    "AND NOT EXISTS (SELECT 1 FROM pg_attribute a "
	    "    WHERE a.attrelid = t.oid AND a.attname = 'tenant_id' "
	    "    AND a.attnum = ANY (x.indkey)) ORDER BY 1, 2", 1, p);
	for (i = 0; i < PQntuples(res); i++)
		cr_log_error("%s: unique %s lacks tenant_id",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	cr_expect_eq(PQntuples(res), 0, "%d unique index(es) without "
	    "tenant_id", PQntuples(res));
	PQclear(res);

	/* The check sees the unique indexes it should: it can fail. */
	res = query("SELECT count(*) FROM pg_index x WHERE x.indisunique "
	    "AND x.indrelid = 'api_client_ids'::regclass", 0, NULL);
	cr_expect_eq(atoi(PQgetvalue(res, 0, 0)), 2);
	PQclear(res);
}

/*
 * Foreign keys, by the kinds of their two tables: between distributed
 * tables tenant_id pairs with tenant_id; distributed tables point at
 * distributed or reference ones; reference tables at reference ones;
 * local tables at no distributed one, and none at them.
 */
Test(schema, foreign_keys)
{
	PGresult	*res;
	const char	*from, *to, *kf, *kt;
	int		i, bad, paired;

	res = query("SELECT k.conname, f.relname, t.relname, "
	    "EXISTS (SELECT 1 FROM unnest(k.conkey, k.confkey) AS u(a, b) "
	    "    JOIN pg_attribute fa ON fa.attrelid = k.conrelid "
	    "    AND fa.attnum = u.a "
	    "    JOIN pg_attribute ta ON ta.attrelid = k.confrelid "
	    "    AND ta.attnum = u.b "
	    "    WHERE fa.attname = 'tenant_id' AND ta.attname = 'tenant_id') "
	    "FROM pg_constraint k JOIN pg_class f ON f.oid = k.conrelid "
	    "JOIN pg_class t ON t.oid = k.confrelid "
	    "JOIN pg_namespace n ON n.oid = f.relnamespace "
	    "WHERE k.contype = 'f' AND n.nspname = 'public' ORDER BY 1",
	    0, NULL);
	cr_assert_gt(PQntuples(res), 0);
	bad = 0;
	for (i = 0; i < PQntuples(res); i++) {
		from = PQgetvalue(res, i, 1);
		to = PQgetvalue(res, i, 2);
		paired = !strcmp(PQgetvalue(res, i, 3), "t");
		kf = kind_of(from);
		kt = kind_of(to);
		if (kf == NULL || kt == NULL)
			continue;	/* every_table_placed says so */
		if (!strcmp(kf, DIST) && !strcmp(kt, DIST) && !paired) {
			cr_log_error("%s: %s -> %s does not pair tenant_id",
			    PQgetvalue(res, i, 0), from, to);
			bad++;
		} else if (!strcmp(kt, LOCAL) || (!strcmp(kf, LOCAL) &&
		    !strcmp(kt, DIST)) || (!strcmp(kf, REF) &&
		    strcmp(kt, REF))) {
			cr_log_error("%s: %s (%s) -> %s (%s) cannot exist on "
			    "Citus", PQgetvalue(res, i, 0), from, kf, to, kt);
			bad++;
		}
	}
	PQclear(res);

	cr_assert_eq(bad, 0, "%d foreign key(s) not ready for Citus", bad);
}

/* The heuristic below finds what it should, and only that. */
Test(schema, statement_check_works)
{
	static const struct {
		const char	*sql;
		const char	*flags;		/* "" if none */
	} cases[] = {
		{ "SELECT * FROM projects p WHERE p.id = $1", "projects" },
		{ "SELECT * FROM projects p WHERE p.tenant_id = $1 "
		  "AND p.id = $2", "" },
		{ "SELECT * FROM projects AS p WHERE p.tenant_id = $1", "" },
		{ "SELECT 1 FROM tasks WHERE tenant_id = $1", "" },
		{ "SELECT 1 FROM tasks WHERE id = $1 -- tenant_id = $1",
		  "tasks" },
		{ "SELECT 1 FROM tasks t JOIN projects p ON p.id = "
		  "t.project_id WHERE t.tenant_id = $1", "projects" },
		{ "SELECT 1 FROM tasks t JOIN projects p ON p.tenant_id = "
		  "t.tenant_id AND p.id = t.project_id WHERE t.tenant_id = $1",
		  "" },
		{ "SELECT 1 FROM tenants t JOIN projects p ON p.id = 1 "
		  "WHERE t.tenant_id = $1", "projects" },
		{ "UPDATE auth_sessions SET revoked_at = now() WHERE id = $1",
		  "auth_sessions" },
		{ "UPDATE auth_sessions a SET revoked_at = now() "
		  "WHERE a.tenant_id = $1 AND a.id = $2", "" },
		{ "INSERT INTO refresh_tokens (jti, session_id) VALUES ($1, $2)",
		  "refresh_tokens" },
		{ "INSERT INTO refresh_tokens (tenant_id, jti) VALUES ($1, $2)",
		  "" },
		{ "DELETE FROM documents WHERE id = $1", "documents" },
		{ "SELECT * INTO rt FROM refresh_tokens r WHERE r.jti = $1",
		  "refresh_tokens" },
		{ "SELECT 1 FROM users u, rate_counters r WHERE u.id = 1", "" },
	};
	PGresult	*res;
	const char	*p[2];
	char		got[256];
	size_t		i;
	int		j;

	p[1] = dist_array();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p[0] = cases[i].sql;
		res = query("SELECT u FROM pg_temp.unfiltered($1, $2::text[]) u",
		    2, p);
		got[0] = '\0';
		for (j = 0; j < PQntuples(res); j++) {
			if (j > 0)
				(void)strcat(got, ",");
			(void)strncat(got, PQgetvalue(res, j, 0), 64);
		}
		PQclear(res);
		cr_expect_str_eq(got, cases[i].flags, "%s", cases[i].sql);
	}
}

/*
 * Every statement of the api functions (what the module calls, as
 * installed) filters a distributed table on tenant_id.
 */
Test(schema, api_functions_filter_on_tenant)
{
	PGresult	*res;
	const char	*p[1];
	int		i;

	p[0] = dist_array();
	res = query("SELECT f.proname, u, regexp_replace(s, '\\s+', ' ', 'g') "
	    "FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace, "
	    "regexp_split_to_table(f.prosrc, ';') s, "
	    "pg_temp.unfiltered(s, $1::text[]) u "
	    "WHERE n.nspname = 'api' ORDER BY 1", 1, p);
	for (i = 0; i < PQntuples(res); i++)
		cr_log_error("api.%s: %s without a tenant_id filter: %s",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2));
	cr_expect_eq(PQntuples(res), 0, "%d statement(s) of the api "
	    "functions do not filter on tenant_id", PQntuples(res));
	PQclear(res);

	/* Not vacuous: the functions are there, and touch tenant data. */
	res = query("SELECT count(*) FROM pg_proc f JOIN pg_namespace n "
	    "ON n.oid = f.pronamespace WHERE n.nspname = 'api' "
	    "AND f.prosrc ~ '\\mtasks\\M'", 0, NULL);
	cr_expect_gt(atoi(PQgetvalue(res, 0, 0)), 3);
	PQclear(res);
}

/*
 * What the suite actually ran inside the api functions (nested
 * statements; the top level is the module's api calls and the operator
 * command's own statements): the same rule. Needs
 * pg_stat_statements.track = all (tools/dev/test.sh sets it).
 */
Test(schema, executed_statements_filter_on_tenant)
{
	PGresult	*res;
	const char	*p[1], *only;
	size_t		t;
	int		i, seen;

	res = query("SELECT current_setting('pg_stat_statements.track')",
	    0, NULL);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "all",
	    "pg_stat_statements.track must be all for this database");
	PQclear(res);

	p[0] = dist_array();
	res = query("SELECT u, regexp_replace(left(s.query, 300), '\\s+', ' ', "
	    "'g') FROM pg_stat_statements s, "
	    "pg_temp.unfiltered(s.query, $1::text[]) u "
	    "WHERE s.dbid = (SELECT oid FROM pg_database "
	    "    WHERE datname = current_database()) "
	    "AND NOT s.toplevel AND s.query !~* '^\\s*(create|alter|drop)' "
	    "ORDER BY 1", 1, p);
	for (i = 0; i < PQntuples(res); i++)
		cr_log_error("%s without a tenant_id filter: %s",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
	cr_expect_eq(PQntuples(res), 0, "%d executed statement(s) do not "
	    "filter on tenant_id", PQntuples(res));
	PQclear(res);

	/*
	 * Not vacuous: every distributed table was seen in some statement
	 * (after the whole suite; make test-cluster alone runs less).
	 */
	only = getenv("MTAPI_TEST_ONLY");
	for (t = 0; t < NTABLES; t++) {
		if (strcmp(tables[t].kind, DIST))
			continue;
		p[0] = tables[t].name;
		res = query("SELECT count(*) FROM pg_stat_statements s "
		    "WHERE s.dbid = (SELECT oid FROM pg_database "
		    "    WHERE datname = current_database()) "
		    "AND NOT s.toplevel AND s.query ~* ('\\m' || $1 || '\\M')",
		    1, p);
		seen = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
		if (only != NULL && !strcmp(only, "cluster") &&
		    strcmp(tables[t].name, "projects"))
			continue;
		cr_expect_gt(seen, 0, "no executed statement on %s: did the "
		    "suite run first?", tables[t].name);
	}
}

/*
 * After the whole suite, the audit trail has a row of every kind its
 * table allows (sql/V009__audit.sql, tests/integration/test_audit.c):
 * no event is left unrecorded by the code that makes it.
 */
#define AUDIT_KINDS \
	"SELECT k[1] FROM pg_constraint c, " \
	"regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_.]+)''', " \
	"'g') k WHERE c.conrelid = 'audit_events'::regclass " \
	"AND c.contype = 'c' AND pg_get_constraintdef(c.oid) ~ '^CHECK \\(\\(kind '"

Test(schema, audit_trail_has_every_kind)
{
	PGresult	*res;
	const char	*only;
	int		i;

	only = getenv("MTAPI_TEST_ONLY");
	if (only != NULL && !strcmp(only, "cluster"))
		cr_skip_test("the whole suite makes the events");

	res = query(AUDIT_KINDS " AND NOT EXISTS (SELECT 1 FROM audit_events e "
	    "WHERE e.kind = k[1]) ORDER BY 1", 0, NULL);
	for (i = 0; i < PQntuples(res); i++)
		cr_log_error("no audit event of kind %s", PQgetvalue(res, i, 0));
	cr_expect_eq(PQntuples(res), 0, "%d kind(s) never recorded",
	    PQntuples(res));
	PQclear(res);

	/* Not vacuous: the constraint names the kinds. */
	res = query("SELECT count(*) FROM (" AUDIT_KINDS ") x", 0, NULL);
	cr_expect_geq(atoi(PQgetvalue(res, 0, 0)), 18);
	PQclear(res);
}

/*
 * The module sends nothing but calls of api functions (and the health
 * check's SELECT 1): every SQL string literal in src/ is one.
 */
Test(schema, module_calls_api_functions_only)
{
	int	n;

	n = 0;
	scan_sources(h_fmt("%s/src", h_env("MTAPI_TEST_ROOT")), &n);
	cr_expect_gt(n, 20, "only %d SQL strings found in src/", n);
}

static void
scan_sources(const char *dir, int *n)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	st;
	char		path[1024];
	size_t		len;

	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		cr_assert_eq(stat(path, &st), 0, "%s", path);
		len = strlen(e->d_name);
		if (S_ISDIR(st.st_mode))
			scan_sources(path, n);
		else if (len > 2 && !strcmp(e->d_name + len - 2, ".c"))
			check_source(path, n);
	}
	closedir(d);
}

/*
 * Adjacent string literals ("a" "b", across lines and macro line
 * continuations) joined, as the compiler does; each that starts with a
 * statement keyword checked.
 */
static void
check_source(const char *path, int *n)
{
	static const char	*kw[] = { "SELECT ", "INSERT ", "UPDATE ",
				    "DELETE ", "WITH " };
	char			*src, lit[4096];
	size_t			len, i, k, l;
	int			in, ok;

	src = h_read_file(path, &len);
	l = 0;
	in = 0;
	for (i = 0; i < len; i++) {
		if (!in) {
			if (src[i] == '\'' && i + 2 < len) {
				/* A character constant: '"', '\"'. */
				i += src[i + 1] == '\\' ? 3 : 2;
				continue;
			}
			if (src[i] == '/' && i + 1 < len && src[i + 1] == '*') {
				while (i + 1 < len && !(src[i] == '*' &&
				    src[i + 1] == '/'))
					i++;
				continue;
			}
			if (src[i] == '"') {
				in = 1;
				continue;
			}
			if (l > 0 && strchr(" \t\n\\", src[i]) == NULL) {
				/* The literal ended: check it. */
				lit[l] = '\0';
				for (k = 0; k < sizeof(kw) / sizeof(kw[0]);
				    k++) {
					if (strncmp(lit, kw[k],
					    strlen(kw[k])))
						continue;
					(*n)++;
					ok = !strcmp(lit, "SELECT 1") ||
					    !strncmp(lit, "SELECT api.", 11) ||
					    strstr(lit, " FROM api.") != NULL;
					cr_expect(ok, "%s: the module sends "
					    "SQL of its own: %s", path, lit);
				}
				l = 0;
			}
			continue;
		}
		if (src[i] == '\\' && i + 1 < len) {
			if (l + 2 < sizeof(lit)) {
				lit[l++] = src[i];
				lit[l++] = src[i + 1];
			}
			i++;
			continue;
		}
		if (src[i] == '"') {
			in = 0;
			continue;
		}
		if (l + 1 < sizeof(lit))
			lit[l++] = src[i];
	}
	free(src);
}
