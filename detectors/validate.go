package detectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
)

// Validators: the checks that turn a pattern match into a finding. Each is
// cheap and allocation-free unless noted, because they run on the hot path.

func isDigit(c byte) bool { return c-'0' < 10 }
func isUpper(c byte) bool { return c-'A' < 26 }
func isLower(c byte) bool { return c-'a' < 26 }
func isAlpha(c byte) bool { return isUpper(c) || isLower(c) }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isWord(c byte) bool  { return wordTab[c] }
func isHex(c byte) bool   { return hexTab[c] }

var wordTab, hexTab, b64Tab, b64urlTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		wordTab[c] = isAlnum(b) || b == '_'
		hexTab[c] = isDigit(b) || (b|0x20)-'a' < 6
		b64Tab[c] = isAlnum(b) || b == '+' || b == '/'
		b64urlTab[c] = isAlnum(b) || b == '-' || b == '_'
	}
}

// luhn reports whether the digit string passes the Luhn checksum.
func luhn(digits []byte) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func prefixIn(d []byte, lo, hi int, width int) bool {
	if len(d) < width {
		return false
	}
	v := 0
	for _, c := range d[:width] {
		v = v*10 + int(c-'0')
	}
	return v >= lo && v <= hi
}

// cardBrand returns the brand whose prefix and length the digits match, or "".
func cardBrand(d []byte) string {
	n := len(d)
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (prefixIn(d, 51, 55, 2) || prefixIn(d, 2221, 2720, 4)) && n == 16:
		return "mastercard"
	case (prefixIn(d, 34, 34, 2) || prefixIn(d, 37, 37, 2)) && n == 15:
		return "amex"
	case (prefixIn(d, 6011, 6011, 4) || prefixIn(d, 65, 65, 2) || prefixIn(d, 644, 649, 3)) && n >= 16 && n <= 19:
		return "discover"
	case prefixIn(d, 3528, 3589, 4) && n >= 16 && n <= 19:
		return "jcb"
	case (prefixIn(d, 300, 305, 3) || prefixIn(d, 36, 36, 2) || prefixIn(d, 38, 39, 2)) && n >= 14 && n <= 19:
		return "diners"
	case prefixIn(d, 62, 62, 2) && n >= 16 && n <= 19:
		return "unionpay"
	case (prefixIn(d, 5018, 5018, 4) || prefixIn(d, 5020, 5020, 4) || prefixIn(d, 5038, 5038, 4) ||
		prefixIn(d, 6304, 6304, 4) || prefixIn(d, 6759, 6759, 4) || prefixIn(d, 6761, 6763, 4)) && n >= 13 && n <= 19:
		return "maestro"
	}
	return ""
}

func validCard(d []byte) bool {
	if cardBrand(d) == "" || !luhn(d) {
		return false
	}
	same := true
	for _, c := range d[1:] {
		if c != d[1] {
			same = false
			break
		}
	}
	// 4111111111111111 is the classic test card and stays a finding; a
	// prefix followed by only zeros is a padded counter, not a card.
	return !(same && d[1] == '0')
}

// ibanLengths is each country's IBAN length (ISO 13616 registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
	"MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
	"NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
	"SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanMod97 reports whether the compact IBAN (upper-case letters and digits)
// has a valid ISO 7064 mod-97-10 check.
func ibanMod97(s []byte) bool {
	if len(s) < 5 {
		return false
	}
	rem := 0
	add := func(c byte) bool {
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case isUpper(c):
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range s[4:] {
		if !add(c) {
			return false
		}
	}
	for _, c := range s[:4] {
		if !add(c) {
			return false
		}
	}
	return rem == 1
}

// validSSN applies the SSA rules: no 000/666/9xx area, no 00 group, no 0000 serial.
func validSSN(area, group, serial []byte) bool {
	if len(area) != 3 || len(group) != 2 || len(serial) != 4 {
		return false
	}
	a := string(area)
	if a == "000" || a == "666" || area[0] == '9' {
		return false
	}
	return string(group) != "00" && string(serial) != "0000"
}

// decodeB64URL decodes base64url with or without padding.
func decodeB64URL(s []byte) ([]byte, bool) {
	t := strings.TrimRight(string(s), "=")
	out, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return nil, false
	}
	return out, true
}

