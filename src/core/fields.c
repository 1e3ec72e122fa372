/*
 * Request body validation with DRF's rules and messages.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bodyjson.h"
#include "fields.h"

#define MSG_REQUIRED	"This field is required."
#define MSG_NULL	"This field may not be null."
#define MSG_BLANK	"This field may not be blank."
#define MSG_STRING	"Not a valid string."
#define MSG_DATE	"Date has wrong format. Use one of these formats " \
			"instead: YYYY-MM-DD."
#define MSG_INTEGER	"A valid integer is required."
#define MSG_MIN_ZERO	"Ensure this value is greater than or equal to 0."
#define MSG_OBJECT	"Value must be a JSON object."
#define MSG_MIME	"Enter a valid MIME type (type/subtype)."
#define MSG_MAX_INT64	"Ensure this value is less than or equal to " \
			"9223372036854775807."
#define MSG_NUL		"Null characters are not allowed."

static int	check_value(const struct field_rule *, json_t *,
		    struct field_value *, json_t **);
static int	check_nul_string(const struct field_rule *, json_t *,
		    json_t **);
static void	choice_error(json_t **, const char *, const char *, size_t);
static void	error_addn(json_t **, const char *, const char *, size_t);
static char	*string_value(json_t *);
static char	*trim_dup(const char *);
static const char	*json_type_name(json_t *);
static int	mime_token(const char *, size_t);
static int	real_integral(json_t *, double *);
static int	integer_text(const char *, int64_t *);
static void	real_text(double, char *, size_t);

int
fields_validate(json_t *body, const struct field_rule *rules, size_t n,
    int partial, struct field_result *out)
{
	size_t		i;
	json_t		*v;
	char		msg[128];

	memset(out, 0, sizeof(*out));

	if (!json_is_object(body)) {
		(void)snprintf(msg, sizeof(msg), "Invalid data. Expected a "
		    "dictionary, but got %s.", json_type_name(body));
		fields_error_add(&out->errors, "non_field_errors", msg);
		return (-1);
	}

	for (i = 0; i < n && i < FIELDS_MAX; i++) {
		v = json_object_get(body, rules[i].name);
		if (v == NULL) {
			if (!partial && (rules[i].flags & FIELD_REQUIRED))
				fields_error_add(&out->errors, rules[i].name,
				    MSG_REQUIRED);
			continue;
		}

		out->values[i].present = 1;
		out->mask |= (1u << i);

		if (json_is_null(v)) {
			if (!(rules[i].flags & FIELD_NULLABLE))
				fields_error_add(&out->errors, rules[i].name,
				    MSG_NULL);
			else
				out->values[i].is_null = 1;
			continue;
		}

		(void)check_value(&rules[i], v, &out->values[i], &out->errors);
	}

	return (out->errors == NULL ? 0 : -1);
}

void
fields_free(struct field_result *r)
{
	size_t		i;

	for (i = 0; i < FIELDS_MAX; i++)
		free(r->values[i].text);
	json_decref(r->errors);
	memset(r, 0, sizeof(*r));
}

void
fields_error_add(json_t **errors, const char *field, const char *msg)
{
	error_addn(errors, field, msg, strlen(msg));
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, surrogates, > U+10FFFF)? */
int
fields_utf8_valid(const char *str)
{
	static const unsigned int	min[4] = { 0, 0x80, 0x800, 0x10000 };
	const unsigned char		*s = (const unsigned char *)str;
	unsigned int			cp, n, i;

	while (*s != '\0') {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1;
			cp = *s & 0x1f;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2;
			cp = *s & 0x0f;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3;
			cp = *s & 0x07;
		} else {
			return (0);
		}
		s++;
		for (i = 0; i < n; i++, s++) {
			if ((*s & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (*s & 0x3f);
		}
		if (cp < min[n] || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp > 0x10ffff)
			return (0);
	}

	return (1);
}

size_t
fields_utf8_len(const char *s)
{
	size_t		n;

	for (n = 0; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}

	return (n);
}

int
fields_date_valid(const char *s)
{
	struct tm	tm, check;
	time_t		t;
	size_t		i;

	if (strlen(s) != 10)
		return (0);
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return (0);
		} else if (!isdigit((unsigned char)s[i])) {
			return (0);
		}
	}

	/* Round-trip through timegm() to refuse 2026-02-30 and friends. */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = 12;
	if (tm.tm_year + 1900 < 1 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1)
		return (0);

	check = tm;
	if ((t = timegm(&check)) == (time_t)-1)
		return (0);
	if (gmtime_r(&t, &check) == NULL)
		return (0);

	return (check.tm_year == tm.tm_year && check.tm_mon == tm.tm_mon &&
	    check.tm_mday == tm.tm_mday);
}

int
fields_mime_valid(const char *s)
{
	const char	*slash;

	if ((slash = strchr(s, '/')) == NULL)
		return (0);

	return (mime_token(s, slash - s) &&
	    mime_token(slash + 1, strlen(slash + 1)));
}

int
fields_parse_id(const char *s, int64_t *out)
{
	char		*end;
	long long	v;

	*out = 0;
	if (s == NULL || !isdigit((unsigned char)*s))
		return (-1);

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return (-1);

	*out = v;
	return (0);
}

