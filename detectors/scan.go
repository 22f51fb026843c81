package detectors

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
)

// The scanner makes one pass over a block of whole lines. A byte-class table
// picks the few positions where a detector could start (a digit or letter at a
// word start, '@', '=', ':', '+', '(', '-'); each detector there is a small
// hand-written parser with its validator. No regular expression runs on the
// built-in path, so lines that cannot match cost one table lookup per byte.

// cand is a candidate finding relative to the block.
type cand struct {
	start, end int
	det        *detector
	conf       float64
	norm       []byte // value to fingerprint when it differs from the span (digits of a card)
}

type trigger uint8

const (
	tNone trigger = iota
	tDigit
	tUpper
	tLower
	tAt
	tSep // '=' or ':'
	tPlus
	tParen
	tDash
	tGT      // '>' closing an XML start tag
	tPercent // "%40", a percent-encoded '@'
	tWord    // a letter no detector starts with, or '_': skip the word
)

var trig [256]trigger

func init() {
	for c := '0'; c <= '9'; c++ {
		trig[c] = tDigit
	}
	for c := 'A'; c <= 'Z'; c++ {
		trig[c] = tUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		trig[c] = tWord
	}
	trig['_'] = tWord
	for _, c := range "abeghnprswxy" {
		trig[c] = tLower
	}
	trig['@'] = tAt
	trig['='] = tSep
	trig[':'] = tSep
	trig['+'] = tPlus
	trig['('] = tParen
	trig['-'] = tDash
	trig['>'] = tGT
	trig['%'] = tPercent
}

type scanner struct {
	e       *Engine
	b       []byte
	final   bool // no more input follows this block: close open PEM blocks here
	out     []cand
	pending int // start of the line holding an unterminated PEM block, or -1

	noPEMEndBefore int // no "-----END " occurs before this offset past the last search
}

func (s *scanner) add(start, end int, d *detector, conf float64, norm []byte) {
	if end <= start {
		return
	}
	if d.cat == CategorySecret && !d.custom && filler(s.b, start, end) {
		return // ghp_xxxx…, glpat-XXXXXXXXXXX-XXXXXXXX, xoxp-…-####: documentation, not a token
	}
	if d.id == idGeneric || d.id == idBearer || d.id == idSession {
		end = wrappedEnd(s.b, start, end) // a token a printer wrapped at a fixed width
	}
	s.out = append(s.out, cand{start: start, end: end, det: d, conf: conf, norm: norm})
}

func (s *scanner) run() {
	b := s.b
	n := len(b)
	for i := 0; i < n; {
		t := trig[b[i]]
		if t == tNone {
			i++
			continue
		}
		next := i + 1
		switch t {
		case tWord:
			next = skipWord(b, next)
		case tDigit, tUpper, tLower:
			if i > 0 && isWord(b[i-1]) {
				// inside a word: nothing starts here, skip to its end
				next = skipWord(b, next)
				break
			}
			switch t {
			case tDigit:
				next = s.numeric(i)
			case tUpper:
				next = s.upperWord(i)
			default:
				next = s.lowerWord(i)
			}
		case tAt:
			next = s.email(i, 1)
		case tPercent:
			if i+2 < n && b[i+1] == '4' && b[i+2] == '0' {
				next = s.email(i, 3)
			}
		case tSep:
			next = s.separator(i)
		case tPlus:
			next = s.plusPhone(i)
		case tParen:
			next = s.parenPhone(i)
		case tGT:
			next = s.xmlElement(i)
		case tDash:
			if hasPrefix(b[i:], "-----BEGIN ") {
				next = s.pem(i)
				if s.pending >= 0 {
					return
				}
			} else {
				next = s.passwordFlag(i)
			}
		}
		if next <= i {
			next = i + 1
		}
		i = next
	}
}

// skipWord returns the end of the word run at i, eight lower-case letters
// at a time while it can (most bytes of a log are inside words).
func skipWord(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		// every byte in 'a'..'z': no byte below 'a' (x-0x61 borrows into the
		// high bit) and none above 'z' (x+0x05 reaches the high bit).
		if ((x-0x6161616161616161)|(x+0x0505050505050505))&0x8080808080808080 != 0 {
			break
		}
		i += 8
	}
	for i < len(b) && isWord(b[i]) {
		i++
	}
	return i
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if b[i]|0x20 != p[i]|0x20 {
			return false
		}
	}
	return true
}

// runOf returns the end of the run of bytes in tab starting at i.
func runOf(b []byte, i int, tab *[256]bool) int {
	for i < len(b) && tab[b[i]] {
		i++
	}
	return i
}

func runDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// lineBefore returns up to max bytes before i on the same line, lower-cased into buf.
func lineBefore(b []byte, i, max int, buf []byte) []byte {
	lo := i - max
	if lo < 0 {
		lo = 0
	}
	w := b[lo:i]
	if nl := bytes.LastIndexByte(w, '\n'); nl >= 0 {
		w = w[nl+1:]
	}
	out := buf[:0]
	for _, c := range w {
		if isUpper(c) {
			c |= 0x20
		}
		out = append(out, c)
	}
	return out
}

// contextHas reports whether one of words occurs as a word (not inside
// another: "tel" is not in "hotel", "cc" not in "access") in the 48 bytes
// before i on the same line. A word may be followed by a camelCase word
// (phoneNumber) or a separator.
func contextHas(b []byte, i int, words ...string) bool {
	var buf [48]byte
	lo := max(0, i-len(buf))
	orig := b[lo:i]
	if nl := bytes.LastIndexByte(orig, '\n'); nl >= 0 {
		orig = orig[nl+1:]
	}
	w := lineBefore(b, i, len(buf), buf[:])
	for _, word := range words {
		for off := 0; ; {
			k := bytes.Index(w[off:], []byte(word))
			if k < 0 {
				break
			}
			k += off
			end := k + len(word)
			// "6FaxHA2" inside a base64 cookie is not a fax number
			before := k == 0 || !isAlnum(w[k-1])
			after := end == len(w) || !isAlnum(orig[end]) || isUpper(orig[end]) && end+1 < len(w) && isLower(orig[end+1])
			if before && after {
				return true
			}
			off = k + 1
		}
	}
	return false
}

var (
	cardContext  = []string{"card", "cc", "pan", "visa", "mastercard", "amex", "credit", "debit", "payment"}
	ssnContext   = []string{"ssn", "social security", "social_security", "socialsecurity", "ss#", "taxpayer"}
	phoneContext = []string{"phone", "tel", "mobile", "cell", "cellphone", "telephone", "fax", "sms", "call", "contact", "msisdn", "whatsapp", "mob"}
)

// numBoundaryBefore: a number starting at i is a token of its own, not the
// tail of an identifier (blk_-123, v1.2, x-42) or a signed/decimal number.
func numBoundaryBefore(b []byte, i int) bool {
	if i == 0 {
		return true
	}
	c := b[i-1]
	return !isWord(c) && c != '.' && c != '-' && c != '+' && c != '$' && c != '#'
}

// numBoundaryAfter: nothing that continues a number or an identifier follows.
func numBoundaryAfter(b []byte, j int) bool {
	if j >= len(b) {
		return true
	}
	c := b[j]
	if isWord(c) {
		return false
	}
	if (c == '.' || c == '-') && j+1 < len(b) && isDigit(b[j+1]) {
		return false
	}
	return true
}

// numeric handles a token that starts with a digit: IPv4, SSN, phone, card.
func (s *scanner) numeric(i int) int {
	b := s.b
	j := runDigits(b, i)
	if !numBoundaryBefore(b, i) {
		return j
	}
	run := j - i
	if j < len(b) {
		switch b[j] {
		case '.':
			if end, ok := s.ipv4(i); ok {
				return end
			}
			if run == 3 {
				if end, ok := s.groupedNumber(i, '.'); ok {
					return end
				}
			}
			return j
		case '-', ' ':
			if end, ok := s.groupedNumber(i, b[j]); ok {
				return end
			}
		}
	}
	if !numBoundaryAfter(b, j) {
		return j
	}
	d := b[i:j]
	if run >= 13 && run <= 19 && validCard(d) {
		conf := 0.8
		if contextHas(b, i, cardContext...) {
			conf = 0.95
		} else if idKeyBefore(b, i) || plainKeyBefore(b, i) {
			return j // order_id=4532..., u64=4576169526667771907: a Luhn-valid identifier
		}
		s.add(i, j, s.e.det(idCreditCard), conf, nil)
		return j
	}
	switch {
	case run == 9:
		if validSSN(d[:3], d[3:5], d[5:]) && contextHas(b, i, ssnContext...) {
			s.add(i, j, s.e.det(idSSN), 0.8, nil)
		}
	case run == 10 && d[0] != '0' || (run == 11 && d[0] == '1'):
		nanp := d[run-10:]
		if nanp[0] >= '2' && nanp[3] >= '2' && (contextHas(b, i, phoneContext...) || phoneLabelAfter(b, j)) {
			s.add(i, j, s.e.det(idPhone), 0.7, nil)
		}
	case run >= 10 && run <= 17 && bareInternational(d) && (phoneKeyBefore(b, i) || phoneLabelAfter(b, j)):
		s.add(i, j, s.e.det(idPhone), 0.7, nil)
	}
	return j
}

