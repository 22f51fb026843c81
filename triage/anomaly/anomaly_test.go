package anomaly

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func fp(b []byte) string { return "fp:" + fmt.Sprintf("%x", b)[:12] }

// profile feeds lines ("LEVEL text" or plain text) to a fresh profiler.
func profile(base *Baseline, lines []string, sources map[int][]string) *Profiler {
	p := NewProfiler(Options{Fingerprint: fp}, base)
	for i, l := range lines {
		lvl := ""
		for _, w := range strings.Fields(l) {
			if v, ok := map[string]string{"ERROR": levelError, "WARN": levelWarn, "INFO": "info", "FATAL": levelFatal}[w]; ok {
				lvl = v
				break
			}
		}
		p.Observe(Line{Number: i + 1, Text: []byte(l), Level: lvl, Sources: sources[i+1]})
	}
	return p
}

func only(t *testing.T, sigs []Signal, kind string) Signal {
	t.Helper()
	var got []Signal
	for _, s := range sigs {
		if s.Kind == kind {
			got = append(got, s)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d %s signals in %+v, want 1", len(got), kind, sigs)
	}
	return got[0]
}

func none(t *testing.T, sigs []Signal, kind string) {
	t.Helper()
	for _, s := range sigs {
		if s.Kind == kind {
			t.Errorf("unexpected %s signal: %+v", kind, s)
		}
	}
}

func minuteLines(minutes int, perMinute func(m int) []string) []string {
	var out []string
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for m := range minutes {
		for i, l := range perMinute(m) {
			ts := t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Second).Format("2006-01-02 15:04:05")
			out = append(out, ts+" "+l)
		}
	}
	return out
}

func TestBurstIsAgainstTheLogsOwnMedian(t *testing.T) {
	steady := func(m int) []string {
		out := []string{"INFO heartbeat ok from node-3", "INFO heartbeat ok from node-4"}
		if m == 7 {
			for i := range 25 {
				out = append(out, fmt.Sprintf("WARN queue depth %d above soft limit", 100+i))
			}
		}
		return out
	}
	sigs := profile(nil, minuteLines(20, steady), nil).Detect(nil, nil)
	b := only(t, sigs, KindBurst)
	if !strings.Contains(b.Template, "queue depth <*> above soft limit") || b.Count != 25 {
		t.Errorf("burst %+v: want the queue-depth template at 25 a minute", b)
	}
	// The heartbeat, 2 every minute, is steady: no burst.
	if len(sigs) != 1 {
		t.Errorf("signals %+v, want only the burst", sigs)
	}
	// A short log (under minBurstMinutes minutes) has no rate to compare with.
	if sigs := profile(nil, minuteLines(3, steady), nil).Detect(nil, nil); len(sigs) != 0 {
		t.Errorf("3-minute log raised %+v", sigs)
	}
}

func TestRepeatedFailureWithoutSuccess(t *testing.T) {
	fails := []string{
		"WARN connect to billing-db failed, retrying (attempt 1)",
		"WARN connect to billing-db failed, retrying (attempt 2)",
		"WARN connect to billing-db failed, retrying (attempt 3)",
	}
	recovered := append(append([]string{}, fails...), "INFO connected to billing-db after 3 attempts")
	sigs := profile(nil, fails, nil).Detect(nil, nil)
	s := only(t, sigs, KindRepeatedFailure)
	if s.Count != 3 || s.Lines[0] != 1 {
		t.Errorf("signal %+v", s)
	}
	if sigs := profile(nil, recovered, nil).Detect(nil, nil); len(sigs) != 0 {
		t.Errorf("a failure followed by a success of the same operation raised %+v", sigs)
	}
	// A success of another operation does not resolve it.
	other := append(append([]string{}, fails...), "INFO connected to cache-cluster")
	only(t, profile(nil, other, nil).Detect(nil, nil), KindRepeatedFailure)
}

func TestErrorRateAgainstTenantBaseline(t *testing.T) {
	normal := func(errors int) []string {
		var out []string
		for i := range 200 {
			if i < errors {
				out = append(out, fmt.Sprintf("ERROR request %d failed upstream", i))
			} else {
				out = append(out, fmt.Sprintf("INFO request %d served", i))
			}
		}
		return out
	}
	var hist []Summary
	for i := range 3 {
		hist = append(hist, profile(nil, normal(2), nil).Summary(fmt.Sprintf("u%d", i), time.Now()))
	}
	base := NewBaseline(hist, time.Now(), nil)
	if sigs := profile(base, normal(3), nil).Detect(base, nil); len(sigs) != 0 {
		t.Errorf("a usual error rate raised %+v", sigs)
	}
	s := only(t, profile(base, normal(30), nil).Detect(base, nil), KindErrorRate)
	if !strings.Contains(s.Reason, "15.0%") || !strings.Contains(s.Reason, "usual 1.0%") {
		t.Errorf("reason %q", s.Reason)
	}
}

