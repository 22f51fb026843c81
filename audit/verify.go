package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ProblemKind classifies what verification found.
type ProblemKind string

const (
	ProblemModified   ProblemKind = "modified"    // the event's content does not match its hash
	ProblemBrokenLink ProblemKind = "broken_link" // prev_hash is not the previous event's hash
	ProblemMissing    ProblemKind = "missing"     // seq numbers skipped: events deleted
	ProblemOrder      ProblemKind = "order"       // seq went back or repeated: events reordered or inserted
	ProblemStart      ProblemKind = "start"       // the chain does not start at 1 and no signed anchor explains it
	ProblemCheckpoint ProblemKind = "checkpoint"  // a signed checkpoint disagrees with the chain
	ProblemSignature  ProblemKind = "signature"   // a checkpoint's signature does not verify with the key
	ProblemTruncated  ProblemKind = "truncated"   // the chain ends before its last signed checkpoint
	ProblemMalformed  ProblemKind = "malformed"   // a line that is not an event or checkpoint
)

// Problem is one finding, naming the event where it shows.
type Problem struct {
	Tenant  string      `json:"tenant"`
	Kind    ProblemKind `json:"kind"`
	Seq     uint64      `json:"seq,omitempty"` // the seq of the event named (or expected)
	EventID string      `json:"event_id,omitempty"`
	Line    int         `json:"line,omitempty"` // line of an export file, when verifying one
	Message string      `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenant %s: %s", p.Tenant, p.Kind)
	if p.Seq > 0 {
		fmt.Fprintf(&b, " at seq %d", p.Seq)
	}
	if p.EventID != "" {
		fmt.Fprintf(&b, " (event %s)", p.EventID)
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, " line %d", p.Line)
	}
	return b.String() + ": " + p.Message
}

// TenantReport sums up one chain.
type TenantReport struct {
	Tenant   string `json:"tenant"`
	Events   int    `json:"events"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	HeadHash string `json:"head_hash"`
	// Anchored: the chain starts after a signed retention anchor.
	Anchored bool `json:"anchored,omitempty"`
	// Partial: the chain starts mid-way because the export was asked from a
	// time (since=); the events before it were not checked.
	Partial            bool       `json:"partial,omitempty"`
	Checkpoints        int        `json:"checkpoints"`         // checkpoints checked (signature and hash)
	LastCheckpointSeq  uint64     `json:"last_checkpoint_seq"` // 0 when none
	LastCheckpointTime *time.Time `json:"last_checkpoint_time,omitempty"`
	// UnsignedTail counts the events after the last checkpoint: intact as a
	// chain, but a cut there could not be told from a chain that ended.
	UnsignedTail uint64    `json:"unsigned_tail"`
	Problems     []Problem `json:"problems,omitempty"`
}

// Report is the result of a verification.
type Report struct {
	Tenants []TenantReport `json:"tenants"`
	Events  int            `json:"events"`
	OK      bool           `json:"ok"`
	// First is the first problem found (in input order), if any.
	First *Problem `json:"first,omitempty"`
}

// VerifyOptions tune a Verifier.
type VerifyOptions struct {
	// PublicKey checks checkpoint signatures. Without it checkpoints are
	// not trusted (and not used): only the hash links are checked.
	PublicKey ed25519.PublicKey
	// Tenant restricts verification to one tenant's chain; others are skipped.
	Tenant string
	// AllowPartial accepts a chain that starts after seq 1 without a signed
	// anchor (an export asked from a time); the report marks it Partial.
	AllowPartial bool
	// MaxProblems per tenant kept in the report (default 100); counting goes on.
	MaxProblems int
}

// Verifier checks chains fed to it one event at a time, in chain order per
// tenant (tenants may interleave). Checkpoints may come before or after the
// events they cover. It keeps 32 bytes per event (to check a checkpoint that
// arrives after its event), not the events.
type Verifier struct {
	opts    VerifyOptions
	tenants map[string]*tenantState
	order   []string
	events  int
	first   *Problem
	buf     []byte
}

type tenantState struct {
	rep      TenantReport
	started  bool
	lastSeq  uint64
	lastHash [32]byte
	hashes   hashLog // the hash of seq base+i at i
	base     uint64
	pending  map[uint64]Checkpoint // checkpoints ahead of the events
	lastCP   *Checkpoint
	anchors  map[uint64]Checkpoint // signed anchors by seq
	problems int
}

// NewVerifier starts a verification.
func NewVerifier(opts VerifyOptions) *Verifier {
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 100
	}
	return &Verifier{opts: opts, tenants: map[string]*tenantState{}, buf: make([]byte, 0, 1024)}
}

func (v *Verifier) state(tenant string) *tenantState {
	ts := v.tenants[tenant]
	if ts == nil {
		ts = &tenantState{rep: TenantReport{Tenant: tenant}, pending: map[uint64]Checkpoint{}, anchors: map[uint64]Checkpoint{}}
		v.tenants[tenant] = ts
		v.order = append(v.order, tenant)
	}
	return ts
}