// phoneLabelAfter: the number ending at j is labelled after it: "07700 900123
// is my mobile", "4155550132 (cell)", "+44 20 7946 0958 - office phone".
// Only a label right after it counts (past spaces, brackets, a dash, a comma
// and a few small words), so "took 4155550132 ms to call" is not a phone.
func phoneLabelAfter(b []byte, j int) bool {
	k := j
	for n := 0; k < len(b) && n < 4 && (b[k] == ' ' || b[k] == '(' || b[k] == '[' || b[k] == '-' || b[k] == ',' || b[k] == ':'); n++ {
		k++
	}
	for words := 0; words < 3; words++ {
		e := k
		for e < len(b) && e-k < 12 && isAlpha(b[e]) {
			e++
		}
		if e == k || e < len(b) && isAlnum(b[e]) {
			return false
		}
		w := b[k:e]
		for _, pw := range phoneContext {
			if len(w) == len(pw) && hasPrefixFold(w, pw) && pw != "call" && pw != "contact" {
				return true
			}
		}
		small := false
		for _, sw := range []string{"is", "my", "our", "his", "her", "the", "a", "work", "home", "office", "private"} {
			if len(w) == len(sw) && hasPrefixFold(w, sw) {
				small = true
			}
		}
		if !small || e >= len(b) || b[e] != ' ' {
			return false
		}
		k = e + 1
	}
	return false
}

// phoneKeyBefore: the word or key right before i (past spaces, ':', '='
// and quotes) names a phone: "msisdn 4477…", "mobile=0044…", `"phone_number": "…"`.
// Nearer than contextHas: "&mobile=…&ts=1792472740570" is a timestamp.
func phoneKeyBefore(b []byte, i int) bool {
	k := i
	for n := 0; k > 0 && n < 4; n++ {
		if c := b[k-1]; c != ' ' && c != '=' && c != ':' && c != '"' && c != '\'' && c != '\t' {
			break
		}
		k--
	}
	e := k
	for k > 0 && e-k < 32 && (isAlnum(b[k-1]) || b[k-1] == '_' || b[k-1] == '-' || b[k-1] == '.') {
		k--
	}
	return k < e && contextHas(b[k:e], e-k, phoneContext...)
}

// bareInternational: a phone number written without '+' (SMS gateways log
// MSISDNs as 447700900123): a country code and 10-15 digits, the "00"
// international prefix and 10-15 more, or a national number with its trunk
// '0' (10-11 digits). Only taken right after a phone word.
func bareInternational(d []byte) bool {
	n := len(d)
	switch {
	case d[0] == '0' && d[1] == '0':
		return d[2] != '0' && n-2 >= 10 && n-2 <= 15
	case d[0] == '0':
		return d[1] != '0' && n <= 11
	}
	return n >= 11 && n <= 15
}

// idKeyBefore: the value at i belongs to a key naming an identifier
// (order_id=, txnId:, "request-id": ...).
func idKeyBefore(b []byte, i int) bool {
	k := i
	for k > 0 && i-k < 3 && (b[k-1] == '"' || b[k-1] == '\'' || b[k-1] == ' ' || b[k-1] == '=' || b[k-1] == ':') {
		k--
	}
	if k == i || k < 2 {
		return false
	}
	return (b[k-1]|0x20) == 'd' && (b[k-2]|0x20) == 'i' && (k < 3 || !isLower(b[k-3]) || b[k-2] == 'I')
}

// plainKeyBefore: the bare number at i is the value of a key that does not
// name a card (a card key was looked for first): "u64=4576169526667771907"
// in strace, "offset: 6011…". One in ten long numbers passes Luhn.
func plainKeyBefore(b []byte, i int) bool {
	k := i
	if k > 0 && (b[k-1] == '"' || b[k-1] == '\'') {
		k--
	}
	if k > 0 && b[k-1] == ' ' {
		k--
	}
	if k == 0 || (b[k-1] != '=' && b[k-1] != ':') {
		return false
	}
	k--
	if k > 0 && (b[k-1] == '"' || b[k-1] == '\'') {
		k--
	}
	e := k
	for k > 0 && e-k < 32 && (isWord(b[k-1]) || b[k-1] == '-' || b[k-1] == '.') {
		k--
	}
	if k == e {
		return false
	}
	// keys that carry whatever a user typed keep the card check
	var buf [32]byte
	key := lineBefore(b[:e], e, e-k, buf[:])
	for _, w := range []string{"num", "value", "val", "data", "field", "input", "text"} {
		if bytes.Contains(key, []byte(w)) {
			return false
		}
	}
	return true
}

// groupedNumber parses digit groups joined by one separator byte and matches
// the layouts of SSNs, NANP phone numbers and printed card numbers.
func (s *scanner) groupedNumber(i int, sep byte) (int, bool) {
	b := s.b
	var groups [6]int
	var digits [24]byte
	ng, nd := 0, 0
	j := i
	for ng < len(groups) {
		k := runDigits(b, j)
		if k == j || nd+(k-j) > len(digits) {
			break
		}
		nd += k - j
		groups[ng] = k - j
		ng++
		j = k
		if j+1 < len(b) && b[j] == sep && isDigit(b[j+1]) {
			j++
			continue
		}
		break
	}
	// every layout has 9 to 19 digits: dates and times leave here
	if ng < 2 || nd < 9 || nd > 19 || !numBoundaryAfter(b, j) {
		return j, false
	}
	if j < len(b) && b[j] == sep && j+1 < len(b) && isDigit(b[j+1]) {
		return j, false // more groups than any layout has
	}
	for k, w := i, 0; k < j; k++ {
		if isDigit(b[k]) {
			digits[w] = b[k]
			w++
		}
	}
	g := groups[:ng]
	d := digits[:nd]
	norm := func() []byte { return append([]byte(nil), d...) }
	switch {
	case eqInts(g, 3, 2, 4) && sep != '.':
		if !validSSN(d[:3], d[3:5], d[5:]) {
			return j, false
		}
		ctx := contextHas(b, i, ssnContext...)
		if sep == ' ' && !ctx {
			return j, false
		}
		conf := 0.85
		if ctx {
			conf = 0.95
		}
		s.add(i, j, s.e.det(idSSN), conf, norm())
		return j, true
	case eqInts(g, 3, 3, 4) || eqInts(g, 1, 3, 3, 4):
		nanp := d[len(d)-10:]
		if len(d) == 11 && d[0] != '1' {
			return j, false
		}
		// NANP area codes and exchanges start at 2; after a phone word a
		// number that breaks that rule (555-123-4567, test data's favourite)
		// is still written as a phone number
		ctx := contextHas(b, i, phoneContext...)
		if (nanp[0] < '2' || nanp[3] < '2') && !(ctx && sep == '-') {
			return j, false
		}
		if sep != '-' && !ctx {
			return j, false
		}
		conf := 0.7
		if ctx {
			conf = 0.9
		}
		s.add(i, j, s.e.det(idPhone), conf, norm())
		return j, true
	case sep != '.' && (eqInts(g, 4, 4, 4, 4) || eqInts(g, 4, 4, 4, 4, 3) || eqInts(g, 4, 6, 5) || eqInts(g, 4, 6, 4) || eqInts(g, 4, 4, 4, 1)):
		if !validCard(d) {
			return j, false
		}
		s.add(i, j, s.e.det(idCreditCard), 0.9, norm())
		return j, true
	case ng <= 5 && nd >= 9 && nd <= 12 && g[0] <= 5 && slices.Min(g) >= 2 && sep != '.' && (contextHas(b, i, phoneContext...) || phoneLabelAfter(b, j)):
		// a national number after a phone word: "phone: 020 7946 0958"
		// (a first group of six is a date or time: HDFS's "081109 203615")
		s.add(i, j, s.e.det(idPhone), 0.75, norm())
		return j, true
	}
	return j, false
}

