package rules

import (
	"bytes"
	"context"
	"fmt"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/vocab"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/logtriage/logtriage/router"
)

// Classifier judges a log from its levels, fatal signatures and the
// routing config's category rules. It needs no service and never fails; it
// is the fallback for the LLM. Log text only ever selects among configured
// categories and skills: it cannot name a queue or a severity.
type Classifier struct {
	router *router.Router
	opts   Options
	// The categories with a declared role ("" when the config has none).
	security, transport string
}

// Options configure the rules classifier. The zero value is the shipped
// policy alone.
type Options struct {
	// Policy decides severity from the evidence; nil means DefaultPolicy.
	Policy *Policy
	// Scorer, when set, decides severity instead of the policy (the policy's
	// row is one of its inputs); see Model.
	Scorer Scorer
	// Observe, when set, is shown every classification's input and evidence
	// (the eval's cross-validation collects training data with it).
	Observe func(in triage.ClassifyInput, ev Evidence)
}

// Scorer is a severity decision over evidence: the learned model.
type Scorer interface {
	// Severity is the label for the evidence, given the policy's row.
	Severity(ev *Evidence, row *Row) (label, reason string)
}

var _ triage.Rules = (*Classifier)(nil)

// Injected implements triage.Rules.
func (c *Classifier) Injected(line string) bool { return injectedInstruction(line) }

// HardFailures implements triage.Rules.
func (c *Classifier) HardFailures(templates []triage.TemplateStat) int {
	k := kindsOf(templates, newReader())
	if k.startup {
		// Warnings the program got past while starting are not a dependency
		// down, and must not hold a clean start-up above info.
		return 0
	}
	return k.hard
}

// New uses r's categories and skills (nil means router.Default()) and the
// shipped policy.
func New(r *router.Router) *Classifier { return NewWithOptions(r, Options{}) }

// NewWithOptions is New with options.
func NewWithOptions(r *router.Router, opts Options) *Classifier {
	if r == nil {
		r = router.Default()
	}
	if opts.Policy == nil {
		opts.Policy = DefaultPolicy
	}
	return &Classifier{router: r, opts: opts, security: r.RoleCategory(router.RoleSecurity), transport: r.RoleCategory(router.RoleTransport)}
}

const (
	maxKeyLines = 8
	maxSkills   = 2 // the category's skill and the most specific one the log names
)

// Classify implements triage.Classifier.
func (c *Classifier) Classify(ctx context.Context, in triage.ClassifyInput) (triage.Classification, error) {
	cls := triage.Classification{Skills: []string{}, KeyLines: []string{}, ReproSteps: []string{}, Info: triage.ClassifierInfo{Kind: "rules"}}
	if in.TotalLines == 0 {
		cls.Severity = "info"
		cls.Category = c.allowedCategory(in, "")
		cls.Summary = fmt.Sprintf("%s is empty: there is nothing to triage.", triage.DisplayName(in.FileName))
		cls.RootCause = "No log content was uploaded; ask the customer to upload the log covering the failure."
		cls.ReproSteps = []string{"Ask the customer for a non-empty log of the failing run."}
		cls.Reasons = []string{"empty upload"}
		return cls, nil
	}
	ev, f, r, skills := c.extract(in)
	if c.opts.Observe != nil {
		c.opts.Observe(in, ev)
	}
	cls.Severity, cls.Reasons = c.decide(&ev, f)
	cls.Category, cls.Skills = ev.Category, skills
	if cls.Severity == "info" {
		// No problem, no specialist: the catch-all queue answers the
		// customer. Incidental words (a TLS handshake, a DNS name) do not
		// make a clean log the network team's; the skills still say what
		// the log is about.
		cls.Category = c.allowedCategory(in, "")
	}
	cls.KeyLines = c.keyLines(in.Excerpt, cls.Category, r)
	cls.Summary = summarize(in, f, cls)
	cls.RootCause = c.rootCause(f, cls.Category)
	cls.ReproSteps = reproSteps(in, f)
	cls.Evidence = incidentEvidence(&ev, cls.Category)
	return cls, nil
}