func (v *Verifier) skip(tenant string) bool { return v.opts.Tenant != "" && tenant != v.opts.Tenant }

func (v *Verifier) problem(ts *tenantState, p Problem) {
	p.Tenant = ts.rep.Tenant
	ts.problems++
	if len(ts.rep.Problems) < v.opts.MaxProblems {
		ts.rep.Problems = append(ts.rep.Problems, p)
	}
	if v.first == nil {
		v.first = &p
	}
}

// Malformed records an input line that could not be read.
func (v *Verifier) Malformed(tenant string, line int, err error) {
	ts := v.state(tenant)
	v.problem(ts, Problem{Kind: ProblemMalformed, Line: line, Message: err.Error()})
}

// AddCheckpoint feeds a checkpoint. Without a public key it is ignored.
func (v *Verifier) AddCheckpoint(cp Checkpoint, line int) {
	if v.skip(cp.Tenant) || v.opts.PublicKey == nil {
		return
	}
	ts := v.state(cp.Tenant)
	if err := cp.VerifySignature(v.opts.PublicKey); err != nil {
		v.problem(ts, Problem{Kind: ProblemSignature, Seq: cp.Seq, Line: line,
			Message: fmt.Sprintf("checkpoint of %s: %v", cp.Time.Format(time.RFC3339), err)})
		return
	}
	if cp.Anchor {
		ts.anchors[cp.Seq] = cp
	}
	if ts.started && cp.Seq <= ts.lastSeq {
		v.checkAgainst(ts, cp, line)
	} else {
		ts.pending[cp.Seq] = cp
	}
}

// checkAgainst compares a checkpoint with the hash of an event already seen.
func (v *Verifier) checkAgainst(ts *tenantState, cp Checkpoint, line int) {
	if cp.Seq < ts.base || cp.Seq-ts.base >= uint64(ts.hashes.n) {
		return // covers events before this (anchored or partial) chain: nothing to compare
	}
	got := ts.hashes.at(int(cp.Seq - ts.base))
	if hex.EncodeToString(got[:]) != cp.Hash {
		v.problem(ts, Problem{Kind: ProblemCheckpoint, Seq: cp.Seq, Line: line,
			Message: fmt.Sprintf("event %d does not match the checkpoint signed %s: the chain was rewritten from here or before", cp.Seq, cp.Time.Format(time.RFC3339))})
		return
	}
	ts.rep.Checkpoints++
	if ts.lastCP == nil || cp.Seq > ts.lastCP.Seq {
		c := cp
		ts.lastCP = &c
	}
}

// Add feeds the next event of its tenant's chain.
func (v *Verifier) Add(e *Event, line int) {
	if v.skip(e.Tenant) {
		return
	}
	v.events++
	ts := v.state(e.Tenant)
	ts.rep.Events++
	v.buf = AppendCanonical(v.buf[:0], e)
	sum := sha256.Sum256(v.buf)
	var stored [32]byte
	if len(e.Hash) != 64 || hexDecode32(&stored, e.Hash) != nil || stored != sum {
		v.problem(ts, Problem{Kind: ProblemModified, Seq: e.Seq, EventID: e.ID, Line: line,
			Message: "content does not match its hash: the event was edited"})
	}
	var prev [32]byte
	prevOK := e.PrevHash == "" || (len(e.PrevHash) == 64 && hexDecode32(&prev, e.PrevHash) == nil)
	switch {
	case !ts.started:
		ts.rep.FirstSeq = e.Seq
		ts.base = e.Seq
		switch {
		case e.Seq == 1 && e.PrevHash == "":
		case e.Seq > 1 && v.anchored(ts, e):
			ts.rep.Anchored = true
		case e.Seq > 1 && v.opts.AllowPartial:
			ts.rep.Partial = true
		default:
			v.problem(ts, Problem{Kind: ProblemStart, Seq: e.Seq, EventID: e.ID, Line: line,
				Message: fmt.Sprintf("the chain starts at seq %d without a signed anchor: events 1..%d are missing", e.Seq, e.Seq-1)})
		}
	case e.Seq == ts.lastSeq+1:
		if !prevOK || prev != ts.lastHash {
			v.problem(ts, Problem{Kind: ProblemBrokenLink, Seq: e.Seq, EventID: e.ID, Line: line,
				Message: fmt.Sprintf("prev_hash is not the hash of event %d: that event or this one was edited, inserted or replaced", ts.lastSeq)})
		}
	case e.Seq > ts.lastSeq+1:
		v.problem(ts, Problem{Kind: ProblemMissing, Seq: ts.lastSeq + 1, EventID: e.ID, Line: line,
			Message: fmt.Sprintf("events %d..%d are missing: deleted, or moved later (next present: seq %d, event %s)", ts.lastSeq+1, e.Seq-1, e.Seq, e.ID)})
	default:
		v.problem(ts, Problem{Kind: ProblemOrder, Seq: e.Seq, EventID: e.ID, Line: line,
			Message: fmt.Sprintf("seq %d after seq %d: events reordered, duplicated or inserted", e.Seq, ts.lastSeq)})
	}
	// Continue from this event so one break is reported once, and what
	// follows is still checked against it.
	ts.started = true
	if e.Seq >= ts.base && e.Seq-ts.base == uint64(ts.hashes.n) {
		ts.hashes.add(sum)
	}
	// The next event links to the hash this one claims; when that claim is
	// unreadable, to its content.
	ts.lastSeq, ts.lastHash = e.Seq, sum
	if len(e.Hash) == 64 {
		hexDecode32(&ts.lastHash, e.Hash)
	}
	ts.rep.LastSeq, ts.rep.HeadHash = e.Seq, e.Hash
	if cp, ok := ts.pending[e.Seq]; ok {
		delete(ts.pending, e.Seq)
		v.checkAgainst(ts, cp, line)
	}
}

