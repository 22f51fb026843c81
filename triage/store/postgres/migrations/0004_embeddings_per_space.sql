-- A case may hold one vector per embedder space, so that a re-embedding into a
-- new space (logtriage reembed) fills the new space while the old one keeps
-- serving queries until the workers switch. PutCase still leaves a case with
-- exactly the embedding it was given (it deletes the case's other spaces' rows).
ALTER TABLE embeddings DROP CONSTRAINT embeddings_pkey;
ALTER TABLE embeddings ADD PRIMARY KEY (case_id, space_id);
