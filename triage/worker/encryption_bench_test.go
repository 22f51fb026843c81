package worker

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/internal/natsx"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// BenchmarkEncryptionAtRest is the end-to-end path (as BenchmarkEndToEnd:
// closed-loop clients, submit -> worker -> store -> outcome) with encryption
// at rest off and on, side by side in the same run: JetStream's own AES
// encryption on the embedded server and case bodies sealed under tenant data
// keys in the embedded store. The two run in alternating rounds so a change
// in the machine's load weighs on both; each reports uploads/s and CPU per
// upload, and on/off_% is the throughput with encryption as a share of the
// throughput without.
//
//	go test -run '^$' -bench EncryptionAtRest -benchtime 200x ./triage/worker/
func BenchmarkEncryptionAtRest(b *testing.B) {
	const rounds = 3
	size := 10 << 10
	clients := envInt("BENCH_CLIENTS", 3*runtime.NumCPU())
	workers := envInt("BENCH_WORKERS", 2*runtime.NumCPU())
	var elapsed, cpu [2]time.Duration
	b.ResetTimer()
	for r := range rounds {
		for _, on := range []bool{r%2 == 1, r%2 == 0} { // alternate which goes first
			e := encryptionEnv(b, on)
			rw := e.startWorker(e.pipeline(nil), func(o *Options) { o.Workers = workers })
			el, c := closedLoop(b, e, b.N, clients, size)
			rw.stop()
			i := 0
			if on {
				i = 1
			}
			elapsed[i] += el
			cpu[i] += c
		}
	}
	b.StopTimer()
	n := float64(rounds * b.N)
	off, on := n/elapsed[0].Seconds(), n/elapsed[1].Seconds()
	b.ReportMetric(off, "uploads/s_off")
	b.ReportMetric(on, "uploads/s_on")
	b.ReportMetric(100*on/off, "on/off_%")
	b.ReportMetric(float64(cpu[0].Microseconds())/1000/n, "cpu_ms_off")
	b.ReportMetric(float64(cpu[1].Microseconds())/1000/n, "cpu_ms_on")
	b.ReportMetric(loadAverage(), "load1")
}

// encryptionEnv is the test environment with encryption at rest on or off.
func encryptionEnv(b *testing.B, on bool) *env {
	b.Helper()
	var so natsx.ServerOptions
	if on {
		so.JetStreamKey = hex.EncodeToString(keyring.Random(keyring.KeySize))
	}
	e := newEnvOn(b, so, Topology{})
	if on {
		e.store.Close()
		ks, err := keyring.OpenDirStore(filepath.Join(b.TempDir(), "keys"))
		if err != nil {
			b.Fatal(err)
		}
		m, _ := keyring.NewMaster(keyring.Random(keyring.KeySize))
		if e.store, err = embedded.Open(e.storeDir, embedded.Options{Sealer: keyring.New(m, ks)}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { e.store.Close() })
	}
	return e
}

// closedLoop runs n uploads of about size bytes through e with clients
// submitting their next upload when the previous one's outcome arrives.
func closedLoop(b *testing.B, e *env, n, clients, size int) (elapsed, cpu time.Duration) {
	b.Helper()
	base := benchLog(size)
	var mu sync.Mutex
	waiting := map[string]chan struct{}{}
	sub, err := e.nc.Subscribe(DoneSubjectPrefix+"*", func(m *nats.Msg) {
		id := strings.TrimPrefix(m.Subject, DoneSubjectPrefix)
		mu.Lock()
		defer mu.Unlock()
		if ch, ok := waiting[id]; ok {
			close(ch)
			delete(waiting, id)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	next := make(chan int)
	start, startCPU := time.Now(), processCPU()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				content := append(fmt.Appendf(nil, "2026-01-05 09:00:00 INFO bench upload %d of run %d\n", i, start.UnixNano()), base...)
				id := UploadID("bench", sha256Hex(content), "bench.log")
				ch := make(chan struct{})
				mu.Lock()
				waiting[id] = ch
				mu.Unlock()
				if _, err := Submit(context.Background(), e.js, Submission{Tenant: "bench", Name: "bench.log", Content: bytes.NewReader(content)}); err != nil {
					b.Error(err)
					return
				}
				select {
				case <-ch:
				case <-time.After(time.Minute):
					b.Errorf("upload %d: no outcome within a minute", i)
					return
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return time.Since(start), processCPU() - startCPU
}
