package rules

import (
	"fmt"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/vocab"
	"regexp"
	"sort"
	"strconv"
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

const timeoutsKind = "timeouts and retries"

const (
	kindMinor = iota
	kindSoft
	kindRequest // hard on a request path, soft elsewhere
	kindHard
)

// failureKinds, hard first. Patterns are lower case and see the line
// lower-cased (lowerRe); wording is taken from many systems so that none is
// tied to one product's phrasing.
var failureKinds = []failureKind{
	{"dependency unavailable", kindHard, vocab.Lower(`connection refused|econnrefused|could not be established|broker may not be available|no route to host|network is unreachable|host (is )?unreachable|\bunavailable\b|\bbad gateway\b|\b50[23] |"50[23]"|\bstatus(code)?[=: ]+50[23]\b|code = unavailable|\bis (now )?down\b|\bwent down\b|\bmarked (as )?down\b|\bis dead\b|not responding|no (reachable |healthy |available )?(servers?|hosts?|brokers?|replicas?|members?|nodes?) (available|reachable|alive|left)|no (healthy|available|reachable|live) (servers?|backends?|upstreams?|endpoints?|hosts?|instances?|targets?)\b|could not connect|can't connect|cannot connect|unable to connect|failed to connect|connect(ion)? failed|connection (was )?closed unexpectedly|server closed the connection|lost connection|connection lost`)},
	{"no primary or quorum", kindHard, vocab.Lower(`not (the )?primary|no primary|non-primary|insufficient\w*quorum|(write|read) quorum (lost|not (met|available|reached))|notwritableprimary|not ?master|no (elected )?leader|leader (election )?(lost|not available)|leaderelection lost|lost (the )?(leader ?election|leadership)|lost quorum|no quorum|quorum (lost|not available)|cannot achieve consistency|not enough (replicas|votes|nodes)|split[- ]brain|cluster (health )?(status )?(is )?red\b|\[red\]|all shards failed|shards? (unassigned|not active)|read[- ]only (mode|replica)|readonly you can't write|stop-writes|\bmisconf\b|in recovery mode`)},
	{"replication stopped", kindHard, vocab.Lower(`(replica|slave|replication) (sql|i/o|io) thread (aborted|stopped|exited|killed)|(replica|slave)_(sql|io)_running: no|replication (has )?(stopped|broken|halted|failed)|worker threads are stopped`)},
	{"secrets or identity provider down", kindHard, vocab.Lower(`\bsealed\b|failed to unseal|directory (server )?(unreachable|unavailable|down)|idp (unreachable|unavailable|down)|(jwks|discovery|well-known|metadata) (fetch|endpoint|request|document)? ?(failed|unreachable|unavailable)`)},
	{"certificate or TLS failure", kindHard, vocab.Lower(`certificate (has )?expired|cert(ificate)?\b.{0,80} is not valid\b|expired certificate|cert(ificate)? .{0,40}expired (on|at)\b|certificate verify failed|certificate is not valid|not valid for|doesn't match|does not match .{0,20}(host|name|certificate)|hostname mismatch|name mismatch|no alternative certificate subject name|pkix path|valid certification path|x509: |ssl_do_handshake\(\) failed|handshake (failure|failed|error)|tls: |bad certificate|unknown (ca|authority)|self[- ]signed certificate|certificate (rejected|revoked|unknown)`)},
	{"credentials rejected", kindHard, vocab.Lower(`authentication failed|password authentication failed|invalid credentials|bad credentials|invalid password|login failed|logon failed|bind failed|failed to bind|error code 49|acceptsecuritycontext|access denied|accessdenied|permission denied|not authorized|unauthorized|\bforbidden\b|invalid_client|unauthorized_client|invalid (api )?key|(credentials?|password|key) (has )?(expired|revoked|invalid)|expired (credentials?|password)|signature (verification|validation) failed|invalid signature|no signatures found|signed jwt rejected|jwt (was |is )?(invalid|rejected)|no matching key|clock skew (too great|exceeds|detected|error)|krb5kdc_err|krb_ap_err|pre-?authentication failed|account (is )?(locked|disabled)|missing client token`)},
	{"resource exhausted", kindHard, vocab.Lower(`too many (connections|clients|open files)|remaining connection slots|pool (is )?exhausted|exhausted pool|connection is not available|max_connections|no connections available|database space exceeded|nospace|no space left|disk (is )?full|out of disk|quota (exceeded|exhausted).{0,40}(writes?|uploads?) (fail|rejected)|allowed memory size .{0,30}exhausted|oom command not allowed|read-only file ?system|cluster_block_exception|read-only-allow-delete`)},
	{"storage failure", kindHard, vocab.Lower(`i/o error|input/output error|\beio\b|medium error|unrecovered read error|bad (sector|block)s?|uncorrectable|failed command: (read|write)|\bdegraded\b|\bfaulted\b|\boffline\b|osds? .{0,20}down|nosuchbucket|nosuchkey|bucket does not exist|no such bucket|(file|volume|device) (not found|missing)|log dirs? .{0,40}failed|lost (data|writes)|data loss|corrupt|out of space|(written|replicated|copied) to 0 (of|out of)\b`)},
	{"crash", kindHard, vocab.Lower(`application failed to start|faulting application|access violation|0xc0000005|failed to start|terminated unexpectedly|exited unexpectedly|core dumped|segmentation|sigsegv|sigabrt|crashloopbackoff|back-?off restarting failed|restart(ing)? (counter|loop)|start request repeated too quickly|fatal assertion|fassert|assertion failed|panicked|\bpanic\b|stack overflow|killed process|main process exited|exited with code \[?[1-9]|too many unstable restarts|exit status [1-9]|failed with result|upgrade failed|release .{0,30}failed|rollback (failed|triggered)|failed to (apply|deploy|provision)|create_failed|rollout .{0,20}(failed|exceeded)`)},
	// An exception is a crash of the request it happened in: hard on a
	// request path, a failing background job (medium) elsewhere.
	{"unhandled error", kindRequest, vocab.Lower(`unhandled|uncaught|fatal (error|exception)|nullpointer|null ?reference|nil pointer|nil map|index out of range|typeerror|referenceerror|keyerror|attributeerror|valueerror|indexerror|zerodivisionerror|internal server error|\bstatus[=: ]500\b|\b500 internal|" 500 |responding 500|returned? 500|exception`)},
	{"payment failure", kindHard, vocab.Lower(`charge(s)? failed|(payout|transfer|settlement|refund|capture)s? (batch |run |job )?failed|payment(s)? (failed|not (taken|captured)|rejected)|capture failed|refund failed|payout failed|webhook .{0,40}(rejected|failed)|ipn .{0,30}(failed|rejected|backlog)|apiconnectionerror|api_error|processor (unavailable|error)|gateway (error|unavailable|rejected)|success rate \d{1,2}%`)},
	{timeoutsKind, kindSoft, vocab.Lower(`timed? ?out|timeout|invalid_grant|token (has )?expired|expired (access|refresh|id)? ?token|deadline exceeded|deadlineexceeded|took \d+ ?m?s|slow|latency|p9[59]|retry|retrying|backoff|back-off|will retry|deadlock|lock wait|replication lag|replica lag|behind (master|primary|source)|throttl|rate[- ]?limit|too many requests|\b429\b|slowdown|evict|imagepull|errimagepull|pending|insufficient (cpu|memory)|failedscheduling|flapping|intermittent|partially|degraded performance`)},
	{"routine", kindMinor, vocab.Lower(`deprecat|obsolete|will be removed in|no longer supported|insufficient funds|card (was )?declined|do not honou?r|expired card|incorrect (cvc|zip)|\bdeclined\b|limiting requests|rate limited|not found: /|404 not found|client closed request|favicon|flaky|skipped|would be|dry[- ]run|expires in \d+ days|renewal scheduled`)},
}

// slowReportRe: a line that exists to report a slow operation (a slow-query
// log entry, PostgreSQL's log_min_duration_statement): a warning whatever
// level it was logged at, and a routine one.
var slowReportRe = vocab.Lower(`# query_time: [\d.]+|\bduration: [\d.]+ ms +(statement|execute|bind|parse)\b|\bslow (query|queries|statement|operation|command)\b|slowlog|slow_query`)

// deprecationRe: a notice that something in use is going away; a warning
// even where the runtime printed no level (Python's warnings module).
var deprecationRe = vocab.Lower(`deprecat|obsolete|will be removed in|no longer supported`)

// startupProbeRe: a readiness or start-up probe failing is how Kubernetes
// waits for a container to come up: routine unless it keeps failing
// (liveness probes restart the container and are not routine).
var startupProbeRe = vocab.Lower(`(readiness|startup) probe (failed|errored)`)

// softenerRe: the line itself says the failure is retried, partial or
// throttled; a hard word on such a line ("retrying after 503") is soft.
var softenerRe = vocab.Lower(`retry|retrying|will retry|intermittent|occasional|throttl|slowdown|slow down|rate[- ]?limit|reduce your request rate|partially|some requests|degraded performance`)

// requestPathRe: the line belongs to serving a request.
var requestPathRe = vocab.Lower(`\b(get|post|put|delete|patch) /|http-nio|-exec-\d|\brequest\b|handler|controller|servlet|endpoint|/api/|internal server error|\b500\b|http: panic`)

// recoveryRe: the log itself shows the failure healed.
var recoveryRe = vocab.Lower(`retry (\d+ )?succeeded|re-?run.{0,30}\bpassed|passed on (retry|re-?run)|succeeded (on|after) retry|recovered|reconnected|connection (re-?)?established|back (up|online|to normal)|is (now )?up\b|is now (healthy|available|ready)|resumed|restored|\bserver \S+ ok\b|: ok$|healthy again|resolved`)

// healedRe: a line saying an operation that had failed went through after
// all: a later attempt, a refreshed token, a reconnect, a finished rollout.
// It heals the failures logged before it (see kindEvidence.healed).
var healedRe = vocab.Lower(`attempt [2-9]\S* (succeeded|ok)|retry (\d+ )?succeeded|succeeded (on|after) retry|\brefreshed\b|refresh(ed)? (ok|succeeded|successful)|/refresh\S* http/[\d.]+" 200\b|recovered|reconnected|re-?established|back (up|online|to normal)|healthy again|is now (healthy|available|ready)|status is now: nodeready|now passing\b|passing again|successfully rolled out|\bresumed\b|\brestored\b`)

// laterAttemptRe: "order 88120 saved on attempt 2" — on a line that
// reports no failure and no further retry, a later attempt that went through.
var laterAttemptRe = vocab.Lower(`\b(on|after) (attempt|try|retry) ?#?[2-9]\b|attempt [2-9] of \d+ (ok|succeeded)`)

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

// impactRe: the failure reaches users or the business (their requests
// fail, work is not done), not just a background retry.
var impactRe = vocab.Lower(`(responding|returning|returned|serving|sent|answer(ed|ing)?) (http )?5\d\d|\b5\d\d (to|for) (client|user|customer)|internal server error|checkout (blocked|failing|failed)|(paying|all|our|many|affected|\d[\d,]*) customers|customers? (see|get|are|cannot|can't|affected|impacted|shown|receive|report|unable)|paying|users? (cannot|can't|are unable|affected|see)|shown "?try again|not (be )?(paid|activated|delivered|charged|served)|consecutive|error rate \d+(\.\d+)?%|\d+(\.\d+)?% of (requests|/|calls|logins|checks)|success rate \d{1,2}%|service unavailable|\bslo (burn|breach|violat|miss)|\(slo \d|slo breached|error budget|burn rate`)

// totalImpactRe: everything is failing, not some of it.
var totalImpactRe = vocab.Lower(`fail(s|ing|ed)? closed|error rate 100%|100% (errors|failures|of (requests|calls))|\ball (requests|writes|reads|logins|users|services|regions|checks|traffic)\b|\b(every|each) (request|login|write|call)\b|object count 0\b|\b0 (successful|healthy|available)\b|\bno (successful|healthy) |\b(nobody|no one|no-one) (can|could|is able)\b|(accepted|succeeded|successful|delivered|processed|available|healthy|written|replicated)\b[^,;."]{0,40}:\s*0\b|\b(written|replicated|delivered|accepted) to 0 (of|out of)\b|insufficientwritequorum|write quorum (lost|not (met|available|reached))|(lost|no) write quorum|\bsigning cert(ificate)?\b.{0,80}\b(expired|is not valid|invalid|revoked)\b|alarm"?:"?nospace|database space exceeded|cluster_block_exception|read-only-allow-delete`)

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
	probes     int  // failing lines that are start-up probes failing
	impact     bool // users or the business are affected
	total      bool // everything is failing
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
	probe       bool // a start-up probe failing
	slow        bool // a slow-operation report
	deprecation bool // a deprecation notice
	impact      bool
	total       bool
	// security vocabulary
	scan, attack, privilege, exposed, dataOut, evasion, public bool
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
	lastFailing, lastHealed := 0, 0
	for _, t := range templates {
		if rd := r.read(t.Example); rd.healed && !rd.injected {
			lastHealed = max(lastHealed, t.LastLine)
		}
	}
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
var failureVerbRe = vocab.Lower(`\bno\b|\bnot\b|n't\b|\bnever\b|\btoo (great|many|much|large|big|old|long|high|low)\b|fail|error|err\b|refus|denied|reject|expired|invalid|unable|cannot|can't|could not|couldn't|not (valid|found|responding|available|trusted|authorized|allowed|match)|doesn't match|mismatch|unknown|bad\b|timed? ?out|timeout|unavailable|unreachable|\bdown\b|dead\b|degraded|faulted|offline|lost|corrupt|crash|panic|abort|killed|exhausted|exceeded|no space|full\b|no such|nosuch|missing|does not exist|sick|critical|fatal|broken|stopped|halted|sealed|read-only|uncorrectable|\beio\b|sigsegv|sigabrt|segmentation|core dumped|back-?off|quorum|split[- ]brain|not (the )?primary|no primary|not ?master|no leader|\[red\]|\bred\b|revoked|self[- ]signed|exited|terminated|forbidden|unauthorized|locked|disabled|\b50[0-4]\b|overflow|violation`)

// failureWordRe: the line reports a failure ("5/5 regions FAILED").
var failureWordRe = vocab.Lower(`fail|down|unhealthy|unreachable|error|not (sent|paid|delivered|processed)|lost|missing`)

// names lists the hard kinds seen, most lines first.
func (ev kindEvidence) names() string {
	var names []string
	for n := range ev.hardBy {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		return ev.hardBy[a] > ev.hardBy[b] || ev.hardBy[a] == ev.hardBy[b] && a < b
	})
	return strings.Join(names[:min(len(names), 3)], ", ")
}

