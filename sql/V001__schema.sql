-- The schema: tenants and who may act for them, authentication state, and
-- the tenant-owned resources.
--
-- Isolation in depth: every tenant-owned table has tenant_id in its
-- primary key, and every reference between them is a composite foreign key
-- (tenant_id, x_id), so a row of one tenant can never point at a row of
-- another, whatever the code above does.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE tenants (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	slug			text NOT NULL UNIQUE
				CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	name			text NOT NULL
				CHECK (char_length(name) BETWEEN 1 AND 255),
	is_active		boolean NOT NULL DEFAULT true,
	requests_per_minute	integer NOT NULL DEFAULT 600
				CHECK (requests_per_minute > 0),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username		text NOT NULL UNIQUE
				CHECK (char_length(username) BETWEEN 1 AND 150),
	password_hash		text NOT NULL,
	is_active		boolean NOT NULL DEFAULT true,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	user_id			bigint NOT NULL REFERENCES users (id)
				ON DELETE CASCADE,
	role			text NOT NULL DEFAULT 'member'
				CHECK (role IN ('owner', 'admin', 'member',
				    'viewer')),
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, user_id)
);

CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_clients (
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	client_id		text NOT NULL UNIQUE,
	secret_hash		text NOT NULL,	-- SHA-256 hex; never the secret
	name			text NOT NULL
				CHECK (char_length(name) BETWEEN 1 AND 255),
	roles			text[] NOT NULL DEFAULT '{}',
	scopes			text[] NOT NULL DEFAULT '{}',
	is_active		boolean NOT NULL DEFAULT true,
	expires_at		timestamptz,
	last_used_at		timestamptz,
	revoked_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, name)
);

CREATE TABLE api_client_usage (
	tenant_id		uuid NOT NULL,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	api_client_id		bigint NOT NULL,
	method			text NOT NULL,
	path			text NOT NULL,
	status			smallint NOT NULL,
	latency_ms		integer NOT NULL,
	client_ip		text,
	created_at		timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, api_client_id)
	    REFERENCES api_clients (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX api_client_usage_client_idx
    ON api_client_usage (tenant_id, api_client_id, created_at);

-- A login (user or API client): every refresh token descends from one,
-- and revoking it ends them all, access tokens included (their sid claim).
CREATE TABLE auth_sessions (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	user_id			bigint REFERENCES users (id) ON DELETE CASCADE,
	api_client_id		bigint,
	created_at		timestamptz NOT NULL DEFAULT now(),
	revoked_at		timestamptz,
	revoked_reason		text,
	CHECK ((user_id IS NULL) <> (api_client_id IS NULL)),
	FOREIGN KEY (tenant_id, api_client_id)
	    REFERENCES api_clients (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);
CREATE INDEX auth_sessions_client_idx
    ON auth_sessions (tenant_id, api_client_id);

CREATE TABLE refresh_tokens (
	jti			uuid PRIMARY KEY,
	session_id		uuid NOT NULL REFERENCES auth_sessions (id)
				ON DELETE CASCADE,
	parent_jti		uuid,
	expires_at		timestamptz NOT NULL,
	used_at			timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Counters that may be lost on a crash: unlogged, no WAL, no fsync.
CREATE UNLOGGED TABLE rate_counters (
	tenant_id		uuid NOT NULL,
	window_start		bigint NOT NULL,	-- minutes since epoch
	count			bigint NOT NULL,
	PRIMARY KEY (tenant_id, window_start)
);

CREATE INDEX rate_counters_window_idx ON rate_counters (window_start);

CREATE UNLOGGED TABLE auth_failures (
	key			text NOT NULL,	-- "ip:..." or "id:...|ip"
	window_start		bigint NOT NULL,
	count			integer NOT NULL,
	PRIMARY KEY (key, window_start)
);

CREATE INDEX auth_failures_window_idx ON auth_failures (window_start);

-- Resources. Enum order is the order "ordering=status" sorts by.
CREATE TYPE project_status AS ENUM ('active', 'completed', 'archived');
CREATE TYPE task_status AS ENUM ('todo', 'in_progress', 'done');
CREATE TYPE task_priority AS ENUM ('low', 'medium', 'high', 'critical');

CREATE TABLE projects (
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	name			text NOT NULL
				CHECK (char_length(name) BETWEEN 1 AND 255),
	description		text NOT NULL DEFAULT ''
				CHECK (char_length(description) <= 10000),
	status			project_status NOT NULL DEFAULT 'active',
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, name)
);

CREATE INDEX projects_created_idx ON projects (tenant_id, created_at, id);
CREATE INDEX projects_updated_idx ON projects (tenant_id, updated_at);
CREATE INDEX projects_status_idx ON projects (tenant_id, status, created_at);
CREATE INDEX projects_search_idx ON projects
    USING gin (name gin_trgm_ops, description gin_trgm_ops);

CREATE TABLE tasks (
	tenant_id		uuid NOT NULL,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	project_id		bigint NOT NULL,
	title			text NOT NULL
				CHECK (char_length(title) BETWEEN 1 AND 255),
	description		text NOT NULL DEFAULT '',
	status			task_status NOT NULL DEFAULT 'todo',
	priority		task_priority NOT NULL DEFAULT 'medium',
	due_date		date,
	completed_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, project_id)
	    REFERENCES projects (tenant_id, id) ON DELETE CASCADE,
	CHECK ((status = 'done') = (completed_at IS NOT NULL))
);

CREATE INDEX tasks_project_idx ON tasks (tenant_id, project_id, created_at);
CREATE INDEX tasks_created_idx ON tasks (tenant_id, created_at, id);
CREATE INDEX tasks_status_idx ON tasks (tenant_id, status, created_at);
CREATE INDEX tasks_priority_idx ON tasks (tenant_id, priority);
CREATE INDEX tasks_due_idx ON tasks (tenant_id, due_date)
    WHERE status <> 'done';
-- Task search scans the tenant's rows through these indexes: a trigram
-- index would tax every task write for lists that are small per tenant.

CREATE TABLE documents (
	tenant_id		uuid NOT NULL REFERENCES tenants (id)
				ON DELETE CASCADE,
	id			bigint GENERATED ALWAYS AS IDENTITY,
	project_id		bigint,
	name			text NOT NULL
				CHECK (char_length(name) BETWEEN 1 AND 255),
	file_path		text NOT NULL
				CHECK (char_length(file_path) BETWEEN 1 AND 500),
	file_size		bigint NOT NULL CHECK (file_size >= 0),
	content_type		text NOT NULL
				CHECK (char_length(content_type) BETWEEN 3 AND 100),
	metadata		json NOT NULL DEFAULT '{}',
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	-- API.md: deleting a project deletes its documents too.
	FOREIGN KEY (tenant_id, project_id)
	    REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX documents_project_idx
    ON documents (tenant_id, project_id, created_at);
CREATE INDEX documents_created_idx ON documents (tenant_id, created_at, id);
CREATE INDEX documents_type_idx ON documents (tenant_id, content_type);
CREATE INDEX documents_search_idx ON documents USING gin (name gin_trgm_ops);
