package eval_test

import (
	"context"
	"slices"
	"testing"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/rules"
)

func rulesBuild(t testing.TB) eval.BuildFunc {
	t.Helper()
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("logtriage-eval")})
	if err != nil {
		t.Fatal(err)
	}
	rt := router.Default()
	return func(opts rules.Options) (eval.TriageFunc, error) {
		p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: rt, Rules: rules.NewWithOptions(rt, opts)})
		if err != nil {
			return nil, err
		}
		return eval.PipelineTriage(p), nil
	}
}

// Every policy row names the labelled cases that justify it; each of them
// is decided by that row, through the whole pipeline, and its label agrees.
func TestPolicyCases(t *testing.T) {
	sets, err := eval.FindTriageSets("datasets/triage")
	if err != nil || len(sets) < 2 {
		t.Fatalf("labelled triage sets: %v, %v", sets, err)
	}
	want := map[string]string{} // case id -> row id
	for _, r := range rules.DefaultPolicy.Rows {
		for _, id := range r.Cases {
			want[id] = r.ID
		}
	}
	build := rulesBuild(t)
	found := map[string]bool{}
	for _, path := range sets {
		ds, err := eval.LoadDataset(path)
		if err != nil {
			t.Fatal(err)
		}
		ds.Cases = slices.DeleteFunc(ds.Cases, func(c eval.Case) bool { _, ok := want[c.ID]; return !ok })
		if len(ds.Cases) == 0 {
			continue
		}
		cases, _, err := eval.CollectDataset(context.Background(), ds, build, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			found[c.ID] = true
			if c.PolicyRow != want[c.ID] || c.PolicyLabel != c.GoldSeverity {
				t.Errorf("%s (%s): decided by row %s as %s, want row %s and its gold %s", c.ID, c.Set, c.PolicyRow, c.PolicyLabel, want[c.ID], c.GoldSeverity)
			}
		}
	}
	for id, row := range want {
		if !found[id] {
			t.Errorf("row %s names case %s, which no labelled set holds", row, id)
		}
	}
}

// The cross-validation over two small sets: the held-out scores are in
// range, the majority baseline answers one label, and the learned scorer
// only sees the other set.
func TestCrossValidateTwoSets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two labelled sets through the pipeline")
	}
	rep, err := eval.CrossValidate(context.Background(), eval.CVOptions{
		Sets:  []string{"datasets/triage/holdout3/holdout3.jsonl", "datasets/triage/holdout5/holdout5.jsonl"},
		Build: rulesBuild(t), Parallel: 2, Train: rules.TrainOptions{Iterations: 200},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sets) != 2 {
		t.Fatalf("%d held-out sets, want 2", len(rep.Sets))
	}
	for _, s := range rep.Sets {
		for _, v := range []eval.CVScores{s.Policy, s.Learned, s.Majority} {
			if v.Exact < 0 || v.Exact > v.WithinOne || v.WithinOne > 1 || v.Routing < 0 || v.Routing > 1 {
				t.Errorf("%s: scores out of range %+v", s.Set, v)
			}
		}
		if s.Majority.Exact >= s.Policy.Exact {
			t.Errorf("%s: the majority class (%.3f) is not below the policy (%.3f)", s.Set, s.Majority.Exact, s.Policy.Exact)
		}
	}
	m, w := rep.Mean["policy"], rep.Worst["policy"]
	if w.Exact > m.Exact || w.Exact != min(rep.Sets[0].Policy.Exact, rep.Sets[1].Policy.Exact) {
		t.Errorf("worst %.3f / mean %.3f disagree with the sets", w.Exact, m.Exact)
	}
}

func TestCrossValidateNeedsTwoSets(t *testing.T) {
	if _, err := eval.CrossValidate(context.Background(), eval.CVOptions{Sets: []string{"x.jsonl"}, Build: rulesBuild(t)}); err == nil {
		t.Error("one set cross-validated")
	}
}
