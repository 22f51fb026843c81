// Package anomaly says what is new or unusual in one upload against its
// tenant's own history: templates never seen before, error and warning
// rates above the tenant's usual, bursts, repeated failures of one
// operation without a final success, and in auth and access logs failed
// login bursts and first-time actors, administrators and source addresses.
//
// A Profiler takes the redacted lines of one upload in one streaming pass
// (mining their templates with triage/drain, primed with the tenant's known
// templates so IDs stay stable across uploads); Detect compares the
// resulting Profile with a Baseline built from the tenant's earlier
// Summaries and returns Signals, each with a kind, a reason, its template
// and line numbers, and the severity weight it carries. Nothing here reads
// or keeps a raw value: lines are already redacted, actors and addresses
// are keyed fingerprints.
package anomaly

import (
	"sort"
	"time"

	"github.com/logtriage/logtriage/triage/drain"
)

// Levels as the pipeline names them (triage.LevelFatal, ...).
const (
	levelFatal = "fatal"
	levelError = "error"
	levelWarn  = "warn"
)

// Options configure a Profiler. Zero fields take defaults.
type Options struct {
	Miner drain.Options
	// Fingerprint keys actor names (the pipeline passes the detectors'
	// HMAC). Without it auth actors are not tracked.
	Fingerprint func([]byte) string
	// MaxMinutes bounds the distinct minutes tracked for bursts; default 10080 (a week).
	MaxMinutes int
	// ExampleLines is how many line numbers a template keeps; default 5.
	ExampleLines int
	// MessageStart (optional) says where a line's message starts after its
	// header (timestamp, host, level, thread, logger); templates are mined
	// from there, times and auth events read from the whole line. It is
	// asked only for lines that are mined (see Line.Key). Nil mines whole lines.
	MessageStart func(text []byte, levelEnd int) int
}

// Line is one redacted line of an upload.
type Line struct {
	Number int
	Text   []byte // redacted; only read during Observe
	Level  string // "fatal", "error", "warn", "info", "debug" or ""
	// Key (optional) is a normalization of the line computed anyway (the
	// pipeline's template key, variables masked): the first line of each
	// key is mined, later lines with the same key join its cluster without
	// being tokenized again. Only read during Observe.
	Key []byte
	// Sources are the fingerprints of the addresses the line names (the
	// detectors' ip_address findings).
	Sources []string
	// LevelEnd is the index just past the line's level marker, 0 when
	// none (see Options.MessageStart).
	LevelEnd int
}

// templateStat is one template's lines in this upload.
type templateStat struct {
	cluster       int
	count         int
	errors, warns int
	first, last   int
	lines         []int
	perMinute     map[int32]int32
	// The minute being counted: lines come mostly in time order, so the
	// map is written when the minute changes, not on every line.
	curMinute, curCount int32
	failing             bool // its lines say something failed or is retried
	success             bool // its lines say something succeeded
	auth                bool // its lines may be about logins (see parseAuth)
}

// Profiler builds the Profile of one upload. Not safe for concurrent use.
type Profiler struct {
	opt       Options
	miner     *drain.Miner
	stats     []*templateStat // by miner cluster; nil for clusters not seen in this upload
	lines     int
	errors    int
	warns     int
	minutes   map[string]int32
	byKey     map[string]int32 // line key -> cluster (see Line.Key)
	lastKey   minuteKey
	lower     []byte
	failedAt  map[int32][]int // failed logins by minute: line numbers (capped)
	failedN   map[int32]int
	failedAll int
	actors    map[string]int // fingerprint -> first line
	admins    map[string]int
	sources   map[string]int
}

