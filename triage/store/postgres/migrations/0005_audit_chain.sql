-- The access audit trail (package audit): per-tenant hash chains and their
-- signed checkpoints. Kept apart from the cases: audit events have their own
-- retention and outlive the cases they describe, so nothing here references
-- cases, and deleting a case or a tenant's data leaves its trail.

-- One row per chain: its head, moved by every append in the same statement
-- that inserts the event (compare-and-set on seq and hash), so two workers
-- appending to one tenant's chain can never fork it. After a retention purge
-- it keeps the last purged event's position (the anchor).
CREATE TABLE audit_heads (
	tenant text PRIMARY KEY,
	seq    bigint NOT NULL,
	hash   text NOT NULL
);

CREATE TABLE audit_events (
	tenant    text NOT NULL,
	seq       bigint NOT NULL,
	id        text NOT NULL,
	at        timestamptz NOT NULL,
	actor     text NOT NULL,
	action    text NOT NULL,
	resource  text NOT NULL,
	prev_hash text NOT NULL,
	hash      text NOT NULL,
	doc       jsonb NOT NULL, -- the whole audit.Event, chain fields included
	PRIMARY KEY (tenant, seq)
);
-- The audit API lists newest first, one tenant or (security, admin) all.
CREATE INDEX audit_events_tenant_at ON audit_events (tenant, at DESC, seq DESC);
CREATE INDEX audit_events_at ON audit_events (at DESC, tenant DESC, seq DESC);

CREATE TABLE audit_checkpoints (
	id     bigserial PRIMARY KEY,
	tenant text NOT NULL,
	seq    bigint NOT NULL,
	doc    jsonb NOT NULL -- the signed audit.Checkpoint
);
CREATE INDEX audit_checkpoints_tenant ON audit_checkpoints (tenant, id);