// validJWT: header and payload are base64url JSON objects and the header names an "alg".
func validJWT(tok []byte) bool {
	parts := strings.Split(string(tok), ".")
	if len(parts) != 3 || len(parts[0]) < 10 || len(parts[1]) < 2 {
		return false
	}
	h, ok := decodeB64URL([]byte(parts[0]))
	if !ok {
		return false
	}
	var header map[string]any
	if json.Unmarshal(h, &header) != nil {
		return false
	}
	if _, ok := header["alg"]; !ok {
		return false
	}
	p, ok := decodeB64URL([]byte(parts[1]))
	if !ok {
		return false
	}
	var payload any
	return json.Unmarshal(p, &payload) == nil
}

// basicCredentials reports whether a Basic-auth token decodes to "user:pass",
// printable, with a user and (unless emptyPass) a password.
func basicCredentials(tok []byte, emptyPass bool) bool {
	raw, err := base64.StdEncoding.DecodeString(string(tok))
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(string(tok), "="))
		if err != nil {
			return false
		}
	}
	colon := strings.IndexByte(string(raw), ':')
	if colon <= 0 || colon == len(raw)-1 && !emptyPass {
		return false
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s []byte) float64 {
	if len(s) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range s {
		counts[c]++
	}
	h, n := 0.0, float64(len(s))
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// charClasses counts which of lower, upper, digit and symbol occur in s.
func charClasses(s []byte) (lower, upper, digit, other bool) {
	for _, c := range s {
		switch {
		case isLower(c):
			lower = true
		case isUpper(c):
			upper = true
		case isDigit(c):
			digit = true
		default:
			other = true
		}
	}
	return
}

func allHex(s []byte) bool {
	for _, c := range s {
		if !isHex(c) {
			return false
		}
	}
	return len(s) > 0
}

func allDigits(s []byte) bool {
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
	}
	return len(s) > 0
}

// looksRandom: a machine-made secret rather than a word, number or identifier.
func looksRandom(v []byte, minLen int, minEntropy float64) bool {
	if len(v) < minLen {
		return false
	}
	lower, upper, digit, _ := charClasses(v)
	kinds := 0
	for _, k := range []bool{lower, upper, digit} {
		if k {
			kinds++
		}
	}
	if kinds < 2 || counterLike(v) {
		return false
	}
	return entropy(v) >= minEntropy
}

// counterLike: digits and separators only (30546173_4261722401, 42-1700000000,
// 1.2.3.4): a counter, an id or a timestamp, which a token never is.
func counterLike(v []byte) bool {
	digits := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			digits++
		case c == '_' || c == '-' || c == '.' || c == ':' || c == '/' || c == ' ' || c == ',' || c == '+':
		default:
			return false
		}
	}
	return digits > 0
}

func hasLetter(v []byte) bool {
	for _, c := range v {
		if isAlpha(c) {
			return true
		}
	}
	return false
}

// isUUID: 8-4-4-4-12 hex.
func isUUID(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// looksLikeIdentifier: a dotted/slashed/colon-joined name such as a Java
// class with identity hash (android.os.BinderProxy@2bd79ce), an ObjC
// selector (atLOI:ofKind:isFaulty:) or a path — words, not a secret.
func looksLikeIdentifier(v []byte) bool {
	segs, seps := 0, 0
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) {
			switch v[i] {
			case '.', '/', ':', '@', '$', '#':
				seps++
			default:
				continue
			}
		}
		seg := v[start:i]
		start = i + 1
		if len(seg) == 0 {
			continue
		}
		segs++
		if !(allAlphaWord(seg) || (len(seg) <= 8 && allHex(seg))) {
			return false
		}
	}
	return seps > 0 && segs > 0
}

// allAlphaWord: letters, possibly with _ or -, as in identifiers and words.
func allAlphaWord(s []byte) bool {
	for _, c := range s {
		if !isAlpha(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// looksLikePath: a file or object-store path (/var/x, ./a, 2024/exports/x.csv),
// not a secret. Base64 has '/' too, but not a dotted extension at the end.
func looksLikePath(v []byte) bool {
	if len(v) > 0 && (v[0] == '/' || v[0] == '~') || bytes.HasPrefix(v, []byte("./")) || bytes.HasPrefix(v, []byte("../")) {
		return true
	}
	slash := bytes.LastIndexByte(v, '/')
	if slash < 0 {
		return false
	}
	last := v[slash+1:]
	dot := bytes.IndexByte(last, '.')
	if dot <= 0 {
		return false
	}
	for _, ext := range bytes.Split(last[dot+1:], []byte(".")) {
		if len(ext) == 0 || len(ext) > 5 || !allAlphaWord(ext) {
			return false
		}
	}
	return true
}
