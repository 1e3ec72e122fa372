/*
 * Page-number pagination as in DRF's PageNumberPagination: page size
 * clamping and the absolute next/previous links. No Kore dependency.
 */

#ifndef MTAPI_PAGING_H
#define MTAPI_PAGING_H

#include <stdint.h>

#define PAGING_DEFAULT_SIZE	20
#define PAGING_MAX_SIZE		100

/* page_size from its query text (NULL: default); bad values: default. */
int64_t	paging_size(const char *);

/* Rows to skip for page, or -1 when that would overflow. */
int64_t	paging_offset(int64_t, int64_t);

/*
 * The link to page of base (scheme://host + path) with query: the other
 * parameters kept as given, sorted by name as DRF does, page replaced (or
 * dropped for page 1). Caller frees.
 */
char	*paging_link(const char *, const char *, int64_t);

#endif
