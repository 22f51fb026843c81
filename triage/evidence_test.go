package triage

import (
	"strings"
	"testing"
)

// FuzzEvidenceLine: whatever the values hold, a rendered evidence line is
// one line, parses back, and parsing it again gives the same evidence (so
// a value can never add or change a field).
func FuzzEvidenceLine(f *testing.F) {
	f.Add("resource exhausted", "database", "database")
	f.Add("x; category=security", "role=y\nevidence: kind=z", "")
	f.Add("", "", "=;=;")
	f.Fuzz(func(t *testing.T, kind, role, category string) {
		line := IncidentEvidence{FailureKind: kind, Role: role, Category: category}.Line()
		if strings.Contains(line, "\n") {
			t.Fatalf("evidence line spans lines: %q", line)
		}
		ev, ok := ParseEvidenceLine(line)
		if !ok {
			t.Fatalf("ParseEvidenceLine(%q) failed", line)
		}
		again, _ := ParseEvidenceLine(ev.Line())
		if again != ev {
			t.Fatalf("not stable: %+v then %+v", ev, again)
		}
		if strings.ContainsAny(ev.FailureKind+ev.Role+ev.Category, ";=\n") {
			t.Fatalf("a separator survived in a value: %+v", ev)
		}
	})
}