func (v *Verifier) anchored(ts *tenantState, e *Event) bool {
	cp, ok := ts.anchors[e.Seq-1]
	if !ok {
		cp, ok = ts.pending[e.Seq-1]
		ok = ok && cp.Anchor
	}
	return ok && cp.Hash == e.PrevHash
}

var errHex = errors.New("not a hex SHA-256")

// hexDecode32 decodes 64 hex digits without allocating (a table lookup per
// digit: this runs twice per verified event).
func hexDecode32(dst *[32]byte, s string) error {
	if len(s) != 64 {
		return errHex
	}
	var bad byte
	for i := 0; i < 32; i++ {
		hi, lo := hexVal[s[2*i]], hexVal[s[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&0x0f
	}
	if bad&0xf0 != 0 {
		return errHex
	}
	return nil
}

// hexVal maps a hex digit to its value and anything else to 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// Finish closes the verification: checkpoints beyond the last event mean a
// truncated tail.
func (v *Verifier) Finish() Report {
	sort.Strings(v.order)
	rep := Report{Events: v.events, OK: true}
	for _, t := range v.order {
		ts := v.tenants[t]
		var beyond *Checkpoint
		for _, cp := range ts.pending {
			if cp.Anchor && !ts.started {
				continue // every event up to the anchor was purged, none came after
			}
			if cp.Seq > ts.lastSeq && (beyond == nil || cp.Seq > beyond.Seq) {
				c := cp
				beyond = &c
			}
		}
		if beyond != nil {
			v.problem(ts, Problem{Kind: ProblemTruncated, Seq: ts.lastSeq + 1,
				Message: fmt.Sprintf("the chain ends at seq %d but a checkpoint signed %s covers seq %d: events %d..%d were cut off",
					ts.lastSeq, beyond.Time.Format(time.RFC3339), beyond.Seq, ts.lastSeq+1, beyond.Seq)})
		}
		if ts.lastCP != nil {
			ts.rep.LastCheckpointSeq = ts.lastCP.Seq
			tm := ts.lastCP.Time
			ts.rep.LastCheckpointTime = &tm
			ts.rep.UnsignedTail = ts.lastSeq - ts.lastCP.Seq
		} else if ts.started {
			ts.rep.UnsignedTail = ts.lastSeq - ts.base + 1
		}
		if ts.problems > 0 {
			rep.OK = false
		}
		rep.Tenants = append(rep.Tenants, ts.rep)
	}
	rep.First = v.first
	return rep
}

// VerifyStore checks chains straight from a store: every tenant's, or one.
// Checkpoints are read first, so a truncated tail is found against them.
func VerifyStore(ctx context.Context, s Store, opts VerifyOptions) (Report, error) {
	tenants := []string{opts.Tenant}
	if opts.Tenant == "" {
		var err error
		if tenants, err = s.AuditTenants(ctx); err != nil {
			return Report{}, err
		}
	}
	v := NewVerifier(opts)
	for _, t := range tenants {
		cps, err := s.AuditCheckpoints(ctx, t)
		if err != nil {
			return Report{}, err
		}
		for _, cp := range cps {
			v.AddCheckpoint(cp, 0)
		}
		v.state(t) // a tenant whose events were all deleted still gets a report
		err = s.ExportAudit(ctx, ExportQuery{Tenant: t}, func(e Event) error {
			v.Add(&e, 0)
			return nil
		})
		if err != nil {
			return Report{}, err
		}
	}
	return v.Finish(), nil
}

// hashLog keeps 32 bytes per verified event in fixed blocks, so it grows
// without copying what it holds.
type hashLog struct {
	blocks []*[hashBlock][32]byte
	n      int
}

const hashBlock = 4096

func (h *hashLog) add(sum [32]byte) {
	if h.n%hashBlock == 0 {
		h.blocks = append(h.blocks, new([hashBlock][32]byte))
	}
	h.blocks[h.n/hashBlock][h.n%hashBlock] = sum
	h.n++
}

func (h *hashLog) at(i int) [32]byte { return h.blocks[i/hashBlock][i%hashBlock] }