// NewProfiler returns a profiler primed with the templates of a baseline
// (nil for none).
func NewProfiler(o Options, base *Baseline) *Profiler {
	if o.MaxMinutes <= 0 {
		o.MaxMinutes = 7 * 24 * 60
	}
	if o.ExampleLines <= 0 {
		o.ExampleLines = 5
	}
	p := &Profiler{
		opt: o, miner: drain.New(o.Miner), minutes: map[string]int32{}, byKey: map[string]int32{},
		failedAt: map[int32][]int{}, failedN: map[int32]int{},
		actors: map[string]int{}, admins: map[string]int{}, sources: map[string]int{},
	}
	if base != nil {
		ids := make([]string, 0, len(base.Templates))
		for id := range base.Templates {
			ids = append(ids, id)
		}
		sort.Strings(ids) // the same history primes the same miner
		for _, id := range ids {
			p.miner.Seed(id, base.Templates[id].Template)
		}
	}
	return p
}

// Observe takes one line and returns the ID of its template ("" when the
// miner is full).
func (p *Profiler) Observe(l Line) (templateID string) {
	p.lines++
	isErr := l.Level == levelError || l.Level == levelFatal
	if isErr {
		p.errors++
	} else if l.Level == levelWarn {
		p.warns++
	}
	minute, timed := p.minute(l.Text)

	authish := false
	if c := p.mine(l); c >= 0 {
		templateID = p.miner.ID(c)
		for len(p.stats) <= c {
			p.stats = append(p.stats, nil)
		}
		s := p.stats[c]
		if s == nil {
			// Judged once per template, on its first line: the words that
			// decide are its constants.
			s = &templateStat{cluster: c, first: l.Number, perMinute: map[int32]int32{}}
			p.lower = appendLower(p.lower[:0], l.Text)
			// "error corrected", "connected after 3 failed attempts": a
			// line that reports the recovery is a success, not a failure.
			s.success = successWords.Match(p.lower)
			s.failing = !s.success && failingWords.Match(p.lower)
			s.auth = hasAuthWord(p.lower)
			p.stats[c] = s
		}
		authish = s.auth
		s.count++
		s.last = l.Number
		if isErr {
			s.errors++
		} else if l.Level == levelWarn {
			s.warns++
		}
		if len(s.lines) < p.opt.ExampleLines {
			s.lines = append(s.lines, l.Number)
		}
		if timed {
			s.countMinute(minute)
		}
	}

	if !authish {
		return templateID
	}
	p.lower = appendLower(p.lower[:0], l.Text)
	if ev, ok := parseAuth(l.Text, p.lower); ok {
		if ev.failed {
			p.failedAll++
			if timed {
				p.failedN[minute]++
				if len(p.failedAt[minute]) < p.opt.ExampleLines {
					p.failedAt[minute] = append(p.failedAt[minute], l.Number)
				}
			}
		}
		if len(ev.actor) > 0 && p.opt.Fingerprint != nil && (ev.succeeded || ev.admin) {
			fp := p.opt.Fingerprint(append([]byte("actor:"), ev.actor...))
			first(p.actors, fp, l.Number)
			if ev.admin {
				first(p.admins, fp, l.Number)
			}
		}
		if ev.succeeded || ev.admin {
			for _, s := range l.Sources {
				first(p.sources, s, l.Number)
			}
		}
	}
	return templateID
}

// message is the part of the line templates are mined from.
func (p *Profiler) message(l Line) []byte {
	if p.opt.MessageStart == nil {
		return l.Text
	}
	return l.Text[min(max(p.opt.MessageStart(l.Text, l.LevelEnd), 0), len(l.Text)):]
}

func (s *templateStat) countMinute(m int32) {
	if s.curCount > 0 && m != s.curMinute {
		s.perMinute[s.curMinute] += s.curCount
		s.curCount = 0
	}
	s.curMinute = m
	s.curCount++
}

// minuteCounts is perMinute with the minute being counted.
func (s *templateStat) minuteCounts() map[int32]int32 {
	if s.curCount > 0 {
		s.perMinute[s.curMinute] += s.curCount
		s.curCount = 0
	}
	return s.perMinute
}

// maxKeys bounds the cache of line keys.
const maxKeys = 1 << 16

