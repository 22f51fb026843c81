package router

import (
	"fmt"
	"sort"
	"strings"
)

// Router routes cases by a validated Config. It is immutable and safe for
// concurrent use.
type Router struct {
	cfg        Config
	queues     map[string]bool
	skills     map[string]bool
	cats       map[string]int // name -> index in cfg.Categories
	catMatch   []matcher      // parallel to cfg.Categories
	skillMatch []matcher      // parallel to cfg.Skills
}

// Input is what a routing decision is made from.
type Input struct {
	Category      string
	Skills        []string
	Severity      string  // critical|high|medium|low|info
	SeverityScore float64 // 0..100
	PIIRisk       string  // high|medium|low|none
	PIIRiskScore  float64 // 0..100
	Tenant        string
	// TenantTier overrides the tier configured for Tenant when set.
	TenantTier string
}

// Decision is where a case goes and why.
type Decision struct {
	Queue    string   `json:"queue"`
	Priority string   `json:"priority"` // "P1" (most urgent) .. "P4"
	SLAHours int      `json:"sla_hours,omitempty"`
	Skills   []string `json:"skills"`
	Category string   `json:"category"`
	Alert    bool     `json:"alert"` // raise a PII/secret alert to the security team
	Reasons  []string `json:"reasons"`
}

// Route decides queue, priority, skills and alerting. Only configured queues
// and skills can come out, whatever the input says.
func (r *Router) Route(in Input) Decision {
	var d Decision
	i, ok := r.cats[in.Category]
	if ok {
		cat := r.cfg.Categories[i]
		d.Category = cat.Name
		d.Queue = cat.Queue
		d.Reasons = append(d.Reasons, fmt.Sprintf("category %s -> queue %s", cat.Name, cat.Queue))
	} else {
		d.Category = r.cfg.DefaultCategory
		d.Queue = r.cfg.DefaultQueue
		d.Reasons = append(d.Reasons, fmt.Sprintf("unknown category %q -> default queue %s", in.Category, d.Queue))
	}

	d.Skills = r.FilterSkills(in.Skills)
	if len(d.Skills) < len(in.Skills) {
		d.Reasons = append(d.Reasons, fmt.Sprintf("dropped %d unconfigured skill(s)", len(in.Skills)-len(d.Skills)))
	}

	p, ok := r.cfg.Priority.Severity[in.Severity]
	if !ok {
		p = 3
		d.Reasons = append(d.Reasons, fmt.Sprintf("unknown severity %q -> base P3", in.Severity))
	} else {
		d.Reasons = append(d.Reasons, fmt.Sprintf("severity %s -> base P%d", in.Severity, p))
	}
	if adj := r.cfg.Priority.PIIRisk[in.PIIRisk]; adj != 0 {
		p += adj
		d.Reasons = append(d.Reasons, fmt.Sprintf("PII risk %s adjusts priority by %+d", in.PIIRisk, adj))
	}
	tier := r.Tier(in.Tenant, in.TenantTier)
	if adj := r.cfg.Priority.TierAdjust[tier]; adj != 0 {
		p += adj
		d.Reasons = append(d.Reasons, fmt.Sprintf("tenant tier %s adjusts priority by %+d", tier, adj))
	}
	p = min(max(p, 1), 4)
	d.Priority = fmt.Sprintf("P%d", p)
	d.SLAHours = r.cfg.Priority.SLAHours[d.Priority]

	if r.cfg.PIIAlert.Threshold > 0 && in.PIIRiskScore >= r.cfg.PIIAlert.Threshold {
		d.Alert = true
		d.Reasons = append(d.Reasons, fmt.Sprintf("PII risk score %.0f >= alert threshold %.0f", in.PIIRiskScore, r.cfg.PIIAlert.Threshold))
	}
	return d
}

// Tier is the tenant's tier: override when set, else the configured one, else the default.
func (r *Router) Tier(tenant, override string) string {
	if override != "" {
		if _, ok := r.cfg.Priority.TierAdjust[override]; ok {
			return override
		}
	}
	if t, ok := r.cfg.Tenants[tenant]; ok {
		return t
	}
	return r.cfg.DefaultTier
}