func eqInts(g []int, want ...int) bool {
	if len(g) != len(want) {
		return false
	}
	for i := range g {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}

// versionWords precede dotted numbers that are versions, not addresses.
var versionWords = []string{"version", "ver", "v", "release", "build", "firmware", "fw", "rev", "revision", "os", "kernel"}

// ipv4 parses a dotted quad at i (a digit at a token start).
func (s *scanner) ipv4(i int) (int, bool) {
	b := s.b
	j := i
	var oct [4]int
	for k := 0; k < 4; k++ {
		e := runDigits(b, j)
		if e == j || e-j > 3 || (e-j > 1 && b[j] == '0') {
			return e, false
		}
		v := 0
		for _, c := range b[j:e] {
			v = v*10 + int(c-'0')
		}
		if v > 255 {
			return e, false
		}
		oct[k] = v
		j = e
		if k < 3 {
			if j >= len(b) || b[j] != '.' {
				return j, false
			}
			j++
		}
	}
	if j < len(b) {
		c := b[j]
		if isWord(c) || ((c == '.' || c == '-' || c == '+' || c == '~') && j+1 < len(b) && isAlnum(b[j+1])) {
			return j, false // 1.2.3.4-1, 4.1.4.2+svn3283: package versions
		}
	}
	if versionContext(b, i) {
		return j, false
	}
	// "Chrome/120.0.0.0", "version 1.2.3.4": a version, not an address.
	// ("ip-10-0-1-23.ec2.internal/10.0.1.23" is a host, then its address.)
	if i >= 2 && b[i-1] == '/' && isAlnum(b[i-2]) && productBefore(b, i-1) {
		return j, false
	}
	if precededByWord(b, i, versionWords) {
		return j, false
	}
	if !ipContext(b, i, j) && versionShaped(b, i, j, oct) {
		return j, false
	}
	if oct[0] == 0 || oct[0] == 255 {
		return j, false // unspecified, broadcast, netmasks
	}
	conf := 0.9
	if oct[0] == 127 {
		conf = 0.5
	}
	s.add(i, j, s.e.det(idIP), conf, nil)
	return j, true
}

// ipWords name an address right before it: "from 3.9.5.1", "nameserver 8.8.8.8".
var ipWords = []string{"ip", "ipv4", "addr", "address", "host", "from", "client", "server", "peer", "remote", "rhost",
	"src", "dst", "source", "dest", "destination", "gateway", "gw", "dns", "nameserver", "resolver", "via", "proxy",
	"inet", "listen", "listening", "bind", "node", "router", "nat", "route", "endpoint", "upstream", "connect", "connecting", "connected", "relay"}

// ipContext: something around the dotted quad at i..j says it is an address:
// a port or prefix length after it, '@', '[', '/' or '=' right before it, or
// an address word before it.
func ipContext(b []byte, i, j int) bool {
	if j+1 < len(b) && (b[j] == ':' || b[j] == '/') && isDigit(b[j+1]) {
		return true
	}
	if i > 0 {
		switch b[i-1] {
		case '@', '[', '/', '=':
			return true
		}
	}
	return precededByWord(b, i, ipWords) || parenAfter(b, i, true) || ipWordBeforePreposition(b, i)
}

// ipWordBeforePreposition: "resolver at 8.8.8.8", "server is 1.1.1.1",
// "gateway set to 9.9.9.9": an address word, then a small word, then the quad.
func ipWordBeforePreposition(b []byte, i int) bool {
	k := i
	if k == 0 || b[k-1] != ' ' {
		return false
	}
	k--
	e := k
	for k > 0 && e-k < 4 && isLower(b[k-1]) {
		k--
	}
	if k == e || k == 0 || b[k-1] != ' ' {
		return false
	}
	switch string(b[k:e]) {
	case "at", "on", "is", "to", "via", "of", "was":
		return precededByWord(b, k-1, ipWords)
	}
	return false
}

// parenAfter: the quad at i sits in parentheses after a word that is (host)
// or is not (!host) a dotted host name: "PING one.one.one.one (1.1.1.1)"
// against "dpkg (1.15.8.1)".
func parenAfter(b []byte, i int, host bool) bool {
	if i == 0 || b[i-1] != '(' {
		return false
	}
	k := i - 1
	if k > 0 && b[k-1] == ' ' {
		k--
	}
	w := k
	for w > 0 && k-w < 64 && (isWord(b[w-1]) || b[w-1] == '-' || b[w-1] == '.' || b[w-1] == '+' || b[w-1] == ':') {
		w--
	}
	if w == k {
		return false
	}
	word := b[w:k]
	if bytes.IndexByte(word, '.') >= 0 {
		return host
	}
	// mIp(10.2.2.80), peer_addr(…), interface en0 (10.142.110.44): an address
	for _, suf := range []string{"ip", "addr", "address", "host"} {
		if len(word) >= len(suf) && hasPrefixFold(word[len(word)-len(suf):], suf) {
			return host
		}
	}
	return !host
}

// versionShaped: without an address's context, a dotted quad is a version
// when it is written like one: after '~' (Windows servicing's
// "amd64~~6.1.1.0"), alone in parentheses after a word that is not a host
// name ("dpkg (1.15.8.1)"), or made of small numbers ("3.9.5.0",
// "6.1.7601.2"): an address starting below 10 with every part below 100 is
// rare outside public resolvers, which are written after an address word.
func versionShaped(b []byte, i, j int, oct [4]int) bool {
	if i > 0 && b[i-1] == '~' {
		return true
	}
	if j < len(b) && b[j] == ')' && oct[0] < 10 && parenAfter(b, i, false) {
		return true // "dpkg (1.15.8.1)": a package or program name, not a host name
	}
	return oct[0] < 10 && oct[1] < 100 && oct[2] < 100 && oct[3] < 100
}

// versionContext: a comparison (">= 1.2.99.2", "==1.0.0.1") or a Debian
// epoch ("1:4.1.4.2") right before i makes a dotted quad a version.
func versionContext(b []byte, i int) bool {
	k := i
	if k > 0 && b[k-1] == ' ' {
		k--
	}
	if k >= 2 {
		switch string(b[k-2 : k]) {
		case ">=", "<=", "==", "~=", "!=":
			return true
		}
		// a lone "> " or "(<" — not "->" or "=>", arrows between addresses
		if (b[k-1] == '>' || b[k-1] == '<') && (b[k-2] == ' ' || b[k-2] == '(') {
			return true
		}
	}
	return i >= 2 && b[i-1] == ':' && isDigit(b[i-2]) && (i < 3 || !isAlnum(b[i-3]) && b[i-3] != ':' && b[i-3] != '.')
}

// productBefore: the token ending at i is a product name (letters, digits,
// '-', '_' after a space or line start), not a dotted host name.
func productBefore(b []byte, i int) bool {
	k := i
	for k > 0 && i-k < 40 && (isWord(b[k-1]) || b[k-1] == '-') {
		k--
	}
	return k == 0 || b[k-1] != '.'
}

// precededByWord reports whether the word right before i (skipping a few
// spaces, '=', ':' or quotes) is one of words, case-insensitively.
func precededByWord(b []byte, i int, words []string) bool {
	k := i
	for skipped := 0; k > 0 && skipped < 4; skipped++ { // `": "` in JSON
		c := b[k-1]
		if c == ' ' || c == '=' || c == ':' || c == '"' || c == '\'' || c == '\t' {
			k--
			continue
		}
		break
	}
	e := k
	for k > 0 && e-k < 12 && isAlpha(b[k-1]) {
		k--
	}
	if k == e || (k > 0 && isAlpha(b[k-1])) {
		return false
	}
	w := b[k:e]
	for _, word := range words {
		if len(word) == len(w) && hasPrefixFold(w, word) {
			return true
		}
	}
	return false
}

// ipv6 tries to read an IPv6 address around the ':' at p.
func (s *scanner) ipv6(p int) (int, bool) {
	b := s.b
	lo := p
	for lo > 0 && p-lo < 40 && (isHex(b[lo-1]) || b[lo-1] == ':') {
		lo--
	}
	if lo > 0 && (isWord(b[lo-1]) || b[lo-1] == '.') {
		return p, false
	}
	hi := p
	colons, double, digit := 0, false, false
	for hi < len(b) && hi-lo < 46 && (isHex(b[hi]) || b[hi] == ':' || b[hi] == '.') {
		hi++
	}
	for hi > lo && (b[hi-1] == '.' || (b[hi-1] == ':' && !(hi-lo >= 2 && b[hi-2] == ':'))) {
		hi--
	}
	if hi < len(b) && (isWord(b[hi]) || b[hi] == '.') {
		return p, false
	}
	for k := lo; k < hi; k++ {
		switch {
		case b[k] == ':':
			colons++
			if k+1 < hi && b[k+1] == ':' {
				double = true
			}
		case isDigit(b[k]):
			digit = true
		}
	}
	if !digit || colons < 2 || (!double && colons != 7) {
		return p, false
	}
	addr, err := netip.ParseAddr(string(b[lo:hi]))
	if err != nil && double {
		// Apache's "[client 2001:db8::42:50412]" appends the port with a colon:
		// a last group of five digits cannot be IPv6, so it is the port.
		if c := bytes.LastIndexByte(b[lo:hi], ':'); c > 0 && hi-(lo+c+1) == 5 && allDigits(b[lo+c+1:hi]) {
			if a, err2 := netip.ParseAddr(string(b[lo : lo+c])); err2 == nil {
				addr, err, hi = a, nil, lo+c
			}
		}
	}
	if err != nil || !addr.Is6() || addr.IsUnspecified() {
		return p, false
	}
	conf := 0.85
	if addr.IsLoopback() {
		conf = 0.5
	}
	s.add(lo, hi, s.e.det(idIP), conf, nil)
	return hi, true
}

var localTab, labelTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		localTab[c] = isAlnum(b) || bytes.IndexByte([]byte("._%+-"), b) >= 0
		labelTab[c] = isAlnum(b) || b == '-'
	}
}

