package anomaly

import (
	"bytes"
	"regexp"
)

// authEvent is what an auth or access log line says about a login or a
// privileged action. The actor is a name in the redacted line (user names
// are not PII the detectors redact); it is fingerprinted before it is kept.
type authEvent struct {
	failed, succeeded, admin bool
	actor                    []byte
}

// authCheap are lower-case substrings one of which every auth line holds;
// the regular expressions run only on lines that have one.
var authCheap = [][]byte{
	[]byte("auth"), []byte("login"), []byte("logon"), []byte("password"), []byte("sudo"),
	[]byte("invalid user"), []byte("session opened"), []byte("su:"), []byte("publickey"),
	[]byte("permission denied"), []byte("access denied"), []byte("unauthorized"), []byte("forbidden"),
	[]byte("http/"), []byte("admin"),
}

var (
	authFailed = regexp.MustCompile(`(?i)authentication failure|failed password|failed publickey|invalid user|login failed|failed login|logon failure|authentication failed|auth(?:entication)? error|incorrect password|bad password|permission denied \(publickey|access denied for user|unauthorized|" (?:401|403) `)
	authOK     = regexp.MustCompile(`(?i)accepted (?:password|publickey|keyboard-interactive)|session opened for user|login succeeded|successful login|logged in|authenticated successfully`)
	// adminAction: a privileged action or an action by an administrator.
	adminAction = regexp.MustCompile(`(?i)\bsudo\b.*COMMAND=|\bsu(?:\(pam_unix\))?\[\d+\]?:? .*session opened for user root|session opened for user root|accepted \w+ for root\b|\brole[=:"\s]+(?:admin|administrator|owner|superuser)\b|\badmin(?:istrator)? (?:login|action|privileges? granted)|\bgrant(?:ed)? (?:admin|superuser)`)
	// actorRes pull the acting user's name, most specific first.
	actorRes = []*regexp.Regexp{
		regexp.MustCompile(`(?i)\bfor (?:invalid user |illegal user )?([\w.@\-\[\]:]+) from\b`),
		regexp.MustCompile(`(?i)\bsudo:\s+([\w.\-]+)\s*:`),
		regexp.MustCompile(`(?i)\b(?:user|username|login|actor|principal|account)[=:]\s*"?([\w.@\-\[\]:]+)`),
		regexp.MustCompile(`(?i)\bsession opened for user ([\w.\-]+)`),
		regexp.MustCompile(`(?i)\buser ([\w.@\-]+)`),
		// Common/combined access log: host ident authuser [date]
		regexp.MustCompile(`^\S+ \S+ ([^\s\-\[][^\s\[]*) \[`),
	}
)

// hasAuthWord: the lower-cased line holds one of authCheap.
func hasAuthWord(lower []byte) bool {
	for _, c := range authCheap {
		if bytes.Contains(lower, c) {
			return true
		}
	}
	return false
}

// parseAuth reads an auth event from a redacted line; lower is the line
// lower-cased. ok is false for lines that are not about authentication.
func parseAuth(line, lower []byte) (authEvent, bool) {
	if !hasAuthWord(lower) {
		return authEvent{}, false
	}
	ev := authEvent{failed: authFailed.Match(line)}
	ev.succeeded = !ev.failed && authOK.Match(line)
	ev.admin = !ev.failed && adminAction.Match(line)
	if !ev.failed && !ev.succeeded && !ev.admin {
		return authEvent{}, false
	}
	for _, re := range actorRes {
		if m := re.FindSubmatch(line); m != nil && len(m[1]) > 0 && !bytes.Equal(m[1], []byte("unknown")) {
			ev.actor = m[1]
			break
		}
	}
	return ev, true
}
