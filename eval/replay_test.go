package eval

import (
	"context"
	"testing"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// replayOptions: the rules pipeline with the local embedder over a fresh
// embedded store per run.
func replayOptions(t testing.TB) ReplayOptions {
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("eval-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	emb, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ReplayOptions{
		Pipeline: func(store triage.Store, fb triage.FeedbackOptions) (*triage.Pipeline, error) {
			return triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()), Embedder: emb, Store: store, Feedback: fb})
		},
		Store: func() (triage.Store, error) {
			return embedded.Open(t.TempDir(), embedded.Options{NoSync: true})
		},
	}
}

// On the main triage set, resolving each case with its gold label never
// moves a case off its gold severity, and the second half stays at the
// target. Since the labels were re-checked against docs/severity.md the
// rules agree with most families, so there may be nothing left to learn
// here: that the learning works is the next test's job.
func TestReplayOnTheTriageSet(t *testing.T) {
	ds, err := LoadDataset("datasets/triage/dataset.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), ds, replayOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	half := res.SecondHalf
	t.Logf("second half severity exact: %.3f without feedback, %.3f with (%d relabelled, %d helped, %d hurt)",
		half.Without.SeverityExact, half.With.SeverityExact, res.Relabelled, res.Helped, res.Hurt)
	if half.With.Cases != len(ds.Cases)-len(ds.Cases)/2 {
		t.Errorf("second half scored %d cases, want %d", half.With.Cases, len(ds.Cases)-len(ds.Cases)/2)
	}
	if res.Hurt > 0 {
		t.Errorf("%d case(s) moved off their gold severity by resolved neighbours", res.Hurt)
	}
	if half.With.SeverityExact < half.Without.SeverityExact {
		t.Errorf("severity exact with feedback %.3f, below %.3f without", half.With.SeverityExact, half.Without.SeverityExact)
	}
	if half.With.SeverityExact < 0.90 {
		t.Errorf("second-half severity exact with feedback %.3f, below the 0.90 target", half.With.SeverityExact)
	}
	if res.SeenFamily.With.Cases+res.NewFamily.With.Cases != half.With.Cases {
		t.Errorf("seen-family %d + new-family %d cases != %d", res.SeenFamily.With.Cases, res.NewFamily.With.Cases, half.With.Cases)
	}
}

// A tenant whose agents grade some incidents differently from the rubric
// (every family labelled low is high for them) teaches the pipeline that:
// once a family member is resolved, its later near-duplicates take the
// agents' label, which the rules alone never give them.
func TestReplayLearnsATenantsConvention(t *testing.T) {
	ds, err := LoadDataset("datasets/triage/dataset.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	size := map[string]int{}
	for _, c := range ds.Cases {
		if c.Severity == "low" && c.Family != "" {
			size[c.Family]++
		}
	}
	regraded := 0
	for i, c := range ds.Cases {
		if c.Severity == "low" && size[c.Family] >= 2 {
			ds.Cases[i].Severity = "high"
			regraded++
		}
	}
	if regraded < 6 {
		t.Fatalf("only %d cases in families labelled low; the test needs a few families", regraded)
	}
	res, err := Replay(context.Background(), ds, replayOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	half := res.SecondHalf
	t.Logf("%d cases regraded; second half severity exact: %.3f without feedback, %.3f with (%d relabelled, %d helped, %d hurt)",
		regraded, half.Without.SeverityExact, half.With.SeverityExact, res.Relabelled, res.Helped, res.Hurt)
	if res.Relabelled == 0 || res.Helped == 0 {
		t.Errorf("no case learned from an earlier resolution (%d relabelled, %d helped)", res.Relabelled, res.Helped)
	}
	if res.Hurt > 0 {
		t.Errorf("%d case(s) moved off their gold severity by resolved neighbours", res.Hurt)
	}
	if half.With.SeverityExact <= half.Without.SeverityExact {
		t.Errorf("severity exact with feedback %.3f, not above %.3f without", half.With.SeverityExact, half.Without.SeverityExact)
	}
}

// A set of distinct incidents (no families) has no near-duplicates: at the
// default threshold nothing is relabelled, so learning cannot hurt it.
func TestReplayLeavesDistinctIncidentsAlone(t *testing.T) {
	ds, err := LoadDataset("datasets/triage/holdout/holdout.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	o := replayOptions(t)
	o.Feedback.CrossTenant = true
	res, err := Replay(context.Background(), ds, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Relabelled != 0 || res.SecondHalf.With != res.SecondHalf.Without {
		t.Errorf("distinct incidents relabelled: %d; with %+v, without %+v", res.Relabelled, res.SecondHalf.With, res.SecondHalf.Without)
	}
}
