/*
 * The value lists of the API, declared once: the choices of the enum
 * fields and each list's ordering fields. The route validators (src/input.c),
 * the body rules (src/handlers/) and the checks of the lists' text
 * (tests/unit/unit_values.c: the SQL enum types, the SQL ordering
 * whitelists, the OpenAPI schema) all follow from these. No Kore
 * dependency.
 */

#ifndef MTAPI_VALUES_H
#define MTAPI_VALUES_H

/* NULL-terminated, in the order of the SQL enum types (sql/V001). */
extern const char *const	values_project_statuses[];
extern const char *const	values_task_statuses[];
extern const char *const	values_task_priorities[];

/* The fields a list may be ordered by ("-" prefix: descending). */
extern const char *const	values_order_projects[];
extern const char *const	values_order_tasks[];
extern const char *const	values_order_documents[];

/* Is s one of list? */
int	values_contains(const char *const *, const char *);

/* Is s an ordering of list: a field, optionally prefixed by "-"? */
int	values_ordering_valid(const char *const *, const char *);

#endif
