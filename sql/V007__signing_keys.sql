-- The signing key ring (issue 16): every key that signs or signed tokens,
-- named by the kid its tokens carry. Per algorithm one key is current
-- (it signs), older ones keep verifying until they are retired.
--
-- secret is sealed with XChaCha20-Poly1305 under a key-encryption key
-- that lives in the environment only (JWT_KEY_ENCRYPTION_KEY, else
-- SECRET_KEY; src/core/keyset.c): an HS256 secret or a private key PEM.
-- A dump of this table reveals the public keys and nothing else.
--
-- Global, not a tenant's (after sql/V006__citus_ready.sql): every
-- instance of a cluster signs and verifies with the same ring, so on
-- Citus it is a reference table (docs/scaling.md).
CREATE TABLE signing_keys (
	kid			text PRIMARY KEY
				CHECK (kid ~ '^[A-Za-z0-9._-]{1,64}$'),
	algorithm		text NOT NULL
				CHECK (algorithm IN ('HS256', 'RS256', 'ES256')),
	state			text NOT NULL
				CHECK (state IN ('current', 'verifying', 'retired')),
	-- imported: the JWT_SIGNING_KEY or key files of a setup that had no
	-- ring yet; generated: made by mtapi-admin keys rotate or a first start
	origin			text NOT NULL
				CHECK (origin IN ('imported', 'generated')),
	secret			text NOT NULL CHECK (secret LIKE 'v1.%'),
	public_pem		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	retired_at		timestamptz,
	CHECK ((algorithm = 'HS256') = (public_pem IS NULL)),
	CHECK ((state = 'retired') = (retired_at IS NOT NULL))
);

CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (algorithm)
    WHERE state = 'current';
