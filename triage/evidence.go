package triage

import "strings"

// IncidentEvidence is what broke, named in words no system's phrasing owns:
// the failure kind the failing lines report, the role of the failing
// component (the routing config's category its failing lines name) and the
// category the evidence reads. Two systems reporting the same incident in
// their own words share it, so it goes into the signature the embedding is
// made from (similar incidents across wording).
type IncidentEvidence struct {
	FailureKind string `json:"failure_kind,omitempty"` // e.g. "certificate or TLS failure"
	Role        string `json:"role,omitempty"`         // e.g. "database"
	Category    string `json:"category,omitempty"`     // e.g. "network"
}

// EvidenceReader is the optional part of Rules that extracts the evidence
// (triage/rules implements it). Without it signatures carry templates only.
type EvidenceReader interface {
	IncidentEvidence(in ClassifyInput) IncidentEvidence
}

// EvidencePrefix starts a signature's first line when it carries evidence.
// Embedders that weigh evidence apart (embed.Local) read that line only.
const EvidencePrefix = "evidence:"

// Line renders the evidence as a signature's first line:
// "evidence: kind=resource exhausted; role=database; category=database".
// Values are closed-set names from code and config; separators are
// replaced so a value cannot add a field.
func (e IncidentEvidence) Line() string {
	clean := func(s string) string {
		return strings.TrimSpace(strings.NewReplacer(";", " ", "=", " ", "\n", " ", "\r", " ").Replace(s))
	}
	return EvidencePrefix + " kind=" + clean(e.FailureKind) + "; role=" + clean(e.Role) + "; category=" + clean(e.Category)
}

// ParseEvidenceLine reads a Line back; ok is false for any other line.
func ParseEvidenceLine(line string) (e IncidentEvidence, ok bool) {
	rest, ok := strings.CutPrefix(line, EvidencePrefix)
	if !ok {
		return e, false
	}
	for _, field := range strings.Split(rest, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		v = strings.TrimSpace(v)
		switch k {
		case "kind":
			e.FailureKind = v
		case "role":
			e.Role = v
		case "category":
			e.Category = v
		}
	}
	return e, true
}

// WithEvidence puts the evidence line before a signature. Every signature
// made with evidence starts with it, even an empty one, so a log line that
// reads like an evidence line can never stand first.
func WithEvidence(e IncidentEvidence, signature string) string {
	if signature == "" {
		return e.Line()
	}
	return e.Line() + "\n" + signature
}
