package eval

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleRun is a small but complete run record.
func sampleRun() *Run {
	results := []CaseResult{
		{ID: "a", GoldSeverity: "high", Severity: "high", GoldQueue: "database", Queue: "database", GoldSkills: []string{"databases"}, Skills: []string{"databases"}},
		{ID: "b", GoldSeverity: "low", Severity: "low", GoldQueue: "network", Queue: "network", GoldSkills: []string{"networking"}, Skills: []string{"networking"}},
		{ID: "c", GoldSeverity: "info", Severity: "info", GoldQueue: "network", Queue: "network", NoProblem: true},
	}
	return &Run{
		Meta:    Meta{Dataset: "x.jsonl", DatasetHash: "abc", Mode: "rules", ConfigHash: "cfg"},
		Metrics: Compute(results, scale, false, 5, nil),
		Cases:   results,
	}
}

func TestCompareEqualRunPasses(t *testing.T) {
	base := sampleRun()
	c := Compare(base, sampleRun(), Tolerances{})
	if c.Regressed() {
		t.Fatalf("equal run regressed: %+v", c.Deltas)
	}
	if len(c.Deltas) == 0 || len(c.MetaChanges) != 0 {
		t.Errorf("deltas %d, meta changes %v", len(c.Deltas), c.MetaChanges)
	}
}

func TestCompareDegradedRunFails(t *testing.T) {
	base := sampleRun()
	worse := sampleRun()
	worse.Cases[0].Severity = "medium" // severity accuracy 1 -> 0.667
	worse.Metrics = Compute(worse.Cases, scale, false, 5, nil)
	c := Compare(base, worse, Tolerances{})
	if !c.Regressed() {
		t.Fatal("a 33-point severity drop passed the gate")
	}
	for _, d := range c.Deltas {
		if d.Regression != (d.Name == "severity.accuracy") {
			t.Errorf("%s: regression=%v (delta %+.3f)", d.Name, d.Regression, d.Delta)
		}
	}
	// A generous enough tolerance for that one metric lets it through.
	if Compare(base, worse, Tolerances{"severity.accuracy": 0.5}).Regressed() {
		t.Error("per-metric tolerance ignored")
	}
	var out bytes.Buffer
	if err := WriteComparison(&out, c); err != nil || !strings.Contains(out.String(), "REGRESSION") {
		t.Errorf("comparison output: %v\n%s", err, out.String())
	}
}

func TestCompareLowerIsBetterAndMissing(t *testing.T) {
	base := sampleRun()
	cur := sampleRun()
	cur.Metrics.LLM.FallbackRate = 0.10 // rising fallback rate is a regression
	cur.Metrics.Skills = nil            // a metric no longer measured is too
	c := Compare(base, cur, Tolerances{})
	got := map[string]Delta{}
	for _, d := range c.Deltas {
		got[d.Name] = d
	}
	if !got["llm.fallback_rate"].Regression {
		t.Error("fallback rate up 10 points passed")
	}
	if d := got["skills.f1"]; !d.Regression || !d.Missing {
		t.Errorf("missing skills.f1 = %+v", d)
	}
}

func TestParseTolerances(t *testing.T) {
	tol, err := ParseTolerances("0.05, severity.accuracy=0.01")
	if err != nil {
		t.Fatal(err)
	}
	if tol.For("routing.accuracy") != 0.05 || tol.For("severity.accuracy") != 0.01 {
		t.Errorf("tolerances = %v", tol)
	}
	if (Tolerances{}).For("x") != DefaultTolerance {
		t.Error("default tolerance")
	}
	for _, bad := range []string{"abc", "x=-1", "x="} {
		if _, err := ParseTolerances(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRunRecordRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := LoadRun(path)
	if err != nil {
		t.Fatal(err)
	}
	if Compare(sampleRun(), back, Tolerances{"*": 0}).Regressed() {
		t.Error("a saved and reloaded run differs from itself")
	}
	if err := os.WriteFile(path, []byte(`{"metrics":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRun(path); err == nil {
		t.Error("a file without meta loaded as a run")
	}
}

// FuzzParseTolerances: any input gives an error or tolerances that are all
// non-negative numbers; never a panic.
func FuzzParseTolerances(f *testing.F) {
	for _, s := range []string{"", "0.02", "severity.accuracy=0.05,*=0.01", "x=", "=,=", "1e400", "NaN", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tol, err := ParseTolerances(s)
		if err != nil {
			return
		}
		for name, v := range tol {
			if !(v >= 0) || v > 1e308 {
				t.Fatalf("%q: tolerance %s = %v", s, name, v)
			}
		}
	})
}
