package main

import (
	"fmt"
	"math/rand"
	"strings"
	"time"
)

// span is one planted sensitive value: its canonical type and byte offsets
// into the finished log (end exclusive).
type span struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// builder writes one log line by line. Sensitive values enter lines only
// through the marker helpers (ip, email, card, ...), so every one of them is
// labelled with its exact byte span; a bare value typed into a template
// would be an unlabelled finding and is a generator bug.
type builder struct {
	r        *rand.Rand
	now      time.Time
	buf      strings.Builder
	spans    []span
	keyLines []string
	lines    int

	// inject, when set, is written as line number injectAt (0-based) of the
	// log, whatever the scenario writes there.
	inject   string
	injectAt int
}

const (
	markOpen  = "«"
	markSep   = "|"
	markClose = "»"
)

func newBuilder(r *rand.Rand) *builder {
	start := time.Date(2026, time.Month(1+r.Intn(10)), 1+r.Intn(27), r.Intn(24), r.Intn(60), r.Intn(60), 0, time.UTC)
	return &builder{r: r, now: start}
}

// mark wraps a value so add() records its span.
func mark(typ, value string) string { return markOpen + typ + markSep + value + markClose }

// add appends one line, resolving markers into labelled spans.
func (b *builder) add(line string) {
	if b.inject != "" && b.lines >= b.injectAt {
		injected := b.inject
		b.inject = ""
		b.add(injected)
	}
	b.lines++
	for {
		i := strings.Index(line, markOpen)
		if i < 0 {
			break
		}
		b.buf.WriteString(line[:i])
		rest := line[i+len(markOpen):]
		sep := strings.Index(rest, markSep)
		end := strings.Index(rest, markClose)
		if sep < 0 || end < sep {
			panic("malformed marker in " + line)
		}
		typ, value := rest[:sep], rest[sep+len(markSep):end]
		start := b.buf.Len()
		b.buf.WriteString(value)
		b.spans = append(b.spans, span{Type: typ, Start: start, End: b.buf.Len()})
		line = rest[end+len(markClose):]
	}
	b.buf.WriteString(line)
	b.buf.WriteByte('\n')
}

// key appends a line a senior engineer would quote in the escalation. Only
// lines without sensitive values are recorded as gold key lines, so a gold
// key line reads the same in the raw and the redacted log.
func (b *builder) key(line string) {
	b.add(line)
	if !strings.Contains(line, markOpen) {
		b.keyLines = append(b.keyLines, line)
	}
}

// tick advances the clock by a random duration in [min, max) milliseconds.
func (b *builder) tick(minMS, maxMS int) time.Time {
	b.now = b.now.Add(time.Duration(minMS+b.r.Intn(maxMS-minMS+1)) * time.Millisecond)
	return b.now
}

func (b *builder) pick(options ...string) string { return options[b.r.Intn(len(options))] }
func (b *builder) between(lo, hi int) int        { return lo + b.r.Intn(hi-lo+1) }

// Timestamp formats seen in the wild.
func (b *builder) iso() string      { return b.tick(20, 900).Format("2006-01-02T15:04:05.000Z") }
func (b *builder) syslogTS() string { return b.tick(20, 900).Format("Jan _2 15:04:05") }
func (b *builder) pgTS() string     { return b.tick(20, 900).Format("2006-01-02 15:04:05.000 UTC") }
func (b *builder) javaTS() string   { return b.tick(20, 900).Format("2006-01-02 15:04:05,000") }
func (b *builder) nginxTS() string  { return b.tick(20, 900).Format("02/Jan/2006:15:04:05 -0700") }
func (b *builder) nginxErrTS() string {
	return b.tick(20, 900).Format("2006/01/02 15:04:05")
}
func (b *builder) mysqlTS() string { return b.tick(20, 900).Format("2006-01-02T15:04:05.000000Z") }

// Sensitive values, always marked.
func (b *builder) privateIP() string {
	return mark("ip_address", fmt.Sprintf("10.%d.%d.%d", b.between(0, 40), b.between(0, 254), b.between(2, 254)))
}

// publicIP draws from the documentation ranges (RFC 5737) so no real host is named.
func (b *builder) publicIP() string {
	prefix := b.pick("203.0.113", "198.51.100", "192.0.2")
	return mark("ip_address", fmt.Sprintf("%s.%d", prefix, b.between(2, 254)))
}

var firstNames = []string{"alice", "bob", "carol", "dmitri", "elena", "farid", "grace", "hiro", "ines", "jamal", "kofi", "lena", "mateo", "nadia", "oscar", "priya"}
var lastNames = []string{"smith", "novak", "garcia", "okafor", "tanaka", "muller", "rossi", "kim", "singh", "dubois", "larsen", "costa"}

func (b *builder) emailValue() string {
	return fmt.Sprintf("%s.%s@%s", b.pick(firstNames...), b.pick(lastNames...), b.pick("example.com", "example.org", "mail.example.net"))
}
func (b *builder) email() string { return mark("email", b.emailValue()) }

// card returns a Luhn-valid test card number (the networks' published test PANs).
func (b *builder) card() string {
	return mark("credit_card", b.pick("4111111111111111", "5555555555554444", "4012888888881881", "378282246310005", "6011111111111117"))
}

func (b *builder) phone() string {
	return mark("phone", fmt.Sprintf("+1-202-555-%04d", b.between(100, 9999)))
}

func (b *builder) ssn() string {
	return mark("us_ssn", fmt.Sprintf("%03d-%02d-%04d", b.between(120, 665), b.between(10, 99), b.between(1000, 9999)))
}

// awsKeyID is a format-valid, made-up access key id. Not AWS's documentation
// example (AKIAIOSFODNN7EXAMPLE): detectors rightly allow-list that one.
func (b *builder) awsKeyID() string {
	const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	id := []byte("AKIA")
	for i := 0; i < 16; i++ {
		id = append(id, base32[b.r.Intn(len(base32))])
	}
	return mark("aws_access_key_id", string(id))
}

func (b *builder) password(value string) string { return mark("password", value) }

func (b *builder) urlCreds(scheme, user, pass, host string) string {
	return mark("url_credentials", fmt.Sprintf("%s://%s:%s@%s", scheme, user, pass, host))
}

// Identifiers that are not sensitive.
func (b *builder) hex(n int) string {
	const digits = "0123456789abcdef"
	out := make([]byte, n)
	for i := range out {
		out[i] = digits[b.r.Intn(16)]
	}
	return string(out)
}
func (b *builder) reqID() string { return "req-" + b.hex(8) }
func (b *builder) podSuffix() string {
	return b.hex(10) + "-" + b.hex(5)
}
func (b *builder) user() string { return b.pick(firstNames...) + "_" + b.pick(lastNames...) }

// nodeName is an EC2-style private host name (dashes, so not an address).
func (b *builder) nodeName() string {
	return fmt.Sprintf("ip-10-%d-%d-%d", b.between(0, 40), b.between(0, 254), b.between(2, 254))
}
