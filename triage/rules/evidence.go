package rules

import (
	"context"

	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
)

var _ triage.EvidenceReader = (*Classifier)(nil)

// IncidentEvidence implements triage.EvidenceReader; Classify also returns
// it (Classification.Evidence), from the reading it has already done.
func (c *Classifier) IncidentEvidence(in triage.ClassifyInput) triage.IncidentEvidence {
	cls, _ := c.Classify(context.Background(), in) // the rules never fail
	return cls.Evidence
}

// evidence names what broke: the failure kind (topFailureKind), the category
// the failing lines' words name in the routing config (the role of what is
// failing), and the category the rules chose from all the evidence.
func (c *Classifier) evidence(in triage.ClassifyInput, kind string, r *reader, category string) triage.IncidentEvidence {
	ev := triage.IncidentEvidence{FailureKind: kind, Category: category}
	var failing []router.WeightedLine
	for _, t := range in.Templates {
		if (t.Level == triage.LevelFatal || t.Level == triage.LevelError || t.Level == triage.LevelWarn) && !r.read(t.Example).injected {
			failing = append(failing, router.WeightedLine{Text: t.Example, Weight: 1})
		}
	}
	if m := c.router.MatchCategories(failing); len(m) > 0 {
		ev.Role = m[0].Category
	}
	return ev
}

// topFailureKind is the hard kind most failing lines report, else timeouts
// and retries when those are what fails, else "".
func topFailureKind(kinds kindEvidence) string {
	kind, best := "", 0
	for name, n := range kinds.hardBy {
		if n > best || n == best && name < kind {
			kind, best = name, n
		}
	}
	if kind == "" && kinds.timeouts > 0 {
		kind = timeoutsKind
	}
	return kind
}
