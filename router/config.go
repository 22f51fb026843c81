// Package router decides where a triaged case goes: a skill-tagged queue, a
// priority and whether the security team is alerted. It decides from plain
// inputs only (category, skills, severity, PII risk, tenant) and never imports
// triage, so the set of queues a case can reach is exactly the configured set,
// whatever the log said.
package router

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

//go:embed default.json
var defaultConfig []byte

// Config is the routing configuration file (JSON).
type Config struct {
	// Queues are the only destinations a case can ever get.
	Queues []Queue `json:"queues"`
	// DefaultQueue receives unknown categories; it must be one of Queues.
	DefaultQueue string `json:"default_queue"`
	// QuarantineQueue receives uploads that were not processed (binaries, bombs...).
	// Empty means DefaultQueue.
	QuarantineQueue string `json:"quarantine_queue,omitempty"`
	// Categories in order of preference on equal match scores.
	Categories []Category `json:"categories"`
	// DefaultCategory is the catch-all when nothing matches; it must be one of Categories.
	DefaultCategory string `json:"default_category"`
	// Skills is the closed set of skill tags; anything else is dropped.
	Skills   []Skill        `json:"skills"`
	Priority PriorityPolicy `json:"priority"`
	// Tenants maps a tenant id to its tier (a key of Priority.TierAdjust).
	Tenants     map[string]string `json:"tenants,omitempty"`
	DefaultTier string            `json:"default_tier"`
	PIIAlert    PIIAlert          `json:"pii_alert"`
}

// Queue is a destination for cases.
type Queue struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Category is one kind of problem, matched by keywords or regular expressions
// over the log's redacted key lines.
type Category struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Skills      []string `json:"skills"`
	Queue       string   `json:"queue"`
	Keywords    []string `json:"keywords,omitempty"` // case-insensitive substrings
	Regexes     []string `json:"regexes,omitempty"`  // Go RE2 syntax
	// Role tells classifiers what the category is for, so they need no
	// category names: "security" (attacks, leaked credentials, intruders)
	// or "transport" (the network a call failed over, not a system it
	// named). At most one category per role; empty for a system category.
	Role string `json:"role,omitempty"`
	// RootCause is the rules' root-cause hypothesis for the category, with
	// {component} (who logged the failures) and {first} (the first failing
	// line's template) filled in; empty means a generic one.
	RootCause string `json:"root_cause,omitempty"`
}

// Category roles (Category.Role).
const (
	RoleSecurity  = "security"
	RoleTransport = "transport"
)

// Skill is a tag support agents are matched on; keywords suggest it from the log.
type Skill struct {
	Name     string   `json:"name"`
	Keywords []string `json:"keywords,omitempty"`
}

// PriorityPolicy maps severity to a base priority and adjusts it.
type PriorityPolicy struct {
	// Severity maps a severity label to a base priority (1 = P1 most urgent .. 4 = P4).
	Severity map[string]int `json:"severity"`
	// PIIRisk adjusts the priority by risk label (negative = more urgent).
	PIIRisk map[string]int `json:"pii_risk,omitempty"`
	// TierAdjust adjusts the priority by tenant tier (negative = more urgent).
	TierAdjust map[string]int `json:"tier_adjust,omitempty"`
	// SLAHours is the response target per priority ("P1".."P4").
	SLAHours map[string]int `json:"sla_hours,omitempty"`
}

// PIIAlert says when the security team is told about a case.
type PIIAlert struct {
	// Threshold on the PII risk score (0..100): at or above it, an alert is raised.
	Threshold float64 `json:"threshold"`
	// Subject is where the alert is published (the worker's NATS subject).
	Subject string `json:"subject"`
	// Queue is the security team's queue; also used for the "security" category.
	Queue string `json:"queue"`
}

// Load reads and validates a routing config file.
func Load(path string) (*Router, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Default returns the router for the embedded default config (router/default.json).
func Default() *Router {
	r, err := Parse(defaultConfig)
	if err != nil {
		panic("router: embedded default.json is invalid: " + err.Error())
	}
	return r
}

// DefaultConfigJSON returns the embedded default config, a starting point for operators.
func DefaultConfigJSON() []byte { return append([]byte(nil), defaultConfig...) }

// Parse validates a JSON config and builds a router from it.
func Parse(b []byte) (*Router, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("routing config: %w", err)
	}
	return New(c)
}

