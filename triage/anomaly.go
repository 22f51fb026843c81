package triage

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/triage/anomaly"
)

// AnomalyOptions turn on anomaly signals (PipelineOptions.Anomalies): what
// is new or unusual in an upload against its tenant's history.
type AnomalyOptions struct {
	// History holds the tenants' upload summaries. Nil means the
	// pipeline's Store when it is a HistoryStore; with neither, signals
	// that need no history (bursts, repeated failures, failed-login
	// bursts) still run.
	History HistoryStore
	// Window is how far back history is read; default 90 days.
	Window time.Duration
	// Windows are the spans per-template counts are compared over; default anomaly.DefaultWindows.
	Windows []anomaly.Window
	// Profile tunes the profiler and its template miner; zero is the
	// measured default, with the detectors' keyed fingerprint for actors.
	Profile anomaly.Options
}

// maxAnomalyPoints caps the severity points all anomaly signals of a case
// add together: they say "unusual", not "broken", so they move a case
// within its band and at most one band up, never to critical alone.
const maxAnomalyPoints = 20

// anomalyRun is the anomaly pass of one upload.
type anomalyRun struct {
	prof    *anomaly.Profiler
	base    *anomaly.Baseline
	history HistoryStore
	tenant  string
	upload  string
}

// startAnomalies loads the tenant's history and primes a profiler; nil
// when anomalies are off.
func (p *Pipeline) startAnomalies(ctx context.Context, in Input) (*anomalyRun, error) {
	o := p.opts.Anomalies
	if o == nil {
		return nil, nil
	}
	hs := o.History
	if hs == nil {
		hs, _ = p.opts.Store.(HistoryStore)
	}
	r := &anomalyRun{history: hs, tenant: in.Tenant, upload: in.Upload.ID}
	now := p.opts.Now()
	var past []anomaly.Summary
	if hs != nil {
		window := o.Window
		if window <= 0 {
			window = 90 * 24 * time.Hour
		}
		var err error
		past, err = hs.History(ctx, HistoryQuery{Tenant: in.Tenant, Since: now.Add(-window), ExcludeUpload: in.Upload.ID})
		if err != nil {
			return nil, transientUnlessKinded("history", err)
		}
	}
	r.base = anomaly.NewBaseline(past, now, o.Windows)
	mo := ProfileOptions(o.Profile)
	if mo.Fingerprint == nil {
		mo.Fingerprint = p.opts.Detector.Fingerprint
	}
	r.prof = anomaly.NewProfiler(mo, r.base)
	return r, nil
}

// observe feeds one analysed line to the profiler (AnalyzeOptions.Observe).
func (r *anomalyRun) observe(num int, text, key []byte, level string, levelEnd int, findings []detectors.Finding) {
	var sources []string
	for _, f := range findings {
		if f.Type == detectors.TypeIPAddress && f.Fingerprint != "" {
			sources = append(sources, f.Fingerprint)
		}
	}
	r.prof.Observe(anomalyLine(num, text, key, level, levelEnd, sources))
}

// anomalyLine is a line as the profiler takes it.
func anomalyLine(num int, text, key []byte, level string, levelEnd int, sources []string) anomaly.Line {
	if len(key) >= maxTemplateBytes {
		key = nil // cut: lines that differ past the cut share it
	}
	return anomaly.Line{Number: num, Text: text, Key: key, Level: level, LevelEnd: levelEnd, Sources: sources}
}

// ProfileOptions fills what the pipeline's profiler needs to mine lines as
// the pipeline cuts them (their message after the header), for tools and
// tests that profile lines without running the pipeline.
func ProfileOptions(o anomaly.Options) anomaly.Options {
	if o.MessageStart == nil {
		o.MessageStart = messageStart
	}
	return o
}

// AnomalyLine is line number num of a log as the pipeline hands it to the
// anomaly profiler (level, level marker end, template key); use it with
// ProfileOptions.
func AnomalyLine(num int, text []byte) anomaly.Line {
	level, levelEnd := LineLevel(text)
	return anomalyLine(num, text, appendTemplate(nil, text), level, levelEnd, nil)
}

// messageStart is where the message of a line starts, after its header:
// after the level marker, a bracketed thread name and a logger or tag
// ending in a colon ("INFO [main] o.a.h.Foo: msg", "D WindowManager: msg"),
// or after the program of a syslog line ("Jun 14 15:16:01 host sshd[12]:
// msg"); 0 when there is no recognizable header. Templates are mined from
// the message, as the Loghub benchmark parses its Content: a header's
// constant words (host, component, level) would make short messages look
// alike and hide a new one among old ones.
func messageStart(line []byte, levelEnd int) int {
	i := 0
	switch {
	case levelEnd > 0 && levelEnd < len(line):
		i = levelEnd
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == ':' || line[i] == ']' || line[i] == '|' || line[i] == '-') {
			i++
		}
		if i < len(line) && line[i] == '[' {
			if end := bytes.IndexByte(line[i:min(len(line), i+256)], ']'); end > 0 {
				i += end + 1
				for i < len(line) && line[i] == ' ' {
					i++
				}
			}
		}
	default:
		if i = syslogMessage(line); i == 0 {
			return 0
		}
	}
	// A logger, tag or program: one token ending in a colon.
	if sp := bytes.IndexByte(line[i:min(len(line), i+120)], ' '); sp > 1 && line[i+sp-1] == ':' && bytes.IndexByte(line[i:i+sp], '=') < 0 {
		i += sp + 1
	}
	return min(i, len(line))
}

