package embedded

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/logtriage/logtriage/triage"
)

var (
	_ triage.AccountStore  = (*Store)(nil)
	_ triage.CaseWorkStore = (*Store)(nil)
)

// portalLogName holds accounts, API token digests and the case workflow. It
// is a log of its own beside store.log: small, rewritten whole on open, and
// its records never share a line with a case.
const portalLogName = "portal.log"

// portalBook is the portal's state in memory, replayed from portal.log.
type portalBook struct {
	log *wal

	// writeMu serializes check-then-write sequences (taking a case).
	writeMu  sync.Mutex
	mu       sync.RWMutex
	accounts map[string]triage.Account
	tokens   map[string]triage.APIToken
	work     map[statusKey]triage.CaseWork // tenant, case id
}

type portalRecord struct {
	Op      string           `json:"op"` // account | token | token.delete | work
	Account *triage.Account  `json:"account,omitempty"`
	Token   *triage.APIToken `json:"token,omitempty"`
	TokenID string           `json:"token_id,omitempty"`
	Work    *triage.CaseWork `json:"work,omitempty"`
	// work.delete: the case work of Work.Tenant, of CaseIDs or (none listed)
	// all of it; retention and tenant deletion (expire.go).
	CaseIDs []string `json:"case_ids,omitempty"`
}

