// Package audittest has an in-memory audit.Store for tests of the packages
// that record (worker, portal handlers): it keeps the same contract as the
// persistent stores (it runs the same conformance suite) but nothing survives
// the process, so it is never used outside tests.
package audittest

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/logtriage/logtriage/audit"
)

// MemStore is an audit.Store in memory, safe for concurrent use.
type MemStore struct {
	mu          sync.RWMutex
	chains      map[string][]audit.Event
	anchors     map[string]audit.Head
	checkpoints map[string][]audit.Checkpoint
	// FailAppend, when set, makes AppendAudit fail with it (a store that is down).
	FailAppend error
}

var _ audit.Store = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{chains: map[string][]audit.Event{}, anchors: map[string]audit.Head{},
		checkpoints: map[string][]audit.Checkpoint{}}
}

func (m *MemStore) head(t string) audit.Head {
	if c := m.chains[t]; len(c) > 0 {
		return audit.Head{Seq: c[len(c)-1].Seq, Hash: c[len(c)-1].Hash}
	}
	return m.anchors[t]
}

func (m *MemStore) AppendAudit(ctx context.Context, e audit.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailAppend != nil {
		return m.FailAppend
	}
	h := m.head(e.Tenant)
	if e.Seq != h.Seq+1 || e.PrevHash != h.Hash {
		return audit.ErrConflict
	}
	if len(e.Detail) > 0 {
		e.Detail = cloneMap(e.Detail)
	}
	m.chains[e.Tenant] = append(m.chains[e.Tenant], e)
	return nil
}

func cloneMap(d map[string]string) map[string]string {
	c := make(map[string]string, len(d))
	for k, v := range d {
		c[k] = v
	}
	return c
}

func (m *MemStore) AuditHead(ctx context.Context, tenant string) (audit.Head, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.head(tenant), ctx.Err()
}

func (m *MemStore) QueryAudit(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	var hits []audit.Event
	for t, c := range m.chains {
		if !q.AllTenants && t != q.Tenant {
			continue
		}
		for i := range c {
			if q.Matches(&c[i]) {
				hits = append(hits, c[i])
			}
		}
	}
	m.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool { return audit.CursorOf(hits[i]).Before(&hits[j]) })
	if n := q.EffectiveLimit(); len(hits) > n {
		hits = hits[:n]
	}
	for i := range hits {
		hits[i].Detail = cloneMap(hits[i].Detail)
	}
	return hits, ctx.Err()
}

func (m *MemStore) ExportAudit(ctx context.Context, q audit.ExportQuery, fn func(audit.Event) error) error {
	tenants, err := m.AuditTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		if !q.AllTenants && t != q.Tenant {
			continue
		}
		m.mu.RLock()
		c := slices.Clone(m.chains[t])
		m.mu.RUnlock()
		upTo, bounded := q.UpTo[t]
		for _, e := range c {
			if bounded && e.Seq > upTo {
				break
			}
			if !q.Since.IsZero() && e.Time.Before(q.Since) {
				continue
			}
			e.Detail = cloneMap(e.Detail)
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

func (m *MemStore) AuditTenants(ctx context.Context) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var ts []string
	for t := range m.chains {
		ts = append(ts, t)
	}
	for t := range m.anchors {
		if _, ok := m.chains[t]; !ok {
			ts = append(ts, t)
		}
	}
	sort.Strings(ts)
	return ts, ctx.Err()
}

func (m *MemStore) PutCheckpoint(ctx context.Context, cp audit.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkpoints[cp.Tenant] = append(m.checkpoints[cp.Tenant], cp)
	return ctx.Err()
}

func (m *MemStore) AuditCheckpoints(ctx context.Context, tenant string) ([]audit.Checkpoint, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.checkpoints[tenant]), ctx.Err()
}

func (m *MemStore) PurgeAudit(ctx context.Context, tenant string, through audit.Head) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.chains[tenant]
	n := 0
	for n < len(c) && c[n].Seq <= through.Seq {
		n++
	}
	m.chains[tenant] = slices.Clone(c[n:])
	m.checkpoints[tenant] = slices.DeleteFunc(slices.Clone(m.checkpoints[tenant]), func(cp audit.Checkpoint) bool { return cp.Seq < through.Seq })
	if through.Seq > m.anchors[tenant].Seq {
		m.anchors[tenant] = through
	}
	return n, ctx.Err()
}

// Tamper gives a test direct access to one tenant's stored events, to edit,
// delete, insert or reorder them as an attacker with database access would.
func (m *MemStore) Tamper(tenant string, f func([]audit.Event) []audit.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chains[tenant] = f(m.chains[tenant])
}
