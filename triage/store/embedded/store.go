// Package embedded is the single-machine triage.Store: an append-only,
// checksummed JSON-lines log under one directory, replayed into memory on open
// and compacted when it carries superseded records. Writes are group-committed
// (one fsync for every write that arrived while the previous fsync ran), so
// concurrent workers share the cost of durability.
package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.Store = (*Store)(nil)

const (
	logName  = "store.log"
	lockName = "LOCK"

	defaultListLimit = 100
	defaultSimilarK  = 5
)

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("embedded store: closed")

// Options tune a store; the zero value is the production default.
type Options struct {
	// NoSync skips fsync. Only for benchmarks and tests that measure the
	// in-memory path; a crash may then lose acknowledged writes.
	NoSync bool
	// Now stamps audit events; time.Now when nil.
	Now func() time.Time
	// Sealer encrypts case bodies in the log under their tenant's data key
	// (sealed.go); nil writes them in the clear.
	Sealer triage.Sealer
}

// AuditEvent records one write, kept for the life of the store.
type AuditEvent struct {
	Time     time.Time     `json:"time"`
	Action   string        `json:"action"` // "case.put" | "status.set"
	Tenant   string        `json:"tenant"`
	CaseID   string        `json:"case_id,omitempty"`
	UploadID string        `json:"upload_id,omitempty"`
	Status   triage.Status `json:"status,omitempty"`
}

// Store is safe for concurrent use. Only one process may open a directory.
type Store struct {
	opts Options
	dir  string
	lock *os.File
	log  *wal
	// portal is the accounts and case workflow log (portal.go).
	portal *portalBook

	// gate is held shared by every write from check to apply, and
	// exclusively by a compaction while the store runs (expire.go).
	gate sync.RWMutex

	mu       sync.RWMutex
	closed   bool
	cases    map[string]*caseEntry // by case id
	statuses map[statusKey]statusEntry
	vectors  map[string]*space // by embedder id
	audit    []AuditEvent
	replayed int        // case and status records read on open
	shredded int        // sealed case records dropped on open: their tenant's key is destroyed
	trail    *auditLog  // the access audit trail (audit.go)
	history  historyLog // tenants' upload summaries (history.go)
	// garbage counts entries deleted since the last compaction, the first
	// at garbageSince: their records are still in the log (expire.go).
	garbage      int
	garbageSince time.Time
}

type statusKey struct{ tenant, upload string }

// Entries remember the log sequence number that wrote them: concurrent writers
// may apply out of log order, and the later record must win, as on replay.
type statusEntry struct {
	triage.UploadStatus
	seq uint64
}

// caseEntry keeps the case as JSON so every read hands out a private copy,
// plus the fields filters and similarity results need without decoding.
type caseEntry struct {
	id, tenant, queue, summary string
	upload                     string // the case's upload id: its status goes with it
	created                    time.Time
	raw                        json.RawMessage
	sealed                     []byte // raw under the tenant's data key, as in the log; nil when unsealed
	embedderID                 string // "" when the case has no embedding
	reembed                    string // the space the case waits for a vector in (Case.Embedder.Reembed)
	seq                        uint64
	example                    *triage.Example // nil until the case is resolved
}

// space is every vector of one embedder, scanned exactly for similarity.
// The vectors sit end to end in one slice, and each position keeps its case
// entry, so a scan reads memory in order and looks nothing up.
type space struct {
	dims    int
	ids     []string
	entries []*caseEntry
	vecs    []float32 // position i at [i*dims, (i+1)*dims)
	norms   []float64
	index   map[string]int // case id -> position
}

