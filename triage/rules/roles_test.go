package rules

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
)

// Renaming categories in the routing config needs no code: the rules find
// the security and transport categories by their declared roles.
func TestRenamedCategoriesKeepTheirRoles(t *testing.T) {
	var cfg router.Config
	if err := json.Unmarshal(router.DefaultConfigJSON(), &cfg); err != nil {
		t.Fatal(err)
	}
	renamed := map[string]string{"security": "secops", "network": "connectivity"}
	for i, c := range cfg.Categories {
		if to, ok := renamed[c.Name]; ok {
			cfg.Categories[i].Name = to
		}
	}
	rt, err := router.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	classify := func(r *router.Router, lines []string) triage.Classification {
		a := triage.AnalyzeLines(triage.AnalyzeOptions{}, lines)
		in := triage.NewClassifyInput(a, "app.log", r)
		cls, err := New(r).Classify(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		return cls
	}
	for _, tc := range []struct {
		name  string
		lines []string
		want  map[*router.Router]string
	}{
		{"brute force then root login", []string{
			"Nov 22 02:11:01 web03 sshd[4102]: Failed password for root from 203.0.113.9 port 51120 ssh2",
			"Nov 22 02:11:03 web03 sshd[4102]: Failed password for root from 203.0.113.9 port 51122 ssh2",
			"Nov 22 02:11:05 web03 sshd[4102]: Failed password for root from 203.0.113.9 port 51124 ssh2",
			"Nov 22 02:11:09 web03 sshd[4102]: Accepted password for root from 203.0.113.9 port 51130 ssh2",
		}, map[*router.Router]string{router.Default(): "security", rt: "secops"}},
		{"no route to host", []string{
			`2026-01-09T08:10:33Z ERROR billing-worker: dial tcp 10.27.84.200:9092: connect: no route to host`,
			`2026-01-09T08:10:34Z ERROR billing-worker: dial tcp 10.15.10.123:9092: connect: no route to host`,
			`2026-01-09T08:10:35Z ERROR billing-worker: dial tcp 10.23.186.211:9092: connect: no route to host`,
		}, map[*router.Router]string{router.Default(): "network", rt: "connectivity"}},
	} {
		for r, want := range tc.want {
			if got := classify(r, tc.lines); got.Category != want {
				t.Errorf("%s: category %s, want %s", tc.name, got.Category, want)
			}
		}
	}
}
