package detectors

import (
	"strings"
	"testing"
)

func testEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Options{FingerprintKey: []byte("test-key")})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// parseExample strips the «» markers and returns the text and the marked spans.
func parseExample(s string) (string, [][2]int) {
	var b strings.Builder
	var spans [][2]int
	start := -1
	for _, r := range s {
		switch r {
		case '«':
			start = b.Len()
		case '»':
			spans = append(spans, [2]int{start, b.Len()})
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), spans
}

// TestDetectorExamples runs every detector's own true and false positives.
func TestDetectorExamples(t *testing.T) {
	e := testEngine(t)
	for _, d := range builtins {
		if len(d.tp) == 0 || len(d.fp) == 0 {
			t.Errorf("%s: needs true- and false-positive examples", d.id)
		}
		t.Logf("%-22s TP %d FP %d", d.id, len(d.tp), len(d.fp))
		for _, ex := range d.tp {
			text, spans := parseExample(ex)
			if len(spans) == 0 {
				t.Errorf("%s: example %q marks no span", d.id, ex)
				continue
			}
			fs := e.ScanBytes([]byte(text))
			for _, sp := range spans {
				found := false
				for _, f := range fs {
					if f.Type == d.typ && f.Start == int64(sp[0]) && f.End == int64(sp[1]) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: missed %q in %q; got %v", d.id, text[sp[0]:sp[1]], text, brief(text, fs))
				}
			}
		}
		for _, ex := range d.fp {
			for _, f := range e.ScanBytes([]byte(ex)) {
				if f.Type == d.typ {
					t.Errorf("%s: false positive %q in %q", d.id, ex[f.Start:f.End], ex)
				}
			}
		}
	}
}

func brief(text string, fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type+"="+text[f.Start:f.End])
	}
	return out
}
