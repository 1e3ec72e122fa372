/*
 * The value lists of the API (API.md, "Resources").
 */

#include <stddef.h>
#include <string.h>

#include "values.h"

const char *const values_project_statuses[] = {
	"active", "completed", "archived", NULL
};

const char *const values_task_statuses[] = {
	"todo", "in_progress", "done", NULL
};

const char *const values_task_priorities[] = {
	"low", "medium", "high", "critical", NULL
};

const char *const values_order_projects[] = {
	"name", "created_at", "updated_at", "status", NULL
};

const char *const values_order_tasks[] = {
	"title", "created_at", "updated_at", "due_date", "priority", "status",
	NULL
};

const char *const values_order_documents[] = {
	"name", "file_size", "created_at", "updated_at", NULL
};

int
values_contains(const char *const *list, const char *s)
{
	size_t		i;

	if (s == NULL)
		return (0);

	for (i = 0; list[i] != NULL; i++) {
		if (!strcmp(list[i], s))
			return (1);
	}

	return (0);
}

int
values_ordering_valid(const char *const *list, const char *s)
{
	if (s == NULL)
		return (0);
	if (*s == '-')
		s++;

	return (values_contains(list, s));
}
