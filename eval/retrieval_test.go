package eval

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/store/postgres"
)

const incidentsPath = "datasets/incidents/dataset.jsonl"

// minIncidentRecall is the gate for similar-incident lookup with the local
// embedder: a new upload of a known failure finds a past case of the same
// family among its five nearest neighbours.
const minIncidentRecall = 0.9

func loadIncidents(t *testing.T) *Dataset {
	t.Helper()
	ds, err := LoadDataset(incidentsPath)
	if err != nil {
		t.Fatal(err)
	}
	families := map[string]int{}
	for _, c := range ds.Cases {
		families[c.Family]++
	}
	if len(families) < 12 {
		t.Fatalf("%d incident families, want at least 12", len(families))
	}
	for f, n := range families {
		if f == "" || n < 6 {
			t.Fatalf("family %q has %d cases, want a name and at least 6", f, n)
		}
	}
	return ds
}

func retrievalPipeline(t *testing.T, e triage.Embedder) *triage.Pipeline {
	t.Helper()
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("eval-retrieval-key")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()), Embedder: e})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIncidentRetrieval measures leave-one-out recall@5 of the incident
// family: every case queries all the others (any tenant) by the embedding of
// its redacted, template-normalized signature. The baseline, measured in the
// same run, embeds the whole redacted log with the same embedder instead.
func TestIncidentRetrieval(t *testing.T) {
	ds := loadIncidents(t)
	ctx := context.Background()
	local, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	embedders := []triage.Embedder{local}
	if os.Getenv("OPENAI_API_KEY") != "" {
		if e, err := embed.FromEnv(os.Getenv); err == nil {
			embedders = append(embedders, e)
		} else {
			t.Logf("OpenAI embedder: %v", err)
		}
	}
	for _, e := range embedders {
		run, err := Evaluate(ctx, ds, Options{Triage: PipelineTriage(retrievalPipeline(t, e)), K: 5})
		if err != nil {
			t.Fatal(err)
		}
		if run.Metrics.Similar == nil {
			t.Fatalf("%s: no similar-incident figures (no embeddings?)", e.ID())
		}
		rec := run.Metrics.Similar.Recall
		base := wholeLogRecall(t, ds, e, 5)
		t.Logf("recall@5 %s: signature %.3f (%d/%d), whole redacted log %.3f, ratio %.2fx",
			e.ID(), rec.Rate, rec.Hits, rec.Total, base, rec.Rate/max(base, 1e-9))
		// recall@1 is the stricter figure: is the single nearest case the same failure?
		if run1, err := Evaluate(ctx, ds, Options{Triage: PipelineTriage(retrievalPipeline(t, e)), K: 1}); err == nil && run1.Metrics.Similar != nil {
			t.Logf("recall@1 %s: signature %.3f, whole redacted log %.3f",
				e.ID(), run1.Metrics.Similar.Recall.Rate, wholeLogRecall(t, ds, e, 1))
		}
		if e == triage.Embedder(local) && rec.Rate < minIncidentRecall {
			var missed []string
			for _, c := range run.Cases {
				if c.SimilarHit != nil && !*c.SimilarHit {
					missed = append(missed, c.ID)
				}
			}
			t.Errorf("local recall@5 = %.3f, want >= %.2f; missed: %v", rec.Rate, minIncidentRecall, missed)
		}
	}
}

// wholeLogRecall is the baseline: the redacted log as a whole, no signature.
func wholeLogRecall(t *testing.T, ds *Dataset, e triage.Embedder, k int) float64 {
	t.Helper()
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("eval-retrieval-key")})
	if err != nil {
		t.Fatal(err)
	}
	redact := EngineRedact(det)
	embs := make([]*triage.Embedding, len(ds.Cases))
	for i, c := range ds.Cases {
		content, err := ds.Content(c)
		if err != nil {
			t.Fatal(err)
		}
		red, err := redact(context.Background(), content)
		if err != nil {
			t.Fatal(err)
		}
		vecs, err := e.Embed(context.Background(), []string{string(red)})
		if err != nil {
			t.Fatal(err)
		}
		embs[i] = &triage.Embedding{EmbedderID: e.ID(), Vector: vecs[0]}
	}
	out := make([]CaseResult, len(ds.Cases))
	similarHits(ds.Cases, embs, k, out)
	hits, total := 0, 0
	for _, r := range out {
		if r.SimilarHit != nil {
			total++
			if *r.SimilarHit {
				hits++
			}
		}
	}
	return float64(hits) / float64(max(total, 1))
}

// TestIncidentRetrievalThroughPostgres asks the PostgreSQL store (HNSW index)
// instead of an exact in-memory ranking: the figure includes the index's
// approximation.
func TestIncidentRetrievalThroughPostgres(t *testing.T) {
	url := os.Getenv("LOGTRIAGE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("no PostgreSQL: run ./scripts/test.sh or set LOGTRIAGE_TEST_DATABASE_URL to a PostgreSQL with pgvector")
	}
	ds := loadIncidents(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	schema := fmt.Sprintf("lt_eval_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer dropSchema(t, url, schema)

	local, _ := embed.NewLocal(embed.LocalOptions{})
	pipe := retrievalPipeline(t, local)
	family := map[string]string{}
	for _, c := range ds.Cases {
		content, err := ds.Content(c)
		if err != nil {
			t.Fatal(err)
		}
		tc, emb, err := pipe.Run(ctx, triage.Input{Tenant: c.Tenant, Upload: triage.Upload{ID: c.ID, Name: c.ID + ".log"}, Content: bytes.NewReader(content)})
		if err != nil {
			t.Fatal(err)
		}
		tc.ID = c.ID
		if err := s.PutCase(ctx, tc, emb); err != nil {
			t.Fatal(err)
		}
		family[c.ID] = c.Family
	}
	hits := 0
	for _, c := range ds.Cases {
		e, err := s.GetEmbedding(ctx, c.Tenant, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		near, err := s.Similar(ctx, triage.SimilarQuery{AllTenants: true, Embedding: e, K: 5, MinSimilarity: -1, ExcludeCaseID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range near {
			if family[n.CaseID] == c.Family {
				hits++
				break
			}
		}
	}
	rate := float64(hits) / float64(len(ds.Cases))
	t.Logf("recall@5 through PostgreSQL+HNSW (%s): %.3f (%d/%d)", local.ID(), rate, hits, len(ds.Cases))
	if rate < minIncidentRecall {
		t.Errorf("recall@5 through the store = %.3f, want >= %.2f", rate, minIncidentRecall)
	}
}

func dropSchema(t *testing.T, url, schema string) {
	// The store's Migrate connection settings suffice; a fresh store is not needed.
	if err := postgres.DropSchema(context.Background(), url, schema); err != nil {
		t.Logf("drop schema %s: %v", schema, err)
	}
}
