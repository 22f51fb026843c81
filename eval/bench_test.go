package eval

import (
	"context"
	"testing"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/rules"
)

// The eval harness runs the pipeline plus a detection scan and a redaction
// per case. BenchmarkPipelineAlone is the baseline: compare ns/case of the
// two in the same run to see what measuring costs on top of triaging.
func benchTriageSet(b *testing.B, withHarness bool) {
	ds, err := LoadDataset(triageSet)
	if err != nil {
		b.Fatal(err)
	}
	det, err := detectors.New(detectors.Options{FingerprintKey: []byte("bench")})
	if err != nil {
		b.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default())})
	if err != nil {
		b.Fatal(err)
	}
	contents := make([][]byte, len(ds.Cases))
	var size int64
	for i, c := range ds.Cases {
		if contents[i], err = ds.Content(c); err != nil {
			b.Fatal(err)
		}
		size += int64(len(contents[i]))
	}
	opt := Options{Triage: PipelineTriage(p), Detect: EngineDetect(det), Redact: EngineRedact(det), SeverityLabels: triage.SeverityLabels}
	ctx := context.Background()
	b.SetBytes(size / int64(len(ds.Cases)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(ds.Cases)
		if withHarness {
			if res, _ := evalCase(ctx, ds.Cases[j], contents[j], opt); res.Error != "" {
				b.Fatal(res.Error)
			}
			continue
		}
		up := triage.Upload{ID: ds.Cases[j].ID, Name: "upload.log"}
		if _, _, err := opt.Triage(ctx, "bench", up, contents[j]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPipelineAlone(b *testing.B) { benchTriageSet(b, false) }
func BenchmarkEvalCase(b *testing.B)      { benchTriageSet(b, true) }
