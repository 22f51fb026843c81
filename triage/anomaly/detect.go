package anomaly

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/logtriage/logtriage/triage/drain"
)

// Signal kinds.
const (
	KindNovelTemplate    = "novel_template"     // never seen for this tenant nor for any other
	KindNewTemplate      = "new_template"       // never seen for this tenant
	KindErrorRate        = "error_rate"         // error lines far above the tenant's usual rate
	KindWarnRate         = "warn_rate"          // warning lines far above the tenant's usual rate
	KindTemplateRate     = "template_rate"      // a known failing template far more frequent (or failing) than usual
	KindBurst            = "burst"              // a template's rate in one minute far above its median in this log
	KindRepeatedFailure  = "repeated_failure"   // one operation failing again and again, no success after
	KindFailedLoginBurst = "failed_login_burst" // many failed logins in one minute
	KindNewAdmin         = "new_admin_actor"    // an administrator action by an actor never seen as one
	KindNewActor         = "new_actor"          // a login by an actor never seen
	KindNewSource        = "new_source"         // a login or admin action from an address never seen
)

// Signal is one anomaly of an upload. It names no raw value: templates are
// masked and redacted, actors and addresses appear only as fingerprints.
type Signal struct {
	Kind       string `json:"kind"`
	Reason     string `json:"reason"`
	Template   string `json:"template,omitempty"`
	TemplateID string `json:"template_id,omitempty"`
	// Lines are the first line numbers that show it (at most five).
	Lines []int `json:"lines,omitempty"`
	Count int   `json:"count,omitempty"` // lines (or events) behind it
	// Fingerprint is the actor's or address's keyed fingerprint for the
	// actor and source kinds.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Weight is the severity points it adds (see Weight).
	Weight float64 `json:"weight"`
	// Security marks the kinds the security team is alerted to.
	Security bool `json:"security,omitempty"`
}

// Weight is the severity points a signal of a kind adds for a template of
// a level ("" for kinds without a template). Failing templates weigh most;
// new info-level templates are listed but weigh nothing. The pipeline adds
// the points of all signals to the severity score, capped (see triage).
func Weight(kind, level string) float64 {
	failing := level == levelError || level == levelFatal
	switch kind {
	case KindNovelTemplate, KindNewTemplate:
		w := 0.0
		switch {
		case failing:
			w = 8
		case level == levelWarn:
			w = 3
		}
		if kind == KindNovelTemplate && w > 0 {
			w += 2 // nobody has logged it before: no known fix either
		}
		return w
	case KindErrorRate:
		return 10
	case KindWarnRate:
		return 4
	case KindTemplateRate:
		return 5
	case KindBurst:
		if failing || level == levelWarn {
			return 6
		}
		return 2
	case KindRepeatedFailure:
		return 8
	case KindFailedLoginBurst, KindNewAdmin:
		return 10
	case KindNewSource:
		return 4
	case KindNewActor:
		return 2
	}
	return 0
}

// Thresholds of the detectors. They are judgement, documented in
// docs/anomaly.md, not fitted to a labelled set.
const (
	minRateErrors   = 5    // error lines before an error rate is compared
	rateFactor      = 3.0  // times the tenant's median rate
	rateMargin      = 0.02 // and at least this much above it
	minShareLines   = 20   // template lines before its share is compared
	shareFactor     = 10.0 // times its share of lines in history
	minBurst        = 10   // lines in the peak minute
	burstFactor     = 5.0  // times the median per-minute count
	minBurstMinutes = 5    // minutes the log must span
	minRepeated     = 3    // failures of one operation
	maxNewTemplates = 20   // new-template signals listed; the rest are counted
)

var (
	failingWords = regexp.MustCompile(`\b(?:fail(?:ed|ure|s|ing)?|errors?|retry(?:ing)?|retries|tried|timed? ?out|unable|could not|cannot|refused|unreachable|exception|denied|aborted)\b`)
	successWords = regexp.MustCompile(`\b(?:succeeded|success(?:ful(?:ly)?)?|completed|connected|recovered|corrected|established|restored|ok|done|ready|started|resumed|healthy)\b`)
)

