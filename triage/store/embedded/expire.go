package embedded

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.Expirer = (*Store)(nil)

// deletion is a log record that removes a tenant's data: listed cases (with
// their uploads' statuses), listed statuses, write-trail events before a
// time, or everything of the tenant.
type deletion struct {
	Tenant      string    `json:"tenant"`
	All         bool      `json:"all,omitempty"`
	Cases       []string  `json:"cases,omitempty"`
	Uploads     []string  `json:"uploads,omitempty"` // statuses by upload id
	AuditBefore time.Time `json:"audit_before,omitzero"`
}

// deleteBatch bounds the cases one delete record removes, so a purge of
// 100k cases never holds the store's lock for long: workers' writes and
// reads interleave between batches.
const deleteBatch = 2000

// compactAfter is the longest deleted data stays in the log (sealed) before
// a compaction removes it, when less than a quarter of the log is garbage.
const compactAfter = 24 * time.Hour

func (s *Store) deleteLocked(d deletion, seq uint64) int {
	n := 0
	dropCase := func(e *caseEntry) {
		if e.seq > seq {
			return // written again after the delete was logged
		}
		if e.embedderID != "" {
			s.vectors[e.embedderID].remove(e.id)
		}
		delete(s.cases, e.id)
		if st, ok := s.statuses[statusKey{e.tenant, e.upload}]; ok && st.CaseID == e.id && st.seq < seq {
			delete(s.statuses, statusKey{e.tenant, e.upload})
			n++
		}
		n++
	}
	if d.All {
		for _, e := range s.cases {
			if e.tenant == d.Tenant {
				dropCase(e)
			}
		}
		for k, st := range s.statuses {
			if k.tenant == d.Tenant && st.seq < seq {
				delete(s.statuses, k)
				n++
			}
		}
		s.audit = slices.DeleteFunc(s.audit, func(a AuditEvent) bool { return a.Tenant == d.Tenant })
		return n
	}
	for _, id := range d.Cases {
		if e, ok := s.cases[id]; ok && e.tenant == d.Tenant {
			dropCase(e)
		}
	}
	for _, u := range d.Uploads {
		k := statusKey{d.Tenant, u}
		if st, ok := s.statuses[k]; ok && st.seq < seq {
			delete(s.statuses, k)
			n++
		}
	}
	if !d.AuditBefore.IsZero() {
		before := len(s.audit)
		s.audit = slices.DeleteFunc(s.audit, func(a AuditEvent) bool {
			return a.Tenant == d.Tenant && a.Time.Before(d.AuditBefore)
		})
		n += before - len(s.audit)
	}
	return n
}

// logDelete writes a deletion durably and applies it.
func (s *Store) logDelete(d deletion) error {
	line, err := appendRecord(nil, record{Op: "delete", Delete: &d})
	if err != nil {
		return triage.Internal("store", err)
	}
	return s.write(line, true, func() error { return nil }, func(seq uint64) {
		s.garbage += s.deleteLocked(d, seq)
		if s.garbageSince.IsZero() {
			s.garbageSince = time.Now()
		}
	})
}

func (s *Store) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return triage.Transient("store", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Tenants lists every tenant with cases or statuses.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	seen := map[string]bool{}
	for _, e := range s.cases {
		seen[e.tenant] = true
	}
	for k := range s.statuses {
		seen[k.tenant] = true
	}
	s.mu.RUnlock()
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// ExpireCases removes the tenant's cases created before cutoff, in batches.
func (s *Store) ExpireCases(ctx context.Context, tenant string, cutoff time.Time, dryRun bool) ([]triage.ExpiredCase, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []triage.ExpiredCase
	for _, e := range s.cases {
		if e.tenant == tenant && e.created.Before(cutoff) {
			out = append(out, triage.ExpiredCase{ID: e.id, UploadID: e.upload, CreatedAt: e.created})
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		return out[i].CreatedAt.Before(out[j].CreatedAt) || out[i].CreatedAt.Equal(out[j].CreatedAt) && out[i].ID < out[j].ID
	})
	if dryRun || len(out) == 0 {
		return out, nil
	}
	for from := 0; from < len(out); from += deleteBatch {
		batch := out[from:min(from+deleteBatch, len(out))]
		ids := make([]string, len(batch))
		for i, c := range batch {
			ids[i] = c.ID
		}
		if err := s.logDelete(deletion{Tenant: tenant, Cases: ids}); err != nil {
			return out[:from], err
		}
		if err := s.forgetWork(ctx, tenant, ids); err != nil {
			return out[:from+len(batch)], err
		}
	}
	return out, s.maybeCompact()
}

// ExpireStatuses removes case-less statuses in statuses updated before cutoff.
func (s *Store) ExpireStatuses(ctx context.Context, tenant string, statuses []triage.Status, cutoff time.Time, dryRun bool) ([]triage.UploadStatus, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []triage.UploadStatus
	for k, st := range s.statuses {
		if k.tenant == tenant && st.CaseID == "" && slices.Contains(statuses, st.Status) && st.UpdatedAt.Before(cutoff) {
			out = append(out, st.UploadStatus)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].UploadID < out[j].UploadID })
	if dryRun || len(out) == 0 {
		return out, nil
	}
	for from := 0; from < len(out); from += deleteBatch {
		var ups []string
		for _, st := range out[from:min(from+deleteBatch, len(out))] {
			ups = append(ups, st.UploadID)
		}
		if err := s.logDelete(deletion{Tenant: tenant, Uploads: ups}); err != nil {
			return out[:from], err
		}
	}
	return out, s.maybeCompact()
}

