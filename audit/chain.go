package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// Publisher receives every event once it is durable: the live feed (NATS
// subject per tenant, webhook). It is called in chain order per tenant and
// must not block; a feed that falls behind drops, and the customer recovers
// from the export, which is the record.
type Publisher interface {
	Publish(e Event)
}

// Options configure a Chain.
type Options struct {
	Now   func() time.Time // time.Now when nil
	NewID func() string    // random 128-bit hex ids when nil
	// Publishers get every recorded event (the live feeds).
	Publishers []Publisher
	// Retention is how long events are kept by Purge; DefaultRetention when 0.
	Retention time.Duration
}

// DefaultRetention: audit events outlive the cases they describe (a year,
// what SOC 2 and ISO 27001 auditors ask for), whatever the cases' retention.
const DefaultRetention = 365 * 24 * time.Hour

// maxConflictRetries bounds how often Record re-reads the head when other
// processes keep appending to the same tenant's chain first; after a few
// lost races it backs off a little (jittered) so two busy writers interleave.
const maxConflictRetries = 64

// Chain is the Recorder everyone uses: it numbers and hashes each event into
// its tenant's chain and appends it durably to the store before returning.
// Events of one tenant are appended one at a time (the chain is a sequence);
// tenants proceed in parallel, and the store group-commits their writes.
type Chain struct {
	store  Store
	signer *Signer // nil: events are chained, checkpoints are not signed here
	opts   Options

	mu      sync.Mutex
	tenants map[string]*tenantChain

	cpMu   sync.Mutex
	signed map[string]uint64 // tenant -> seq of its last checkpoint, once read
}

type tenantChain struct {
	mu     sync.Mutex
	loaded bool
	head   Head
}

var _ Recorder = (*Chain)(nil)

// NewChain returns a chain over store. signer may be nil for a process that
// records but does not sign checkpoints (a second worker without the key).
func NewChain(store Store, signer *Signer, opts Options) *Chain {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = randomID
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	return &Chain{store: store, signer: signer, opts: opts, tenants: map[string]*tenantChain{}, signed: map[string]uint64{}}
}

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// Signer is the chain's checkpoint signer (nil when it has none).
func (c *Chain) Signer() *Signer { return c.signer }

// Store is the store the chain appends to.
func (c *Chain) Store() Store { return c.store }

// ErrInvalidEvent wraps the reason an event cannot be recorded.
var ErrInvalidEvent = errors.New("audit: invalid event")

func validate(e *Event) error {
	switch {
	case e.Tenant == "":
		return fmt.Errorf("%w: no tenant", ErrInvalidEvent)
	case e.Action == "":
		return fmt.Errorf("%w: no action", ErrInvalidEvent)
	case e.Actor.Name == "":
		return fmt.Errorf("%w: no actor", ErrInvalidEvent)
	case e.Actor.Kind != ActorUser && e.Actor.Kind != ActorService:
		return fmt.Errorf("%w: actor kind %q", ErrInvalidEvent, e.Actor.Kind)
	}
	switch e.Outcome {
	case Success, Failure, Denied:
	default:
		return fmt.Errorf("%w: outcome %q", ErrInvalidEvent, e.Outcome)
	}
	return nil
}

// Record numbers, hashes and durably appends e, and returns it as stored.
// Time and ID are filled when empty; an empty Outcome means Success.
// Seq, PrevHash and Hash are always the chain's.
func (c *Chain) Record(ctx context.Context, e Event) (Event, error) {
	if e.Outcome == "" {
		e.Outcome = Success
	}
	if err := validate(&e); err != nil {
		return Event{}, err
	}
	if e.ID == "" {
		e.ID = c.opts.NewID()
	}
	if len(e.Detail) > 0 { // the caller's map is not ours to normalize
		d := make(map[string]string, len(e.Detail))
		for k, v := range e.Detail {
			d[k] = v
		}
		e.Detail = d
	}
	tc := c.tenant(e.Tenant)
	tc.mu.Lock()
	locked := true
	defer func() {
		if locked {
			tc.mu.Unlock()
		}
	}()
	pipe, pipelined := c.store.(PipelinedStore)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Event{}, err
		}
		if !tc.loaded {
			h, err := c.store.AuditHead(ctx, e.Tenant)
			if err != nil {
				return Event{}, fmt.Errorf("audit: read chain head: %w", err)
			}
			tc.head, tc.loaded = h, true
		}
		// Time is taken under the tenant's lock so seq order is time order.
		if e.Time.IsZero() || attempt > 0 {
			e.Time = c.opts.Now()
		}
		e.Seq = tc.head.Seq + 1
		e.PrevHash = tc.head.Hash
		normalize(&e)
		e.Hash = ComputeHash(&e)
		if pipelined {
			wait, err := pipe.EnqueueAudit(ctx, e)
			if err == nil {
				// Queued behind the tenant's previous event: the next one may
				// queue while this one waits for its flush.
				tc.head = Head{Seq: e.Seq, Hash: e.Hash}
				tc.mu.Unlock()
				locked = false
				if err := wait(); err != nil {
					tc.mu.Lock()
					tc.loaded = false
					tc.mu.Unlock()
					return Event{}, fmt.Errorf("audit: record %s for %s: %w", e.Action, e.Tenant, err)
				}
				// Concurrent events of one tenant may reach the feeds out of
				// seq order; each carries its seq.
				for _, p := range c.opts.Publishers {
					p.Publish(e)
				}
				return e, nil
			}
			tc.loaded = false
			if !errors.Is(err, ErrConflict) || attempt >= maxConflictRetries {
				return Event{}, fmt.Errorf("audit: record %s for %s: %w", e.Action, e.Tenant, err)
			}
			c.backoff(ctx, attempt)
			continue
		}
		err := c.store.AppendAudit(ctx, e)
		if err == nil {
			tc.head = Head{Seq: e.Seq, Hash: e.Hash}
			for _, p := range c.opts.Publishers {
				p.Publish(e)
			}
			return e, nil
		}
		// Whatever happened, the head must be re-read: another process may
		// have appended (conflict) or the write's fate is unknown.
		tc.loaded = false
		if !errors.Is(err, ErrConflict) || attempt >= maxConflictRetries {
			return Event{}, fmt.Errorf("audit: record %s for %s: %w", e.Action, e.Tenant, err)
		}
		c.backoff(ctx, attempt)
	}
}