// fileExtTLDs look like TLDs after '@' in asset names (icon@2x.png) and stack traces.
var fileExtTLDs = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "ico": true,
	"js": true, "css": true, "html": true, "htm": true, "json": true, "xml": true, "txt": true,
	"log": true, "java": true, "kt": true, "py": true, "go": true, "rb": true, "so": true, "jar": true,
	"class": true, "dll": true, "exe": true, "zip": true, "gz": true, "tar": true, "pdf": true,
	"yaml": true, "yml": true, "conf": true, "ini": true, "lock": true, "map": true, "ts": true, "tsx": true,
	// systemd unit instances: getty@tty1.service, openvpn@client.socket
	"service": true, "socket": true, "target": true, "timer": true, "mount": true, "automount": true,
	"slice": true, "scope": true, "device": true, "swap": true, "count": true,
}

// email parses local@domain around the '@' at a (atLen 1), or around a
// percent-encoded "%40" (atLen 3) in a URL.
func (s *scanner) email(a, atLen int) int {
	b := s.b
	j := a
	for j > 0 && a-j < 64 && localTab[b[j-1]] {
		j--
	}
	for j < a && (b[j] == '.' || b[j] == '-' || b[j] == '+') {
		j++
	}
	if j == a || b[a-1] == '.' || (j > 0 && localTab[b[j-1]]) {
		return a + 1
	}
	if atLen == 3 {
		if pct := bytes.LastIndexByte(b[j:a], '%'); pct >= 0 {
			j += pct + 3 // "a%2Cjane%40x.com": the address starts after the last escape
			if j >= a {
				return a + 1
			}
		}
	}
	if j > 0 && (b[j-1] == ':' || b[j-1] == '/') && urlAuthorityBefore(b, j) {
		return a + 1 // user:pass@host in a URL: url_credentials' business
	}
	// domain: labels separated by dots, TLD of letters.
	k := a + atLen
	labels, lastStart, end := 0, k, -1
	for {
		e := runOf(b, k, &labelTab)
		if e == k || b[k] == '-' || b[e-1] == '-' {
			break
		}
		labels++
		lastStart = k
		end = e
		if e+1 < len(b) && b[e] == '.' && labelTab[b[e+1]] {
			k = e + 1
			continue
		}
		break
	}
	if labels < 2 || end-a > 255 {
		return a + 1
	}
	tld := b[lastStart:end]
	if len(tld) < 2 || len(tld) > 24 {
		return a + 1
	}
	for _, c := range tld {
		if !isAlpha(c) {
			return a + 1
		}
	}
	var low [24]byte
	for i, c := range tld {
		low[i] = c | 0x20
	}
	if fileExtTLDs[string(low[:len(tld)])] {
		return a + 1
	}
	if end+1 < len(b) && b[end] == ':' && (isWord(b[end+1]) || b[end+1] == '/' || b[end+1] == '~') {
		return end // git@github.com:org/repo.git is an scp-style address
	}
	s.add(j, end, s.e.det(idEmail), 0.9, nil)
	return end
}

// urlAuthorityBefore reports whether the token before j is "scheme://" or
// "scheme://user:" — the text at j is then a URL's userinfo or password.
func urlAuthorityBefore(b []byte, j int) bool {
	lo := j - 128
	if lo < 0 {
		lo = 0
	}
	w := b[lo:j]
	sp := bytes.LastIndexAny(w, " \t\n\"'<>=,;")
	if sp >= 0 {
		w = w[sp+1:]
	}
	k := bytes.Index(w, []byte("://"))
	return k >= 0 && bytes.IndexByte(w[k+3:], '/') < 0 && bytes.IndexByte(w[k+3:], '@') < 0
}

// plusPhone parses an E.164 number: '+', country code, 8-15 digits in groups.
func (s *scanner) plusPhone(p int) int {
	b := s.b
	if p > 0 && (isWord(b[p-1]) || b[p-1] == '+' || b[p-1] == '.' || b[p-1] == '~') {
		return p + 1 // Debian versions: 1:10~+20191229111838+6991d5728f1
	}
	if p+1 >= len(b) || b[p+1] < '1' || b[p+1] > '9' {
		return p + 1
	}
	end, digits, groups, maxRest, dots := phoneGroups(b, p+1)
	if digits < 8 || digits > 15 || !numBoundaryAfter(b, end) || end < len(b) && b[end] == '+' {
		return end
	}
	if groups == 1 && digits == 14 && dateTimeDigits(b[p+1:end]) {
		return end // +20191229111838: a timestamp, not Egypt
	}
	conf := 0.75
	if groups > 1 {
		if maxRest > 8 || (dots > 0 && groups < 3) {
			return end
		}
		conf = 0.85
	}
	if contextHas(b, p, phoneContext...) {
		conf = 0.95
	}
	s.add(p, end, s.e.det(idPhone), conf, nil)
	return end
}

// dateTimeDigits: YYYYMMDDhhmmss with a plausible year, month and day.
func dateTimeDigits(d []byte) bool {
	if len(d) != 14 || !(hasPrefix(d, "19") || hasPrefix(d, "20")) {
		return false
	}
	month := int(d[4]-'0')*10 + int(d[5]-'0')
	day := int(d[6]-'0')*10 + int(d[7]-'0')
	hour := int(d[8]-'0')*10 + int(d[9]-'0')
	return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23
}

// phoneGroups reads digit groups separated by one of " -." or wrapped in
// parentheses. maxRest is the longest group after the first.
func phoneGroups(b []byte, i int) (end, digits, groups, maxRest, dots int) {
	j := i
	end = i
	for j < len(b) {
		k := runDigits(b, j)
		if k == j {
			break
		}
		if groups > 0 && k-j > maxRest {
			maxRest = k - j
		}
		digits += k - j
		groups++
		end = k
		if k < len(b) && b[k] == ')' {
			k++
		}
		if k < len(b) && (b[k] == ' ' || b[k] == '-' || b[k] == '.') {
			if b[k] == '.' {
				dots++
			}
			k++
		}
		if k < len(b) && b[k] == '(' {
			k++
		}
		if k == end || k >= len(b) || !isDigit(b[k]) {
			break
		}
		j = k
	}
	return
}