// Open opens (creating if needed) the store in dir, replays its log and
// compacts it if it holds superseded records.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("embedded store: %s: %w", dir, err)
	}
	s := &Store{
		opts:     opts,
		dir:      dir,
		lock:     lock,
		cases:    map[string]*caseEntry{},
		statuses: map[statusKey]statusEntry{},
		vectors:  map[string]*space{},
	}
	path := filepath.Join(dir, logName)
	n, err := replay(path, s.apply)
	if err != nil {
		unlockDir(lock)
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	// Compact when at least a quarter of the state records are superseded.
	// Also when cases of a destroyed tenant key were dropped: compaction is
	// what removes their ciphertext from the disk.
	if live := len(s.cases) + len(s.statuses); 4*(s.replayed-live) >= s.replayed && s.replayed > live || s.shredded > 0 {
		if err := s.compact(path); err != nil {
			unlockDir(lock)
			return nil, fmt.Errorf("embedded store: compact: %w", err)
		}
	}
	s.log, err = openWAL(path, !opts.NoSync, n)
	if err != nil {
		unlockDir(lock)
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	if s.trail, err = openAuditLog(dir, !opts.NoSync); err != nil {
		s.log.close()
		unlockDir(lock)
		return nil, fmt.Errorf("embedded store: audit log: %w", err)
	}
	if s.portal, err = openPortalBook(dir, !opts.NoSync); err != nil {
		s.log.close()
		s.trail.close()
		unlockDir(lock)
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	return s, nil
}

// record is one log line. A put carries its audit event in the same line, so
// the case, its embedding and the audit event are written atomically.
type record struct {
	Op     string               `json:"op"` // "case" | "status" | "audit"
	Case   json.RawMessage      `json:"case,omitempty"`
	Sealed *sealedCase          `json:"sealed,omitempty"` // instead of Case when the store has a Sealer
	Delete *deletion            `json:"delete,omitempty"` // op "delete": retention or a tenant delete (expire.go)
	Emb    *storedEmbedding     `json:"emb,omitempty"`
	Status *triage.UploadStatus `json:"status,omitempty"` // also on a case record: its upload's status
	Audit  *AuditEvent          `json:"audit,omitempty"`
	// StatusAudit is the status event of a case record that carries a status.
	StatusAudit *AuditEvent `json:"status_audit,omitempty"`
	// Resolution is a "resolve" record's (resolve.go).
	Resolution *triage.Resolution `json:"resolution,omitempty"`
	// SealedResolution replaces Resolution with a Sealer: an agent's note may
	// name the customer.
	SealedResolution *sealedCase `json:"sealed_resolution,omitempty"`
}

// storedEmbedding is an embedding in the log. The vector is packed as
// little-endian float32s (base64 in the JSON line): exact, and several times
// cheaper to write and replay than a JSON array of numbers. Logs written
// before packing hold Vector instead; both replay.
type storedEmbedding struct {
	EmbedderID string    `json:"embedder_id"`
	Vector     []float32 `json:"vector,omitempty"`
	Packed     []byte    `json:"packed,omitempty"`
}

func packEmbedding(e *triage.Embedding) *storedEmbedding {
	if e == nil {
		return nil
	}
	packed := make([]byte, 4*len(e.Vector))
	for i, f := range e.Vector {
		binary.LittleEndian.PutUint32(packed[4*i:], math.Float32bits(f))
	}
	return &storedEmbedding{EmbedderID: e.EmbedderID, Packed: packed}
}

func (se *storedEmbedding) embedding() (*triage.Embedding, error) {
	if se == nil {
		return nil, nil
	}
	if len(se.Packed) == 0 {
		return &triage.Embedding{EmbedderID: se.EmbedderID, Vector: se.Vector}, nil
	}
	if len(se.Packed)%4 != 0 || len(se.Vector) > 0 {
		return nil, errors.New("malformed packed embedding")
	}
	v := make([]float32, len(se.Packed)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(se.Packed[4*i:]))
	}
	return &triage.Embedding{EmbedderID: se.EmbedderID, Vector: v}, nil
}

func (s *Store) apply(r record, seq uint64) error {
	switch r.Op {
	case "case":
		raw, sealed, err := s.unsealRecord(r)
		if errors.Is(err, errShredded) {
			s.shredded++
			return nil
		}
		if err != nil {
			return err
		}
		r.Case = raw
		var c triage.Case
		if err := json.Unmarshal(r.Case, &c); err != nil {
			return fmt.Errorf("case record: %w", err)
		}
		if c.ID == "" || c.Tenant == "" {
			return errors.New("case record without id or tenant")
		}
		emb, err := r.Emb.embedding()
		if err != nil {
			return fmt.Errorf("case record %s: %w", c.ID, err)
		}
		if emb != nil && len(emb.Vector) > 0 {
			if sp := s.vectors[emb.EmbedderID]; sp != nil && sp.dims != len(emb.Vector) {
				return fmt.Errorf("case record %s: embedding of %d dimensions in a space of %d", c.ID, len(emb.Vector), sp.dims)
			}
		}
		s.putLocked(&c, r.Case, sealed, emb, seq)
		s.replayed++
		if r.Status != nil {
			if err := validStatus(*r.Status); err != nil {
				return fmt.Errorf("case record %s: %w", c.ID, err)
			}
			s.setStatusLocked(*r.Status, seq)
			s.replayed++
		}
	case "status":
		if r.Status == nil || r.Status.Tenant == "" || r.Status.UploadID == "" {
			return errors.New("status record without tenant or upload id")
		}
		s.setStatusLocked(*r.Status, seq)
		s.replayed++
	case "resolve":
		res, err := s.unsealResolution(r)
		if errors.Is(err, errShredded) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.applyResolve(res, seq); err != nil {
			return err
		}
		s.replayed++
	case "audit":
	case "delete":
		if r.Delete == nil || r.Delete.Tenant == "" {
			return errors.New("delete record without a tenant")
		}
		s.deleteLocked(*r.Delete, seq)
	default:
		return fmt.Errorf("unknown record op %q", r.Op)
	}
	for _, a := range []*AuditEvent{r.Audit, r.StatusAudit} {
		if a != nil {
			s.audit = append(s.audit, *a)
		}
	}
	return nil
}

func validStatus(st triage.UploadStatus) error {
	if st.Tenant == "" || st.UploadID == "" || st.Status == "" {
		return errors.New("status needs a tenant, an upload id and a status")
	}
	return nil
}

func (s *Store) putLocked(c *triage.Case, raw json.RawMessage, sealed *sealedCase, emb *triage.Embedding, seq uint64) {
	if old, ok := s.cases[c.ID]; ok {
		if old.seq > seq {
			return
		}
		if old.embedderID != "" {
			s.vectors[old.embedderID].remove(c.ID)
		}
	}
	e := &caseEntry{
		id: c.ID, tenant: c.Tenant, queue: c.Queue, summary: c.Summary, upload: c.Upload.ID,
		created: c.CreatedAt, raw: raw, seq: seq, reembed: c.Embedder.Reembed,
	}
	if ex, ok := triage.ExampleOf(c); ok {
		e.example = &ex
	}
	if sealed != nil {
		e.sealed = sealed.Body
	}
	if emb != nil && len(emb.Vector) > 0 {
		sp := s.vectors[emb.EmbedderID]
		if sp == nil {
			sp = &space{dims: len(emb.Vector), index: map[string]int{}}
			s.vectors[emb.EmbedderID] = sp
		}
		sp.add(e, emb.Vector)
		e.embedderID = emb.EmbedderID
	}
	s.cases[c.ID] = e
}

func (s *Store) setStatusLocked(st triage.UploadStatus, seq uint64) {
	k := statusKey{st.Tenant, st.UploadID}
	if old, ok := s.statuses[k]; ok && old.seq > seq {
		return
	}
	s.statuses[k] = statusEntry{st, seq}
}

// compact rewrites the log with only the live state, atomically.
func (s *Store) compact(path string) error {
	var buf []byte
	var err error
	for _, a := range s.audit {
		buf, err = appendRecord(buf, record{Op: "audit", Audit: &a})
		if err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(s.cases))
	for id := range s.cases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := s.cases[id]
		r := record{Op: "case", Case: e.raw}
		if e.sealed == nil && s.opts.Sealer != nil {
			// Changed since it was sealed (a resolution), or written before
			// the store had keys: sealed now, so no body is left in the clear.
			body, err := s.opts.Sealer.Seal(context.Background(), e.tenant, e.raw, []byte(e.id))
			if err != nil {
				return err
			}
			e.sealed = body
		}
		if e.sealed != nil {
			r.Case, r.Sealed = nil, &sealedCase{ID: e.id, Tenant: e.tenant, Body: e.sealed}
		}
		if e.embedderID != "" {
			sp := s.vectors[e.embedderID]
			r.Emb = packEmbedding(&triage.Embedding{EmbedderID: e.embedderID, Vector: sp.vector(sp.index[id])})
		}
		if buf, err = appendRecord(buf, r); err != nil {
			return err
		}
	}
	for _, st := range s.statuses {
		if buf, err = appendRecord(buf, record{Op: "status", Status: &st.UploadStatus}); err != nil {
			return err
		}
	}
	return replaceFile(path, buf, true)
}