// TemplateIDs are the IDs of this upload's templates the baseline does not
// know: the ones to ask the store about (seen by any other upload?).
func (p *Profiler) TemplateIDs(base *Baseline) []string {
	var ids []string
	for _, s := range p.sortedStats() {
		id := p.miner.Cluster(s.cluster).ID
		if base == nil || base.Templates[id] == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// Detect compares the profiled upload with the tenant's baseline. known
// says which template IDs any other upload (of any tenant) has logged.
// Signals come most weighty first.
func (p *Profiler) Detect(base *Baseline, known map[string]bool) []Signal {
	if base == nil {
		base = NewBaseline(nil, time.Time{}, nil)
	}
	var out []Signal
	stats := p.sortedStats()
	minutes := len(p.minutes)
	out = append(out, p.newTemplates(stats, base, known)...)
	out = append(out, p.rates(base)...)
	for _, s := range stats {
		c := p.miner.Cluster(s.cluster)
		h := base.Templates[c.ID]
		if h != nil && p.usual(s, h, base) {
			continue // as frequent as this tenant's history has it: its normal
		}
		if sig, ok := p.templateRate(s, c, h, base); ok {
			out = append(out, sig)
		}
		if sig, ok := p.burst(s, c, minutes); ok {
			out = append(out, sig)
		}
	}
	out = append(out, p.repeatedFailures(stats, base)...)
	out = append(out, p.auth(base)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Weight > out[j].Weight })
	return out
}

func level(s *templateStat) string {
	switch {
	case s.errors > 0:
		return levelError
	case s.warns > 0:
		return levelWarn
	}
	return ""
}

func (p *Profiler) newTemplates(stats []*templateStat, base *Baseline, known map[string]bool) []Signal {
	if base.Uploads == 0 {
		return nil // no history: everything would be new
	}
	var out []Signal
	more := 0
	for _, s := range stats {
		c := p.miner.Cluster(s.cluster)
		if base.Templates[c.ID] != nil {
			continue
		}
		if len(out) == maxNewTemplates {
			more++
			continue
		}
		kind, where := KindNovelTemplate, "never seen for this tenant nor for any other"
		if known[c.ID] {
			kind, where = KindNewTemplate, "never seen for this tenant"
		}
		lvl := level(s)
		what := "template"
		if lvl != "" {
			what = lvl + " template"
		}
		out = append(out, Signal{
			Kind: kind, Template: c.Template, TemplateID: c.ID, Lines: s.lines, Count: s.count,
			Reason: fmt.Sprintf("%s %s (%d line(s), first at line %d)", what, where, s.count, s.first),
			Weight: Weight(kind, lvl),
		})
	}
	if more > 0 {
		out[len(out)-1].Reason += fmt.Sprintf("; %d more new template(s) not listed", more)
	}
	return out
}

func (p *Profiler) rates(base *Baseline) []Signal {
	if len(base.ErrorRates) == 0 || p.lines == 0 {
		return nil
	}
	var out []Signal
	check := func(kind, what string, n int, history []float64) {
		usual := median(history)
		rate := float64(n) / float64(p.lines)
		if n < minRateErrors || rate < rateFactor*usual || rate-usual < rateMargin {
			return
		}
		vs := "none usually"
		if usual > 0 {
			vs = fmt.Sprintf("this tenant's usual %.1f%% (%.0fx)", 100*usual, rate/usual)
		}
		out = append(out, Signal{Kind: kind, Count: n, Weight: Weight(kind, ""),
			Reason: fmt.Sprintf("%s rate %.1f%% (%d of %d lines) vs %s over %d earlier upload(s)", what, 100*rate, n, p.lines, vs, len(history))})
	}
	check(KindErrorRate, "error", p.errors, base.ErrorRates)
	check(KindWarnRate, "warning", p.warns, base.WarnRates)
	return out
}

// usual: the template is at most as frequent here as in the history, and
// fails no more often: intra-log patterns (bursts, retries) it shows are
// this tenant's normal.
func (p *Profiler) usual(s *templateStat, h *TemplateHistory, base *Baseline) bool {
	w := base.widest()
	if base.Lines[w] == 0 || h.Lines[w] == 0 {
		return false
	}
	share := float64(s.count) / float64(max(p.lines, 1))
	histShare := float64(h.Lines[w]) / float64(base.Lines[w])
	errRate := float64(s.errors) / float64(s.count)
	histErr := float64(h.Errors[w]) / float64(h.Lines[w])
	return share <= 2*histShare && errRate <= histErr+0.1
}

func (p *Profiler) templateRate(s *templateStat, c drain.Cluster, h *TemplateHistory, base *Baseline) (Signal, bool) {
	if h == nil || s.count < minShareLines || s.errors+s.warns == 0 {
		return Signal{}, false
	}
	w := base.widest()
	if base.Lines[w] == 0 || h.Lines[w] == 0 {
		return Signal{}, false
	}
	share := float64(s.count) / float64(p.lines)
	histShare := float64(h.Lines[w]) / float64(base.Lines[w])
	errRate := float64(s.errors) / float64(s.count)
	histErr := float64(h.Errors[w]) / float64(h.Lines[w])
	var why string
	switch {
	case share >= shareFactor*histShare:
		why = fmt.Sprintf("%.1f%% of lines vs %.2f%% in this tenant's last %s (%.0fx)", 100*share, 100*histShare, w, share/histShare)
	case errRate >= 0.5 && histErr < 0.1 && h.Lines[w] >= minShareLines:
		why = fmt.Sprintf("%.0f%% of its lines are errors vs %.0f%% in this tenant's last %s", 100*errRate, 100*histErr, w)
	default:
		return Signal{}, false
	}
	return Signal{Kind: KindTemplateRate, Template: c.Template, TemplateID: c.ID, Lines: s.lines, Count: s.count,
		Reason: "known " + level(s) + " template: " + why, Weight: Weight(KindTemplateRate, level(s))}, true
}

func (p *Profiler) burst(s *templateStat, c drain.Cluster, minutes int) (Signal, bool) {
	perMinute := s.minuteCounts()
	if minutes < minBurstMinutes || len(perMinute) == 0 {
		return Signal{}, false
	}
	counts := make([]float64, 0, minutes)
	peak := int32(0)
	for _, n := range perMinute {
		counts = append(counts, float64(n))
		peak = max(peak, n)
	}
	for len(counts) < minutes {
		counts = append(counts, 0) // minutes of the log without this template
	}
	med := median(counts)
	if peak < minBurst || float64(peak) < burstFactor*math.Max(med, 1) {
		return Signal{}, false
	}
	lvl := level(s)
	return Signal{Kind: KindBurst, Template: c.Template, TemplateID: c.ID, Lines: s.lines, Count: int(peak),
		Reason: fmt.Sprintf("%d lines in one minute vs a median of %.0f a minute in this log", peak, med),
		Weight: Weight(KindBurst, lvl)}, true
}

// stopWords are not the name of an operation.
var stopWords = map[string]bool{
	"with": true, "from": true, "that": true, "this": true, "will": true, "have": true, "been": true,
	"after": true, "before": true, "while": true, "into": true, "time": true, "times": true, "again": true,
	"error": true, "errors": true, "failed": true, "failure": true, "fail": true, "fails": true, "failing": true,
	"retry": true, "retrying": true, "retries": true, "tried": true, "attempt": true, "unable": true,
	"could": true, "cannot": true, "exception": true, "warn": true, "warning": true, "info": true,
	"fatal": true, "debug": true, "notice": true, "severe": true, "critical": true, "trace": true,
}

// opWords are the constant words of a template that may name its operation.
func opWords(template string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(template), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '_')
	}) {
		if len(f) >= 4 && !stopWords[f] {
			out[f] = true
		}
	}
	return out
}

