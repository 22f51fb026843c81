package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
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
