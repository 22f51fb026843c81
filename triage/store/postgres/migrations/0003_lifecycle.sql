-- Encryption at rest and crypto-shredding. A sealed case keeps its body only
-- in `sealed` (AES-256-GCM under the tenant's data key, the case id as
-- additional data); `doc` then holds just the findings (types, counts,
-- locations, keyed fingerprints: no values), which the findings table is
-- built from. Tenants' data keys are stored wrapped by the master key.
ALTER TABLE cases ADD COLUMN sealed bytea;

-- When retention deletes the upload's raw payload (shown by the API and console).
ALTER TABLE upload_statuses ADD COLUMN delete_after timestamptz;

CREATE TABLE data_keys (
	tenant     text PRIMARY KEY,
	master_id  text NOT NULL,  -- which master key wrapped it
	wrapped    bytea NOT NULL, -- nonce || AES-256-GCM(master key, data key)
	created_at timestamptz NOT NULL
);