// kindSeverity is the severity the failure kinds call for, with why; ""
// when they say nothing beyond what the counts say. Hard failures raise:
// seen twice (three times in warnings alone) and not lost in a long log
// (sustainedRate), or once where users feel it, a failing dependency is
// high; one that takes everything down is critical. Retried failures that keep failing where users feel it are
// high too. Failing lines that are all routine (declines, deprecations,
// rate limiting) are low. On a security case, rejected credentials are the
// attack being reported, not a broken dependency.
func kindSeverity(ev kindEvidence, category string, lines int) (string, string) {
	if category == "security" {
		ev.hard -= ev.hardBy["credentials rejected"]
		delete(ev.hardBy, "credentials rejected")
	}
	what := ev.names()
	sustained := (ev.hard >= 2 && ev.errors > 0 || ev.hard >= 3) && (ev.hard >= manyErrorLines/2 || float64(ev.hard) >= sustainedRate*float64(lines))
	switch {
	case ev.hard > 0 && ev.total:
		return "critical", fmt.Sprintf("a hard failure (%s) and everything failing", what)
	case ev.hard > 0 && ev.renewals == ev.hard && ev.stillValid && !ev.impact:
		return "medium", fmt.Sprintf("%d certificate renewal failure(s), the certificate in use still valid", ev.hard)
	case sustained && (!ev.recovered || ev.hard >= 4 || ev.impact):
		return "high", fmt.Sprintf("%d failing line(s) of a hard kind (%s)", ev.hard, what)
	case ev.hard > 0 && ev.impact && !ev.recovered:
		return "high", fmt.Sprintf("a hard failure (%s) that reaches users", what)
	case ev.errors > 0 && ev.impact && (ev.soft > 0 || ev.retried > 0) && !ev.recovered:
		return "high", "failures that keep failing and reach users"
	case ev.errors > 0 && ev.total:
		return "high", "errors and everything of a kind failing"
	case ev.healed && ev.probes == ev.failing:
		return "info", "a start-up state the log shows resolved"
	case ev.healed && quietWarnings(ev, lines):
		// A health check critical at registration that turns passing, a
		// notice that a name is not DNS-friendly: the service is healthy.
		return "info", fmt.Sprintf("%d warning(s) that report no failure, and the log healthy after them", ev.failing)
	case ev.healed && !ev.impact && ev.hard <= 3:
		return "low", fmt.Sprintf("%d failing line(s), handled: the log shows the operation going through after the last one", ev.failing)
	case ev.failing > 0 && ev.minor == ev.failing:
		return "low", fmt.Sprintf("%d failing line(s), all routine (declines, deprecations, rate limiting)", ev.minor)
	case ev.hard == 0 && ev.recovered && ev.errors > 0 && ev.errors <= 2 && !ev.impact:
		return "low", "a failure the log shows recovering"
	case ev.hard > 0 || ev.retried > 1:
		return "medium", fmt.Sprintf("%d failing line(s) of a hard kind", ev.hard+ev.retried)
	}
	return "", ""
}

