package rules

import (
	"strings"
	"testing"
)

// Every row of the shipped policy is reachable: for each, evidence of the
// shape the row describes is decided by that row and no earlier one.
func TestPolicyRowsReachable(t *testing.T) {
	sec := func(e Evidence) Evidence { e.Role, e.Category, e.Lines = RoleSecurity, "security", 50; return e }
	hard := func(n int) Evidence {
		return Evidence{Lines: 20, Errors: n, Failing: n, FailingErrors: n, Hard: n, HardRaw: n, PIIRisk: "none"}
	}
	with := func(e Evidence, f func(*Evidence)) Evidence { f(&e); return e }
	cases := map[string]Evidence{
		"security-scan-only":            sec(Evidence{Scan: true, Errors: 9, PIIRisk: "none"}),
		"signal-critical":               {Lines: 10, Signals: []string{"outage"}, SignalFloor: "critical"},
		"everything-failing":            with(hard(2), func(e *Evidence) { e.Total = true }),
		"security-breach-data-out":      sec(Evidence{Privilege: true, DataOut: true}),
		"security-breach-cover":         sec(Evidence{Privilege: true, Evasion: true}),
		"security-login-after-attack":   sec(Evidence{Attack: true, LoginAfterAttack: true}),
		"security-alert-severe":         sec(Evidence{AlertLevel: 15}),
		"signal-high":                   {Lines: 10, Signals: []string{"panic"}, SignalFloor: "high"},
		"oom-loop":                      {Lines: 10, Signals: []string{"oom"}, SignalFloor: "medium", RestartLoop: true},
		"fatal-lines":                   {Lines: 10, Fatal: 1},
		"contained":                     with(hard(3), func(e *Evidence) { e.Contained = true }),
		"hard-sustained":                hard(3),
		"hard-reaches-users":            with(hard(1), func(e *Evidence) { e.Impact, e.Lines = true, 500 }),
		"retried-reaches-users":         {Lines: 500, Errors: 1, Failing: 1, FailingErrors: 1, Soft: 1, Impact: true},
		"errors-everything-failing":     {Lines: 500, Errors: 1, Failing: 1, FailingErrors: 1, Total: true},
		"errors-sustained":              {Lines: 100, Errors: 6},
		"errors-and-warnings-sustained": {Lines: 100, Errors: 2, Warns: 6},
		"pii-high":                      {Lines: 10, PIIRisk: "high", Secret: true},
		"security-cover":                sec(Evidence{Public: true}),
		"security-privilege":            sec(Evidence{Privilege: true}),
		"security-exposed":              sec(Evidence{Exposed: true}),
		"security-alert-high":           sec(Evidence{AlertLevel: 12}),
		"startup-noise":                 {Lines: 20, Warns: 2, Failing: 2, Minor: 2, StartupOnly: true},
		"signal-contained":              {Lines: 10, Signals: []string{"oom"}, SignalFloor: "medium"},
		"renewal-failing":               with(hard(1), func(e *Evidence) { e.Renewals, e.CertStillValid = 1, true }),
		"timeouts-only":                 {Lines: 100, Errors: 2, Failing: 2, FailingErrors: 2, Soft: 2, Timeouts: 2},
		"errors":                        {Lines: 100, Errors: 1},
		"warning-trend":                 {Lines: 100, Warns: 3, WarnRepeat: 2},
		"hard-unhandled":                {Lines: 100, Warns: 1, Failing: 1, Hard: 1, HardRaw: 1},
		"secret-exposed":                {Lines: 10, PIIRisk: "low", Secret: true},
		"security-attack":               sec(Evidence{Attack: true}),
		"security-alert-priority1":      sec(Evidence{AlertPriority1: true}),
		"security-events":               sec(Evidence{}),
		"handled":                       {Lines: 100, Warns: 2, Failing: 2, Minor: 2},
		"warnings":                      {Lines: 100, Warns: 1},
		"nothing-failing":               {Lines: 100},
	}
	for _, row := range DefaultPolicy.Rows {
		ev, ok := cases[row.ID]
		if !ok {
			t.Errorf("row %s: no test evidence reaches it", row.ID)
			continue
		}
		if ev.PIIRisk == "" {
			ev.PIIRisk = "none"
		}
		if got := DefaultPolicy.Decide(ev.Vector()); got.ID != row.ID {
			t.Errorf("evidence for %s is decided by %s", row.ID, got.ID)
		}
		delete(cases, row.ID)
	}
	for id := range cases {
		t.Errorf("test evidence for %s, which is not a row", id)
	}
}

func TestParsePolicyRejects(t *testing.T) {
	for name, body := range map[string]string{
		"unknown feature":    `{"rows":[{"id":"a","when":["no_such_feature"],"label":"high","reason":"x"},{"id":"z","when":[],"label":"info","reason":"x"}]}`,
		"unknown label":      `{"rows":[{"id":"a","when":["fatal_lines>0"],"label":"urgent","reason":"x"},{"id":"z","when":[],"label":"info","reason":"x"}]}`,
		"conditional last":   `{"rows":[{"id":"a","when":["fatal_lines>0"],"label":"high","reason":"x"}]}`,
		"repeated id":        `{"rows":[{"id":"a","when":["fatal_lines>0"],"label":"high","reason":"x"},{"id":"a","when":[],"label":"info","reason":"x"}]}`,
		"negated comparison": `{"rows":[{"id":"a","when":["!fatal_lines>0"],"label":"high","reason":"x"},{"id":"z","when":[],"label":"info","reason":"x"}]}`,
		"empty":              `{"rows":[]}`,
	} {
		if _, err := ParsePolicy([]byte(body)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestRowReasonFillsFeatures(t *testing.T) {
	r := &Row{Reason: "{error_lines} error line(s), {nope}"}
	if got := r.reason(&Evidence{Errors: 7}); got != "7 error line(s), {nope}" {
		t.Errorf("reason = %q", got)
	}
}

// The learned scorer learns a rule the policy does not know: fatal lines
// in a short log are critical in this made-up training set.
func TestTrainLearnsAndRoundTrips(t *testing.T) {
	var examples []Example
	for i := 0; i < 40; i++ {
		ev := Evidence{Lines: 10 + i, Fatal: 1 + i%3, PIIRisk: "none"}
		examples = append(examples, Example{Vector: ev.Vector(), Policy: "high", Gold: "critical"})
		quiet := Evidence{Lines: 10 + i, Warns: i % 2, PIIRisk: "none"}
		examples = append(examples, Example{Vector: quiet.Vector(), Policy: "low", Gold: "info"})
	}
	m, err := Train(examples, TrainOptions{Iterations: 300})
	if err != nil {
		t.Fatal(err)
	}
	ev := Evidence{Lines: 15, Fatal: 2, PIIRisk: "none"}
	if label, _ := m.Predict(ev.Vector(), "high"); label != "critical" {
		t.Errorf("fatal lines predicted %s, want critical", label)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := back.Predict(ev.Vector(), "high"); a != "critical" {
		t.Errorf("round-tripped model predicts %s", a)
	}
	stale := strings.Replace(string(b), `"version": "1"`, `"version": "0"`, 1)
	if _, err := ParseModel([]byte(stale)); err == nil {
		t.Error("a model of another version was read")
	}
	if _, err := Train(nil, TrainOptions{}); err == nil {
		t.Error("trained on nothing")
	}
}

// The shipped weights file fits this build's features (re-run logtriage
// train when the features change).
func TestShippedModelLoads(t *testing.T) {
	if _, err := ShippedModel(); err != nil {
		t.Fatal(err)
	}
}
