/*
 * Request body validation: a table of field rules per resource, checked
 * the way Django REST Framework serializers check them, with the same
 * messages. Produces the text of each value, ready to bind as a query
 * parameter, and DRF's {"field": ["message"]} errors. No Kore dependency.
 */

#ifndef MTAPI_FIELDS_H
#define MTAPI_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FIELD_STRING		1	/* CharField: trimmed text */
#define FIELD_CHOICE		2	/* one of rule->choices */
#define FIELD_DATE		3	/* YYYY-MM-DD */
#define FIELD_PK		4	/* id of a related row: 1..2^63-1 */
#define FIELD_UINT64		5	/* integer 0..2^63-1 */
#define FIELD_OBJECT		6	/* JSON object, as serialized text */
#define FIELD_MIME		7	/* type/subtype */

#define FIELD_REQUIRED		0x01
#define FIELD_NULLABLE		0x02
#define FIELD_ALLOW_BLANK	0x04
#define FIELD_NO_TRIM		0x08	/* passwords: kept as sent */

#define FIELDS_MAX		16

struct field_rule {
	const char		*name;
	int			type;
	int			flags;
	size_t			max_len;	/* chars; bytes for objects */
	const char *const	*choices;	/* NULL-terminated */
};

struct field_value {
	int		present;
	int		is_null;
	char		*text;		/* NULL when absent or null */
};

struct field_result {
	struct field_value	values[FIELDS_MAX];
	uint32_t		mask;	/* bit i: rule i was given */
	json_t			*errors;	/* NULL when valid */
};

/*
 * Validate body against rules. partial (PATCH) skips required checks.
 * Returns 0 when valid, -1 with out->errors set otherwise. Always call
 * fields_free() afterwards.
 */
int	fields_validate(json_t *, const struct field_rule *, size_t, int,
	    struct field_result *);
void	fields_free(struct field_result *);

/* Add message to errors[field] (creating both as needed). */
void	fields_error_add(json_t **, const char *, const char *);

/* Is s well-formed UTF-8? */
int	fields_utf8_valid(const char *);

/* Number of Unicode code points in a UTF-8 string. */
size_t	fields_utf8_len(const char *);

int	fields_date_valid(const char *);
int	fields_mime_valid(const char *);

/* A positive 64-bit id from text (path or query), else 0 and -1. */
int	fields_parse_id(const char *, int64_t *);

#endif
