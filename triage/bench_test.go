package triage

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// logOfSize is the synthetic service log (analyze_test.go) cut to about n bytes.
func logOfSize(n int) []byte {
	var b bytes.Buffer
	for _, l := range syntheticLog(n/60 + 10) {
		if b.Len()+len(l)+1 > n {
			break
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkAnalyze is the streaming pass alone, without the detectors.
func BenchmarkAnalyze(b *testing.B) {
	lines := syntheticLog(20_000)
	raw := make([][]byte, len(lines))
	size := 0
	for i, l := range lines {
		raw[i] = []byte(l)
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		z := newAnalyzer(AnalyzeOptions{})
		var off int64
		for i, l := range raw {
			z.observe(i+1, off, l, nil)
			off += int64(len(l)) + 1
		}
		z.finish()
	}
}

// BenchmarkAnalyzeLongLines is the streaming pass over a log of 2-3 KB lines
// (JSON-style logs), each cut in the excerpt: "whole" keeps the whole text of
// the cut lines that may become key lines (the default), "cut-only" keeps
// none (MaxKeyLineBytes below the line length) — the baseline of its cost.
func BenchmarkAnalyzeLongLines(b *testing.B) {
	raw := make([][]byte, 5_000)
	size := 0
	for i := range raw {
		level := "INFO"
		if i%50 == 0 {
			level = "ERROR"
		}
		raw[i] = fmt.Appendf(nil, `{"ts":"2024-05-01T10:%02d:%02d","level":%q,"msg":"request %d template %d","ctx":%q}`,
			i/60%60, i%60, level, i, i%40, strings.Repeat("k=v ", 500+i%250))
		size += len(raw[i]) + 1
	}
	for _, tc := range []struct {
		name     string
		maxWhole int
	}{{"cut-only", 1}, {"whole", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				z := newAnalyzer(AnalyzeOptions{MaxKeyLineBytes: tc.maxWhole})
				var off int64
				for i, l := range raw {
					z.observe(i+1, off, l, nil)
					off += int64(len(l)) + 1
				}
				z.finish()
			}
		})
	}
}
