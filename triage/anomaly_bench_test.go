package triage

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// BenchmarkPipelineAnomalies runs the pipeline over the same 1 MB without
// and with the anomaly pass (template mining, minute buckets, auth parsing;
// no history store), alternating the two in every iteration so that load
// on a shared machine hits both alike. It reports each one's lines/s and
// the ratio of their times (docs/anomaly.md).
func BenchmarkPipelineAnomalies(b *testing.B) {
	content := logOfSize(1 << 20)
	lines := bytes.Count(content, []byte("\n"))
	off := newTestPipeline(b, nil)
	on := newTestPipeline(b, func(o *PipelineOptions) { o.Anomalies = &AnomalyOptions{} })
	run := func(p *Pipeline) time.Duration {
		start := time.Now()
		c, _, err := p.Run(context.Background(), Input{Tenant: "t", Upload: Upload{ID: "u", Name: "x.log"}, Content: bytes.NewReader(content)})
		if err != nil || c.Status != StatusTriaged {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var tOff, tOn time.Duration
	b.SetBytes(int64(2 * len(content)))
	for b.Loop() {
		tOff += run(off)
		tOn += run(on)
	}
	n := float64(lines) * float64(b.N)
	b.ReportMetric(n/tOff.Seconds(), "lines/s-off")
	b.ReportMetric(n/tOn.Seconds(), "lines/s-on")
	b.ReportMetric(tOn.Seconds()/tOff.Seconds(), "on/off")
}
