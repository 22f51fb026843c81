package triage_test

import (
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

// loghubRows reads a Loghub 2k structured CSV (triage/drain/testdata/loghub).
func loghubRows(tb testing.TB, system string) (header map[string]int, rows [][]string) {
	tb.Helper()
	path := filepath.Join("drain", "testdata", "loghub", system+"_2k.log_structured.csv")
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

// TestPipelineMiningLoghub measures the mining as the pipeline does it:
// each line's template key (Template) as Line.Key, so a line whose key was
// seen joins that line's cluster untokenized. The floors are the miner's
// own (triage/drain) less 0.02: the shortcut may cost a little accuracy,
// never much.
func TestPipelineMiningLoghub(t *testing.T) {
	floors := map[string]float64{"Android": 0.86, "Apache": 0.97, "BGL": 0.93, "HDFS": 0.97,
		"Hadoop": 0.92, "HealthApp": 0.83, "Linux": 0.84, "Mac": 0.81}
	sum := 0.0
	for _, sys := range []string{"Android", "Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "Mac"} {
		h, rows := loghubRows(t, sys)
		p := anomaly.NewProfiler(anomaly.Options{}, nil)
		pred, truth := make([]string, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			content := []byte(r[h["Content"]])
			pred[i] = p.Observe(anomaly.Line{Number: i + 1, Text: content, Key: []byte(triage.Template(content))})
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
}
