package embedded

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

var _ audit.Store = (*Store)(nil)

// The audit trail lives in its own append-only file, audit.log, beside the
// case log: it has its own retention (audit events outlive the cases they
// describe) and must not be held in memory. Memory keeps only an index,
// 40 bytes per event (offset, length, seq, time); events are read back from
// the file for queries and exports. Lines have the case log's form
// ("<crc32c> <json>\n"); a line is an event, a checkpoint or a purge anchor.
const auditLogName = "audit.log"

type auditRecord struct {
	Op         string            `json:"op"` // "event" | "checkpoint" | "anchor"
	Event      *audit.Event      `json:"event,omitempty"`
	Checkpoint *audit.Checkpoint `json:"checkpoint,omitempty"`
	Tenant     string            `json:"tenant,omitempty"` // of an anchor
	Anchor     *audit.Head       `json:"anchor,omitempty"`
}

type auditEntry struct {
	off int64
	n   int32
	at  int64 // unix nanoseconds
	seq uint64
}

type auditChain struct {
	mu      sync.Mutex   // serializes one tenant's appends from check to queueing
	entries []auditEntry // durable events, in seq order: what reads see
	queued  []queuedEntry
	head    audit.Head // the last durable event (or the purge anchor)
	next    audit.Head // the last queued event: what the next append must follow
}

// queuedEntry is an event written to the log's queue, not yet known durable.
type queuedEntry struct {
	auditEntry
	walSeq uint64
	hash   string
}

type auditLog struct {
	path string
	sync bool

	// gate: appends and reads hold it shared; a purge, which rewrites the
	// file, holds it alone.
	gate sync.RWMutex

	appendMu sync.Mutex // orders lines and their offsets
	w        *wal
	nextOff  int64
	r        *os.File

	mu          sync.RWMutex // guards the maps and the chains' entries and heads
	chains      map[string]*auditChain
	checkpoints map[string][]audit.Checkpoint
	damaged     int // lines whose checksum failed on open (kept: the chain judges them)
}

func openAuditLog(dir string, doSync bool) (*auditLog, error) {
	a := &auditLog{path: filepath.Join(dir, auditLogName), sync: doSync}
	if err := a.load(); err != nil {
		return nil, err
	}
	return a, nil
}

// load replays the file into the index and opens it for appending and reading.
func (a *auditLog) load() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.chains = map[string]*auditChain{}
	a.checkpoints = map[string][]audit.Checkpoint{}
	a.damaged = 0
	size, lines, err := a.replay()
	if err != nil {
		return err
	}
	a.nextOff = size
	if a.w, err = openWAL(a.path, a.sync, lines); err != nil {
		return err
	}
	if a.r, err = os.Open(a.path); err != nil {
		a.w.close()
		return err
	}
	return nil
}

