package triage

import (
	"fmt"
	"github.com/logtriage/logtriage/triage/vocab"
	"math"
	"sort"
	"strings"

	"github.com/logtriage/logtriage/detectors"
)

// Evidence is what the whole log shows, independent of any classifier.
type Evidence struct {
	Lines, Fatal, Errors, Warns int
	StackTraces                 int
	Signals                     []SignalCount
	// HardFailures are failing lines whose wording says something is down,
	// refused, denied, expired or crashed (not retried, not instructions).
	HardFailures int
}

// evidenceTemplates bounds the templates read for hard failures; failing
// templates sort first, so the bound drops only routine ones.
const evidenceTemplates = 200

// EvidenceOf collects the evidence of an analysis; rules read the failing
// templates for hard failures.
func EvidenceOf(a *Analysis, rules Rules) Evidence {
	return Evidence{
		Lines: a.Lines, Fatal: a.LevelCounts[LevelFatal], Errors: a.LevelCounts[LevelError],
		Warns: a.LevelCounts[LevelWarn], StackTraces: a.StackTraces, Signals: a.Signals,
		HardFailures: rules.HardFailures(a.Templates[:min(len(a.Templates), evidenceTemplates)]),
	}
}

// severityBands are the score ranges of each label.
var severityBands = map[string][2]float64{
	"critical": {85, 100},
	"high":     {65, 84},
	"medium":   {40, 64},
	"low":      {15, 39},
	"info":     {0, 14},
}

// ScoreSeverity turns a classifier's label into a 0..100 score with reasons.
// Hard evidence sets a floor the label cannot go under: a log with a fatal
// signature is at least high whatever a classifier (or the log's own text)
// says; an unknown label is replaced by the evidence's.
func ScoreSeverity(label string, ev Evidence) Score {
	var reasons []string
	floor, why := "info", ""
	for _, s := range ev.Signals {
		// A classifier may rank an outage below critical, never a crash below its floor.
		f := SignalFloor(s)
		if f == "critical" {
			f = "high"
		}
		if SeverityIndex(f) < SeverityIndex(floor) {
			floor, why = f, "fatal signature ("+s.Reason+")"
		}
	}
	switch {
	case ev.Fatal > 0 && SeverityIndex("high") < SeverityIndex(floor):
		floor, why = "high", fmt.Sprintf("%d fatal line(s)", ev.Fatal)
	case ev.HardFailures > 0 && SeverityIndex("medium") < SeverityIndex(floor):
		// However a classifier (or text planted in the log) words it, a
		// dependency reported down or refusing is not a low-priority case.
		floor, why = "medium", fmt.Sprintf("%d line(s) reporting a hard failure", ev.HardFailures)
	case ev.Errors > 0 && SeverityIndex("low") < SeverityIndex(floor):
		floor, why = "low", fmt.Sprintf("%d error line(s)", ev.Errors)
	}
	if _, ok := severityBands[label]; !ok {
		reasons = append(reasons, fmt.Sprintf("classifier severity %q is not a severity; using the evidence", label))
		label = floor
	}
	if SeverityIndex(label) > SeverityIndex(floor) {
		reasons = append(reasons, fmt.Sprintf("raised from %s to %s: %s", label, floor, why))
		label = floor
	}
	reasons = append(reasons, "severity "+label)

	// Place the score inside the label's band by how strong the evidence is.
	rate := float64(ev.Fatal+ev.Errors) / float64(max(ev.Lines, 1))
	strength := 0.0
	strength += math.Min(rate/0.25, 1) * 0.4 // a quarter of the lines failing is as bad as it gets
	strength += math.Min(math.Log10(float64(ev.Fatal+ev.Errors+1))/3, 1) * 0.3
	if len(ev.Signals) > 0 {
		strength += 0.2
	}
	if ev.StackTraces > 0 {
		strength += 0.1
	}
	band := severityBands[label]
	score := math.Round(band[0] + strength*(band[1]-band[0]))
	if ev.Fatal+ev.Errors > 0 {
		reasons = append(reasons, fmt.Sprintf("%d error/fatal line(s) of %d (%.1f%%)", ev.Fatal+ev.Errors, ev.Lines, 100*rate))
	}
	for _, s := range ev.Signals {
		reasons = append(reasons, fmt.Sprintf("%s ×%d, first at line %d", s.Reason, s.Count, s.FirstLine))
	}
	if ev.StackTraces > 0 {
		reasons = append(reasons, fmt.Sprintf("%d stack trace(s)", ev.StackTraces))
	}
	return Score{Label: label, Score: score, Reasons: reasons}
}

