package triage

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/logtriage/logtriage/detectors"
)

// PIISpan is one entity a PIIDetector found in the lines it was given.
type PIISpan struct {
	Line       int     // index into the lines
	Start, End int     // byte offsets in that line, end exclusive
	Type       string  // detectors.TypePersonName | detectors.TypeStreetAddress
	Confidence float64 // 0..1
}

// PIIDetector finds the PII patterns cannot: person names and street
// addresses. It is given excerpt lines that are already pattern-redacted.
// Implementation: triage/llm.PIIDetector.
type PIIDetector interface {
	DetectPII(ctx context.Context, lines []string) ([]PIISpan, error)
}

// PIIMetered is implemented by PIIDetectors that spend tokens, so the pass
// can record them on the case next to the classifier's.
type PIIMetered interface {
	DetectPIIMetered(ctx context.Context, lines []string) ([]PIISpan, Tokens, error)
}

// PIIFinding is a span ApplyPII accepted and replaced.
type PIIFinding struct {
	Line        int // index into the lines
	Start, End  int // the replaced bytes of the input line
	Type        string
	Confidence  float64
	Fingerprint string // keyed, of the normalized value
	Placeholder string // what replaced the value, e.g. [PERSON_NAME:1a2b3c4d]
}

// maxPIISpanBytes bounds an entity: a name or an address longer than this
// is a model gone wrong, and replacing it would erase the line's meaning.
const maxPIISpanBytes = 200

// placeholderRE matches the detectors' placeholders, [EMAIL:3f9a1c2e] and
// [EMAIL], so an entity never cuts into one.
var placeholderRE = regexp.MustCompile(`\[[A-Z][A-Z0-9_]*(?::[0-9A-Za-z_.-]{1,64})?\]`)

// llmPIITypes are the types a PIISpan may carry.
var llmPIITypes = map[string]bool{detectors.TypePersonName: true, detectors.TypeStreetAddress: true}

// ApplyPII replaces the valid spans with typed, fingerprinted placeholders
// and returns the new lines and what it replaced, in line then byte order.
// A span is dropped when it is out of range, not on rune boundaries, blank,
// longer than maxPIISpanBytes, of an unknown type, or overlapping a
// placeholder already in the line; spans overlapping each other are merged.
// fp is the detectors engine's keyed fingerprint, so the same name gets
// the same placeholder across uploads; nil means no fingerprints ([PERSON_NAME]).
func ApplyPII(lines []string, spans []PIISpan, fp func([]byte) string) ([]string, []PIIFinding) {
	byLine := map[int][]PIISpan{}
	for _, s := range spans {
		if s.Line >= 0 && s.Line < len(lines) {
			byLine[s.Line] = append(byLine[s.Line], s)
		}
	}
	out := append([]string(nil), lines...)
	var found []PIIFinding
	idx := make([]int, 0, len(byLine))
	for i := range byLine {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	placeholders := map[string]string{} // type and normalized value -> placeholder, fingerprint
	for _, i := range idx {
		line := lines[i]
		var existing [][]int
		if strings.IndexByte(line, '[') >= 0 {
			existing = placeholderRE.FindAllStringIndex(line, -1)
		}
		valid := byLine[i][:0]
		for _, s := range byLine[i] {
			if validSpan(line, s, existing) {
				valid = append(valid, s)
			}
		}
		if len(valid) == 0 {
			continue
		}
		var b strings.Builder
		pos := 0
		for _, s := range mergeSpans(valid) {
			f := PIIFinding{Line: i, Start: s.Start, End: s.End, Type: s.Type, Confidence: s.Confidence}
			f.Placeholder, f.Fingerprint = placeholder(s.Type, line[s.Start:s.End], fp, placeholders)
			b.WriteString(line[pos:s.Start])
			b.WriteString(f.Placeholder)
			pos = s.End
			found = append(found, f)
		}
		b.WriteString(line[pos:])
		out[i] = b.String()
	}
	return out, found
}

// placeholder renders a value as the detectors do, [PERSON_NAME:1a2b3c4d],
// with the fingerprint of its normalized form; cache saves the HMAC for
// values seen before.
func placeholder(typ, value string, fp func([]byte) string, cache map[string]string) (placeholder, fingerprint string) {
	name := strings.ToUpper(typ)
	if fp == nil {
		return "[" + name + "]", ""
	}
	norm := normalizePII(value)
	fingerprint, ok := cache[norm]
	if !ok {
		fingerprint = fp([]byte(norm))
		cache[norm] = fingerprint
	}
	if len(fingerprint) < 8 {
		return "[" + name + "]", fingerprint
	}
	return "[" + name + ":" + fingerprint[:8] + "]", fingerprint
}

// validSpan checks s against its line and the placeholders already in it.
func validSpan(line string, s PIISpan, existing [][]int) bool {
	if !llmPIITypes[s.Type] {
		return false
	}
	if s.Start < 0 || s.End > len(line) || s.Start >= s.End || s.End-s.Start > maxPIISpanBytes {
		return false
	}
	if !utf8.RuneStart(line[s.Start]) || s.End < len(line) && !utf8.RuneStart(line[s.End]) {
		return false
	}
	if strings.TrimSpace(line[s.Start:s.End]) == "" {
		return false
	}
	for _, p := range existing {
		if s.Start < p[1] && p[0] < s.End {
			return false
		}
	}
	return true
}

// mergeSpans sorts one line's spans and merges overlapping ones: the union
// is replaced, typed as the span that starts first (the longest on a tie),
// so no part of either value survives.
func mergeSpans(spans []PIISpan) []PIISpan {
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].Start != spans[j].Start {
			return spans[i].Start < spans[j].Start
		}
		return spans[i].End > spans[j].End
	})
	out := spans[:0:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.Start < out[n-1].End {
			last := &out[n-1]
			last.End = max(last.End, s.End)
			last.Confidence = max(last.Confidence, s.Confidence)
			continue
		}
		out = append(out, s)
	}
	return out
}

