package worker

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// Metrics are the worker's counters: plain atomics on the hot path,
// exported through the Prometheus client library at scrape time
// (promcollector.go).
type Metrics struct {
	processed        labelled // by final status: triaged, quarantined
	failures         labelled // pipeline errors by kind: transient, invalid, internal
	deadLettered     labelled // by reason code
	classified       labelled // by classifier: llm, rules, rules_fallback
	embedded         labelled // by embedder: configured, fallback
	redelivered      atomic.Int64
	reembedded       atomic.Int64 // cases the backfill moved into the configured embedder's space
	inFlight         atomic.Int64
	promptTokens     atomic.Int64
	completionTokens atomic.Int64
	indexMover       indexMoverStats
	latency          *histogram // event stored -> ack
	queueWait        *histogram // event stored -> picked up by a worker
	pipeline         *histogram // pipeline run alone
}

// NewMetrics returns zeroed metrics.
func NewMetrics() *Metrics {
	buckets := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	return &Metrics{latency: newHistogram(buckets), queueWait: newHistogram(buckets), pipeline: newHistogram(buckets)}
}

// Processed returns how many uploads ended with status st.
func (m *Metrics) Processed(st string) int64 { return m.processed.get(st) }

// DeadLettered returns how many uploads were dead-lettered with reason.
func (m *Metrics) DeadLettered(reason string) int64 { return m.deadLettered.get(reason) }

// indexMoverStats is the index mover's progress: exported only once a mover
// has reported, so a store without deferred indexing shows no such series.
type indexMoverStats struct {
	reported atomic.Bool
	moved    atomic.Int64
	waiting  atomic.Int64
	oldest   atomic.Int64 // unix nanoseconds of the longest-waiting vector's write; 0 when none waits
}

// RecordIndexMove adds one mover pass: how many vectors it moved and what
// still waits after it.
func (m *Metrics) RecordIndexMove(moved int, backlog triage.IndexBacklog) {
	st := &m.indexMover
	st.moved.Add(int64(moved))
	st.waiting.Store(backlog.Vectors)
	var oldest int64
	if !backlog.Oldest.IsZero() {
		oldest = backlog.Oldest.UnixNano()
	}
	st.oldest.Store(oldest)
	st.reported.Store(true)
}

// QueueDepth is the worker consumer's backlog at scrape time.
type QueueDepth struct {
	Pending, AckPending, Redelivered uint64
}

type labelled struct {
	mu     sync.Mutex
	counts map[string]int64
}

func (l *labelled) inc(label string) {
	l.mu.Lock()
	if l.counts == nil {
		l.counts = map[string]int64{}
	}
	l.counts[label]++
	l.mu.Unlock()
}

func (l *labelled) get(label string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[label]
}

type histogram struct {
	mu      sync.Mutex
	bounds  []float64
	counts  []uint64 // per bucket, not cumulative
	sum     float64
	samples uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.samples++
	h.mu.Unlock()
}

// mean is the average observation, 0 before the first.
func (h *histogram) mean() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.samples == 0 {
		return 0
	}
	return h.sum / float64(h.samples)
}

// Handler serves /healthz (the process is up), /readyz (the worker is
// fetching, NATS is connected and the consumer exists; "degraded" while an
// LLM circuit is open) and /metrics.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(rw, "ok")
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		ready, lines := w.readiness(ctx)
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(rw, readyBody(ready, lines))
	})
	mux.Handle("GET /metrics", w.metricsHandler())
	return mux
}
