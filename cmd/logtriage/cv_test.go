package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/eval"
)

// eval --cv over two small sets, as JSON: one row per held-out set, the
// three columns and the mean; --gate compares the shipped column.
func TestEvalCVTwoSets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two labelled sets through the pipeline twice")
	}
	dir := filepath.Join("..", "..", "eval", "datasets", "triage")
	root := filepath.Join(dir, "holdout3", "holdout3.jsonl") + "," + filepath.Join(dir, "holdout5")
	var out, errOut bytes.Buffer
	code := runEval(context.Background(), []string{"--cv", "--sets", root, "--format", "json", "--parallel", "2"}, nil, &out, &errOut)
	if code != evalOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep struct {
		Sets []struct {
			Set string `json:"set"`
		} `json:"sets"`
		Mean map[string]struct {
			Exact float64 `json:"severity_exact"`
		} `json:"mean"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(rep.Sets) != 2 || rep.Mean["policy"].Exact <= rep.Mean["majority"].Exact {
		t.Errorf("report %+v", rep)
	}
	if code := runEval(context.Background(), []string{"--cv", "--dataset", "x.jsonl"}, nil, &out, &errOut); code != evalError {
		t.Errorf("--cv with --dataset: exit %d, want %d", code, evalError)
	}
}

// The gate names what fell: a mean, or one set below the per-set floor.
func TestCVGate(t *testing.T) {
	g := cvGate{exact: 0.8, within: 0.95, routing: 0.9, worstExact: 0.65}
	ok := eval.CVScores{Exact: 0.85, WithinOne: 0.98, Routing: 0.92}
	for _, tt := range []struct {
		name        string
		mean, worst eval.CVScores
		want        string
	}{
		{"above", ok, eval.CVScores{Exact: 0.7, WithinOne: 0.9, Routing: 0.8}, ""},
		{"mean exact", eval.CVScores{Exact: 0.79, WithinOne: 0.98, Routing: 0.92}, ok, "CV mean"},
		{"mean routing", eval.CVScores{Exact: 0.85, WithinOne: 0.98, Routing: 0.89}, ok, "CV mean"},
		{"one set", ok, eval.CVScores{Exact: 0.64, WithinOne: 0.9, Routing: 0.8}, "per-set floor"},
	} {
		got := g.below(tt.mean, tt.worst)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