// New validates c and builds a router from it.
func New(c Config) (*Router, error) {
	r := &Router{
		cfg:    c,
		queues: map[string]bool{},
		skills: map[string]bool{},
		cats:   map[string]int{},
	}
	var errs []error
	for _, q := range c.Queues {
		if q.Name == "" || r.queues[q.Name] {
			errs = append(errs, fmt.Errorf("queue %q: empty or duplicate name", q.Name))
		}
		r.queues[q.Name] = true
	}
	needQueue := func(what, q string) {
		if !r.queues[q] {
			errs = append(errs, fmt.Errorf("%s: queue %q is not configured", what, q))
		}
	}
	needQueue("default_queue", c.DefaultQueue)
	if c.QuarantineQueue != "" {
		needQueue("quarantine_queue", c.QuarantineQueue)
	}
	if c.PIIAlert.Queue != "" {
		needQueue("pii_alert.queue", c.PIIAlert.Queue)
	}
	for _, s := range c.Skills {
		if s.Name == "" || r.skills[s.Name] {
			errs = append(errs, fmt.Errorf("skill %q: empty or duplicate name", s.Name))
		}
		r.skills[s.Name] = true
		r.skillMatch = append(r.skillMatch, newMatcher(s.Keywords, nil, &errs, "skill "+s.Name))
	}
	roles := map[string]string{}
	for i, cat := range c.Categories {
		if cat.Name == "" {
			errs = append(errs, fmt.Errorf("category %d: empty name", i))
		}
		if _, dup := r.cats[cat.Name]; dup {
			errs = append(errs, fmt.Errorf("category %q: duplicate", cat.Name))
		}
		r.cats[cat.Name] = i
		needQueue("category "+cat.Name, cat.Queue)
		for _, s := range cat.Skills {
			if !r.skills[s] {
				errs = append(errs, fmt.Errorf("category %s: skill %q is not configured", cat.Name, s))
			}
		}
		r.catMatch = append(r.catMatch, newMatcher(cat.Keywords, cat.Regexes, &errs, "category "+cat.Name))
		switch cat.Role {
		case "":
		case RoleSecurity, RoleTransport:
			if other, dup := roles[cat.Role]; dup {
				errs = append(errs, fmt.Errorf("category %s: role %q is already %s's", cat.Name, cat.Role, other))
			}
			roles[cat.Role] = cat.Name
		default:
			errs = append(errs, fmt.Errorf("category %s: role %q: want %q or %q", cat.Name, cat.Role, RoleSecurity, RoleTransport))
		}
	}
	if _, ok := r.cats[c.DefaultCategory]; !ok {
		errs = append(errs, fmt.Errorf("default_category %q is not a configured category", c.DefaultCategory))
	}
	for label, p := range c.Priority.Severity {
		if p < 1 || p > 4 {
			errs = append(errs, fmt.Errorf("priority.severity[%s] = %d: want 1..4", label, p))
		}
	}
	if len(c.Priority.Severity) == 0 {
		errs = append(errs, errors.New("priority.severity: empty"))
	}
	if _, ok := c.Priority.TierAdjust[c.DefaultTier]; c.DefaultTier != "" && !ok {
		errs = append(errs, fmt.Errorf("default_tier %q has no priority.tier_adjust entry", c.DefaultTier))
	}
	for tenant, tier := range c.Tenants {
		if _, ok := c.Priority.TierAdjust[tier]; !ok {
			errs = append(errs, fmt.Errorf("tenant %s: tier %q has no priority.tier_adjust entry", tenant, tier))
		}
	}
	if t := c.PIIAlert.Threshold; t < 0 || t > 100 {
		errs = append(errs, fmt.Errorf("pii_alert.threshold %v: want 0..100", t))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("routing config: %w", err)
	}
	return r, nil
}

// matcher is a compiled set of keywords and regexes.
type matcher struct {
	keywords []string // lower-cased
	regexes  []*regexp.Regexp
}

func newMatcher(keywords, regexes []string, errs *[]error, what string) matcher {
	var m matcher
	for _, k := range keywords {
		// Not trimmed: "\tat " and "pod " mean their whitespace.
		if strings.TrimSpace(k) != "" {
			m.keywords = append(m.keywords, strings.ToLower(k))
		}
	}
	for _, expr := range regexes {
		re, err := regexp.Compile(expr)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: regex %q: %w", what, expr, err))
			continue
		}
		m.regexes = append(m.regexes, re)
	}
	return m
}

// hits counts the keywords and regexes matching line (each counts once).
func (m matcher) hits(line, lower string) int {
	n := 0
	for _, k := range m.keywords {
		if strings.Contains(lower, k) {
			n++
		}
	}
	for _, re := range m.regexes {
		if re.MatchString(line) {
			n++
		}
	}
	return n
}
