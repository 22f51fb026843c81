package embedded

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
)

var _ triage.HistoryStore = (*Store)(nil)

const historyName = "history.log"

// maxTenantHistory bounds the summaries kept per tenant (the newest): twice
// what a history query returns by default. It bounds memory and the file.
const maxTenantHistory = 2 * triage.DefaultHistoryLimit

// historyLog keeps the tenants' upload summaries in their own JSON-lines
// file beside the case log, read on first use: anomaly history is advisory
// and never part of a case transaction.
type historyLog struct {
	mu      sync.Mutex
	loaded  bool
	uploads map[historyKey]anomaly.Summary
	firstBy map[string]historyKey // template id -> the upload that first recorded it
	// lines is the number of records in the file; the file is rewritten
	// when it holds many more than are live (replaced or dropped records).
	lines int
	// skipped counts unreadable lines ignored on replay (a torn write).
	skipped int
}

type historyKey struct{ tenant, upload string }

type historyRecord struct {
	Tenant  string          `json:"tenant"`
	Summary anomaly.Summary `json:"summary"`
}

// loadHistory replays the history file once. History is advisory: an
// unreadable line (a torn write after a crash) is skipped, not fatal, so a
// damaged file never stops uploads from being triaged.
func (s *Store) loadHistory() error {
	h := &s.history
	if h.loaded {
		return nil
	}
	h.uploads, h.firstBy = map[historyKey]anomaly.Summary{}, map[string]historyKey{}
	f, err := os.Open(filepath.Join(s.dir, historyName))
	if errors.Is(err, os.ErrNotExist) {
		h.loaded = true
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			h.lines++
			var rec historyRecord
			if json.Unmarshal(line, &rec) != nil || rec.Tenant == "" || rec.Summary.UploadID == "" {
				h.skipped++
			} else {
				h.apply(rec)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	h.loaded = true
	return nil
}

func (h *historyLog) apply(rec historyRecord) {
	k := historyKey{rec.Tenant, rec.Summary.UploadID}
	h.uploads[k] = rec.Summary
	for _, t := range rec.Summary.Templates {
		if _, ok := h.firstBy[t.ID]; !ok {
			h.firstBy[t.ID] = k
		}
	}
}

// trim drops a tenant's oldest summaries beyond maxTenantHistory; true when
// it dropped any.
func (h *historyLog) trim(tenant string) bool {
	var keys []historyKey
	for k := range h.uploads {
		if k.tenant == tenant {
			keys = append(keys, k)
		}
	}
	if len(keys) <= maxTenantHistory {
		return false
	}
	sortKeys(h, keys)
	for _, k := range keys[:len(keys)-maxTenantHistory] {
		delete(h.uploads, k)
	}
	return true
}

// sortKeys orders keys oldest first (then by upload id).
func sortKeys(h *historyLog, keys []historyKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := h.uploads[keys[i]], h.uploads[keys[j]]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return keys[i].upload < keys[j].upload
	})
}

// RecordHistory appends the summary (replacing an earlier one of the same upload).
func (s *Store) RecordHistory(ctx context.Context, tenant string, sum anomaly.Summary) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if tenant == "" || sum.UploadID == "" {
		return errors.New("embedded store: history needs a tenant and an upload id")
	}
	if err := s.open(); err != nil {
		return err
	}
	line, err := json.Marshal(historyRecord{Tenant: tenant, Summary: sum})
	if err != nil {
		return err
	}
	h := &s.history
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := s.loadHistory(); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, historyName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil && !s.opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("embedded store: history: %w", err)
	}
	h.lines++
	h.apply(historyRecord{Tenant: tenant, Summary: sum})
	h.trim(tenant)
	if h.lines > 2*len(h.uploads)+1000 {
		return s.rewriteHistoryLocked()
	}
	return nil
}

// History returns the tenant's summaries since q.Since, oldest first.
func (s *Store) History(ctx context.Context, q triage.HistoryQuery) ([]anomaly.Summary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if q.Tenant == "" {
		return nil, errors.New("embedded store: history needs a tenant")
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	h := &s.history
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := s.loadHistory(); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	var keys []historyKey
	for k, sum := range h.uploads {
		if k.tenant == q.Tenant && k.upload != q.ExcludeUpload && !sum.Time.Before(q.Since) {
			keys = append(keys, k)
		}
	}
	sortKeys(h, keys)
	limit := q.Limit
	if limit <= 0 {
		limit = triage.DefaultHistoryLimit
	}
	if len(keys) > limit {
		keys = keys[len(keys)-limit:]
	}
	out := make([]anomaly.Summary, 0, len(keys))
	for _, k := range keys {
		out = append(out, h.uploads[k])
	}
	return out, nil
}

// KnownTemplates says which ids an upload other than (tenant, excludeUpload) recorded first.
func (s *Store) KnownTemplates(ctx context.Context, ids []string, tenant, excludeUpload string) (map[string]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	h := &s.history
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := s.loadHistory(); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	out := map[string]bool{}
	for _, id := range ids {
		if k, ok := h.firstBy[id]; ok && k != (historyKey{tenant, excludeUpload}) {
			out[id] = true
		}
	}
	return out, nil
}

// DeleteHistory drops the tenant's summaries and rewrites the file
// without them, so they are gone from disk too.
func (s *Store) DeleteHistory(ctx context.Context, tenant string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if tenant == "" {
		return errors.New("embedded store: history needs a tenant")
	}
	if err := s.open(); err != nil {
		return err
	}
	h := &s.history
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := s.loadHistory(); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	for k := range h.uploads {
		if k.tenant == tenant {
			delete(h.uploads, k)
		}
	}
	return s.rewriteHistoryLocked()
}

// PurgeHistory drops the summaries stamped before the time and rewrites the file.
func (s *Store) PurgeHistory(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := s.open(); err != nil {
		return 0, err
	}
	h := &s.history
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := s.loadHistory(); err != nil {
		return 0, fmt.Errorf("embedded store: %w", err)
	}
	n := 0
	for k, sum := range h.uploads {
		if sum.Time.Before(before) {
			delete(h.uploads, k)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.rewriteHistoryLocked()
}

// rewriteHistoryLocked writes the live summaries, oldest first, to a new
// file renamed over the old one, and rebuilds the first-recorded marks from
// them (a dropped upload marks nothing).
func (s *Store) rewriteHistoryLocked() error {
	h := &s.history
	keys := make([]historyKey, 0, len(h.uploads))
	for k := range h.uploads {
		keys = append(keys, k)
	}
	sortKeys(h, keys)
	var buf []byte
	for _, k := range keys {
		line, err := json.Marshal(historyRecord{Tenant: k.tenant, Summary: h.uploads[k]})
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	if err := replaceFile(filepath.Join(s.dir, historyName), buf, !s.opts.NoSync); err != nil {
		return fmt.Errorf("embedded store: history: %w", err)
	}
	live := h.uploads
	h.uploads, h.firstBy, h.lines = map[historyKey]anomaly.Summary{}, map[string]historyKey{}, len(keys)
	for _, k := range keys {
		h.apply(historyRecord{Tenant: k.tenant, Summary: live[k]})
	}
	return nil
}

// open fails once the store is closed.
func (s *Store) open() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}
