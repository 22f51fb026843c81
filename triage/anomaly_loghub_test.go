package triage_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
	"github.com/logtriage/logtriage/triage/drain"
)

const loghubDir = "drain/testdata/loghub"

// loghubRows reads a Loghub 2k structured CSV (triage/drain/testdata/loghub).
func loghubRows(tb testing.TB, system string) (header map[string]int, rows [][]string) {
	tb.Helper()
	path := filepath.Join(loghubDir, system+"_2k.log_structured.csv")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("%s is missing: the Loghub 2k samples (github.com/logpai/loghub) belong there", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	header = map[string]int{}
	for i, h := range head {
		header[h] = i
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return header, rows
		}
		if err != nil {
			tb.Fatal(err)
		}
		rows = append(rows, rec)
	}
}

// loghubLines reads a Loghub 2k raw log: whole lines, CRLF endings cut.
func loghubLines(tb testing.TB, system string) [][]byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(loghubDir, system+"_2k.log"))
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("%s_2k.log is missing from %s", system, loghubDir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\r\n"), []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}

// TestPipelineMiningLoghub measures the mining the pipeline does: whole
// raw lines (headers and CRLF endings included) as the pipeline hands them
// to the profiler (AnomalyLine: level, template key, message start). The
// miner's own figures (on the benchmark's Content column) are in
// triage/drain; the floors here sit a little under the figures
// docs/anomaly.md reports.
func TestPipelineMiningLoghub(t *testing.T) {
	floors := map[string]float64{"Android": 0.88, "Apache": 0.99, "BGL": 0.95, "HDFS": 0.99,
		"Hadoop": 0.94, "HealthApp": 0.95, "Linux": 0.86, "Mac": 0.83}
	sum := 0.0
	for _, sys := range []string{"Android", "Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "Mac"} {
		h, rows := loghubRows(t, sys)
		lines := loghubLines(t, sys)
		if len(lines) != len(rows) {
			t.Fatalf("%s: %d lines, %d ground-truth rows", sys, len(lines), len(rows))
		}
		p := anomaly.NewProfiler(triage.ProfileOptions(anomaly.Options{}), nil)
		pred, truth := make([]string, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			text := lines[i]
			if sys == "BGL" {
				text = text[bytes.IndexByte(text, ' ')+1:] // the first column is the alert label: ground truth
			}
			pred[i] = p.Observe(triage.AnomalyLine(i+1, text))
			truth[i] = r[h["EventId"]]
		}
		acc := drain.GroupingAccuracy(pred, truth)
		sum += acc
		t.Logf("%-10s %.3f", sys, acc)
		if acc < floors[sys] {
			t.Errorf("%s: %.3f under %.2f", sys, acc, floors[sys])
		}
	}
	t.Logf("%-10s %.3f", "mean", sum/8)
	if sum/8 < 0.90 {
		t.Errorf("mean %.3f under 0.90", sum/8)
	}
}