// certRenewalRe: a line about renewing or issuing a certificate (ACME,
// cert-manager, certbot); certStillValidRe: the certificate in use has
// days left.
var (
	certRenewalRe    = vocab.Lower(`renew\w*.{0,60}\bcert|cert\w*.{0,60}\brenew|acme|certbot|certificaterequest|unable to (obtain|generate|issue) (a |the )?certificate`)
	certStillValidRe = vocab.Lower(`expires? (in|on|at)\b.{0,60}\b\d+ ?days?\b|days? (left|remaining)\b|days_left=\d|valid (until|for another)`)
)

// quietWarnings: no errors, and the few warnings (a small share of the log)
// name no failure kind at all.
func quietWarnings(ev kindEvidence, lines int) bool {
	return ev.failing > 0 && ev.errors == 0 && ev.hard+ev.soft+ev.minor+ev.retried == 0 && ev.failing*10 <= lines
}

// injectedRe recognizes text addressed to a classifier rather than written
// by a program about itself: "ignore previous instructions", "you are now",
// "set severity to low", "route this to ...".
var injectedRe = vocab.Lower(`\b(ignore|disregard|forget|override)\b.{0,30}\b(previous|prior|above|earlier|all|any|these|your)\b.{0,30}\b(instructions?|rules|prompts?|guidelines|context)|system prompt|\byou are (now )?(a|an|in)\b|\bas an ai\b|\bai (assistant|triage|model|classifier)\b|\b(assistant|system)\s*:(\s|$)|\b(classify|categori[sz]e|label|mark|report|treat)\s+(this|it|the (log|case|incident))\b|\bset (the )?(severity|priority|queue|category)\b|\broute (it|this|the case)?\s*to\b|do not escalate|no need to escalate|close the case|\bno_problem\b`)