// repeatedFailures: a failing template (failure words, warn level or
// worse, no success words) seen at least minRepeated times with no later
// success that names the same operation — a near miss that has not broken
// anything yet, or has and nobody said so. An operation is named by the
// template's distinctive words: words in more than maxOpShare of the log's
// templates (a host, a component, a level in every line's header) name
// nothing in particular.
func (p *Profiler) repeatedFailures(stats []*templateStat, base *Baseline) []Signal {
	words := make([]map[string]bool, len(stats))
	df := map[string]int{}
	for i, s := range stats {
		words[i] = opWords(p.miner.Cluster(s.cluster).Template)
		for w := range words[i] {
			df[w]++
		}
	}
	common := max(2, int(maxOpShare*float64(len(stats))))
	distinctive := func(i int) map[string]bool {
		out := map[string]bool{}
		for w := range words[i] {
			if df[w] <= common {
				out[w] = true
			}
		}
		return out
	}
	var out []Signal
	for i, f := range stats {
		if !f.failing || f.count < minRepeated || level(f) == "" {
			continue
		}
		c := p.miner.Cluster(f.cluster)
		if h := base.Templates[c.ID]; h != nil && p.usual(f, h, base) {
			continue
		}
		ops := distinctive(i)
		if len(ops) == 0 {
			continue
		}
		resolved := false
		for j, s := range stats {
			if !s.success || s.last <= f.last {
				continue
			}
			for w := range words[j] {
				if ops[w] {
					resolved = true
					break
				}
			}
			if resolved {
				break
			}
		}
		if resolved {
			continue
		}
		out = append(out, Signal{Kind: KindRepeatedFailure, Template: c.Template, TemplateID: c.ID, Lines: f.lines, Count: f.count,
			Reason: fmt.Sprintf("failed %d times (lines %d..%d) with no later success of the same operation", f.count, f.first, f.last),
			Weight: Weight(KindRepeatedFailure, level(f))})
	}
	return out
}