static int
check_value(const struct field_rule *r, json_t *v, struct field_value *fv,
    json_t **errors)
{
	const char	*digits;
	char		*s, msg[160];
	size_t		i, len;
	int64_t		iv;
	double		d;
	int		rc;

	digits = bodyjson_bigint(v);

	switch (r->type) {
	case FIELD_STRING:
	case FIELD_CHOICE:
	case FIELD_DATE:
	case FIELD_MIME:
		/* DRF trims CharFields only: choices and dates are exact. */
		if (digits != NULL)
			s = strdup(digits);	/* str(int) */
		else if (bodyjson_has_nul(v))
			return (check_nul_string(r, v, errors));
		else if (json_is_string(v) && ((r->flags & FIELD_NO_TRIM) ||
		    r->type == FIELD_CHOICE || r->type == FIELD_DATE))
			s = strdup(json_string_value(v));
		else
			s = string_value(v);
		if (s == NULL) {
			fields_error_add(errors, r->name, MSG_STRING);
			return (-1);
		}
		fv->text = s;
		break;
	case FIELD_PK:
		if (digits != NULL) {
			(void)snprintf(msg, sizeof(msg), "Invalid pk \"%.64s\" "
			    "- object does not exist.", digits);
			fields_error_add(errors, r->name, msg);
			return (-1);
		}
		if (json_is_integer(v)) {
			iv = json_integer_value(v);
		} else if (json_is_string(v) && !bodyjson_has_nul(v) &&
		    fields_parse_id(json_string_value(v), &iv) == 0) {
			/* DRF looks strings up by pk too. */
		} else {
			(void)snprintf(msg, sizeof(msg), "Incorrect type. "
			    "Expected pk value, received %s.",
			    json_type_name(v));
			fields_error_add(errors, r->name, msg);
			return (-1);
		}
		if (iv <= 0) {
			(void)snprintf(msg, sizeof(msg), "Invalid pk \"%"
			    PRId64 "\" - object does not exist.", (int64_t)iv);
			fields_error_add(errors, r->name, msg);
			return (-1);
		}
		if (asprintf(&fv->text, "%" PRId64, (int64_t)iv) == -1)
			fv->text = NULL;
		return (0);
	case FIELD_UINT64:
		rc = 0;
		if (digits != NULL) {
			rc = -2;
			iv = digits[0] == '-' ? -1 : 1;
		} else if (json_is_integer(v)) {
			iv = json_integer_value(v);
		} else if (json_is_real(v) && real_integral(v, &d)) {
			iv = (int64_t)d;
		} else if (!json_is_string(v) || bodyjson_has_nul(v) ||
		    (rc = integer_text(json_string_value(v), &iv)) == -1) {
			fields_error_add(errors, r->name, MSG_INTEGER);
			return (-1);
		}
		if (iv < 0) {
			fields_error_add(errors, r->name, MSG_MIN_ZERO);
			return (-1);
		}
		if (rc == -2) {
			fields_error_add(errors, r->name, MSG_MAX_INT64);
			return (-1);
		}
		if (asprintf(&fv->text, "%" PRId64, (int64_t)iv) == -1)
			fv->text = NULL;
		return (0);
	case FIELD_OBJECT:
		if (!json_is_object(v)) {
			fields_error_add(errors, r->name, MSG_OBJECT);
			return (-1);
		}
		fv->text = bodyjson_text(v);
		if (fv->text != NULL && r->max_len > 0 &&
		    strlen(fv->text) > r->max_len) {
			(void)snprintf(msg, sizeof(msg), "Ensure this value "
			    "is at most %zu bytes when serialized.",
			    r->max_len);
			fields_error_add(errors, r->name, msg);
			return (-1);
		}
		/* As DRF, and PostgreSQL's text cannot hold it either. */
		if (bodyjson_tree(v) & BODYJSON_NUL) {
			fields_error_add(errors, r->name, MSG_NUL);
			return (-1);
		}
		return (0);
	default:
		fields_error_add(errors, r->name, MSG_STRING);
		return (-1);
	}

	len = fields_utf8_len(fv->text);
	if (len == 0 && !(r->flags & FIELD_ALLOW_BLANK) &&
	    (r->type == FIELD_STRING || r->type == FIELD_MIME)) {
		fields_error_add(errors, r->name, MSG_BLANK);
		return (-1);
	}
	if (r->max_len > 0 && len > r->max_len) {
		(void)snprintf(msg, sizeof(msg), "Ensure this field has no "
		    "more than %zu characters.", r->max_len);
		fields_error_add(errors, r->name, msg);
		return (-1);
	}

	switch (r->type) {
	case FIELD_CHOICE:
		for (i = 0; r->choices[i] != NULL; i++) {
			if (!strcmp(r->choices[i], fv->text))
				return (0);
		}
		choice_error(errors, r->name, fv->text, strlen(fv->text));
		return (-1);
	case FIELD_DATE:
		if (!fields_date_valid(fv->text)) {
			fields_error_add(errors, r->name, MSG_DATE);
			return (-1);
		}
		break;
	case FIELD_MIME:
		if (!fields_mime_valid(fv->text)) {
			fields_error_add(errors, r->name, MSG_MIME);
			return (-1);
		}
		break;
	}

	return (0);
}

