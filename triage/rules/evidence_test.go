package rules

import (
	"context"
	"testing"

	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
)

func evidenceOf(t *testing.T, lines []string) triage.IncidentEvidence {
	t.Helper()
	a := feed(triage.AnalyzeOptions{}, lines, nil)
	r := router.Default()
	in := triage.ClassifyInput{FileName: "app.log", Excerpt: a.Excerpt, TotalLines: a.Lines, LevelCounts: a.LevelCounts,
		Templates: a.Templates, Signals: a.Signals, StackTraces: a.StackTraces, Skills: r.Skills()}
	for _, c := range r.Categories() {
		in.Categories = append(in.Categories, triage.CategoryOption{Name: c.Name, Skills: c.Skills})
	}
	return New(r).IncidentEvidence(in)
}

// The same failure in two systems' words reads as the same evidence.
func TestIncidentEvidence(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		kind  string
		role  string
	}{
		{"pool exhausted, Java", []string{
			"2026-03-01 10:00:01,000 ERROR [http-nio-8080-exec-1] com.zaxxer.hikari.pool.HikariPool: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=42)",
			"2026-03-01 10:00:02,000 ERROR [http-nio-8080-exec-2] com.zaxxer.hikari.pool.HikariPool: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=45)",
		}, "resource exhausted", "database"},
		{"pool exhausted, PostgreSQL seen from Python", []string{
			"2026-03-01 10:00:01 ERROR worker: psycopg2.OperationalError: FATAL:  sorry, too many clients already",
			"2026-03-01 10:00:02 ERROR worker: psycopg2.OperationalError: FATAL:  remaining connection slots are reserved for non-replication superuser connections",
		}, "resource exhausted", "database"},
		{"expired upstream certificate, gateway", []string{
			"2026/03/01 10:00:01 [error] 7#7: *1 SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::certificate verify failed) while SSL handshaking to upstream",
			"2026/03/01 10:00:02 [error] 7#7: *2 SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::certificate verify failed) while SSL handshaking to upstream",
		}, "certificate or TLS failure", ""},
		{"a clean log", []string{"2026-03-01 10:00:01 INFO started", "2026-03-01 10:00:02 INFO ready"}, "", ""},
	} {
		ev := evidenceOf(t, tc.lines)
		if ev.FailureKind != tc.kind || (tc.role != "" && ev.Role != tc.role) {
			t.Errorf("%s: evidence %+v, want kind %q role %q", tc.name, ev, tc.kind, tc.role)
		}
		if ev.Category == "" {
			t.Errorf("%s: no category", tc.name)
		}
	}
}

// BenchmarkIncidentEvidence is what reading the evidence adds to a rules
// classification (it reuses the classification's reading of the failure
// kinds), against the classification of the same log, in the same run.
func BenchmarkIncidentEvidence(b *testing.B) {
	lines := append(syntheticLog(2000),
		`2024-05-01 10:40:00,000 ERROR [pool-3] app.Db: org.postgresql.util.PSQLException: FATAL: remaining connection slots are reserved`)
	a := feed(triage.AnalyzeOptions{}, lines, nil)
	r := router.Default()
	in := triage.ClassifyInput{FileName: "app.log", Excerpt: a.Excerpt, TotalLines: a.Lines, LevelCounts: a.LevelCounts,
		Templates: a.Templates, Signals: a.Signals, StackTraces: a.StackTraces, Skills: r.Skills()}
	c := New(r)
	b.Run("baseline-classify", func(b *testing.B) {
		for b.Loop() {
			c.Classify(context.Background(), in)
		}
	})
	b.Run("evidence", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev, _, _, _ := c.extract(in)
			incidentEvidence(&ev, "database")
		}
	})
}
