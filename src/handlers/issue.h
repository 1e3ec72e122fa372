/*
 * Issuing tokens (src/handlers/issue.c), shared by the login and token
 * pages: what a login or a refresh learnt of the principal, and the
 * answer with its new tokens.
 */

#ifndef MTAPI_ISSUE_H
#define MTAPI_ISSUE_H

#define ISSUE_USER	1
#define ISSUE_CLIENT	2

/*
 * A tenant's name in bytes: 255 characters (the schema's limit) of UTF-8,
 * 4 bytes each at most, and the NUL.
 */
#define ISSUE_NAME_LEN	(255 * 4 + 1)

struct issue {
	int			kind;		/* ISSUE_USER, ISSUE_CLIENT */
	size_t			size;		/* of the whole state */
	char			refresh_exp[32];	/* epoch seconds */
	/* The refresh token's iat (0: now) and exp, as stored. */
	time_t			refresh_iat;
	time_t			refresh_until;
	struct token_claims	claims;		/* of the tokens to mint */
	char			tenant_name[ISSUE_NAME_LEN];
};

/*
 * A token request's state of size bytes, starting with a struct issue,
 * kept (and wiped when freed) as the request's handler state.
 */
void	*issue_new(struct api_req *, int, size_t);

/* Mint and answer the tokens of the claims; login adds the tenant. */
int	issue_send(struct http_request *, struct api_req *, int);

/* An API client's roles and scopes, JSON arrays from the database. */
void	issue_lists(struct token_claims *, const char *, const char *);

#endif
