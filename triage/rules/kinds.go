package rules

import (
	"fmt"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/vocab"
	"regexp"
	"strings"
)

// A failure kind is what a failing line says broke, in the words real
// systems use for it. Counting error lines cannot tell a dependency that is
// down from a retried timeout; the kind can. Kinds are matched on the
// templates of failing lines (errors, fatals, warnings), weighted by how
// often each template occurred, so a long log and a short one are judged by
// the same words.
type failureKind struct {
	name string
	// weight: kindHard (something is failing outright: refused, unavailable,
	// denied, expired, crashed), kindSoft (slow, retried, intermittent,
	// throttled) or kindMinor (handled, expected, routine).
	weight int
	re     *vocab.Pattern
}

// timeoutsKind is the soft kind of slow, retried and throttled calls.
const timeoutsKind = "timeouts and retries"

const (
	kindMinor = iota
	kindSoft
	kindRequest // hard on a request path, soft elsewhere
	kindHard
)

// failureKinds are the vocabulary's kinds, in its order (hard first).
var failureKinds = func() []failureKind {
	weights := map[string]int{"hard": kindHard, "soft": kindSoft, "request": kindRequest, "minor": kindMinor}
	v := vocab.Default()
	var out []failureKind
	for _, e := range v.Entries(vocab.Kinds) {
		w, ok := weights[e.Weight]
		if !ok {
			panic(fmt.Sprintf("rules: kind %q has weight %q", e.ID, e.Weight))
		}
		out = append(out, failureKind{name: e.ID, weight: w, re: v.Pattern(e.ID)})
	}
	return out
}()

// slowReportRe: a line that exists to report a slow operation (a slow-query
// log entry, PostgreSQL's log_min_duration_statement): a warning whatever
// level it was logged at, and a routine one.
var slowReportRe = vocab.Default().Pattern("slow")

// deprecationRe: a notice that something in use is going away; a warning
// even where the runtime printed no level (Python's warnings module).
var deprecationRe = vocab.Default().Pattern("deprecation")

// startupProbeRe: a readiness or start-up probe failing is how Kubernetes
// waits for a container to come up: routine unless it keeps failing
// (liveness probes restart the container and are not routine).
var startupProbeRe = vocab.Default().Pattern("probe")

// softenerRe: the line itself says the failure is retried, partial or
// throttled; a hard word on such a line ("retrying after 503") is soft.
var softenerRe = vocab.Default().Pattern("retried")

// requestPathRe: the line belongs to serving a request.
var requestPathRe = vocab.Default().Pattern("request_path")

// recoveryRe: the log itself shows the failure healed.
var recoveryRe = vocab.Default().Pattern("recovered")

// healedRe: a line saying an operation that had failed went through after
// all: a later attempt, a refreshed token, a reconnect, a finished rollout.
// It heals the failures logged before it (see kindEvidence.healed).
var healedRe = vocab.Default().Pattern("healed")

// laterAttemptRe: "order 88120 saved on attempt 2" — on a line that
// reports no failure and no further retry, a later attempt that went through.
var laterAttemptRe = vocab.Default().Pattern("later_attempt")

// startedRe: the program reports it finished starting and is serving;
// selfRemediedRe: a warning says the program supplied what was missing
// itself (a key store it generates). Warnings of that kind before the
// program is up are its start-up talking, not an incident (docs/severity.md:
// info includes warnings the program resolves itself at start-up).
var (
	startedRe      = vocab.Default().Pattern("started")
	selfRemediedRe = vocab.Default().Pattern("self_remedied")
)

// servedCertExpiredRe and clientsRejectCertRe: the certificate this server
// presents has expired and clients are refusing it in the handshake: every
// visitor of the site fails (docs/severity.md: every user of a service).
var (
	servedCertExpiredRe = vocab.Default().Pattern("served_cert_expired")
	clientsRejectCertRe = vocab.Default().Pattern("clients_reject_cert")
)

// allRunningRe finds kubectl's "READY 1/1 Running": every container up.
var allRunningRe = regexp.MustCompile(`\s(\d+)/(\d+)\s+running\b`)

