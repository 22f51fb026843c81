package rules

import (
	"sort"
	"strconv"
	"strings"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/vocab"
)

// extract reads the evidence of a log: counts and signals, the failure
// kinds of its failing lines, the category they point at (with skills) and,
// on a security case, what the attacker achieved. It also returns the
// facts and line readings the packet is written from.
func (c *Classifier) extract(in triage.ClassifyInput) (Evidence, facts, *reader, []string) {
	f := factsOf(in)
	r := newReader()
	kinds := kindsOf(in.Templates, r)
	category, skills := c.categorize(in, f, kinds, r)
	ev := Evidence{
		Lines: f.lines, Fatal: f.fatal, Errors: f.errors, Warns: f.warns, StackTraces: f.stackTraces, WarnRepeat: f.warnRepeat,
		Failing: kinds.failing, FailingErrors: kinds.errors, HardRaw: kinds.hard, Hard: kinds.hard, Soft: kinds.soft, Minor: kinds.minor,
		Retried: kinds.retried, Timeouts: kinds.timeouts, Probes: kinds.probes, Renewals: kinds.renewals,
		Recovered: kinds.recovered, Healed: kinds.healed, LastFailing: kinds.lastLine, Impact: kinds.impact, Total: kinds.total, CertStillValid: kinds.stillValid, StartupOnly: kinds.startup,
		Category: category, Role: c.role(category),
		PIIRisk: triage.ScorePIIRisk(in.Findings).Label, Secret: hasSecret(in.Findings),
	}
	for _, s := range f.signals {
		ev.Signals = append(ev.Signals, s.Name)
		if floor := triage.SignalFloor(s); ev.SignalFloor == "" || triage.SeverityIndex(floor) < triage.SeverityIndex(ev.SignalFloor) {
			ev.SignalFloor = floor
		}
	}
	hardBy := kinds.hardBy
	if ev.Role == RoleSecurity {
		// On a security case, rejected credentials are the attack being
		// reported, not a broken dependency.
		ev.Hard -= hardBy[credentialsRejected]
		hardBy = map[string]int{}
		for k, n := range kinds.hardBy {
			if k != credentialsRejected {
				hardBy[k] = n
			}
		}
		readSecurity(in, r, &ev)
	}
	ev.Kind = topKind(hardBy)
	ev.RestartLoop = anyLine(in, r, restartLoop)
	ev.Contained = anyLine(in, r, contained) && !anyLine(in, r, noRedundancy)
	return ev, f, r, skills
}

// credentialsRejected is the failure kind of refused logins and keys.
const credentialsRejected = "credentials rejected"

// role is what category is for in the routing config.
func (c *Classifier) role(category string) Role {
	switch {
	case category == "":
		return ""
	case category == c.security:
		return RoleSecurity
	case category == c.transport:
		return RoleTransport
	case category == c.router.DefaultCategory():
		return RoleCatchAll
	}
	return RoleSystem
}

// topKind is the hard kind most failing lines report, "" for none.
func topKind(hardBy map[string]int) string {
	var names []string
	for n, count := range hardBy {
		if count > 0 {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		return hardBy[a] > hardBy[b] || hardBy[a] == hardBy[b] && a < b
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// readSecurity fills the security readings: templates see every kind of
// line once; the excerpt sees lines one template holds many of
// (CloudTrail events differ only in values).
func readSecurity(in triage.ClassifyInput, r *reader, ev *Evidence) {
	defer func() { ev.LoginAfterAttack = ev.LoginAfterAttack && ev.Attack }()
	texts := make([]string, 0, len(in.Templates)+len(in.Excerpt))
	for _, t := range in.Templates {
		texts = append(texts, t.Example)
	}
	texts = append(texts, in.Excerpt...)
	for _, text := range texts {
		rd := r.readSecurity(text)
		ev.Scan = ev.Scan || rd.scan
		ev.Attack = ev.Attack || rd.attack
		ev.Privilege = ev.Privilege || rd.privilege
		ev.Exposed = ev.Exposed || rd.exposed
		ev.DataOut = ev.DataOut || rd.dataOut
		ev.Evasion = ev.Evasion || rd.evasion
		ev.Public = ev.Public || rd.public
		ev.LoginAfterAttack = ev.LoginAfterAttack || rd.loginOK
		if rd.injected {
			continue
		}
		lower := rd.lower
		if !strings.Contains(lower, "level") && !strings.Contains(lower, "severity") {
			continue
		}
		// The level a detector gave its own alert: Wazuh/OSSEC 12+ is
		// "high importance", 15 a severe attack; a Suricata priority-1
		// signature is worth a look.
		for _, m := range alertLevelRe.FindAllStringSubmatch(lower, -1) {
			if level, err := strconv.Atoi(m[1] + m[2]); err == nil {
				ev.AlertLevel = max(ev.AlertLevel, level)
			}
			ev.AlertPriority1 = ev.AlertPriority1 || m[3] == "1"
		}
	}
}

// restartLoop: a process that keeps being restarted; contained: redundancy
// taking over; noRedundancy: none left to take over.
var (
	restartLoop  = vocab.Default().Pattern("restart_loop")
	contained    = vocab.Default().Pattern("contained")
	noRedundancy = vocab.Default().Pattern("no_redundancy")
)

// anyLine reports whether any template example or excerpt line (not one
// addressed to a classifier) matches p.
func anyLine(in triage.ClassifyInput, r *reader, p *vocab.Pattern) bool {
	for _, t := range in.Templates {
		if !r.injected(t.Example) && p.MatchString(r.seen[t.Example].lower) {
			return true
		}
	}
	for _, l := range in.Excerpt {
		if !r.injected(l) && p.MatchString(r.seen[l].lower) {
			return true
		}
	}
	return false
}