// facts are what the rules reason from.
type facts struct {
	lines, fatal, errors, warns int
	rate                        float64
	signals                     []triage.SignalCount
	firstError                  *triage.TemplateStat // earliest error-or-worse template
	topError                    *triage.TemplateStat // most severe, then most frequent
	component                   string               // the component logging most errors
	stackTraces                 int
	warnRepeat                  int // occurrences of the most repeated warning
}

func factsOf(in triage.ClassifyInput) facts {
	f := facts{
		lines:       in.TotalLines,
		fatal:       in.LevelCounts[triage.LevelFatal],
		errors:      in.LevelCounts[triage.LevelError],
		warns:       in.LevelCounts[triage.LevelWarn],
		signals:     in.Signals,
		stackTraces: in.StackTraces,
	}
	f.rate = float64(f.fatal+f.errors) / float64(max(f.lines, 1))
	byComponent := map[string]int{}
	for i := range in.Templates {
		t := &in.Templates[i]
		if t.Level == triage.LevelWarn {
			f.warnRepeat = max(f.warnRepeat, t.Count)
		}
		if t.Level != triage.LevelFatal && t.Level != triage.LevelError {
			continue
		}
		if f.topError == nil || t.Count > f.topError.Count {
			f.topError = t
		}
		if f.firstError == nil || t.FirstLine < f.firstError.FirstLine {
			f.firstError = t
		}
		if t.Component != "" {
			byComponent[t.Component] += t.Count
		}
	}
	best := 0
	for comp, n := range byComponent {
		if n > best || n == best && comp < f.component {
			f.component, best = comp, n
		}
	}
	return f
}

// decide is the severity the policy (or the learned scorer) gives the
// evidence, with why: the fatal signals seen, then the deciding row.
func (c *Classifier) decide(ev *Evidence, f facts) (string, []string) {
	var reasons []string
	for _, s := range f.signals {
		reasons = append(reasons, fmt.Sprintf("%s: %d line(s), first at line %d", s.Reason, s.Count, s.FirstLine))
	}
	v := ev.Vector()
	row := c.opts.Policy.Decide(v)
	label, why := row.Label, row.reason(ev)
	if c.opts.Scorer != nil {
		label, why = c.opts.Scorer.Severity(ev, row)
	}
	if ev.Kind != "" && (label == "critical" || label == "high" || label == "medium") {
		why += " (" + ev.Kind + ")"
	}
	reasons = append(reasons, why)
	if label == row.Label {
		for _, also := range c.opts.Policy.Agreeing(v, row) {
			reasons = append(reasons, also.reason(ev))
		}
	}
	return label, reasons
}

// hasCredential: a finding of the secret category (keys, tokens, passwords).
func hasCredential(findings []triage.FindingSummary) bool {
	for _, f := range findings {
		if f.Category == "secret" {
			return true
		}
	}
	return false
}

func hasSecret(findings []triage.FindingSummary) bool {
	for _, f := range findings {
		if f.Category == "secret" || f.Type == "credit_card" || f.Type == "us_ssn" {
			return true
		}
	}
	return false
}

