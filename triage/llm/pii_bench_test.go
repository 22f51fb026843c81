package llm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// piiBenchLines is a full-size excerpt with a name on every fifth line.
func piiBenchLines() ([]string, string) {
	var lines []string
	var es []piiEntity
	for i := range 200 {
		l := fmt.Sprintf("2026-11-20T10:%02d:%02dZ ERROR worker-%d refund failed user=[EMAIL:3f9a1c2e] attempt=%d", i/60, i%60, i%7, i)
		if i%5 == 0 {
			l += " customer Maria Gonzalez"
			es = append(es, piiEntity{Line: i + 1, Text: "Maria Gonzalez", Type: "person_name"})
		}
		lines = append(lines, l)
	}
	answer, _ := json.Marshal(piiAnswer{Entities: es})
	return lines, string(answer)
}

// BenchmarkPIIAnswer: decoding the model's answer is the baseline that
// locating and checking its entities is measured against.
func BenchmarkPIIAnswer(b *testing.B) {
	lines, content := piiBenchLines()
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var a piiAnswer
			if err := json.Unmarshal([]byte(content), &a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode+locate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var a piiAnswer
			if err := json.Unmarshal([]byte(content), &a); err != nil {
				b.Fatal(err)
			}
			if spans, _ := locate(lines, a.Entities); len(spans) != 40 {
				b.Fatalf("%d spans", len(spans))
			}
		}
	})
}

// FuzzLocate: whatever the model answers, spans stay inside their line,
// cover exactly the (trimmed) text it gave, less a copied line prefix,
// and only plausible texts of the closed types are kept.
func FuzzLocate(f *testing.F) {
	f.Add("refund for Maria Gonzalez", 1, "Maria Gonzalez", "person_name")
	f.Add("Zoë Ärger wrote", 1, "Zoë", "person_name")
	f.Add("ship to 12 Main St", 2, "12 Main St", "street_address")
	f.Add("[EMAIL:3f9a1c2e]", 1, "[EMAIL:3f9a1c2e]", "person_name")
	f.Add("\xff\xfe Name", 1, "\xfe Name", "person_name")
	f.Fuzz(func(t *testing.T, line string, n int, text, typ string) {
		lines := []string{line, "x " + line}
		spans, dropped := locate(lines, []piiEntity{{Line: n, Text: text, Type: typ}})
		if len(spans) > 0 && dropped != 0 || len(spans) == 0 && dropped != 1 {
			t.Fatalf("%d spans and %d dropped for one entity", len(spans), dropped)
		}
		for _, s := range spans {
			if s.Line != n-1 || s.Start < 0 || s.End > len(lines[s.Line]) || s.Start >= s.End {
				t.Fatalf("span %+v out of range", s)
			}
			if got := lines[s.Line][s.Start:s.End]; !strings.HasSuffix(strings.TrimSpace(text), got) || !plausible(got, typ) {
				t.Fatalf("span covers %q for entity %q of type %s", got, text, typ)
			}
		}
	})
}
