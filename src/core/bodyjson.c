/*
 * A request body's JSON text read as DRF reads it (Python's json module):
 * jansson, with duplicate keys refused, U+0000 allowed in strings, and
 * integers past 64 bits kept as their digits; and the questions the field
 * rules (fields.c) ask of what was read. No Kore dependency.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodyjson.h"

#define LOAD_FLAGS	(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | \
			JSON_ALLOW_NUL)

/*
 * An integer past 64 bits, which jansson cannot hold, is kept as a string
 * of 0xff and its digits: no JSON text decodes to one (0xff is never
 * UTF-8), so a client cannot forge it.
 */
#define BIGINT_MARK	'\xff'

/* An integer token past 64 bits: which number of the text, and where. */
struct bigint {
	size_t		number;
	size_t		off;
	size_t		len;
};

struct bigints {
	const char	*text;
	struct bigint	*list;
	size_t		n;
	size_t		next;		/* the walk: next of list */
	size_t		numbers;	/* the walk: numbers seen */
	size_t		total;		/* numbers in the text */
};

static char	*bigint_scan(const char *, size_t, struct bigints *);
static int	bigint_token(const char *, size_t);
static json_t	*bigint_walk(json_t *, struct bigints *);
static int	bodyjson_dump(json_t *, FILE *);

/*
 * jansson refuses an integer past 64 bits ("too big integer"), Python's
 * json module keeps it, and DRF then says which field is out of range.
 * Only then, the text is read again with each such integer written as 0,
 * and the 0s are swapped for their digits in the order they were read.
 */
json_t *
bodyjson_load(const char *buf, size_t len, json_error_t *err)
{
	struct bigints	bi;
	json_t		*v, *r;
	char		*copy;

	if ((v = json_loadb(buf, len, LOAD_FLAGS, err)) != NULL)
		return (v);
	if (json_error_code(err) != json_error_numeric_overflow)
		return (NULL);

	memset(&bi, 0, sizeof(bi));
	if ((copy = bigint_scan(buf, len, &bi)) == NULL) {
		free(bi.list);
		return (NULL);
	}
	v = json_loadb(copy, len, LOAD_FLAGS, err);
	free(copy);

	if (v != NULL && bi.n > 0) {
		if ((r = bigint_walk(v, &bi)) != NULL) {
			json_decref(v);
			v = r;
		}
		/* Out of memory only: the scan finds what jansson reads. */
		if (bi.next != bi.n || bi.numbers != bi.total) {
			json_decref(v);
			v = NULL;
			(void)snprintf(err->text, sizeof(err->text),
			    "out of memory");
		}
	}
	free(bi.list);

	return (v);
}

/* The digits of a big integer bodyjson_load kept, or NULL. */
const char *
bodyjson_bigint(json_t *v)
{
	const char	*s;

	if (!json_is_string(v) || json_string_length(v) < 2)
		return (NULL);
	s = json_string_value(v);

	return (s[0] == BIGINT_MARK ? s + 1 : NULL);
}

/* Does the string hold U+0000 (its C text ends early)? */
int
bodyjson_has_nul(json_t *v)
{
	return (json_is_string(v) &&
	    strlen(json_string_value(v)) != json_string_length(v));
}

/* BODYJSON_BIGINT, BODYJSON_NUL: what is anywhere inside v. */
int
bodyjson_tree(json_t *v)
{
	const char	*key;
	json_t		*e;
	size_t		i;
	int		flags;

	if (bodyjson_bigint(v) != NULL)
		return (BODYJSON_BIGINT);
	if (bodyjson_has_nul(v))
		return (BODYJSON_NUL);

	flags = 0;
	if (json_is_object(v)) {
		json_object_foreach(v, key, e)
			flags |= bodyjson_tree(e);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			flags |= bodyjson_tree(e);
	}

	return (flags);
}

/* The object as compact JSON text, its big integers as numbers. */
char *
bodyjson_text(json_t *v)
{
	FILE		*fp;
	char		*text;
	size_t		len;
	int		rc;

	if (!(bodyjson_tree(v) & BODYJSON_BIGINT))
		return (json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));

	text = NULL;
	if ((fp = open_memstream(&text, &len)) == NULL)
		return (NULL);
	rc = bodyjson_dump(v, fp);
	if (fclose(fp) != 0 || rc == -1) {
		free(text);
		return (NULL);
	}

	return (text);
}

/*
 * The integer tokens of text past 64 bits, with their place among all the
 * number tokens, and a copy of text with each written as 0 (and spaces,
 * so that error positions stay). Outside strings nothing in JSON but a
 * number holds a digit or a minus, so a text jansson reads has its
 * numbers found here in the order jansson reads them; in one it does not
 * read, only well-formed integer tokens are rewritten, each one for one.
 */