// maxOpShare: a word in more than this share of a log's templates does not
// name an operation.
const maxOpShare = 0.1

func (p *Profiler) auth(base *Baseline) []Signal {
	var out []Signal
	if len(p.failedN) > 0 {
		counts := make([]float64, 0, len(p.minutes))
		var peakMinute int32
		peak := 0
		for m, n := range p.failedN {
			counts = append(counts, float64(n))
			if n > peak || n == peak && m < peakMinute {
				peak, peakMinute = n, m
			}
		}
		for len(counts) < len(p.minutes) {
			counts = append(counts, 0)
		}
		med := median(counts)
		if peak >= minBurst && float64(peak) >= burstFactor*math.Max(med, 1) {
			out = append(out, Signal{Kind: KindFailedLoginBurst, Lines: p.failedAt[peakMinute], Count: peak, Security: true,
				Weight: Weight(KindFailedLoginBurst, ""),
				Reason: fmt.Sprintf("%d failed logins in one minute (%d in the log) vs a median of %.0f a minute", peak, p.failedAll, med)})
		}
	}
	if base.Uploads == 0 {
		return out // first-time actors need a history to be first-time
	}
	add := func(m map[string]int, seen map[string]bool, kind, what string, security bool) {
		for _, fp := range keys(m) {
			if kind == KindNewActor && p.admins[fp] > 0 && !base.Admins[fp] {
				continue // already reported as a new administrator
			}
			if !seen[fp] {
				out = append(out, Signal{Kind: kind, Fingerprint: fp, Lines: []int{m[fp]}, Count: 1, Security: security,
					Weight: Weight(kind, ""), Reason: fmt.Sprintf("%s never seen for this tenant, first at line %d", what, m[fp])})
			}
		}
	}
	add(p.admins, base.Admins, KindNewAdmin, "administrator action by an actor", true)
	add(p.actors, base.Actors, KindNewActor, "login by an actor", false)
	add(p.sources, base.Sources, KindNewSource, "login or admin action from a source address", true)
	return out
}
