package drain

// tokenizer splits a line into tokens and masks each token's variable
// parts. Tokens end at white space and after a comma that is not followed
// by a space ("a=1,b=2" is two tokens, as "a=1, b=2" is). A token is cut at
// punctuation into parts, and a part holding a digit ("1514038530000",
// "blk_-695", "0x1f", "10.251.73.220") becomes "<*>"; so does the content
// of a double-quoted string, which may span spaces (`tag="View Lock"` is
// `tag="<*>"`). A token whose every part is masked ("10.1.2.3:80",
// "22:15:29:606") is one "<*>", as are month and weekday names. Redaction
// placeholders ("[REDACTED:email:ab12]") carry a fingerprint with digits
// and mask the same way.
type tokenizer struct {
	line []byte
	pos  int
	out  []byte
}

func (t *tokenizer) reset(line []byte) { t.line, t.pos = line, 0 }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isPunct separates the parts of a token. '.', '-' and '_' do not: they
// join the parts of one value ("10.0.0.1", "blk_-12", "a-b-3").
func isPunct(c byte) bool {
	switch c {
	case ':', '=', ',', ';', '(', ')', '[', ']', '{', '}', '<', '>', '"', '\'', '/', '|', '@', '#', '*', '+', '!', '?', '&', '$', '%', '\\', '~', '`':
		return true
	}
	return false
}

// maxQuoted bounds how far a quoted string is followed.
const maxQuoted = 200

// next returns the next masked token, valid until the following call.
func (t *tokenizer) next() ([]byte, bool) {
	for t.pos < len(t.line) && isSpace(t.line[t.pos]) {
		t.pos++
	}
	if t.pos >= len(t.line) {
		return nil, false
	}
	start := t.pos
	quoted := false
	for t.pos < len(t.line) && !isSpace(t.line[t.pos]) {
		c := t.line[t.pos]
		t.pos++
		if c == '"' && (t.pos-1 == start || t.line[t.pos-2] == '=' || t.line[t.pos-2] == ':') {
			if end := indexQuote(t.line[t.pos:min(len(t.line), t.pos+maxQuoted)]); end >= 0 {
				t.pos += end + 1
				quoted = true
			}
		}
		if c == ',' && t.pos < len(t.line) && !isSpace(t.line[t.pos]) {
			break
		}
	}
	tok := t.line[start:t.pos]
	if isDateWord(tok) {
		return wildBytes, true
	}
	if !quoted && !hasDigit(tok) {
		return tok, true
	}
	t.out = t.out[:0]
	allMasked := true
	star := func() {
		if n := len(t.out); n < 3 || string(t.out[n-3:]) != Wildcard {
			t.out = append(t.out, Wildcard...)
		}
	}
	for i := 0; i < len(tok); {
		c := tok[i]
		if c == '"' && quoted && (i == 0 || tok[i-1] == '=' || tok[i-1] == ':') {
			if end := indexQuote(tok[i+1:]); end >= 0 {
				t.out = append(t.out, '"')
				star()
				t.out = append(t.out, '"')
				i += end + 2
				continue
			}
		}
		if isPunct(c) {
			t.out = append(t.out, c)
			i++
			continue
		}
		j := i
		digit := false
		for j < len(tok) && !isPunct(tok[j]) {
			if tok[j] >= '0' && tok[j] <= '9' {
				digit = true
			}
			j++
		}
		if digit {
			star()
		} else {
			t.out = append(t.out, tok[i:j]...)
			allMasked = false
		}
		i = j
	}
	if allMasked {
		return wildBytes, true
	}
	return t.out, true
}

func indexQuote(b []byte) int {
	for i, c := range b {
		if c == '"' {
			return i
		}
	}
	return -1
}

var wildBytes = []byte(Wildcard)

func hasDigit(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// dateWords are the month and weekday names of timestamps: variables, like
// the digits around them.
var dateWords = map[string]bool{
	"Jan": true, "Feb": true, "Mar": true, "Apr": true, "May": true, "Jun": true,
	"Jul": true, "Aug": true, "Sep": true, "Oct": true, "Nov": true, "Dec": true,
	"Mon": true, "Tue": true, "Wed": true, "Thu": true, "Fri": true, "Sat": true, "Sun": true,
}

func isDateWord(tok []byte) bool { return len(tok) == 3 && dateWords[string(tok)] }