// parenPhone parses "(555) 123-4567"; a call whose first argument is a
// quoted name goes to callPair.
func (s *scanner) parenPhone(p int) int {
	b := s.b
	if p+1 < len(b) && (b[p+1] == '"' || b[p+1] == '\'') && setterBefore(b, p) {
		return s.callPair(p + 1)
	}
	if p > 0 && isWord(b[p-1]) {
		return p + 1
	}
	if p+5 > len(b) || !isDigit(b[p+1]) || b[p+1] < '2' || !isDigit(b[p+2]) || !isDigit(b[p+3]) || b[p+4] != ')' {
		return p + 1
	}
	j := p + 5
	if j < len(b) && b[j] == ' ' {
		j++
	}
	if j+8 > len(b) || runDigits(b, j) != j+3 || (b[j+3] != '-' && b[j+3] != '.' && b[j+3] != ' ') || runDigits(b, j+4) != j+8 {
		return p + 1
	}
	if !numBoundaryAfter(b, j+8) || b[j] < '2' && !contextHas(b, p, phoneContext...) {
		return p + 1
	}
	s.add(p, j+8, s.e.det(idPhone), 0.85, nil)
	return j + 8
}

// setterBefore: the function called at the '(' at p sets or passes a named
// value (setProperty, setdefault, put, setenv, withHeader, add_argument),
// rather than comparing or printing one (assertEquals("password", x)).
func setterBefore(b []byte, p int) bool {
	k := p
	for k > 0 && p-k < 40 && (isWord(b[k-1]) || b[k-1] == '.') {
		k--
	}
	var buf [40]byte
	name := lineBefore(b[:p], p, p-k, buf[:])
	for _, w := range []string{"set", "put", "env", "add", "with", "header", "property", "param", "arg", "store", "config"} {
		if bytes.Contains(name, []byte(w)) {
			return true
		}
	}
	return false
}

// callPair: a secret set by name in code the log echoes:
// System.setProperty("STRIPE_TOKEN", "…"), os.environ.setdefault('DB_PASSWORD', '…'),
// props.put("db.password", "…"), setenv("API_KEY", "…", 1). At q is the
// quote opening the first argument; the second, quoted, is the value.
func (s *scanner) callPair(q int) int {
	b := s.b
	ks := q + 1
	ke := ks
	for ke < len(b) && ke-ks < 64 && keyTab[b[ke]] {
		ke++
	}
	if ke == ks || ke >= len(b) || b[ke] != b[q] {
		return q
	}
	cls := classifyKey(b[ks:ke])
	if cls == kNone || cls == kCookie || cls == kSetCookie {
		return ke
	}
	v := ke + 1
	for v < len(b) && b[v] == ' ' {
		v++
	}
	if v >= len(b) || b[v] != ',' {
		return ke
	}
	vs, ve, quoted := valueSpan(b, v+1, cls)
	if quoted && ve > vs {
		s.keyed(cls, b[ks:ke], vs, ve, true)
	}
	return ke
}

// upperWord handles a word starting with an upper-case letter: IBAN, AWS key
// id, Google API key, SendGrid key, "Bearer"/"Basic" credentials.
func (s *scanner) upperWord(i int) int {
	b := s.b
	if i+3 < len(b) && isUpper(b[i+1]) && isDigit(b[i+2]) && isDigit(b[i+3]) {
		if end, ok := s.iban(i); ok {
			return end
		}
	}
	switch b[i] {
	case 'A':
		if hasPrefix(b[i:], `AUTH" "`) {
			return s.redisAuth(i + len(`AUTH" "`))
		}
		if hasPrefix(b[i:], "AIza") {
			return s.fixedToken(i, 4, 35, &b64urlTab, idGCPAPIKey, 0.95)
		}
		if i+20 <= len(b) && awsKeyPrefix(b[i:i+4]) {
			e := i + 4
			for e < len(b) && (isUpper(b[e]) || isDigit(b[e])) {
				e++
			}
			if e-i == 20 && (e == len(b) || !isWord(b[e])) && !isPlaceholder(b[i:e]) { // AKIAXXXXXXXXXXXXXXXX
				s.add(i, e, s.e.det(idAWSKeyID), 0.95, nil)
				s.awsSecretNear(e)
				return e
			}
			return e
		}
	case 'S':
		if hasPrefix(b[i:], "SG.") {
			return s.sendgrid(i)
		}
	case 'G':
		if hasPrefix(b[i:], "GOCSPX-") {
			return s.fixedToken(i, 7, 28, &b64urlTab, idGoogleClientSecret, 0.95)
		}
	case 'B':
		return s.authScheme(i)
	case 'P', 'I':
		return s.sqlPassword(i)

	}
	return i + 1
}

// awsSecretNear: a key id is usually printed with its secret (CSV exports,
// "id:secret" pairs). A 40-character base64 token within the next 100 bytes
// (on the same line or the next), mixing cases and digits, is taken as the secret.
func (s *scanner) awsSecretNear(i int) {
	b := s.b
	lim := min(len(b), i+100)
	lines := 0
	for j := i; j < lim; j++ {
		if b[j] == '\n' {
			// the next line only when it names the secret ("Secret access key: …")
			next := b[j+1 : lim]
			if nl := bytes.IndexByte(next, '\n'); nl >= 0 {
				next = next[:nl]
			}
			if lines++; lines > 1 || !bytes.Contains(bytes.ToLower(next), []byte("secret")) {
				return
			}
		}
		if !b64Tab[b[j]] || (j > 0 && b64Tab[b[j-1]]) {
			continue
		}
		e := j
		for e < len(b) && b64Tab[b[e]] {
			e++
		}
		if e-j == 40 && (e == len(b) || !isWord(b[e])) && !isVendorExample(b[j:e]) {
			lower, upper, digit, _ := charClasses(b[j:e])
			if lower && upper && digit && entropy(b[j:e]) >= 4.0 {
				s.add(j, e, s.e.det(idAWSSecret), 0.85, nil)
				return
			}
		}
		j = e
	}
}

var awsPrefixes = []string{"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA", "APKA"}

func awsKeyPrefix(p []byte) bool {
	for _, x := range awsPrefixes {
		if string(p) == x {
			return true
		}
	}
	return p[0] == 'A' && p[1] == '3' && p[2] == 'T' && isAlnum(p[3])
}

// fixedToken accepts prefix (plen bytes, already checked) followed by exactly
// n bytes of tab, ending at a token boundary.
func (s *scanner) fixedToken(i, plen, n int, tab *[256]bool, id string, conf float64) int {
	b := s.b
	e := runOf(b, i+plen, tab)
	if e-(i+plen) == n && (e == len(b) || !isWord(b[e])) {
		s.add(i, e, s.e.det(id), conf, nil)
	} else if e-(i+plen) < n {
		if joined, end := joinWrapped(b, i, e, tab); len(joined)-plen == n {
			s.add(i, end, s.e.det(id), conf, nil) // wrapped at a fixed width
			return end
		}
	}
	return e
}

// joinWrapped: the token from i runs to e, the end of a line of wrapWidth
// columns or more; it goes on over the following lines that are nothing but
// tab characters (after an indent), each filling about the same width but
// the last. It returns the joined token and where it ends in b, or nil.
func joinWrapped(b []byte, i, e int, tab *[256]bool) ([]byte, int) {
	ls := bytes.LastIndexByte(b[:i], '\n') + 1
	width := e - ls
	if width < wrapWidth || e >= len(b) || (b[e] != '\n' && b[e] != '\r') {
		return nil, e
	}
	joined := append([]byte(nil), b[i:e]...)
	end := e
	for lines := 0; lines < 64; lines++ {
		k := end
		if k < len(b) && b[k] == '\r' {
			k++
		}
		if k >= len(b) || b[k] != '\n' {
			break
		}
		cs := k + 1
		for cs < len(b) && cs-k < 32 && (b[cs] == ' ' || b[cs] == '\t') {
			cs++
		}
		ce := runOf(b, cs, tab)
		if ce == cs || (ce < len(b) && b[ce] != '\n' && b[ce] != '\r') {
			break // a continuation is a whole line of token characters
		}
		joined = append(joined, b[cs:ce]...)
		end = ce
		if ce-(k+1) < width-2 {
			break // a short line is the last one
		}
	}
	if end == e {
		return nil, e
	}
	return joined, end
}

// minToken accepts prefix followed by at least min bytes of tab.
func (s *scanner) minToken(i, plen, min, max int, tab *[256]bool, id string, conf float64) int {
	b := s.b
	e := runOf(b, i+plen, tab)
	if joined, end := joinWrapped(b, i, e, tab); joined != nil && len(joined)-plen <= max {
		if len(joined)-plen >= min {
			s.add(i, end, s.e.det(id), conf, nil) // wrapped at a fixed width
		}
		return end
	}
	if n := e - (i + plen); n >= min && n <= max {
		s.add(i, e, s.e.det(id), conf, nil)
	}
	return e
}

