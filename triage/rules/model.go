package rules

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/logtriage/logtriage/triage"
)

// Model is a multinomial logistic regression over the evidence features
// and the policy's answer: it learns, from labelled cases, when the policy
// over- or under-calls. Its weights ship as a versioned file (model.json)
// and `logtriage train` re-fits them.
type Model struct {
	Version string `json:"version"`
	// About says what it was trained on.
	About string `json:"about,omitempty"`
	// Labels are the classes (severity labels); Inputs the input names, in
	// the order of the weights' columns (after the bias).
	Labels []string `json:"labels"`
	Inputs []string `json:"inputs"`
	// Mean and Scale standardize each input; Weights[label] is the bias
	// then one weight per input.
	Mean    []float64   `json:"mean"`
	Scale   []float64   `json:"scale"`
	Weights [][]float64 `json:"weights"`
}

var _ Scorer = (*Model)(nil)

// Example is one labelled case for training: its evidence vector
// (Evidence.Vector), the policy's label for it, and the gold label.
type Example struct {
	Vector []float64
	Policy string
	Gold   string
}

// modelInputs are the input names: every feature, then the policy's label
// one-hot.
func modelInputs() []string {
	var names []string
	for _, f := range Features {
		names = append(names, f.Name)
	}
	for _, l := range triage.SeverityLabels {
		names = append(names, "policy_"+l)
	}
	return names
}

// inputs turns a vector and the policy's label into the model's raw
// inputs: counts compressed (log), booleans kept, the policy one-hot.
func inputs(vector []float64, policy string) []float64 {
	x := make([]float64, 0, len(vector)+len(triage.SeverityLabels))
	for _, v := range vector {
		x = append(x, math.Copysign(math.Log1p(math.Abs(v)), v))
	}
	for _, l := range triage.SeverityLabels {
		x = append(x, b2f(l == policy))
	}
	return x
}

// TrainOptions set the fit; zero values take defaults.
type TrainOptions struct {
	L2         float64 // weight decay (default 0.01)
	Iterations int     // full-batch gradient steps (default 1500)
	Rate       float64 // step size (default 0.5)
}

// Train fits a model on examples by full-batch gradient descent on the
// L2-regularized cross-entropy. Deterministic: same examples, same weights.
func Train(examples []Example, opt TrainOptions) (*Model, error) {
	if len(examples) == 0 {
		return nil, errors.New("rules: no examples to train on")
	}
	if opt.L2 <= 0 {
		opt.L2 = 0.01
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 1500
	}
	if opt.Rate <= 0 {
		opt.Rate = 0.5
	}
	labels := triage.SeverityLabels
	m := &Model{Version: modelVersion, Labels: slices.Clone(labels), Inputs: modelInputs()}
	n, d := len(examples), len(m.Inputs)
	xs := make([][]float64, n)
	ys := make([]int, n)
	for i, e := range examples {
		if len(e.Vector) != len(Features) {
			return nil, fmt.Errorf("rules: example %d has %d features, want %d", i, len(e.Vector), len(Features))
		}
		xs[i] = inputs(e.Vector, e.Policy)
		if ys[i] = slices.Index(labels, e.Gold); ys[i] < 0 {
			return nil, fmt.Errorf("rules: example %d: unknown label %q", i, e.Gold)
		}
	}
	m.Mean, m.Scale = make([]float64, d), make([]float64, d)
	for j := 0; j < d; j++ {
		for i := range xs {
			m.Mean[j] += xs[i][j]
		}
		m.Mean[j] /= float64(n)
		for i := range xs {
			m.Scale[j] += (xs[i][j] - m.Mean[j]) * (xs[i][j] - m.Mean[j])
		}
		m.Scale[j] = math.Sqrt(m.Scale[j] / float64(n))
		if m.Scale[j] < 1e-9 {
			m.Scale[j] = 1 // constant in training: contributes nothing
		}
	}
	z := make([][]float64, n)
	for i := range xs {
		z[i] = m.standardize(xs[i])
	}
	k := len(labels)
	m.Weights = make([][]float64, k)
	for c := range m.Weights {
		m.Weights[c] = make([]float64, d+1)
	}
	grad := make([][]float64, k)
	for c := range grad {
		grad[c] = make([]float64, d+1)
	}
	p := make([]float64, k)
	for it := 0; it < opt.Iterations; it++ {
		for c := range grad {
			clear(grad[c])
		}
		for i := range z {
			m.probs(z[i], p)
			for c := 0; c < k; c++ {
				g := p[c] - b2f(c == ys[i])
				grad[c][0] += g
				for j, v := range z[i] {
					grad[c][j+1] += g * v
				}
			}
		}
		for c := 0; c < k; c++ {
			for j := range m.Weights[c] {
				reg := 0.0
				if j > 0 {
					reg = opt.L2 * m.Weights[c][j]
				}
				m.Weights[c][j] -= opt.Rate * (grad[c][j]/float64(n) + reg)
			}
		}
	}
	return m, nil
}

