package triage

import (
	"bytes"
	"slices"
	"sort"

	"github.com/logtriage/logtriage/detectors"
)

// AnalyzeOptions bound the single streaming pass. Zero fields take defaults.
type AnalyzeOptions struct {
	ExcerptTokens       int    // token budget of the excerpt; default 3000 (~4 bytes a token)
	MaxTemplates        int    // distinct templates tracked; default 2000
	MaxLocations        int    // locations kept per finding type; default 20 (counts stay exact)
	MaxFingerprints     int    // distinct fingerprints kept per finding type; default 50
	MaxExcerptLineBytes int    // longer lines are cut in the excerpt; default 1000
	MaxKeyLineBytes     int    // whole text kept of a cut excerpt line, so it can be a key line; default 8192
	FileName            string // Location.File outside archive members (the upload name)
	// Members maps stream offsets to archive members; nil for a single file.
	Members interface {
		MemberAt(off int64) (Member, bool)
	}
	// Observe (optional) sees every log line that is not a stack frame,
	// with its template key (see Template), level, the index just past the
	// level marker (0 when none) and findings (the anomaly pass).
	Observe func(num int, text, key []byte, level string, levelEnd int, findings []detectors.Finding)
}

func (o AnalyzeOptions) withDefaults() AnalyzeOptions {
	if o.ExcerptTokens <= 0 {
		o.ExcerptTokens = 3000
	}
	if o.MaxTemplates <= 0 {
		o.MaxTemplates = 2000
	}
	if o.MaxLocations <= 0 {
		o.MaxLocations = 20
	}
	if o.MaxFingerprints <= 0 {
		o.MaxFingerprints = 50
	}
	if o.MaxExcerptLineBytes <= 0 {
		o.MaxExcerptLineBytes = 1000
	}
	if o.MaxKeyLineBytes <= 0 {
		o.MaxKeyLineBytes = 8192
	}
	return o
}

// TemplateStat is one line template: its level, how often it occurred and
// its first (redacted) occurrence.
type TemplateStat struct {
	Template  string `json:"template"`
	Level     string `json:"level,omitempty"`
	Count     int    `json:"count"`
	FirstLine int    `json:"first_line"`
	LastLine  int    `json:"last_line,omitempty"` // the last occurrence
	Example   string `json:"example"`             // the first occurrence, redacted (cut when long)
	Component string `json:"component,omitempty"`
	FirstTime string `json:"first_time,omitempty"`
}

// SignalCount is how often a fatal signature occurred.
type SignalCount struct {
	Name      string `json:"name"`
	Reason    string `json:"reason"`
	Count     int    `json:"count"`
	FirstLine int    `json:"first_line"`
	Example   string `json:"example"`
}

// Analysis is what one pass over the redacted log yields. Its size does not
// grow with the log: counts are exact, everything else is capped.
type Analysis struct {
	Lines         int
	LevelCounts   map[string]int
	Findings      []FindingSummary
	Excerpt       []string // redacted lines, in log order (cut when long)
	ExcerptLines  []int    // stream line number of each Excerpt element
	ExcerptTokens int
	// ExcerptCut has an entry for each Excerpt index whose line was cut:
	// the whole redacted line, or "" when it is longer than MaxKeyLineBytes
	// (or maxJoinedLineBytes). See WholeLine.
	ExcerptCut map[int]string
	// Templates are the tracked templates, most severe level first, then most frequent.
	Templates      []TemplateStat
	UntrackedLines int // lines of templates beyond MaxTemplates
	Signals        []SignalCount
	StackTraces    int
	FirstTime      string
	LastTime       string
}

// ErrorLines is the number of error and fatal lines.
func (a *Analysis) ErrorLines() int { return a.LevelCounts[LevelError] + a.LevelCounts[LevelFatal] }

// EstimateTokens is the budget's unit: about 4 bytes a token, at least one a line.
func EstimateTokens(s string) int { return len(s)/4 + 1 }

// excerpt candidate groups, in the order the budget is spent on them.
const (
	groupFatal = iota
	groupError
	groupWarn
	groupOther
	nGroups
)