/* DRF's CharField takes strings and numbers (not booleans) and trims. */
static char *
string_value(json_t *v)
{
	char		buf[64];

	if (json_is_string(v))
		return (trim_dup(json_string_value(v)));
	if (json_is_integer(v)) {
		(void)snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return (strdup(buf));
	}
	if (json_is_real(v)) {
		real_text(json_real_value(v), buf, sizeof(buf));
		return (strdup(buf));
	}

	return (NULL);
}

static char *
trim_dup(const char *s)
{
	size_t		len;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;

	return (strndup(s, len));
}

static const char *
json_type_name(json_t *v)
{
	if (bodyjson_bigint(v) != NULL)
		return ("int");

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ("dict");
	case JSON_ARRAY:
		return ("list");
	case JSON_STRING:
		return ("str");
	case JSON_INTEGER:
		return ("int");
	case JSON_REAL:
		return ("float");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("bool");
	default:
		return ("NoneType");
	}
}

/* RFC 6838 restricted-name: 1-127 chars, alnum first. */
static int
mime_token(const char *s, size_t len)
{
	size_t		i;

	if (len == 0 || len > 127 || !isalnum((unsigned char)s[0]))
		return (0);

	for (i = 1; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$&-^_.+", s[i]) == NULL)
			return (0);
	}

	return (1);
}

/* DRF's IntegerField takes 3.0 as 3. */
static int
real_integral(json_t *v, double *out)
{
	double		d;

	d = json_real_value(v);
	if (d != floor(d) || fabs(d) >= 9.2e18)
		return (0);

	*out = d;
	return (1);
}

/*
 * DRF's IntegerField reads "42", " 42 ", "+42" and "42.000" too:
 * int(re.sub(r'\.0*\s*$', '', str(data))). -1: not an integer; -2: one
 * past 64 bits (*out says its sign), which DRF's range check refuses.
 */
static int
integer_text(const char *s, int64_t *out)
{
	char		*end;
	long long	v;
	int		range;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && !((*s == '+' || *s == '-') &&
	    isdigit((unsigned char)s[1])))
		return (-1);

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 && errno != ERANGE)
		return (-1);
	range = errno == ERANGE;
	if (*end == '.') {
		for (end++; *end == '0'; end++)
			;
	}
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return (-1);

	*out = v;
	return (range ? -2 : 0);
}

/* Python's str(float): the shortest text that reads back, "3" as "3.0". */
static void
real_text(double d, char *buf, size_t len)
{
	int		prec;

	for (prec = 1; prec <= 17; prec++) {
		(void)snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}

	if (strspn(buf, "-0123456789") == strlen(buf))
		(void)strncat(buf, ".0", len - strlen(buf) - 1);
}

/*
 * A string holding U+0000, which PostgreSQL cannot store. DRF's CharField
 * (and RegexField) says so after its length check, and never finds it
 * blank (U+0000 is no space); a ChoiceField echoes it; a DateField finds
 * a wrong format.
 */
static int
check_nul_string(const struct field_rule *r, json_t *v, json_t **errors)
{
	const char	*s, *e;
	char		msg[160];
	size_t		len, n;

	s = json_string_value(v);
	len = json_string_length(v);

	switch (r->type) {
	case FIELD_CHOICE:
		choice_error(errors, r->name, s, len);
		return (-1);
	case FIELD_DATE:
		fields_error_add(errors, r->name, MSG_DATE);
		return (-1);
	}

	e = s + len;
	if (!(r->flags & FIELD_NO_TRIM)) {
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
	}
	for (n = 0; s < e; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	if (r->max_len > 0 && n > r->max_len) {
		(void)snprintf(msg, sizeof(msg), "Ensure this field has no "
		    "more than %zu characters.", r->max_len);
		fields_error_add(errors, r->name, msg);
	}
	fields_error_add(errors, r->name, MSG_NUL);
	if (r->type == FIELD_MIME)
		fields_error_add(errors, r->name, MSG_MIME);

	return (-1);
}

/*
 * DRF's '"x" is not a valid choice.', the echo kept short (the input may
 * be long) and cut between characters, U+0000 and all.
 */
static void
choice_error(json_t **errors, const char *field, const char *s, size_t len)
{
	static const char	tail[] = "\" is not a valid choice.";
	char			msg[64 + sizeof(tail) + 1];

	if (len > 64) {
		len = 64;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	msg[0] = '"';
	memcpy(msg + 1, s, len);
	memcpy(msg + 1 + len, tail, sizeof(tail));

	error_addn(errors, field, msg, len + sizeof(tail));
}

static void
error_addn(json_t **errors, const char *field, const char *msg, size_t len)
{
	json_t		*list;

	if (*errors == NULL)
		*errors = json_object();

	if ((list = json_object_get(*errors, field)) == NULL) {
		list = json_array();
		json_object_set_new(*errors, field, list);
	}

	json_array_append_new(list, json_stringn(msg, len));
}
