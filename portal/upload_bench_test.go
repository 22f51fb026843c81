package portal

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// logStream generates size bytes of log lines without holding them.
type logStream struct {
	left int64
	n    int
	buf  []byte
}

func (l *logStream) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.EOF
	}
	if len(l.buf) == 0 {
		l.n++
		l.buf = fmt.Appendf(l.buf[:0], "2026-03-01T12:%02d:%02dZ INFO worker-%d processed order %d in %dms\n",
			l.n/60%60, l.n%60, l.n%17, l.n*7919%1000003, l.n%250)
	}
	k := copy(p, l.buf[:min(int64(len(l.buf)), l.left)])
	l.buf = l.buf[k:]
	l.left -= int64(k)
	return k, nil
}

// rssKiB reads a field (VmRSS, VmHWM) of /proc/self/status.
func rssKiB(t *testing.T, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestUpload100MBStreamsInBoundedMemory uploads 100 MB through the API (grant,
// then PUT over loopback HTTP into the payload bucket of an in-process NATS
// server on disk) and reports the process's peak RSS growth. The target is
// < 64 MB: the body is never held whole.
func TestUpload100MBStreamsInBoundedMemory(t *testing.T) {
	if os.Getenv("LOGTRIAGE_BENCH") == "" {
		t.Skip("a measurement: LOGTRIAGE_BENCH=1 go test ./portal -run Upload100MB -v")
	}
	size := int64(100 << 20)
	if mb, err := strconv.Atoi(os.Getenv("LOGTRIAGE_BENCH_UPLOAD_MB")); err == nil && mb > 0 {
		size = int64(mb) << 20 // a bigger file shows the growth does not follow the size
	}
	f := newFixture(t, fixtureOpts{withNATS: true, natsFile: true, opts: func(o *Options) { o.MaxUploadSize = size }})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	r := f.api("POST", "/api/v1/uploads", "cust-acme", fmt.Sprintf(`{"name":"big.log","size":%d}`, size))
	var g Grant
	must(t, json.NewDecoder(r.Body).Decode(&g))

	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS: %v", err)
	}
	before := rssKiB(t, "VmRSS")
	req, _ := http.NewRequest("PUT", ts.URL+g.URL, &logStream{left: size})
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+f.tokens["cust-acme"])
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PUT: %s %s", resp.Status, body)
	}
	peak := rssKiB(t, "VmHWM")
	growth := float64(peak-before) / 1024
	t.Logf("%d MB upload in %s (%.0f MB/s), GOGC=%s: RSS before %.1f MB, peak %.1f MB, growth %.1f MB (client, server and NATS in one process)",
		size>>20, took.Round(time.Millisecond), float64(size)/(1<<20)/took.Seconds(), os.Getenv("GOGC"),
		float64(before)/1024, float64(peak)/1024, growth)
	if growth >= 64 {
		t.Errorf("peak RSS grew %.1f MB, want < 64 MB", growth)
	}
}