type exLine struct {
	num  int
	text string // cut when long
	// cut says text was cut; whole is then the whole line, "" when too long to keep.
	cut   bool
	whole string
}

// unit is a candidate: a line with its context and stack trace.
type unit struct {
	group   int
	primary exLine
	context []exLine
	stack   bool // context holds a stack trace (keep collecting)
}

const (
	contextBefore = 2
	maxUnitLines  = 30
	headLines     = 3
	tailLines     = 3
)

// analyzer aggregates one pass; feed it every line with observe, then finish.
type analyzer struct {
	opt       AnalyzeOptions
	a         Analysis
	templates map[string]*TemplateStat
	findings  map[string]*findingAgg
	groups    [nGroups][]*unit
	groupTok  [nGroups]int
	open      *unit
	before    [contextBefore]ringLine
	head      []exLine
	tail      [tailLines]ringLine
	tmplBuf   []byte
	lower     []byte
	// A very long line arriving in Partial chunks, joined (capped).
	partial, partialBuf []byte
	partialOff          int64
	joinedTooLong       bool // the line being observed was longer than maxJoinedLineBytes
	sigBuf              []int
	signals             []SignalCount
	inTrace             bool  // a frame of the current stack block was counted
	nextHdr             int64 // offset of the next member header seen, -1 when none
}

type ringLine struct {
	num  int
	n    int    // the line's length
	text []byte // the line; only its excerpt part when it is too long to be a key line
	long bool   // too long to be a key line
}

// set keeps one copy of the line: whole when it can be a key line, else
// only what the excerpt shows. exLine cuts it when it is read.
func (r *ringLine) set(z *analyzer, num int, text []byte) {
	r.num, r.n = num, len(text)
	r.long = len(text) > z.opt.MaxKeyLineBytes || z.joinedTooLong
	if r.long {
		text = text[:min(len(text), z.opt.MaxExcerptLineBytes)]
	}
	r.text = append(r.text[:0], text...)
}

func (r *ringLine) exLine(z *analyzer) exLine {
	limit := z.opt.MaxExcerptLineBytes
	if r.n <= limit {
		return exLine{num: r.num, text: string(r.text)}
	}
	l := exLine{num: r.num, text: string(r.text[:limit]) + cutMark, cut: true}
	if !r.long {
		l.whole = string(r.text)
	}
	return l
}

// maxDistinct bounds the distinct values counted per finding type (memory).
const maxDistinct = 10000

type findingAgg struct {
	sum FindingSummary
	fps map[string]bool
}

func newAnalyzer(opt AnalyzeOptions) *analyzer {
	opt = opt.withDefaults()
	z := &analyzer{
		opt:       opt,
		templates: map[string]*TemplateStat{},
		findings:  map[string]*findingAgg{},
		signals:   make([]SignalCount, len(FatalSignals)),
	}
	z.a.LevelCounts = map[string]int{}
	for i, s := range FatalSignals {
		z.signals[i] = SignalCount{Name: s.Name, Reason: s.Reason}
	}
	return z
}

// maxJoinedLineBytes is how much of a very long line (delivered in
// Partial chunks) is kept to judge it: far more than the level scan, the
// template key and the excerpt cut need.
const maxJoinedLineBytes = 64 << 10

// line takes one RedactedLine. Chunks of a very long line are joined (up to
// maxJoinedLineBytes) and judged once when its last chunk arrives; their
// findings all count. l.Text is only read during the call.
func (z *analyzer) line(l detectors.RedactedLine) {
	if !l.Partial && z.partial == nil {
		z.observe(l.Number, l.Offset, l.Text, l.Findings)
		return
	}
	if z.partial == nil {
		z.partial, z.partialOff = z.partialBuf[:0], l.Offset
	}
	room := max(maxJoinedLineBytes-len(z.partial), 0)
	z.partial = append(z.partial, l.Text[:min(len(l.Text), room)]...)
	member, header := z.memberAt(z.partialOff)
	if !header {
		for i := range l.Findings {
			z.addFinding(&l.Findings[i], member)
		}
	}
	if l.Partial {
		return
	}
	text := z.partial
	z.partialBuf, z.partial = text, nil
	// A line joined up to the cap is not whole: it can never be a key line.
	z.joinedTooLong = len(text) >= maxJoinedLineBytes
	z.observe(l.Number, z.partialOff, text, nil)
	z.joinedTooLong = false
}

