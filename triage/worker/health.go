package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/internal/breaker"
)

// readiness is what /readyz reports: not ready (503) when the worker is not
// fetching, NATS is not connected or its consumer is gone (deleted from
// outside: nothing would be delivered); ready but degraded when an LLM
// endpoint's circuit is open (cases are still made, with fallbacks).
func (w *Worker) readiness(ctx context.Context) (ready bool, lines []string) {
	ready = true
	switch {
	case !w.Running():
		ready, lines = false, append(lines, "worker: not fetching")
	case !w.opts.JS.Conn().IsConnected():
		ready, lines = false, append(lines, "nats: not connected")
	default:
		if _, err := w.cons.Info(ctx); err != nil {
			ready = false
			if errors.Is(err, jetstream.ErrConsumerNotFound) {
				lines = append(lines, fmt.Sprintf("consumer %s: missing (restart serve, or run worker.Setup, to recreate it)", WorkerConsumer))
			} else {
				lines = append(lines, fmt.Sprintf("consumer %s: %v", WorkerConsumer, err))
			}
		}
	}
	for _, b := range w.opts.Breakers {
		st := b.Stats()
		if st.State != breaker.Closed {
			lines = append(lines, fmt.Sprintf("degraded: LLM endpoint %s circuit %s (%s): cases use the fallbacks", st.Name, st.State, st.LastError))
		}
	}
	return ready, lines
}

// writeBreakers writes the circuit breakers' series.
func writeBreakers(w io.Writer, bs []*breaker.Breaker) {
	if len(bs) == 0 {
		return
	}
	stats := make([]breaker.Stats, len(bs))
	for i, b := range bs {
		stats[i] = b.Stats()
	}
	fmt.Fprintf(w, "# HELP logtriage_llm_circuit_state Circuit state per LLM endpoint: 1 for the current state.\n# TYPE logtriage_llm_circuit_state gauge\n")
	for _, st := range stats {
		for _, s := range []breaker.State{breaker.Closed, breaker.Open, breaker.HalfOpen} {
			v := 0
			if st.State == s {
				v = 1
			}
			fmt.Fprintf(w, "logtriage_llm_circuit_state{endpoint=\"%s\",state=\"%s\"} %d\n", escapeLabel(st.Name), s, v)
		}
	}
	series := []struct {
		name, help string
		v          func(breaker.Stats) uint64
	}{
		{"logtriage_llm_circuit_opened_total", "Times the LLM endpoint's circuit opened.", func(s breaker.Stats) uint64 { return s.Opened }},
		{"logtriage_llm_circuit_rejected_total", "LLM requests sent straight to their fallback while the circuit was open.", func(s breaker.Stats) uint64 { return s.Rejected }},
		{"logtriage_llm_circuit_probes_total", "Probe requests let through to an open circuit's endpoint.", func(s breaker.Stats) uint64 { return s.Probes }},
	}
	for _, sr := range series {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", sr.name, sr.help, sr.name)
		for _, st := range stats {
			fmt.Fprintf(w, "%s{endpoint=\"%s\"} %d\n", sr.name, escapeLabel(st.Name), sr.v(st))
		}
	}
}

// readyBody is /readyz's text: the verdict, then one line per note.
func readyBody(ready bool, lines []string) string {
	head := "ready"
	if !ready {
		head = "not ready"
	} else if len(lines) > 0 {
		head = "ready (degraded)"
	}
	return strings.Join(append([]string{head}, lines...), "\n") + "\n"
}
