-- The portal: accounts, API token digests (never the tokens) and the case
-- workflow (taken, resolved, alert acknowledged). Rows keep the Go structs as
-- jsonb beside the columns lookups and filters need.
CREATE TABLE accounts (
	name text PRIMARY KEY,
	doc  jsonb NOT NULL
);

CREATE TABLE api_tokens (
	id      text PRIMARY KEY,
	account text NOT NULL,
	doc     jsonb NOT NULL
);
CREATE INDEX api_tokens_account ON api_tokens (account);

CREATE TABLE case_work (
	tenant      text NOT NULL,
	case_id     text NOT NULL,
	queue       text NOT NULL DEFAULT '',
	taken_by    text NOT NULL DEFAULT '',
	resolved_by text NOT NULL DEFAULT '',
	doc         jsonb NOT NULL,
	PRIMARY KEY (tenant, case_id)
);
CREATE INDEX case_work_queue ON case_work (queue);
