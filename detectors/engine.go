package detectors

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"slices"
	"strings"
)

// Mode is how a finding's value is rendered in redacted output.
type Mode string

const (
	ModeFingerprint Mode = "fingerprint" // [EMAIL:3f9a1c2e] (default): typed, correlatable
	ModeMask        Mode = "mask"        // [EMAIL]
	ModePartial     Mode = "partial"     // ****1111, j***@example.com, ghp_****
	ModeDrop        Mode = "drop"        // the value disappears
)

func (m Mode) valid() bool {
	switch m {
	case ModeFingerprint, ModeMask, ModePartial, ModeDrop:
		return true
	}
	return false
}

// Options configure an Engine.
type Options struct {
	FingerprintKey []byte          // HMAC-SHA256 key; required non-empty
	Config         *Config         // custom rules and allow-lists; may be nil
	Modes          map[string]Mode // per finding type; default ModeFingerprint
	DisabledTypes  []string
	MinConfidence  float64
}

// TypeInfo describes a finding type for docs and help output.
type TypeInfo struct {
	ID          string   `json:"id"`
	Category    Category `json:"category"`
	Description string   `json:"description"`
	Rules       []string `json:"rules,omitempty"`
	Keywords    []string `json:"keywords,omitempty"` // prefilter literals; none for digit-started types
	Validator   string   `json:"validator"`          // what turns a match into a finding
}

// Engine detects and redacts. It is immutable after New and safe for
// concurrent use.
type Engine struct {
	key      []byte
	dets     map[string]*detector
	modes    map[string]Mode
	disabled map[string]bool
	minConf  float64
	rules    []*customRule
	kw       *keywordMatcher // the custom rules' keyword prefilter
	allow    allowList
	// blockSize bounds streaming memory; tests shrink it to cross block edges.
	blockSize int
}

// New builds an engine. A missing key, an unknown mode or a bad config is an error.
func New(opts Options) (*Engine, error) {
	if len(opts.FingerprintKey) == 0 {
		return nil, errors.New("detectors: FingerprintKey is required")
	}
	if opts.MinConfidence < 0 || opts.MinConfidence > 1 {
		return nil, fmt.Errorf("detectors: MinConfidence %v outside 0..1", opts.MinConfidence)
	}
	e := &Engine{
		key:       append([]byte(nil), opts.FingerprintKey...),
		dets:      make(map[string]*detector, len(builtins)),
		modes:     map[string]Mode{},
		disabled:  map[string]bool{},
		minConf:   opts.MinConfidence,
		blockSize: defaultBlockSize,
	}
	for _, d := range builtins {
		e.dets[d.id] = d
	}
	if c := opts.Config; c != nil {
		if !c.compiled {
			cc := *c
			cc.rules, cc.kw, cc.allow = nil, nil, allowList{}
			if err := cc.compile(); err != nil {
				return nil, err
			}
			c = &cc
		}
		for t, m := range c.Modes {
			e.modes[t] = m
		}
		for _, t := range c.Disabled {
			e.disabled[t] = true
		}
		if c.MinConfidence > e.minConf {
			e.minConf = c.MinConfidence
		}
		e.rules = c.rules
		e.kw = c.kw
		e.allow = c.allow
		for _, r := range c.rules {
			e.dets[r.det.id] = r.det
		}
	}
	for t, m := range opts.Modes {
		e.modes[t] = m
	}
	for t, m := range e.modes {
		if !m.valid() {
			return nil, fmt.Errorf("detectors: type %q: unknown mode %q (want fingerprint, mask, partial or drop)", t, m)
		}
	}
	for _, t := range opts.DisabledTypes {
		e.disabled[t] = true
	}
	if err := e.checkTypes(); err != nil {
		return nil, err
	}
	return e, nil
}

// llmTypes are finding types the LLM pass produces; modes and disabling may
// name them although no detector here does.
var llmTypes = []string{TypePersonName, TypeStreetAddress}

