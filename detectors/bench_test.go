package detectors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logGen is an io.Reader of realistic log text: loghub-style system lines,
// JSON, logfmt and access logs, with a generated secret or PII value planted
// in about one line in fifty. It holds one line at a time, never the stream.
type logGen struct {
	left  int64
	seed  uint64
	line  []byte
	pos   int
	count int
	pool  [][]byte // pre-generated lines, cycled so generation does not dominate the benchmark
}

func newLogGen(size int64) *logGen {
	g := &logGen{left: size, seed: 0x9e3779b97f4a7c15}
	for range 20000 {
		g.next()
		g.pool = append(g.pool, append([]byte(nil), g.line...))
	}
	g.line, g.pos = nil, 0
	return g
}

func (g *logGen) rnd(n int) int {
	g.seed ^= g.seed << 13
	g.seed ^= g.seed >> 7
	g.seed ^= g.seed << 17
	return int(g.seed % uint64(n))
}

func (g *logGen) ip() string {
	return fmt.Sprintf("10.%d.%d.%d", g.rnd(256), g.rnd(256), 1+g.rnd(254))
}

var planted = []func(g *logGen) string{
	func(g *logGen) string { return "user=jane" + strconv.Itoa(g.rnd(999)) + "@example.com" },
	func(g *logGen) string { return "password=" + fake(strconv.Itoa(g.rnd(1e6)), 12, alnum) },
	func(g *logGen) string { return "card=4111 1111 1111 1111" },
	func(g *logGen) string { return "token=ghp_" + fake(strconv.Itoa(g.rnd(1e6)), 36, alnum) },
	func(g *logGen) string { return "Authorization: Bearer " + fakeJWT(strconv.Itoa(g.rnd(1e6))) },
	func(g *logGen) string { return "key=AKIA" + fake(strconv.Itoa(g.rnd(1e6)), 16, upperD) },
	func(g *logGen) string { return "ssn=123-45-6789 phone=+1 415 555 0132" },
	func(g *logGen) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+fake(strconv.Itoa(g.rnd(1e6)), 8, alnum)))
	},
}

func (g *logGen) next() {
	g.count++
	b := g.line[:0]
	switch g.rnd(8) {
	case 0:
		b = fmt.Appendf(b, "081109 %06d %d INFO dfs.DataNode$PacketResponder: PacketResponder %d for block blk_-%d terminating", g.rnd(999999), g.rnd(999), g.rnd(3), g.rnd(1<<62))
	case 1:
		b = fmt.Appendf(b, "%s - - [04/Dec/2005:04:47:44 +0000] \"GET /api/v1/items/%d?page=%d HTTP/1.1\" %d %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0\"", g.ip(), g.rnd(1e6), g.rnd(50), 200+g.rnd(300), g.rnd(1e5))
	case 2:
		b = fmt.Appendf(b, `{"ts":"2024-05-01T10:%02d:%02d.%03dZ","level":"info","msg":"request done","trace_id":"%016x%016x","span_id":"%016x","duration_ms":%d,"status":%d,"path":"/v1/orders/%d"}`, g.rnd(60), g.rnd(60), g.rnd(1000), g.seed, g.seed>>3, g.seed>>5, g.rnd(5000), 200+g.rnd(300), g.rnd(1e6))
	case 3:
		b = fmt.Appendf(b, "ts=2024-05-01T10:%02d:%02dZ level=warn msg=\"retry\" component=worker attempt=%d queue=jobs.default host=%s latency=%dms", g.rnd(60), g.rnd(60), g.rnd(9), g.ip(), g.rnd(900))
	case 4:
		b = fmt.Appendf(b, "2015-10-18 18:01:%02d,%03d INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_%04d_000001", g.rnd(60), g.rnd(1000), g.rnd(9999))
	case 5:
		b = fmt.Appendf(b, "03-17 16:13:38.%03d  1702  %d D PowerManagerService: acquire lock=%d, flags=0x1, tag=\"View Lock\", name=com.android.systemui, ws=null, uid=%d, pid=%d", g.rnd(1000), g.rnd(9999), g.rnd(1e9), 10000+g.rnd(999), g.rnd(9999))
	case 6:
		b = fmt.Appendf(b, "Jun 14 15:16:%02d combo sshd(pam_unix)[%d]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=%s", g.rnd(60), g.rnd(99999), g.ip())
	case 7:
		b = fmt.Appendf(b, "- %d 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.%06d R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected", 1117838570+g.rnd(1e6), g.rnd(1e6))
	}
	if g.rnd(50) == 0 {
		b = append(b, ' ')
		b = append(b, planted[g.rnd(len(planted))](g)...)
	}
	g.line = append(b, '\n')
	g.pos = 0
}

