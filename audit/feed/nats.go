// Package feed is the live audit feed for customers' SIEMs: every recorded
// event is published on the tenant's NATS subject logtriage.audit.<tenant>
// and/or POSTed to the tenant's webhook with an HMAC-SHA256 signature. Both
// are audit.Publishers: they never block recording; a feed that falls behind
// drops (and counts) events, and the export is where a SIEM catches up.
package feed

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/logtriage/logtriage/audit"
)

// SubjectPrefix is followed by the tenant: one subject per tenant, so NATS
// permissions can give a customer's credentials exactly its own feed
// (subscribe allow "logtriage.audit.<tenant>").
const SubjectPrefix = "logtriage.audit."

// Subject is the tenant's feed subject, or "" when the tenant name cannot be
// one subject token (then nothing is published: never to a wrong subject).
func Subject(tenant string) string {
	if tenant == "" || strings.ContainsAny(tenant, ".*> \t\r\n") {
		return ""
	}
	return SubjectPrefix + tenant
}

// NATS publishes events on core NATS (fire and forget, buffered by the client).
type NATS struct {
	nc      *nats.Conn
	log     *slog.Logger
	sent    atomic.Int64
	dropped atomic.Int64
}

var _ audit.Publisher = (*NATS)(nil)

// NewNATS publishes through nc; log may be nil.
func NewNATS(nc *nats.Conn, log *slog.Logger) *NATS {
	if log == nil {
		log = slog.Default()
	}
	return &NATS{nc: nc, log: log}
}

// Publish sends e as JSON (the same object as an export line).
func (p *NATS) Publish(e audit.Event) {
	subj := Subject(e.Tenant)
	b, err := json.Marshal(e)
	if subj == "" || err != nil {
		p.dropped.Add(1)
		return
	}
	if err := p.nc.Publish(subj, b); err != nil {
		if p.dropped.Add(1) == 1 {
			p.log.Warn("audit feed: NATS publish failed; events are in the trail and the export", "err", err)
		}
		return
	}
	p.sent.Add(1)
}

// Sent and Dropped count events.
func (p *NATS) Sent() int64    { return p.sent.Load() }
func (p *NATS) Dropped() int64 { return p.dropped.Load() }
