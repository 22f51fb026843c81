package triage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/detectors"
)

func testFingerprint(t testing.TB) func([]byte) string {
	t.Helper()
	e, err := detectors.New(detectors.Options{FingerprintKey: []byte("piipass-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	return e.Fingerprint
}

// spanOf is the span of the first occurrence of v in lines[i].
func spanOf(lines []string, i int, v, typ string) PIISpan {
	at := strings.Index(lines[i], v)
	if at < 0 {
		panic("test value " + v + " not in line")
	}
	return PIISpan{Line: i, Start: at, End: at + len(v), Type: typ, Confidence: 0.9}
}

func TestApplyPII(t *testing.T) {
	fp := testFingerprint(t)
	name := "[PERSON_NAME:" + fp([]byte("maria gonzalez"))[:8] + "]"
	addr := "[STREET_ADDRESS:" + fp([]byte("12 main st"))[:8] + "]"
	lines := []string{
		"ERROR refund failed for Maria Gonzalez at 12 Main St",
		"WARN mail to [EMAIL:3f9a1c2e] bounced",
		"INFO Zoë Ärger logged in",
		"INFO plain",
	}
	tests := []struct {
		name  string
		spans []PIISpan
		want  []string // the lines after
		found int
	}{
		{"name and address", []PIISpan{spanOf(lines, 0, "Maria Gonzalez", detectors.TypePersonName), spanOf(lines, 0, "12 Main St", detectors.TypeStreetAddress)},
			[]string{"ERROR refund failed for " + name + " at " + addr, lines[1], lines[2], lines[3]}, 2},
		{"same name differently spaced and cased correlates", []PIISpan{{Line: 3, Start: 5, End: 10, Type: detectors.TypePersonName}},
			[]string{lines[0], lines[1], lines[2], "INFO [PERSON_NAME:" + fp([]byte("plain"))[:8] + "]"}, 1},
		{"out of range", []PIISpan{{Line: 4, Start: 0, End: 1, Type: detectors.TypePersonName}, {Line: -1, End: 1, Type: detectors.TypePersonName},
			{Line: 3, Start: 5, End: 99, Type: detectors.TypePersonName}, {Line: 3, Start: 6, End: 6, Type: detectors.TypePersonName}, {Line: 3, Start: 7, End: 5, Type: detectors.TypePersonName}}, lines, 0},
		{"unknown type", []PIISpan{{Line: 3, Start: 5, End: 10, Type: "email"}}, lines, 0},
		{"blank", []PIISpan{{Line: 3, Start: 4, End: 5, Type: detectors.TypePersonName}}, lines, 0},
		{"inside a rune", []PIISpan{{Line: 2, Start: 5, End: 8, Type: detectors.TypePersonName}}, lines, 0},
		{"into a placeholder", []PIISpan{{Line: 1, Start: 8, End: 20, Type: detectors.TypePersonName}}, lines, 0},
		{"overlapping spans merge", []PIISpan{{Line: 0, Start: 24, End: 38, Type: detectors.TypePersonName}, {Line: 0, Start: 35, End: 52, Type: detectors.TypeStreetAddress}},
			[]string{"ERROR refund failed for [PERSON_NAME:" + fp([]byte("maria gonzalez at 12 main st"))[:8] + "]", lines[1], lines[2], lines[3]}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, found := ApplyPII(lines, tc.spans, fp)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(found) != tc.found {
				t.Errorf("found %d, want %d", len(found), tc.found)
			}
			for _, f := range found {
				if len(f.Fingerprint) != 16 || !strings.Contains(f.Placeholder, f.Fingerprint[:8]) {
					t.Errorf("finding %+v: fingerprint and placeholder disagree", f)
				}
			}
		})
	}
	if lines[0] != "ERROR refund failed for Maria Gonzalez at 12 Main St" {
		t.Error("ApplyPII changed its input")
	}
	long := strings.Repeat("Maria ", 50)
	if got, found := ApplyPII([]string{long}, []PIISpan{{Line: 0, End: len(long), Type: detectors.TypePersonName}}, fp); len(found) != 0 || got[0] != long {
		t.Errorf("a %d-byte span was applied", len(long))
	}
	got, _ := ApplyPII([]string{"INFO Maria"}, []PIISpan{{Line: 0, Start: 5, End: 10, Type: detectors.TypePersonName}}, nil)
	if got[0] != "INFO [PERSON_NAME]" {
		t.Errorf("without a fingerprint: %q", got[0])
	}
}

// detectFunc adapts a function to PIIDetector.
type detectFunc func(ctx context.Context, lines []string) ([]PIISpan, error)

func (f detectFunc) DetectPII(ctx context.Context, lines []string) ([]PIISpan, error) {
	return f(ctx, lines)
}

func piiAnalysis() *Analysis {
	return &Analysis{
		Excerpt: []string{
			"2026-11-20 10:00:01 INFO start",
			"2026-11-20 10:00:07 ERROR refund failed for Maria Gonzalez, [EMAIL:3f9a1c2e], ship to 12 Main St",
			"2026-11-20 10:00:08 WARN retry for Maria Gonzalez; Alert raised",
			"==> b.log <== marker-less member line, Maria Gonzalez again",
		},
		ExcerptLines: []int{1, 7, 8, 15},
		// The whole text of a cut line holds mentions past the cut.
		ExcerptCut: map[int]string{3: "==> b.log <== marker-less member line, Maria Gonzalez again and, past the cut, Maria Gonzalez at 12 Main St"},
		Templates: []TemplateStat{
			{Template: "<*> ERROR refund failed for Maria Gonzalez, [EMAIL:3f9a1c2e], ship to <*> Main St", Level: "error", Count: 3, Example: "2026-11-20 10:00:07 ERROR refund failed for Maria Gonzalez, [EMAIL:3f9a1c2e], ship to 12 Main St"},
		},
		Signals: []SignalCount{{Name: "x", Example: "panic for Maria Gonzalez"}},
		Findings: []FindingSummary{
			{Type: "email", Category: "pii", Count: 2, Locations: []Location{{File: "a.log", Line: 7}}, Fingerprints: []string{"3f9a1c2e00000000"}},
		},
	}
}

func TestRedactPII(t *testing.T) {
	fp := testFingerprint(t)
	a := piiAnalysis()
	// The detector names the person once, in one line; the pass finds the rest.
	d := detectFunc(func(_ context.Context, lines []string) ([]PIISpan, error) {
		return []PIISpan{spanOf(lines, 1, "Maria Gonzalez", detectors.TypePersonName), spanOf(lines, 1, "12 Main St", detectors.TypeStreetAddress), {Line: 2, Start: 55, End: 60, Type: "bogus"}}, nil
	})
	res := RedactPII(context.Background(), d, a, PIIPassOptions{
		Fingerprint: fp, FileName: "bundle.tar",
		Members: []Member{{Name: "a.log", FirstLine: 2}, {Name: "b.log", FirstLine: 11}},
	})
	if res.Status != "llm" || res.Found != 4 {
		t.Fatalf("result %+v, want llm with 4 found", res)
	}
	ph := "[PERSON_NAME:" + fp([]byte("maria gonzalez"))[:8] + "]"
	for _, s := range append([]string{a.Templates[0].Template, a.Templates[0].Example, a.Signals[0].Example, a.ExcerptCut[3]}, a.Excerpt...) {
		if strings.Contains(s, "Maria") || strings.Contains(s, "Main St") {
			t.Errorf("name survived: %q", s)
		}
	}
	addr := "[STREET_ADDRESS:" + fp([]byte("12 main st"))[:8] + "]"
	if !strings.Contains(a.Excerpt[2], ph+"; Alert") || !strings.HasSuffix(a.Templates[0].Template, ph+", [EMAIL:3f9a1c2e], ship to "+addr) {
		t.Errorf("placeholder missing: %q / %q", a.Excerpt[2], a.Templates[0].Template)
	}
	var names *FindingSummary
	for i := range a.Findings {
		if a.Findings[i].Type == detectors.TypePersonName {
			names = &a.Findings[i]
		}
	}
	if names == nil {
		t.Fatalf("no person_name summary in %+v", a.Findings)
	}
	wantLoc := []Location{{File: "a.log", Line: 6}, {File: "a.log", Line: 7}, {File: "b.log", Line: 5}}
	if names.Count != 3 || names.Category != "pii" || len(names.Fingerprints) != 1 || names.Distinct != 1 || len(names.Locations) != 3 {
		t.Fatalf("summary %+v", names)
	}
	for i, l := range wantLoc {
		if names.Locations[i] != l {
			t.Errorf("location %d = %+v, want %+v", i, names.Locations[i], l)
		}
	}
	if a.Findings[0].Type != detectors.TypePersonName {
		t.Errorf("summaries not re-sorted by count: %+v", a.Findings)
	}
}

func TestRedactPIIFailureLeavesAnalysis(t *testing.T) {
	fp := testFingerprint(t)
	a := piiAnalysis()
	before := strings.Join(a.Excerpt, "\n")
	res := RedactPII(context.Background(), detectFunc(func(context.Context, []string) ([]PIISpan, error) {
		return nil, errors.New("pii: llm: server error (HTTP 500) after 3 attempt(s)")
	}), a, PIIPassOptions{Fingerprint: fp})
	if res.Status != "skipped: pii: llm: server error (HTTP 500) after 3 attempt(s)" {
		t.Errorf("status %q", res.Status)
	}
	if strings.Join(a.Excerpt, "\n") != before || len(a.Findings) != 1 {
		t.Error("a failed pass changed the analysis")
	}
	if res := RedactPII(context.Background(), detectFunc(nil), a, PIIPassOptions{}); !strings.HasPrefix(res.Status, "skipped: ") {
		t.Errorf("no fingerprint: status %q", res.Status)
	}
}

func TestWordOccurrences(t *testing.T) {
	for _, tc := range []struct {
		s, v string
		want []int
	}{
		{"Al Alert Al", "Al", []int{0, 9}},
		{"(Al)", "Al", []int{1}},
		{"Jo Jo", "Jo", []int{0, 3}},
		{"Zoë Zoëx", "Zoë", []int{0}},
		{"x-12 Main St-y", "12 Main St", []int{2}},
		{"", "a", nil},
	} {
		got := WordOccurrences(tc.s, tc.v)
		if len(got) != len(tc.want) {
			t.Errorf("WordOccurrences(%q, %q) = %v, want %v", tc.s, tc.v, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("WordOccurrences(%q, %q) = %v, want %v", tc.s, tc.v, got, tc.want)
			}
		}
	}
}

// FuzzApplyPII: any spans on any line never panic, never split a rune or
// a placeholder, and each accepted value is replaced by its placeholder
// at its position.
func FuzzApplyPII(f *testing.F) {
	f.Add("ERROR Maria Gonzalez [EMAIL:3f9a1c2e] x", 6, 20, 18, 30, true)
	f.Add("Zoë Ärger", 0, 4, 2, 9, false)
	f.Add("[IP_ADDRESS] at 12 Main St", -1, 5, 16, 26, true)
	f.Add("\xff\xfe bad utf8 Name", 3, 7, 0, 1, false)
	fp := testFingerprint(f)
	f.Fuzz(func(t *testing.T, line string, s1, e1, s2, e2 int, second bool) {
		spans := []PIISpan{{Line: 0, Start: s1, End: e1, Type: detectors.TypePersonName}}
		if second {
			spans = append(spans, PIISpan{Line: 0, Start: s2, End: e2, Type: detectors.TypeStreetAddress})
		}
		out, found := ApplyPII([]string{line}, spans, fp)
		if len(out) != 1 {
			t.Fatalf("%d lines out", len(out))
		}
		before := placeholderRE.FindAllString(line, -1)
		if len(found) == 0 && out[0] != line {
			t.Fatalf("nothing found but the line changed: %q -> %q", line, out[0])
		}
		shift := 0
		for _, f := range found {
			if f.Start < 0 || f.End > len(line) || f.Start >= f.End {
				t.Fatalf("finding out of range: %+v", f)
			}
			at := f.Start + shift
			if !strings.HasPrefix(out[0][at:], f.Placeholder) {
				t.Fatalf("placeholder %s not at %d of %q", f.Placeholder, at, out[0])
			}
			shift += len(f.Placeholder) - (f.End - f.Start)
		}
		after := placeholderRE.FindAllString(out[0], -1)
		if len(after) != len(before)+len(found) {
			t.Fatalf("placeholders: %d before, %d found, %d after in %q", len(before), len(found), len(after), out[0])
		}
	})
}

// BenchmarkPIIPass: ApplyPII on the detector's spans is the baseline; the
// whole pass adds finding every other mention, scrubbing the templates and
// merging the summaries.
func BenchmarkPIIPass(b *testing.B) {
	fp := testFingerprint(b)
	base := &Analysis{}
	var spans []PIISpan
	for i := range 200 {
		l := fmt.Sprintf("2026-11-20T10:%02d:%02dZ ERROR worker-%d refund failed user=[EMAIL:3f9a1c2e] attempt=%d", i/60, i%60, i%7, i)
		if i%5 == 0 {
			l += " customer Maria Gonzalez"
			spans = append(spans, PIISpan{Line: i, Start: len(l) - len("Maria Gonzalez"), End: len(l), Type: detectors.TypePersonName})
		}
		base.Excerpt = append(base.Excerpt, l)
		base.ExcerptLines = append(base.ExcerptLines, i*10+1)
	}
	for i := range 40 {
		base.Templates = append(base.Templates, TemplateStat{Template: fmt.Sprintf("<*> ERROR worker-<*> template %d customer Maria Gonzalez", i), Example: base.Excerpt[i]})
	}
	d := detectFunc(func(context.Context, []string) ([]PIISpan, error) { return spans, nil })
	b.Run("apply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, found := ApplyPII(base.Excerpt, spans, fp); len(found) != 40 {
				b.Fatal(len(found))
			}
		}
	})
	b.Run("pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := *base
			a.Templates = append([]TemplateStat(nil), base.Templates...)
			if res := RedactPII(context.Background(), d, &a, PIIPassOptions{Fingerprint: fp}); res.Found != 40 {
				b.Fatal(res)
			}
		}
	})
}