// mine is the line's cluster: by its key when a line with the same key was
// mined before, else by mining it.
func (p *Profiler) mine(l Line) int {
	if l.Key == nil {
		return p.miner.Add(p.message(l))
	}
	if c, ok := p.byKey[string(l.Key)]; ok {
		p.miner.Hit(int(c))
		return int(c)
	}
	c := p.miner.Add(p.message(l))
	if c >= 0 && len(p.byKey) < maxKeys {
		p.byKey[string(l.Key)] = int32(c)
	}
	return c
}

func first(m map[string]int, k string, line int) {
	if _, ok := m[k]; !ok && len(m) < maxAuthKeys {
		m[k] = line
	}
}

// maxAuthKeys bounds the distinct actors and sources tracked per upload.
const maxAuthKeys = 10000

// minute is the index of the minute the line was logged in, read from
// the first time of day ("15:42:50", "15.42.50") in its first 64 bytes with
// the up to 11 bytes before it (the date); false when there is none.
func (p *Profiler) minute(text []byte) (int32, bool) {
	head := text[:min(len(text), 64)]
	// Most lines share the previous line's minute, at the same place.
	if k := p.lastKey; k.ok && k.at+8 <= len(head) && timeAt(head, k.at) && string(head[k.from:k.at+5]) == k.key {
		return k.minute, true
	}
	for i := 0; i+8 <= len(head); i++ {
		if !timeAt(head, i) {
			continue
		}
		from := max(0, i-11)
		key := head[from : i+5]
		m, ok := p.minutes[string(key)]
		if !ok {
			if len(p.minutes) >= p.opt.MaxMinutes {
				return 0, false
			}
			m = int32(len(p.minutes))
			p.minutes[string(key)] = m
		}
		p.lastKey = minuteKey{ok: true, at: i, from: from, key: string(key), minute: m}
		return m, true
	}
	return 0, false
}

// minuteKey is where the last line's time sat and which minute it was.
type minuteKey struct {
	ok       bool
	at, from int
	key      string
	minute   int32
}

// timeAt: a time of day ("15:42:50", "15.42.50") starts at head[i], not
// preceded by a digit.
func timeAt(head []byte, i int) bool {
	if i > 0 && isDigit(head[i-1]) {
		return false
	}
	sep := head[i+2]
	return isDigit(head[i]) && isDigit(head[i+1]) && (sep == ':' || sep == '.') &&
		isDigit(head[i+3]) && isDigit(head[i+4]) && head[i+5] == sep && isDigit(head[i+6]) && isDigit(head[i+7])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func appendLower(dst, src []byte) []byte {
	for _, c := range src {
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		dst = append(dst, c)
	}
	return dst
}

// Summary is what this upload adds to the tenant's history.
func (p *Profiler) Summary(uploadID string, at time.Time) Summary {
	s := Summary{UploadID: uploadID, Time: at.UTC(), Lines: p.lines, Errors: p.errors, Warns: p.warns, Templates: []TemplateCount{}}
	stats := p.sortedStats()
	for _, st := range stats[:min(len(stats), MaxSummaryTemplates)] {
		c := p.miner.Cluster(st.cluster)
		s.Templates = append(s.Templates, TemplateCount{ID: c.ID, Template: c.Template, Count: st.count, Errors: st.errors, Warns: st.warns})
	}
	s.Actors, s.Admins, s.Sources = keys(p.actors), keys(p.admins), keys(p.sources)
	return s
}

// sortedStats orders templates failing first, then by count, then by first
// line (a stable order for equal uploads).
func (p *Profiler) sortedStats() []*templateStat {
	out := make([]*templateStat, 0, len(p.stats))
	for _, s := range p.stats {
		if s != nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.errors+a.warns > 0) != (b.errors+b.warns > 0) {
			return a.errors+a.warns > 0
		}
		if a.count != b.count {
			return a.count > b.count
		}
		return a.first < b.first
	})
	return out
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