// syslogMessage is the index of the program in a BSD syslog line
// ("Mmm dd hh:mm:ss host program[pid]: message"), or 0.
func syslogMessage(line []byte) int {
	if len(line) < 20 || !isUpperASCII(line[0]) || line[3] != ' ' {
		return 0
	}
	i := 4
	for i < len(line) && line[i] == ' ' {
		i++
	}
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i+10 > len(line) || line[i] != ' ' || line[i+3] != ':' || line[i+6] != ':' || line[i+9] != ' ' {
		return 0
	}
	i += 10
	host := bytes.IndexByte(line[i:], ' ')
	if host <= 0 {
		return 0
	}
	return i + host + 1
}

func isUpperASCII(c byte) bool { return c >= 'A' && c <= 'Z' }

// finish detects the signals, attaches them and the history summary to
// the case, and adds their weight to its severity.
func (r *anomalyRun) finish(ctx context.Context, c *Case, now time.Time) error {
	var known map[string]bool
	if r.history != nil && r.base.Uploads > 0 {
		var err error
		known, err = r.history.KnownTemplates(ctx, r.prof.TemplateIDs(r.base), r.tenant, r.upload)
		if err != nil {
			return transientUnlessKinded("history", err)
		}
	}
	c.Anomalies = r.prof.Detect(r.base, known)
	s := r.prof.Summary(r.upload, now)
	c.HistorySummary = &s
	applyAnomalySeverity(&c.Severity, c.Anomalies)
	return nil
}

// applyAnomalySeverity adds the signals' weights (anomaly.Weight) to the
// score, capped at maxAnomalyPoints, with a reason per weighted signal. A
// score pushed past its band's top raises the label one band, to high at most.
func applyAnomalySeverity(sev *Score, signals []anomaly.Signal) {
	total := 0.0
	for _, s := range signals {
		if s.Weight > 0 {
			total += s.Weight
			sev.Reasons = append(sev.Reasons, fmt.Sprintf("anomaly %s: %s: +%.0f", s.Kind, s.Reason, s.Weight))
		}
	}
	if total == 0 {
		return
	}
	old := sev.Score
	score := math.Min(old+math.Min(total, maxAnomalyPoints), 100)
	if band, ok := severityBands[sev.Label]; ok && score > band[1] {
		if i := SeverityIndex(sev.Label); i > 0 && SeverityLabels[i-1] != "critical" {
			sev.Label = SeverityLabels[i-1]
			sev.Reasons = append(sev.Reasons, fmt.Sprintf("raised to %s by anomaly signals", sev.Label))
			score = math.Max(score, severityBands[sev.Label][0])
		} else {
			score = band[1]
		}
	}
	sev.Score = math.Round(score)
	sev.Reasons = append(sev.Reasons, fmt.Sprintf("anomaly signals: +%.0f to the score (their weights sum to %.0f, capped at %d)", sev.Score-old, total, maxAnomalyPoints))
}

// AnomalyAlertFor is the security alert of a case whose auth or access
// log shows a security anomaly (a failed-login burst, a new administrator,
// a new source address), false when it shows none. Like PII alerts it
// carries no raw value: each signal keeps its kind, reason, line numbers
// and fingerprint, never its template (a redacted line may still name a
// user).
func AnomalyAlertFor(c *Case, now time.Time) (Alert, bool) {
	var sigs []anomaly.Signal
	for _, s := range c.Anomalies {
		if s.Security {
			s.Template = ""
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return Alert{}, false
	}
	return Alert{Kind: "anomaly", CaseID: c.ID, Tenant: c.Tenant, Upload: c.Upload, Risk: c.PIIRisk,
		Findings: []FindingSummary{}, Anomalies: sigs, Time: now}, true
}

// renderAnomalies is the case rendering's "Anomalies" section (nothing
// when the case has none): kind, reason, lines, and the template or the
// fingerprint the signal is about.
func renderAnomalies(b *strings.Builder, sigs []anomaly.Signal) {
	if len(sigs) == 0 {
		return
	}
	b.WriteString("\nAnomalies (against this tenant's history)\n")
	for _, s := range sigs {
		var lines []string
		for _, l := range s.Lines {
			lines = append(lines, fmt.Sprint(l))
		}
		at := ""
		if len(lines) > 0 {
			at = "  lines " + strings.Join(lines, ",")
		}
		fmt.Fprintf(b, "  - %s: %s%s\n", s.Kind, s.Reason, at)
		switch {
		case s.Template != "":
			b.WriteString("      " + s.Template + "\n")
		case s.Fingerprint != "":
			b.WriteString("      fingerprint " + s.Fingerprint + "\n")
		}
	}
}