// sendgrid: "SG." + 22 + "." + 43. The parts are base64url but keys in the
// wild also carry '=' (padding of the older form), so the body is taken as
// 66 characters of base64url, '=' and '.' with a '.' in it, as gitleaks does.
func (s *scanner) sendgrid(i int) int {
	b := s.b
	e := runOf(b, i+3, &sendgridTab)
	for e > i+3 && b[e-1] == '.' {
		e-- // a sentence's full stop
	}
	if e-(i+3) == 66 && bytes.IndexByte(b[i+3:e], '.') > 0 && (e == len(b) || !isWord(b[e])) {
		s.add(i, e, s.e.det(idSendGrid), 0.95, nil)
	}
	return e
}

var sendgridTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c) // not from b64urlTab: validate.go's init runs after this file's
		sendgridTab[c] = isAlnum(b) || b == '-' || b == '_' || b == '=' || b == '.'
	}
}

func (s *scanner) iban(i int) (int, bool) {
	b := s.b
	want, ok := ibanLengths[string(b[i:i+2])]
	if !ok {
		return i, false
	}
	var compact [34]byte
	n, j := 0, i
	spaced := false
	for j < len(b) && n < want {
		c := b[j]
		switch {
		case isUpper(c) || isDigit(c):
			compact[n] = c
			n++
			j++
		case c == ' ' && n%4 == 0 && j+1 < len(b) && isAlnum(b[j+1]):
			spaced = true
			j++
		default:
			goto done
		}
	}
done:
	if n != want || (j < len(b) && isWord(b[j])) || !ibanMod97(compact[:n]) {
		return i, false
	}
	conf := 0.9
	if spaced {
		conf = 0.95
	}
	s.add(i, j, s.e.det(idIBAN), conf, append([]byte(nil), compact[:n]...))
	return j, true
}

var tokTab, credTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		tokTab[c] = isAlnum(b) || b == '_' || b == '-'
		credTab[c] = isAlnum(b) || bytes.IndexByte([]byte("-._~+/="), b) >= 0
	}
}

// lowerWord handles vendor token prefixes that start with a lower-case letter.
func (s *scanner) lowerWord(i int) int {
	b := s.b
	r := b[i:]
	switch b[i] {
	case 'g':
		if len(r) > 4 && r[0] == 'g' && r[1] == 'h' && r[3] == '_' && bytes.IndexByte([]byte("pousr"), r[2]) >= 0 {
			return s.fixedToken(i, 4, 36, &alnumTab, idGitHub, 0.95)
		}
		if hasPrefix(r, "github_pat_") {
			return s.minToken(i, 11, 82, 82, &wordTab, idGitHub, 0.95)
		}
		for _, p := range gitlabPrefixes {
			if hasPrefix(r, p) {
				return s.minToken(i, len(p), 20, 300, &tokDotTab, idGitLab, 0.95)
			}
		}
	case 'x':
		if len(r) > 5 && ((r[1] == 'o' && r[2] == 'x' && bytes.IndexByte([]byte("abeoprs"), r[3]) >= 0) || (r[1] == 'a' && r[2] == 'p' && r[3] == 'p')) && r[4] == '-' {
			e := runOf(b, i+5, &tokTab)
			if e-i >= 24 && bytes.Count(b[i+5:e], []byte("-")) >= 2 {
				s.add(i, e, s.e.det(idSlackToken), 0.95, nil)
			}
			return e
		}
	case 's':
		switch {
		case hasPrefix(r, "sk_live_") || hasPrefix(r, "sk_test_"):
			return s.minToken(i, 8, 20, 247, &alnumTab, idStripe, 0.95)
		case hasPrefix(r, "sk-ant-"):
			return s.minToken(i, 7, 80, 200, &tokTab, idAnthropic, 0.95)
		case hasPrefix(r, "sk-proj-") || hasPrefix(r, "sk-svcacct-") || hasPrefix(r, "sk-admin-"):
			p := bytes.IndexByte(r[3:], '-') + 4
			return s.minToken(i, p, 40, 300, &tokTab, idOpenAI, 0.95)
		case hasPrefix(r, "sk-"):
			e := runOf(b, i+3, &alnumTab)
			if e-(i+3) == 48 && string(b[i+23:i+31]) == "T3BlbkFJ" && (e == len(b) || !isWord(b[e])) {
				s.add(i, e, s.e.det(idOpenAI), 0.98, nil)
			}
			return e
		}
	case 'r':
		if hasPrefix(r, "rk_live_") || hasPrefix(r, "rk_test_") {
			return s.minToken(i, 8, 20, 247, &alnumTab, idStripe, 0.95)
		}
	case 'w':
		if hasPrefix(r, "whsec_") {
			return s.minToken(i, 6, 24, 100, &alnumTab, idStripe, 0.9)
		}
	case 'n':
		if hasPrefix(r, "npm_") {
			return s.fixedToken(i, 4, 36, &alnumTab, idNPM, 0.95)
		}
	case 'e':
		if hasPrefix(r, "eyJ") {
			return s.jwt(i)
		}
	case 'y':
		if hasPrefix(r, "ya29.") {
			return s.minToken(i, 5, 30, 4096, &tokTab, idGoogleAccessToken, 0.9)
		}
	case 'h':
		if hasPrefix(r, "hooks.slack.com/") || hasPrefix(r, `hooks.slack.com\/`) {
			return s.slackWebhook(i)
		}
	case 'b':
		return s.authScheme(i)
	case 'p':
		return s.sqlPassword(i)
	case 'a':
		if len(r) > 1 && r[1] == 'w' && hasPrefix(r, "aws configure set ") {
			return s.awsConfigureSet(i + len("aws configure set "))
		}
	}
	return i + 1
}

// awsConfigureSet: "aws configure set KEY VALUE" names its key with a space.
func (s *scanner) awsConfigureSet(k int) int {
	b := s.b
	ke := k
	for ke < len(b) && keyTab[b[ke]] {
		ke++
	}
	if ke >= len(b) || b[ke] != ' ' {
		return ke
	}
	cls := classifyKey(b[k:ke])
	if cls == kNone {
		return ke
	}
	vs, ve, quoted := valueSpan(b, ke+1, cls)
	if ve > vs {
		s.keyed(cls, b[k:ke], vs, ve, quoted)
	}
	return ke
}

// gitlabPrefixes: personal, deploy, runner, pipeline-trigger, feed,
// service-account, CI-build, incoming-mail and agent tokens.
var gitlabPrefixes = []string{"glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "glcbt-", "glimt-", "glagent-"}

var alnumTab, tokDotTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		alnumTab[c] = isAlnum(byte(c))
		tokDotTab[c] = tokTab[c] || c == '.'
	}
}

func (s *scanner) jwt(i int) int {
	b := s.b
	if e := runOf(b, i, &jwtTab); e < len(b) && (b[e] == '\n' || b[e] == '\r') && e-(bytes.LastIndexByte(b[:i], '\n')+1) >= wrapWidth {
		if end, ok := s.jwtWrapped(i); ok {
			return end
		}
	}
	e1 := runOf(b, i, &b64urlTab)
	if e1 >= len(b) || b[e1] != '.' {
		return e1
	}
	e2 := runOf(b, e1+1, &b64urlTab)
	if e2 >= len(b) || b[e2] != '.' {
		return e2
	}
	e3 := runOf(b, e2+1, &b64urlTab)
	if e3 < len(b) && (b[e3] == '.' || b[e3] == '=') {
		return e3
	}
	if validJWT(b[i:e3]) {
		s.add(i, e3, s.e.det(idJWT), 0.95, nil)
	}
	return e3
}

var jwtTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c) // not from b64urlTab: validate.go's init runs after this file's
		jwtTab[c] = isAlnum(b) || b == '-' || b == '_' || b == '.'
	}
}