// PutCase upserts the case with its embedding (may be nil) and an audit event.
func (s *Store) PutCase(ctx context.Context, c *triage.Case, emb *triage.Embedding) error {
	return s.putCase(ctx, c, emb, nil)
}

// PutCaseWithStatus is PutCase plus the final status of the case's upload,
// in one log line: both are durable after one fsync, and neither is on disk
// without the other. The worker uses it instead of PutCase then SetStatus.
func (s *Store) PutCaseWithStatus(ctx context.Context, c *triage.Case, emb *triage.Embedding, st triage.UploadStatus) error {
	if err := validStatus(st); err != nil {
		return triage.Invalid("store", err)
	}
	if c != nil && st.Tenant != c.Tenant {
		return triage.Invalidf("store", "status of tenant %s for a case of tenant %s", st.Tenant, c.Tenant)
	}
	return s.putCase(ctx, c, emb, &st)
}

func (s *Store) putCase(ctx context.Context, c *triage.Case, emb *triage.Embedding, st *triage.UploadStatus) error {
	if err := ctx.Err(); err != nil {
		return triage.Transient("store", err)
	}
	if c == nil || c.ID == "" || c.Tenant == "" {
		return triage.Invalidf("store", "case needs an id and a tenant")
	}
	if emb != nil && len(emb.Vector) > 0 && emb.EmbedderID == "" {
		return triage.Invalidf("store", "embedding of case %s has no embedder id", c.ID)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return triage.Internal("store", err)
	}
	sealed, err := s.seal(ctx, c, raw)
	if err != nil {
		return err
	}
	now := s.opts.Now().UTC()
	rec := record{Op: "case", Case: raw, Sealed: sealed, Emb: packEmbedding(emb), Audit: &AuditEvent{
		Time: now, Action: "case.put", Tenant: c.Tenant,
		CaseID: c.ID, UploadID: c.Upload.ID, Status: c.Status,
	}}
	if sealed != nil {
		rec.Case = nil
	}
	if st != nil {
		if st.UpdatedAt.IsZero() {
			st.UpdatedAt = now
		}
		rec.Status = st
		rec.StatusAudit = statusAudit(now, *st)
	}
	line, err := appendRecord(nil, rec)
	if err != nil {
		return triage.Internal("store", err)
	}
	return s.write(line, true, func() error {
		if old, ok := s.cases[c.ID]; ok && old.tenant != c.Tenant {
			return triage.Invalidf("store", "case %s belongs to another tenant", c.ID)
		}
		if emb != nil && len(emb.Vector) > 0 {
			if sp := s.vectors[emb.EmbedderID]; sp != nil && sp.dims != len(emb.Vector) {
				return triage.Invalidf("store", "embedding has %d dimensions, space %s has %d",
					len(emb.Vector), emb.EmbedderID, sp.dims)
			}
		}
		return nil
	}, func(seq uint64) {
		stored := *c
		s.putLocked(&stored, raw, sealed, emb, seq)
		s.audit = append(s.audit, *rec.Audit)
		if st != nil {
			s.setStatusLocked(*st, seq)
			s.audit = append(s.audit, *rec.StatusAudit)
		}
	})
}

