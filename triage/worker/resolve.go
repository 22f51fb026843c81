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

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
)

// Agents resolve cases through the process that owns the store: the
// embedded store is single-process, so `cases --resolve` asks serve over
// NATS request/reply instead of opening serve's files.
//
//	logtriage.resolve.<tenant>   request: a triage.Resolution; reply: ResolveReply
const ResolveSubjectPrefix = "logtriage.resolve."

// ResolveSubject is where tenant's resolutions are requested; the tenant in
// the subject lets NATS permissions scope an agent to its tenants.
func ResolveSubject(tenant string) string { return ResolveSubjectPrefix + tenant }

// resolveQueueGroup: with several workers, one of them answers each request.
const resolveQueueGroup = "logtriage-resolve"

// ResolveReply answers a resolution request: the resolved case, or an error
// with its kind ("invalid", "not_found", "transient", "internal").
type ResolveReply struct {
	Case  *triage.Case `json:"case,omitempty"`
	Error string       `json:"error,omitempty"`
	Kind  string       `json:"kind,omitempty"`
}

// ResolveOptions configure the resolution service.
type ResolveOptions struct {
	// Store must implement triage.Resolver.
	Store triage.Store
	// Router is the routing config corrected categories and queues are
	// checked against.
	Router  *router.Router
	Now     func() time.Time // time.Now when nil
	Logger  *slog.Logger     // slog.Default() when nil
	Timeout time.Duration    // per request; 10s when 0
	// Recorder, when set, records each resolution in the tenant's audit
	// trail before it is made (audit.go).
	Recorder audit.Recorder
}

// ServeResolutions answers resolution requests until the returned
// subscription is drained or unsubscribed.
func ServeResolutions(nc *nats.Conn, o ResolveOptions) (*nats.Subscription, error) {
	res, ok := o.Store.(triage.Resolver)
	if !ok {
		return nil, fmt.Errorf("worker: store %T cannot record resolutions", o.Store)
	}
	if o.Router == nil {
		return nil, errors.New("worker: ResolveOptions.Router is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return nc.QueueSubscribe(ResolveSubjectPrefix+"*", resolveQueueGroup, func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
		defer cancel()
		reply := resolve(ctx, res, o, m)
		if reply.Error != "" {
			o.Logger.Warn("worker: resolution refused", "subject", m.Subject, "kind", reply.Kind, "err", reply.Error)
		}
		body, _ := json.Marshal(reply) // a case and strings always encode
		if err := m.Respond(body); err != nil {
			o.Logger.Warn("worker: resolution reply not sent", "err", err)
		}
	})
}

func resolve(ctx context.Context, res triage.Resolver, o ResolveOptions, m *nats.Msg) ResolveReply {
	fail := func(err error) ResolveReply {
		kind := triage.KindOf(err).String()
		if errors.Is(err, triage.ErrNotFound) {
			kind = "not_found"
		}
		return ResolveReply{Error: err.Error(), Kind: kind}
	}
	tenant := strings.TrimPrefix(m.Subject, ResolveSubjectPrefix)
	var r triage.Resolution
	dec := json.NewDecoder(bytes.NewReader(m.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return fail(triage.Invalidf("resolve", "request is not a resolution: %v", err))
	}
	if r.Tenant == "" {
		r.Tenant = tenant
	}
	if r.Tenant != tenant {
		return fail(triage.Invalidf("resolve", "resolution for tenant %s sent on the subject of tenant %s", r.Tenant, tenant))
	}
	if err := ValidTenant(r.Tenant); err != nil {
		return fail(triage.Invalid("resolve", err))
	}
	// The service stamps the time: an agent's clock does not order examples.
	r.ResolvedAt = o.Now().UTC()
	if err := triage.ValidateResolution(r, o.Router); err != nil {
		return fail(err)
	}
	if o.Recorder != nil { // a case that is not the tenant's is no access to record
		if _, err := o.Store.GetCase(ctx, r.Tenant, r.CaseID); err != nil {
			return fail(err)
		}
	}
	if err := recordResolution(ctx, o.Recorder, r, nil); err != nil {
		return fail(err)
	}
	if err := res.Resolve(ctx, r); err != nil {
		recordResolution(ctx, o.Recorder, r, err)
		return fail(err)
	}
	c, err := o.Store.GetCase(ctx, r.Tenant, r.CaseID)
	if err != nil {
		return fail(err)
	}
	return ResolveReply{Case: c}
}

// RequestResolve asks the worker to record r and returns the resolved case.
// Errors keep their kind; a missing case is triage.ErrNotFound.
func RequestResolve(ctx context.Context, nc *nats.Conn, r triage.Resolution) (*triage.Case, error) {
	if err := ValidTenant(r.Tenant); err != nil {
		return nil, triage.Invalid("resolve", err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, triage.Internal("resolve", err)
	}
	m, err := nc.RequestWithContext(ctx, ResolveSubject(r.Tenant), body)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, triage.Transient("resolve", errors.New("no worker answers resolutions: is `logtriage serve` running?"))
	}
	if err != nil {
		return nil, triage.Transient("resolve", err)
	}
	var reply ResolveReply
	if err := json.Unmarshal(m.Data, &reply); err != nil {
		return nil, triage.Internal("resolve", fmt.Errorf("reply is not a ResolveReply: %w", err))
	}
	switch {
	case reply.Error == "" && reply.Case != nil:
		return reply.Case, nil
	case reply.Kind == "not_found":
		return nil, fmt.Errorf("case %s of tenant %s: %w", r.CaseID, r.Tenant, triage.ErrNotFound)
	case reply.Kind == "invalid":
		return nil, triage.Invalid("resolve", errors.New(reply.Error))
	case reply.Kind == "transient":
		return nil, triage.Transient("resolve", errors.New(reply.Error))
	default:
		return nil, triage.Internal("resolve", errors.New(reply.Error))
	}
}
