package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/logtriage/logtriage/triage"
)

// Operations at scale: re-embedding every case into a new embedder space
// while the old one keeps serving, rebuilding a space's index without
// downtime, dropping a space after the switch, and reading the index's health.

// ReembedOptions tune Reembed.
type ReembedOptions struct {
	// Batch is how many signatures go to the embedder per call and per COPY (500 when 0).
	Batch int
	// Progress, when set, is called after each batch with the cases done so far.
	Progress func(done int)
}

// Reembed embeds every case that has a signature but no vector in emb's space
// yet, in batches written with COPY, then builds the space's HNSW index
// concurrently (once, after the load: a bulk build is several times faster
// than inserting into a live graph). The old space is untouched and keeps
// answering queries. It is resumable: a second run embeds only what is
// missing (cases written by workers still on the old embedder, say). It
// returns how many cases it embedded.
func (s *Store) Reembed(ctx context.Context, emb triage.Embedder, o ReembedOptions) (int, error) {
	if o.Batch <= 0 {
		o.Batch = 500
	}
	sp, ok, err := s.lookupSpace(ctx, emb.ID())
	if err != nil {
		return 0, err
	}
	if !ok {
		// The space without its index: built after the load.
		if sp, err = s.createSpaceNoIndex(ctx, emb.ID(), emb.Dimensions()); err != nil {
			return 0, err
		}
	}
	if sp.dims != emb.Dimensions() {
		return 0, triage.Invalidf("store", "space %s has %d dimensions, the embedder %d", emb.ID(), sp.dims, emb.Dimensions())
	}
	done, after := 0, ""
	for {
		rows, err := s.pool.Query(ctx, fmt.Sprintf(`
			SELECT c.id, c.tenant, coalesce(c.doc ->> 'signature', ''), c.sealed FROM %[1]s.cases c
			WHERE c.id > $1 AND (coalesce(c.doc ->> 'signature', '') <> '' OR c.sealed IS NOT NULL)
				AND NOT EXISTS (SELECT 1 FROM %[1]s.embeddings_all e WHERE e.case_id = c.id AND e.space_id = $2)
			ORDER BY c.id LIMIT $3`, s.schema), after, sp.id, o.Batch)
		if err != nil {
			return done, classify("store", err)
		}
		type pending struct {
			id, tenant, text string
			sealed           []byte
		}
		rowsRead, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
			var p pending
			return p, r.Scan(&p.id, &p.tenant, &p.text, &p.sealed)
		})
		if err != nil {
			return done, classify("store", err)
		}
		if len(rowsRead) == 0 {
			break
		}
		after = rowsRead[len(rowsRead)-1].id
		// A sealed case keeps its signature under the tenant's key; a case
		// whose key is destroyed (a deleted tenant) has nothing to embed.
		batch := rowsRead[:0]
		for _, p := range rowsRead {
			if p.sealed != nil {
				c, err := s.open(ctx, p.tenant, p.id, p.sealed)
				if errors.Is(err, triage.ErrNotFound) {
					continue
				}
				if err != nil {
					return done, err
				}
				p.text = c.Signature
			}
			if p.text != "" {
				batch = append(batch, p)
			}
		}
		if len(batch) == 0 {
			continue
		}
		texts := make([]string, len(batch))
		for i, p := range batch {
			texts[i] = p.text
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return done, err
		}
		if len(vecs) != len(batch) {
			return done, triage.Internal("store", fmt.Errorf("embedder returned %d vectors for %d texts", len(vecs), len(batch)))
		}
		now := s.opts.Now().UTC()
		copyRows := make([][]any, len(batch))
		for i, p := range batch {
			copyRows[i] = []any{p.id, p.tenant, sp.id, sp.dims, pgvector.NewVector(vecs[i]), now}
		}
		if err := s.copyEmbeddings(ctx, copyRows); err != nil {
			return done, classify("store", err)
		}
		done += len(batch)
		if o.Progress != nil {
			o.Progress(done)
		}
	}
	if err := s.ensureIndex(ctx, sp); err != nil {
		return done, err
	}
	return done, nil
}