// categorize scores the config's category rules over the error lines, then
// the warnings when errors match nothing.
func (c *Classifier) categorize(in triage.ClassifyInput, f facts, kinds kindEvidence, r *reader) (string, []string) {
	// Tiers: errors decide; warnings only when errors match nothing; the
	// whole excerpt only when neither does.
	var errorLines, warnLines []router.WeightedLine
	for _, t := range in.Templates {
		if r.injected(t.Example) {
			continue // words addressed to a classifier say nothing about the system
		}
		w := 1 + int(math.Log10(float64(t.Count)))
		level := t.Level
		if level == "" {
			level = r.unleveledLevel(t.Example)
		} else if level == triage.LevelInfo && slowReport(level, r.read(t.Example)) {
			level = triage.LevelWarn
		}
		switch level {
		case triage.LevelFatal, triage.LevelError:
			errorLines = append(errorLines, router.WeightedLine{Text: t.Example, Weight: w})
		case triage.LevelWarn:
			warnLines = append(warnLines, router.WeightedLine{Text: t.Example, Weight: w})
		}
	}
	if kinds.healed && kinds.failing > 0 && kinds.probes == kinds.failing {
		// A probe failing while a pod started, then Ready: nothing failed.
		errorLines, warnLines = nil, nil
	}
	for _, s := range f.signals {
		if !r.injected(s.Example) {
			errorLines = append(errorLines, router.WeightedLine{Text: s.Example, Weight: 2})
		}
	}
	// Ordinary lines only speak for a log with no errors or warnings at all
	// (an audit trail, a firewall log): a failing log is judged by its
	// failures, whatever else it says.
	var excerptLines []router.WeightedLine
	excerpt := make([]string, 0, len(in.Excerpt))
	for _, l := range in.Excerpt {
		if !r.injected(l) {
			excerpt = append(excerpt, l)
		}
	}
	if len(errorLines) == 0 && len(warnLines) == 0 {
		for _, l := range excerpt {
			excerptLines = append(excerptLines, router.WeightedLine{Text: l, Weight: 1})
		}
	}
	// Failures that name no system ("Failed to run command", "job failed")
	// are placed by what the rest of the log is about: the excerpt decides
	// as a last resort (a MongoDB log names MongoDB everywhere but in its
	// error text).
	errorMatches, warnMatches := c.router.MatchCategories(errorLines), c.router.MatchCategories(warnLines)
	var contextLines []router.WeightedLine
	var contextMatches []router.CategoryMatch
	// Routine notices (deprecations, slow queries) are about the code that
	// logged them, not about the system the log talks about.
	routineOnly := kinds.failing > 0 && kinds.minor == kinds.failing
	if len(errorLines)+len(warnLines) > 0 && len(errorMatches)+len(warnMatches) == 0 && !routineOnly {
		for _, l := range excerpt {
			contextLines = append(contextLines, router.WeightedLine{Text: l, Weight: 1})
		}
		// Only a system the log keeps naming counts, not a passing mention.
		if contextMatches = c.router.MatchCategories(contextLines); len(contextMatches) == 0 || contextMatches[0].Score < max(2, len(contextLines)/4) {
			contextLines, contextMatches = nil, nil
		}
	}
	category, generic := "", ""
	var lines, genericLines []router.WeightedLine
	// Credentials in a log that shows no failure are the security team's case.
	security := c.security != "" && in.Allows(c.security)
	if len(errorLines) == 0 && hasCredential(in.Findings) && security {
		category, lines = c.security, excerptLines
	}
	// An intruder's foothold (a reverse shell, a web shell, admin rights
	// for anonymous users) is the security team's, whatever system it
	// happened on: the platform words around it say where, not what.
	if line, ok := compromised(in, r); ok && category == "" && security {
		category, lines = c.security, []router.WeightedLine{{Text: line, Weight: 2}}
	}
	// A scanner walking the site for secrets and admin pages: its 404s and
	// rate limits are the failing lines, and the paths it asked for
	// ("/backup.zip") name no system of ours.
	if category == "" && kinds.hard == 0 && security {
		var scans []router.WeightedLine
		for _, l := range excerpt {
			if r.scanning(l) {
				scans = append(scans, router.WeightedLine{Text: l, Weight: 1})
			}
		}
		if len(scans) >= minScanLines {
			category, lines = c.security, scans
		}
	}
	tiers := []struct {
		lines   []router.WeightedLine
		matches []router.CategoryMatch
	}{{errorLines, errorMatches}, {warnLines, warnMatches}, {excerptLines, c.router.MatchCategories(excerptLines)}, {contextLines, contextMatches}}
	for _, t := range tiers {
		tier := t.lines
		if category != "" {
			break
		}
		for _, m := range t.matches {
			// Without failures, only security events (audit, firewall, sudo)
			// make a case of ordinary lines; anything else is the catch-all's.
			if !in.Allows(m.Category) || len(errorLines)+len(warnLines) == 0 && m.Category != c.security {
				continue
			}
			if m.Category == c.router.DefaultCategory() && generic == "" {
				// "DB::Exception: Too many parts in table": the exception
				// words are generic, the system the same failing lines name
				// is what failed.
				if specific := c.namedSystem(in, tier, t.matches); specific != "" {
					category, lines = specific, tier
					break
				}
				// An application error may be the symptom of something the
				// warnings name (a crash-looping pod, a full disk): look on.
				generic, genericLines = m.Category, tier
				break
			}
			if m.Category != c.router.DefaultCategory() {
				category, lines = m.Category, tier
			}
			break
		}
	}
	if category == "" && generic != "" {
		category, lines = generic, genericLines
	}
	if category == c.transport {
		if specific, specificLines := c.specificSystem(in, lines, [][]router.WeightedLine{warnLines, contextOrExcerpt(contextLines, excerpt)}); specific != "" {
			category, lines = specific, specificLines
		}
	}
	if category == "" && len(errorLines) > 0 {
		lines = errorLines
	}
	category = c.allowedCategory(in, category)

	// Technology skills come from the failing lines first, then the excerpt
	// (a Postgres log names Postgres in every line, failing or not).
	var suggest []router.WeightedLine
	for _, l := range lines {
		suggest = append(suggest, router.WeightedLine{Text: l.Text, Weight: 3 * l.Weight})
	}
	for _, l := range excerpt {
		suggest = append(suggest, router.WeightedLine{Text: l, Weight: 1})
	}
	skills := c.router.CategorySkills(category)
	if category == c.router.DefaultCategory() && len(errorLines)+len(warnLines) == 0 {
		// Nothing failed: the case stays with the catch-all queue, but the
		// skills say whose system this is (a clean payments log needs someone
		// who knows payments to confirm it).
		if m := c.router.MatchCategories(excerptLines); len(m) > 0 {
			skills = c.router.CategorySkills(m[0].Category)
		}
	}
	for _, s := range c.router.SuggestSkills(suggest) {
		if len(skills) >= maxSkills {
			break
		}
		if !slices.Contains(skills, s) {
			skills = append(skills, s)
		}
	}
	out := []string{}
	for _, s := range skills {
		if len(in.Skills) == 0 || slices.Contains(in.Skills, s) {
			out = append(out, s)
		}
	}
	return category, out
}

