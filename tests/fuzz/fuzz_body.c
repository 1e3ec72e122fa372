/*
 * Request bodies: the JSON text a client sends to a resource, parsed as
 * src/input.c input_body() does (bodyjson_load(): any JSON value, duplicate
 * keys refused), then fields_validate() (src/core/fields.c) with every
 * resource's rule table, as PUT/POST (full) and as PATCH (partial). What
 * comes out is what the handlers bind to SQL: its properties are checked.
 *
 * The rule tables are static in src/handlers/; they are copied below, one
 * block per handler file, and tests/fuzz/rules-check.sh (run by make fuzz
 * and make test) fails when a copy differs from its source. The choice
 * lists are src/core/values.c's, as in the handlers.
 */

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/bodyjson.h"
#include "core/fields.h"
#include "core/values.h"

#include "fuzz.h"

/* From src/handlers/projects.c */
static const struct field_rule projects_rules[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 255, NULL },
	{ "description", FIELD_STRING, FIELD_ALLOW_BLANK, 10000, NULL },
	{ "status", FIELD_CHOICE, 0, 0,
	    values_project_statuses },
};

/* From src/handlers/tasks.c */
static const struct field_rule tasks_rules[] = {
	{ "project", FIELD_PK, FIELD_REQUIRED, 0, NULL },
	{ "title", FIELD_STRING, FIELD_REQUIRED, 255, NULL },
	{ "description", FIELD_STRING, FIELD_ALLOW_BLANK, 0, NULL },
	{ "status", FIELD_CHOICE, 0, 0, values_task_statuses },
	{ "priority", FIELD_CHOICE, 0, 0, values_task_priorities },
	{ "due_date", FIELD_DATE, FIELD_NULLABLE, 0, NULL },
};

/* From src/handlers/documents.c */
#define METADATA_MAX	(64 * 1024)
static const struct field_rule documents_rules[] = {
	{ "project", FIELD_PK, FIELD_NULLABLE, 0, NULL },
	{ "name", FIELD_STRING, FIELD_REQUIRED, 255, NULL },
	{ "file_path", FIELD_STRING, FIELD_REQUIRED, 500, NULL },
	{ "file_size", FIELD_UINT64, FIELD_REQUIRED, 0, NULL },
	{ "content_type", FIELD_MIME, FIELD_REQUIRED, 100, NULL },
	{ "metadata", FIELD_OBJECT, 0, METADATA_MAX, NULL },
};

