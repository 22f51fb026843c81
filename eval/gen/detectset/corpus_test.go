package detectset

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const committed = "../../datasets/detection"

// TestCommittedCorpusIsReproducible: the committed corpus is exactly what the
// generator produces, so it cannot drift from the code that documents it.
// After an intended generator change: go run ./eval/gen/cmd/gendetect
func TestCommittedCorpusIsReproducible(t *testing.T) {
	files, err := Generate(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(committed, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatalf("%s: %v (regenerate with go run ./eval/gen/cmd/gendetect)", f.Path, err)
		}
		if strings.HasSuffix(f.Path, ".gz") {
			// Compressed bytes may differ across Go versions; the content may not.
			if got, err = (File{Path: f.Path, Data: got}).Decompressed(); err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if f.Data, err = f.Decompressed(); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, f.Data) {
			t.Fatalf("%s differs from the generator's output (regenerate with go run ./eval/gen/cmd/gendetect)", f.Path)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(committed, "logs", "*"))
	for _, p := range logs {
		if rel := "logs/" + filepath.Base(p); !want[rel] {
			t.Errorf("stale file %s is not generated", rel)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	opt := Options{Seed: 7, Cases: 40, CleanShare: 0.1}
	a, _ := Generate(opt)
	b, _ := Generate(opt)
	if len(a) != len(b) {
		t.Fatal("different file counts")
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("%s differs between two runs with one seed", a[i].Path)
		}
	}
}

// TestLabelsAreWellFormed checks each label against the shape its type must
// have, so a generator bug (a span off by a quote, a bad checksum) shows up
// here rather than as a detector "miss".
func TestLabelsAreWellFormed(t *testing.T) {
	files, err := Generate(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	content := map[string][]byte{}
	for _, f := range files[1:] {
		if content[f.Path], err = f.Decompressed(); err != nil {
			t.Fatal(err)
		}
	}
	perType := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(files[0].Data)), "\n") {
		var c dataCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		data := content[c.File]
		for _, s := range c.Findings {
			v := string(data[s.Start:s.End])
			perType[s.Type]++
			if strings.HasSuffix(v, "\r") || strings.HasPrefix(v, "\r") {
				t.Errorf("%s %s %q: a label must not include a line ending's CR", c.ID, s.Type, v)
			}
			if err := checkValue(s.Type, v); err != nil {
				t.Errorf("%s [%d,%d) %s %q: %v", c.ID, s.Start, s.End, s.Type, v, err)
			}
		}
	}
	var names []string
	for _, typ := range types {
		if perType[typ] < 30 {
			t.Errorf("%s: %d labels, want at least 30", typ, perType[typ])
		}
		names = append(names, typ)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("%-22s %d", n, perType[n])
	}
}