// backoff lets a writer that lost the race for a head a few times wait a
// little (jittered) so two busy writers interleave.
func (c *Chain) backoff(ctx context.Context, attempt int) {
	if attempt >= 3 {
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(1+mrand.IntN(1000*attempt)) * time.Microsecond):
		}
	}
}

func (c *Chain) tenant(name string) *tenantChain {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc := c.tenants[name]
	if tc == nil {
		tc = &tenantChain{}
		c.tenants[name] = tc
	}
	return tc
}

// ErrNoSigner: checkpoints and purges need the signing key.
var ErrNoSigner = errors.New("audit: no signing key in this process")

// Checkpoint signs the head of every chain that moved since its last
// checkpoint and stores the checkpoints. It returns how many it signed.
func (c *Chain) Checkpoint(ctx context.Context) (int, error) {
	if c.signer == nil {
		return 0, ErrNoSigner
	}
	tenants, err := c.store.AuditTenants(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tenants {
		signed, err := c.checkpointTenant(ctx, t)
		if err != nil {
			return n, err
		}
		if signed {
			n++
		}
	}
	return n, nil
}

func (c *Chain) checkpointTenant(ctx context.Context, tenant string) (bool, error) {
	head, err := c.store.AuditHead(ctx, tenant)
	if err != nil || head.Seq == 0 {
		return false, err
	}
	c.cpMu.Lock()
	defer c.cpMu.Unlock()
	last, known := c.signed[tenant]
	if !known { // read once per tenant; afterwards this process knows what it signed
		cps, err := c.store.AuditCheckpoints(ctx, tenant)
		if err != nil {
			return false, err
		}
		for _, cp := range cps {
			last = max(last, cp.Seq)
		}
	}
	if last >= head.Seq {
		c.signed[tenant] = last
		return false, nil
	}
	if err := c.store.PutCheckpoint(ctx, c.signer.Sign(tenant, head, c.opts.Now(), false)); err != nil {
		return false, err
	}
	c.signed[tenant] = head.Seq
	return true, nil
}

// RunCheckpoints checkpoints every interval until ctx ends, and once more on
// the way out so a clean shutdown leaves every head signed.
func (c *Chain) RunCheckpoints(ctx context.Context, interval time.Duration, logf func(string, ...any)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if _, err := c.Checkpoint(context.WithoutCancel(ctx)); err != nil && logf != nil {
				logf("audit: final checkpoint: %v", err)
			}
			return
		case <-t.C:
			if _, err := c.Checkpoint(ctx); err != nil && logf != nil && ctx.Err() == nil {
				logf("audit: checkpoint: %v", err)
			}
		}
	}
}

// Purge applies the audit retention: for each tenant, the events older than
// now - Retention are deleted, after a signed anchor checkpoint of the last
// deleted one is stored, so the chain that remains still verifies from its
// first event. Returns the number of events deleted.
func (c *Chain) Purge(ctx context.Context) (int, error) {
	if c.signer == nil {
		return 0, ErrNoSigner
	}
	cutoff := c.opts.Now().Add(-c.opts.Retention)
	tenants, err := c.store.AuditTenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tenants {
		// The newest event before the cutoff is the last one to go.
		last, err := c.store.QueryAudit(ctx, Query{Tenant: t, Until: cutoff, Limit: 1})
		if err != nil {
			return total, err
		}
		if len(last) == 0 {
			continue
		}
		through := Head{Seq: last[0].Seq, Hash: last[0].Hash}
		if err := c.store.PutCheckpoint(ctx, c.signer.Sign(t, through, c.opts.Now(), true)); err != nil {
			return total, err
		}
		n, err := c.store.PurgeAudit(ctx, t, through)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