// replay indexes every line. A torn last line (a crash mid-write) is cut off.
// A damaged line in the middle is not fatal, unlike in the case log: the
// audit trail must stay readable so verification can name what was changed;
// its JSON is indexed when it parses, and skipped (a missing event) when not.
func (a *auditLog) replay() (int64, uint64, error) {
	f, err := os.OpenFile(a.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var off int64
	var lines uint64
	for {
		line, rerr := br.ReadBytes('\n')
		if len(line) == 0 && rerr == io.EOF {
			return off, lines, nil
		}
		if rerr != nil && rerr != io.EOF {
			return off, lines, rerr
		}
		js, crcOK := splitLine(line)
		if !crcOK && rerr == io.EOF { // torn tail
			if err := f.Truncate(off); err != nil {
				return off, lines, err
			}
			return off, lines, f.Sync()
		}
		if !crcOK {
			a.damaged++
		}
		var rec auditRecord
		if js != nil && json.Unmarshal(js, &rec) == nil {
			a.applyLoaded(rec, off, int32(len(line)))
		}
		off += int64(len(line))
		lines++
		if rerr == io.EOF {
			return off, lines, nil
		}
	}
}

func (a *auditLog) applyLoaded(rec auditRecord, off int64, n int32) {
	switch {
	case rec.Op == "event" && rec.Event != nil && rec.Event.Tenant != "":
		e := rec.Event
		c := a.chain(e.Tenant)
		c.entries = append(c.entries, auditEntry{off: off, n: n, at: e.Time.UnixNano(), seq: e.Seq})
		c.head = audit.Head{Seq: e.Seq, Hash: e.Hash}
		c.next = c.head
	case rec.Op == "checkpoint" && rec.Checkpoint != nil:
		a.checkpoints[rec.Checkpoint.Tenant] = append(a.checkpoints[rec.Checkpoint.Tenant], *rec.Checkpoint)
	case rec.Op == "anchor" && rec.Anchor != nil && rec.Tenant != "":
		c := a.chain(rec.Tenant)
		if len(c.entries) == 0 || rec.Anchor.Seq > c.head.Seq {
			c.head = *rec.Anchor
			c.next = c.head
		}
	}
}

func (a *auditLog) chain(tenant string) *auditChain {
	c := a.chains[tenant]
	if c == nil {
		c = &auditChain{}
		a.chains[tenant] = c
	}
	return c
}

// splitLine returns the JSON of a line and whether its checksum holds.
func splitLine(line []byte) ([]byte, bool) {
	if len(line) < 10 || line[8] != ' ' {
		return nil, false
	}
	js := bytes.TrimSuffix(line[9:], []byte("\n"))
	var sum [4]byte
	if _, err := hex.Decode(sum[:], line[:8]); err != nil {
		return js, false
	}
	want := uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
	return js, line[len(line)-1] == '\n' && crc32.Checksum(js, castagnoli) == want
}

func auditLine(rec auditRecord) ([]byte, error) {
	js, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	c := crc32.Checksum(js, castagnoli)
	buf := hex.AppendEncode(make([]byte, 0, len(js)+10), []byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
	buf = append(buf, ' ')
	buf = append(buf, js...)
	return append(buf, '\n'), nil
}

// write appends line (a checkpoint) in file order and waits until it is on disk.
func (a *auditLog) write(line []byte) error {
	a.appendMu.Lock()
	seq, err := a.w.enqueue(line)
	if err == nil {
		a.nextOff += int64(len(line))
	}
	a.appendMu.Unlock()
	if err != nil {
		return err
	}
	return a.w.wait(seq)
}

// enqueue queues line and numbers it, like a lazy append but without the
// lazy flush timer: the caller waits for it at once.
func (w *wal) enqueue(line []byte) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	w.lastSeq++
	w.pending = append(w.pending, line...)
	return w.lastSeq, nil
}

// failed is the log's sticky write error, or ErrClosed.
func (w *wal) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// wait returns once line seq is on disk.
func (w *wal) wait(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waitDurable(seq)
}

func (a *auditLog) close() error {
	a.gate.Lock()
	defer a.gate.Unlock()
	err := a.w.close()
	if cerr := a.r.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Store) auditReady(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return triage.Transient("store", err)
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	return nil
}

// AppendAudit writes one event durably (one fsync, shared with concurrent
// writers).
func (s *Store) AppendAudit(ctx context.Context, e audit.Event) error {
	wait, err := s.EnqueueAudit(ctx, e)
	if err != nil {
		return err
	}
	return wait()
}

var _ audit.PipelinedStore = (*Store)(nil)

// EnqueueAudit puts e in line for the log after the tenant's last queued
// event and returns at once; wait returns when it is durable. Events of one
// tenant queued while an fsync runs share the next one, instead of each
// waiting for its predecessor's. Reads see an event once it is durable.
func (s *Store) EnqueueAudit(ctx context.Context, e audit.Event) (wait func() error, err error) {
	if err := s.auditReady(ctx); err != nil {
		return nil, err
	}
	if e.Tenant == "" || e.Seq == 0 {
		return nil, triage.Invalidf("store", "audit event needs a tenant and a seq")
	}
	line, err := auditLine(auditRecord{Op: "event", Event: &e})
	if err != nil {
		return nil, triage.Internal("store", err)
	}
	a := s.trail
	a.gate.RLock() // held until the event is durable: a purge waits for it
	a.mu.Lock()
	c := a.chain(e.Tenant)
	a.mu.Unlock()
	c.mu.Lock()
	if err := a.w.failed(); err != nil { // say so, rather than a conflict with events that will never land
		c.mu.Unlock()
		a.gate.RUnlock()
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, triage.Transient("store", err)
	}
	a.mu.RLock()
	next := c.next
	a.mu.RUnlock()
	if e.Seq != next.Seq+1 || e.PrevHash != next.Hash {
		c.mu.Unlock()
		a.gate.RUnlock()
		return nil, audit.ErrConflict
	}
	a.appendMu.Lock()
	off := a.nextOff
	walSeq, err := a.w.enqueue(line)
	if err == nil {
		a.nextOff += int64(len(line))
	}
	a.appendMu.Unlock()
	if err != nil {
		c.mu.Unlock()
		a.gate.RUnlock()
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, triage.Transient("store", err)
	}
	a.mu.Lock()
	c.queued = append(c.queued, queuedEntry{auditEntry{off: off, n: int32(len(line)), at: e.Time.UnixNano(), seq: e.Seq}, walSeq, e.Hash})
	c.next = audit.Head{Seq: e.Seq, Hash: e.Hash}
	a.mu.Unlock()
	c.mu.Unlock()
	return func() error {
		defer a.gate.RUnlock()
		if err := a.w.wait(walSeq); err != nil {
			// The log's error is sticky: nothing queued after this event
			// becomes durable either, so the chain on disk has no hole.
			if errors.Is(err, ErrClosed) {
				return err
			}
			return triage.Transient("store", err)
		}
		// The log is written in queue order: every event queued before this
		// one is durable too. Publish them to readers, in seq order.
		a.mu.Lock()
		n := 0
		for n < len(c.queued) && c.queued[n].walSeq <= walSeq {
			q := c.queued[n]
			c.entries = append(c.entries, q.auditEntry)
			c.head = audit.Head{Seq: q.seq, Hash: q.hash}
			n++
		}
		c.queued = c.queued[n:]
		a.mu.Unlock()
		return nil
	}, nil
}

func (s *Store) AuditHead(ctx context.Context, tenant string) (audit.Head, error) {
	if err := s.auditReady(ctx); err != nil {
		return audit.Head{}, err
	}
	a := s.trail
	a.mu.RLock()
	defer a.mu.RUnlock()
	if c := a.chains[tenant]; c != nil {
		return c.head, nil
	}
	return audit.Head{}, nil
}

// readEvent reads the event line at e from the file.
func (a *auditLog) readEvent(ent auditEntry, buf []byte) (audit.Event, []byte, error) {
	if cap(buf) < int(ent.n) {
		buf = make([]byte, ent.n)
	}
	buf = buf[:ent.n]
	if _, err := a.r.ReadAt(buf, ent.off); err != nil {
		return audit.Event{}, buf, err
	}
	js, _ := splitLine(buf)
	var rec auditRecord
	if err := json.Unmarshal(js, &rec); err != nil || rec.Event == nil {
		return audit.Event{}, buf, fmt.Errorf("audit log at byte %d: not an event", ent.off)
	}
	return *rec.Event, buf, nil
}

type candidate struct {
	tenant string
	auditEntry
}

// QueryAudit picks candidates from the index (tenant, time, cursor), sorts
// them newest first, then reads events from the file until the page is full.
func (s *Store) QueryAudit(ctx context.Context, q audit.Query) ([]audit.Event, error) {
	if err := s.auditReady(ctx); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, triage.Invalid("store", err)
	}
	a := s.trail
	a.gate.RLock()
	defer a.gate.RUnlock()
	var since, until int64 = -1 << 63, 1<<63 - 1
	if !q.Since.IsZero() {
		since = q.Since.UnixNano()
	}
	if !q.Until.IsZero() {
		until = q.Until.UnixNano()
	}
	var cands []candidate
	a.mu.RLock()
	for t, c := range a.chains {
		if !q.AllTenants && t != q.Tenant {
			continue
		}
		for _, ent := range c.entries {
			if ent.at >= since && ent.at < until {
				cands = append(cands, candidate{t, ent})
			}
		}
	}
	a.mu.RUnlock()
	sort.Slice(cands, func(i, j int) bool {
		x, y := cands[i], cands[j]
		if x.at != y.at {
			return x.at > y.at
		}
		if x.tenant != y.tenant {
			return x.tenant > y.tenant
		}
		return x.seq > y.seq
	})
	limit := q.EffectiveLimit()
	var out []audit.Event
	var buf []byte
	for _, cand := range cands {
		if len(out) == limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, triage.Transient("store", err)
		}
		var e audit.Event
		var err error
		if e, buf, err = a.readEvent(cand.auditEntry, buf); err != nil {
			return nil, triage.Internal("store", err)
		}
		if q.Matches(&e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// ExportAudit streams events in chain order, reading each from the file.
func (s *Store) ExportAudit(ctx context.Context, q audit.ExportQuery, fn func(audit.Event) error) error {
	if err := s.auditReady(ctx); err != nil {
		return err
	}
	if q.Tenant == "" && !q.AllTenants {
		return triage.Invalidf("store", "audit export: a tenant is required")
	}
	a := s.trail
	a.gate.RLock()
	defer a.gate.RUnlock()
	tenants := []string{q.Tenant}
	if q.AllTenants {
		tenants = a.tenants()
	}
	var buf []byte
	for _, t := range tenants {
		a.mu.RLock()
		var entries []auditEntry
		if c := a.chains[t]; c != nil {
			entries = c.entries[:len(c.entries):len(c.entries)] // a snapshot: appends never touch it
		}
		a.mu.RUnlock()
		upTo, bounded := q.UpTo[t]
		for _, ent := range entries {
			if bounded && ent.seq > upTo {
				break
			}
			if !q.Since.IsZero() && ent.at < q.Since.UnixNano() {
				continue
			}
			if err := ctx.Err(); err != nil {
				return triage.Transient("store", err)
			}
			var e audit.Event
			var err error
			if e, buf, err = a.readEvent(ent, buf); err != nil {
				return triage.Internal("store", err)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *auditLog) tenants() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	ts := make([]string, 0, len(a.chains))
	for t := range a.chains {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

func (s *Store) AuditTenants(ctx context.Context) ([]string, error) {
	if err := s.auditReady(ctx); err != nil {
		return nil, err
	}
	return s.trail.tenants(), nil
}

func (s *Store) PutCheckpoint(ctx context.Context, cp audit.Checkpoint) error {
	if err := s.auditReady(ctx); err != nil {
		return err
	}
	if cp.Tenant == "" || cp.Signature == "" {
		return triage.Invalidf("store", "checkpoint needs a tenant and a signature")
	}
	a := s.trail
	a.gate.RLock()
	defer a.gate.RUnlock()
	line, err := auditLine(auditRecord{Op: "checkpoint", Checkpoint: &cp})
	if err != nil {
		return triage.Internal("store", err)
	}
	if err := a.write(line); err != nil {
		return triage.Transient("store", err)
	}
	a.mu.Lock()
	a.checkpoints[cp.Tenant] = append(a.checkpoints[cp.Tenant], cp)
	a.mu.Unlock()
	return nil
}

func (s *Store) AuditCheckpoints(ctx context.Context, tenant string) ([]audit.Checkpoint, error) {
	if err := s.auditReady(ctx); err != nil {
		return nil, err
	}
	a := s.trail
	a.mu.RLock()
	defer a.mu.RUnlock()
	return append([]audit.Checkpoint(nil), a.checkpoints[tenant]...), nil
}

// PurgeAudit rewrites audit.log without the tenant's events up to
// through.Seq, with an anchor line so the head survives. It holds the trail
// alone while it runs: recording waits, as do reads (exports finish first).
func (s *Store) PurgeAudit(ctx context.Context, tenant string, through audit.Head) (int, error) {
	if err := s.auditReady(ctx); err != nil {
		return 0, err
	}
	a := s.trail
	a.gate.Lock()
	defer a.gate.Unlock()
	if err := a.w.close(); err != nil {
		return 0, triage.Transient("store", err)
	}
	a.r.Close()
	n, rerr := a.rewrite(tenant, through)
	if err := a.load(); err != nil {
		return n, triage.Internal("store", fmt.Errorf("reopen audit log after purge: %w", err))
	}
	if rerr != nil {
		return 0, triage.Transient("store", rerr)
	}
	return n, nil
}

// rewrite copies the file without the purged events, then renames it over
// the old one: a crash leaves either file whole.
func (a *auditLog) rewrite(tenant string, through audit.Head) (int, error) {
	in, err := os.Open(a.path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	tmp := a.path + ".purge"
	out, err := createFile(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(out, 1<<20)
	br := bufio.NewReaderSize(in, 1<<20)
	purged := 0
	needle, _ := json.Marshal(tenant) // as it appears in a line: quoted and escaped
	for {
		line, rerr := br.ReadBytes('\n')
		if len(line) > 0 {
			keep := true
			if js, _ := splitLine(line); js != nil && bytes.Contains(js, needle) {
				var rec auditRecord
				if json.Unmarshal(js, &rec) == nil {
					switch {
					case rec.Event != nil && rec.Event.Tenant == tenant && rec.Event.Seq <= through.Seq:
						keep = false
						purged++
					case rec.Checkpoint != nil && rec.Checkpoint.Tenant == tenant && rec.Checkpoint.Seq < through.Seq:
						keep = false // covers only purged events
					}
				}
			}
			if keep {
				bw.Write(line)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Close()
			return 0, rerr
		}
	}
	anchor, err := auditLine(auditRecord{Op: "anchor", Tenant: tenant, Anchor: &through})
	if err != nil {
		out.Close()
		return 0, err
	}
	bw.Write(anchor)
	if err := bw.Flush(); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, a.path); err != nil {
		return 0, err
	}
	return purged, syncDir(filepath.Dir(a.path))
}

// AuditDamagedLines is the number of audit.log lines whose checksum failed
// when the store opened (edited by hand, or disk damage); verification
// names the events they hold or lack.
func (s *Store) AuditDamagedLines() int {
	s.trail.mu.RLock()
	defer s.trail.mu.RUnlock()
	return s.trail.damaged
}