func statusAudit(now time.Time, st triage.UploadStatus) *AuditEvent {
	return &AuditEvent{Time: now, Action: "status.set", Tenant: st.Tenant,
		CaseID: st.CaseID, UploadID: st.UploadID, Status: st.Status}
}

// write checks against the current state, appends durably, then applies with
// the record's sequence number. No lock is held while the log syncs, so
// readers never wait for the disk and concurrent writers share one fsync.
func (s *Store) write(line []byte, durable bool, check func() error, apply func(seq uint64)) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	s.mu.RLock()
	closed := s.closed
	var err error
	if !closed {
		err = check()
	}
	s.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if err != nil {
		return err
	}
	seq, err := s.log.append(line, durable)
	if errors.Is(err, ErrClosed) {
		return err
	}
	if err != nil {
		return triage.Transient("store", err)
	}
	s.mu.Lock()
	apply(seq)
	s.mu.Unlock()
	return nil
}

// GetCase returns the case, or triage.ErrNotFound when it is missing or
// belongs to another tenant.
func (s *Store) GetCase(ctx context.Context, tenant, id string) (*triage.Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, triage.Transient("store", err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	e, ok := s.cases[id]
	s.mu.RUnlock()
	if !ok || e.tenant != tenant {
		return nil, triage.ErrNotFound
	}
	return decodeCase(e.raw)
}

func decodeCase(raw json.RawMessage) (*triage.Case, error) {
	var c triage.Case
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, triage.Internal("store", err)
	}
	return &c, nil
}