// modelVersion is the file format (and feature set) version: a model file
// of another version is refused rather than read with shifted columns.
const modelVersion = "1"

func (m *Model) standardize(x []float64) []float64 {
	z := make([]float64, len(x))
	for j, v := range x {
		z[j] = (v - m.Mean[j]) / m.Scale[j]
	}
	return z
}

// probs fills p with the class probabilities of standardized inputs z.
func (m *Model) probs(z []float64, p []float64) {
	top := math.Inf(-1)
	for c, w := range m.Weights {
		s := w[0]
		for j, v := range z {
			s += w[j+1] * v
		}
		p[c] = s
		top = max(top, s)
	}
	sum := 0.0
	for c := range p {
		p[c] = math.Exp(p[c] - top)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}

// Predict is the most likely label and its probability.
func (m *Model) Predict(vector []float64, policy string) (string, float64) {
	p := make([]float64, len(m.Labels))
	m.probs(m.standardize(inputs(vector, policy)), p)
	best := 0
	for c := range p {
		if p[c] > p[best] {
			best = c
		}
	}
	return m.Labels[best], p[best]
}

// Severity implements Scorer.
func (m *Model) Severity(ev *Evidence, row *Row) (string, string) {
	label, p := m.Predict(ev.Vector(), row.Label)
	why := fmt.Sprintf("learned scorer v%s: %s (p=%.2f); the policy said %s: %s", m.Version, label, p, row.Label, row.reason(ev))
	return label, why
}

// ParseModel reads a model file and checks it fits this build's features.
func ParseModel(b []byte) (*Model, error) {
	m := &Model{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("rules: model: %w", err)
	}
	want := modelInputs()
	switch {
	case m.Version != modelVersion:
		return nil, fmt.Errorf("rules: model version %q, this build reads %q (re-train with logtriage train)", m.Version, modelVersion)
	case !slices.Equal(m.Inputs, want):
		return nil, fmt.Errorf("rules: model inputs differ from this build's features (re-train with logtriage train)")
	case !slices.Equal(m.Labels, triage.SeverityLabels):
		return nil, fmt.Errorf("rules: model labels %v, want %v", m.Labels, triage.SeverityLabels)
	case len(m.Mean) != len(want) || len(m.Scale) != len(want) || len(m.Weights) != len(m.Labels):
		return nil, fmt.Errorf("rules: model shape does not match its inputs")
	}
	for _, w := range m.Weights {
		if len(w) != len(want)+1 {
			return nil, fmt.Errorf("rules: model shape does not match its inputs")
		}
	}
	return m, nil
}

// Marshal is the model file.
func (m *Model) Marshal() ([]byte, error) { return json.MarshalIndent(m, "", " ") }

//go:embed model.json
var shippedModel []byte

// ShippedModel is the weights file that ships (model.json, written by
// `logtriage train` over every labelled set). The rules use it only when
// Options.Scorer is set to it: the CV in docs/eval.md decides which ships.
func ShippedModel() (*Model, error) { return ParseModel(shippedModel) }
