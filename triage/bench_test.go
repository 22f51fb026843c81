package triage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/detectors"
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

// BenchmarkPipeline is the whole pipeline in rules mode, against a
// baseline measured in the same run: the detectors' redaction pass alone
// over the same 1 MB (what any triage must pay). The 10 KB case shows the
// fixed cost per upload.
func BenchmarkPipeline(b *testing.B) {
	p := newTestPipeline(b, nil)
	baseline := logOfSize(1 << 20)
	b.Run("baseline-redact-only-1024KB", func(b *testing.B) {
		b.SetBytes(int64(len(baseline)))
		b.ReportAllocs()
		for b.Loop() {
			err := p.opts.Detector.RedactLines(context.Background(), bytes.NewReader(baseline), func(detectors.RedactedLine) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, size := range []int{10 << 10, 1 << 20} {
		content := logOfSize(size)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			b.ReportAllocs()
			for b.Loop() {
				c, _, err := p.Run(context.Background(), Input{Tenant: "t", Upload: Upload{ID: "u", Name: "x.log"}, Content: bytes.NewReader(content)})
				if err != nil || c.Status != StatusTriaged {
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
type recorder struct{ in *ClassifyInput }

func (r recorder) Classify(_ context.Context, in ClassifyInput) (Classification, error) {
	*r.in = in
	return Classification{}, errors.New("recorder: no answer")
}

// BenchmarkExcerptCost streams 10 KB and 100 MB of the same kind of log
// through the pipeline and reports what the classifier is sent: the excerpt
// costs about the same tokens whatever the input size. Run with -benchtime=1x.
func BenchmarkExcerptCost(b *testing.B) {
	for _, size := range []int{10 << 10, 100 << 20} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			var seen ClassifyInput
			p := newTestPipeline(b, func(o *PipelineOptions) { o.Classifier = recorder{&seen} })
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, err := p.Run(context.Background(), Input{Tenant: "t", Upload: Upload{ID: "u", Name: "big.log"}, Content: &streamLog{size: size}}); err != nil {
					b.Fatal(err)
				}
			}
			tokens := 0
			for _, l := range seen.Excerpt {
				tokens += EstimateTokens(l)
			}
			b.ReportMetric(float64(tokens), "excerpt-tokens")
			b.ReportMetric(float64(seen.TotalLines), "lines")
		})
	}
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