// namedSystem is the best specific (non-default, allowed) category the
// tier's lines name outside stack frames ("at ...AppDatabase_Impl.get(...)"
// names the app's code, not a database), "" if there is none.
// matches are the tier's own, reused when no line is a frame.
func (c *Classifier) namedSystem(in triage.ClassifyInput, tier []router.WeightedLine, matches []router.CategoryMatch) string {
	var said []router.WeightedLine
	for _, l := range tier {
		if !triage.IsFrame([]byte(l.Text)) && !frameInLineRe.MatchString(l.Text) {
			said = append(said, l)
		}
	}
	if len(said) < len(tier) {
		matches = c.router.MatchCategories(said)
	}
	for _, m := range matches {
		// Transport words (a socket, wifi, a timeout) are how any failing
		// program talks, not a system it names.
		if m.Category != c.router.DefaultCategory() && m.Category != c.transport && in.Allows(m.Category) {
			return m.Category
		}
	}
	return ""
}

// frameInLineRe: a Java/.NET/JS frame after a log prefix (logcat, a
// container runtime's timestamp).
var frameInLineRe = regexp.MustCompile(`\sat [\w.$<>]+\([^)]*\)\s*$`)

// genericTransportRe: how a call failed, not which system failed ("rpc
// error: code = DeadlineExceeded", "Request timed out", "timed out waiting
// for the condition").
var genericTransportRe = vocab.Default().Pattern("generic_transport")