func allRunning(lower string) bool {
	if !strings.Contains(lower, "running") {
		return false
	}
	for _, m := range allRunningRe.FindAllStringSubmatch(lower, -1) {
		if m[1] == m[2] && m[1] != "0" {
			return true
		}
	}
	return false
}

// nodeRowRe reads a row of kubectl's node table (NAME STATUS ROLES AGE
// VERSION): "worker-2   NotReady   <none>   366d   v1.29.4".
var nodeRowRe = regexp.MustCompile(`^\S+\s+(notready|ready)(,\S+)?\s+\S+\s+\d+[smhdy]\S*\s+v\d`)

// nodeStatus is a node table row's status ("ready", "notready"), "" for a
// line that is not one.
func nodeStatus(lower string) string {
	if m := nodeRowRe.FindStringSubmatch(strings.TrimSpace(lower)); m != nil {
		return m[1]
	}
	return ""
}

// impactRe: the failure reaches users or the business (their requests
// fail, work is not done), not just a background retry.
var impactRe = vocab.Default().Pattern("impact")

// totalImpactRe: everything is failing, not some of it.
var totalImpactRe = vocab.Default().Pattern("total")

// nOfNRe finds "5/5 regions failed" and "1,942 of 1,942 payouts not sent".
var nOfNRe = regexp.MustCompile(`\b(\d[\d,]*)(/| of )(\d[\d,]*)\b`)

// attemptCountRe: the text before a count says it counts attempts.
var attemptCountRe = regexp.MustCompile(`(attempts?|tries|try|retry|retries|retrying)[ #:=]*$`)

// allOfN reports a count of every one of several: as "n/n" (every) or as
// "n of n" (batch).
// "attempt 3/3" is retries used up, not everything failing, and
// "/product/8/8/1.jpg" is a path.
func allOfN(line string) (every, batch bool) {
	for _, ix := range nOfNRe.FindAllStringSubmatchIndex(line, -1) {
		m := []string{line[ix[0]:ix[1]], line[ix[2]:ix[3]], line[ix[4]:ix[5]], line[ix[6]:ix[7]]}
		if m[1] != m[3] || strings.Trim(m[1], "0,") == "" || m[1] == "1" {
			continue
		}
		if ix[0] > 0 && line[ix[0]-1] == '/' || ix[1] < len(line) && line[ix[1]] == '/' || attemptCountRe.MatchString(line[:ix[0]]) {
			continue
		}
		if m[2] == "/" {
			every = true
		} else {
			batch = true
		}
	}
	return every, batch
}

// kindEvidence is what the failure kinds say about a log.
type kindEvidence struct {
	hard, soft, minor int // failing lines by kind weight
	timeouts          int // of soft, lines that time out or are retried
	retried           int // hard failures the line says are being retried
	failing           int // failing lines looked at (error, fatal, warn)
	errors            int // of them error or fatal
	hardBy            map[string]int
	recovered         bool
	// healed: the log shows the failing operations going through after
	// the last failing line (a retry that worked, a refreshed token, a
	// rollout that finished): the failures were handled.
	healed bool
	// renewals: hard failing lines that are a certificate renewal or
	// issuance failing; stillValid: the log says the certificate in use
	// has days left. Together: a failing background job, not an outage.
	renewals   int
	stillValid bool
	probes     int // failing lines that are start-up probes failing
	lastLine   int // the last failing line
	// startup: every failing line is a warning written before the program
	// reported itself up, none a slow or retried operation, and any hard
	// one the log shows recovering: start-up noise the program got past.
	startup bool
	impact  bool // users or the business are affected
	total   bool // everything is failing
}

