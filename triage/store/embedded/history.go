package embedded

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
)

var _ triage.HistoryStore = (*Store)(nil)

const historyName = "history.log"

// historyLog keeps the tenants' upload summaries in their own JSON-lines
// file beside the case log, read on first use: anomaly history is
// append-mostly and never part of a case transaction.
type historyLog struct {
	mu       sync.Mutex
	loaded   bool
	uploads  map[historyKey]anomaly.Summary
	firstBy  map[string]historyKey // template id -> the upload that first recorded it
	appended int
}

type historyKey struct{ tenant, upload string }

type historyRecord struct {
	Tenant  string          `json:"tenant"`
	Summary anomaly.Summary `json:"summary"`
}

// load replays the history file once. A torn last line (a crash during
// its write) is ignored; a bad line before it is an error.
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
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(bytes.TrimSpace(line)) > 0 {
				break // torn final write
			}
			break
		}
		if err != nil {
			return err
		}
		var rec historyRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("%s line %d: %w", historyName, n, err)
		}
		h.apply(rec)
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
	h.apply(historyRecord{Tenant: tenant, Summary: sum})
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
	var out []anomaly.Summary
	for k, sum := range h.uploads {
		if k.tenant == q.Tenant && k.upload != q.ExcludeUpload && !sum.Time.Before(q.Since) {
			out = append(out, sum)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].UploadID < out[j].UploadID
	})
	limit := q.Limit
	if limit <= 0 {
		limit = triage.DefaultHistoryLimit
	}
	if len(out) > limit {
		out = out[len(out)-limit:]
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

// open fails once the store is closed.
func (s *Store) open() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// DeleteHistory rewrites the history file without the tenant's records
// (atomically: a temporary file renamed over it).
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
	keys := make([]historyKey, 0, len(h.uploads))
	for k := range h.uploads {
		if k.tenant != tenant {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return h.uploads[keys[i]].Time.Before(h.uploads[keys[j]].Time) })
	var buf []byte
	kept := map[historyKey]anomaly.Summary{}
	for _, k := range keys {
		line, err := json.Marshal(historyRecord{Tenant: k.tenant, Summary: h.uploads[k]})
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
		kept[k] = h.uploads[k]
	}
	path := filepath.Join(s.dir, historyName)
	tmp := path + ".rewrite"
	if err := os.WriteFile(tmp, buf, 0o600); err != nil {
		return fmt.Errorf("embedded store: history: %w", err)
	}
	if !s.opts.NoSync {
		if f, err := os.Open(tmp); err == nil {
			err = f.Sync()
			f.Close()
			if err != nil {
				return fmt.Errorf("embedded store: history: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("embedded store: history: %w", err)
	}
	if !s.opts.NoSync {
		if err := syncDir(s.dir); err != nil {
			return fmt.Errorf("embedded store: history: %w", err)
		}
	}
	// Replay what is kept, in time order, so first-recorded marks are
	// those of the remaining uploads.
	h.uploads, h.firstBy = map[historyKey]anomaly.Summary{}, map[string]historyKey{}
	for _, k := range keys {
		h.apply(historyRecord{Tenant: k.tenant, Summary: kept[k]})
	}
	return nil
}
