package worker

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Metrics are the worker's counters, written in the Prometheus text
// exposition format by WritePrometheus. Hand-written: a handful of series
// does not justify a client library.
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

// QueueDepth is the worker consumer's backlog at scrape time.
type QueueDepth struct {
	Pending, AckPending, Redelivered uint64
}

// WritePrometheus writes every series; depth may be nil when unknown.
func (m *Metrics) WritePrometheus(w io.Writer, depth *QueueDepth) {
	m.processed.write(w, "logtriage_uploads_processed_total", "Uploads finished, by final status.", "status")
	m.failures.write(w, "logtriage_pipeline_failures_total", "Pipeline errors, by kind.", "kind")
	m.deadLettered.write(w, "logtriage_uploads_dead_lettered_total", "Uploads sent to the dead-letter stream, by reason.", "reason")
	m.classified.write(w, "logtriage_cases_classified_total", "Cases by the classifier that judged them.", "classifier")
	m.embedded.write(w, "logtriage_cases_embedded_total", "Cases by the embedder that made their vector: configured, or fallback (to be re-embedded).", "embedder")
	counter(w, "logtriage_uploads_redelivered_total", "Deliveries after the first.", m.redelivered.Load())
	counter(w, "logtriage_cases_reembedded_total", "Cases the backfill re-embedded with the configured embedder after a fallback.", m.reembedded.Load())
	counter(w, "logtriage_llm_prompt_tokens_total", "LLM prompt tokens used (classifier and PII pass).", m.promptTokens.Load())
	counter(w, "logtriage_llm_completion_tokens_total", "LLM completion tokens used (classifier and PII pass).", m.completionTokens.Load())
	gauge(w, "logtriage_uploads_in_flight", "Uploads being processed now.", float64(m.inFlight.Load()))
	m.latency.write(w, "logtriage_upload_latency_seconds", "From the upload event being stored to its ack.")
	m.queueWait.write(w, "logtriage_upload_queue_wait_seconds", "From the upload event being stored to a worker taking it.")
	m.pipeline.write(w, "logtriage_pipeline_duration_seconds", "Pipeline run time per upload.")
	if depth != nil {
		gauge(w, "logtriage_queue_pending", "Upload events not yet delivered.", float64(depth.Pending))
		gauge(w, "logtriage_queue_ack_pending", "Upload events delivered and not yet acked.", float64(depth.AckPending))
		gauge(w, "logtriage_queue_redelivered", "Upload events being redelivered.", float64(depth.Redelivered))
	}
}

func counter(w io.Writer, name, help string, v int64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
}

func gauge(w io.Writer, name, help string, v float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, formatFloat(v))
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

func (l *labelled) write(w io.Writer, name, help, key string) {
	l.mu.Lock()
	labels := make([]string, 0, len(l.counts))
	for k := range l.counts {
		labels = append(labels, k)
	}
	sort.Strings(labels)
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	for _, k := range labels {
		fmt.Fprintf(w, "%s{%s=\"%s\"} %d\n", name, key, escapeLabel(k), l.counts[k])
	}
	l.mu.Unlock()
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
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

func (h *histogram) write(w io.Writer, name, help string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, formatFloat(b), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n",
		name, h.samples, name, formatFloat(h.sum), name, h.samples)
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprintf("%g", v)
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
	mux.HandleFunc("GET /metrics", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var depth *QueueDepth
		if info, err := w.cons.Info(ctx); err == nil {
			depth = &QueueDepth{Pending: info.NumPending, AckPending: uint64(info.NumAckPending),
				Redelivered: uint64(info.NumRedelivered)}
		}
		w.opts.Metrics.WritePrometheus(rw, depth)
		writeBreakers(rw, w.opts.Breakers)
	})
	return mux
}
