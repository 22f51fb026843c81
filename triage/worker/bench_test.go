package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/triage"
)

// BenchmarkEndToEnd measures the whole path in rules mode on the embedded
// default: submit (object put + event) -> worker -> pipeline -> store ->
// case, alert and outcome published -> ack, with closed-loop clients (each
// submits its next upload when the previous one's outcome arrives). The
// pipeline alone on the same content in memory is the baseline; the rest of
// the end-to-end time is NATS, the store and the worker.
//
//	go test -run '^$' -bench EndToEnd -benchtime 400x ./triage/worker/
func BenchmarkEndToEnd(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"10KB", 10 << 10}, {"1MB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) { benchEndToEnd(b, size.bytes) })
	}
}

func benchEndToEnd(b *testing.B, size int) {
	e := newEnv(b)
	p := e.pipeline(nil)
	base := benchLog(size)

	// Baseline: the pipeline alone, content in memory.
	const baselineRuns = 20
	var pipeTotal time.Duration
	cpu0 := processCPU()
	for i := range baselineRuns {
		start := time.Now()
		if _, _, err := p.Run(context.Background(), triage.Input{Tenant: "bench",
			Upload: triage.Upload{ID: fmt.Sprint("baseline-", i), Name: "bench.log"}, Content: bytes.NewReader(base)}); err != nil {
			b.Fatal(err)
		}
		pipeTotal += time.Since(start)
	}
	pipelineMS := float64(pipeTotal.Microseconds()) / 1000 / baselineRuns
	pipelineCPUMS := float64((processCPU() - cpu0).Microseconds()) / 1000 / baselineRuns

	workers := envInt("BENCH_WORKERS", runtime.NumCPU())
	rw := e.startWorker(p, func(o *Options) { o.Workers = workers })

	var mu sync.Mutex
	waiting := map[string]chan struct{}{}
	sub, err := e.nc.Subscribe(DoneSubjectPrefix+"*", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if ch, ok := waiting[strings.TrimPrefix(m.Subject, DoneSubjectPrefix)]; ok {
			close(ch)
			delete(waiting, strings.TrimPrefix(m.Subject, DoneSubjectPrefix))
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()

	clients := envInt("BENCH_CLIENTS", 2*workers)
	latencies := make([]time.Duration, b.N)
	next := make(chan int)
	b.SetBytes(int64(size))
	b.ResetTimer()
	start, startCPU := time.Now(), processCPU()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				// A distinct first line makes each upload distinct.
				content := append(fmt.Appendf(nil, "2026-01-05 09:00:00 INFO bench upload %d of run %d\n", i, start.UnixNano()), base...)
				sum := sha256Hex(content)
				id := UploadID("bench", sum, "bench.log")
				ch := make(chan struct{})
				mu.Lock()
				waiting[id] = ch
				mu.Unlock()
				t0 := time.Now()
				if _, err := Submit(context.Background(), e.js, Submission{Tenant: "bench", Name: "bench.log",
					Content: bytes.NewReader(content)}); err != nil {
					b.Error(err)
					return
				}
				select {
				case <-ch:
				case <-time.After(time.Minute):
					b.Errorf("upload %d: no outcome within a minute", i)
					return
				}
				latencies[i] = time.Since(t0)
			}
		})
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-startCPU
	b.StopTimer()

	slices.Sort(latencies)
	var sum time.Duration
	for _, l := range latencies {
		sum += l
	}
	meanMS := float64(sum.Microseconds()) / 1000 / float64(b.N)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "uploads/s")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(meanMS, "e2e_mean_ms")
	b.ReportMetric(pipelineMS, "pipeline_ms")
	b.ReportMetric(100*max(0, meanMS-pipelineMS)/meanMS, "nats+store_%")
	// CPU per upload (client, server and worker together) holds up better
	// than wall time on a shared machine: cores / cpu_ms is the capacity.
	cpuMS := float64(cpu.Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(cpuMS, "cpu_ms/upload")
	b.ReportMetric(pipelineCPUMS, "pipeline_cpu_ms")
	b.ReportMetric(float64(runtime.NumCPU())*1000/cpuMS, "capacity_uploads/s")
	b.ReportMetric(float64(rw.w.Metrics().redelivered.Load()), "redeliveries")
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLog is a realistic mix of info lines and a few errors with a stack
// trace, cut to size at a line boundary.
func benchLog(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		switch {
		case i%50 == 49:
			fmt.Fprintf(&b, "2026-01-05 10:%02d:%02d ERROR HikariPool-1 - Connection is not available, request timed out after 30000ms.\n", i/60%60, i%60)
			b.WriteString("org.postgresql.util.PSQLException: FATAL: sorry, too many clients already\n")
			b.WriteString("\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)\n")
		case i%17 == 0:
			fmt.Fprintf(&b, "2026-01-05 10:%02d:%02d WARN  CacheManager - eviction of %d entries took %dms\n", i/60%60, i%60, i*3, i%400)
		default:
			fmt.Fprintf(&b, "2026-01-05 10:%02d:%02d INFO  OrderService - processed order %d for customer %d in %dms\n", i/60%60, i%60, 100000+i, 5000+i%977, 10+i%90)
		}
	}
	out := b.Bytes()[:size]
	if i := bytes.LastIndexByte(out, '\n'); i > 0 {
		out = out[:i+1]
	}
	return out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil && v > 0 {
		return v
	}
	return def
}