// specificSystem is the system a network-categorized failure names once
// its generic transport words are set aside: "Braintree\Exception\Timeout:
// Request timed out" is a payment provider failing, "rpc error … deadline
// exceeded" from the kubelet is a node failing. It is "" when the failing
// lines say something network-specific (refused, DNS, TLS, a proxy) or
// name no other system; then the later tiers (warnings, then the log's
// own context) are asked, in order.
func (c *Classifier) specificSystem(in triage.ClassifyInput, failing []router.WeightedLine, later [][]router.WeightedLine) (string, []router.WeightedLine) {
	stripped := make([]router.WeightedLine, len(failing))
	for i, l := range failing {
		stripped[i] = router.WeightedLine{Text: genericTransportRe.Strip(l.Text), Weight: l.Weight}
	}
	matches := c.router.MatchCategories(stripped)
	for _, m := range matches {
		if m.Category == c.transport {
			return "", nil // network-specific words remain: it is the network's
		}
	}
	for _, tier := range append([][]router.WeightedLine{stripped}, later...) {
		for _, m := range c.router.MatchCategories(tier) {
			if m.Category == c.transport {
				break // this tier is about the network too
			}
			if m.Category != c.router.DefaultCategory() && in.Allows(m.Category) {
				return m.Category, tier
			}
		}
	}
	return "", nil
}

// compromised returns a line (a template's example or an excerpt line)
// reporting an intruder's foothold, as the compromise signal reads it;
// lines addressed to a classifier do not count, but the same event logged
// again without the instruction does.
func compromised(in triage.ClassifyInput, r *reader) (string, bool) {
	seen := false
	for _, s := range in.Signals {
		seen = seen || s.Name == "compromise"
	}
	if !seen {
		return "", false
	}
	texts := make([]string, 0, len(in.Templates)+len(in.Excerpt))
	for _, t := range in.Templates {
		texts = append(texts, t.Example)
	}
	for _, text := range append(texts, in.Excerpt...) {
		if !r.injected(text) && triage.SignalMatches("compromise", text) {
			return text, true
		}
	}
	return "", false
}

// contextOrExcerpt is the context tier when one was built, else the excerpt.
func contextOrExcerpt(context []router.WeightedLine, excerpt []string) []router.WeightedLine {
	if len(context) > 0 {
		return context
	}
	out := make([]router.WeightedLine, 0, len(excerpt))
	for _, l := range excerpt {
		out = append(out, router.WeightedLine{Text: l, Weight: 1})
	}
	return out
}

// minScanLines: a scan is a series of probes, not one odd request.
const minScanLines = 3

// allowedCategory falls back to the router's catch-all.
func (c *Classifier) allowedCategory(in triage.ClassifyInput, category string) string {
	if category != "" && in.Allows(category) {
		return category
	}
	return c.router.DefaultCategory()
}

// keyLines picks excerpt lines that show the failure: fatal signatures and
// errors first, one per template, warnings when there are no errors.
// Key-line budget: the failures first, then the warnings around them (they
// often say what the errors mean: "sync paused", "Back-off restarting").
const (
	maxErrorKeyLines = 6
	maxWarnKeyLines  = 2
)

