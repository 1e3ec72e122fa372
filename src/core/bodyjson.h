/*
 * A request body's JSON text as DRF reads it, and what the field rules ask
 * of it (src/core/bodyjson.c). No Kore dependency.
 */

#ifndef MTAPI_BODYJSON_H
#define MTAPI_BODYJSON_H

#include <stddef.h>

#include <jansson.h>

/* bodyjson_tree(): what is anywhere inside a value. */
#define BODYJSON_BIGINT		0x01
#define BODYJSON_NUL		0x02

/*
 * A request body as DRF reads it (Python's json module): any JSON value,
 * duplicate keys refused, strings may hold U+0000 (the rules refuse it),
 * integers of any size (past 64 bits they are kept as their digits for
 * the rules to judge). NULL, with the error, when the text is not JSON.
 */
json_t	*bodyjson_load(const char *, size_t, json_error_t *);

/* The digits of an integer past 64 bits bodyjson_load() kept, or NULL. */
const char	*bodyjson_bigint(json_t *);

/* Does the string hold U+0000 (its C text ends early)? 1 yes, 0 no. */
int	bodyjson_has_nul(json_t *);

/* BODYJSON_BIGINT, BODYJSON_NUL: what is anywhere inside v. */
int	bodyjson_tree(json_t *);

/* An object as compact JSON text, its big integers as numbers; free(). */
char	*bodyjson_text(json_t *);

#endif
