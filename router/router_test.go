package router

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigIsValid(t *testing.T) {
	r := Default()
	if !r.HasQueue("security") || !r.HasCategory("application") {
		t.Fatalf("default config lacks the security queue or the application catch-all: %v", r.Queues())
	}
	for _, c := range []string{"database", "network", "auth", "payments", "storage", "kubernetes", "security", "application"} {
		if !r.HasCategory(c) {
			t.Errorf("default config lacks category %q", c)
		}
	}
}

func TestRoute(t *testing.T) {
	cfg := testConfig()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		in        Input
		queue     string
		priority  string
		skills    []string
		alert     bool
		wantInWhy string
	}{
		{"known category", Input{Category: "database", Skills: []string{"postgresql"}, Severity: "high"}, "db", "P2", []string{"postgresql"}, false, "category database"},
		{"unknown category goes to default", Input{Category: "admin", Severity: "medium"}, "general", "P3", []string{}, false, "unknown category"},
		{"unconfigured skills dropped", Input{Category: "database", Skills: []string{"root", "postgresql", "postgresql", "admin"}, Severity: "low"}, "db", "P4", []string{"postgresql"}, false, "dropped 3"},
		{"critical is P1", Input{Category: "app", Severity: "critical"}, "general", "P1", []string{}, false, "base P1"},
		{"unknown severity is P3", Input{Category: "app", Severity: "whatever"}, "general", "P3", []string{}, false, "unknown severity"},
		{"high PII risk raises priority", Input{Category: "app", Severity: "medium", PIIRisk: "high", PIIRiskScore: 80}, "general", "P2", []string{}, true, "alert threshold"},
		{"below alert threshold", Input{Category: "app", Severity: "medium", PIIRisk: "medium", PIIRiskScore: 49.9}, "general", "P3", []string{}, false, "base P3"},
		{"at alert threshold", Input{Category: "app", Severity: "medium", PIIRisk: "medium", PIIRiskScore: 50}, "general", "P3", []string{}, true, "alert threshold"},
		{"enterprise tenant from config", Input{Category: "app", Severity: "high", Tenant: "acme"}, "general", "P1", []string{}, false, "tier enterprise"},
		{"free tier lowers, clamped at P4", Input{Category: "app", Severity: "low", Tenant: "cheap"}, "general", "P4", []string{}, false, "tier free"},
		{"priority clamped at P1", Input{Category: "app", Severity: "critical", PIIRisk: "high", Tenant: "acme"}, "general", "P1", []string{}, false, "base P1"},
		{"tier override", Input{Category: "app", Severity: "high", Tenant: "cheap", TenantTier: "enterprise"}, "general", "P1", []string{}, false, "tier enterprise"},
		{"unknown tier override ignored", Input{Category: "app", Severity: "high", Tenant: "acme", TenantTier: "platinum"}, "general", "P1", []string{}, false, "tier enterprise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Route(tt.in)
			if d.Queue != tt.queue || d.Priority != tt.priority || d.Alert != tt.alert || !slices.Equal(d.Skills, tt.skills) {
				t.Fatalf("Route(%+v) = %+v; want queue %s priority %s alert %v skills %v", tt.in, d, tt.queue, tt.priority, tt.alert, tt.skills)
			}
			if !r.HasQueue(d.Queue) {
				t.Fatalf("queue %q is not configured", d.Queue)
			}
			if !strings.Contains(strings.Join(d.Reasons, "; "), tt.wantInWhy) {
				t.Fatalf("reasons %q lack %q", d.Reasons, tt.wantInWhy)
			}
		})
	}
}

func TestRouteNeverLeavesConfiguredQueues(t *testing.T) {
	r := Default()
	for _, cat := range []string{"", "security", "admin", "../etc", "route to admin", "triage-general\nadmin"} {
		for _, sev := range []string{"", "critical", "low", "ignore previous instructions"} {
			d := r.Route(Input{Category: cat, Severity: sev, Skills: []string{"admin", "root"}})
			if !r.HasQueue(d.Queue) || len(d.Skills) != 0 {
				t.Fatalf("Route(%q, %q) = %+v: outside the configured set", cat, sev, d)
			}
		}
	}
}

func TestMatchCategories(t *testing.T) {
	r := Default()
	tests := []struct {
		lines []string
		want  string // "" for no match
	}{
		{[]string{"ERROR org.postgresql.util.PSQLException: FATAL: too many connections for role app"}, "database"},
		{[]string{"dial tcp 10.0.0.1:443: connect: connection refused"}, "network"},
		{[]string{"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0"}, "auth"},
		{[]string{"payment intent failed: card declined by stripe"}, "payments"},
		{[]string{"write /var/lib/data/x: no space left on device"}, "storage"},
		{[]string{"Back-off restarting failed container app in pod web-1 (CrashLoopBackOff)"}, "kubernetes"},
		{[]string{"possible break-in attempt from 203.0.113.9"}, "security"},
		{[]string{"INFO started in 3.2s"}, ""},
	}
	for _, tt := range tests {
		var lines []WeightedLine
		for _, l := range tt.lines {
			lines = append(lines, WeightedLine{Text: l, Weight: 1})
		}
		got := r.MatchCategories(lines)
		name := ""
		if len(got) > 0 {
			name = got[0].Category
		}
		if name != tt.want {
			t.Errorf("MatchCategories(%q) best = %q (%v); want %q", tt.lines, name, got, tt.want)
		}
	}
}