static char *
bigint_scan(const char *buf, size_t len, struct bigints *bi)
{
	struct bigint	*nl;
	char		*copy;
	size_t		i, start, cap;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return (NULL);
	memcpy(copy, buf, len);

	bi->text = buf;
	cap = 0;
	for (i = 0; i < len;) {
		if (buf[i] == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				if (buf[i] == '\\')
					i++;
			}
			i++;
			continue;
		}
		if (buf[i] != '-' && !isdigit((unsigned char)buf[i])) {
			i++;
			continue;
		}

		start = i;
		while (i < len && buf[i] != '\0' &&
		    strchr("0123456789+-.eE", buf[i]) != NULL)
			i++;
		if (bigint_token(buf + start, i - start)) {
			if (bi->n == cap) {
				cap = cap == 0 ? 8 : cap * 2;
				nl = reallocarray(bi->list, cap, sizeof(*nl));
				if (nl == NULL) {
					free(copy);
					return (NULL);
				}
				bi->list = nl;
			}
			bi->list[bi->n].number = bi->total;
			bi->list[bi->n].off = start;
			bi->list[bi->n].len = i - start;
			bi->n++;
			copy[start] = '0';
			memset(copy + start + 1, ' ', i - start - 1);
		}
		bi->total++;
	}

	return (copy);
}

/* -?(0|[1-9][0-9]*), RFC 8259's integer, outside -2^63 .. 2^63-1? */
static int
bigint_token(const char *s, size_t len)
{
	const char	*max;
	size_t		i;

	max = "9223372036854775807";
	if (len > 0 && *s == '-') {
		max = "9223372036854775808";
		s++;
		len--;
	}
	if (len == 0 || *s == '0')
		return (0);
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (0);
	}

	return (len > 19 || (len == 19 && strncmp(s, max, 19) > 0));
}

/*
 * Walk v in document order (jansson keeps the order of keys) and swap
 * the n-th number for its big integer where the scan found one. Returns
 * what replaces v itself, or NULL.
 */
static json_t *
bigint_walk(json_t *v, struct bigints *bi)
{
	struct bigint	*b;
	json_t		*r;
	void		*it;
	size_t		i;
	char		*s;

	if (json_is_number(v)) {
		r = NULL;
		b = bi->next < bi->n ? &bi->list[bi->next] : NULL;
		if (b != NULL && b->number == bi->numbers) {
			if ((s = malloc(b->len + 1)) != NULL) {
				s[0] = BIGINT_MARK;
				memcpy(s + 1, bi->text + b->off, b->len);
				r = json_stringn_nocheck(s, b->len + 1);
				free(s);
			}
			/* Out of memory: the count tells bodyjson_load. */
			if (r != NULL)
				bi->next++;
		}
		bi->numbers++;
		return (r);
	}

	if (json_is_object(v)) {
		for (it = json_object_iter(v); it != NULL;
		    it = json_object_iter_next(v, it)) {
			r = bigint_walk(json_object_iter_value(it), bi);
			if (r != NULL)
				(void)json_object_iter_set_new(v, it, r);
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			r = bigint_walk(json_array_get(v, i), bi);
			if (r != NULL)
				(void)json_array_set_new(v, i, r);
		}
	}

	return (NULL);
}

/* json_dumpf(JSON_COMPACT) but for the big integers inside v. */
static int
bodyjson_dump(json_t *v, FILE *fp)
{
	const char	*key, *digits, *sep;
	json_t		*e, *k;
	size_t		i;
	int		rc;

	if ((digits = bodyjson_bigint(v)) != NULL)
		return (fputs(digits, fp) == EOF ? -1 : 0);

	sep = "";
	if (json_is_object(v)) {
		if (fputc('{', fp) == EOF)
			return (-1);
		json_object_foreach(v, key, e) {
			k = json_string(key);
			rc = fputs(sep, fp) == EOF || k == NULL ||
			    json_dumpf(k, fp, JSON_ENCODE_ANY) == -1 ||
			    fputc(':', fp) == EOF;
			json_decref(k);
			if (rc || bodyjson_dump(e, fp) == -1)
				return (-1);
			sep = ",";
		}
		return (fputc('}', fp) == EOF ? -1 : 0);
	}
	if (json_is_array(v)) {
		if (fputc('[', fp) == EOF)
			return (-1);
		json_array_foreach(v, i, e) {
			if (fputs(sep, fp) == EOF || bodyjson_dump(e, fp) == -1)
				return (-1);
			sep = ",";
		}
		return (fputc(']', fp) == EOF ? -1 : 0);
	}

	return (json_dumpf(v, fp, JSON_COMPACT | JSON_ENCODE_ANY));
}
