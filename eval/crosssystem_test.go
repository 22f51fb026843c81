package eval

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/rules"
)

func loadTriageSets(t testing.TB) []NamedDataset {
	t.Helper()
	var sets []NamedDataset
	for _, s := range TriageSets {
		ds, err := LoadDataset(filepath.Join("datasets", s.Path))
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, NamedDataset{Name: s.Name, Dataset: ds})
	}
	return sets
}

func crossSystemRecall(t testing.TB, e triage.Embedder, k int) *CrossSystemResult {
	t.Helper()
	groups, err := LoadCrossSystemGroups("datasets/crosssystem/groups.json")
	if err != nil {
		t.Fatal(err)
	}
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("eval-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()), Embedder: e})
	if err != nil {
		t.Fatal(err)
	}
	res, err := CrossSystemRecall(context.Background(), loadTriageSets(t), groups, PipelineTriage(p), k)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCrossSystemRecall(t *testing.T) {
	e, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := crossSystemRecall(t, e, 5)
	t.Logf("cross-system recall@5 %.3f (%d of %d, corpus %d)", res.Recall, res.Hits, res.Queries, res.Corpus)
	for _, g := range res.Groups {
		t.Logf("  %.2f %d/%d %s", g.Recall, g.Hits, g.Queries, g.Incident)
	}
}
