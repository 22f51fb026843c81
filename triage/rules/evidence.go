package rules

import (
	"context"
	"math"
	"slices"

	"github.com/logtriage/logtriage/triage"
)

// Evidence is what the rules read from a log before judging it: counts,
// what the failing lines say broke (the failure kind), how (retried,
// handled, healed, reaching users, total), the fatal signals, the security
// readings and the category the failing lines point at with its role in
// the routing config. It is a plain value: the severity policy, the learned
// scorer, the signature and other tools read it the same way.
type Evidence struct {
	Lines, Fatal, Errors, Warns, StackTraces int
	// WarnRepeat is how often the most repeated warning occurred.
	WarnRepeat int
	// Signals are the fatal signals seen, by name; SignalFloor is the
	// least severity they allow ("" without any).
	Signals     []string
	SignalFloor string
	// Kind is the hard failure kind most failing lines report ("" when
	// none does); the counts below are failing lines by what they say.
	Kind                                string
	Failing, FailingErrors              int
	Hard, HardRaw, Soft, Minor          int // Hard leaves out rejected credentials on a security case
	Retried, Timeouts, Probes, Renewals int
	Recovered, Healed, Impact, Total    bool
	LastFailing                         int  // the line of the last failing line
	RestartLoop                         bool // a process keeps being restarted (Restart Count: 18, back-off restarting)
	Contained                           bool // redundancy is taking over (a failover that worked, a hot spare, pods rescheduled) and is not exhausted
	CertStillValid                      bool
	StartupOnly                         bool   // every failing line is start-up noise before the program reported itself up
	Category                            string // the category the failing lines point at (before an info verdict sends the case to the catch-all)
	Role                                Role   // that category's role in the routing config
	Scan, Attack, Privilege, Exposed    bool   // security readings, on security cases
	DataOut, Evasion, Public            bool
	AlertLevel                          int // a detector's own alert level (Wazuh scale), 0 when none
	AlertPriority1                      bool
	LoginAfterAttack                    bool   // security: a password login went through in a log of attacks
	PIIRisk                             string // none, low, medium, high
	Secret                              bool   // a credential, card number or SSN is in the log
}

// Role is what a category is for, as the routing config declares it.
type Role string

// Category roles. A category without a declared role is a system the
// failing lines name (a database, a payment provider, ...).
const (
	RoleSystem    Role = "system"
	RoleSecurity  Role = "security"
	RoleTransport Role = "transport"
	RoleCatchAll  Role = "catch-all"
)

// Thresholds of the evidence's derived features.
const (
	highErrorLines = 5 // sustained errors, not a blip
	mediumWarnings = 3 // a trend of warnings, not a single one
	// In a long log a handful of errors is background noise: sustained
	// means at least this share of the lines, or manyErrorLines outright.
	sustainedRate  = 0.01
	manyErrorLines = 50
)

// sustained: n failing lines are not a blip for a log of this length.
func (e *Evidence) sustained(n int) bool {
	return n >= manyErrorLines || float64(n) >= sustainedRate*float64(e.Lines)
}

// hasSignal reports whether the named fatal signal was seen.
func (e *Evidence) hasSignal(name string) bool { return slices.Contains(e.Signals, name) }