func TestAuthSignalsCarryFingerprintsOnly(t *testing.T) {
	sshd := func(m int) []string {
		out := []string{"sshd[1]: Accepted publickey for deploy from [IP_ADDRESS:aa11] port 22 ssh2"}
		if m == 4 {
			for range 15 {
				out = append(out, "sshd[2]: Failed password for invalid user admin from [IP_ADDRESS:bb22] port 4242 ssh2")
			}
		}
		return out
	}
	lines := minuteLines(10, sshd)
	srcs := map[int][]string{}
	for i, l := range lines {
		if strings.Contains(l, "aa11") {
			srcs[i+1] = []string{"src-aa11"}
		}
	}
	hist := profile(nil, lines, srcs).Summary("u0", time.Now())
	base := NewBaseline([]Summary{hist}, time.Now(), nil)

	lines2 := append(lines, "2026-03-02 11:00:00 sudo: mallory : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/bash",
		"2026-03-02 11:00:05 sshd[9]: Accepted password for deploy from [IP_ADDRESS:cc33] port 22 ssh2")
	srcs[len(lines2)] = []string{"src-cc33"}
	sigs := profile(base, lines2, srcs).Detect(base, nil)
	burst := only(t, sigs, KindFailedLoginBurst)
	if burst.Count != 15 || !burst.Security {
		t.Errorf("failed-login burst %+v", burst)
	}
	admin := only(t, sigs, KindNewAdmin)
	if admin.Fingerprint != fp([]byte("actor:mallory")) || !admin.Security {
		t.Errorf("new admin %+v: want mallory's fingerprint", admin)
	}
	src := only(t, sigs, KindNewSource)
	if src.Fingerprint != "src-cc33" {
		t.Errorf("new source %+v", src)
	}
	none(t, sigs, KindNewActor) // deploy is known; mallory is reported as an admin
	for _, s := range sigs {
		// Templates are redacted lines (user names are not redacted there);
		// the auth signals, which go to the security feed, name fingerprints only.
		if s.Template == "" && strings.Contains(s.Reason+s.Fingerprint, "mallory") {
			t.Errorf("signal names a raw actor: %+v", s)
		}
	}
}

func TestNewTemplatesNeedHistoryAndAreCapped(t *testing.T) {
	var lines []string
	for i := range 30 {
		// Lengths differ, so each line is a template of its own.
		lines = append(lines, "ERROR broken"+strings.Repeat(" piece", i+1))
	}
	if sigs := profile(nil, lines, nil).Detect(nil, nil); len(sigs) != 0 {
		t.Errorf("no history, yet %d signals", len(sigs))
	}
	base := NewBaseline([]Summary{profile(nil, []string{"INFO all good"}, nil).Summary("u0", time.Now())}, time.Now(), nil)
	var novel []Signal
	for _, s := range profile(base, lines, nil).Detect(base, nil) {
		if s.Kind == KindNovelTemplate {
			novel = append(novel, s)
		}
	}
	if len(novel) != maxNewTemplates {
		t.Fatalf("%d new-template signals, want the cap %d", len(novel), maxNewTemplates)
	}
	if !strings.Contains(novel[len(novel)-1].Reason, "10 more new template(s)") {
		t.Errorf("last reason %q does not count the rest", novel[len(novel)-1].Reason)
	}
}

// FuzzProfiler: any line, level and key is profiled and detected without
// a panic, and the summary's counts add up.
func FuzzProfiler(f *testing.F) {
	for _, s := range []string{
		"2026-03-02 10:00:01 sshd[1]: Failed password for invalid user x from [IP_ADDRESS:ab] port 1",
		"sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh",
		"15.42.50 retrying connect failed",
		"", "\x00\xff", "user= login=",
	} {
		f.Add(s, "error")
	}
	f.Fuzz(func(t *testing.T, line, level string) {
		base := NewBaseline([]Summary{{UploadID: "u0", Lines: 1, Templates: []TemplateCount{{ID: "t1", Template: line, Count: 1}}}}, time.Now(), nil)
		p := NewProfiler(Options{Fingerprint: fp}, base)
		for i := range 3 {
			p.Observe(Line{Number: i + 1, Text: []byte(line), Level: level, Key: []byte(line[:len(line)/2])})
		}
		p.Detect(base, map[string]bool{})
		s := p.Summary("u1", time.Now())
		n := 0
		for _, tc := range s.Templates {
			n += tc.Count
		}
		if s.Lines != 3 || n > 3 {
			t.Fatalf("summary lines %d, template lines %d", s.Lines, n)
		}
	})
}
