/*
 * Lists: DRF's page-number pagination. The API function answers the
 * total and the page's results; the envelope with absolute next and
 * previous links is put together here, where the request's scheme, host
 * and query are known.
 */

#include <inttypes.h>
#include <string.h>

#include "mtapi.h"
#include "core/paging.h"

static char	*list_link(struct http_request *, int64_t);

/* page, page_size and ordering; the route's params block checked them. */
int
listing_begin(struct http_request *req, struct api_req *ar,
    const char *default_ordering)
{
	const char	*page;

	ar->list.page = 1;
	if ((page = input_arg(req, "page")) != NULL &&
	    fields_parse_id(page, &ar->list.page) == -1)
		ar->list.page = INT64_MAX;

	ar->list.size = paging_size(input_arg(req, "page_size"));
	ar->list.offset = paging_offset(ar->list.page, ar->list.size);
	if (ar->list.offset == -1) {
		resp_error(req, 404, "not_found", "Invalid page.");
		return (-1);
	}

	if ((ar->list.ordering = input_arg(req, "ordering")) == NULL)
		ar->list.ordering = default_ordering;

	return (0);
}

/* The last three parameters of every list function. */
void
listing_bind(struct api_req *ar)
{
	db_bind(ar, ar->list.ordering);
	db_bind_int(ar, ar->list.size);
	db_bind_int(ar, ar->list.offset);
}

int
listing_step(struct http_request *req, struct api_req *ar)
{
	struct kore_buf	*buf;
	char		*next, *prev;
	int64_t		total;
	int		err;

	if (ar->nrows != 1 || ar->ncols < 3 || ar->cols[0] == NULL ||
	    strcmp(ar->cols[0], "200") || ar->cols[1] == NULL ||
	    ar->cols[2] == NULL)
		return (resp_passthrough(req, ar));

	total = kore_strtonum64(ar->cols[1], 1, &err);
	if (err != KORE_RESULT_OK)
		return (resp_passthrough(req, ar));

	/* DRF: an empty first page is fine, any later one does not exist. */
	if (ar->list.page > 1 && ar->list.offset >= total) {
		resp_error(req, 404, "not_found", "Invalid page.");
		return (STEP_RESPONDED);
	}

	next = NULL;
	prev = NULL;
	if (ar->list.offset + ar->list.size < total)
		next = list_link(req, ar->list.page + 1);
	if (ar->list.page > 1)
		prev = list_link(req, ar->list.page - 1);

	buf = kore_buf_alloc(strlen(ar->cols[2]) + 512);
	kore_buf_appendf(buf, "{\"count\":%" PRId64 ",\"next\":%s,"
	    "\"previous\":%s,\"results\":", total,
	    next != NULL ? next : "null", prev != NULL ? prev : "null");
	kore_buf_append(buf, ar->cols[2], strlen(ar->cols[2]));
	kore_buf_append(buf, "}", 1);

	resp_send(req, 200, buf->data, buf->offset);

	kore_buf_free(buf);
	free(next);
	free(prev);

	return (STEP_RESPONDED);
}

/* The absolute URL of another page, as a JSON string. */
static char *
list_link(struct http_request *req, int64_t page)
{
	json_t		*s;
	char		*base, *url, *out;
	int		tls;

	tls = req->owner->owner != NULL && req->owner->owner->server->tls;
	if (asprintf(&base, "%s://%s%s", tls ? "https" : "http", req->host,
	    req->path) == -1)
		return (NULL);

	url = paging_link(base, req->query_string, page);
	free(base);
	if (url == NULL)
		return (NULL);

	s = json_string(url);
	free(url);
	out = json_dumps(s, JSON_ENCODE_ANY);
	json_decref(s);

	return (out);
}