// injectedInstruction: the line speaks to the classifier.
func injectedInstruction(line string) bool { return injectedRe.MatchString(strings.ToLower(line)) }

// Security events are judged by what the attacker achieved, not by how many
// lines the defences wrote: a blocked scan is routine, blocked application
// attacks are worth a look, privileged actions by the wrong party and
// exposed credentials are incidents, a privileged party taking data out is
// a breach.
var (
	securityScanRe      = vocab.Lower(`nuclei|zgrab|masscan|gobuster|dirbuster|wpscan|acunetix|nessus|openvas|/\.env\b|/\.git/|/\.aws/|/wp-login\.php|/phpmyadmin|eval-stdin\.php|port ?scan|\bscan(ned|ning)? from\b|syn scan|\[ufw block\]|portsentry|attackalert|\bnmap\b|permissive|dry[- ]run|detect(ion)? only`)
	securityAttackRe    = vocab.Lower(`sqli|sql injection|xss|cross[- ]site|path traversal|\.\./\.\.|command injection|exploit|brute[- ]?force|credential stuffing|\bban(ned)?\b|too many (failed|authentication)|sqlmap|nikto|\bprob(e|ing)\b.{0,40}(blocked|denied)|(blocked|denied).{0,40}(attack|probe|rule)|anomaly score`)
	securityPrivilegeRe = vocab.Lower(`"eventname": ?"(createuser|createaccesskey|createloginprofile|updateloginprofile|attach(user|role|group)policy|put(user|role|group)policy|addusertogroup|updateassumerolepolicy)"|administratoraccess|role_granted|role granted|privilege(s)? (escalat|grant)|new (admin|owner|root)|added to (the )?\S*(admin|owner|root|sudo|wheel)|command not allowed ;|incorrect password attempts ;|chmod u\+s|setuid|outside (the )?change window|unknown (ip|location|geo)|impossible travel|disabled (mfa|logging|audit)|audit (log(ging)?|trail) (disabled|deleted|stopped)`)
	securityExposedRe   = vocab.Lower(`(credential|api[_ -]?key|secret|token|password)s?\b.{0,60}\b(exposed|leaked|found in|written to|logged|affected|in (the )?(url|query string|logs?)|committed|shipped)|(plaintext|plain text|cleartext) (credential|password|secret|token)s?|rotation required|must be rotated|rotate (the |all )?(keys|credentials|secrets|tokens)`)
	// Defence evasion (audit trails stopped, detectors deleted) and data
	// opened to the world: after a privileged change, either is a breach.
	securityEvasionRe = vocab.Lower(`"eventname": ?"(stoplogging|deletetrail|deletedetector|deleteflowlogs|disablesecurityhub|deleteconfigurationrecorder|stopconfigurationrecorder)"|audit (log(ging)?|trail) (disabled|deleted|stopped|cleared)|(security|audit|event) log was cleared|\bevent ?id[:= ]+1102\b`)
	securityPublicRe  = vocab.Lower(`"eventname": ?"(putbucketpolicy|putbucketacl|putobjectacl|deletebucketpublicaccessblock|deletepublicaccessblock)".{0,400}("principal": ?"\*"|allusers|public-read)|made public|publicly (readable|accessible)`)
	securityDataOutRe = vocab.Lower(`export_started|bulk (export|download)|mass (export|download)|dump(ed|ing)? (the )?(database|table|users|customers)|\bexfiltrat|data (transfer|egress) to (an )?(unknown|external)`)
)

