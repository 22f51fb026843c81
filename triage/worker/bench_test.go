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
// default: submit (event publish, or object put + event for large files) ->
// worker -> pipeline -> store -> case, alert and outcome published -> ack,
// with closed-loop clients (each submits its next upload when the previous
// one's outcome arrives). The pipeline alone on the same content in memory
// is the baseline; the rest of the end-to-end time is NATS, the store and
// the worker.
//
//	go test -run '^$' -bench EndToEnd -benchtime 400x ./triage/worker/
//
// BENCH_WORKERS (default 2 per CPU) and BENCH_CLIENTS (default 3 per CPU)
// change the concurrency.
//
// Reported per size: uploads/s, p50_ms and p99_ms (submit start -> outcome
// received), and where the mean goes: submit_ms (client side: hashing and
// publishing, plus the object put above the inline threshold),
// queue_wait_ms (event stored -> a worker takes it), in_run_pipeline_ms
// (the pipeline inside the worker), worker_rest_ms (payload read, store,
// publishing, ack, outcome delivery). nats+store_% is the share of the mean
// that is not the pipeline running; nats+store_cpu_% the share of CPU.
// pipeline_ms and pipeline_cpu_ms are the in-memory baseline (run before
// and after the end-to-end part), and
// x_pipeline and cpu_x_pipeline the end-to-end figures as multiples of it.
// load1 is the machine's one-minute load average as the benchmark starts:
// the machine is shared, and the wall-clock figures move with it.
func BenchmarkEndToEnd(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"10KB", 10 << 10}, {"1MB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) { benchEndToEnd(b, size.bytes) })
	}
}

func benchEndToEnd(b *testing.B, size int) {
	// The production timings (30 s ack wait): a loaded machine slows uploads
	// down, and that is measured, not turned into redeliveries.
	load := loadAverage() // before this benchmark adds its own
	e := newEnvWith(b, Topology{})
	p := e.pipeline(nil)
	base := benchLog(size)

	// Baseline: the pipeline alone, content in memory, run before and after
	// the end-to-end part (then with the same cases to search for similar
	// ones) so a change in the machine's load during the run weighs on both.
	var pipeWall, pipeCPU time.Duration
	const baselineRuns = 20
	baseline := func(phase string) {
		cpu0 := processCPU()
		for i := range baselineRuns {
			start := time.Now()
			if _, _, err := p.Run(context.Background(), triage.Input{Tenant: "bench",
				Upload: triage.Upload{ID: fmt.Sprint("baseline-", phase, i), Name: "bench.log"}, Content: bytes.NewReader(base)}); err != nil {
				b.Fatal(err)
			}
			pipeWall += time.Since(start)
		}
		pipeCPU += processCPU() - cpu0
	}
	baseline("before")

	workers := envInt("BENCH_WORKERS", 2*runtime.NumCPU())
	rw := e.startWorker(p, func(o *Options) { o.Workers = workers })

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

	clients := envInt("BENCH_CLIENTS", 3*runtime.NumCPU())
	latencies := make([]time.Duration, b.N)
	submits := make([]time.Duration, b.N)
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
				id := UploadID("bench", sha256Hex(content), "bench.log")
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
				submits[i] = time.Since(t0)
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
	baseline("after")
	pipelineMS := float64(pipeWall.Microseconds()) / 1000 / (2 * baselineRuns)
	pipelineCPUMS := float64(pipeCPU.Microseconds()) / 1000 / (2 * baselineRuns)

	meanMS := func(ds []time.Duration) float64 {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return float64(sum.Microseconds()) / 1000 / float64(len(ds))
	}
	e2eMS, submitMS := meanMS(latencies), meanMS(submits)
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	m := rw.w.Metrics()
	queueMS, inRunMS, storedToAckMS := 1000*m.queueWait.mean(), 1000*m.pipeline.mean(), 1000*m.latency.mean()
	// CPU per upload (client, server and worker together) holds up better
	// than wall time on a shared machine: cores / cpu_ms is the capacity.
	cpuMS := float64(cpu.Microseconds()) / 1000 / float64(b.N)

	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "uploads/s")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(e2eMS, "e2e_mean_ms")
	b.ReportMetric(submitMS, "submit_ms")
	b.ReportMetric(queueMS, "queue_wait_ms")
	b.ReportMetric(inRunMS, "in_run_pipeline_ms")
	b.ReportMetric(e2eMS-submitMS-queueMS-inRunMS, "worker_rest_ms")
	b.ReportMetric(storedToAckMS, "stored_to_ack_ms")
	b.ReportMetric(100*max(0, e2eMS-inRunMS)/e2eMS, "nats+store_%")
	b.ReportMetric(pipelineMS, "pipeline_ms")
	b.ReportMetric(e2eMS/pipelineMS, "x_pipeline")
	b.ReportMetric(cpuMS, "cpu_ms/upload")
	b.ReportMetric(pipelineCPUMS, "pipeline_cpu_ms")
	b.ReportMetric(cpuMS/pipelineCPUMS, "cpu_x_pipeline")
	b.ReportMetric(100*max(0, cpuMS-pipelineCPUMS)/cpuMS, "nats+store_cpu_%")
	b.ReportMetric(float64(runtime.NumCPU())*1000/cpuMS, "capacity_uploads/s")
	b.ReportMetric(float64(m.redelivered.Load()), "redeliveries")
	b.ReportMetric(load, "load1")
}

// loadAverage is the machine's one-minute load average, 0 where unknown.
func loadAverage() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 0
	}
	f, _ := strconv.ParseFloat(fields[0], 64)
	return f
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
