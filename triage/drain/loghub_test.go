package drain

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// loghubSet is one Loghub 2k sample: each line's message (the Content
// column, the part of the line after the system's header, as the benchmark
// feeds parsers) and its ground-truth EventId; Label is BGL's alert label.
type loghubSet struct {
	Content, EventID, Label []string
}

// loghubSystems are the Loghub 2k samples in testdata/loghub.
var loghubSystems = []string{"Android", "Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "Mac"}

func readLoghub(tb testing.TB, system string) loghubSet {
	tb.Helper()
	path := filepath.Join("testdata", "loghub", system+"_2k.log_structured.csv")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("%s is missing: the Loghub 2k samples (github.com/logpai/loghub) belong in testdata/loghub", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var s loghubSet
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		s.Content = append(s.Content, rec[col["Content"]])
		s.EventID = append(s.EventID, rec[col["EventId"]])
		if i, ok := col["Label"]; ok {
			s.Label = append(s.Label, rec[i])
		}
	}
	return s
}

// mine groups a set's messages with a fresh miner.
func mine(s loghubSet, o Options) []string {
	m := New(o)
	pred := make([]string, len(s.Content))
	for i, c := range s.Content {
		pred[i] = strconv.Itoa(m.Add([]byte(c)))
	}
	return pred
}

// loghubFloors are the per-system floors of the grouping accuracy test,
// set a little under the figures docs/anomaly.md reports, so a change that
// costs accuracy fails here.
var loghubFloors = map[string]float64{
	"Android": 0.88, "Apache": 0.99, "BGL": 0.95, "HDFS": 0.99,
	"Hadoop": 0.94, "HealthApp": 0.96, "Linux": 0.86, "Mac": 0.83,
}

func TestLoghubGroupingAccuracy(t *testing.T) {
	sum := 0.0
	for _, sys := range loghubSystems {
		s := readLoghub(t, sys)
		acc := GroupingAccuracy(mine(s, Options{}), s.EventID)
		sum += acc
		t.Logf("%-10s %.3f", sys, acc)
		if acc < loghubFloors[sys] {
			t.Errorf("%s: grouping accuracy %.3f under its floor %.3f", sys, acc, loghubFloors[sys])
		}
	}
	mean := sum / float64(len(loghubSystems))
	t.Logf("%-10s %.3f", "mean", mean)
	if mean < 0.90 {
		t.Errorf("mean grouping accuracy %.3f under 0.90", mean)
	}
}

// BenchmarkMine mines the messages of all eight sets (16,000 lines) with a
// fresh miner per pass; lines/s is the figure docs/anomaly.md reports.
func BenchmarkMine(b *testing.B) {
	var lines [][]byte
	for _, sys := range loghubSystems {
		for _, c := range readLoghub(b, sys).Content {
			lines = append(lines, []byte(c))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		m := New(Options{})
		for _, l := range lines {
			m.Add(l)
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