func (g *logGen) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && g.left > 0 {
		if g.pos == len(g.line) {
			g.line, g.pos = g.pool[g.count%len(g.pool)], 0
			g.count++
		}
		c := copy(p[n:], g.line[g.pos:])
		if int64(c) > g.left {
			c = int(g.left)
		}
		g.pos += c
		n += c
		g.left -= int64(c)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// naiveRules is the baseline: every pattern's regexp over every line.
var naiveRules = func() []*regexp.Regexp {
	pats := []string{
		`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`,
		`\+[1-9][0-9 ().-]{7,18}[0-9]|\(?[2-9][0-9]{2}\)?[ .-][2-9][0-9]{2}[ .-][0-9]{4}`,
		`\b(?:[0-9][ -]?){13,19}\b`,
		`\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b`,
		`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`,
		`\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b`,
		`\b[0-9a-fA-F:]*::[0-9a-fA-F:]*\b`,
		`\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b`,
		`(?i)aws_?secret_?access_?key\s*[:=]\s*["']?[A-Za-z0-9/+]{40}`,
		`AIza[0-9A-Za-z_-]{35}`,
		`"private_key_id"\s*:\s*"[0-9a-f]{40}"`,
		`AccountKey=[A-Za-z0-9+/]{86}==`,
		`\bgh[pousr]_[A-Za-z0-9]{36}\b|github_pat_[A-Za-z0-9_]{82}`,
		`glpat-[A-Za-z0-9_-]{20,}`,
		`xox[abeoprs]-[A-Za-z0-9-]{10,}`,
		`https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+`,
		`\b[rs]k_(?:live|test)_[A-Za-z0-9]{20,}`,
		`sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}`,
		`sk-ant-[A-Za-z0-9_-]{80,}`,
		`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`,
		`npm_[A-Za-z0-9]{36}`,
		`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,
		`-----BEGIN [A-Z ]*PRIVATE KEY-----`,
		`(?i)(?:password|passwd|pwd|passphrase)["']?\s*[:=]\s*["']?[^\s"',;&]+`,
		`[a-z][a-z0-9+.-]+://[^\s:/@]+:[^\s/@]+@`,
		`(?i)authorization:\s*basic\s+[A-Za-z0-9+/=]+`,
		`(?i)authorization:\s*bearer\s+[A-Za-z0-9._~+/=-]+`,
		`(?i)(?:session_?id|sessid|sid|jsessionid)["']?\s*[:=]\s*["']?[A-Za-z0-9._-]{8,}`,
		`(?i)(?:secret|token|api_?key|credentials?)["']?\s*[:=]\s*["']?[A-Za-z0-9._~+/=-]{8,}`,
	}
	out := make([]*regexp.Regexp, len(pats))
	for i, p := range pats {
		out[i] = regexp.MustCompile(p)
	}
	return out
}()

func naiveScan(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		for _, re := range naiveRules {
			n += len(re.FindAllIndex(sc.Bytes(), -1))
		}
	}
	return n, sc.Err()
}

// peakHeap samples the live heap while fn runs, through runtime/metrics,
// which unlike ReadMemStats does not stop the world.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// BenchmarkRedact100MB streams 100 MB of generated logs through RedactLines
// (every detector on) and reports wall and CPU throughput, peak heap, and the
// speed-up over the naive baseline (every pattern's regexp over every line),
// both run alternately on the same 4 MB sample in this run, best of three.
func BenchmarkRedact100MB(b *testing.B) {
	const size = 100 << 20
	e := testEngine(b)
	sample, _ := io.ReadAll(newLogGen(4 << 20))
	mb := func(n int) float64 { return float64(n) / (1 << 20) }
	bestEngine, bestNaive := time.Duration(1<<62), time.Duration(1<<62)
	for range 3 {
		t0 := cpuTime()
		if err := e.RedactLines(context.Background(), bytes.NewReader(sample), func(RedactedLine) error { return nil }); err != nil {
			b.Fatal(err)
		}
		t1 := cpuTime()
		if _, err := naiveScan(bytes.NewReader(sample)); err != nil {
			b.Fatal(err)
		}
		t2 := cpuTime()
		bestEngine, bestNaive = min(bestEngine, t1-t0), min(bestNaive, t2-t1)
	}

	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	var findings int
	var wall, cpu time.Duration
	peak := peakHeap(func() {
		for i := 0; i < b.N; i++ {
			start, startCPU := time.Now(), cpuTime()
			findings = 0
			err := e.RedactLines(context.Background(), newLogGen(size), func(l RedactedLine) error {
				findings += len(l.Findings)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			wall += time.Since(start)
			cpu += cpuTime() - startCPU
		}
	})
	b.ReportMetric(mb(size)*float64(b.N)/wall.Seconds(), "MB/s_wall")
	if cpu > 0 {
		b.ReportMetric(mb(size)*float64(b.N)/cpu.Seconds(), "MB/s_cpu")
		b.ReportMetric(mb(len(sample))/bestNaive.Seconds(), "MB/s_cpu_naive")
		b.ReportMetric(bestNaive.Seconds()/bestEngine.Seconds(), "x_vs_naive")
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MB")
	b.ReportMetric(float64(findings)/mb(size), "findings/MB")
}

// BenchmarkScanBytes: ScanBytes over a 4 MB in-memory sample of the same generated logs.
func BenchmarkScanBytes(b *testing.B) {
	g := newLogGen(4 << 20)
	data, _ := io.ReadAll(g)
	e := testEngine(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.ScanBytes(data)
	}
}
