package triage

import (
	"bytes"
	"github.com/logtriage/logtriage/triage/vocab"
	"regexp"
	"strings"
)

// Log levels as counted in LevelCounts, most severe first.
const (
	LevelFatal = "fatal"
	LevelError = "error"
	LevelWarn  = "warn"
	LevelInfo  = "info"
	LevelDebug = "debug"
)

var levelWords = map[string]string{
	"FATAL": LevelFatal, "CRITICAL": LevelFatal, "CRIT": LevelFatal, "EMERG": LevelFatal, "EMERGENCY": LevelFatal,
	"ALERT": LevelFatal, "PANIC": LevelFatal,
	"ERROR": LevelError, "ERR": LevelError, "SEVERE": LevelError, "FAILURE": LevelError, "FAIL": LevelError, "FAILED": LevelError,
	"WARN": LevelWarn, "WARNING": LevelWarn,
	"INFO": LevelInfo, "NOTICE": LevelInfo, "INFORMATION": LevelInfo,
	"DEBUG": LevelDebug, "TRACE": LevelDebug, "VERBOSE": LevelDebug, "FINE": LevelDebug, "FINER": LevelDebug, "FINEST": LevelDebug,
}

// upperOnly words are levels only when shouted: "probe failed:" is prose.
var upperOnly = map[string]bool{"FAIL": true, "FAILED": true, "FAILURE": true, "ALERT": true}

// logcat's one-letter levels ("03-17 16:13:38.811  1702  2395 E Tag: ...").
var letterLevels = map[byte]string{'F': LevelFatal, 'E': LevelError, 'W': LevelWarn, 'I': LevelInfo, 'D': LevelDebug, 'V': LevelDebug}

// levelScanBytes: a level marker sits in a line's prefix, not in its message.
const levelScanBytes = 200

// LineLevel finds the level marker in the prefix of a log line: a known word
// in upper case ("ERROR"), or in any case when bracketed or followed by a
// colon ("[error]", "error:"), or a logcat letter after the pid/tid. It
// returns the level and the byte index just past the marker, or "" and 0.
// A line without a marker but naming an error ("Exception", "failed") counts
// as an error.
func LineLevel(line []byte) (string, int) { return lineLevel(line, appendLower(nil, line)) }

// lineLevel is LineLevel with the line already lower-cased (the hot path
// lower-cases each line once for all keyword tests).
func lineLevel(line, lower []byte) (string, int) {
	lvl, end := markedLevel(line, lower)
	switch {
	case lvl != LevelFatal && lvl != LevelError:
	case bytes.Contains(line, []byte("CVE-")) && cveRe.Match(line):
		// A scanner's finding ("| openssl | CVE-2026-0001 | CRITICAL |"):
		// the word is the vulnerability's rating, not the log's level.
		return LevelWarn, end
	case lvl == LevelFatal && bytes.Contains(line, []byte(" FATAL -- : [")):
		// Ruby on Rails logs a request's unhandled exception at FATAL, tagged
		// with the request id: one request failed, not the process.
		return LevelError, end
	}
	return lvl, end
}

// cveRe finds a CVE identifier.
var cveRe = regexp.MustCompile(`\bCVE-\d{4}-\d{4,}\b`)