// securitySeverity is the severity of a security case's events, with why.
func securitySeverity(in triage.ClassifyInput, r *reader) (string, string) {
	var scan, attack, privilege, exposed, dataOut, evasion, public bool
	// Templates see every kind of line once; the excerpt sees lines one
	// template holds many of (CloudTrail events differ only in values).
	texts := make([]string, 0, len(in.Templates)+len(in.Excerpt))
	for _, t := range in.Templates {
		texts = append(texts, t.Example)
	}
	texts = append(texts, in.Excerpt...)
	for _, text := range texts {
		rd := r.readSecurity(text)
		scan = scan || rd.scan
		attack = attack || rd.attack
		privilege = privilege || rd.privilege
		exposed = exposed || rd.exposed
		dataOut = dataOut || rd.dataOut
		evasion = evasion || rd.evasion
		public = public || rd.public
	}
	label, why := securityEventsSeverity(privilege, dataOut, evasion, public, exposed, attack, scan)
	if alert, alertWhy := alertLevelSeverity(texts, r); triage.SeverityIndex(alert) < triage.SeverityIndex(label) {
		label, why = alert, alertWhy
	}
	return label, why
}

// alertLevelRe reads the level a detector gave its own alert: Wazuh/OSSEC
// "Rule: 100210 (level 13)" or JSON "rule":{..."level":13}, Suricata/Snort
// "alert":{..."severity":1}.
var alertLevelRe = regexp.MustCompile(`rule: \d+ \(level (\d+)\)|"rule": ?\{[^}]*"level": ?(\d+)|"alert": ?\{[^}]*"severity": ?(\d+)`)