// reading is what the kind vocabulary makes of one line.
type reading struct {
	lower       string
	full        bool   // the fields below are filled
	security    bool   // the security fields are filled
	injected    bool   // the line speaks to a classifier
	weight      int    // strongest failure kind, -1 for none; kindRequest resolved
	kind        string // its name
	failureVerb bool   // the line says something went wrong, not just what it is about
	softened    bool   // a hard failure the line says is retried or partial
	recovered   bool
	healed      bool
	probe       bool   // a start-up probe failing
	started     bool   // the program reports it is up
	remedied    bool   // the warning says the program supplied what was missing itself
	node        string // a kubectl node table row's status, "" for other lines
	certExpired bool   // the certificate this server presents has expired
	certRefused bool   // clients refuse this server's certificate in the handshake
	slow        bool   // a slow-operation report
	deprecation bool   // a deprecation notice
	impact      bool
	total       bool
	// security vocabulary
	scan, attack, privilege, exposed, dataOut, evasion, public bool
	loginOK                                                    bool
}

// reader reads lines once per classification: the same template example
// is looked at by severity, category and key-line selection.
type reader struct{ seen map[string]*reading }

func newReader() *reader { return &reader{seen: map[string]*reading{}} }

// injected reports whether the line speaks to a classifier (the only
// question asked of most excerpt lines).
func (r *reader) injected(text string) bool {
	if rd, ok := r.seen[text]; ok {
		return rd.injected
	}
	lower := strings.ToLower(text)
	rd := &reading{lower: lower, weight: -1, injected: injectedRe.MatchString(lower)}
	r.seen[text] = rd
	return rd.injected
}

func (r *reader) read(text string) *reading {
	r.injected(text)
	rd := r.seen[text]
	if rd.full || rd.injected {
		return rd // words addressed to a classifier are evidence of nothing
	}
	rd.full = true
	lower := rd.lower
	rd.weight, rd.kind = kindOf(lower)
	rd.failureVerb = rd.weight >= 0 && failureVerbRe.MatchString(lower)
	rd.softened = rd.weight == kindHard && softenerRe.MatchString(lower)
	rd.recovered = recoveryRe.MatchString(lower)
	rd.healed = rd.recovered || healedRe.MatchString(lower) || allRunning(lower) ||
		laterAttemptRe.MatchString(lower) && !failureWordRe.MatchString(lower) && !softenerRe.MatchString(lower)
	rd.probe = startupProbeRe.MatchString(lower)
	rd.started = startedRe.MatchString(lower)
	rd.remedied = selfRemediedRe.MatchString(lower)
	rd.node = nodeStatus(lower)
	rd.certExpired = servedCertExpiredRe.MatchString(lower)
	rd.certRefused = clientsRejectCertRe.MatchString(lower)
	rd.slow = slowReportRe.MatchString(lower)
	rd.deprecation = deprecationRe.MatchString(lower)
	rd.impact = impactRe.MatchString(lower)
	rd.total = totalImpactRe.MatchString(lower)
	if every, batch := allOfN(lower); (every || batch) && failureWordRe.MatchString(lower) {
		// "5/5 regions failed" is everything down; "1,942 of 1,942
		// payouts not sent" is one job's whole batch: felt, not an outage.
		rd.total = rd.total || every
		rd.impact = true
	}
	return rd
}

// scanning reports whether the line is a scanner's probe (known scanner,
// or a path only scanners ask for), without reading the rest.
func (r *reader) scanning(text string) bool {
	if r.injected(text) {
		return false
	}
	return securityScanRe.MatchString(r.seen[text].lower)
}

// readSecurity is read plus the security vocabulary, asked of security cases only.
func (r *reader) readSecurity(text string) *reading {
	rd := r.read(text)
	if rd.security || rd.injected {
		return rd
	}
	rd.security = true
	rd.scan = securityScanRe.MatchString(rd.lower)
	rd.attack = securityAttackRe.MatchString(rd.lower)
	rd.privilege = securityPrivilegeRe.MatchString(rd.lower)
	rd.exposed = securityExposedRe.MatchString(rd.lower)
	rd.dataOut = securityDataOutRe.MatchString(rd.lower)
	rd.evasion = securityEvasionRe.MatchString(rd.lower)
	rd.public = securityPublicRe.MatchString(rd.lower)
	rd.loginOK = loginSucceeded.MatchString(rd.lower)
	return rd
}