// memberAt is the archive member holding stream offset off (nil outside
// archives), and whether off is the member's own header line.
func (z *analyzer) memberAt(off int64) (*Member, bool) {
	if z.opt.Members == nil {
		return nil, false
	}
	m, ok := z.opt.Members.MemberAt(off)
	if !ok {
		return nil, false
	}
	return &m, m.HeaderOffset == off
}

// observe takes one whole redacted line (no line ending) with its findings.
// text is only read during the call.
func (z *analyzer) observe(num int, off int64, text []byte, findings []detectors.Finding) {
	text = bytes.TrimSuffix(text, []byte{'\r'})
	member, header := z.memberAt(off)
	if header {
		return // our own "==> member <==" line, not log content
	}
	for i := range findings {
		z.addFinding(&findings[i], member)
	}
	z.a.Lines++

	z.lower = appendLower(z.lower[:0], text)
	level, levelEnd := lineLevel(text, z.lower)
	stackLine := IsStackLine(text) || z.inTrace && goFuncLine(text)
	if stackLine {
		// Frames and "Caused by:" belong to the error they follow; a nested
		// "FATAL:" inside a cause is the remote side's wording, not this log's level.
		level = ""
	}
	if level != "" {
		z.a.LevelCounts[level]++
	}
	sigs := matchSignals(text, z.lower, z.sigBuf)
	z.sigBuf = sigs
	if level == "" && len(sigs) > 0 && !stackLine {
		// "backend has no server available!" names no level but is a failure.
		level = LevelError
		z.a.LevelCounts[level]++
	}
	for _, i := range sigs {
		s := &z.signals[i]
		if s.Count == 0 {
			s.FirstLine = num
			s.Example = z.cut(text)
		}
		s.Count++
	}
	// A trace is counted at its first frame; indented lines without one
	// (detail blocks, wrapped messages) are continuations, not traces.
	if !stackLine {
		z.inTrace = false
	} else if !z.inTrace && IsFrame(text) {
		z.a.StackTraces++
		z.inTrace = true
	}
	if z.a.FirstTime == "" && z.a.Lines <= 20 {
		z.a.FirstTime = Timestamp(text)
	}

	// Extend the open unit with its stack trace, or close it with one line of context.
	if u := z.open; u != nil {
		if (stackLine || u.stack && len(text) > 0 && (text[0] == ' ' || text[0] == '\t')) && len(u.context) < maxUnitLines {
			u.context = append(u.context, z.exLine(num, text))
			u.stack = true
			z.groupTok[u.group] += EstimateTokens(u.context[len(u.context)-1].text)
		} else {
			if len(u.context) < maxUnitLines && !stackLine {
				u.context = append(u.context, z.exLine(num, text))
			}
			z.open = nil
		}
	}

	group := groupOther
	switch {
	case level == LevelFatal || len(sigs) > 0:
		group = groupFatal
	case level == LevelError || StartsTrace(text):
		group = groupError
	case level == LevelWarn:
		group = groupWarn
	}

	z.tmplBuf = appendTemplate(z.tmplBuf[:0], text)
	if z.opt.Observe != nil && !stackLine {
		z.opt.Observe(num, text, z.tmplBuf, level, levelEnd, findings)
	}
	if stackLine {
		// Frames are collected with their error; they are not templates of their own.
	} else if t, ok := z.templates[string(z.tmplBuf)]; ok {
		t.Count++
		t.LastLine = num
	} else if len(z.templates) >= z.opt.MaxTemplates {
		z.a.UntrackedLines++
	} else {
		primary := z.exLine(num, text)
		t := &TemplateStat{Template: string(z.tmplBuf), Level: level, Count: 1, FirstLine: num, LastLine: num, Example: primary.text}
		if group <= groupWarn {
			t.Component = Component(text, levelEnd)
			t.FirstTime = Timestamp(text)
		}
		z.templates[t.Template] = t
		if z.groupTok[group] < z.opt.ExcerptTokens {
			u := &unit{group: group, primary: primary}
			if group <= groupError {
				for _, r := range z.before {
					if r.num > 0 && r.num >= num-contextBefore {
						u.context = append(u.context, r.exLine(z))
					}
				}
				sort.Slice(u.context, func(i, j int) bool { return u.context[i].num < u.context[j].num })
				z.open = u
			}
			z.groups[group] = append(z.groups[group], u)
			z.groupTok[group] += EstimateTokens(u.primary.text)
			for _, c := range u.context {
				z.groupTok[group] += EstimateTokens(c.text)
			}
		}
	}

	if len(z.head) < headLines {
		z.head = append(z.head, z.exLine(num, text))
	}
	z.before[num%contextBefore].set(z, num, text)
	z.tail[num%tailLines].set(z, num, text)
}

