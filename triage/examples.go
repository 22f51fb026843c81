package triage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/logtriage/logtriage/router"
)

// StatusResolved is a case an agent has closed with a Resolution.
const StatusResolved Status = "resolved"

// Example is a resolved case as a labelled example: the labels an agent
// confirmed or corrected, with the redacted text the case keeps (summary,
// signature, key lines). It is what neighbour voting, few-shot prompts and
// `dataset export` are made of.
type Example struct {
	CaseID string `json:"case_id"`
	Tenant string `json:"tenant"`
	// Labels: the agent's correction where one was given, else the
	// classifier's answer the agent confirmed.
	Severity string `json:"severity"`
	Category string `json:"category"`
	Queue    string `json:"queue"`
	// Corrected is true when the agent changed at least one label.
	Corrected  bool      `json:"corrected"`
	Summary    string    `json:"summary,omitempty"`
	Signature  string    `json:"signature,omitempty"`
	KeyLines   []string  `json:"key_lines,omitempty"` // redacted, exact lines of the redacted log
	Upload     string    `json:"upload,omitempty"`    // the upload's file name
	CreatedAt  time.Time `json:"created_at"`
	ResolvedAt time.Time `json:"resolved_at"`
	// Similarity is the cosine similarity to the query of a neighbour lookup.
	Similarity float64 `json:"similarity,omitempty"`
}

// ExampleOf is the labelled example a resolved case makes; false when the
// case has no resolution.
func ExampleOf(c *Case) (Example, bool) {
	if c == nil || c.Resolution == nil {
		return Example{}, false
	}
	r := c.Resolution
	ex := Example{
		CaseID: c.ID, Tenant: c.Tenant,
		Severity: c.Severity.Label, Category: c.Category, Queue: c.Queue,
		Summary: c.Summary, Signature: c.Signature, KeyLines: c.KeyLines,
		Upload: c.Upload.Name, CreatedAt: c.CreatedAt, ResolvedAt: r.ResolvedAt,
	}
	for _, f := range []struct{ corrected, label *string }{
		{&r.Severity, &ex.Severity}, {&r.Category, &ex.Category}, {&r.Queue, &ex.Queue},
	} {
		if *f.corrected != "" && *f.corrected != *f.label {
			*f.label = *f.corrected
			ex.Corrected = true
		}
	}
	return ex, true
}

// ApplyResolution marks c resolved by r: the case keeps the classifier's
// labels (so what it got wrong stays visible) and carries the resolution.
// Stores call it inside their write, so both stores resolve alike.
func ApplyResolution(c *Case, r Resolution) {
	rr := r
	c.Resolution = &rr
	c.Status = StatusResolved
}

// CheckResolution is the shape every store requires of a resolution: a
// tenant, a case, a known severity label if one is given, and a time.
func CheckResolution(r Resolution) error {
	if err := checkResolutionLabels(r); err != nil {
		return err
	}
	if r.ResolvedAt.IsZero() {
		return Invalidf("resolve", "a resolution needs a time")
	}
	return nil
}

func checkResolutionLabels(r Resolution) error {
	switch {
	case strings.TrimSpace(r.Tenant) == "":
		return Invalidf("resolve", "a resolution needs a tenant")
	case strings.TrimSpace(r.CaseID) == "":
		return Invalidf("resolve", "a resolution needs a case id")
	case r.Severity != "" && !slices.Contains(SeverityLabels, r.Severity):
		return Invalidf("resolve", "severity %q is not one of %s", r.Severity, strings.Join(SeverityLabels, ", "))
	}
	return nil
}

// ValidateResolution checks a resolution's labels against the severity set
// and the routing config: a corrected category or queue must be one the
// router knows, or the example would teach a label no case can be given.
// The time is not checked: whoever records the resolution stamps it.
func ValidateResolution(r Resolution, rt *router.Router) error {
	if err := checkResolutionLabels(r); err != nil {
		return err
	}
	if r.Category != "" && !rt.HasCategory(r.Category) {
		var names []string
		for _, c := range rt.Categories() {
			names = append(names, c.Name)
		}
		return Invalidf("resolve", "category %q is not in the routing config (%s)", r.Category, strings.Join(names, ", "))
	}
	if r.Queue != "" && !rt.HasQueue(r.Queue) {
		return Invalidf("resolve", "queue %q is not in the routing config (%s)", r.Queue, strings.Join(rt.Queues(), ", "))
	}
	if len(r.Note) > MaxResolutionNote {
		return Invalidf("resolve", "note of %d bytes; at most %d", len(r.Note), MaxResolutionNote)
	}
	return nil
}

// MaxResolutionNote bounds an agent's note.
const MaxResolutionNote = 4096

// NeighbourQuery asks for the resolved cases nearest to an embedding.
type NeighbourQuery struct {
	Tenant string
	// CrossTenant also returns other tenants' resolved cases: off unless
	// the operator switched cross-tenant learning on.
	CrossTenant   bool
	Embedding     Embedding
	K             int
	MinSimilarity float64
	ExcludeCaseID string
}

// ExampleFilter selects resolved cases for export.
type ExampleFilter struct {
	Tenant     string
	AllTenants bool
	Since      time.Time // resolved at or after; zero for all
}

// ExampleStore is the optional store capability behind learning from
// agents: the nearest resolved cases to an embedding, and every resolved
// case for export. Both stores implement it beside Resolver.
type ExampleStore interface {
	// ConfirmedNeighbours returns up to K resolved cases at MinSimilarity or
	// above in the query's embedder space, most similar first, of the
	// query's tenant only unless CrossTenant is set.
	ConfirmedNeighbours(ctx context.Context, q NeighbourQuery) ([]Example, error)
	// Examples returns the resolved cases the filter selects, oldest
	// resolution first.
	Examples(ctx context.Context, f ExampleFilter) ([]Example, error)
}

// CheckNeighbourQuery is the validation both stores share.
func CheckNeighbourQuery(q NeighbourQuery) error {
	if q.Tenant == "" && !q.CrossTenant {
		return Invalidf("store", "confirmed neighbours: a tenant is required")
	}
	if q.Embedding.EmbedderID == "" || len(q.Embedding.Vector) == 0 {
		return Invalidf("store", "confirmed neighbours: an embedding is required")
	}
	return nil
}

// String names an example for reasons and logs.
func (e Example) String() string {
	return fmt.Sprintf("%s (%.2f)", e.CaseID, e.Similarity)
}

// SortExamples orders examples by resolution time, then case id, so an
// export is reproducible.
func SortExamples(xs []Example) {
	slices.SortFunc(xs, func(a, b Example) int {
		if c := a.ResolvedAt.Compare(b.ResolvedAt); c != 0 {
			return c
		}
		return strings.Compare(a.CaseID, b.CaseID)
	})
}

// resolutionChanges renders a resolution's corrections for RenderText.
func resolutionChanges(r *Resolution) string {
	var parts []string
	for _, f := range [][2]string{{"severity", r.Severity}, {"category", r.Category}, {"queue", r.Queue}} {
		if f[1] != "" {
			parts = append(parts, f[0]+" "+f[1])
		}
	}
	out := "  — confirmed as judged"
	if len(parts) > 0 {
		out = "  — corrected: " + strings.Join(parts, ", ")
	}
	if r.Note != "" {
		out += "; note: " + r.Note
	}
	return out
}