// alertLevelSeverity is the least severity the detectors' own levels ask
// for: Wazuh 12+ is "high importance", 15 a severe attack; a Suricata
// priority-1 signature is worth a look (what it achieved decides more).
func alertLevelSeverity(texts []string, r *reader) (string, string) {
	label, why := "info", ""
	for _, text := range texts {
		if r.injected(text) {
			continue
		}
		lower := r.seen[text].lower
		if !strings.Contains(lower, "level") && !strings.Contains(lower, "severity") {
			continue
		}
		for _, m := range alertLevelRe.FindAllStringSubmatch(lower, -1) {
			to := ""
			switch wazuh, _ := strconv.Atoi(m[1] + m[2]); {
			case wazuh >= 15:
				to = "critical"
			case wazuh >= 12:
				to = "high"
			case m[3] == "1":
				to = "medium"
			}
			if to != "" && triage.SeverityIndex(to) < triage.SeverityIndex(label) {
				label, why = to, "the detector's own alert level: "+strings.TrimSpace(m[0])
			}
		}
	}
	return label, why
}

// securityEventsSeverity judges what the security vocabulary found.
func securityEventsSeverity(privilege, dataOut, evasion, public, exposed, attack, scan bool) (string, string) {
	switch {
	case privilege && dataOut:
		return "critical", "a privileged change by an unexpected party, then data taken out"
	case privilege && (evasion || public):
		return "critical", "a privileged change, then the audit trail stopped or data opened to the world"
	case evasion || public:
		return "high", "the audit trail stopped or data opened to the world"
	case privilege:
		return "high", "a privileged action by an unexpected party"
	case exposed:
		return "high", "credentials exposed"
	case attack:
		return "medium", "attacks against the application"
	case scan:
		return "low", "scans or denials that were blocked or only logged"
	}
	return "medium", "security events"
}