/* From src/handlers/login.c */
static const struct field_rule login_login_rules[] = {
	{ "username", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
	{ "password", FIELD_STRING, FIELD_REQUIRED | FIELD_NO_TRIM, 0, NULL },
	{ "tenant", FIELD_STRING, FIELD_NULLABLE, 0, NULL },
};
static const struct field_rule login_client_rules[] = {
	{ "client_id", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
	{ "client_secret", FIELD_STRING, FIELD_REQUIRED | FIELD_NO_TRIM, 0,
	    NULL },
};

/* From src/handlers/tokens.c */
static const struct field_rule tokens_refresh_rules[] = {
	{ "refresh", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
};
static const struct field_rule tokens_verify_rules[] = {
	{ "token", FIELD_STRING, FIELD_REQUIRED, 0, NULL },
};
/* End of the copies. */

#define TABLE(t)	{ #t, t, sizeof(t) / sizeof(t[0]) }

static const struct {
	const char		*name;
	const struct field_rule	*rules;
	size_t			n;
} tables[] = {
	TABLE(projects_rules),
	TABLE(tasks_rules),
	TABLE(documents_rules),
	TABLE(login_login_rules),
	TABLE(login_client_rules),
	TABLE(tokens_refresh_rules),
	TABLE(tokens_verify_rules),
};

/*
 * documents_rules with a 256-byte metadata limit: the same size check at a
 * size fuzzing reaches (inputs past 64 KiB are rare).
 */
#define SMALL_METADATA	256
static struct field_rule	small_metadata[sizeof(documents_rules) /
				    sizeof(documents_rules[0])];

static void	validate(json_t *, const struct field_rule *, size_t, int);
static void	check_value(const struct field_rule *,
		    const struct field_value *, json_t *);
static void	check_errors(json_t *, const struct field_rule *, size_t);
static int	big_integer(json_t *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t		i;

	memcpy(small_metadata, documents_rules, sizeof(small_metadata));
	for (i = 0; i < sizeof(small_metadata) / sizeof(small_metadata[0]);
	    i++) {
		if (small_metadata[i].type == FIELD_OBJECT)
			small_metadata[i].max_len = SMALL_METADATA;
	}

	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	jerr;
	json_t		*body;
	size_t		i;

	body = bodyjson_load((const char *)data, size, &jerr);
	if (body == NULL) {
		/* The parse error is echoed to the client: it is text. */
		FUZZ_CHECK(memchr(jerr.text, '\0', sizeof(jerr.text)) != NULL);
		return (0);
	}

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		validate(body, tables[i].rules, tables[i].n, 0);
		validate(body, tables[i].rules, tables[i].n, 1);
	}
	validate(body, small_metadata, sizeof(small_metadata) /
	    sizeof(small_metadata[0]), 1);

	json_decref(body);
	return (0);
}

static void
validate(json_t *body, const struct field_rule *rules, size_t n, int partial)
{
	struct field_result	r;
	size_t			i;
	int			rc;

	rc = fields_validate(body, rules, n, partial, &r);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK((rc == 0) == (r.errors == NULL));

	if (rc == -1) {
		check_errors(r.errors, rules, n);
		fields_free(&r);
		return;
	}

	/* Valid: every given field has a value the SQL can take. */
	FUZZ_CHECK(json_is_object(body));
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(r.values[i].present ==
		    (json_object_get(body, rules[i].name) != NULL));
		FUZZ_CHECK(((r.mask >> i) & 1) ==
		    (uint32_t)r.values[i].present);
		if (!r.values[i].present) {
			FUZZ_CHECK(partial ||
			    !(rules[i].flags & FIELD_REQUIRED));
			FUZZ_CHECK(r.values[i].text == NULL);
			continue;
		}
		check_value(&rules[i], &r.values[i],
		    json_object_get(body, rules[i].name));
	}
	FUZZ_CHECK((r.mask >> n) == 0);

	fields_free(&r);
}

/* The text bound for one valid field. */
static void
check_value(const struct field_rule *rule, const struct field_value *v,
    json_t *given)
{
	json_error_t	jerr;
	json_t		*back;
	int64_t		id;
	size_t		len;
	const char	*t;

	if (v->is_null) {
		FUZZ_CHECK(json_is_null(given));
		FUZZ_CHECK(rule->flags & FIELD_NULLABLE);
		FUZZ_CHECK(v->text == NULL);
		return;
	}

	FUZZ_CHECK(!json_is_null(given));
	FUZZ_CHECK((t = v->text) != NULL);
	/* PostgreSQL takes text parameters as UTF-8. */
	FUZZ_CHECK(fields_utf8_valid(t));
	len = fields_utf8_len(t);

	switch (rule->type) {
	case FIELD_STRING:
		FUZZ_CHECK(rule->max_len == 0 || len <= rule->max_len);
		FUZZ_CHECK(len > 0 || (rule->flags & FIELD_ALLOW_BLANK));
		/* CharField trims unless told not to. */
		if (!(rule->flags & FIELD_NO_TRIM) && len > 0)
			FUZZ_CHECK(!isspace((unsigned char)t[0]) &&
			    !isspace((unsigned char)t[strlen(t) - 1]));
		if ((rule->flags & FIELD_NO_TRIM) && json_is_string(given) &&
		    !big_integer(given))
			FUZZ_CHECK(!strcmp(t, json_string_value(given)));
		/* An integer past 64 bits is its digits, as Python's str(). */
		if (big_integer(given))
			FUZZ_CHECK(!strcmp(t, json_string_value(given) + 1));
		FUZZ_CHECK(json_is_string(given) || json_is_number(given));
		break;
	case FIELD_CHOICE:
		FUZZ_CHECK(values_contains(rule->choices, t));
		break;
	case FIELD_DATE:
		FUZZ_CHECK(strlen(t) == 10 && fields_date_valid(t));
		break;
	case FIELD_MIME:
		FUZZ_CHECK(len > 0 && len <= rule->max_len);
		FUZZ_CHECK(fields_mime_valid(t) && strchr(t, '/') != NULL);
		break;
	case FIELD_PK:
		FUZZ_CHECK(fields_parse_id(t, &id) == 0 && id > 0);
		break;
	case FIELD_UINT64:
		FUZZ_CHECK(strspn(t, "0123456789") == strlen(t) &&
		    strlen(t) > 0);
		FUZZ_CHECK(t[0] != '0' || t[1] == '\0');
		break;
	case FIELD_OBJECT:
		FUZZ_CHECK(strlen(t) <= rule->max_len);
		/*
		 * The serialized object reads back as the same object, big
		 * integers and all.
		 */
		FUZZ_CHECK((back = bodyjson_load(t, strlen(t), &jerr)) != NULL);
		FUZZ_CHECK(json_is_object(back) && json_equal(back, given));
		json_decref(back);
		break;
	default:
		FUZZ_CHECK(!"a rule type the harness does not know");
	}
}

/* DRF's {"field": ["message", ...]}, only for fields the rules name. */
static void
check_errors(json_t *errors, const struct field_rule *rules, size_t n)
{
	const char	*key;
	json_t		*list, *msg;
	char		*text;
	size_t		i, j;
	int		known;

	FUZZ_CHECK(json_is_object(errors) && json_object_size(errors) > 0);
	json_object_foreach(errors, key, list) {
		known = !strcmp(key, "non_field_errors");
		for (i = 0; i < n && !known; i++)
			known = !strcmp(key, rules[i].name);
		FUZZ_CHECK(known);
		FUZZ_CHECK(json_is_array(list) && json_array_size(list) > 0);
		json_array_foreach(list, j, msg) {
			FUZZ_CHECK(json_is_string(msg));
			FUZZ_CHECK(json_string_length(msg) < 160);
		}
	}

	/* The error body must serialize (resp_error_fields sends it). */
	FUZZ_CHECK((text = json_dumps(errors, JSON_COMPACT)) != NULL);
	free(text);
}

/*
 * An integer past 64 bits as bodyjson_load() keeps it: a string of 0xff
 * and the digits, which no JSON text decodes to.
 */
static int
big_integer(json_t *v)
{
	return (json_is_string(v) && json_string_length(v) >= 2 &&
	    (unsigned char)json_string_value(v)[0] == 0xff);
}
