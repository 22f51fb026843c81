package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/triage"
)

// ExamplesSubjectPrefix + tenant: where a tenant's resolved cases are read
// page by page (`dataset export` against a running serve, whose embedded
// store no other process may open).
//
//	logtriage.examples.<tenant>   request: ExamplesRequest; reply: ExamplesReply
const ExamplesSubjectPrefix = "logtriage.examples."

// ExamplesPage is the most examples one reply carries, well under NATS's
// default 1 MB message limit for cases with a few key lines each.
const ExamplesPage = 100

// ExamplesRequest asks for one page of a tenant's resolved cases.
type ExamplesRequest struct {
	Since  time.Time `json:"since,omitzero"`
	Offset int       `json:"offset"`
}

// ExamplesReply is one page; Next is the offset of the next page, 0 at the end.
type ExamplesReply struct {
	Examples []triage.Example `json:"examples"`
	Next     int              `json:"next,omitempty"`
	Error    string           `json:"error,omitempty"`
	Kind     string           `json:"kind,omitempty"`
}

// ServeExamples answers example pages from store (a triage.ExampleStore)
// until the subscription is drained or unsubscribed.
func ServeExamples(nc *nats.Conn, store triage.Store, log *slog.Logger) (*nats.Subscription, error) {
	es, ok := store.(triage.ExampleStore)
	if !ok {
		return nil, fmt.Errorf("worker: store %T keeps no examples", store)
	}
	if log == nil {
		log = slog.Default()
	}
	return nc.QueueSubscribe(ExamplesSubjectPrefix+"*", resolveQueueGroup, func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		reply := examplesPage(ctx, es, m)
		if reply.Error != "" {
			log.Warn("worker: examples request refused", "subject", m.Subject, "err", reply.Error)
		}
		body, _ := json.Marshal(reply)
		if err := m.Respond(body); err != nil {
			log.Warn("worker: examples reply not sent", "err", err)
		}
	})
}

func examplesPage(ctx context.Context, es triage.ExampleStore, m *nats.Msg) ExamplesReply {
	tenant := strings.TrimPrefix(m.Subject, ExamplesSubjectPrefix)
	var req ExamplesRequest
	dec := json.NewDecoder(bytes.NewReader(m.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Offset < 0 {
		return ExamplesReply{Error: "request is not an examples request", Kind: "invalid"}
	}
	if err := ValidTenant(tenant); err != nil {
		return ExamplesReply{Error: err.Error(), Kind: "invalid"}
	}
	xs, err := es.Examples(ctx, triage.ExampleFilter{Tenant: tenant, Since: req.Since})
	if err != nil {
		return ExamplesReply{Error: err.Error(), Kind: triage.KindOf(err).String()}
	}
	from := min(req.Offset, len(xs))
	to := min(from+ExamplesPage, len(xs))
	reply := ExamplesReply{Examples: xs[from:to]}
	if to < len(xs) {
		reply.Next = to
	}
	return reply
}

// RequestExamples reads every resolved case of tenant from the worker,
// oldest resolution first.
func RequestExamples(ctx context.Context, nc *nats.Conn, tenant string, since time.Time) ([]triage.Example, error) {
	if err := ValidTenant(tenant); err != nil {
		return nil, triage.Invalid("examples", err)
	}
	var out []triage.Example
	for offset := 0; ; {
		body, _ := json.Marshal(ExamplesRequest{Since: since, Offset: offset})
		m, err := nc.RequestWithContext(ctx, ExamplesSubjectPrefix+tenant, body)
		if errors.Is(err, nats.ErrNoResponders) {
			return nil, triage.Transient("examples", errors.New("no worker answers: is `logtriage serve` running?"))
		}
		if err != nil {
			return nil, triage.Transient("examples", err)
		}
		var reply ExamplesReply
		if err := json.Unmarshal(m.Data, &reply); err != nil {
			return nil, triage.Internal("examples", fmt.Errorf("reply is not an ExamplesReply: %w", err))
		}
		if reply.Error != "" {
			if reply.Kind == "invalid" {
				return nil, triage.Invalid("examples", errors.New(reply.Error))
			}
			return nil, triage.Transient("examples", errors.New(reply.Error))
		}
		out = append(out, reply.Examples...)
		if reply.Next <= offset {
			return out, nil
		}
		offset = reply.Next
	}
}