// copyEmbeddings COPYs rows into a temporary table and moves them in with ON
// CONFLICT DO NOTHING: a case a worker wrote meanwhile keeps its vector.
// (PGlite's socket server loses protocol sync on COPY: a plain INSERT there.)
func (s *Store) copyEmbeddings(ctx context.Context, rows [][]any) error {
	cols := []string{"case_id", "tenant", "space_id", "dims", "embedding", "created_at"}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if s.pglite {
			for _, r := range rows {
				if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.embeddings (case_id, tenant, space_id, dims, embedding, created_at)
					VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, s.schema), r...); err != nil {
					return err
				}
			}
			return nil
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE reembed_batch (LIKE %s.embeddings) ON COMMIT DROP`, s.schema)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"reembed_batch"}, cols, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.embeddings SELECT * FROM reembed_batch ON CONFLICT DO NOTHING`, s.schema))
		return err
	})
}

// createSpaceNoIndex registers a space whose index is built later (ensureIndex).
func (s *Store) createSpaceNoIndex(ctx context.Context, embedderID string, dims int) (space, error) {
	if dims > maxIndexedDims {
		return space{}, triage.Invalidf("store", "embedding of %d dimensions: the HNSW index takes at most %d", dims, maxIndexedDims)
	}
	var sp space
	if _, err := s.pool.Exec(ctx, s.q.insertSpace, embedderID, dims); err != nil {
		return space{}, classify("store", err)
	}
	if err := s.pool.QueryRow(ctx, s.q.getSpace, embedderID).Scan(&sp.id, &sp.dims); err != nil {
		return space{}, classify("store", err)
	}
	// Not remembered: the cache would hold halfvec=false before the index exists.
	return sp, nil
}

// ensureIndex builds the space's index concurrently if it is missing (writes
// go on meanwhile), then refreshes what the store knows of it.
func (s *Store) ensureIndex(ctx context.Context, sp space) error {
	if err := s.buildChosenIndex(ctx, sp, ""); err != nil {
		return err
	}
	return s.refreshSpace(ctx, sp)
}

// buildChosenIndex builds, concurrently, the index Options.IndexKind asks
// for over the space's vectors now, under name ("" for the space's own).
func (s *Store) buildChosenIndex(ctx context.Context, sp space, name string) error {
	definition, err := s.chosenIndexDefinition(ctx, sp, name)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, s.concurrently(definition)); err != nil {
		return classify("store", err)
	}
	return nil
}

// chosenIndexDefinition is the index Options.IndexKind asks for over the
// space's vectors now: HNSW, or IVFFlat with IVFLists lists (by default
// pgvector's advice for the space's size).
func (s *Store) chosenIndexDefinition(ctx context.Context, sp space, name string) (string, error) {
	if s.opts.IndexKind != IndexIVFFlat {
		return s.createIndexSQL(sp, name), nil
	}
	lists := s.opts.IVFLists
	if lists <= 0 {
		var rows int64
		if err := s.pool.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s.embeddings_all WHERE space_id = $1", s.schema), sp.id).Scan(&rows); err != nil {
			return "", classify("store", err)
		}
		lists = ivfListsFor(rows)
	}
	return s.indexDefinition(sp, name, "", lists), nil
}

// concurrently turns an index definition into a concurrent build.
func (s *Store) concurrently(sql string) string {
	if s.pglite {
		return sql // one backend: nothing to be concurrent with
	}
	return "CREATE INDEX CONCURRENTLY IF NOT EXISTS" + sql[len("CREATE INDEX IF NOT EXISTS"):]
}

func (s *Store) dropIndexSQL(name string) string {
	if s.pglite {
		return fmt.Sprintf("DROP INDEX IF EXISTS %s.%s", s.schema, name)
	}
	return fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s.%s", s.schema, name)
}

// swapIndex drops old (concurrently) and gives next its name: queries use
// one or the other throughout.
func (s *Store) swapIndex(ctx context.Context, next, old string) error {
	if _, err := s.pool.Exec(ctx, s.dropIndexSQL(old)); err != nil {
		return classify("store", err)
	}
	if _, err := s.pool.Exec(ctx, fmt.Sprintf("ALTER INDEX %s.%s RENAME TO %s", s.schema, next, old)); err != nil {
		return classify("store", err)
	}
	return nil
}

func (s *Store) refreshSpace(ctx context.Context, sp space) error {
	shape, err := s.readIndexShape(ctx, s.pool, sp.id)
	if err != nil {
		return classify("store", err)
	}
	sp.indexShape = shape
	var embedderID string
	if err := s.pool.QueryRow(ctx, fmt.Sprintf(`SELECT embedder_id FROM %s.embedding_spaces WHERE id = $1`, s.schema), sp.id).Scan(&embedderID); err != nil {
		return classify("store", err)
	}
	s.remember(embedderID, sp)
	return nil
}

