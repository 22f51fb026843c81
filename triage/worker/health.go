package worker

import (
	"context"
	"errors"
	"fmt"
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
