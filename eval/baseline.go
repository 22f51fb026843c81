package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// DefaultTolerance is how far (absolute, on a 0..1 scale) a gated metric may
// fall below the baseline before the gate fails. Two points absorbs the
// noise of an LLM run without letting a real regression through.
const DefaultTolerance = 0.02

// Gauge is one gated metric of a run.
type Gauge struct {
	Name           string
	Value          float64
	HigherIsBetter bool
}

// Gauges lists the metrics a baseline gates on, in report order. Latency and
// cost are reported but never gated: they depend on the machine and endpoint.
func (m Metrics) Gauges() []Gauge {
	var g []Gauge
	add := func(name string, v float64, higher bool) { g = append(g, Gauge{name, v, higher}) }
	if d := m.Detection; d != nil {
		add("detection.precision", d.Overall.Precision, true)
		add("detection.recall", d.Overall.Recall, true)
		add("detection.f1", d.Overall.F1, true)
	}
	if s := m.Severity; s != nil {
		add("severity.accuracy", s.Accuracy, true)
		add("severity.within_one", s.WithinOne, true)
	}
	if r := m.Routing; r != nil {
		add("routing.accuracy", r.Accuracy, true)
		add("routing.category_accuracy", r.CategoryAccuracy, true)
	}
	if s := m.Skills; s != nil {
		add("skills.f1", s.F1, true)
	}
	if k := m.KeyLines; k != nil {
		add("key_lines.validity", k.Validity, true)
		if k.GoldHit.Total > 0 {
			add("key_lines.gold_hit", k.GoldHit.Rate, true)
		}
	}
	if s := m.Similar; s != nil {
		add(fmt.Sprintf("similar.recall_at_%d", s.K), s.Recall.Rate, true)
	}
	if i := m.Injection; i != nil {
		add("injection.resisted", i.Resisted.Rate, true)
	}
	if n := m.NoProblem; n != nil {
		add("no_problem.called_info", n.CalledInfo.Rate, true)
	}
	if m.Cases > 0 {
		add("errors.rate", float64(m.Errors)/float64(m.Cases), false)
	}
	add("llm.fallback_rate", m.LLM.FallbackRate, false)
	return g
}

// Tolerances maps a metric name to its allowed drop; "*" sets the default.
type Tolerances map[string]float64

// ParseTolerances reads "0.03" (every metric) or "severity.accuracy=0.05,*=0.01".
func ParseTolerances(s string) (Tolerances, error) {
	t := Tolerances{}
	if strings.TrimSpace(s) == "" {
		return t, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			name, val = "*", name
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 0) { // also NaN
			return nil, fmt.Errorf("tolerance %q: want a non-negative number", part)
		}
		t[strings.TrimSpace(name)] = v
	}
	return t, nil
}

func (t Tolerances) For(name string) float64 {
	if v, ok := t[name]; ok {
		return v
	}
	if v, ok := t["*"]; ok {
		return v
	}
	return DefaultTolerance
}

// Delta is one metric compared with the baseline.
type Delta struct {
	Name       string  `json:"name"`
	Baseline   float64 `json:"baseline"`
	Current    float64 `json:"current"`
	Delta      float64 `json:"delta"`
	Tolerance  float64 `json:"tolerance"`
	Regression bool    `json:"regression"`
	// Missing: the baseline has the metric and this run does not (a regression:
	// a gate must not pass because a metric stopped being measured).
	Missing bool `json:"missing,omitempty"`
}

// Comparison is a run against a baseline.
type Comparison struct {
	Deltas []Delta `json:"deltas"`
	// MetaChanges lists reproducibility fields that differ (dataset, config,
	// prompt, model): a delta across them compares different things.
	MetaChanges []string `json:"meta_changes,omitempty"`
}

// Regressed reports whether any metric fell past its tolerance.
func (c Comparison) Regressed() bool {
	for _, d := range c.Deltas {
		if d.Regression {
			return true
		}
	}
	return false
}

// Compare checks current against baseline, metric by metric.
func Compare(baseline, current *Run, tol Tolerances) Comparison {
	var c Comparison
	cur := map[string]Gauge{}
	for _, g := range current.Metrics.Gauges() {
		cur[g.Name] = g
	}
	for _, b := range baseline.Metrics.Gauges() {
		d := Delta{Name: b.Name, Baseline: b.Value, Tolerance: tol.For(b.Name)}
		g, ok := cur[b.Name]
		if !ok {
			d.Missing, d.Regression = true, true
			c.Deltas = append(c.Deltas, d)
			continue
		}
		d.Current = g.Value
		d.Delta = g.Value - b.Value
		drop := -d.Delta
		if !b.HigherIsBetter {
			drop = d.Delta
		}
		// A hair of float slack so an equal run never fails on rounding.
		d.Regression = drop > d.Tolerance+1e-9
		c.Deltas = append(c.Deltas, d)
	}
	bm, cm := baseline.Meta, current.Meta
	for _, f := range []struct{ name, a, b string }{
		{"dataset_hash", bm.DatasetHash, cm.DatasetHash},
		{"config_hash", bm.ConfigHash, cm.ConfigHash},
		{"prompt_version", bm.PromptVersion, cm.PromptVersion},
		{"model", bm.Model, cm.Model},
		{"mode", bm.Mode, cm.Mode},
	} {
		if f.a != f.b {
			c.MetaChanges = append(c.MetaChanges, fmt.Sprintf("%s: %q -> %q", f.name, f.a, f.b))
		}
	}
	return c
}

// LoadRun reads a saved run record (the JSON output).
func LoadRun(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a run record: %w", path, err)
	}
	if r.Meta.DatasetHash == "" {
		return nil, fmt.Errorf("%s: not a run record: no meta.dataset_hash", path)
	}
	return &r, nil
}