// unleveledLevel is the level a line without a level marker earns by what it
// reports: a hard failure ("pool 'tank' DEGRADED", "osd.7 marked itself
// down") is an error, a retried one a warning, anything else no level.
func (r *reader) unleveledLevel(text string) string {
	switch rd := r.read(text); {
	case rd.weight == kindHard && !rd.failureVerb:
		return "" // "Auto-Encrypt-TLS: true" names a failure kind's subject, reports nothing
	case rd.weight == kindHard && rd.softened:
		return triage.LevelWarn
	case rd.weight == kindHard:
		return triage.LevelError
	case rd.slow || rd.deprecation:
		return triage.LevelWarn
	}
	return ""
}

// kindsOf classifies the failing templates of a log by failure kind. A line
// that reads as an instruction to a classifier is not evidence of anything.
func kindsOf(templates []triage.TemplateStat, r *reader) kindEvidence {
	ev := kindEvidence{hardBy: map[string]int{}}
	lastFailing, lastHealed, lastStarted := 0, 0, 0
	servedExpired, clientsReject := false, false
	nodesNotReady, nodesReady := 0, 0
	for _, t := range templates {
		rd := r.read(t.Example)
		if rd.injected {
			continue
		}
		if rd.healed {
			lastHealed = max(lastHealed, t.LastLine)
		}
		if rd.started && (t.Level == "" || t.Level == triage.LevelInfo || t.Level == triage.LevelDebug) {
			lastStarted = max(lastStarted, t.LastLine)
		}
		servedExpired = servedExpired || rd.certExpired
		clientsReject = clientsReject || rd.certRefused
		switch rd.node {
		case "notready":
			nodesNotReady += t.Count
		case "ready":
			nodesReady += t.Count
		}
	}
	// The served certificate expired and clients refuse it; or a node table
	// lists at least two nodes and none is Ready, so nothing can run anywhere
	// (docs/severity.md: nothing works is critical; one node down among
	// Ready ones is not).
	ev.total = servedExpired && clientsReject || nodesNotReady >= 2 && nodesReady == 0
	for _, t := range templates {
		rd := r.read(t.Example)
		if rd.injected {
			continue
		}
		ev.recovered = ev.recovered || rd.recovered
		ev.impact = ev.impact || rd.impact
		ev.total = ev.total || rd.total
		ev.stillValid = ev.stillValid || certStillValidRe.MatchString(rd.lower)
		failing := t.Level == triage.LevelFatal || t.Level == triage.LevelError || t.Level == triage.LevelWarn
		if !failing && slowReport(t.Level, rd) {
			// A slow-query entry or a deprecation is a routine warning.
			lastFailing = max(lastFailing, t.LastLine)
			ev.failing += t.Count
			ev.minor += t.Count
			continue
		}
		// A line with no level marker at all may still report a failure
		// ("backend is DOWN", "GET /x -> NoSuchKey"); leveled info and debug
		// lines are the program saying it is not one.
		if !failing && (t.Level != "" || rd.weight != kindHard || !rd.failureVerb) {
			continue
		}
		lastFailing = max(lastFailing, t.LastLine)
		weight := rd.weight
		switch {
		case rd.deprecation && weight > kindMinor:
			// "v2beta2 is deprecated, unavailable in v1.26+": the hard word
			// is about a future version, the notice itself is routine.
			weight = kindMinor
		case rd.remedied && failing && t.Level == triage.LevelWarn:
			// "keystore not found, it will be auto-generated": the
			// program filled the gap itself.
			weight = kindMinor
		case rd.probe && t.Count < 3 && lastHealed > t.LastLine:
			weight = kindMinor
			ev.probes += t.Count
		case rd.softened:
			weight = kindSoft
			ev.retried += t.Count
		}
		ev.failing += t.Count
		if t.Level == triage.LevelError || t.Level == triage.LevelFatal || !failing {
			ev.errors += t.Count
		}
		switch weight {
		case kindHard:
			ev.hard += t.Count
			ev.hardBy[rd.kind] += t.Count
			if certRenewalRe.MatchString(rd.lower) {
				ev.renewals += t.Count
			}
		case kindSoft:
			ev.soft += t.Count
			if rd.softened || rd.kind == timeoutsKind {
				ev.timeouts += t.Count
			}
		case kindMinor:
			ev.minor += t.Count
		}
	}
	ev.healed = ev.failing > 0 && lastHealed > lastFailing
	ev.lastLine = lastFailing
	ev.startup = ev.failing > 0 && ev.errors == 0 && ev.soft == 0 && lastStarted > lastFailing &&
		(ev.hard == 0 || ev.healed || ev.recovered)
	return ev
}

