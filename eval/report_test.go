package eval

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
)

func runWithDetection() *Run {
	r := sampleRun()
	r.Cases[0].Detection = map[string]TypeCounts{"email": {TP: 3, FP: 1}, "ip_address": {TP: 5, FN: 2}}
	r.Cases[1].ID = `<script>alert("x")</script>`
	r.Cases[1].Severity = "info"
	r.Metrics = Compute(r.Cases, scale, false, 5, nil)
	return r
}

func TestHTMLReportStructure(t *testing.T) {
	r := runWithDetection()
	cmp := Compare(sampleRun(), r, Tolerances{})
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r, &cmp); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "</html>") {
		t.Fatal("not an HTML document")
	}
	// Self-contained: no scripts, no external assets.
	if strings.Contains(page, "<script") || regexp.MustCompile(`(src|href)=`).MatchString(page) {
		t.Error("report loads scripts or external assets, or failed to escape a case id")
	}
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1)
	if len(svgs) != 3 {
		t.Fatalf("want 3 charts (confusion, routing, detection), got %d", len(svgs))
	}
	for _, svg := range svgs {
		if err := wellFormed(svg); err != nil {
			t.Errorf("chart is not well-formed XML: %v", err)
		}
	}
	// The confusion matrix has one cell per (gold, predicted) pair.
	if n := strings.Count(svgs[0], `class="cell"`); n != 5*6 {
		t.Errorf("confusion cells = %d, want 30", n)
	}
	// One bar per finding type and series (precision, recall, F1).
	if n := strings.Count(svgs[2], `class="bar"`); n != 2*3 {
		t.Errorf("detection bars = %d, want 6", n)
	}
	for _, want := range []string{"severity.accuracy", "Against the baseline", "ip_address (7)", "&lt;script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func wellFormed(doc string) error {
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func TestTextAndJSONReports(t *testing.T) {
	r := runWithDetection()
	var text bytes.Buffer
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"severity accuracy", "routing accuracy (top-1 queue)", "skills micro-F1", "FINDING TYPE", "ip_address", "SEVERITY gold \\ predicted", "MISSES (1)", "low -> info"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back Run
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Metrics.Detection.PerType["ip_address"].FN != 2 || len(back.Cases) != 3 || back.Meta.DatasetHash != "abc" {
		t.Errorf("round trip lost data: %+v", back.Metrics.Detection)
	}
}