// exLine is a line kept for the excerpt: cut when long, with its whole
// text when that is short enough to be a key line.
func (z *analyzer) exLine(num int, text []byte) exLine {
	l := exLine{num: num, text: z.cut(text)}
	if len(text) > z.opt.MaxExcerptLineBytes {
		l.cut = true
		if len(text) <= z.opt.MaxKeyLineBytes && !z.joinedTooLong {
			l.whole = string(text)
		}
	}
	return l
}

// cutMark ends an excerpt line that was cut.
const cutMark = " …[cut]"

// cut bounds a line kept for the excerpt.
func (z *analyzer) cut(text []byte) string { return string(z.cutBytes(nil, text)) }

func (z *analyzer) cutBytes(dst, text []byte) []byte {
	if len(text) <= z.opt.MaxExcerptLineBytes {
		return append(dst, text...)
	}
	return append(append(dst, text[:z.opt.MaxExcerptLineBytes]...), cutMark...)
}

func (z *analyzer) addFinding(f *detectors.Finding, m *Member) {
	agg, ok := z.findings[f.Type]
	if !ok {
		agg = &findingAgg{sum: FindingSummary{Type: f.Type, Category: string(f.Category), Locations: []Location{}, Fingerprints: []string{}}, fps: map[string]bool{}}
		z.findings[f.Type] = agg
	}
	agg.sum.Count++
	if len(agg.sum.Locations) < z.opt.MaxLocations {
		loc := Location{File: z.opt.FileName, Line: f.Line, Start: f.Start, End: f.End}
		if m != nil {
			loc = Location{File: m.Name, Line: f.Line - m.FirstLine + 1, Start: f.Start - m.Offset, End: f.End - m.Offset}
		}
		agg.sum.Locations = append(agg.sum.Locations, loc)
	}
	if f.Fingerprint != "" && !agg.fps[f.Fingerprint] && len(agg.fps) < maxDistinct {
		agg.fps[f.Fingerprint] = true
		agg.sum.Distinct = len(agg.fps)
		if len(agg.sum.Fingerprints) < z.opt.MaxFingerprints {
			agg.sum.Fingerprints = append(agg.sum.Fingerprints, f.Fingerprint)
		}
	}
}

