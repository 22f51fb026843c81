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

func crossSystemRecall(t testing.TB, e triage.Embedder, k int, plain bool) *CrossSystemResult {
	t.Helper()
	groups, err := LoadCrossSystemGroups("datasets/crosssystem/groups.json")
	if err != nil {
		t.Fatal(err)
	}
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("eval-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()), Embedder: e, PlainSignature: plain})
	if err != nil {
		t.Fatal(err)
	}
	res, err := CrossSystemRecall(context.Background(), loadTriageSets(t), groups, PipelineTriage(p), k)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Evidence in the signature (failure kind, role, category) finds the same
// incident reported by another system more often than templates alone, on
// the same corpus, in the same run.
func TestCrossSystemRecall(t *testing.T) {
	e, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plain := crossSystemRecall(t, e, 5, true)
	withEvidence := crossSystemRecall(t, e, 5, false)
	t.Logf("cross-system recall@5: templates only %.3f (%d/%d), with evidence %.3f (%d/%d); corpus %d",
		plain.Recall, plain.Hits, plain.Queries, withEvidence.Recall, withEvidence.Hits, withEvidence.Queries, withEvidence.Corpus)
	for i, g := range withEvidence.Groups {
		t.Logf("  %d/%d -> %d/%d  %s", plain.Groups[i].Hits, g.Queries, g.Hits, g.Queries, g.Incident)
	}
	if plain.Queries != withEvidence.Queries || plain.Queries < 50 {
		t.Fatalf("queries %d and %d: the groups did not resolve to the same cases", plain.Queries, withEvidence.Queries)
	}
	if withEvidence.Recall <= plain.Recall {
		t.Errorf("evidence in the signature did not raise cross-system recall@5: %.3f vs %.3f", withEvidence.Recall, plain.Recall)
	}
}
