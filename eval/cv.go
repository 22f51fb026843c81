package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/rules"
)

// BuildFunc builds the pipeline to evaluate with a rules classifier made
// with opts (the policy alone, or with a learned scorer).
type BuildFunc func(opts rules.Options) (TriageFunc, error)

// CVOptions configure a leave-one-set-out cross-validation.
type CVOptions struct {
	Sets  []string  // labelled triage datasets (FindTriageSets)
	Build BuildFunc // required
	Train rules.TrainOptions
	// Parallel cases at once within a set (default 1).
	Parallel int
}

// CVScores are the three headline figures of one set (or their mean).
type CVScores struct {
	Exact     float64 `json:"severity_exact"`
	WithinOne float64 `json:"severity_within_one"`
	Routing   float64 `json:"routing"`
}

// CVSet is one held-out set: the policy (fitted to every set, the
// learned scorer and the majority baseline trained on the other sets only.
type CVSet struct {
	Set      string   `json:"set"`
	Cases    int      `json:"cases"`
	Policy   CVScores `json:"policy"`
	Learned  CVScores `json:"learned"`
	Majority CVScores `json:"majority"`
}

// CVReport is the whole cross-validation.
type CVReport struct {
	Sets []CVSet `json:"sets"`
	// Mean is the unweighted mean over sets; Worst the lowest figure of
	// each column over sets.
	Mean  map[string]CVScores `json:"mean"`
	Worst map[string]CVScores `json:"worst"`
}

// CVCase is one labelled case with the evidence the rules read from it.
type CVCase struct {
	Set, ID                string
	GoldSeverity, Queue    string // gold labels
	Vector                 []float64
	PolicyLabel, PolicyRow string
}

