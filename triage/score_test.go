package triage

import (
	"testing"

	"github.com/logtriage/logtriage/detectors"
)

func TestScoreSeverity(t *testing.T) {
	oom := []SignalCount{{Name: "oom", Reason: "out of memory", Count: 1}}
	tests := []struct {
		name   string
		label  string
		ev     Evidence
		want   string
		minMax [2]float64
	}{
		{"critical band", "critical", Evidence{Lines: 100, Errors: 30, Signals: oom}, "critical", [2]float64{85, 100}},
		{"info band", "info", Evidence{Lines: 100}, "info", [2]float64{0, 14}},
		{"llm says low but OOM", "low", Evidence{Lines: 100, Errors: 1, Signals: oom}, "medium", [2]float64{40, 64}},
		{"llm says low but OOM errors repeat", "low", Evidence{Lines: 100, Errors: 2, Signals: []SignalCount{{Name: "oom", Reason: "out of memory", Count: 2, Example: "java.lang.OutOfMemoryError: Java heap space"}}}, "high", [2]float64{65, 84}},
		{"llm says low but a process was OOM-killed (kernel and kubelet lines)", "low", Evidence{Lines: 100, Errors: 2, Signals: []SignalCount{{Name: "oom", Reason: "out of memory", Count: 2, Example: "Memory cgroup out of memory: Killed process 4412 (java)"}}}, "medium", [2]float64{40, 64}},
		{"llm says low but panic", "low", Evidence{Lines: 100, Errors: 1, Signals: []SignalCount{{Name: "panic", Reason: "process panic", Count: 1}}}, "high", [2]float64{65, 84}},
		{"llm says info but fatal lines", "info", Evidence{Lines: 10, Fatal: 1}, "high", [2]float64{65, 84}},
		{"unknown label uses evidence", "urgent!!", Evidence{Lines: 10, Errors: 2}, "low", [2]float64{15, 39}},
		{"higher label kept", "high", Evidence{Lines: 10, Errors: 1}, "high", [2]float64{65, 84}},
		{"llm says low but a dependency is down", "low", Evidence{Lines: 10, Errors: 2, HardFailures: 2}, "medium", [2]float64{40, 64}},
	}
	for _, tt := range tests {
		s := ScoreSeverity(tt.label, tt.ev)
		if s.Label != tt.want || s.Score < tt.minMax[0] || s.Score > tt.minMax[1] || len(s.Reasons) == 0 {
			t.Errorf("%s: %+v; want %s in %v", tt.name, s, tt.want, tt.minMax)
		}
	}
	more := ScoreSeverity("high", Evidence{Lines: 100, Errors: 50, StackTraces: 3})
	less := ScoreSeverity("high", Evidence{Lines: 100, Errors: 1})
	if more.Score <= less.Score {
		t.Errorf("more errors scored %v <= fewer errors %v", more.Score, less.Score)
	}
}

func TestScorePIIRisk(t *testing.T) {
	sum := func(typ string, cat detectors.Category, count, distinct int) FindingSummary {
		fs := FindingSummary{Type: typ, Category: string(cat), Count: count}
		for i := 0; i < distinct; i++ {
			fs.Fingerprints = append(fs.Fingerprints, string(rune('a'+i)))
		}
		return fs
	}
	tests := []struct {
		name     string
		findings []FindingSummary
		label    string
	}{
		{"nothing", nil, "none"},
		{"one ip", []FindingSummary{sum(detectors.TypeIPAddress, detectors.CategoryPII, 40, 12)}, "low"},
		{"one email", []FindingSummary{sum(detectors.TypeEmail, detectors.CategoryPII, 1, 1)}, "low"},
		{"private key", []FindingSummary{sum(detectors.TypePrivateKey, detectors.CategorySecret, 1, 1)}, "medium"},
		{"aws key pair", []FindingSummary{sum(detectors.TypeAWSAccessKeyID, detectors.CategorySecret, 1, 1), sum(detectors.TypeAWSSecretKey, detectors.CategorySecret, 1, 1)}, "high"},
		{"many cards", []FindingSummary{sum(detectors.TypeCreditCard, detectors.CategoryPII, 40, 20)}, "high"},
	}
	for _, tt := range tests {
		s := ScorePIIRisk(tt.findings)
		if s.Label != tt.label || len(s.Reasons) == 0 || s.Score < 0 || s.Score > 100 {
			t.Errorf("%s: %+v; want %s", tt.name, s, tt.label)
		}
	}
	secret := ScorePIIRisk([]FindingSummary{sum(detectors.TypeGitHubToken, detectors.CategorySecret, 1, 1)})
	pii := ScorePIIRisk([]FindingSummary{sum(detectors.TypeEmail, detectors.CategoryPII, 1, 1)})
	if secret.Score <= pii.Score {
		t.Errorf("a token (%v) should weigh more than an email (%v)", secret.Score, pii.Score)
	}
	few := ScorePIIRisk([]FindingSummary{sum(detectors.TypeEmail, detectors.CategoryPII, 3, 3)})
	many := ScorePIIRisk([]FindingSummary{sum(detectors.TypeEmail, detectors.CategoryPII, 300, 200)})
	if many.Score <= few.Score {
		t.Errorf("200 distinct emails (%v) should weigh more than 3 (%v)", many.Score, few.Score)
	}
}

func TestCaseIDAndRef(t *testing.T) {
	if CaseID("t1", "u1") != CaseID("t1", "u1") || CaseID("t1", "u1") == CaseID("t2", "u1") || CaseID("t1", "u1") == CaseID("t1", "u2") {
		t.Fatal("CaseID is not a deterministic function of (tenant, upload)")
	}
	if CaseID("a\x00b", "c") == CaseID("a", "b\x00c") {
		t.Fatal("CaseID is ambiguous across the separator")
	}
	for name, want := range map[string]string{
		"02855523_testreport.gz": "02855523",
		"dir/0123456-app.log":    "0123456",
		`C:\logs\CS001234_x.zip`: "CS001234",
		"app.log":                "",
		"123_short.log":          "",
		"2024.log":               "",
	} {
		if got := CaseRefFromName(name); got != want {
			t.Errorf("CaseRefFromName(%q) = %q; want %q", name, got, want)
		}
	}
}