// RebuildIndex rebuilds a space's index with the store's current index
// options without downtime: HNSW (m, ef_construction, halfvec) or, with
// IndexKind ivfflat, IVFFlat (IVFLists, or pgvector's advice from the
// space's size now). The new index is built concurrently beside the old
// one, then the old one is dropped concurrently and the new one takes its
// name. Queries use one or the other throughout.
func (s *Store) RebuildIndex(ctx context.Context, embedderID string) error {
	sp, ok, err := s.lookupSpace(ctx, embedderID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("space %s: %w", embedderID, triage.ErrNotFound)
	}
	next := indexName(sp.id) + "_next"
	// A rebuild interrupted earlier leaves an invalid _next index: start over.
	if _, err := s.pool.Exec(ctx, fmt.Sprintf("DROP INDEX IF EXISTS %s.%s", s.schema, next)); err != nil {
		return classify("store", err)
	}
	if err := s.buildChosenIndex(ctx, sp, next); err != nil {
		return err
	}
	if err := s.swapIndex(ctx, next, indexName(sp.id)); err != nil {
		return err
	}
	return s.refreshSpace(ctx, sp)
}

// DropSpace deletes a space's vectors, its index and the space itself: the
// last step of a re-embedding, once every worker writes the new space.
func (s *Store) DropSpace(ctx context.Context, embedderID string) (int64, error) {
	sp, ok, err := s.lookupSpace(ctx, embedderID)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("space %s: %w", embedderID, triage.ErrNotFound)
	}
	var n int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s.embeddings_pending WHERE space_id = $1", s.schema), sp.id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s.embeddings WHERE space_id = $1", s.schema), sp.id)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		// The space's index and its tenants' own indexes.
		rows, err := tx.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND (indexname = $2 OR indexname LIKE $3)`,
			s.opts.Schema, indexName(sp.id), indexName(sp.id)+"\\_t%")
		if err != nil {
			return err
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, name := range names {
			if _, err := tx.Exec(ctx, fmt.Sprintf("DROP INDEX IF EXISTS %s.%s", s.schema, name)); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s.embedding_spaces WHERE id = $1", s.schema), sp.id)
		return err
	})
	if err != nil {
		return 0, classify("store", err)
	}
	s.spacesMu.Lock()
	delete(s.spaces, embedderID)
	s.spacesMu.Unlock()
	return n, nil
}

// SpaceStats is what an operator reads about one space.
type SpaceStats struct {
	EmbedderID string `json:"embedder_id"`
	Dims       int    `json:"dims"`
	Vectors    int64  `json:"vectors"`
	Halfvec    bool   `json:"halfvec_index"`
	Index      string `json:"index"`               // hnsw, ivfflat or none
	IVFLists   int    `json:"ivf_lists,omitempty"` // an IVFFlat index's lists
	IndexBytes int64  `json:"index_bytes"`
	// DeadTuples of the embeddings table (all spaces): what a purge leaves
	// for vacuum; HNSW marks deleted vectors and repairs the graph at vacuum.
	DeadTuples int64 `json:"dead_tuples"`
}

// Spaces lists the embedder spaces with their sizes.
func (s *Store) Spaces(ctx context.Context) ([]SpaceStats, error) {
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`
		SELECT sp.embedder_id, sp.dims, sp.id,
			(SELECT count(*) FROM %[1]s.embeddings_all e WHERE e.space_id = sp.id),
			coalesce(pg_relation_size(to_regclass($1 || '.embeddings_hnsw_' || sp.id)), 0),
			coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'embeddings'), 0)
		FROM %[1]s.embedding_spaces sp ORDER BY sp.id`, s.schema), s.opts.Schema)
	if err != nil {
		return nil, classify("store", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SpaceStats, error) {
		var st SpaceStats
		var id int
		err := r.Scan(&st.EmbedderID, &st.Dims, &id, &st.Vectors, &st.IndexBytes, &st.DeadTuples)
		if err != nil {
			return st, err
		}
		shape, err := s.readIndexShape(ctx, s.pool, id)
		st.Halfvec, st.IVFLists = shape.halfvec, shape.ivfLists
		switch {
		case st.IndexBytes == 0:
			st.Index = "none"
		case shape.ivfLists > 0:
			st.Index = IndexIVFFlat
		default:
			st.Index = IndexHNSW
		}
		return st, err
	})
	return out, classify("store", err)
}
