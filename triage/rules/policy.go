package rules

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/logtriage/logtriage/triage"
)

// Row is one line of the severity policy: when every condition holds, the
// severity is Label because of Reason. Cases are the ids of the labelled
// eval cases this row decides and whose label agrees: the evidence for it.
type Row struct {
	ID     string   `json:"id"`
	When   []string `json:"when"`
	Label  string   `json:"label"`
	Reason string   `json:"reason"`
	Cases  []string `json:"cases"`
	conds  []condition
}

// Policy is the severity policy: rows in order, most severe label first;
// the first row whose conditions hold decides. The last row has no
// conditions.
type Policy struct {
	Version string `json:"version"`
	About   string `json:"about"`
	Rows    []Row  `json:"rows"`
}

// condition is one clause of a row: any of its atoms holds ("a|b>=2").
type condition []atom

// atom compares a feature with a number; a bare name means "not zero",
// "!name" means zero.
type atom struct {
	feature int
	op      string
	value   float64
}

var atomRe = regexp.MustCompile(`^(!?)([a-z_0-9]+)(?:(>=|<=|==|>|<)(-?[0-9.]+))?$`)

func parseCondition(s string) (condition, error) {
	var c condition
	for _, part := range strings.Split(s, "|") {
		m := atomRe.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			return nil, fmt.Errorf("condition %q: not name, !name or name<op>number", s)
		}
		i, ok := featureIndex[m[2]]
		if !ok {
			return nil, fmt.Errorf("condition %q: unknown feature %q", s, m[2])
		}
		a := atom{feature: i, op: "!=", value: 0}
		switch {
		case m[1] == "!" && m[3] != "":
			return nil, fmt.Errorf("condition %q: negate a bare name only", s)
		case m[1] == "!":
			a.op = "=="
		case m[3] != "":
			a.op = m[3]
			if a.value, ok = parseFloat(m[4]); !ok {
				return nil, fmt.Errorf("condition %q: bad number", s)
			}
		}
		c = append(c, a)
	}
	return c, nil
}

func parseFloat(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (a atom) holds(v []float64) bool {
	x := v[a.feature]
	switch a.op {
	case ">=":
		return x >= a.value
	case "<=":
		return x <= a.value
	case ">":
		return x > a.value
	case "<":
		return x < a.value
	case "==":
		return x == a.value
	}
	return x != a.value
}

func (c condition) holds(v []float64) bool {
	for _, a := range c {
		if a.holds(v) {
			return true
		}
	}
	return false
}

// ParsePolicy reads and checks a policy: known features, known labels,
// labels never rising down the table, a last row without conditions.
func ParsePolicy(b []byte) (*Policy, error) {
	p := &Policy{}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("rules: policy: %w", err)
	}
	if len(p.Rows) == 0 {
		return nil, fmt.Errorf("rules: policy has no rows")
	}
	seen := map[string]bool{}
	for i := range p.Rows {
		r := &p.Rows[i]
		if r.ID == "" || seen[r.ID] {
			return nil, fmt.Errorf("rules: policy row %d: missing or repeated id %q", i, r.ID)
		}
		seen[r.ID] = true
		if triage.SeverityIndex(r.Label) >= len(triage.SeverityLabels) {
			return nil, fmt.Errorf("rules: policy row %s: unknown label %q", r.ID, r.Label)
		}
		for _, w := range r.When {
			c, err := parseCondition(w)
			if err != nil {
				return nil, fmt.Errorf("rules: policy row %s: %w", r.ID, err)
			}
			r.conds = append(r.conds, c)
		}
	}
	if last := p.Rows[len(p.Rows)-1]; len(last.When) != 0 {
		return nil, fmt.Errorf("rules: policy's last row %s must have no conditions", last.ID)
	}
	return p, nil
}

// Decide is the first row whose conditions hold for the evidence vector.
func (p *Policy) Decide(v []float64) *Row {
	for i := range p.Rows {
		if p.Rows[i].holds(v) {
			return &p.Rows[i]
		}
	}
	return &p.Rows[len(p.Rows)-1]
}

// Agreeing are the later rows with the deciding row's label that hold too:
// more reasons for the same answer.
func (p *Policy) Agreeing(v []float64, decided *Row) []*Row {
	var out []*Row
	after := false
	for i := range p.Rows {
		r := &p.Rows[i]
		if r == decided {
			after = true
			continue
		}
		if after && r.Label == decided.Label && len(r.conds) > 0 && r.holds(v) {
			out = append(out, r)
		}
	}
	return out
}

func (r *Row) holds(v []float64) bool {
	for _, c := range r.conds {
		if !c.holds(v) {
			return false
		}
	}
	return true
}

//go:embed policy.json
var policyJSON []byte

// DefaultPolicy is the shipped policy (policy.json); TestPolicyRows loads it.
var DefaultPolicy = func() *Policy {
	p, err := ParsePolicy(policyJSON)
	if err != nil {
		panic(err)
	}
	return p
}()

// reason fills a row's {feature} placeholders with the evidence's values.
func (r *Row) reason(e *Evidence) string {
	return placeholderRe.ReplaceAllStringFunc(r.Reason, func(m string) string {
		v, ok := e.Feature(m[1 : len(m)-1])
		if !ok {
			return m
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	})
}

var placeholderRe = regexp.MustCompile(`\{[a-z_0-9]+\}`)