// normalizePII is the form fingerprinted: case and spacing do not make
// "John  Smith" and "JOHN SMITH" different people.
func normalizePII(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(v), " "))
}

// PIIPassOptions configure RedactPII.
type PIIPassOptions struct {
	// Fingerprint is the detectors engine's keyed fingerprint; required.
	Fingerprint func([]byte) string
	// FileName and Members locate excerpt lines as the pattern findings are
	// located: in the upload, or in an archive member.
	FileName string
	Members  []Member
	// MaxLocations and MaxFingerprints cap a summary as AnalyzeOptions do
	// (defaults 20 and 50).
	MaxLocations, MaxFingerprints int
}

// PIIPassResult says what the pass did, for ClassifierInfo.
type PIIPassResult struct {
	Status string // "llm", or "skipped: <reason>"
	Tokens Tokens
	Found  int // values replaced in the excerpt
}

// RedactPII runs d over a's excerpt and, when it succeeds, replaces every
// occurrence of each value it found, in the excerpt and in the templates,
// signals and timestamps taken from the log, with its placeholder, and
// merges the findings into a.Findings. On any error a is left as it was
// and the reason is in the result: the case proceeds with pattern
// redaction only. It never returns an error of its own.
func RedactPII(ctx context.Context, d PIIDetector, a *Analysis, opt PIIPassOptions) PIIPassResult {
	if opt.Fingerprint == nil {
		return PIIPassResult{Status: "skipped: no fingerprint key"}
	}
	if len(a.Excerpt) == 0 {
		return PIIPassResult{Status: "llm"}
	}
	var (
		spans []PIISpan
		res   PIIPassResult
		err   error
	)
	if m, ok := d.(PIIMetered); ok {
		spans, res.Tokens, err = m.DetectPIIMetered(ctx, a.Excerpt)
	} else {
		spans, err = d.DetectPII(ctx, a.Excerpt)
	}
	if err != nil {
		res.Status = "skipped: " + err.Error()
		return res
	}
	res.Status = "llm"
	// Find every other occurrence of an accepted value: a model that
	// names a person once in a line still means every mention.
	_, first := ApplyPII(a.Excerpt, spans, opt.Fingerprint)
	values := piiValues(a.Excerpt, first)
	var every []PIISpan
	for i, line := range a.Excerpt {
		for _, v := range values {
			for _, at := range WordOccurrences(line, v.text) {
				every = append(every, PIISpan{Line: i, Start: at, End: at + len(v.text), Type: v.typ, Confidence: v.conf})
			}
		}
	}
	redacted, found := ApplyPII(a.Excerpt, every, opt.Fingerprint)
	a.Excerpt = redacted
	res.Found = len(found)
	scrubAnalysis(a, values, opt.Fingerprint)
	a.Findings = mergePIIFindings(a.Findings, found, a.ExcerptLines, opt)
	return res
}

// piiValue is one distinct value found, longest first so a full name is
// replaced before a part of it.
type piiValue struct {
	text, typ string
	conf      float64
}

func piiValues(lines []string, found []PIIFinding) []piiValue {
	seen := map[string]bool{}
	var out []piiValue
	for _, f := range found {
		text := lines[f.Line][f.Start:f.End]
		if !seen[text] {
			seen[text] = true
			out = append(out, piiValue{text: text, typ: f.Type, conf: f.Confidence})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].text) > len(out[j].text) })
	return out
}

// WordOccurrences are the offsets of v in s that do not start or end
// inside a word: "Al" is not a name inside "Alert".
func WordOccurrences(s, v string) []int {
	var at []int
	if v == "" {
		return nil
	}
	for from := 0; from <= len(s)-len(v); {
		i := strings.Index(s[from:], v)
		if i < 0 {
			break
		}
		i += from
		if wordEdge(s, i, v) {
			at = append(at, i)
		}
		from = i + 1
	}
	return at
}

