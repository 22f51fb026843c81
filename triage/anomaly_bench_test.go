package triage_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// BenchmarkPipelineAnomalies runs the pipeline over the same 1 MB without
// and with the anomaly pass (template mining, minute buckets, auth parsing;
// no history store), alternating the two in every iteration so that load
// on a shared machine hits both alike. It reports each one's lines/s and
// the ratio of their times (docs/anomaly.md).
func BenchmarkPipelineAnomalies(b *testing.B) {
	content := triage.LogOfSize(1 << 20)
	lines := bytes.Count(content, []byte("\n"))
	off := newTestPipeline(b, nil)
	on := newTestPipeline(b, func(o *triage.PipelineOptions) { o.Anomalies = &triage.AnomalyOptions{} })
	run := func(p *triage.Pipeline) time.Duration {
		start := time.Now()
		c, _, err := p.Run(context.Background(), triage.Input{Tenant: "t", Upload: triage.Upload{ID: "u", Name: "x.log"}, Content: bytes.NewReader(content)})
		if err != nil || c.Status != triage.StatusTriaged {
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