// jwtWrapped reads a JWT that a printer wrapped at a fixed width: the token
// runs to the end of a long line and goes on at the start (after an indent)
// of the next ones. The joined text must validate as a JWT.
func (s *scanner) jwtWrapped(i int) (int, bool) {
	b := s.b
	var joined []byte
	p, width := i, 0
	end := i
	for lines := 0; lines < 64; lines++ {
		r := runOf(b, p, &jwtTab)
		joined = append(joined, b[p:r]...)
		end = r
		ls := bytes.LastIndexByte(b[:r], '\n') + 1
		if lines == 0 {
			width = r - ls
		} else if r-ls < width-2 {
			break
		}
		e := r
		if e < len(b) && b[e] == '\r' {
			e++
		}
		if e >= len(b) || b[e] != '\n' {
			break
		}
		cs := e + 1
		for cs < len(b) && cs-e < 32 && (b[cs] == ' ' || b[cs] == '\t') {
			cs++
		}
		ce := runOf(b, cs, &jwtTab)
		if ce-cs < 4 || (ce < len(b) && b[ce] != '\n' && b[ce] != '\r') {
			break // a continuation is a whole line of token characters
		}
		p = cs
	}
	if end == runOf(b, i, &jwtTab) || bytes.Count(joined, []byte(".")) != 2 || !validJWT(joined) {
		return i, false
	}
	s.add(i, end, s.e.det(idJWT), 0.9, nil)
	return end, true
}

func (s *scanner) slackWebhook(i int) int {
	b := s.b
	start := i
	switch {
	case i >= 8 && string(b[i-8:i]) == "https://":
		start = i - 8
	case i >= 10 && string(b[i-10:i]) == `https:\/\/`: // PHP's json_encode escapes '/'
		start = i - 10
	}
	p := i + len("hooks.slack.com")
	e := p
	for e < len(b) && (isWord(b[e]) || b[e] == '/' || b[e] == '-' || (b[e] == '\\' && e+1 < len(b) && b[e+1] == '/')) {
		e++
	}
	path := bytes.ReplaceAll(b[p:e], []byte(`\/`), []byte("/"))
	// team (T…) or enterprise grid (E…) ids under services, workflows, triggers
	if slackHookPath(path) && bytes.Count(path, []byte("/")) >= 4 {
		last := path[bytes.LastIndexByte(path, '/')+1:]
		if len(last) >= 16 {
			s.add(start, e, s.e.det(idSlackWebhook), 0.98, nil)
		}
	}
	return e
}

func slackHookPath(path []byte) bool {
	for _, kind := range []string{"/services/", "/workflows/", "/triggers/"} {
		if hasPrefix(path, kind) && len(path) > len(kind) && (path[len(kind)] == 'T' || path[len(kind)] == 'E') {
			return true
		}
	}
	return false
}

// authScheme handles "Bearer <token>" and "Basic <base64>" outside a key.
func (s *scanner) authScheme(i int) int {
	b := s.b
	switch {
	case hasPrefixFold(b[i:], "bearer "):
		v := i + 7
		e := runOf(b, v, &credTab)
		tok := b[v:e]
		// token_type=Bearer is a name, not a credential; padding '=' only at the end.
		valueOfKey := i > 0 && (b[i-1] == '=' || b[i-1] == '"' || b[i-1] == ':')
		if eq := bytes.IndexByte(tok, '='); eq >= 0 && len(bytes.Trim(tok[eq:], "=")) > 0 {
			valueOfKey = true
		}
		if !valueOfKey && len(tok) >= 16 && !isPlaceholder(tok) && looksRandom(tok, 16, 3.0) {
			s.add(v, e, s.e.det(idBearer), 0.85, nil)
		}
		return v // the credential may have a format of its own (a JWT)
	case hasPrefixFold(b[i:], "basic "):
		v := i + 6
		e := runOf(b, v, &credTab)
		if e-v >= 8 && basicCredentials(b[v:e], false) {
			s.add(v, e, s.e.det(idBasicAuth), 0.9, nil)
		}
		return e
	}
	return i + 1
}

// sqlPassword: CREATE USER ... PASSWORD 'x', ALTER ROLE ... WITH PASSWORD "x",
// MySQL's IDENTIFIED BY 'x'.
func (s *scanner) sqlPassword(i int) int {
	b := s.b
	var q int
	switch {
	case hasPrefixFold(b[i:], "password for "):
		// MySQL: SET PASSWORD FOR 'app'@'%' = 'x' — one account token, then '='
		q = i + len("password for ")
		for q < len(b) && q-i < 160 && b[q] > ' ' && b[q] != '=' {
			q++
		}
		for q < len(b) && b[q] == ' ' {
			q++
		}
		if q >= len(b) || b[q] != '=' {
			return i + 1
		}
		q++
	case hasPrefixFold(b[i:], "password "):
		q = i + len("password ")
	case hasPrefixFold(b[i:], "identified by "):
		q = i + len("identified by ")
	default:
		return i + 1
	}
	for q < len(b) && b[q] == ' ' {
		q++
	}
	if q >= len(b) || (b[q] != '\'' && b[q] != '"') {
		return q
	}
	vs := q + 1
	ve := vs
	for ve < len(b) && ve-vs < 256 && b[ve] != b[q] && b[ve] != '\n' {
		ve++
	}
	if ve < len(b) && b[ve] == b[q] && ve-vs >= 3 && !isPlaceholder(b[vs:ve]) {
		s.add(vs, ve, s.e.det(idPassword), 0.85, nil)
	}
	return ve
}

// redisAuth: Redis MONITOR output, `"AUTH" "password"`, or in the ACL form
// `"AUTH" "user" "password"`: the last argument is the password.
func (s *scanner) redisAuth(vs int) int {
	b := s.b
	for args := 0; args < 2; args++ {
		ve := vs
		for ve < len(b) && b[ve] != '"' && b[ve] != '\n' && ve-vs < 256 {
			if b[ve] == '\\' {
				ve++
			}
			ve++
		}
		if ve >= len(b) || b[ve] != '"' {
			return ve
		}
		if args == 0 && hasPrefix(b[ve:], `" "`) {
			vs = ve + 3
			continue
		}
		if v := b[vs:ve]; len(v) >= 3 && !isPlaceholder(v) {
			s.add(vs, ve, s.e.det(idPassword), 0.85, nil)
		}
		return ve
	}
	return vs
}

// passwordFlag: a password given as a command-line argument: "--password V",
// MySQL clients' attached "-pV", "sshpass -p V", "docker login -p V",
// "redis-cli -a V" and curl's "-u user:V" / "--user user:V". Which flag
// carries a password depends on the tool ("-p" is a port for ssh and redis-cli),
// so the tool must be named earlier on the line.
func (s *scanner) passwordFlag(i int) int {
	b := s.b
	if i > 0 && !(b[i-1] == ' ' || b[i-1] == '\t' || b[i-1] == '"' || b[i-1] == '\'') {
		return i + 1
	}
	if i+3 >= len(b) {
		return i + 1
	}
	var vs int
	userPass := false // the value is user:password
	conf := 0.8
	switch c, next := b[i+1], b[i+2]; {
	case c == '-':
		switch {
		case hasPrefix(b[i:], "--password ") || hasPrefix(b[i:], "--passwd "):
			vs = bytes.IndexByte(b[i:], ' ') + i + 1
		case hasPrefix(b[i:], "--user ") && toolBefore(b, i, "curl"):
			vs, userPass = i+len("--user "), true
		case hasPrefix(b[i:], "--password-stdin"):
			return s.passwordStdin(i, i+len("--password-stdin"))
		default:
			return i + 2
		}
	case c == 'p' && next > ' ' && next != '-' && next != '=' && toolBefore(b, i, "mysql", "mariadb"):
		vs = i + 2
	case c == 'p' && next == ' ' && toolBefore(b, i, "sshpass", "docker login", "podman login", "buildah login", "nerdctl login"):
		vs = i + 3
	case c == 'a' && next == ' ' && toolBefore(b, i, "redis-cli"):
		vs = i + 3
	case c == 'u' && toolBefore(b, i, "curl"):
		vs, userPass = i+2, true
		if next == ' ' {
			vs++
		}
	default:
		return i + 1
	}
	vs, ve := argSpan(b, vs)
	if userPass {
		// curl -u user:password; without ':' curl prompts for it
		c := bytes.IndexByte(b[vs:ve], ':')
		if c < 0 {
			return ve
		}
		vs += c + 1
		conf = 0.85
	}
	v := b[vs:ve]
	if len(v) >= 3 && v[0] != '-' && !isPlaceholder(v) && !prose(b, vs, ve, false) {
		s.add(vs, ve, s.e.det(idPassword), conf, nil)
	}
	return ve
}