func wordEdge(s string, i int, v string) bool {
	r, _ := utf8.DecodeRuneInString(v)
	if before, _ := utf8.DecodeLastRuneInString(s[:i]); i > 0 && isWordRune(before) && isWordRune(r) {
		return false
	}
	r, _ = utf8.DecodeLastRuneInString(v)
	if after, _ := utf8.DecodeRuneInString(s[i+len(v):]); i+len(v) < len(s) && isWordRune(after) && isWordRune(r) {
		return false
	}
	return true
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// scrubAnalysis replaces the values found wherever the analysis carries
// log text besides the excerpt: templates and their examples, signal
// examples, timestamps, the whole text of cut excerpt lines. The model never saw these, so nothing is counted.
// Templates hold values in template form ("12 Main St" is "<*> Main St"
// there), so that form is replaced too, by the value's own placeholder.
func scrubAnalysis(a *Analysis, values []piiValue, fp func([]byte) string) {
	var plain, templated []substitution
	for _, v := range values {
		_, f := ApplyPII([]string{v.text}, []PIISpan{{End: len(v.text), Type: v.typ}}, fp)
		if len(f) == 0 {
			continue
		}
		sub := substitution{v.text, f[0].Placeholder}
		plain = append(plain, sub)
		templated = append(templated, sub)
		if t := string(appendTemplate(nil, []byte(v.text))); t != v.text && strings.ContainsFunc(strings.ReplaceAll(t, "<*>", ""), unicode.IsLetter) {
			templated = append(templated, substitution{t, f[0].Placeholder})
		}
	}
	for i := range a.Templates {
		t := &a.Templates[i]
		t.Template, t.Example = substitute(t.Template, templated), substitute(t.Example, plain)
	}
	for i := range a.Signals {
		a.Signals[i].Example = substitute(a.Signals[i].Example, plain)
	}
	a.FirstTime, a.LastTime = substitute(a.FirstTime, plain), substitute(a.LastTime, plain)
	for i, whole := range a.ExcerptCut {
		a.ExcerptCut[i] = substitute(whole, plain)
	}
}

// substitution replaces whole-word occurrences of text with placeholder.
type substitution struct{ text, placeholder string }

// substitute applies subs to s; where occurrences overlap, the one that
// starts first (the longest on a tie) wins.
func substitute(s string, subs []substitution) string {
	type hit struct {
		start, end  int
		placeholder string
	}
	var hits []hit
	for _, sub := range subs {
		for _, at := range WordOccurrences(s, sub.text) {
			hits = append(hits, hit{at, at + len(sub.text), sub.placeholder})
		}
	}
	if len(hits) == 0 {
		return s
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].start != hits[j].start {
			return hits[i].start < hits[j].start
		}
		return hits[i].end > hits[j].end
	})
	var b strings.Builder
	pos := 0
	for _, h := range hits {
		if h.start < pos {
			continue
		}
		b.WriteString(s[pos:h.start])
		b.WriteString(h.placeholder)
		pos = h.end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// mergePIIFindings adds the pass's findings to the pattern findings, one
// summary per type. Locations are line-level: the excerpt holds redacted
// text, so byte offsets into the upload are not known (Start and End 0).
// Counts are occurrences in the excerpt, a lower bound for the log.
func mergePIIFindings(sums []FindingSummary, found []PIIFinding, lineNumbers []int, opt PIIPassOptions) []FindingSummary {
	if len(found) == 0 {
		return sums
	}
	maxLoc, maxFP := opt.MaxLocations, opt.MaxFingerprints
	if maxLoc <= 0 {
		maxLoc = 20
	}
	if maxFP <= 0 {
		maxFP = 50
	}
	index := map[string]int{}
	seen := map[string]bool{} // type + fingerprint counted as distinct
	for i, s := range sums {
		index[s.Type] = i
	}
	for _, f := range found {
		i, ok := index[f.Type]
		if !ok {
			sums = append(sums, FindingSummary{Type: f.Type, Category: string(detectors.CategoryPII), Locations: []Location{}, Fingerprints: []string{}})
			i = len(sums) - 1
			index[f.Type] = i
		}
		s := &sums[i]
		s.Count++
		if len(s.Locations) < maxLoc {
			s.Locations = append(s.Locations, excerptLocation(f.Line, lineNumbers, opt))
		}
		if key := f.Type + "/" + f.Fingerprint; f.Fingerprint != "" && !seen[key] && !contains(s.Fingerprints, f.Fingerprint) {
			seen[key] = true
			s.Distinct++
			if len(s.Fingerprints) < maxFP {
				s.Fingerprints = append(s.Fingerprints, f.Fingerprint)
			}
		}
	}
	SortFindings(sums)
	return sums
}

// excerptLocation maps an excerpt index to the file and line it came from.
func excerptLocation(i int, lineNumbers []int, opt PIIPassOptions) Location {
	loc := Location{File: opt.FileName}
	if i >= len(lineNumbers) {
		return loc
	}
	loc.Line = lineNumbers[i]
	for j := len(opt.Members) - 1; j >= 0; j-- {
		if m := opt.Members[j]; loc.Line >= m.FirstLine {
			return Location{File: m.Name, Line: loc.Line - m.FirstLine + 1}
		}
	}
	return loc
}

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}
