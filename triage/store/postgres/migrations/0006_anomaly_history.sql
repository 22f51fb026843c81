-- Anomaly history: what each upload added to its tenant's history (template
-- counts, fingerprints of auth actors and source addresses; never a raw
-- value), and which upload first recorded each template ID, so a template
-- can be called "never seen by anyone" without revealing whose it was.

CREATE TABLE anomaly_history (
	tenant      text NOT NULL,
	upload_id   text NOT NULL,
	recorded_at timestamptz NOT NULL, -- the summary's time
	summary     jsonb NOT NULL,       -- an anomaly.Summary
	PRIMARY KEY (tenant, upload_id)
);
CREATE INDEX anomaly_history_tenant_time ON anomaly_history (tenant, recorded_at DESC);

CREATE TABLE anomaly_templates_seen (
	template_id text PRIMARY KEY,
	tenant      text NOT NULL,
	upload_id   text NOT NULL
);
