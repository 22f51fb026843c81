package detectors

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"
	"time"
)

// BenchmarkRedactCustomRules streams 100 MB of generated logs through
// RedactLines with 10 and with 200 keyword-prefiltered custom rules (one in
// a thousand lines holds a custom token), and reports the throughput and its
// ratio to the built-in detectors alone, both measured alternately on the
// same 8 MB sample in this run (best of three, CPU time).
func BenchmarkRedactCustomRules(b *testing.B) {
	const size = 100 << 20
	base := testEngine(b)
	for _, n := range []int{10, 200} {
		b.Run(strconv.Itoa(n)+"rules", func(b *testing.B) {
			e, err := New(Options{FingerprintKey: []byte("bench"), Config: customRules(n)})
			if err != nil {
				b.Fatal(err)
			}
			sample, _ := io.ReadAll(&customGen{logGen: newLogGen(8 << 20), rules: n})
			run := func(e *Engine, r io.Reader) time.Duration {
				t0 := cpuTime()
				if err := e.RedactLines(context.Background(), r, func(RedactedLine) error { return nil }); err != nil {
					b.Fatal(err)
				}
				return cpuTime() - t0
			}
			bestBase, bestCustom := time.Duration(1<<62), time.Duration(1<<62)
			for range 3 {
				bestBase = min(bestBase, run(base, bytes.NewReader(sample)))
				bestCustom = min(bestCustom, run(e, bytes.NewReader(sample)))
			}
			b.SetBytes(size)
			b.ResetTimer()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				cpu += run(e, &customGen{logGen: newLogGen(size), rules: n})
			}
			mb := float64(size) / (1 << 20)
			if cpu > 0 {
				b.ReportMetric(mb*float64(b.N)/cpu.Seconds(), "MB/s_cpu")
				b.ReportMetric(bestCustom.Seconds()/bestBase.Seconds(), "x_cost_vs_builtin")
			}
		})
	}
}

// customGen is logGen with a custom rule's token in one line in a thousand.
type customGen struct {
	*logGen
	rules int
	lines int
	extra []byte
}

func (g *customGen) Read(p []byte) (int, error) {
	if len(g.extra) > 0 {
		n := copy(p, g.extra)
		g.extra = g.extra[n:]
		return n, nil
	}
	n, err := g.logGen.Read(p)
	if k := bytes.LastIndexByte(p[:n], '\n'); k >= 0 {
		g.lines++
		if g.lines%1000 == 0 {
			i := g.lines % g.rules
			g.extra = append(g.extra[:0], "2026-01-05 INFO issued "+customPrefix(i)+fake(strconv.Itoa(g.lines), 24, alnum)+" to svc\n"...)
			// the planted line goes after this read's last whole line
			g.extra = append(g.extra, p[k+1:n]...)
			n = k + 1
		}
	}
	return n, err
}
