package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/triage"
)

// ReadOptions select what a reader sees.
type ReadOptions struct {
	// Queue limits cases to one queue; "" reads every queue.
	Queue string
	// Tenant limits what is shown to one tenant's cases or alerts; "" is the
	// operators' view of every tenant.
	Tenant string
	// Follow keeps reading new messages until the context ends.
	Follow bool
}

// ReadCases calls fn for every case in the cases stream, oldest first, and
// with Follow for every new one. It never acks: listing takes nothing.
func ReadCases(ctx context.Context, js jetstream.JetStream, o ReadOptions, fn func(*triage.Case) error) error {
	filter := CasesSubjectPrefix + ">"
	if o.Queue != "" {
		filter = CaseSubject(o.Queue)
	}
	return readStream(ctx, js, CasesStream, filter, o.Follow, func(m jetstream.Msg) error {
		var c triage.Case
		if err := json.Unmarshal(m.Data(), &c); err != nil {
			return nil // not a case; nothing a reader can do about it
		}
		if o.Tenant != "" && c.Tenant != o.Tenant {
			return nil
		}
		return fn(&c)
	})
}

// ReadAlerts is ReadCases for the security team's PII alerts.
func ReadAlerts(ctx context.Context, js jetstream.JetStream, o ReadOptions, fn func(*triage.Alert) error) error {
	return readStream(ctx, js, AlertsStream, "", o.Follow, func(m jetstream.Msg) error {
		var a triage.Alert
		if err := json.Unmarshal(m.Data(), &a); err != nil {
			return nil
		}
		if o.Tenant != "" && a.Tenant != o.Tenant {
			return nil
		}
		return fn(&a)
	})
}

// readStream replays the stream through a short-lived consumer of its own.
func readStream(ctx context.Context, js jetstream.JetStream, stream, filter string, follow bool, fn func(jetstream.Msg) error) error {
	cons, err := js.CreateConsumer(ctx, stream, jetstream.ConsumerConfig{
		FilterSubject:     filter,
		AckPolicy:         jetstream.AckNonePolicy,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	defer js.DeleteConsumer(context.WithoutCancel(ctx), stream, cons.CachedInfo().Name)
	if cons.CachedInfo().NumPending == 0 && !follow {
		return nil
	}
	iter, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	stop := context.AfterFunc(ctx, iter.Stop)
	defer stop()
	defer iter.Stop()
	for {
		m, err := iter.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		if err := fn(m); err != nil {
			return err
		}
		if !follow {
			if md, err := m.Metadata(); err == nil && md.NumPending == 0 {
				return nil
			}
		}
	}
}

// AgentConsumer names the durable consumer agents of one queue share; a
// tenant-scoped view gets its own, so skipping another tenant's case there
// takes nothing from anyone.
func AgentConsumer(queue, tenant string) string {
	name := "agents-" + SubjectToken(queue)
	if tenant != "" {
		name += "-" + tenant
	}
	return name
}

// NextCase takes the oldest case of queue nobody has taken yet, waiting up to
// wait for one; it returns (nil, nil) when none came. Taking acks it on the
// queue's shared consumer, so two agents never get the same case.
func NextCase(ctx context.Context, js jetstream.JetStream, queue, tenant string, wait time.Duration) (*triage.Case, error) {
	if queue == "" {
		return nil, errors.New("next case: a queue is required")
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, CasesStream, jetstream.ConsumerConfig{
		Durable:       AgentConsumer(queue, tenant),
		Description:   "support agents taking cases from " + queue,
		FilterSubject: CaseSubject(queue),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("next case: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		c, err := takeOne(ctx, cons, tenant, left)
		if c != nil || err != nil {
			return c, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

// takeOne fetches at most one message and takes it if it is a case of tenant.
func takeOne(ctx context.Context, cons jetstream.Consumer, tenant string, wait time.Duration) (*triage.Case, error) {
	fetchCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	batch, err := cons.Fetch(1, jetstream.FetchContext(fetchCtx))
	if err != nil {
		if fetchCtx.Err() != nil {
			return nil, nil // the wait ran out before the request went out
		}
		return nil, fmt.Errorf("next case: %w", err)
	}
	var got *triage.Case
	for m := range batch.Messages() {
		var c triage.Case
		if err := json.Unmarshal(m.Data(), &c); err != nil || (tenant != "" && c.Tenant != tenant) {
			m.Ack() // not for this view; this consumer is the view's own
			continue
		}
		if err := m.DoubleAck(ctx); err != nil {
			return nil, fmt.Errorf("next case: take %s: %w", c.ID, err)
		}
		got = &c
	}
	if got != nil {
		return got, nil
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("next case: %w", err)
	}
	return nil, nil
}

// WaitOutcome waits for the outcome of one upload, whether it finished before
// the call or after: the done stream keeps the last outcome per upload.
func WaitOutcome(ctx context.Context, js jetstream.JetStream, uploadID string) (*Outcome, error) {
	cons, err := js.OrderedConsumer(ctx, DoneStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{DoneSubject(uploadID)},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("wait for %s: %w", uploadID, err)
	}
	for {
		m, err := cons.Next(jetstream.FetchContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("wait for %s: %w", uploadID, ctx.Err())
			}
			if errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			return nil, fmt.Errorf("wait for %s: %w", uploadID, err)
		}
		var out Outcome
		if err := json.Unmarshal(m.Data(), &out); err != nil {
			return nil, fmt.Errorf("wait for %s: bad outcome: %w", uploadID, err)
		}
		return &out, nil
	}
}