// checkTypes: a mode or a disabled type that names no finding type is a
// typo that would silently do nothing, so it is an error naming the valid ones.
func (e *Engine) checkTypes() error {
	known := map[string]bool{}
	for _, d := range e.dets {
		known[d.typ] = true
	}
	for _, t := range llmTypes {
		known[t] = true
	}
	check := func(what, t string) error {
		if known[t] {
			return nil
		}
		valid := make([]string, 0, len(known))
		for k := range known {
			valid = append(valid, k)
		}
		slices.Sort(valid)
		return fmt.Errorf("detectors: %s: unknown finding type %q (valid: %s)", what, t, strings.Join(valid, ", "))
	}
	for t := range e.modes {
		if err := check("modes", t); err != nil {
			return err
		}
	}
	for t := range e.disabled {
		if err := check("disabled", t); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) det(id string) *detector { return e.dets[id] }

// Types lists every finding type the engine can produce.
func (e *Engine) Types() []TypeInfo { return typesOf(e.rules) }

// ConfigTypes lists the finding types of the built-in detectors and of cfg's
// rules (cfg may be nil) without building an engine: no key is needed.
func ConfigTypes(cfg *Config) ([]TypeInfo, error) {
	if cfg == nil {
		return typesOf(nil), nil
	}
	if !cfg.compiled {
		cc := *cfg
		cc.rules, cc.kw, cc.allow = nil, nil, allowList{}
		if err := cc.compile(); err != nil {
			return nil, err
		}
		cfg = &cc
	}
	return typesOf(cfg.rules), nil
}

func typesOf(rules []*customRule) []TypeInfo {
	byType := map[string]*TypeInfo{}
	var order []string
	add := func(d *detector) {
		ti, ok := byType[d.typ]
		if !ok {
			ti = &TypeInfo{ID: d.typ, Category: d.cat, Description: d.desc, Keywords: d.keywords, Validator: d.validator}
			byType[d.typ] = ti
			order = append(order, d.typ)
		}
		if len(ti.Rules) > 0 {
			ti.Validator += "; " + d.id + ": " + d.validator // a type several rules produce
		}
		ti.Rules = append(ti.Rules, d.id)
	}
	for _, d := range builtins {
		add(d)
	}
	for _, r := range rules {
		add(r.det)
	}
	out := make([]TypeInfo, 0, len(order))
	for _, t := range order {
		out = append(out, *byType[t])
	}
	return out
}

// Fingerprint is the keyed HMAC-SHA256 of value, hex, truncated to 16
// characters: stable per key, not guessable without it.
func (e *Engine) Fingerprint(value []byte) string {
	m := hmac.New(sha256.New, e.key)
	m.Write(value)
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// ScanBytes scans data as one complete input; offsets are relative to data.
func (e *Engine) ScanBytes(data []byte) []Finding {
	s := scanner{e: e, b: data, final: true, pending: -1, out: make([]cand, 0, min(len(data)/256, 1<<16))}
	fs := e.findings(&s, 0, e.newRenderer())
	locate(fs, data, 0, 1, 0)
	return fs
}

// ScanReader streams r and calls fn for each finding, offsets absolute.
// Memory stays bounded by the block size whatever the input length.
func (e *Engine) ScanReader(ctx context.Context, r io.Reader, fn func(Finding) error) error {
	return e.blocks(ctx, r, func(bl *block) error {
		for _, f := range bl.findings {
			if err := fn(f); err != nil {
				return err
			}
		}
		return nil
	})
}

// findings runs the scanner (already set up on its block) and the custom
// rules, then filters, resolves overlaps and renders each finding.
func (e *Engine) findings(s *scanner, base int64, rd *renderer) []Finding {
	s.run()
	b := s.b
	if s.pending >= 0 {
		b = b[:s.pending]
	}
	e.scanCustom(s, b)
	cs := s.out[:0]
	for _, c := range s.out {
		if c.end > len(b) || e.disabled[c.det.typ] || c.conf < e.minConf {
			continue
		}
		v := b[c.start:c.end]
		if (len(v) >= 20 && isVendorExample(v)) || e.allow.value(v) {
			continue
		}
		cs = append(cs, c)
	}
	cs = resolve(cs)
	if len(cs) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(cs))
	for _, c := range cs {
		v := b[c.start:c.end]
		r := rd.render(c, v)
		fp := r.fp
		if e.allow.fingerprint(fp) {
			continue
		}
		out = append(out, Finding{
			Type:        c.det.typ,
			Category:    c.det.cat,
			Rule:        c.det.id,
			Start:       base + int64(c.start),
			End:         base + int64(c.end),
			Confidence:  c.conf,
			Fingerprint: fp,
			Masked:      r.masked,
		})
	}
	return out
}

// renderer makes fingerprints and placeholders. Logs repeat their values
// (the same hosts, users, keys), so it keeps them per distinct value for a
// whole stream: one HMAC and one placeholder per value, bounded in size.
// The cache is direct-mapped (a value's hash picks its one slot, a newer
// value evicts an older one): one hash per finding, no rehashing, no
// clearing. It starts small and doubles, up to renderCacheSlots, when as
// many values have been written as it has slots.
type renderer struct {
	e      *Engine
	mac    hash.Hash
	sum    [sha256.Size]byte
	hexsum [16]byte
	seed   maphash.Seed
	slots  []cacheSlot
	fills  int // values written since the table last grew
}

type rendered struct{ typ, fp, masked string }

type cacheSlot struct {
	val string
	r   rendered
}

const renderCacheSlots = 1 << 14

func (e *Engine) newRenderer() *renderer {
	return &renderer{e: e, mac: hmac.New(sha256.New, e.key), seed: maphash.MakeSeed()}
}

func (rd *renderer) render(c cand, v []byte) rendered {
	h := maphash.Bytes(rd.seed, v)
	if n := len(rd.slots); n > 0 {
		if sl := &rd.slots[h&uint64(n-1)]; sl.r.typ == c.det.typ && sl.val == string(v) {
			return sl.r
		}
	}
	fv := v
	if c.norm != nil {
		fv = c.norm
	} else if c.det.typ == TypeEmail {
		fv = bytes.ToLower(v)
	}
	rd.mac.Reset()
	rd.mac.Write(fv)
	hex.Encode(rd.hexsum[:], rd.mac.Sum(rd.sum[:0])[:8]) // 16 hex digits are all anyone sees
	r := rendered{typ: c.det.typ}
	r.fp, r.masked = rd.e.render(c.det, v, rd.hexsum[:16])
	if rd.fills >= len(rd.slots) && len(rd.slots) < renderCacheSlots {
		rd.slots, rd.fills = make([]cacheSlot, max(256, 2*len(rd.slots))), 0
	}
	rd.slots[h&uint64(len(rd.slots)-1)] = cacheSlot{val: string(v), r: r}
	rd.fills++
	return r
}

// resolve keeps, among overlapping candidates, the one with the highest
// priority, then the longest, then the most confident; the result is sorted
// by start and free of overlaps so redaction is clean.
func resolve(cs []cand) []cand {
	if len(cs) < 2 {
		return cs
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out := cs[:0] // compacts in place: a cluster never keeps more than it read
	for i := 0; i < len(cs); {
		// cluster: a run of transitively overlapping candidates
		j, end := i+1, cs[i].end
		for j < len(cs) && cs[j].start < end {
			if cs[j].end > end {
				end = cs[j].end
			}
			j++
		}
		if j == i+1 {
			out = append(out, cs[i])
		} else {
			out = append(out, pickCluster(cs[i:j])...)
		}
		i = j
	}
	return out
}

func better(a, b cand) bool {
	if a.det.prio != b.det.prio {
		return a.det.prio > b.det.prio
	}
	if la, lb := a.end-a.start, b.end-b.start; la != lb {
		return la > lb
	}
	return a.conf > b.conf
}

func pickCluster(cl []cand) []cand {
	ranked := append([]cand(nil), cl...)
	slices.SortStableFunc(ranked, func(a, b cand) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
	var kept []cand
	for _, c := range ranked {
		ok := true
		for _, k := range kept {
			if c.start < k.end && k.start < c.end {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, c)
		}
	}
	slices.SortFunc(kept, func(a, b cand) int { return a.start - b.start })
	return kept
}

// locate fills Line and Column. data starts at absolute offset base, on line
// `line`, whose first byte is at absolute offset lineStart.
func locate(fs []Finding, data []byte, base int64, line int, lineStart int64) {
	pos := 0
	for i := range fs {
		rel := int(fs[i].Start - base)
		for {
			nl := bytes.IndexByte(data[pos:rel], '\n')
			if nl < 0 {
				break
			}
			line++
			pos += nl + 1
			lineStart = base + int64(pos)
		}
		pos = rel
		fs[i].Line = line
		fs[i].Column = int(fs[i].Start-lineStart) + 1
	}
}

// placeholderName is the type as it appears in placeholders: [CREDIT_CARD].
func placeholderName(typ string) string { return strings.ToUpper(typ) }

// name is d's placeholder name, made once per detector.
func (d *detector) name() string {
	if d.upper == "" {
		return placeholderName(d.typ)
	}
	return d.upper
}

// render returns the fingerprint (16 hex) and the text that replaces the
// value in redacted output. In the default mode both come from one
// allocation: logs can hold thousands of findings per megabyte.
func (e *Engine) render(d *detector, v []byte, fp16 []byte) (fp, masked string) {
	typ := d.typ
	mode := ModeFingerprint
	if len(e.modes) > 0 {
		if m, ok := e.modes[typ]; ok {
			mode = m
		}
	}
	name := d.name()
	switch mode {
	case ModeMask:
		return string(fp16), "[" + name + "]"
	case ModeDrop:
		return string(fp16), ""
	case ModePartial:
		if p, ok := partial(typ, v); ok {
			return string(fp16), p
		}
		return string(fp16), "[" + name + "]"
	}
	var sb strings.Builder
	sb.Grow(16 + len(name) + 11)
	sb.Write(fp16)
	sb.WriteByte('[')
	sb.WriteString(name)
	sb.WriteByte(':')
	sb.Write(fp16[:8])
	sb.WriteByte(']')
	s := sb.String()
	return s[:16], s[16:]
}

// tokenPrefixes are public, non-secret prefixes partial mode may keep.
var tokenPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-",
	"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "sk-proj-", "sk-ant-", "sk-", "SG.", "npm_", "AKIA", "ASIA", "AIza", "eyJ"}

// partial reveals only what identifies the value to a person without
// recovering it: last four digits, the first letter and domain of an e-mail,
// a vendor prefix.
func partial(typ string, v []byte) (string, bool) {
	switch typ {
	case TypeCreditCard, TypePhone, TypeIBAN, TypeUSSSN:
		var d []byte
		for _, c := range v {
			if isAlnum(c) {
				d = append(d, c)
			}
		}
		if len(d) < 8 {
			return "", false
		}
		if typ == TypeUSSSN {
			return "***-**-" + string(d[len(d)-4:]), true
		}
		return "****" + string(d[len(d)-4:]), true
	case TypeEmail:
		at := bytes.LastIndexByte(v, '@')
		if at < 1 {
			return "", false
		}
		return string(v[:1]) + "***" + string(v[at:]), true
	case TypeIPAddress:
		if p := bytes.Split(v, []byte(".")); len(p) == 4 {
			return string(p[0]) + "." + string(p[1]) + ".*.*", true
		}
		return "", false
	}
	for _, p := range tokenPrefixes {
		if bytes.HasPrefix(v, []byte(p)) && len(v) > len(p)+8 {
			return p + "****", true
		}
	}
	return "", false
}
