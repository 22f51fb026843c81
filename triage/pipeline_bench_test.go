package triage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/triage"
)

// BenchmarkPipeline is the whole pipeline in rules mode, against a
// baseline measured in the same run: the detectors' redaction pass alone
// over the same 1 MB (what any triage must pay). The 10 KB case shows the
// fixed cost per upload.
func BenchmarkPipeline(b *testing.B) {
	p := newTestPipeline(b, nil)
	baseline := triage.LogOfSize(1 << 20)
	b.Run("baseline-redact-only-1024KB", func(b *testing.B) {
		b.SetBytes(int64(len(baseline)))
		b.ReportAllocs()
		for b.Loop() {
			err := testDetector(b).RedactLines(context.Background(), bytes.NewReader(baseline), func(detectors.RedactedLine) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, size := range []int{10 << 10, 1 << 20} {
		content := triage.LogOfSize(size)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			b.ReportAllocs()
			for b.Loop() {
				c, _, err := p.Run(context.Background(), triage.Input{Tenant: "t", Upload: triage.Upload{ID: "u", Name: "x.log"}, Content: bytes.NewReader(content)})
				if err != nil || c.Status != triage.StatusTriaged {
					b.Fatal(err, c.StatusReason)
				}
			}
		})
	}
}

// streamLog generates about size bytes of a service log without holding it:
// steady traffic, periodic database errors and warnings, a rare OOM.
type streamLog struct {
	size, sent, i int
	buf           []byte
}

func (s *streamLog) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.sent >= s.size {
			return 0, io.EOF
		}
		s.i++
		ts := fmt.Sprintf("2024-05-01 %02d:%02d:%02d,%03d", s.i/3600000%24, s.i/60000%60, s.i/1000%60, s.i%1000)
		switch {
		case s.i%100_003 == 0:
			s.buf = fmt.Appendf(s.buf, "%s ERROR [main] app.Worker: java.lang.OutOfMemoryError: Java heap space\n\tat app.Cache.put(Cache.java:41)\n", ts)
		case s.i%997 == 0:
			s.buf = fmt.Appendf(s.buf, "%s ERROR [pool-%d] app.Db: query timeout after %dms on orders\n", ts, s.i%7, 3000+s.i%100)
		case s.i%501 == 0:
			s.buf = fmt.Appendf(s.buf, "%s WARN [pool-%d] app.Db: slow query %dms\n", ts, s.i%7, 900+s.i%100)
		default:
			s.buf = fmt.Appendf(s.buf, "%s INFO [http-%d] app.Http: GET /api/items/%d 200 %dms\n", ts, s.i%16, s.i, s.i%50)
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	s.sent += n
	return n, nil
}

// recorder is a classifier that keeps what it was shown and gives no answer
// (the pipeline falls back to rules).
type recorder struct{ in *triage.ClassifyInput }

func (r recorder) Classify(_ context.Context, in triage.ClassifyInput) (triage.Classification, error) {
	*r.in = in
	return triage.Classification{}, errors.New("recorder: no answer")
}

// BenchmarkExcerptCost streams 10 KB and 100 MB of the same kind of log
// through the pipeline and reports what the classifier is sent: the excerpt
// costs about the same tokens whatever the input size. Run with -benchtime=1x.
func BenchmarkExcerptCost(b *testing.B) {
	for _, size := range []int{10 << 10, 100 << 20} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			var seen triage.ClassifyInput
			p := newTestPipeline(b, func(o *triage.PipelineOptions) { o.Classifier = recorder{&seen} })
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, err := p.Run(context.Background(), triage.Input{Tenant: "t", Upload: triage.Upload{ID: "u", Name: "big.log"}, Content: &streamLog{size: size}}); err != nil {
					b.Fatal(err)
				}
			}
			tokens := 0
			for _, l := range seen.Excerpt {
				tokens += triage.EstimateTokens(l)
			}
			b.ReportMetric(float64(tokens), "excerpt-tokens")
			b.ReportMetric(float64(seen.TotalLines), "lines")
		})
	}
}