// ExpireAudit removes the tenant's write-trail events older than cutoff.
func (s *Store) ExpireAudit(ctx context.Context, tenant string, cutoff time.Time, dryRun bool) (int, error) {
	if err := s.readable(ctx); err != nil {
		return 0, err
	}
	s.mu.RLock()
	n := 0
	for _, a := range s.audit {
		if a.Tenant == tenant && a.Time.Before(cutoff) {
			n++
		}
	}
	s.mu.RUnlock()
	if dryRun || n == 0 {
		return n, nil
	}
	if err := s.logDelete(deletion{Tenant: tenant, AuditBefore: cutoff}); err != nil {
		return 0, err
	}
	return n, s.maybeCompact()
}

// DeleteTenant removes everything of the tenant and compacts the log at once,
// so its sealed records leave the disk now.
func (s *Store) DeleteTenant(ctx context.Context, tenant string) (int, error) {
	if err := s.readable(ctx); err != nil {
		return 0, err
	}
	s.mu.RLock()
	n := 0
	for _, e := range s.cases {
		if e.tenant == tenant {
			n++
		}
	}
	s.mu.RUnlock()
	if err := s.logDelete(deletion{Tenant: tenant, All: true}); err != nil {
		return 0, err
	}
	if err := s.forgetWork(ctx, tenant, nil); err != nil {
		return n, err
	}
	return n, s.Compact()
}

// maybeCompact compacts when a quarter of the log is deleted data, or when
// deleted data has waited compactAfter.
func (s *Store) maybeCompact() error {
	s.mu.RLock()
	garbage, since, live := s.garbage, s.garbageSince, len(s.cases)+len(s.statuses)
	s.mu.RUnlock()
	if garbage == 0 || (4*garbage < garbage+live && time.Since(since) < compactAfter) {
		return nil
	}
	return s.Compact()
}

// Compact rewrites the log with only the live state while the store runs.
// Writes wait for it (the gate); reads go on.
func (s *Store) Compact() error {
	s.gate.Lock()
	defer s.gate.Unlock()
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	// Every write has applied (the gate); queued lazy lines go to disk first.
	if err := s.log.flush(); err != nil {
		return triage.Transient("store", err)
	}
	path := filepath.Join(s.dir, logName)
	s.mu.RLock()
	err := s.compact(path)
	s.mu.RUnlock()
	if err != nil {
		return triage.Transient("store", err)
	}
	if err := s.log.reopen(path); err != nil {
		return triage.Transient("store", err)
	}
	s.mu.Lock()
	s.garbage, s.garbageSince = 0, time.Time{}
	s.mu.Unlock()
	return nil
}

// flush writes every queued line.
func (w *wal) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.lazyTimer != nil {
		w.lazyTimer.Stop()
		w.lazyTimer = nil
	}
	return w.waitDurable(w.lastSeq)
}

// reopen appends to the file now at path (the compacted log); sequence
// numbers go on from where they were.
func (w *wal) reopen(path string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		w.err = err
		return err
	}
	old := w.f
	w.f = f
	return old.Close()
}

func (b *portalBook) deleteWork(tenant string, caseIDs []string) {
	if len(caseIDs) == 0 {
		for k := range b.work {
			if k.tenant == tenant {
				delete(b.work, k)
			}
		}
		return
	}
	for _, id := range caseIDs {
		delete(b.work, statusKey{tenant, id})
	}
}

// forgetWork removes the case work (who took or resolved a case) of
// deleted cases, or of the whole tenant when caseIDs is empty.
func (s *Store) forgetWork(ctx context.Context, tenant string, caseIDs []string) error {
	b, err := s.book(ctx)
	if err != nil {
		return err
	}
	return b.write(portalRecord{Op: "work.delete", Work: &triage.CaseWork{Tenant: tenant}, CaseIDs: caseIDs})
}
