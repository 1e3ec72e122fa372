/*
 * Unit tests for src/request.c: which X-Request-ID a client may set (it
 * is echoed in every response and written to the logs).
 */

#include <criterion/criterion.h>

#include "../../src/request.c"

Test(request, request_id_acceptance)
{
	char	longest[API_RID_MAX + 2];

	cr_expect(rid_acceptable("abc"));
	cr_expect(rid_acceptable("0f8fad5b-d9cb-469f-a165-70867728950e"));
	cr_expect(rid_acceptable("trace:1.2_3-4"));
	cr_expect(!rid_acceptable(""));
	cr_expect(!rid_acceptable("has space"));
	cr_expect(!rid_acceptable("line\nbreak"));
	cr_expect(!rid_acceptable("quote\""));
	cr_expect(!rid_acceptable("semi;colon"));
	cr_expect(!rid_acceptable("caf\xc3\xa9"));

	memset(longest, 'a', API_RID_MAX);
	longest[API_RID_MAX] = '\0';
	cr_expect(rid_acceptable(longest), "%d bytes", API_RID_MAX);
	longest[API_RID_MAX] = 'a';
	longest[API_RID_MAX + 1] = '\0';
	cr_expect(!rid_acceptable(longest), "%d bytes", API_RID_MAX + 1);
}