// markedLevel is the level the line's prefix or wording gives.
func markedLevel(line, lower []byte) (string, int) {
	scan := line[:min(len(line), levelScanBytes)]
	prevDigits := false
	tokens := 0
	titledLevel, titledEnd := "", 0
	for i := 0; i < len(scan); {
		for i < len(scan) && isSep(scan[i]) {
			i++
		}
		start := i
		for i < len(scan) && !isSep(scan[i]) {
			i++
		}
		if start == i {
			break
		}
		tok := scan[start:i]
		bracketed := start > 0 && (scan[start-1] == '[' || scan[start-1] == '<' || scan[start-1] == '(') ||
			(i < len(scan) && (scan[i] == ':' || scan[i] == ']' || scan[i] == '>')) ||
			start > 0 && levelKey(scan[:start])
		word := tok
		if j := bytes.IndexByte(tok, '/'); j == 1 { // logcat brief: "E/Tag(123):"
			word = tok[:1]
			if lvl, ok := letterLevels[word[0]]; ok {
				return lvl, start + 1
			}
		}
		if i < len(scan) && scan[i] == ':' {
			// Monolog (Laravel, Symfony): "[2026-11-22 11:20:07] production.WARNING: ..."
			// names the channel, then the level after the last dot.
			if k := bytes.LastIndexByte(word, '.'); k > 0 && len(word)-k-1 >= 3 && isUpper(word[k+1:]) {
				if lvl, ok := levelWords[string(word[k+1:])]; ok {
					return lvl, i
				}
			}
		}
		if len(word) > 7 && bytes.HasSuffix(word, []byte("Warning")) && i < len(scan) && scan[i] == ':' {
			return LevelWarn, i // Python's "DeprecationWarning:", "UserWarning:"
		}
		if len(word) == 1 && prevDigits {
			if lvl, ok := letterLevels[word[0]]; ok {
				return lvl, i
			}
		}
		if len(word) >= 3 && len(word) <= 11 {
			upper := isUpper(word)
			// "Warning" as a column (kubectl events) counts among the first tokens.
			titled := tokens < 5 && word[0] >= 'A' && word[0] <= 'Z' && isLowerASCII(word[1:])
			if upper || bracketed || titled {
				if lvl, ok := levelWords[strings.ToUpper(string(word))]; ok && (upper || !upperOnly[strings.ToUpper(string(word))]) {
					if !titled || upper || bracketed {
						return lvl, i
					}
					if titledLevel == "" { // weaker than a marker that follows
						titledLevel, titledEnd = lvl, i
					}
				}
			}
		}
		prevDigits = isDigits(tok)
		tokens++
	}
	if titledLevel != "" {
		return titledLevel, titledEnd
	}
	if lvl := httpStatusLevel(line); lvl != "" {
		return lvl, 0
	}
	for _, k := range errorWords {
		for off := 0; off < len(lower); {
			j := bytes.Index(lower[off:], k)
			if j < 0 {
				break
			}
			if !negatedCount(lower, off+j, len(k)) {
				return LevelError, 0
			}
			off += j + len(k)
		}
	}
	return "", 0
}

// negatedCount: the error word at lower[pos:pos+n] is counted as none
// ("completed without error", "0 errors", "no errors found", "failed=0",
// "errors: 0", "error_count=0"): a clean summary, not a failure.
func negatedCount(lower []byte, pos, n int) bool {
	if lower[pos] == ' ' { // " failed": the space belongs to what comes before
		pos, n = pos+1, n-1
	}
	before := lower[:pos]
	for _, neg := range negationsBefore {
		// "0 errors", not "unreachable=0 failed=1": the zero stands alone.
		if bytes.HasSuffix(before, neg) && (len(before) == len(neg) || startsAWord(before[len(before)-len(neg)-1])) {
			return true
		}
	}
	after := lower[pos+n:]
	after = bytes.TrimPrefix(after, []byte("s"))
	for _, c := range countSuffixes {
		after = bytes.TrimPrefix(after, c)
	}
	for _, zero := range zeroValues {
		if bytes.HasPrefix(after, zero) {
			rest := after[len(zero):]
			return len(rest) == 0 || rest[0] < '0' || rest[0] > '9'
		}
	}
	return false
}

// startsAWord: c may stand before a word of its own ("0 errors",
// "(no errors)"), unlike "=" in "unreachable=0 failed=1".
func startsAWord(c byte) bool { return c == ' ' || c == '\t' || c == ',' || c == '(' }

// negationsBefore are the words that make the error word after them a zero;
// countSuffixes and zeroValues read "error_count=0", "errors: 0".
var (
	negationsBefore = [][]byte{[]byte("without "), []byte("no "), []byte("0 "), []byte("zero "), []byte("without any ")}
	countSuffixes   = [][]byte{[]byte("_count"), []byte(" count")}
	zeroValues      = [][]byte{[]byte("=0"), []byte(":0"), []byte(": 0"), []byte(`="0"`), []byte(`":0`), []byte(`": 0`)}
)

// errorWords make a line without a level marker an error line.
var errorWords = [][]byte{[]byte("exception"), []byte("traceback"), []byte(" failed"), []byte("failure"), []byte("error"), []byte("panic:")}

// appendLower appends the ASCII lower-case form of src to dst.
func appendLower(dst, src []byte) []byte {
	for _, c := range src {
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		dst = append(dst, c)
	}
	return dst
}

// levelKey: the value follows a level key: logfmt "level=", JSON
// "level":", also "lvl", "severity", "priority" (falco, journald).
func levelKey(before []byte) bool {
	trimmed := bytes.TrimRight(before, `"' `)
	if len(trimmed) == 0 || (trimmed[len(trimmed)-1] != '=' && trimmed[len(trimmed)-1] != ':') {
		return false
	}
	before = bytes.TrimRight(trimmed[:len(trimmed)-1], `"' `)
	for _, k := range []string{"level", "lvl", "severity", "priority", "loglevel"} {
		if len(before) >= len(k) && containsFold(before[len(before)-len(k):], k) {
			return true
		}
	}
	return false
}

