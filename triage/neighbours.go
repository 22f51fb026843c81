package triage

import (
	"context"
	"fmt"
	"strings"

	"github.com/logtriage/logtriage/router"
)

// FeedbackOptions configure learning from agents: a new case whose nearest
// resolved cases agree on a label takes it, and an LLM classifier is shown
// the nearest resolved cases as examples. It needs a Store that implements
// ExampleStore (both stores do); the zero value is the default.
type FeedbackOptions struct {
	// Off turns learning from agents off.
	Off bool
	// K resolved neighbours at most are consulted (default 3).
	K int
	// MinSimilarity is the cosine similarity from which a resolved case
	// counts as a neighbour (default 0.90: near-duplicates, not look-alikes).
	MinSimilarity float64
	// CrossTenant lets one tenant's resolutions label another tenant's
	// cases. Off by default; even on, only labels cross tenants: an LLM is
	// shown examples of the case's own tenant only.
	CrossTenant bool
	// FewShot resolved cases at most are given to an LLM classifier as
	// examples (default 3; negative for none).
	FewShot int
}

func (o FeedbackOptions) withDefaults() FeedbackOptions {
	if o.K <= 0 {
		o.K = 3
	}
	if o.MinSimilarity <= 0 {
		o.MinSimilarity = 0.90
	}
	if o.FewShot == 0 {
		o.FewShot = 3
	}
	return o
}

// neighbours are the resolved cases nearest to the case's embedding, or nil
// when learning is off, there is no embedding or the store cannot say.
func (p *Pipeline) neighbours(ctx context.Context, c *Case, emb *Embedding) ([]Example, error) {
	es, ok := p.opts.Store.(ExampleStore)
	if p.opts.Feedback.Off || !ok || emb == nil {
		return nil, nil
	}
	f := p.opts.Feedback
	xs, err := es.ConfirmedNeighbours(ctx, NeighbourQuery{
		Tenant: c.Tenant, CrossTenant: f.CrossTenant, Embedding: *emb,
		K: f.K, MinSimilarity: f.MinSimilarity, ExcludeCaseID: c.ID,
	})
	if err != nil {
		return nil, transientUnlessKinded("neighbours", err)
	}
	return xs, nil
}

// fewShot picks the examples an LLM classifier is shown: the nearest, of
// the case's own tenant only (another tenant's log text never reaches this
// tenant's prompt), redacted text and labels only.
func fewShot(xs []Example, tenant string, n int) []Example {
	var out []Example
	for _, x := range xs {
		if len(out) >= n {
			break
		}
		if x.Tenant == tenant {
			out = append(out, x)
		}
	}
	return out
}

// NeighbourVote is what the resolved neighbours agree on: a label is set
// only when every neighbour has the same one.
type NeighbourVote struct {
	Severity, Category, Queue string
	Neighbours                []Example
}

// Vote returns the labels all of xs share. With no neighbours it is empty.
func Vote(xs []Example) NeighbourVote {
	v := NeighbourVote{Neighbours: xs}
	if len(xs) == 0 {
		return v
	}
	v.Severity, v.Category, v.Queue = xs[0].Severity, xs[0].Category, xs[0].Queue
	for _, x := range xs[1:] {
		if x.Severity != v.Severity {
			v.Severity = ""
		}
		if x.Category != v.Category {
			v.Category = ""
		}
		if x.Queue != v.Queue {
			v.Queue = ""
		}
	}
	return v
}

// named lists the neighbours for a reason: "case_a (0.97), case_b (0.93)".
func (v NeighbourVote) named() string {
	parts := make([]string, len(v.Neighbours))
	for i, x := range v.Neighbours {
		parts[i] = x.String()
		if x.Corrected {
			parts[i] += " corrected by an agent"
		}
	}
	return strings.Join(parts, ", ")
}

// applyVote gives the classification the labels the neighbours agree on and
// says so in its reasons; it returns what changed, for ClassifierInfo.
func applyVote(cls *Classification, v NeighbourVote, rt *router.Router) []string {
	var changed []string
	if v.Severity != "" && v.Severity != cls.Severity {
		changed = append(changed, fmt.Sprintf("severity %s (classifier: %s)", v.Severity, cls.Severity))
		cls.Severity = v.Severity
	}
	if v.Category != "" && v.Category != cls.Category && rt.HasCategory(v.Category) {
		changed = append(changed, fmt.Sprintf("category %s (classifier: %s)", v.Category, cls.Category))
		cls.Category, cls.Skills = v.Category, rt.CategorySkills(v.Category)
	}
	return changed
}

// scoreWithVote scores the severity; when the label is the neighbours', an
// agent's judgement of a near-duplicate outranks the evidence floor (it is
// exactly what agents correct), and the reasons name the neighbours.
func scoreWithVote(label string, ev Evidence, v NeighbourVote) Score {
	s := ScoreSeverity(label, ev)
	if v.Severity == "" || v.Severity != label {
		return s
	}
	if s.Label != label {
		from, to := severityBands[s.Label], severityBands[label]
		pos := (s.Score - from[0]) / max(from[1]-from[0], 1)
		s.Score = to[0] + pos*(to[1]-to[0])
		var kept []string
		for _, r := range s.Reasons {
			if !strings.HasPrefix(r, "raised from ") && !strings.HasPrefix(r, "severity ") {
				kept = append(kept, r)
			}
		}
		s.Label, s.Reasons = label, append([]string{"severity " + label}, kept...)
	}
	s.Reasons = append([]string{fmt.Sprintf("severity %s: resolved neighbours agree: %s", label, v.named())}, s.Reasons...)
	return s
}

// routeWithVote names the neighbours in the route reasons when the category
// is theirs, and overrides the router's queue with the neighbours' when they
// agree on one the config has. It reports whether the queue changed.
func routeWithVote(d *router.Decision, v NeighbourVote, rt *router.Router) bool {
	if v.Category != "" && v.Category == d.Category {
		d.Reasons = append([]string{fmt.Sprintf("category %s: resolved neighbours agree: %s", v.Category, v.named())}, d.Reasons...)
	}
	if v.Queue == "" || v.Queue == d.Queue || !rt.HasQueue(v.Queue) {
		return false
	}
	d.Reasons = append(d.Reasons, fmt.Sprintf("queue %s instead of %s: resolved neighbours agree: %s", v.Queue, d.Queue, v.named()))
	d.Queue = v.Queue
	return true
}

// feedbackNote is ClassifierInfo.Feedback: which labels came from whom.
func feedbackNote(changed []string, v NeighbourVote) string {
	if len(v.Neighbours) == 0 {
		return ""
	}
	if len(changed) == 0 {
		return fmt.Sprintf("%d resolved neighbour(s) consulted, no label changed: %s", len(v.Neighbours), v.named())
	}
	return fmt.Sprintf("labels from %d resolved neighbour(s): %s; neighbours %s", len(v.Neighbours), strings.Join(changed, ", "), v.named())
}
