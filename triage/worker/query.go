package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/triage"
)

// SimilarSubject is where serve answers `similar` queries (NATS
// request/reply), so reading commands work while serve holds the embedded
// store. Who may ask for which tenant is NATS permissions' job, as for the
// cases and alerts subjects.
const SimilarSubject = "logtriage.query.similar"

// queryGroup spreads queries over every serve process.
const queryGroup = "logtriage-query"

type similarReply struct {
	Result   *triage.SimilarResult `json:"result,omitempty"`
	Error    string                `json:"error,omitempty"`
	NotFound bool                  `json:"not_found,omitempty"`
}

// ServeQueries answers SimilarSubject from store until the subscription is
// drained; embedder embeds a case that has no stored vector. record, when
// set, records the access to tenant data (the audit trail) before the
// answer goes out; a failure to record withholds the answer.
func ServeQueries(nc *nats.Conn, store triage.Store, embedder triage.Embedder, log *slog.Logger, record func(context.Context, triage.SimilarResult) error) (*nats.Subscription, error) {
	if log == nil {
		log = slog.Default()
	}
	return nc.QueueSubscribe(SimilarSubject, queryGroup, func(m *nats.Msg) {
		var req triage.SimilarRequest
		var reply similarReply
		if err := json.Unmarshal(m.Data, &req); err != nil || req.CaseID == "" || (req.Tenant == "" && !req.AllTenants) {
			reply.Error = "bad similar request: want JSON with case_id and tenant"
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			res, err := triage.FindSimilar(ctx, store, func() (triage.Embedder, error) { return embedder, nil }, req)
			if err == nil && record != nil {
				err = record(ctx, res)
			}
			cancel()
			switch {
			case errors.Is(err, triage.ErrNotFound):
				reply.NotFound, reply.Error = true, fmt.Sprintf("no case %s for tenant %s", req.CaseID, req.Tenant)
			case err != nil:
				reply.Error = err.Error()
				log.Warn("query: similar", "case_id", req.CaseID, "err", err)
			default:
				reply.Result = &res
			}
		}
		body, _ := json.Marshal(reply)
		if err := m.Respond(body); err != nil {
			log.Warn("query: reply not sent", "err", err)
		}
	})
}

// QuerySimilar asks a running serve. nats.ErrNoResponders means no serve
// answers on this server; a missing case wraps triage.ErrNotFound.
func QuerySimilar(ctx context.Context, nc *nats.Conn, req triage.SimilarRequest) (triage.SimilarResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return triage.SimilarResult{}, err
	}
	m, err := nc.RequestWithContext(ctx, SimilarSubject, body)
	if err != nil {
		return triage.SimilarResult{}, err
	}
	var reply similarReply
	if err := json.Unmarshal(m.Data, &reply); err != nil {
		return triage.SimilarResult{}, fmt.Errorf("similar: bad reply from serve: %w", err)
	}
	switch {
	case reply.NotFound:
		return triage.SimilarResult{}, fmt.Errorf("%s: %w", reply.Error, triage.ErrNotFound)
	case reply.Error != "":
		return triage.SimilarResult{}, errors.New(reply.Error)
	case reply.Result == nil:
		return triage.SimilarResult{}, errors.New("similar: empty reply from serve")
	}
	return *reply.Result, nil
}