// keyLines picks excerpt lines that show the failure, one per template, in
// log order: fatal signatures, errors and causes first, then warnings. A log
// without either gets the lines its category rules matched (an audit trail's
// "command not allowed", a firewall's "scan from host").
func (c *Classifier) keyLines(excerpt []string, category string, r *reader) []string {
	seen := map[string]bool{}
	pick := func(limit int, want func(level string, text []byte) bool) []string {
		var out []string
		for _, l := range excerpt {
			if len(out) == limit {
				break
			}
			b := []byte(l)
			lvl, _ := triage.LineLevel(b)
			if triage.IsStackLine(b) && !bytes.HasPrefix(b, []byte("Caused by:")) || r.injected(l) || !want(lvl, b) {
				continue
			}
			t := triage.Template(b)
			if seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, l)
		}
		return out
	}
	failing := pick(maxErrorKeyLines, func(lvl string, b []byte) bool {
		return lvl == triage.LevelFatal || lvl == triage.LevelError || triage.HasSignal(b) || triage.StartsTrace(b) || bytes.HasPrefix(b, []byte("Caused by:"))
	})
	warnings := pick(maxWarnKeyLines+maxErrorKeyLines-len(failing), func(lvl string, _ []byte) bool { return lvl == triage.LevelWarn })
	out := inLogOrder(excerpt, append(failing, warnings...))
	if len(out) == 0 && category != c.router.DefaultCategory() {
		out = pick(maxKeyLines, func(_ string, b []byte) bool {
			for _, m := range c.router.MatchCategories([]router.WeightedLine{{Text: string(b), Weight: 1}}) {
				if m.Category == category {
					return true
				}
			}
			return false
		})
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// inLogOrder orders picked lines as they appear in the excerpt.
func inLogOrder(excerpt, picked []string) []string {
	want := map[string]bool{}
	for _, p := range picked {
		want[p] = true
	}
	var out []string
	for _, l := range excerpt {
		if want[l] {
			out = append(out, l)
			delete(want, l)
		}
	}
	return out
}

func summarize(in triage.ClassifyInput, f facts, cls triage.Classification) string {
	var b strings.Builder
	name := triage.DisplayName(in.FileName)
	if f.fatal+f.errors == 0 && len(f.signals) == 0 {
		fmt.Fprintf(&b, "%s: %d lines, no errors", name, f.lines)
		if f.warns > 0 {
			fmt.Fprintf(&b, ", %d warning(s)", f.warns)
		}
		b.WriteString(".")
		return b.String()
	}
	fmt.Fprintf(&b, "%s %s problem in %s: %d error line(s) (%.1f%% of %d lines)", capitalize(cls.Severity), cls.Category, name, f.fatal+f.errors, 100*f.rate, f.lines)
	if f.component != "" {
		fmt.Fprintf(&b, ", mostly from %s", f.component)
	}
	b.WriteString(".")
	for _, s := range f.signals {
		fmt.Fprintf(&b, " %s seen %d time(s).", capitalize(s.Reason), s.Count)
	}
	if t := f.topError; t != nil && t.Count > 1 {
		fmt.Fprintf(&b, " Most frequent error (%d×): %s", t.Count, quote(triage.SignatureText(t.Template), 140))
		if t == f.firstError {
			fmt.Fprintf(&b, ", first at line %d%s.", t.FirstLine, at(t.FirstTime))
		} else {
			fmt.Fprintf(&b, ". First error at line %d%s: %s.", f.firstError.FirstLine, at(f.firstError.FirstTime), quote(triage.SignatureText(f.firstError.Template), 140))
		}
	} else if t := f.firstError; t != nil {
		fmt.Fprintf(&b, " First error at line %d%s: %s.", t.FirstLine, at(t.FirstTime), quote(triage.SignatureText(t.Template), 140))
	}
	return b.String()
}

// rootCause is a hypothesis, worded as one: the strongest signal wins, then the category.
func (c *Classifier) rootCause(f facts, category string) string {
	comp := f.component
	if comp == "" {
		comp = "the application"
	}
	if len(f.signals) > 0 {
		s := f.signals[0]
		for _, x := range f.signals {
			if x.Count > s.Count {
				s = x
			}
		}
		switch s.Name {
		case "disk_full":
			return fmt.Sprintf("Likely the disk filled up (%d line(s) from line %d); writes fail from then on and later errors are probably consequences. Check free space and log/data growth on the host.", s.Count, s.FirstLine)
		case "oom":
			return fmt.Sprintf("Likely memory exhaustion (%d out-of-memory line(s) from line %d) in %s: a leak, an oversized workload or too small a memory limit.", s.Count, s.FirstLine, comp)
		case "segfault":
			return fmt.Sprintf("Likely a native crash (segmentation fault, line %d) in %s: a bug in native code or a bad library/driver version.", s.FirstLine, comp)
		case "panic", "kernel_panic":
			return fmt.Sprintf("Likely an unrecovered %s (line %d) in %s; the stack trace in the key lines points at the failing code path.", s.Reason, s.FirstLine, comp)
		case "data_loss":
			return fmt.Sprintf("Possible data corruption or loss reported at line %d by %s; storage or replication integrity should be checked before anything else.", s.FirstLine, comp)
		case "outage":
			return fmt.Sprintf("Likely a service outage, reported at line %d (%s); find why the instances behind %s are down before chasing the errors they cause.", s.FirstLine, quote(s.Example, 140), comp)
		case "compromise":
			return fmt.Sprintf("Possible compromise seen at line %d (%s): treat as a security incident, isolate the host and rotate its credentials.", s.FirstLine, quote(s.Example, 140))
		}
	}
	t := f.firstError
	if t == nil {
		if f.warns > 0 {
			return "No errors were logged; the warnings may be early signs of the reported problem, or the failure is outside this log's time window."
		}
		return "Nothing in this log points at a failure; the problem may be outside its time window or in another component."
	}
	first := quote(triage.SignatureText(t.Template), 140)
	if tmpl := c.router.CategoryRootCause(category); tmpl != "" && category != c.router.DefaultCategory() {
		return strings.NewReplacer("{component}", comp, "{first}", first).Replace(tmpl)
	}
	return fmt.Sprintf("Likely an application fault in %s that first shows as %s (line %d, %d occurrence(s)); a bug or misconfiguration triggered by the workload at that time.", comp, first, t.FirstLine, t.Count)
}

func reproSteps(in triage.ClassifyInput, f facts) []string {
	comp := f.component
	if comp == "" {
		comp = "the service"
	}
	var steps []string
	if in.FirstTime != "" {
		steps = append(steps, fmt.Sprintf("Run %s with the configuration and workload in effect at %s (start of %s).", comp, in.FirstTime, triage.DisplayName(in.FileName)))
	} else {
		steps = append(steps, fmt.Sprintf("Run %s with the configuration and workload of %s.", comp, triage.DisplayName(in.FileName)))
	}
	if t := f.firstError; t != nil {
		steps = append(steps, fmt.Sprintf("Trigger the operation that logs %s (first at line %d%s, %d occurrence(s)).", quote(triage.SignatureText(t.Template), 140), t.FirstLine, atTime(t.FirstTime), t.Count))
	} else {
		steps = append(steps, "Re-run the scenario the customer reported and collect logs that cover the failure window: this log shows no errors.")
		return steps
	}
	for _, s := range f.signals {
		steps = append(steps, fmt.Sprintf("Watch for %s: %d line(s), first at line %d.", s.Reason, s.Count, s.FirstLine))
	}
	if f.stackTraces > 0 {
		steps = append(steps, fmt.Sprintf("Capture the stack trace (%d in this log) and compare it with the one in the key lines.", f.stackTraces))
	}
	if t := f.topError; t != nil && t != f.firstError && t.Count > 1 {
		steps = append(steps, fmt.Sprintf("Confirm the failure repeats: %s appears %d time(s).", quote(triage.SignatureText(t.Template), 140), t.Count))
	}
	steps = append(steps, fmt.Sprintf("Expected: no error lines from %s; observed: %d error line(s) (%.1f%% of %d).", comp, f.fatal+f.errors, 100*f.rate, f.lines))
	return steps
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func atTime(ts string) string {
	if ts == "" {
		return ""
	}
	return ", " + ts
}

func at(ts string) string {
	if ts == "" {
		return ""
	}
	return " (" + ts + ")"
}

// quote shows a template in quotes, cut to n bytes.
func quote(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return "“" + s + "”"
}