// finish chooses the excerpt within the budget and returns the analysis.
func (z *analyzer) finish() *Analysis {
	a := &z.a
	tail := z.tailLines()
	for i := len(tail) - 1; i >= 0 && a.LastTime == ""; i-- {
		a.LastTime = Timestamp([]byte(tail[i].text))
	}

	sel := newSelection(z.opt.ExcerptTokens)
	// Errors first, one line each, so many distinct errors beat one long trace.
	for g := groupFatal; g <= groupError; g++ {
		for _, u := range z.groups[g] {
			sel.add(u.primary)
		}
	}
	for _, l := range z.head {
		sel.add(l)
	}
	for _, l := range tail {
		sel.add(l)
	}
	for g := groupFatal; g <= groupError; g++ {
		for _, u := range z.groups[g] {
			for _, c := range u.context {
				sel.add(c)
			}
		}
	}
	for g := groupWarn; g < nGroups; g++ {
		for _, u := range z.groups[g] {
			sel.add(u.primary)
		}
	}
	a.Excerpt, a.ExcerptLines, a.ExcerptCut, a.ExcerptTokens = sel.lines()

	for _, t := range z.templates {
		a.Templates = append(a.Templates, *t)
	}
	sort.Slice(a.Templates, func(i, j int) bool {
		ti, tj := a.Templates[i], a.Templates[j]
		if ri, rj := levelRank(ti.Level), levelRank(tj.Level); ri != rj {
			return ri < rj
		}
		if ti.Count != tj.Count {
			return ti.Count > tj.Count
		}
		return ti.FirstLine < tj.FirstLine
	})
	for _, s := range z.signals {
		if s.Count > 0 {
			a.Signals = append(a.Signals, s)
		}
	}
	for _, f := range z.findings {
		a.Findings = append(a.Findings, f.sum)
	}
	SortFindings(a.Findings)
	return a
}

func (z *analyzer) tailLines() []exLine {
	var out []exLine
	for i := range z.tail {
		if r := &z.tail[i]; r.num > 0 {
			out = append(out, r.exLine(z))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].num < out[j].num })
	return out
}

// SortFindings orders summaries secrets first, then by count, then by type.
func SortFindings(fs []FindingSummary) {
	sort.Slice(fs, func(i, j int) bool {
		if (fs[i].Category == string(detectors.CategorySecret)) != (fs[j].Category == string(detectors.CategorySecret)) {
			return fs[i].Category == string(detectors.CategorySecret)
		}
		if fs[i].Count != fs[j].Count {
			return fs[i].Count > fs[j].Count
		}
		return fs[i].Type < fs[j].Type
	})
}

// levelRank orders levels most severe first; unknown last.
func levelRank(level string) int {
	switch level {
	case LevelFatal:
		return 0
	case LevelError:
		return 1
	case LevelWarn:
		return 2
	case LevelInfo:
		return 3
	case LevelDebug:
		return 4
	}
	return 5
}

type selection struct {
	budget, used int
	picked       map[int]exLine
}

func newSelection(budget int) *selection {
	return &selection{budget: budget, picked: map[int]exLine{}}
}

func (s *selection) add(l exLine) {
	if _, dup := s.picked[l.num]; dup {
		return
	}
	if t := EstimateTokens(l.text); s.used+t <= s.budget {
		s.used += t
		s.picked[l.num] = l
	}
}

func (s *selection) lines() ([]string, []int, map[int]string, int) {
	nums := make([]int, 0, len(s.picked))
	for n := range s.picked {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	text := make([]string, len(nums))
	var cut map[int]string
	for i, n := range nums {
		l := s.picked[n]
		text[i] = l.text
		if l.cut {
			if cut == nil {
				cut = map[int]string{}
			}
			cut[i] = l.whole
		}
	}
	return text, nums, cut, s.used
}

// WholeLine is the whole redacted line behind excerpt line i, and false
// when that line was cut and is too long to keep whole.
func (a *Analysis) WholeLine(i int) (string, bool) {
	if whole, cut := a.ExcerptCut[i]; cut {
		return whole, whole != ""
	}
	return a.Excerpt[i], true
}

// WholeKeyLines maps key lines, which classifiers pick from the excerpt, to
// the whole lines of the redacted log: a cut line becomes its whole text, a
// line too long to keep whole or not in the excerpt is dropped. So every key
// line of a case is an exact line of the redacted log.
func (a *Analysis) WholeKeyLines(keys []string) []string {
	index := make(map[string]int, len(a.Excerpt))
	for i, l := range a.Excerpt {
		if _, dup := index[l]; !dup {
			index[l] = i
		}
	}
	out := []string{}
	for _, k := range keys {
		i, ok := index[k]
		if !ok {
			continue
		}
		if whole, ok := a.WholeLine(i); ok && !slices.Contains(out, whole) {
			out = append(out, whole)
		}
	}
	return out
}
