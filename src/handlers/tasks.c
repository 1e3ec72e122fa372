/*
 * Tasks: /api/v1/tasks/, /{id}/, /{id}/complete/, /by-status/, and the
 * task list of one project, /api/v1/projects/{id}/tasks/.
 * The SQL is in sql/R__040_tasks.sql; the routes and their query
 * parameters in conf/routes.conf.
 */

#include "../mtapi.h"

#define SQL_LIST	"SELECT * FROM api.task_list($1, $2, $3, $4, $5, $6, " \
			"$7, $8, $9, $10, $11, $12, $13)"
#define SQL_GET		"SELECT * FROM api.task_get($1, $2, $3, $4, $5, $6)"
#define SQL_CREATE	"SELECT * FROM api.task_create($1, $2, $3, $4, $5, " \
			"$6, $7, $8, $9, $10, $11)"
/* Several creates at once (src/batch.c): SQL_CREATE's parameters each. */
#define SQL_CREATE_BATCH	"SELECT * FROM api.task_create_batch($1)"
#define SQL_UPDATE	"SELECT * FROM api.task_update($1, $2, $3, $4, $5, " \
			"$6, $7, $8, $9, $10, $11, $12, $13)"
#define SQL_DELETE	"SELECT * FROM api.task_delete($1, $2, $3, $4, $5, " \
			"$6)"
#define SQL_COMPLETE	"SELECT * FROM api.task_complete($1, $2, $3, $4, $5, " \
			"$6)"

#define PATH_PREFIX		"/api/v1/tasks/"
#define PROJECT_PATH_PREFIX	"/api/v1/projects/"

int	tasks_collection(struct http_request *);
int	tasks_item(struct http_request *);
int	tasks_by_status(struct http_request *);
int	tasks_complete(struct http_request *);
int	projects_tasks(struct http_request *);

static int	task_list(struct http_request *, struct api_req *);
static int	task_list_by_status(struct http_request *, struct api_req *);
static int	task_list_of_project(struct http_request *, struct api_req *);
static int	task_list_query(struct http_request *, struct api_req *,
		    const char *, int);
static int	task_complete(struct http_request *, struct api_req *);

/* The order is the SQL's p_mask bit order. */
static const struct field_rule rules[] = {
	{ "project", FIELD_PK, FIELD_REQUIRED, 0, NULL },
	{ "title", FIELD_STRING, FIELD_REQUIRED, 255, NULL },
	{ "description", FIELD_STRING, FIELD_ALLOW_BLANK, 0, NULL },
	{ "status", FIELD_CHOICE, 0, 0, values_task_statuses },
	{ "priority", FIELD_CHOICE, 0, 0, values_task_priorities },
	{ "due_date", FIELD_DATE, FIELD_NULLABLE, 0, NULL },
};

static const struct api_resource task = {
	PATH_PREFIX, rules, sizeof(rules) / sizeof(rules[0]),
	SQL_GET, SQL_CREATE, SQL_UPDATE, SQL_DELETE, SQL_CREATE_BATCH
};

static const struct api_method collection_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, task_list, listing_step, NULL },
	{ HTTP_METHOD_POST, PERM_WRITE, API_F_BODY, resource_create,
	    resp_passthrough, NULL },
};

static const struct api_method item_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, resource_get, resp_passthrough,
	    NULL },
	{ HTTP_METHOD_PUT, PERM_WRITE, API_F_BODY, resource_put,
	    resp_passthrough, NULL },
	{ HTTP_METHOD_PATCH, PERM_WRITE, API_F_BODY, resource_patch,
	    resp_passthrough, NULL },
	{ HTTP_METHOD_DELETE, PERM_WRITE, 0, resource_delete,
	    resp_passthrough, NULL },
};

static const struct api_method by_status_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, task_list_by_status, listing_step,
	    NULL },
};

static const struct api_method complete_methods[] = {
	{ HTTP_METHOD_POST, PERM_WRITE, 0, task_complete, resp_passthrough,
	    NULL },
};

static const struct api_method project_tasks_methods[] = {
	{ HTTP_METHOD_GET, PERM_READ, 0, task_list_of_project, listing_step,
	    NULL },
};

#define PERM	{ "tasks", PRINCIPAL_ANY }

static const struct api_route collection_route = {
	PERM, collection_methods, 2, &task
};
static const struct api_route item_route = {
	PERM, item_methods, 4, &task
};
static const struct api_route by_status_route = {
	PERM, by_status_methods, 1, NULL
};
static const struct api_route complete_route = {
	PERM, complete_methods, 1, NULL
};
static const struct api_route project_tasks_route = {
	PERM, project_tasks_methods, 1, NULL
};

int
tasks_collection(struct http_request *req)
{
	return (dispatch_route(req, &collection_route));
}

int
tasks_item(struct http_request *req)
{
	return (dispatch_route(req, &item_route));
}

int
tasks_by_status(struct http_request *req)
{
	return (dispatch_route(req, &by_status_route));
}

int
tasks_complete(struct http_request *req)
{
	return (dispatch_route(req, &complete_route));
}

int
projects_tasks(struct http_request *req)
{
	return (dispatch_route(req, &project_tasks_route));
}

static int
task_list(struct http_request *req, struct api_req *ar)
{
	const char	*project;

	if (input_qs_check(req, ar) == -1 ||
	    input_arg_id(req, "project", &project) == -1)
		return (STEP_RESPONDED);

	return (task_list_query(req, ar, project, 0));
}

/* The task list with ?status= required. */
static int
task_list_by_status(struct http_request *req, struct api_req *ar)
{
	json_t		*errors;
	const char	*project;

	if (input_qs_check(req, ar) == -1 ||
	    input_arg_id(req, "project", &project) == -1)
		return (STEP_RESPONDED);

	if (input_arg(req, "status") == NULL) {
		errors = NULL;
		fields_error_add(&errors, "status", "This field is required.");
		resp_error_fields(req, errors);
		return (STEP_RESPONDED);
	}

	return (task_list_query(req, ar, project, 0));
}

static int
task_list_of_project(struct http_request *req, struct api_req *ar)
{
	char		id[32];

	if (input_path_id(req, ar, PROJECT_PATH_PREFIX) == -1 ||
	    input_qs_check(req, ar) == -1)
		return (STEP_RESPONDED);

	(void)snprintf(id, sizeof(id), "%lld", (long long)ar->id);
	return (task_list_query(req, ar, id, 1));
}

static int
task_list_query(struct http_request *req, struct api_req *ar,
    const char *project, int in_project)
{
	if (listing_begin(req, ar, "-created_at") == -1)
		return (STEP_RESPONDED);

	db_statement(ar, SQL_LIST);
	db_bind_principal(ar);
	if (project != NULL)
		db_bind_owned(ar, kore_strdup(project));
	else
		db_bind(ar, NULL);
	db_bind(ar, input_arg(req, "status"));
	db_bind(ar, input_arg(req, "priority"));
	db_bind(ar, input_arg(req, "search"));
	listing_bind(ar);
	db_bind(ar, in_project ? "true" : "false");

	return (STEP_QUERY);
}

static int
task_complete(struct http_request *req, struct api_req *ar)
{
	return (resource_by_id(req, ar, PATH_PREFIX, SQL_COMPLETE));
}