// SeverityIndex is the position of label on SeverityLabels (0 critical);
// an unknown label sorts after info.
func SeverityIndex(label string) int {
	for i, l := range SeverityLabels {
		if l == label {
			return i
		}
	}
	return len(SeverityLabels)
}

// piiWeights is the risk of one exposed value of a type: live credentials
// that open cloud accounts first, personal data below secrets.
var piiWeights = map[string]float64{
	detectors.TypePrivateKey:     60,
	detectors.TypeAWSSecretKey:   55,
	detectors.TypeGCPServiceAcct: 55,
	detectors.TypeAzureStorage:   50,
	detectors.TypeStripeKey:      45,
	detectors.TypeAWSAccessKeyID: 40,
	detectors.TypeGCPAPIKey:      40,
	detectors.TypeGitHubToken:    40,
	detectors.TypeGitLabToken:    40,
	detectors.TypeOpenAIKey:      40,
	detectors.TypeAnthropicKey:   40,
	detectors.TypeSlackToken:     35,
	detectors.TypeSendGridKey:    35,
	detectors.TypeNPMToken:       35,
	detectors.TypeURLCredentials: 35,
	detectors.TypeSlackWebhook:   30,
	detectors.TypePassword:       30,
	detectors.TypeBasicAuth:      30,
	detectors.TypeBearerToken:    25,
	detectors.TypeJWT:            20,
	detectors.TypeSessionToken:   20,
	detectors.TypeGenericSecret:  20,
	detectors.TypeCreditCard:     25,
	detectors.TypeUSSSN:          25,
	detectors.TypeIBAN:           15,
	detectors.TypeEmail:          5,
	detectors.TypePhone:          4,
	detectors.TypePersonName:     4,
	detectors.TypeStreetAddress:  4,
	detectors.TypeIPAddress:      1,
}

// PIIWeight is the risk weight of one value of a finding type.
func PIIWeight(typ, category string) float64 {
	if w, ok := piiWeights[typ]; ok {
		return w
	}
	if category == string(detectors.CategorySecret) {
		return 20
	}
	return 5
}

// ScorePIIRisk scores exposure: each type contributes its weight, grown by
// the number of distinct values (fingerprints) and, less, by the count;
// contributions combine like independent risks so the score saturates at 100.
func ScorePIIRisk(findings []FindingSummary) Score {
	type part struct {
		reason string
		c      float64
	}
	var parts []part
	keep := 1.0
	for _, f := range findings {
		if f.Count == 0 {
			continue
		}
		distinct := max(f.Distinct, len(f.Fingerprints), 1)
		w := PIIWeight(f.Type, f.Category)
		c := w * (1 + 0.5*math.Log2(float64(distinct))) * (1 + 0.1*math.Log10(float64(f.Count)))
		c = math.Min(c, 95)
		keep *= 1 - c/100
		parts = append(parts, part{fmt.Sprintf("%s %s ×%d (%d distinct): +%.0f", f.Category, f.Type, f.Count, distinct, c), c})
	}
	score := math.Round(100 * (1 - keep))
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].c > parts[j].c })
	reasons := []string{}
	for _, p := range parts {
		reasons = append(reasons, p.reason)
	}
	label := "none"
	switch {
	case score >= 70:
		label = "high"
	case score >= 40:
		label = "medium"
	case score > 0:
		label = "low"
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "no PII or secrets found")
	}
	return Score{Label: label, Score: score, Reasons: reasons}
}

// criticalSignals mean an outage, lost data or an intruder; the others mean
// a crash. An OOM kill alone is a kill the orchestrator recovers from; the
// rules raise it when the log shows a restart loop.
var criticalSignals = map[string]bool{"kernel_panic": true, "data_loss": true, "outage": true, "compromise": true}

// SignalFloor is the least severity a fatal signature allows.
func SignalFloor(s SignalCount) string {
	switch {
	case s.Name == "data_loss" && handledInput.MatchString(strings.ToLower(s.Example)):
		// "skipping corrupt record", "1 image skipped (corrupt EXIF)": bad
		// input the program set aside, not lost or corrupted data of its own.
		return "medium"
	case criticalSignals[s.Name]:
		return "critical"
	case s.Name == "oom" && (s.Count == 1 || oomKill.MatchString(strings.ToLower(s.Example))):
		// One out-of-memory error is a blip; a process killed for memory
		// is restarted, and the rules raise a restart loop (counting lines
		// cannot tell: one kill is often written twice, by the kernel and
		// the kubelet, a loop once, as "Restart Count: 18").
		return "medium"
	}
	return "high"
}

// oomKill: the kernel or the orchestrator killed a process for memory.
var oomKill = vocab.Default().Pattern("oom_kill")

// handledInput: the line says bad input was set aside.
var handledInput = vocab.Default().Pattern("handled_input")
