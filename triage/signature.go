package triage

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SignatureTemplates is how many templates a signature holds.
const SignatureTemplates = 5

// Signature is the redacted, template-normalized text an incident is
// embedded and compared by: the fatal signatures seen, then the top error
// templates (warnings when there are no errors, the most frequent templates
// when there are neither). Timestamps, ids and counts are masked, so two
// uploads of the same failure get the same signature.
func Signature(templates []TemplateStat, signals []SignalCount) string {
	var b strings.Builder
	for _, s := range signals {
		b.WriteString("signal ")
		b.WriteString(s.Name)
		b.WriteByte('\n')
	}
	pick := func(levels ...string) []TemplateStat {
		var out []TemplateStat
		for _, t := range templates {
			for _, l := range levels {
				if t.Level == l && len(out) < SignatureTemplates {
					out = append(out, t)
				}
			}
		}
		return out
	}
	chosen := pick(LevelFatal, LevelError)
	if len(chosen) == 0 {
		chosen = pick(LevelWarn)
	}
	if len(chosen) == 0 {
		chosen = mostFrequent(templates, SignatureTemplates)
	}
	for _, t := range chosen {
		if t.Level != "" {
			b.WriteString(t.Level)
			b.WriteByte(' ')
		}
		b.WriteString(SignatureText(t.Template))
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// leadingMasks drops the masked timestamp/pid prefix so the signature starts
// at the message.
var leadingMasks = regexp.MustCompile(`^(?:[\s\-:.,/|\[\]]*<\*>)+[\s\-:.,/|\]]*`)

// SignatureText is a template with its leading masks and noise cut, as
// summaries quote it.
func SignatureText(template string) string {
	return strings.TrimSpace(leadingMasks.ReplaceAllString(template, ""))
}

func mostFrequent(templates []TemplateStat, n int) []TemplateStat {
	out := append([]TemplateStat(nil), templates...)
	// By count then first line, so equal logs give equal signatures.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].FirstLine < out[j].FirstLine
	})
	return out[:min(n, len(out))]
}

// CaseID is deterministic in (tenant, upload id): a redelivered upload maps
// to the same case and never duplicates it.
func CaseID(tenant, uploadID string) string {
	// Length-prefixed so no (tenant, upload) pair can collide with another.
	sum := sha256.Sum256([]byte(strconv.Itoa(len(tenant)) + ":" + tenant + uploadID))
	return "case_" + hex.EncodeToString(sum[:12])
}

var caseRefPrefix = regexp.MustCompile(`^([A-Za-z]{0,4}\d{4,})[_\- ]`)

// CaseRefFromName reads the customer's case number from a file-name prefix:
// "02855523_testreport.gz" -> "02855523"; "" when there is none.
func CaseRefFromName(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if m := caseRefPrefix.FindStringSubmatch(base); m != nil {
		return m[1]
	}
	return ""
}

// AlertFor is the security alert of a case whose PII risk crossed the
// threshold (c.Alerted), carrying finding summaries only, never values.
func AlertFor(c *Case, now time.Time) (Alert, bool) {
	if !c.Alerted {
		return Alert{}, false
	}
	return Alert{CaseID: c.ID, Tenant: c.Tenant, Upload: c.Upload, Risk: c.PIIRisk, Findings: c.Findings, Time: now}, true
}