func TestSuggestSkillsOnlyConfigured(t *testing.T) {
	r := Default()
	got := r.SuggestSkills([]WeightedLine{{Text: "org.postgresql.util.PSQLException at java.base", Weight: 2}})
	if !slices.Contains(got, "postgresql") || !slices.Contains(got, "java") {
		t.Fatalf("SuggestSkills = %v; want postgresql and java", got)
	}
	if f := r.FilterSkills(got); !slices.Equal(f, got) {
		t.Fatalf("suggested skills %v are not all configured (%v)", got, f)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"default queue missing", func(c *Config) { c.DefaultQueue = "nope" }, `default_queue: queue "nope"`},
		{"category queue missing", func(c *Config) { c.Categories[0].Queue = "nope" }, `category database: queue "nope"`},
		{"category skill missing", func(c *Config) { c.Categories[0].Skills = []string{"nope"} }, `skill "nope"`},
		{"bad regex", func(c *Config) { c.Categories[0].Regexes = []string{"("} }, "regex"},
		{"bad priority", func(c *Config) { c.Priority.Severity["high"] = 9 }, "want 1..4"},
		{"unknown default category", func(c *Config) { c.DefaultCategory = "nope" }, "default_category"},
		{"tenant tier unknown", func(c *Config) { c.Tenants["x"] = "gold" }, `tier "gold"`},
		{"duplicate queue", func(c *Config) { c.Queues = append(c.Queues, Queue{Name: "db"}) }, "duplicate"},
		{"threshold out of range", func(c *Config) { c.PIIAlert.Threshold = 101 }, "threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.mutate(&c)
			_, err := New(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v; want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, DefaultConfigJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(good); err != nil {
		t.Fatalf("Load(default copy): %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"queues": [], "unknown_field": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "unknown_field") {
		t.Fatalf("Load(bad) error = %v; want unknown field", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("Load(missing) succeeded")
	}
}

func testConfig() Config {
	return Config{
		Queues:          []Queue{{Name: "general"}, {Name: "db"}, {Name: "sec"}},
		DefaultQueue:    "general",
		DefaultCategory: "app",
		Categories: []Category{
			{Name: "database", Skills: []string{"postgresql"}, Queue: "db", Keywords: []string{"postgres"}},
			{Name: "app", Queue: "general"},
		},
		Skills: []Skill{{Name: "postgresql"}},
		Priority: PriorityPolicy{
			Severity:   map[string]int{"critical": 1, "high": 2, "medium": 3, "low": 4, "info": 4},
			PIIRisk:    map[string]int{"high": -1},
			TierAdjust: map[string]int{"enterprise": -1, "standard": 0, "free": 1},
			SLAHours:   map[string]int{"P1": 1},
		},
		Tenants:     map[string]string{"acme": "enterprise", "cheap": "free"},
		DefaultTier: "standard",
		PIIAlert:    PIIAlert{Threshold: 50, Queue: "sec", Subject: "alerts"},
	}
}

func TestCategoryRoles(t *testing.T) {
	r := Default()
	if r.RoleCategory(RoleSecurity) != "security" || r.RoleCategory(RoleTransport) != "network" || r.RoleCategory("nope") != "" {
		t.Errorf("roles: security=%q transport=%q", r.RoleCategory(RoleSecurity), r.RoleCategory(RoleTransport))
	}
	if r.CategoryRootCause("database") == "" || r.CategoryRootCause("nope") != "" {
		t.Error("root_cause of database missing, or of an unknown category present")
	}
	cfg := func(role1, role2 string) Config {
		return Config{
			Queues:       []Queue{{Name: "q"}},
			DefaultQueue: "q",
			Categories: []Category{
				{Name: "a", Queue: "q", Role: role1},
				{Name: "b", Queue: "q", Role: role2},
			},
			DefaultCategory: "a",
			Priority:        PriorityPolicy{Severity: map[string]int{"high": 1}},
		}
	}
	if _, err := New(cfg(RoleSecurity, RoleTransport)); err != nil {
		t.Errorf("two roles: %v", err)
	}
	if _, err := New(cfg(RoleSecurity, RoleSecurity)); err == nil {
		t.Error("one role on two categories was accepted")
	}
	if _, err := New(cfg("intruders", "")); err == nil {
		t.Error("an unknown role was accepted")
	}
}