// Feature is one named number the severity policy and the learned scorer
// read from Evidence; booleans are 0 or 1.
type Feature struct {
	Name  string
	About string
	value func(e *Evidence) float64
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Features are the named evidence features, in a fixed order (the learned
// scorer's weights follow it).
var Features = []Feature{
	{"signal_critical", "a fatal signal that means an outage, lost data or an intruder", func(e *Evidence) float64 { return b2f(e.SignalFloor == "critical") }},
	{"signal_high", "a fatal signal that means a crash", func(e *Evidence) float64 { return b2f(e.SignalFloor == "high") }},
	{"signal_medium", "a fatal signal that recovered or was contained (one OOM kill, bad input set aside)", func(e *Evidence) float64 { return b2f(e.SignalFloor == "medium") }},
	{"any_signal", "any fatal signal", func(e *Evidence) float64 { return b2f(len(e.Signals) > 0) }},
	{"fatal_lines", "lines at fatal level", func(e *Evidence) float64 { return float64(e.Fatal) }},
	{"error_lines", "lines at error level", func(e *Evidence) float64 { return float64(e.Errors) }},
	{"warn_lines", "lines at warning level", func(e *Evidence) float64 { return float64(e.Warns) }},
	{"stack_traces", "stack traces", func(e *Evidence) float64 { return float64(e.StackTraces) }},
	{"log_lines", "log10 of the log's lines", func(e *Evidence) float64 { return log10p(e.Lines) }},
	{"error_rate", "share of lines at error or fatal level", func(e *Evidence) float64 {
		return float64(e.Errors+e.Fatal) / float64(max(e.Lines, 1))
	}},
	{"sustained_errors", "at least 5 error lines, and not lost in a long log", func(e *Evidence) float64 {
		return b2f(e.Errors >= highErrorLines && e.sustained(e.Errors))
	}},
	{"sustained_errors_warnings", "errors with warnings, 8 or more together, and not lost in a long log", func(e *Evidence) float64 {
		return b2f(e.Errors > 0 && e.Errors+e.Warns >= highErrorLines+mediumWarnings && e.sustained(e.Errors+e.Warns))
	}},
	{"warning_trend", "3 or more warnings that recur or report failures", func(e *Evidence) float64 {
		return b2f(e.Warns >= mediumWarnings && (e.WarnRepeat > 1 || e.HardRaw+e.Soft > 0))
	}},
	{"failing_lines", "failing lines the kinds looked at", func(e *Evidence) float64 { return float64(e.Failing) }},
	{"failing_errors", "of them at error or fatal level", func(e *Evidence) float64 { return float64(e.FailingErrors) }},
	{"hard_lines", "failing lines of a hard kind (down, refused, denied, expired, crashed)", func(e *Evidence) float64 { return float64(e.Hard) }},
	{"hard_lines_raw", "hard lines counting rejected credentials on a security case", func(e *Evidence) float64 { return float64(e.HardRaw) }},
	{"soft_lines", "failing lines of a soft kind (slow, retried, throttled)", func(e *Evidence) float64 { return float64(e.Soft) }},
	{"minor_lines", "failing lines of a routine kind (declines, deprecations, 404s)", func(e *Evidence) float64 { return float64(e.Minor) }},
	{"retried_lines", "hard failures the line says are retried", func(e *Evidence) float64 { return float64(e.Retried) }},
	{"sustained_hard", "hard failures seen twice (three times in warnings alone) and not lost in a long log", func(e *Evidence) float64 {
		return b2f((e.Hard >= 2 && e.FailingErrors > 0 || e.Hard >= 3) && (e.Hard >= manyErrorLines/2 || float64(e.Hard) >= sustainedRate*float64(e.Lines)))
	}},
	{"soft_only", "every failing line a timeout or retry, reaching no one", func(e *Evidence) float64 {
		return b2f(e.HardRaw == 0 && e.Soft > 0 && e.Timeouts == e.Soft && !e.Impact && !e.Total && len(e.Signals) == 0)
	}},
	{"failures_end_early", "every failing line is in the first half of the log: the rest runs normally", func(e *Evidence) float64 {
		return b2f(e.Failing > 0 && e.LastFailing*2 <= e.Lines)
	}},
	{"oom", "an out-of-memory kill", func(e *Evidence) float64 { return b2f(e.hasSignal("oom")) }},
	{"restart_loop", "a process keeps being restarted", func(e *Evidence) float64 { return b2f(e.RestartLoop) }},
	{"contained", "redundancy is taking over and is not exhausted", func(e *Evidence) float64 { return b2f(e.Contained) }},
	{"impact", "the failure reaches users or the business", func(e *Evidence) float64 { return b2f(e.Impact) }},
	{"total", "everything is failing", func(e *Evidence) float64 { return b2f(e.Total) }},
	{"recovered", "the log shows the failure recovering", func(e *Evidence) float64 { return b2f(e.Recovered) }},
	{"healed", "the failing operations go through after the last failure", func(e *Evidence) float64 { return b2f(e.Healed) }},
	{"probes_only", "every failing line a start-up probe, then healthy", func(e *Evidence) float64 { return b2f(e.Failing > 0 && e.Probes == e.Failing) }},
	{"startup_only", "every failing line a warning the program got past while starting: none slow or retried, any hard one recovered, then it reported itself up", func(e *Evidence) float64 { return b2f(e.StartupOnly) }},
	{"quiet_warnings", "no errors, and the few warnings name no failure", func(e *Evidence) float64 {
		return b2f(e.Failing > 0 && e.FailingErrors == 0 && e.Hard+e.Soft+e.Minor+e.Retried == 0 && e.Failing*10 <= e.Lines)
	}},
	{"minor_only", "every failing line routine", func(e *Evidence) float64 { return b2f(e.Failing > 0 && e.Minor == e.Failing) }},
	{"renewal_only", "hard failures that are all a certificate renewal, the certificate in use still valid, reaching no one", func(e *Evidence) float64 {
		return b2f(e.Hard > 0 && e.Renewals == e.Hard && e.CertStillValid && !e.Impact)
	}},
	{"healed_clean", "healed, and the failures were start-up probes or warnings naming no failure", func(e *Evidence) float64 { return b2f(e.healedClean()) }},
	{"handled", "the failure kinds say the failures were handled: healed, routine, or a blip that recovered", func(e *Evidence) float64 { return b2f(e.handled()) }},
	{"routine", "handled, with no fatal signal or fatal line", func(e *Evidence) float64 {
		return b2f(e.handled() && len(e.Signals) == 0 && e.Fatal == 0)
	}},
	{"secret", "a credential, card number or SSN is in the log", func(e *Evidence) float64 { return b2f(e.Secret) }},
	{"security", "the failing lines point at the security category", func(e *Evidence) float64 { return b2f(e.Role == RoleSecurity) }},
	{"transport", "the failing lines point at the transport category", func(e *Evidence) float64 { return b2f(e.Role == RoleTransport) }},
	{"catch_all", "the failing lines point at no system (the catch-all category)", func(e *Evidence) float64 { return b2f(e.Role == RoleCatchAll) }},
	{"scan", "security: scans or denials blocked or only logged", func(e *Evidence) float64 { return b2f(e.Scan) }},
	{"attack", "security: attacks against the application", func(e *Evidence) float64 { return b2f(e.Attack) }},
	{"privilege", "security: a privileged action by an unexpected party", func(e *Evidence) float64 { return b2f(e.Privilege) }},
	{"exposed", "security: credentials exposed", func(e *Evidence) float64 { return b2f(e.Exposed) }},
	{"data_out", "security: data taken out", func(e *Evidence) float64 { return b2f(e.DataOut) }},
	{"login_after_attack", "security: a password login went through in a log of password guessing or other attacks", func(e *Evidence) float64 { return b2f(e.LoginAfterAttack) }},
	{"evasion_or_public", "security: the audit trail stopped or data opened to the world", func(e *Evidence) float64 { return b2f(e.Evasion || e.Public) }},
	{"alert_level", "a detector's own alert level (Wazuh scale)", func(e *Evidence) float64 { return float64(e.AlertLevel) }},
	{"alert_priority1", "a detector's priority-1 signature", func(e *Evidence) float64 { return b2f(e.AlertPriority1) }},
	{"pii_high", "PII risk high, or medium with a secret", func(e *Evidence) float64 {
		return b2f(e.PIIRisk == "high" || e.PIIRisk == "medium" && e.Secret)
	}},
	{"secret_exposed", "a secret, card number or SSN in the log", func(e *Evidence) float64 { return b2f(e.PIIRisk != "none" && e.Secret) }},
}

// featureIndex finds a feature by name.
var featureIndex = func() map[string]int {
	m := make(map[string]int, len(Features))
	for i, f := range Features {
		m[f.Name] = i
	}
	return m
}()

// Vector is the evidence as its features, in Features order.
func (e *Evidence) Vector() []float64 {
	v := make([]float64, len(Features))
	for i, f := range Features {
		v[i] = f.value(e)
	}
	return v
}

// Feature is the value of the named feature; ok is false for an unknown name.
func (e *Evidence) Feature(name string) (float64, bool) {
	i, ok := featureIndex[name]
	if !ok {
		return 0, false
	}
	return Features[i].value(e), true
}

func log10p(n int) float64 { return math.Log10(1 + float64(n)) }

// healedClean: healed, and what failed was a start-up probe or warnings
// that name no failure.
func (e *Evidence) healedClean() bool {
	probesOnly := e.Failing > 0 && e.Probes == e.Failing
	quiet := e.Failing > 0 && e.FailingErrors == 0 && e.Hard+e.Soft+e.Minor+e.Retried == 0 && e.Failing*10 <= e.Lines
	return e.Healed && (probesOnly || quiet)
}

// handled: the failure kinds read the failures as handled — healed (and
// small), all routine, or a blip of errors the log shows recovering — and
// not as a certificate renewal failing under a valid certificate.
func (e *Evidence) handled() bool {
	if e.Hard > 0 && e.Renewals == e.Hard && e.CertStillValid && !e.Impact {
		return false
	}
	return e.healedClean() ||
		e.Healed && !e.Impact && e.Hard <= 3 ||
		e.Failing > 0 && e.Minor == e.Failing ||
		e.Hard == 0 && e.Recovered && e.FailingErrors > 0 && e.FailingErrors <= 2 && !e.Impact
}

var _ triage.EvidenceReader = (*Classifier)(nil)

// IncidentEvidence implements triage.EvidenceReader; Classify also returns
// it (Classification.Evidence), from the reading it has already done.
func (c *Classifier) IncidentEvidence(in triage.ClassifyInput) triage.IncidentEvidence {
	cls, _ := c.Classify(context.Background(), in) // the rules never fail
	return cls.Evidence
}

// incidentEvidence names what broke for the signature: the failure kind
// (the hard kind most failing lines report, else timeouts and retries when
// those are what fails), the category the failing lines' words name (the
// role of what is failing), and the category chosen from all the evidence.
func incidentEvidence(ev *Evidence, category string) triage.IncidentEvidence {
	kind := ev.Kind
	if kind == "" && ev.Timeouts > 0 {
		kind = timeoutsKind
	}
	return triage.IncidentEvidence{FailureKind: kind, Role: ev.Category, Category: category}
}