// slowReport: a line at no level or info that reports a slow operation,
// or at no level a deprecation.
func slowReport(level string, rd *reading) bool {
	return (level == "" || level == triage.LevelInfo) && rd.slow || level == "" && rd.deprecation
}

// kindOf is the strongest failure kind a lower-cased line reports (-1 for
// none), with the exception kind resolved by whether the line serves a request.
func kindOf(lower string) (int, string) {
	weight, name := -1, ""
	for _, k := range failureKinds {
		if k.weight > weight && k.re.MatchString(lower) {
			weight, name = k.weight, k.name
		}
	}
	if weight == kindRequest {
		weight = kindSoft
		if requestPathRe.MatchString(lower) {
			weight = kindHard
		}
	}
	return weight, name
}

// failureVerbRe: a line without a level marker reports a failure only when
// it says something went wrong. Naming a failure kind's subject is not
// enough: "Auto-Encrypt-TLS: true" or "x509: loaded 3 certificates" mention
// TLS; "certificate has expired", "handshake failed", "no alternative
// subject name matches" report one. Negation counts as saying so.
var failureVerbRe = vocab.Default().Pattern("failure_verb")

// failureWordRe: the line reports a failure ("5/5 regions FAILED").
var failureWordRe = vocab.Default().Pattern("failure_word")

// certRenewalRe: a line about renewing or issuing a certificate (ACME,
// cert-manager, certbot); certStillValidRe: the certificate in use has
// days left.
var (
	certRenewalRe    = vocab.Default().Pattern("cert_renewal")
	certStillValidRe = vocab.Default().Pattern("cert_still_valid")
)

// injectedRe recognizes text addressed to a classifier rather than written
// by a program about itself: "ignore previous instructions", "you are now",
// "set severity to low", "route this to ...".
var injectedRe = vocab.Default().Group(vocab.Injection)

// loginSucceeded: a password login that went through.
var loginSucceeded = vocab.Default().Pattern("login_succeeded")

// injectedInstruction: the line speaks to the classifier.
func injectedInstruction(line string) bool { return injectedRe.MatchString(strings.ToLower(line)) }

// Security events are judged by what the attacker achieved, not by how many
// lines the defences wrote: a blocked scan is routine, blocked application
// attacks are worth a look, privileged actions by the wrong party and
// exposed credentials are incidents, a privileged party taking data out is
// a breach.
var (
	securityScanRe      = vocab.Default().Pattern("scan")
	securityAttackRe    = vocab.Default().Pattern("attack")
	securityPrivilegeRe = vocab.Default().Pattern("privilege")
	securityExposedRe   = vocab.Default().Pattern("exposed")
	// Defence evasion (audit trails stopped, detectors deleted) and data
	// opened to the world: after a privileged change, either is a breach.
	securityEvasionRe = vocab.Default().Pattern("evasion")
	securityPublicRe  = vocab.Default().Pattern("public")
	securityDataOutRe = vocab.Default().Pattern("data_out")
)

// alertLevelRe reads the level a detector gave its own alert: Wazuh/OSSEC
// "Rule: 100210 (level 13)" or JSON "rule":{..."level":13}, Suricata/Snort
// "alert":{..."severity":1}.
var alertLevelRe = regexp.MustCompile(`rule: \d+ \(level (\d+)\)|"rule": ?\{[^}]*"level": ?(\d+)|"alert": ?\{[^}]*"severity": ?(\d+)`)