// passwordStdin: a password piped into a login (`echo "pw" | docker login
// --password-stdin`, `printf '%s' pw | …`, `… --password-stdin <<< "pw"`):
// the echoed argument is the password. The flag spans i..e.
func (s *scanner) passwordStdin(i, e int) int {
	b := s.b
	vs, ve := -1, -1
	if k := e; hasPrefix(b[k:], " <<< ") || hasPrefix(b[k:], " <<<") {
		k += 4
		for k < len(b) && b[k] == ' ' {
			k++
		}
		vs, ve = argSpan(b, k)
	} else {
		var buf [256]byte
		w := lineBefore(b, i, len(buf), buf[:])
		pipe := bytes.LastIndexByte(w, '|')
		if pipe < 0 {
			return e
		}
		seg := w[:pipe]
		segStart := i - len(w)
		cmd := -1
		for _, c := range []string{"echo ", "printf "} {
			if k := bytes.LastIndex(seg, []byte(c)); k > cmd && (k == 0 || !isWord(seg[k-1])) {
				cmd = k + len(c)
			}
		}
		if cmd < 0 {
			return e
		}
		k := segStart + cmd
		end := segStart + pipe
		for k < end {
			for k < end && b[k] == ' ' {
				k++
			}
			if k >= end {
				return e
			}
			as, ae := argSpan(b[:end], k)
			arg := b[as:ae]
			if ae <= as || arg[0] == '-' || bytes.IndexByte(arg, '%') >= 0 {
				// echo -n, printf's format '%s\n'
				k = ae
				if k < end && (b[k] == '\'' || b[k] == '"') {
					k++
				}
				if ae <= as {
					k++
				}
				continue
			}
			vs, ve = as, ae
			break
		}
	}
	if vs < 0 || ve-vs < 3 || isPlaceholder(b[vs:ve]) {
		return e
	}
	s.add(vs, ve, s.e.det(idPassword), 0.85, nil)
	return e
}

// argSpan is the command-line argument at i: quoted ('…' or "…", on one
// line) or up to the next space or quote.
func argSpan(b []byte, i int) (vs, ve int) {
	if i < len(b) && (b[i] == '\'' || b[i] == '"') {
		q := b[i]
		e := i + 1
		for e < len(b) && e-i < 256 && b[e] != q && b[e] != '\n' {
			e++
		}
		if e < len(b) && b[e] == q {
			return i + 1, e
		}
		return i + 1, i + 1
	}
	e := i
	for e < len(b) && b[e] > ' ' && b[e] != '"' && b[e] != '\'' && e-i < 256 {
		e++
	}
	return i, e
}

// toolBefore: one of the tools is named in the 128 bytes before i on this
// line, and no other command (after a pipe, ';' or '&&', or an ssh/scp that
// sshpass runs) stands between it and i.
func toolBefore(b []byte, i int, tools ...string) bool {
	var buf [128]byte
	w := lineBefore(b, i, len(buf), buf[:])
	for _, t := range tools {
		k := bytes.LastIndex(w, []byte(t))
		if k < 0 {
			continue
		}
		seg := w[k+len(t):]
		if bytes.ContainsAny(seg, "|;&") || bytes.Contains(seg, []byte("ssh ")) || bytes.Contains(seg, []byte("scp ")) || bytes.Contains(seg, []byte("rsync ")) {
			continue
		}
		return true
	}
	return false
}

// pem finds a private-key block: "-----BEGIN ... PRIVATE KEY-----" up to the
// matching END marker, across lines or inside one JSON-escaped string.
func (s *scanner) pem(i int) int {
	b := s.b
	h := i + len("-----BEGIN ")
	lim := h + 48
	if lim > len(b) {
		lim = len(b)
	}
	close := bytes.Index(b[h:lim], []byte("-----"))
	if close < 0 {
		return h
	}
	label := b[h : h+close]
	if !bytes.Contains(label, []byte("PRIVATE KEY")) {
		return h + close
	}
	bodyStart := h + close + 5
	const maxPEM = 64 << 10
	// Where an earlier search found no END marker, do not search again:
	// a run of BEGIN lines must not cost 64 KiB each.
	from := max(bodyStart, s.noPEMEndBefore-len("-----END "))
	lim = min(len(b), bodyStart+maxPEM)
	k := -1
	if from < lim {
		if k = bytes.Index(b[from:lim], []byte("-----END ")); k >= 0 {
			k += from - bodyStart
		} else {
			s.noPEMEndBefore = lim
		}
	}
	if k >= 0 {
		endMarker := bodyStart + k + len("-----END ")
		if c := bytes.Index(b[endMarker:min(endMarker+48, len(b))], []byte("-----")); c >= 0 {
			end := endMarker + c + 5
			if pemBody(b[bodyStart : bodyStart+k]) {
				s.add(i, end, s.e.det(idPrivateKey), 0.99, nil)
			}
			return end
		}
	}
	if !s.final && len(b)-bodyStart < maxPEM {
		s.pending = bytes.LastIndexByte(b[:i], '\n') + 1
		return len(b)
	}
	// No END in reach: the key is truncated. Take the marker and the
	// base64 body lines that follow, so the key material is still covered.
	end := bodyStart
	for end < len(b) && end-bodyStart < maxPEM {
		nl := bytes.IndexByte(b[end:], '\n')
		line := b[end:]
		if nl >= 0 {
			line = b[end : end+nl]
		}
		body := bytes.TrimRight(line, "\r")
		if end > bodyStart && !base64Line(body) {
			break
		}
		if nl < 0 {
			end = len(b)
			break
		}
		end += nl + 1
	}
	end = trimEOL(b, bodyStart, end)
	if pemBody(b[bodyStart:end]) {
		s.add(i, end, s.e.det(idPrivateKey), 0.9, nil)
	}
	return end
}

// wrapWidth: a line this long or longer that ends exactly where a token ends
// was probably wrapped by whatever printed it (76 in MIME and PEM, 80 in
// terminals, 64 in some dumps).
const wrapWidth = 60

// wrappedEnd extends a token that ends its line at wrapWidth columns or more
// over the continuation lines that follow: each holds one run of token
// characters (after an indent), at least 8 long, and the run goes on only
// while a continuation fills its line to about the same width.
func wrappedEnd(b []byte, start, end int) int {
	width := 0
	for lines := 0; lines < 64; lines++ {
		e := end
		if e < len(b) && b[e] == '\r' {
			e++
		}
		if e >= len(b) || b[e] != '\n' {
			return end
		}
		ls := bytes.LastIndexByte(b[:end], '\n') + 1
		if lines == 0 {
			width = end - ls
			if width < wrapWidth || end-start < 16 {
				return end
			}
		} else if end-ls < width-2 {
			return end // a short continuation was the last one
		}
		cs := e + 1
		for cs < len(b) && cs-e < 32 && (b[cs] == ' ' || b[cs] == '\t') {
			cs++
		}
		ce := runOf(b, cs, &credTab)
		if ce-cs < 8 || (ce < len(b) && b[ce] != '\n' && b[ce] != '\r') {
			return end
		}
		if !looksRandom(b[cs:ce], 8, 2.5) {
			return end
		}
		end = ce
	}
	return end
}

// filler: the secret-shaped value at start..end is a stand-in: a run of
// five or more of one masking character (x, X, #, *, or eight 0s), or the
// value stops where a mask continues it ("xoxp-1234-####", "sk_live_abc***").
func filler(b []byte, start, end int) bool {
	if end < len(b) && (b[end] == '#' || b[end] == '*' || b[end] == 0xE2 /* … • */) {
		return true
	}
	v := b[start:end]
	run := 1
	for k := 1; k < len(v); k++ {
		if v[k] != v[k-1] {
			run = 1
			continue
		}
		run++
		switch v[k] {
		case 'x', 'X', '#', '*':
			if run >= 5 {
				return true
			}
		case '0':
			if run >= 8 {
				return true
			}
		}
	}
	return false
}

// pemBody: the text between the markers carries key material: at least 32
// base64 characters that are not a filler. "-----BEGIN PRIVATE KEY-----
// anything -----END PRIVATE KEY-----" in a tutorial or a test is not a key.
func pemBody(body []byte) bool {
	n := 0
	for _, c := range body {
		if b64Tab[c] {
			n++
		}
	}
	return n >= 32 && !filler(body, 0, len(body))
}

func trimEOL(b []byte, lo, end int) int {
	for end > lo && (b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	return end
}

func base64Line(l []byte) bool {
	if len(l) == 0 {
		return false
	}
	for _, c := range l {
		if !b64Tab[c] && c != '=' && c != ':' && c != ' ' && c != '-' {
			return false
		}
	}
	return true
}
