package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedSetIsReproducible regenerates the set and compares it with the
// committed one, so the generator and the data never drift apart.
func TestCommittedSetIsReproducible(t *testing.T) {
	dir := t.TempDir()
	if err := generate(dir, defaultSeed); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "datasets", "triage")
	files, err := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	if err != nil || len(files) < 150 {
		t.Fatalf("%d logs generated (%v)", len(files), err)
	}
	for _, f := range append(files, filepath.Join(dir, "dataset.jsonl")) {
		rel, _ := filepath.Rel(dir, f)
		want, err := os.ReadFile(filepath.Join(committed, rel))
		if err != nil {
			t.Fatalf("%s: %v (regenerate: go run ./eval/gen/triageset)", rel, err)
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s differs from the generator's output (regenerate: go run ./eval/gen/triageset)", rel)
		}
	}
	committedLogs, _ := filepath.Glob(filepath.Join(committed, "logs", "*.log"))
	if len(committedLogs) != len(files) {
		t.Errorf("%d committed logs, %d generated: stale files", len(committedLogs), len(files))
	}
}

func TestMarkersBecomeSpans(t *testing.T) {
	b := &builder{}
	b.add("user " + mark("email", "a@example.com") + " from " + mark("ip_address", "192.0.2.1"))
	b.key("plain line")
	b.key("with " + mark("email", "b@example.org"))
	out := b.buf.String()
	if out != "user a@example.com from 192.0.2.1\nplain line\nwith b@example.org\n" {
		t.Fatalf("text = %q", out)
	}
	for _, s := range b.spans {
		if v := out[s.Start:s.End]; v != "a@example.com" && v != "192.0.2.1" && v != "b@example.org" {
			t.Errorf("%s span holds %q", s.Type, v)
		}
	}
	if len(b.spans) != 3 || len(b.keyLines) != 1 || b.keyLines[0] != "plain line" {
		t.Errorf("spans %v, key lines %q", b.spans, b.keyLines)
	}
}
