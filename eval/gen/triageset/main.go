// Command triageset generates the labelled triage eval set
// (eval/datasets/triage): realistic logs across every queue and severity,
// clean logs, and prompt-injection canaries, each with its gold labels.
//
// The labels come from the scenario a log was rendered from — what a senior
// support engineer would say about that incident (rubric in docs/eval.md) —
// never from what any classifier outputs. Output is deterministic for a seed:
//
//	go run ./eval/gen/triageset -out eval/datasets/triage
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// queueFor is the routing config's queue for each category (router/default.json).
var queueFor = map[string]string{
	"database":    "database",
	"network":     "network",
	"auth":        "identity",
	"payments":    "payments",
	"storage":     "storage",
	"kubernetes":  "platform",
	"security":    "security",
	"application": "triage-general",
}

// record is one dataset line (format: docs/eval-datasets.md).
type record struct {
	ID        string   `json:"id"`
	File      string   `json:"file"`
	Tenant    string   `json:"tenant"`
	Findings  []span   `json:"findings"`
	Severity  string   `json:"severity"`
	Category  string   `json:"category"`
	Queue     string   `json:"queue"`
	Skills    []string `json:"skills"`
	KeyLines  []string `json:"key_lines,omitempty"`
	Family    string   `json:"family"`
	Injection bool     `json:"injection,omitempty"`
	NoProblem bool     `json:"no_problem,omitempty"`
}

// defaultSeed is the seed the committed set was generated with.
const defaultSeed = 20261123

type job struct {
	sc        scenario
	injection string
	noProblem bool
}

func main() {
	out := flag.String("out", "eval/datasets/triage", "output directory (dataset.jsonl and logs/)")
	seed := flag.Int64("seed", defaultSeed, "generator seed")
	flag.Parse()
	if err := generate(*out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "triageset:", err)
		os.Exit(1)
	}
}

func generate(dir string, seed int64) error {
	r := rand.New(rand.NewSource(seed))
	var jobs []job
	byFamily := map[string]scenario{}
	for _, group := range [][]scenario{databaseScenarios(), networkScenarios(), authScenarios(), paymentScenarios(),
		storageScenarios(), kubernetesScenarios(), securityScenarios(), applicationScenarios()} {
		for _, sc := range group {
			byFamily[sc.family] = sc
			for i := 0; i < sc.copies; i++ {
				jobs = append(jobs, job{sc: sc})
			}
		}
	}
	for _, sc := range noProblemScenarios() {
		for i := 0; i < sc.copies; i++ {
			jobs = append(jobs, job{sc: sc, noProblem: true})
		}
	}
	for i, fam := range injectionCanaries {
		sc, ok := byFamily[fam]
		if !ok {
			return fmt.Errorf("injection canary names unknown family %q", fam)
		}
		jobs = append(jobs, job{sc: sc, injection: injections[i%len(injections)]})
	}
	// Interleave families so "an earlier case of the same family" means
	// something for similar-incident recall.
	r.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

	logDir := filepath.Join(dir, "logs")
	if err := os.RemoveAll(logDir); err != nil {
		return err
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	tenants := []string{"acme", "globex", "initech", "umbrella"}
	var dataset bytes.Buffer
	for i, j := range jobs {
		b := newBuilder(r)
		if j.injection != "" {
			b.inject, b.injectAt = j.injection, 2+r.Intn(4)
		}
		j.sc.build(b)
		if b.inject != "" { // the scenario wrote fewer lines than injectAt
			b.add(b.inject)
		}
		id := fmt.Sprintf("tri-%03d-%s", i+1, j.sc.family)
		name := id + ".log"
		if err := os.WriteFile(filepath.Join(logDir, name), []byte(b.buf.String()), 0o644); err != nil {
			return err
		}
		rec := record{
			ID: id, File: "logs/" + name, Tenant: tenants[i%len(tenants)],
			Findings: b.spans, Severity: j.sc.severity, Category: j.sc.category,
			Queue: queueFor[j.sc.category], Skills: j.sc.skills, KeyLines: b.keyLines,
			Family: j.sc.family, Injection: j.injection != "", NoProblem: j.noProblem,
		}
		if rec.Findings == nil {
			rec.Findings = []span{}
		}
		if rec.Queue == "" {
			return fmt.Errorf("%s: no queue for category %q", id, j.sc.category)
		}
		if strings.Contains(b.buf.String(), markOpen) {
			return fmt.Errorf("%s: unresolved marker", id)
		}
		line, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		dataset.Write(line)
		dataset.WriteByte('\n')
	}
	return os.WriteFile(filepath.Join(dir, "dataset.jsonl"), dataset.Bytes(), 0o644)
}