// ListCases returns matching cases, newest first.
func (s *Store) ListCases(ctx context.Context, f triage.CaseFilter) ([]*triage.Case, error) {
	hits, err := s.listEntries(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]*triage.Case, 0, len(hits))
	for _, e := range hits {
		c, err := decodeCase(e.raw)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// listEntries are the entries matching f, newest first (then by id), at
// most f.Limit (defaultListLimit when 0): what ListCases decodes and
// ListCaseRefs only names.
func (s *Store) listEntries(ctx context.Context, f triage.CaseFilter) ([]*caseEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, triage.Transient("store", err)
	}
	if f.Tenant == "" && !f.AllTenants {
		return nil, triage.Invalidf("store", "list cases: a tenant is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	var hits []*caseEntry
	for _, e := range s.cases {
		if (!f.AllTenants && e.tenant != f.Tenant) || (f.Queue != "" && e.queue != f.Queue) ||
			(!f.Since.IsZero() && e.created.Before(f.Since)) {
			continue
		}
		hits = append(hits, e)
	}
	s.mu.RUnlock()
	// Entries are immutable once applied (a put replaces the pointer), so
	// they can be read after the lock is released.
	slices.SortFunc(hits, func(a, b *caseEntry) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return hits[:min(limit, len(hits))], nil
}

// SetStatus records the state of one upload. A terminal status (triaged,
// quarantined, failed) is durable when SetStatus returns; pending and
// processing are on disk within lazyFlushDelay.
func (s *Store) SetStatus(ctx context.Context, st triage.UploadStatus) error {
	if err := ctx.Err(); err != nil {
		return triage.Transient("store", err)
	}
	if err := validStatus(st); err != nil {
		return triage.Invalid("store", err)
	}
	now := s.opts.Now().UTC()
	if st.UpdatedAt.IsZero() {
		st.UpdatedAt = now
	}
	audit := statusAudit(now, st)
	line, err := appendRecord(nil, record{Op: "status", Status: &st, Audit: audit})
	if err != nil {
		return triage.Internal("store", err)
	}
	return s.write(line, terminal(st.Status), func() error { return nil }, func(seq uint64) {
		s.setStatusLocked(st, seq)
		s.audit = append(s.audit, *audit)
	})
}

// terminal statuses are written durably. The in-between ones (pending,
// processing) are written lazily, within lazyFlushDelay: losing one in a
// crash loses nothing, as the upload is redelivered and sets it again.
func terminal(st triage.Status) bool {
	return st != triage.StatusPending && st != triage.StatusProcessing
}

// GetStatus returns triage.ErrNotFound for an unknown upload or one of another tenant.
func (s *Store) GetStatus(ctx context.Context, tenant, uploadID string) (triage.UploadStatus, error) {
	if err := ctx.Err(); err != nil {
		return triage.UploadStatus{}, triage.Transient("store", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return triage.UploadStatus{}, ErrClosed
	}
	st, ok := s.statuses[statusKey{tenant, uploadID}]
	if !ok {
		return triage.UploadStatus{}, triage.ErrNotFound
	}
	return st.UploadStatus, nil
}

// Similar is an exact cosine scan over the query's embedder space.
func (s *Store) Similar(ctx context.Context, q triage.SimilarQuery) ([]triage.SimilarCase, error) {
	if err := ctx.Err(); err != nil {
		return nil, triage.Transient("store", err)
	}
	if q.Tenant == "" && !q.AllTenants {
		return nil, triage.Invalidf("store", "similar: a tenant is required")
	}
	k := q.K
	if k <= 0 {
		k = defaultSimilarK
	}
	qnorm := norm(q.Embedding.Vector)
	if qnorm == 0 {
		return nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	sp, err := s.querySpaceLocked(q.Embedding)
	if sp == nil || err != nil {
		return nil, err
	}
	top := make([]triage.SimilarCase, 0, k+1)
	for i, id := range sp.ids {
		e := sp.entries[i]
		if id == q.ExcludeCaseID || (!q.AllTenants && e.tenant != q.Tenant) {
			continue
		}
		sim := dot(q.Embedding.Vector, sp.vector(i)) / (qnorm * sp.norms[i])
		if sim < q.MinSimilarity || (len(top) == k && sim <= top[k-1].Similarity) {
			continue
		}
		sc := triage.SimilarCase{CaseID: id, Similarity: sim, Summary: e.summary, Queue: e.queue}
		if q.AllTenants {
			sc.Tenant = e.tenant
		}
		// Insert in order; k is small, so this beats a heap.
		at := sort.Search(len(top), func(j int) bool {
			return top[j].Similarity < sim || (top[j].Similarity == sim && top[j].CaseID > id)
		})
		top = slices.Insert(top, at, sc)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top, nil
}

// Dir is the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Audit returns the audit events of one tenant, oldest first.
func (s *Store) Audit(tenant string) []AuditEvent {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []AuditEvent
	for _, a := range s.audit {
		if a.Tenant == tenant {
			out = append(out, a)
		}
	}
	return out
}

// Close flushes and releases the directory.
func (s *Store) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return nil
	}
	// The log waits for a flush in flight; writes queued after it get ErrClosed.
	err := s.log.close()
	if terr := s.trail.close(); err == nil {
		err = terr
	}
	if perr := s.portal.log.close(); err == nil {
		err = perr
	}
	unlockDir(s.lock)
	return err
}

func (sp *space) add(e *caseEntry, v []float32) {
	sp.index[e.id] = len(sp.ids)
	sp.ids = append(sp.ids, e.id)
	sp.entries = append(sp.entries, e)
	sp.vecs = append(sp.vecs, v...)
	sp.norms = append(sp.norms, norm(v))
}

func (sp *space) vector(i int) []float32 {
	return sp.vecs[i*sp.dims : (i+1)*sp.dims : (i+1)*sp.dims]
}

// remove moves the last vector into the freed position.
func (sp *space) remove(id string) {
	i, ok := sp.index[id]
	if !ok {
		return
	}
	last := len(sp.ids) - 1
	if i != last {
		sp.ids[i], sp.entries[i], sp.norms[i] = sp.ids[last], sp.entries[last], sp.norms[last]
		copy(sp.vector(i), sp.vector(last))
		sp.index[sp.ids[i]] = i
	}
	sp.entries[last] = nil // the removed entry is garbage
	sp.ids, sp.entries, sp.norms = sp.ids[:last], sp.entries[:last], sp.norms[:last]
	sp.vecs = sp.vecs[:last*sp.dims]
	delete(sp.index, id)
}

// dot keeps four independent sums so the loop is not one long dependency chain.
func dot(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return s0 + s1 + s2 + s3
}

func norm(v []float32) float64 { return math.Sqrt(dot(v, v)) }

// querySpaceLocked is the space a k-NN query scans (nil when the embedder
// has no vectors yet); a query of the wrong dimension for its space is
// invalid. The caller holds s.mu.
func (s *Store) querySpaceLocked(e triage.Embedding) (*space, error) {
	sp := s.vectors[e.EmbedderID]
	if sp == nil {
		return nil, nil
	}
	if sp.dims != len(e.Vector) {
		return nil, triage.Invalidf("store", "query has %d dimensions, space %s has %d", len(e.Vector), e.EmbedderID, sp.dims)
	}
	return sp, nil
}