// FindTriageSets lists every labelled triage dataset under root (*.jsonl
// files with at least one severity label), sorted.
func FindTriageSets(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return err
		}
		ds, err := LoadDataset(path)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(ds.Cases, func(c Case) bool { return c.Severity != "" }) {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// SetName is how reports name a dataset: its file name without extension.
func SetName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// Collect runs every set through the pipeline with the policy and returns
// each labelled case's evidence and the policy's runs.
func Collect(ctx context.Context, opt CVOptions) (map[string][]CVCase, map[string]*Run, error) {
	cases := map[string][]CVCase{}
	runs := map[string]*Run{}
	for _, path := range opt.Sets {
		ds, err := LoadDataset(path)
		if err != nil {
			return nil, nil, err
		}
		if cases[path], runs[path], err = CollectDataset(ctx, ds, opt.Build, opt.Parallel); err != nil {
			return nil, nil, err
		}
	}
	return cases, runs, nil
}

// CollectDataset runs one dataset through the pipeline with the policy and
// returns each labelled case's evidence (an empty upload, which the rules
// are not asked about, has none) and the run.
func CollectDataset(ctx context.Context, ds *Dataset, build BuildFunc, parallel int) ([]CVCase, *Run, error) {
	type seen struct {
		vec []float64
		row *rules.Row
	}
	var mu sync.Mutex
	byName := map[string]seen{}
	policy := rules.DefaultPolicy
	triageFn, err := build(rules.Options{Observe: func(in triage.ClassifyInput, ev rules.Evidence) {
		v := ev.Vector()
		mu.Lock()
		byName[in.FileName] = seen{v, policy.Decide(v)}
		mu.Unlock()
	}})
	if err != nil {
		return nil, nil, err
	}
	run, err := Evaluate(ctx, ds, Options{Triage: triageFn, Parallel: parallel})
	if err != nil {
		return nil, nil, err
	}
	var out []CVCase
	for _, c := range ds.Cases {
		if c.Severity == "" {
			continue
		}
		content, err := ds.Content(c)
		if err != nil {
			return nil, nil, err
		}
		sum := sha256.Sum256(content)
		got, ok := byName[uploadName(c, hex.EncodeToString(sum[:]))]
		if !ok {
			continue
		}
		out = append(out, CVCase{Set: SetName(ds.Path), ID: c.ID, GoldSeverity: c.Severity, Queue: c.Queue,
			Vector: got.vec, PolicyLabel: got.row.Label, PolicyRow: got.row.ID})
	}
	return out, run, nil
}

// CrossValidate holds out each set in turn: the policy is scored on it as
// it is (it was written with every set in view, so its figures are not
// blind), the learned scorer is trained on the other sets' cases and run
// through the whole pipeline on the held-out one, and the majority baseline
// answers every held-out case with the other sets' most common severity
// and queue.
func CrossValidate(ctx context.Context, opt CVOptions) (*CVReport, error) {
	if opt.Build == nil {
		return nil, fmt.Errorf("eval: cross-validation needs a pipeline builder")
	}
	if len(opt.Sets) < 2 {
		return nil, fmt.Errorf("eval: cross-validation needs at least two labelled sets, found %d", len(opt.Sets))
	}
	cases, runs, err := Collect(ctx, opt)
	if err != nil {
		return nil, err
	}
	rep := &CVReport{}
	for _, held := range opt.Sets {
		var train []rules.Example
		var golds, queues []string
		for _, other := range opt.Sets {
			if other == held {
				continue
			}
			for _, c := range cases[other] {
				train = append(train, rules.Example{Vector: c.Vector, Policy: c.PolicyLabel, Gold: c.GoldSeverity})
				golds = append(golds, c.GoldSeverity)
				if c.Queue != "" {
					queues = append(queues, c.Queue)
				}
			}
		}
		model, err := rules.Train(train, opt.Train)
		if err != nil {
			return nil, err
		}
		triageFn, err := opt.Build(rules.Options{Scorer: model})
		if err != nil {
			return nil, err
		}
		ds, err := LoadDataset(held)
		if err != nil {
			return nil, err
		}
		learned, err := Evaluate(ctx, ds, Options{Triage: triageFn, Parallel: opt.Parallel})
		if err != nil {
			return nil, err
		}
		set := CVSet{Set: SetName(held), Cases: len(ds.Cases), Policy: scoresOf(runs[held].Metrics), Learned: scoresOf(learned.Metrics)}
		set.Majority = majorityScores(ds.Cases, majority(golds), majority(queues))
		rep.Sets = append(rep.Sets, set)
	}
	rep.Mean, rep.Worst = map[string]CVScores{}, map[string]CVScores{}
	for _, col := range []struct {
		name string
		get  func(CVSet) CVScores
	}{{"policy", func(s CVSet) CVScores { return s.Policy }}, {"learned", func(s CVSet) CVScores { return s.Learned }}, {"majority", func(s CVSet) CVScores { return s.Majority }}} {
		var mean CVScores
		worst := CVScores{1, 1, 1}
		for _, s := range rep.Sets {
			v := col.get(s)
			mean.Exact += v.Exact / float64(len(rep.Sets))
			mean.WithinOne += v.WithinOne / float64(len(rep.Sets))
			mean.Routing += v.Routing / float64(len(rep.Sets))
			worst.Exact, worst.WithinOne, worst.Routing = min(worst.Exact, v.Exact), min(worst.WithinOne, v.WithinOne), min(worst.Routing, v.Routing)
		}
		rep.Mean[col.name], rep.Worst[col.name] = mean, worst
	}
	return rep, nil
}

// TrainExamples are every collected case as a training example.
func TrainExamples(cases map[string][]CVCase) []rules.Example {
	var paths []string
	for p := range cases {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out []rules.Example
	for _, p := range paths {
		for _, c := range cases[p] {
			out = append(out, rules.Example{Vector: c.Vector, Policy: c.PolicyLabel, Gold: c.GoldSeverity})
		}
	}
	return out
}

func scoresOf(m Metrics) CVScores {
	var s CVScores
	if m.Severity != nil {
		s.Exact, s.WithinOne = m.Severity.Accuracy, m.Severity.WithinOne
	}
	if m.Routing != nil {
		s.Routing = m.Routing.Accuracy
	}
	return s
}

// majority is the most common value (ties: the first in sort order).
func majority(values []string) string {
	counts := map[string]int{}
	for _, v := range values {
		counts[v]++
	}
	best := ""
	for v, n := range counts {
		if n > counts[best] || n == counts[best] && v < best {
			best = v
		}
	}
	return best
}

// majorityScores answers every case with one severity and one queue.
func majorityScores(cases []Case, severity, queue string) CVScores {
	var results []CaseResult
	for _, c := range cases {
		results = append(results, CaseResult{ID: c.ID, GoldSeverity: c.Severity, Severity: severity, GoldQueue: c.Queue, Queue: queue})
	}
	return scoresOf(Compute(results, triage.SeverityLabels, false, 5, nil))
}