// QuarantineQueue is where unprocessed uploads go.
func (r *Router) QuarantineQueue() string {
	if r.cfg.QuarantineQueue != "" {
		return r.cfg.QuarantineQueue
	}
	return r.cfg.DefaultQueue
}

// AlertSubject is where PII/secret alerts are published.
func (r *Router) AlertSubject() string { return r.cfg.PIIAlert.Subject }

// AlertThreshold is the PII risk score at which an alert is raised.
func (r *Router) AlertThreshold() float64 { return r.cfg.PIIAlert.Threshold }

// HasQueue reports whether q is a configured queue.
func (r *Router) HasQueue(q string) bool { return r.queues[q] }

// Queues lists the configured queue names in config order.
func (r *Router) Queues() []string {
	out := make([]string, len(r.cfg.Queues))
	for i, q := range r.cfg.Queues {
		out[i] = q.Name
	}
	return out
}

// CategoryInfo is a category as a classifier is shown it.
type CategoryInfo struct {
	Name        string
	Description string
	Skills      []string
}

// Categories lists the configured categories in config order.
func (r *Router) Categories() []CategoryInfo {
	out := make([]CategoryInfo, len(r.cfg.Categories))
	for i, c := range r.cfg.Categories {
		out[i] = CategoryInfo{Name: c.Name, Description: c.Description, Skills: append([]string(nil), c.Skills...)}
	}
	return out
}

// RoleCategory is the category declared with role (RoleSecurity,
// RoleTransport), "" when none is.
func (r *Router) RoleCategory(role string) string {
	for _, c := range r.cfg.Categories {
		if c.Role == role {
			return c.Name
		}
	}
	return ""
}

// CategoryRootCause is the category's root-cause template ("" when none).
func (r *Router) CategoryRootCause(name string) string {
	if i, ok := r.cats[name]; ok {
		return r.cfg.Categories[i].RootCause
	}
	return ""
}

// HasCategory reports whether name is a configured category.
func (r *Router) HasCategory(name string) bool { _, ok := r.cats[name]; return ok }

// DefaultCategory is the catch-all category.
func (r *Router) DefaultCategory() string { return r.cfg.DefaultCategory }

// CategorySkills returns the skills of a category (nil when unknown).
func (r *Router) CategorySkills(name string) []string {
	if i, ok := r.cats[name]; ok {
		return append([]string(nil), r.cfg.Categories[i].Skills...)
	}
	return nil
}

// Skills lists the configured skill names in config order.
func (r *Router) Skills() []string {
	out := make([]string, len(r.cfg.Skills))
	for i, s := range r.cfg.Skills {
		out[i] = s.Name
	}
	return out
}

// FilterSkills keeps configured skills, deduplicated, in input order.
func (r *Router) FilterSkills(skills []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, s := range skills {
		if r.skills[s] && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// CategoryMatch is how strongly the text matched one category.
type CategoryMatch struct {
	Category string
	Score    int
}

// WeightedLine is a line of text with how much it counts (error lines count more).
type WeightedLine struct {
	Text   string
	Weight int
}

// MatchCategories scores every category against the lines: the sum over lines
// of weight x matching rules. Best first; ties keep config order; categories
// with no hit are left out.
func (r *Router) MatchCategories(lines []WeightedLine) []CategoryMatch {
	scores := make([]int, len(r.cfg.Categories))
	for _, l := range lines {
		lower := strings.ToLower(l.Text)
		for i, m := range r.catMatch {
			scores[i] += l.Weight * min(m.hits(l.Text, lower), 2) // a keyword-stuffed line cannot outvote many
		}
	}
	var out []CategoryMatch
	for i, s := range scores {
		if s > 0 {
			out = append(out, CategoryMatch{Category: r.cfg.Categories[i].Name, Score: s})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

// SuggestSkills returns configured skills whose keywords occur in the lines,
// most hits first (ties in config order).
func (r *Router) SuggestSkills(lines []WeightedLine) []string {
	scores := make([]int, len(r.cfg.Skills))
	for _, l := range lines {
		lower := strings.ToLower(l.Text)
		for i, m := range r.skillMatch {
			scores[i] += l.Weight * m.hits(l.Text, lower)
		}
	}
	idx := make([]int, 0, len(scores))
	for i, s := range scores {
		if s > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = r.cfg.Skills[j].Name
	}
	return out
}