func isSep(b byte) bool {
	switch b {
	case ' ', '\t', '[', ']', '<', '>', '(', ')', ':', '|', ',', ';', '=', '"', '\'':
		return true
	}
	return false
}

// httpStatusLevel reads an access log's status (`"GET / HTTP/1.1" 503 ...`):
// 5xx is an error; 401, 403 and 429 are warnings (auth and throttling).
func httpStatusLevel(line []byte) string {
	i := bytes.Index(line, []byte(` HTTP/`))
	if i < 0 {
		return ""
	}
	rest := line[i+6:]
	q := bytes.IndexByte(rest, '"')
	if q < 0 || q > 4 || len(rest) < q+6 || rest[q+1] != ' ' || !isDigits(rest[q+2:q+5]) {
		return ""
	}
	switch code := string(rest[q+2 : q+5]); {
	case code[0] == '5':
		return LevelError
	case code == "401" || code == "403" || code == "429":
		return LevelWarn
	}
	return ""
}

func isLowerASCII(b []byte) bool {
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return len(b) > 0
}

func isUpper(b []byte) bool {
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// containsFold is an allocation-free ASCII case-insensitive substring test;
// needle must be lower case.
func containsFold(s []byte, needle string) bool {
	n := len(needle)
	if n == 0 {
		return true
	}
	first := needle[0]
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 != first {
			continue
		}
		j := 1
		for ; j < n; j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c |= 0x20
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// maxTemplateBytes caps a template key: a 10 MB line does not make a 10 MB key.
const maxTemplateBytes = 240

// Template masks the variable parts of a line (numbers, hex, ids, quoted
// strings, redaction placeholders' fingerprints) so that lines printed by the
// same statement share one key. Tokens holding a digit become "<*>".
func Template(line []byte) string { return string(appendTemplate(nil, line)) }

// appendTemplate is Template into a reusable buffer (the hot path allocates nothing).
func appendTemplate(b, line []byte) []byte {
	lastStar := false
	starEnd := 0
	star := func() {
		if lastStar {
			b = b[:starEnd] // "<*> <*>,<*>" (a timestamp) is one variable
		} else {
			b = append(b, "<*>"...)
			starEnd = len(b)
		}
		lastStar = true
	}
	for i := 0; i < len(line) && len(b) < maxTemplateBytes; {
		c := line[i]
		switch {
		case c == '"' || c == '\'':
			end := bytes.IndexByte(line[i+1:min(len(line), i+400)], c)
			if end < 0 {
				b = append(b, c)
				lastStar = false
				i++
				continue
			}
			inner := line[i+1 : i+1+end]
			switch {
			case isQuotedKey(line, i+end+2) && len(inner) <= 40:
				b = append(b, line[i:i+end+2]...) // a JSON key is structure, not a variable
				lastStar = false
			case messageKey(line[:i]):
				b = append(b, c) // a message field is the statement itself
				b = appendTemplate(b, inner)
				b = append(b, c)
				lastStar = false
			default:
				star()
			}
			i += end + 2
		case isTemplateSep(c):
			i++
			if c == '\r' || c == '\n' {
				continue
			}
			if c == '\t' {
				c = ' '
			}
			if c == ' ' && len(b) > 0 && b[len(b)-1] == ' ' {
				continue // "Jul  1" and "Jul 12" align differently, not as templates
			}
			b = append(b, c)
		default:
			j := i
			variable := false
			for j < len(line) && !isTemplateSep(line[j]) && line[j] != '"' && line[j] != '\'' {
				if line[j] >= '0' && line[j] <= '9' {
					variable = true
				}
				j++
			}
			if variable || isHexID(line[i:j]) || isDateWord(line[i:j]) {
				star()
			} else {
				b = append(b, line[i:j]...)
				lastStar = false
			}
			i = j
		}
	}
	return b
}

// isQuotedKey: the quoted string ending before at is followed by a colon.
func isQuotedKey(line []byte, at int) bool {
	rest := bytes.TrimLeft(line[min(at, len(line)):], " ")
	return len(rest) > 0 && rest[0] == ':'
}

// messageKeys name the fields whose value is the log statement itself.
var messageKeys = []string{"msg", "message", "error", "err", "event", "reason", "output", "level", "rule", "action"}

// messageKey: the bytes before a quoted value end with one of messageKeys
// and a separator (`"msg":`, `msg=`).
func messageKey(before []byte) bool {
	t := bytes.TrimRight(before, " ")
	if len(t) == 0 || (t[len(t)-1] != ':' && t[len(t)-1] != '=') {
		return false
	}
	t = bytes.TrimRight(t[:len(t)-1], `" `)
	for _, k := range messageKeys {
		if len(t) >= len(k) && string(t[len(t)-len(k):]) == k && (len(t) == len(k) || !isWordByte(t[len(t)-len(k)-1])) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isTemplateSep(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '=', ',', ';', '(', ')', '[', ']', '{', '}', '<', '>', '|', '&':
		return true
	}
	return false
}

var dateWords = map[string]bool{
	"Jan": true, "Feb": true, "Mar": true, "Apr": true, "May": true, "Jun": true,
	"Jul": true, "Aug": true, "Sep": true, "Oct": true, "Nov": true, "Dec": true,
	"Mon": true, "Tue": true, "Wed": true, "Thu": true, "Fri": true, "Sat": true, "Sun": true,
}

// isDateWord: month and weekday names are part of timestamps, not of templates.
func isDateWord(tok []byte) bool { return len(tok) == 3 && dateWords[string(tok)] }

// isHexID: long hex runs without digits (rare, "deadbeefcafe") are ids too.
func isHexID(tok []byte) bool {
	if len(tok) < 12 {
		return false
	}
	for _, c := range tok {
		if !(c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}

// isStackLine recognizes stack-trace lines of common runtimes and the
// indented continuation lines that belong to the line above (a trace's
// source lines, a PostgreSQL DETAIL block): none is a template of its own.
func IsStackLine(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	if IsFrame(line) {
		return true
	}
	switch {
	case len(t) < len(line) && bytes.HasPrefix(t, []byte("... ")) && bytes.HasSuffix(bytes.TrimRight(t, "\r"), []byte(" more")):
		return true
	case len(t) > 0 && len(t) < len(line) && line[0] == '\t': // tab-indented continuation
		return true
	}
	return false
}

// isFrame recognizes the lines only a stack trace has: a frame in one of
// the shapes runtimes print (Java/.NET/JS "at x.y(...)", Python
// `File "x.py", line N`, Go "goroutine N [running]:" and "file.go:N",
// PHP/gdb "#N /path(12)" or "#N 0x...", Ruby "from x.rb:N:in"), or a trace
// header. An indented line of any other shape is a continuation, not a
// trace: counting those made a healthy PostgreSQL autovacuum report look
// like two crashes.
func IsFrame(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	indented := len(t) < len(line)
	switch {
	case indented && bytes.HasPrefix(t, []byte("at ")) && bytes.ContainsAny(t, ".(:"): // Java, .NET, JS
		return true
	case bytes.HasPrefix(t, []byte("Caused by:")), bytes.HasPrefix(t, []byte("Traceback (most recent call last)")):
		return true
	case indented && bytes.HasPrefix(t, []byte("File \"")) && bytes.Contains(t, []byte(", line ")): // Python
		return true
	case bytes.HasPrefix(t, []byte("goroutine ")) && bytes.Contains(t, []byte(" [")):
		return true
	case indented && bytes.Contains(t, []byte(".go:")): // Go frames' file:line
		return true
	case indented && bytes.HasPrefix(t, []byte("from ")) && bytes.Contains(t, []byte(":in ")): // Ruby
		return true
	case numberedFrame(t):
		return true
	}
	return false
}

// goFuncLine: the unindented function half of a Go frame
// ("main.main()", "net/http.(*conn).serve(0xc000148000)", "created by
// main.start in goroutine 1"), a frame only inside a trace.
func goFuncLine(line []byte) bool {
	if bytes.HasPrefix(line, []byte("created by ")) {
		return true
	}
	open := bytes.IndexByte(line, '(')
	return open > 0 && bytes.HasSuffix(line, []byte(")")) && bytes.IndexByte(line[:open], ' ') < 0 && bytes.IndexByte(line[:open], '.') > 0
}

// numberedFrame: "#3 /var/www/app/Foo.php(118): ...", "#0  0x00007f... in
// main ()", "#4 {main}" (PHP, gdb, C++ backtraces).
func numberedFrame(t []byte) bool {
	if len(t) < 3 || t[0] != '#' {
		return false
	}
	i := 1
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 1 || i >= len(t) || t[i] != ' ' {
		return false
	}
	rest := bytes.TrimLeft(t[i:], " ")
	return bytes.HasPrefix(rest, []byte("0x")) || bytes.HasPrefix(rest, []byte("/")) ||
		bytes.HasPrefix(rest, []byte("{main}")) || bytes.HasPrefix(rest, []byte("[internal function]")) ||
		len(rest) > 2 && rest[1] == ':' && rest[2] == '\\' // C:\path
}

// startsTrace: lines that open a trace even without a level.
func StartsTrace(line []byte) bool {
	return bytes.HasPrefix(line, []byte("Traceback (most recent call last)")) ||
		bytes.HasPrefix(line, []byte("panic: ")) ||
		bytes.HasPrefix(line, []byte("Exception in thread "))
}

// Signal is a fatal signature: a pattern that means something broke hard.
type Signal struct {
	Name   string
	Reason string // human wording for summaries and score reasons
	re     *vocab.Pattern
	exact  bool // matched against the line as written
}

// FatalSignals are checked on every line; a hit makes a case at least high
// severity. They are the vocabulary's signals file.
var FatalSignals = func() []Signal {
	v := vocab.Default()
	var out []Signal
	for _, e := range v.Entries(vocab.Signals) {
		out = append(out, Signal{Name: e.ID, Reason: e.Reason, re: v.Pattern(e.ID), exact: e.CaseSensitive})
	}
	return out
}()

// matchSignals returns the indexes of the FatalSignals matching line;
// lower is the line lower-cased.
func matchSignals(line, lower []byte, out []int) []int {
	out = out[:0]
	for i := range FatalSignals {
		s := &FatalSignals[i]
		if s.exact && s.re.MatchBytes(line) || !s.exact && s.re.MatchBytes(lower) {
			out = append(out, i)
		}
	}
	return out
}

var timestampRes = []*regexp.Regexp{
	regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?`),
	regexp.MustCompile(`\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?`),
	regexp.MustCompile(`[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \d{4}`),
	regexp.MustCompile(`[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}`),
	regexp.MustCompile(`\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}`),
	regexp.MustCompile(`\d{8}-\d{1,2}:\d{1,2}:\d{1,2}(?::\d+)?`),
	regexp.MustCompile(`\d{4}\.\d{2}\.\d{2}`),
	regexp.MustCompile(`^\d{6} \d{6}`),
}

// Timestamp extracts the first recognizable timestamp from a line's prefix, or "".
func Timestamp(line []byte) string {
	prefix := line[:min(len(line), 80)]
	for _, re := range timestampRes {
		if loc := re.FindIndex(prefix); loc != nil {
			return string(prefix[loc[0]:loc[1]])
		}
	}
	return ""
}

var syslogProgram = regexp.MustCompile(`^[A-Z][a-z]{2} +\d{1,2} [\d:]{8} \S+ ([A-Za-z][\w.\-/]*(?:\([\w.\-]+\))?)(?:\[\d+\])?:`)

// Component names what logged a line: the logger or tag after the level
// marker ("org.apache.x.DataNode" -> "DataNode"), or a syslog program name.
func Component(line []byte, levelEnd int) string {
	if m := syslogProgram.FindSubmatch(line[:min(len(line), 200)]); m != nil {
		return string(m[1])
	}
	if levelEnd <= 0 || levelEnd >= len(line) {
		return ""
	}
	rest := line[levelEnd:min(len(line), levelEnd+160)]
	for len(rest) > 0 {
		rest = bytes.TrimLeft(rest, " \t:]|-")
		if len(rest) > 0 && rest[0] == '[' { // a thread name: "[main]"
			if end := bytes.IndexByte(rest, ']'); end > 0 {
				rest = rest[end+1:]
				continue
			}
		}
		break
	}
	end := 0
	for end < len(rest) && !isSep(rest[end]) {
		end++
	}
	named := end < len(rest) && rest[end] == ':'
	tok := bytes.TrimRight(rest[:end], ".:")
	if !named && bytes.IndexAny(tok, "._$") < 0 {
		return "" // a message word, not a logger or tag
	}
	if len(tok) < 2 || isDigits(tok) || bytes.HasPrefix(tok, []byte("[")) {
		return ""
	}
	letters := 0
	for _, c := range tok {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			letters++
		}
	}
	if letters*2 < len(tok) {
		return ""
	}
	if i := bytes.LastIndexByte(tok, '.'); i >= 0 && i+1 < len(tok) {
		tok = tok[i+1:]
	}
	return string(tok)
}

// HasSignal reports whether a line carries any fatal signature.
func HasSignal(line []byte) bool { return len(matchSignals(line, appendLower(nil, line), nil)) > 0 }

// SignalMatches reports whether text carries the named fatal signature.
func SignalMatches(name, text string) bool {
	for i := range FatalSignals {
		if FatalSignals[i].Name == name {
			if FatalSignals[i].exact {
				return FatalSignals[i].re.MatchString(text)
			}
			return FatalSignals[i].re.MatchString(strings.ToLower(text))
		}
	}
	return false
}
