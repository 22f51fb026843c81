package worker

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/logtriage/logtriage/internal/breaker"
)

// metricsCollector exports the worker's counters through the Prometheus
// client library: the counters stay plain atomics on the hot path and
// become const metrics at scrape time.
type metricsCollector struct {
	m        *Metrics
	depth    func() *QueueDepth // nil or returning nil: unknown
	breakers []*breaker.Breaker
}

var _ prometheus.Collector = metricsCollector{}

// Describe sends nothing: the series' labels are known only at scrape
// time (an unchecked collector).
func (metricsCollector) Describe(chan<- *prometheus.Desc) {}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	labelled := func(l *labelled, name, help, key string) {
		desc := prometheus.NewDesc(name, help, []string{key}, nil)
		l.mu.Lock()
		defer l.mu.Unlock()
		for label, v := range l.counts {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), label)
		}
	}
	single := func(name, help string, t prometheus.ValueType, v float64) {
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, help, nil, nil), t, v)
	}
	histogram := func(h *histogram, name, help string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		buckets := make(map[float64]uint64, len(h.bounds))
		var cum uint64
		for i, b := range h.bounds {
			cum += h.counts[i]
			buckets[b] = cum
		}
		ch <- prometheus.MustNewConstHistogram(prometheus.NewDesc(name, help, nil, nil), h.samples, h.sum, buckets)
	}
	labelled(&m.processed, "logtriage_uploads_processed_total", "Uploads finished, by final status.", "status")
	labelled(&m.failures, "logtriage_pipeline_failures_total", "Pipeline errors, by kind.", "kind")
	labelled(&m.deadLettered, "logtriage_uploads_dead_lettered_total", "Uploads sent to the dead-letter stream, by reason.", "reason")
	labelled(&m.classified, "logtriage_cases_classified_total", "Cases by the classifier that judged them.", "classifier")
	labelled(&m.embedded, "logtriage_cases_embedded_total", "Cases by the embedder that made their vector: configured, or fallback (to be re-embedded).", "embedder")
	single("logtriage_uploads_redelivered_total", "Deliveries after the first.", prometheus.CounterValue, float64(m.redelivered.Load()))
	single("logtriage_cases_reembedded_total", "Cases the backfill re-embedded with the configured embedder after a fallback.", prometheus.CounterValue, float64(m.reembedded.Load()))
	single("logtriage_llm_prompt_tokens_total", "LLM prompt tokens used (classifier and PII pass).", prometheus.CounterValue, float64(m.promptTokens.Load()))
	single("logtriage_llm_completion_tokens_total", "LLM completion tokens used (classifier and PII pass).", prometheus.CounterValue, float64(m.completionTokens.Load()))
	single("logtriage_uploads_in_flight", "Uploads being processed now.", prometheus.GaugeValue, float64(m.inFlight.Load()))
	histogram(m.latency, "logtriage_upload_latency_seconds", "From the upload event being stored to its ack.")
	histogram(m.queueWait, "logtriage_upload_queue_wait_seconds", "From the upload event being stored to a worker taking it.")
	histogram(m.pipeline, "logtriage_pipeline_duration_seconds", "Pipeline run time per upload.")
	if mv := &m.indexMover; mv.reported.Load() {
		single("logtriage_index_moved_total", "Vectors the index mover moved into the similarity index.", prometheus.CounterValue, float64(mv.moved.Load()))
		single("logtriage_index_waiting_vectors", "Vectors written outside the similarity index, waiting for the mover.", prometheus.GaugeValue, float64(mv.waiting.Load()))
		age := 0.0
		if o := mv.oldest.Load(); o != 0 {
			age = max(0, time.Since(time.Unix(0, o)).Seconds())
		}
		single("logtriage_index_waiting_oldest_seconds", "How long the longest-waiting vector has waited, as of the mover's last pass.", prometheus.GaugeValue, age)
	}
	if c.depth != nil {
		if d := c.depth(); d != nil {
			single("logtriage_queue_pending", "Upload events not yet delivered.", prometheus.GaugeValue, float64(d.Pending))
			single("logtriage_queue_ack_pending", "Upload events delivered and not yet acked.", prometheus.GaugeValue, float64(d.AckPending))
			single("logtriage_queue_redelivered", "Upload events being redelivered.", prometheus.GaugeValue, float64(d.Redelivered))
		}
	}
	if len(c.breakers) == 0 {
		return
	}
	state := prometheus.NewDesc("logtriage_llm_circuit_state", "Circuit state per LLM endpoint: 1 for the current state.", []string{"endpoint", "state"}, nil)
	opened := prometheus.NewDesc("logtriage_llm_circuit_opened_total", "Times the LLM endpoint's circuit opened.", []string{"endpoint"}, nil)
	rejected := prometheus.NewDesc("logtriage_llm_circuit_rejected_total", "LLM requests sent straight to their fallback while the circuit was open.", []string{"endpoint"}, nil)
	probes := prometheus.NewDesc("logtriage_llm_circuit_probes_total", "Probe requests let through to an open circuit's endpoint.", []string{"endpoint"}, nil)
	for _, b := range c.breakers {
		st := b.Stats()
		for _, s := range []breaker.State{breaker.Closed, breaker.Open, breaker.HalfOpen} {
			v := 0.0
			if st.State == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(state, prometheus.GaugeValue, v, st.Name, s.String())
		}
		ch <- prometheus.MustNewConstMetric(opened, prometheus.CounterValue, float64(st.Opened), st.Name)
		ch <- prometheus.MustNewConstMetric(rejected, prometheus.CounterValue, float64(st.Rejected), st.Name)
		ch <- prometheus.MustNewConstMetric(probes, prometheus.CounterValue, float64(st.Probes), st.Name)
	}
}

// registry is the worker's metrics plus the client library's Go runtime
// and process collectors.
func (c metricsCollector) registry(runtime bool) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if runtime {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return reg
}

// WritePrometheus writes the worker's series (not the runtime's) in the
// Prometheus text format; depth may be nil when unknown.
func (m *Metrics) WritePrometheus(w io.Writer, depth *QueueDepth) {
	reg := metricsCollector{m: m, depth: func() *QueueDepth { return depth }}.registry(false)
	families, err := reg.Gather()
	if err != nil {
		return
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		enc.Encode(f)
	}
}

// metricsHandler serves /metrics: the worker's series, its consumer's
// backlog, the LLM circuits, and the Go runtime and process collectors.
func (w *Worker) metricsHandler() http.Handler {
	c := metricsCollector{m: w.opts.Metrics, breakers: w.opts.Breakers, depth: func() *QueueDepth {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := w.cons.Info(ctx)
		if err != nil {
			return nil
		}
		return &QueueDepth{Pending: info.NumPending, AckPending: uint64(info.NumAckPending), Redelivered: uint64(info.NumRedelivered)}
	}}
	return promhttp.HandlerFor(c.registry(true), promhttp.HandlerOpts{})
}