func openPortalBook(dir string, doSync bool) (*portalBook, error) {
	b := &portalBook{
		accounts: map[string]triage.Account{},
		tokens:   map[string]triage.APIToken{},
		work:     map[statusKey]triage.CaseWork{},
	}
	path := filepath.Join(dir, portalLogName)
	n, err := b.replay(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if live := uint64(len(b.accounts) + len(b.tokens) + len(b.work)); n > live {
		if err := b.compact(path); err != nil {
			return nil, fmt.Errorf("%s: compact: %w", path, err)
		}
		n = live
	}
	if b.log, err = openWAL(path, doSync, n); err != nil {
		return nil, err
	}
	return b, nil
}

// replay applies every line; a torn last line (a crash mid-write) is cut off.
func (b *portalBook) replay(path string) (uint64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var n uint64
	var offset int64
	for {
		line, readErr := r.ReadBytes('\n')
		if len(line) == 0 && readErr == io.EOF {
			return n, nil
		}
		if readErr != nil && readErr != io.EOF {
			return n, readErr
		}
		js, perr := checkedJSON(line)
		var rec portalRecord
		if perr == nil {
			perr = json.Unmarshal(js, &rec)
		}
		if perr != nil {
			rest, _ := io.ReadAll(r)
			if len(rest) > 0 {
				return n, fmt.Errorf("record %d at byte %d: %w", n+1, offset, perr)
			}
			if err := f.Truncate(offset); err != nil {
				return n, err
			}
			return n, f.Sync()
		}
		if err := b.apply(rec); err != nil {
			return n, fmt.Errorf("record %d: %w", n+1, err)
		}
		n++
		offset += int64(len(line))
	}
}

// checkedJSON is the JSON of a "<crc32c> <json>\n" line, as store.log writes them.
func checkedJSON(line []byte) ([]byte, error) {
	if len(line) < 10 || line[8] != ' ' || line[len(line)-1] != '\n' {
		return nil, errors.New("malformed line")
	}
	js := line[9 : len(line)-1]
	want, err := appendChecked(nil, js)
	if err != nil || string(want[:8]) != string(line[:8]) {
		return nil, errors.New("checksum mismatch")
	}
	return js, nil
}

// appendChecked appends js as one checksummed line.
func appendChecked(buf, js []byte) ([]byte, error) {
	var sum [4]byte
	c := crc32.Checksum(js, castagnoli)
	sum[0], sum[1], sum[2], sum[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	const hexdigits = "0123456789abcdef"
	for _, x := range sum {
		buf = append(buf, hexdigits[x>>4], hexdigits[x&0xf])
	}
	buf = append(buf, ' ')
	buf = append(buf, js...)
	return append(buf, '\n'), nil
}

func (b *portalBook) apply(r portalRecord) error {
	switch r.Op {
	case "account":
		if r.Account == nil || r.Account.Name == "" {
			return errors.New("account record without a name")
		}
		b.accounts[r.Account.Name] = *r.Account
	case "token":
		if r.Token == nil || r.Token.ID == "" {
			return errors.New("token record without an id")
		}
		b.tokens[r.Token.ID] = *r.Token
	case "token.delete":
		delete(b.tokens, r.TokenID)
	case "work":
		if r.Work == nil || r.Work.Tenant == "" || r.Work.CaseID == "" {
			return errors.New("work record without tenant or case id")
		}
		b.work[statusKey{r.Work.Tenant, r.Work.CaseID}] = *r.Work
	case "work.delete":
		if r.Work == nil || r.Work.Tenant == "" {
			return errors.New("work.delete record without a tenant")
		}
		b.deleteWork(r.Work.Tenant, r.CaseIDs)
	default:
		return fmt.Errorf("unknown portal record op %q", r.Op)
	}
	return nil
}

func (b *portalBook) compact(path string) error {
	var recs []portalRecord
	names := make([]string, 0, len(b.accounts))
	for n := range b.accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := b.accounts[n]
		recs = append(recs, portalRecord{Op: "account", Account: &a})
	}
	for _, t := range b.tokens {
		recs = append(recs, portalRecord{Op: "token", Token: &t})
	}
	for _, w := range b.work {
		recs = append(recs, portalRecord{Op: "work", Work: &w})
	}
	var buf []byte
	for _, r := range recs {
		js, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf, _ = appendChecked(buf, js)
	}
	return replaceFile(path, buf, true)
}

// write appends r durably, then applies it.
func (b *portalBook) write(r portalRecord) error {
	js, err := json.Marshal(r)
	if err != nil {
		return triage.Internal("store", err)
	}
	line, _ := appendChecked(nil, js)
	if _, err := b.log.append(line, true); err != nil {
		if errors.Is(err, ErrClosed) {
			return err
		}
		return triage.Transient("store", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.apply(r)
}

// book returns the portal state, or ErrClosed.
func (s *Store) book(ctx context.Context) (*portalBook, error) {
	if err := ctx.Err(); err != nil {
		return nil, triage.Transient("store", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.portal, nil
}

// PutAccount creates or replaces an account.
func (s *Store) PutAccount(ctx context.Context, a triage.Account) error {
	b, err := s.book(ctx)
	if err != nil {
		return err
	}
	if a.Name == "" || a.Role == "" {
		return triage.Invalidf("store", "an account needs a name and a role")
	}
	a.Queues = append([]string(nil), a.Queues...)
	return b.write(portalRecord{Op: "account", Account: &a})
}

// GetAccount returns triage.ErrNotFound for an unknown name.
func (s *Store) GetAccount(ctx context.Context, name string) (triage.Account, error) {
	b, err := s.book(ctx)
	if err != nil {
		return triage.Account{}, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	a, ok := b.accounts[name]
	if !ok {
		return triage.Account{}, triage.ErrNotFound
	}
	a.Queues = append([]string(nil), a.Queues...)
	return a, nil
}

// ListAccounts returns every account by name.
func (s *Store) ListAccounts(ctx context.Context) ([]triage.Account, error) {
	b, err := s.book(ctx)
	if err != nil {
		return nil, err
	}
	b.mu.RLock()
	out := make([]triage.Account, 0, len(b.accounts))
	for _, a := range b.accounts {
		a.Queues = append([]string(nil), a.Queues...)
		out = append(out, a)
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PutToken stores a token digest.
func (s *Store) PutToken(ctx context.Context, t triage.APIToken) error {
	b, err := s.book(ctx)
	if err != nil {
		return err
	}
	if t.ID == "" || t.Account == "" || t.Hash == "" {
		return triage.Invalidf("store", "a token needs an id, an account and a hash")
	}
	return b.write(portalRecord{Op: "token", Token: &t})
}

// GetToken returns triage.ErrNotFound for an unknown id.
func (s *Store) GetToken(ctx context.Context, id string) (triage.APIToken, error) {
	b, err := s.book(ctx)
	if err != nil {
		return triage.APIToken{}, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	t, ok := b.tokens[id]
	if !ok {
		return triage.APIToken{}, triage.ErrNotFound
	}
	return t, nil
}

// DeleteToken revokes a token; deleting an unknown one is not an error.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	b, err := s.book(ctx)
	if err != nil {
		return err
	}
	return b.write(portalRecord{Op: "token.delete", TokenID: id})
}

// LocateCase returns the tenant of a case id.
func (s *Store) LocateCase(ctx context.Context, caseID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", triage.Transient("store", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return "", ErrClosed
	}
	e, ok := s.cases[caseID]
	if !ok {
		return "", triage.ErrNotFound
	}
	return e.tenant, nil
}

// TakeCase gives the case to w.TakenBy unless someone else holds it.
func (s *Store) TakeCase(ctx context.Context, w triage.CaseWork) (triage.CaseWork, error) {
	b, err := s.book(ctx)
	if err != nil {
		return triage.CaseWork{}, err
	}
	if w.Tenant == "" || w.CaseID == "" || w.TakenBy == "" {
		return triage.CaseWork{}, triage.Invalidf("store", "taking a case needs a tenant, a case id and an agent")
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	b.mu.RLock()
	cur, ok := b.work[statusKey{w.Tenant, w.CaseID}]
	b.mu.RUnlock()
	if ok && cur.TakenBy != "" {
		if cur.TakenBy != w.TakenBy {
			return cur, triage.ErrTaken
		}
		return cur, nil
	}
	if ok { // keep an alert acknowledgement made before anyone took it
		cur.TakenBy, cur.TakenAt = w.TakenBy, w.TakenAt
		if cur.Queue == "" {
			cur.Queue = w.Queue
		}
		w = cur
	}
	return w, b.write(portalRecord{Op: "work", Work: &w})
}

// PutCaseWork writes the record as given.
func (s *Store) PutCaseWork(ctx context.Context, w triage.CaseWork) error {
	b, err := s.book(ctx)
	if err != nil {
		return err
	}
	if w.Tenant == "" || w.CaseID == "" {
		return triage.Invalidf("store", "case work needs a tenant and a case id")
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	return b.write(portalRecord{Op: "work", Work: &w})
}

// AddComment appends a comment under the write lock.
func (s *Store) AddComment(ctx context.Context, tenant, caseID, queue string, c triage.Comment) (triage.CaseWork, error) {
	b, err := s.book(ctx)
	if err != nil {
		return triage.CaseWork{}, err
	}
	if tenant == "" || caseID == "" || c.By == "" || c.Text == "" {
		return triage.CaseWork{}, triage.Invalidf("store", "a comment needs a tenant, a case id, an author and text")
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	b.mu.RLock()
	w, ok := b.work[statusKey{tenant, caseID}]
	b.mu.RUnlock()
	if !ok {
		w = triage.CaseWork{Tenant: tenant, CaseID: caseID, Queue: queue}
	}
	w.Comments = append(slices.Clone(w.Comments), c)
	return w, b.write(portalRecord{Op: "work", Work: &w})
}

// GetCaseWork returns triage.ErrNotFound for an open case.
func (s *Store) GetCaseWork(ctx context.Context, tenant, caseID string) (triage.CaseWork, error) {
	b, err := s.book(ctx)
	if err != nil {
		return triage.CaseWork{}, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	w, ok := b.work[statusKey{tenant, caseID}]
	if !ok {
		return triage.CaseWork{}, triage.ErrNotFound
	}
	return w, nil
}

// ListCaseWork returns matching records, by tenant then case id.
func (s *Store) ListCaseWork(ctx context.Context, f triage.CaseWorkFilter) ([]triage.CaseWork, error) {
	b, err := s.book(ctx)
	if err != nil {
		return nil, err
	}
	if f.Tenant == "" && !f.AllTenants {
		return nil, triage.Invalidf("store", "list case work: a tenant is required")
	}
	b.mu.RLock()
	var out []triage.CaseWork
	for _, w := range b.work {
		if (!f.AllTenants && w.Tenant != f.Tenant) || (f.Queue != "" && w.Queue != f.Queue) ||
			(f.State != "" && w.State() != f.State) {
			continue
		}
		out = append(out, w)
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tenant != out[j].Tenant {
			return out[i].Tenant < out[j].Tenant
		}
		return out[i].CaseID < out[j].CaseID
	})
	return out, nil
}

var _ triage.CaseLister = (*Store)(nil)

// ListCaseRefs is ListCases without decoding the cases.
func (s *Store) ListCaseRefs(ctx context.Context, f triage.CaseFilter) ([]triage.CaseRef, error) {
	hits, err := s.listEntries(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]triage.CaseRef, len(hits))
	for i, e := range hits {
		out[i] = triage.CaseRef{ID: e.id, Tenant: e.tenant, Queue: e.queue, CreatedAt: e.created}
	}
	return out, nil
}
