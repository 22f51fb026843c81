package detectors

import (
	"bytes"
)

// Key-aware detection: in "key=value", "key: value", `"key": "value"`,
// query strings and HTTP header dumps, a key that names a secret makes its
// value a finding even when the value has no recognisable format.

type keyClass uint8

const (
	kNone          keyClass = iota
	kPassword               // password, passwd, pwd, passphrase, db_pass
	kSecret                 // client_secret, api_key, refresh_token, credentials ...
	kWeak                   // bare "key" / "token" / "auth": only machine-random values
	kSession                // session_id, sid, jsessionid ...
	kCookie                 // Cookie: a=b; c=d
	kSetCookie              // Set-Cookie: a=b; Path=/
	kAuthorization          // Authorization: Bearer/Basic ...
	kBearer                 // access_token: an OAuth bearer token
	kAWSSecret              // aws_secret_access_key
	kAzureKey               // AccountKey=
	kGCPKeyID               // private_key_id
	kAuthCode               // OAuth authorization code: ?code=..., auth_code
	kGitHubToken            // GITHUB_TOKEN, GH_TOKEN: also the classic 40-hex token
)

var keyTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		keyTab[c] = isAlnum(b) || b == '_' || b == '-' || b == '.'
	}
}

// normKey lower-cases the key and drops separators: "X-Api-Key" -> "xapikey".
func normKey(key []byte, buf []byte) []byte {
	out := buf[:0]
	for _, c := range key {
		switch {
		case isUpper(c):
			out = append(out, c|0x20)
		case c == '_' || c == '-' || c == '.':
		default:
			out = append(out, c)
		}
	}
	return out
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

// pagination and other non-secret "tokens".
var cursorPrefixes = []string{"next", "page", "continuation", "sync", "resume", "cursor", "pagination", "idempotency", "start", "last", "max", "min", "num", "total", "prompt", "completion", "input", "output", "count", "cache", "csrf", "xsrf"}

// hasKeyAnchor: every secret key name contains one of pass, pw, secret,
// token, key, auth, cookie, sess, sid, credential or code (in any case). Most keys
// in logs contain none, which keeps the separator path cheap: this runs on
// the raw key, before it is normalised.
func hasKeyAnchor(k []byte) bool {
	for i := 0; i+1 < len(k); i++ {
		if anchorFirst[k[i]]&anchorSecond[k[i+1]] == 0 {
			continue // no anchor starts with these two bytes
		}
		r := k[i:]
		switch k[i] | 0x20 {
		case 'p':
			if r[1]|0x20 == 'w' || hasPrefixFold(r, "pass") {
				return true
			}
		case 's':
			if hasPrefixFold(r, "secret") || hasPrefixFold(r, "sess") || hasPrefixFold(r, "sid") || hasPrefixFold(r, "senha") {
				return true
			}
		case 't':
			if hasPrefixFold(r, "token") {
				return true
			}
		case 'k':
			if hasPrefixFold(r, "key") || hasPrefixFold(r, "kennwort") {
				return true
			}
		case 'a':
			if hasPrefixFold(r, "auth") {
				return true
			}
		case 'c':
			if hasPrefixFold(r, "cookie") || hasPrefixFold(r, "cred") || hasPrefixFold(r, "code") {
				return true
			}
		}
	}
	return false
}

// anchorFirst and anchorSecond hold, for each byte, a bit per two-byte
// anchor start it can be the first or second byte of, in either case.
var anchorFirst, anchorSecond [256]uint16

func init() {
	for j, pair := range []string{"pw", "pa", "se", "si", "to", "ke", "au", "co", "cr"} { // "senha", "kennwort" too
		for _, c := range []byte{pair[0], pair[0] - ('a' - 'A')} {
			anchorFirst[c] |= 1 << j
		}
		for _, c := range []byte{pair[1], pair[1] - ('a' - 'A')} {
			anchorSecond[c] |= 1 << j
		}
	}
}

func rawSuffixFold(raw []byte, suf string) bool {
	return len(raw) > len(suf) && hasPrefixFold(raw[len(raw)-len(suf):], suf)
}

func classifyKey(raw []byte) keyClass {
	var buf [64]byte
	if len(raw) > len(buf) || !hasKeyAnchor(raw) {
		return kNone
	}
	k := normKey(raw, buf[:])
	if len(k) < 3 {
		return kNone
	}
	switch k[len(k)-1] {
	case 'd', 's', 'n', 't', 'y', 'e', 'h', 'l', 'w', 'a':
	default:
		return secretInfix(k)
	}
	s := string(k)
	switch {
	case hasSuffix(k, "authorization"):
		return kAuthorization
	case hasSuffix(k, "setcookie"):
		return kSetCookie
	case hasSuffix(k, "cookie") || hasSuffix(k, "cookies"):
		return kCookie // also http.request.header.cookie, req_cookies
	case hasSuffix(k, "password") || hasSuffix(k, "passwd") || hasSuffix(k, "passphrase") ||
		s == "pwd" || hasSuffix(k, "dbpwd") || hasSuffix(k, "userpwd") || s == "pass" || s == "dbpass" || s == "userpass" || s == "pw" ||
		hasSuffix(k, "passwort") || hasSuffix(k, "kennwort") || hasSuffix(k, "motdepasse") || s == "passe" || s == "senha" || hasSuffix(k, "contrasena"):
		// German, French ("mot de passe: x" leaves the key "passe"), Portuguese, Spanish without the tilde
		return kPassword
	case (bytes.Contains(k, []byte("session")) && hasSuffix(k, "token")) || hasSuffix(k, "securitytoken"):
		return kSession // AWS_SESSION_TOKEN, X-Session-Token, SESSION_SECRET_TOKEN
	case hasSuffix(k, "accesstoken"):
		return kBearer
	case rawSuffixFold(raw, "_pass") || rawSuffixFold(raw, "-pass") || rawSuffixFold(raw, ".pass"):
		return kPassword
	case hasSuffix(k, "secretaccesskey") || ((bytes.Contains(k, []byte("aws")) || bytes.Contains(k, []byte("s3"))) && (hasSuffix(k, "secretkey") || hasSuffix(k, "secret"))):
		return kAWSSecret
	case s == "accountkey":
		return kAzureKey
	case s == "privatekeyid":
		return kGCPKeyID
	case hasSuffix(k, "githubtoken") || s == "ghtoken" || hasSuffix(k, "githubpat") || hasSuffix(k, "githubaccesstoken") || s == "hubottoken":
		return kGitHubToken
	case s == "code" || s == "authcode" || s == "authorizationcode" || s == "oauthcode":
		return kAuthCode
	case hasSuffix(k, "sessionid") || hasSuffix(k, "sessid") || hasSuffix(k, "sessionkey") || hasSuffix(k, "sessiontoken") ||
		hasSuffix(k, "session") || s == "sid" || s == "connectsid" || hasSuffix(k, "sessioncookie"):
		return kSession
	}
	for _, p := range cursorPrefixes {
		if len(k) > len(p) && string(k[:len(p)]) == p && (hasSuffix(k, "token") || hasSuffix(k, "key")) {
			return kNone
		}
	}
	switch {
	case s == "token" || s == "key" || s == "auth" || s == "secret":
		return kWeak
	case hasSuffix(k, "secret") || hasSuffix(k, "secretkey") || hasSuffix(k, "apikey") || hasSuffix(k, "apitoken") ||
		hasSuffix(k, "refreshtoken") || hasSuffix(k, "authtoken") || hasSuffix(k, "idtoken") ||
		hasSuffix(k, "accesskey") || hasSuffix(k, "privatekey") || hasSuffix(k, "signingkey") || hasSuffix(k, "encryptionkey") ||
		hasSuffix(k, "masterkey") || hasSuffix(k, "credentials") || hasSuffix(k, "credential") || hasSuffix(k, "bearertoken") ||
		hasSuffix(k, "sharedaccesskey") || hasSuffix(k, "authkey") || hasSuffix(k, "clientkey") || hasSuffix(k, "appkey") ||
		hasSuffix(k, "secrettoken") || hasSuffix(k, "privatetoken") || hasSuffix(k, "webhooktoken") || hasSuffix(k, "bottoken") ||
		hasSuffix(k, "xauthtoken") || hasSuffix(k, "licensekey") || hasSuffix(k, "secretkeybase") || hasSuffix(k, "storagekey") ||
		hasSuffix(k, "accountkey"):
		return kSecret
	case hasSuffix(k, "token"):
		return kWeak
	case hasSuffix(k, "creds") || s == "cred":
		return kSecret
	}
	return secretInfix(k)
}

// secretInfixes name a secret in the middle of a key: app_secret_value,
// x_api_token_v2, STRIPE_SECRET_KEY_LIVE.
var secretInfixes = []string{"secret", "apitoken", "apikey", "authtoken", "accesstoken", "privatekey", "credential", "creds"}

// metaSuffixes follow a secret's name in keys that hold facts about the
// secret, not the secret: secret_name, api_key_id, token_expires_at.
var metaSuffixes = []string{"name", "names", "id", "ids", "arn", "path", "file", "ref", "version", "type", "len", "length",
	"count", "size", "ttl", "expiry", "expires", "expiresat", "expiresin", "expiration", "createdat", "updatedat", "rotation",
	"provider", "store", "manager", "mount", "engine", "field", "header", "prefix", "suffix", "format", "kind", "label",
	"enabled", "required", "present", "exists", "missing", "source", "location", "url", "uri", "hash", "sha", "fingerprint",
	"ok", "valid", "status", "error", "errors", "dir", "namespace", "sidecar", "env", "var", "policy", "scope", "scopes", "backend", "lastused", "age"}

// secretInfix: a key with a secret's name inside it and something that is
// not metadata after it. Only random-looking values count (kWeak).
func secretInfix(k []byte) keyClass {
	for _, w := range secretInfixes {
		i := bytes.Index(k, []byte(w))
		if i < 0 {
			continue
		}
		rest := k[i+len(w):]
		if len(rest) > 0 && rest[0] == 's' {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			continue
		}
		for _, m := range metaSuffixes {
			if string(rest) == m || len(rest) > len(m) && string(rest[len(rest)-len(m):]) == m {
				return kNone
			}
		}
		return kWeak
	}
	return kNone
}

// separator handles '=' and ':': an IPv6 address, a URL with credentials,
// or a key whose value is a secret.
func (s *scanner) separator(p int) int {
	b := s.b
	n := len(b)
	if b[p] == ':' {
		if p+2 < n && b[p+1] == '/' && b[p+2] == '/' {
			s.urlCreds(p)
			return p + 3
		}
		if p > 0 && (isHex(b[p-1]) || b[p-1] == ':') || (p+1 < n && b[p+1] == ':') {
			if end, ok := s.ipv6(p); ok {
				return end
			}
		}
	}
	if b[p] == ':' && p+1 < n && (b[p+1] == '=' || b[p+1] == ':' && p+2 < n && b[p+2] == '=') {
		return p + 1 // ":=", "::=": the '=' is the separator
	}
	if b[p] == ':' && p+1 < n && b[p+1] == ':' {
		return p + 2 // a scope (strlen_pass::handle_assign, Foo::Bar), not a key and its value
	}
	// Assignment operators of other languages end in '=': ":=" (Go, Make),
	// "?=" and "::=" (Make), ".=" (PHP). The key ends before the operator.
	q := p
	if b[p] == '=' {
		for q > 0 && p-q < 2 && (b[q-1] == ':' || b[q-1] == '?' || b[q-1] == '.') {
			q--
		}
	}
	if q == 0 {
		return p + 1
	}
	c := b[q-1]
	if !(isAlnum(c) || c == '"' || c == '\'' || c == ' ' || c == '_' || c == ']') {
		return p + 1
	}
	// Key: skip spaces and one closing quote (also escaped: \" or \\\"), then key bytes.
	k := q
	for k > 0 && q-k < 2 && b[k-1] == ' ' {
		k--
	}
	if k > 0 && (b[k-1] == '"' || b[k-1] == '\'') {
		k--
		for q := k; k > 0 && q-k < 8 && b[k-1] == '\\'; { // \"key\": in escaped JSON
			k--
		}
	}
	ke := k
	for k > 0 && ke-k < 64 && keyTab[b[k-1]] {
		k--
	}
	for k < ke && b[k] == '-' { // --password=...
		k++
	}
	if k == ke || ke-k >= 64 || !isAlpha(b[k]) && b[k] != '_' {
		return p + 1
	}
	if b[p] == ':' && ke == p && k > 0 && p+1 < n && (b[k-1] == '"' || b[k-1] == '\'') && b[p+1] == b[k-1] {
		return p + 1 // the ':' is inside a quoted word: "passwd:" and "group:" lines
	}
	if b[p] == ':' && ke-k == 4 && string(b[k:ke]) == "PASS" {
		return p + 1 // a test result: "--- PASS: TestLogin (0.01s)", "PASS: config.sub checks"
	}
	key := b[k:ke]
	cls := classifyKey(key)
	if cls == kNone && ke-k == 5 && hasPrefixFold(key, "value") {
		key = nameBefore(b, k)
		cls = classifyKey(key)
	}
	if cls == kNone {
		return p + 1
	}
	from := p + 1
	if b[p] == '=' && from < n && b[from] == '>' {
		from++ // Ruby and PHP hashes: "password" => "…"
	}
	vs, ve, quoted := valueSpan(b, from, cls)
	if b[p] == ':' && ve <= vs {
		s.valueOnNextLine(cls, key, ve)
		return p + 1
	}
	if ve <= vs {
		return p + 1
	}
	if !quoted && (b[p] == ':' || vs > p+1) && prose(b, vs, ve, true) {
		return p + 1 // "password: must be at least 8 characters", "--passphrase= can be empty"
	}
	s.keyed(cls, key, vs, ve, quoted)
	if cls == kCookie || cls == kSetCookie {
		return ve // cookies() judged every pair
	}
	return p + 1
}

// valueOnNextLine: YAML (and some pretty-printers) put a long value on its
// own indented line after "key:" or a block scalar "key: |". At i the rest
// of the key's line must be blank; the next line must be indented and hold
// one token, which is judged as the key's value.
func (s *scanner) valueOnNextLine(cls keyClass, key []byte, i int) {
	b := s.b
	switch cls {
	case kAuthorization, kCookie, kSetCookie, kAuthCode: // "…similar code:\n  https://…" is prose
		return
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i < len(b) && (b[i] == '|' || b[i] == '>') { // a block scalar
		i++
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			i++
		}
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	if i >= len(b) || b[i] != '\n' {
		return
	}
	i++
	j := i
	for j < len(b) && j-i < 64 && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	if j == i {
		return
	}
	vs := j
	for j < len(b) && j-vs < 4096 && b[j] > ' ' {
		j++
	}
	ve := j
	for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r') {
		j++
	}
	if ve == vs || (j < len(b) && b[j] != '\n') || b[ve-1] == ':' {
		return
	}
	if ve-vs >= 2 && (b[vs] == '"' || b[vs] == '\'') && b[ve-1] == b[vs] {
		vs, ve = vs+1, ve-1
	}
	if ve > vs {
		s.keyed(cls, key, vs, ve, true)
	}
}

// nameBefore: in name/value pairs the secret's name is the field before
// "value": {"name": "DB_PASSWORD", "value": "…"} (Kubernetes env in JSON),
// "- name: DB_PASSWORD\n  value: …" (the same in YAML), AWS tags
// {"Key": "Password", "Value": "…"}. k is where "value" starts; the result
// is nil unless a name or key field directly precedes it.
func nameBefore(b []byte, k int) []byte {
	i, lines := k, 0
	for i > 0 && k-i < 48 {
		c := b[i-1]
		if c == '\n' {
			if lines++; lines > 1 {
				return nil
			}
		} else if c != '"' && c != '\'' && c != ',' && c != ' ' && c != '\t' && c != '\r' && c != '\\' {
			break
		}
		i--
	}
	ne := i
	for i > 0 && ne-i < 64 && keyTab[b[i-1]] {
		i--
	}
	ns := i
	sep := false
	for i > 0 && ns-i < 8 {
		c := b[i-1]
		if c == ':' || c == '=' {
			sep = true
		} else if c != ' ' && c != '"' && c != '\'' && c != '\\' {
			break
		}
		i--
	}
	if ns == ne || !sep {
		return nil
	}
	for _, field := range []string{"name", "key"} {
		f := i - len(field)
		if f >= 0 && hasPrefixFold(b[f:i], field) && (f == 0 || !keyTab[b[f-1]]) {
			return b[ns:ne]
		}
	}
	return nil
}

// prose: an unquoted lower-case word followed by more words is a sentence
// about the key, not its value.
// After a key (not after a command-line flag, where "-pSecret app" is a
// password), a capitalised word counts too ("multi-pass: First pass now…").
// So does a word that ends a sentence or a clause ("--password options."),
// or one cut at an apostrophe ("don't").
func prose(b []byte, vs, ve int, capital bool) bool {
	w := b[vs:ve]
	punct := false
	for len(w) > 0 && bytes.IndexByte([]byte(",.;)"), w[len(w)-1]) >= 0 {
		w, punct = w[:len(w)-1], true
	}
	if len(w) == 0 {
		return false
	}
	for i, c := range w {
		if !isLower(c) && !(capital && i == 0 && isUpper(c)) {
			return false
		}
	}
	if punct {
		return true
	}
	return ve+1 < len(b) && (b[ve] == ' ' || b[ve] == '\'') && isAlpha(b[ve+1])
}

// xmlElement handles <password>value</password> (and <ns:apiKey ...>): the
// '>' at p closes a start tag whose name names a secret.
func (s *scanner) xmlElement(p int) int {
	b := s.b
	k := p
	for k > 0 && p-k < 256 && b[k-1] != '<' && b[k-1] != '>' && b[k-1] != '\n' {
		k--
	}
	if k == 0 || b[k-1] != '<' || k == p || b[p-1] == '/' {
		return p + 1
	}
	ne := k
	for ne < p && (keyTab[b[ne]] || b[ne] == ':') {
		ne++
	}
	name := b[k:ne]
	if c := bytes.LastIndexByte(name, ':'); c >= 0 {
		name = name[c+1:]
	}
	cls := classifyKey(name)
	if cls == kNone || cls == kCookie || cls == kSetCookie {
		return p + 1
	}
	// the text up to the end tag, which may sit on the lines after it
	// (pretty-printed XML): one token once the white space around it is trimmed
	vs := p + 1
	ve := vs
	for ve < len(b) && ve-vs < 4096 && b[ve] != '<' {
		ve++
	}
	if ve >= len(b) || b[ve] != '<' || ve+1 >= len(b) || b[ve+1] != '/' {
		return p + 1
	}
	for vs < ve && isSpaceByte(b[vs]) {
		vs++
	}
	for ve > vs && isSpaceByte(b[ve-1]) {
		ve--
	}
	if vs == ve || bytes.IndexByte(b[vs:ve], '\n') >= 0 {
		return p + 1
	}
	if cls == kAuthorization {
		s.authorization(vs, ve)
	} else {
		s.keyed(cls, name, vs, ve, true)
	}
	return p + 1
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

var valueStop, bracket [256]bool

func init() {
	// '?' ends a value too: ";jsessionid=ABC?x=1" in a URL path
	for _, c := range []byte(" \t\r\n,;&?\"'()[]{}<>\\|") {
		valueStop[c] = true
	}
	for _, c := range []byte("()[]{}<>") {
		bracket[c] = true
	}
}

// valueSpan finds the value after a separator: quoted (with escapes), or up
// to the next delimiter. Header-like values (Authorization, Cookie) run to the
// end of the line or quote.
func valueSpan(b []byte, i int, cls keyClass) (vs, ve int, quoted bool) {
	n := len(b)
	for from := i; i < n && (b[i] == ' ' || b[i] == '\t') && i-from < 4; {
		i++
	}
	const maxValue = 4096
	// An opening quote, possibly escaped once or more (\" in a JSON string,
	// \\\" in JSON inside a JSON string): the value ends at the same sequence.
	if i+1 < n && b[i] == 'b' && (b[i+1] == '\'' || b[i+1] == '"') {
		i++ // a Python bytes literal (b'...'), as aws --debug prints headers
	}
	bs := i
	for bs < n && b[bs] == '\\' && bs-i < 8 {
		bs++
	}
	if bs < n && (b[bs] == '"' || (b[bs] == '\'' && bs == i)) {
		q := b[i : bs+1]
		vs = bs + 1
		lim := min(n, vs+maxValue)
		for j := vs; j < lim; j++ {
			c := b[j]
			if c == '\n' {
				return vs, vs, true
			}
			if len(q) == 1 {
				if c == '\\' {
					j++
					continue
				}
				if c == q[0] {
					return vs, j, true
				}
				continue
			}
			if c == '\\' && hasPrefix(b[j:], string(q)) {
				return vs, j, true
			}
		}
		return vs, vs, true
	}
	vs = i
	ve = vs
	lim := min(n, vs+maxValue)
	if cls == kAuthorization || cls == kCookie || cls == kSetCookie {
		// to the end of the header (an authorization value has no ':', which
		// also keeps "Authorization:Authorization:..." linear)
		for ve < lim && b[ve] != '\n' && b[ve] != '\r' && b[ve] != '"' && b[ve] != '\'' && (cls != kAuthorization || b[ve] != ':') {
			ve++
		}
		for ve > vs && (b[ve-1] == ' ' || b[ve-1] == '\\') {
			ve--
		}
		return vs, ve, false
	}
	for ve < lim {
		if valueStop[b[ve]] {
			// a password may hold brackets: "D#6)e0ht^@61kU5" — a bracket
			// between two value bytes belongs to it
			if cls != kPassword || ve == vs || ve+1 >= lim || !bracket[b[ve]] || valueStop[b[ve+1]] || b[ve+1] == '=' {
				break
			}
		}
		if b[ve] == '=' {
			// base64 padding ends a value; any other '=' starts the next pair
			// (a=b=c is a, then b=c), which also keeps "k=k=k=..." linear
			pad := ve
			for pad < lim && b[pad] == '=' {
				pad++
			}
			if pad == n || valueStop[b[pad]] {
				return vs, pad, false
			}
			break
		}
		ve++
	}
	return vs, ve, false
}

// keyed decides whether the value of a secret-named key is a finding.
func (s *scanner) keyed(cls keyClass, key []byte, vs, ve int, quoted bool) {
	b := s.b
	v := b[vs:ve]
	switch cls {
	case kAuthorization:
		s.authorization(vs, ve)
		return
	case kCookie:
		s.cookies(vs, ve, false)
		return
	case kSetCookie:
		s.cookies(vs, ve, true)
		return
	}
	if isPlaceholder(v) {
		return
	}
	if cls != kPassword && (hasPrefixFold(v, "bearer ") || hasPrefixFold(v, "basic ")) {
		// auth="Bearer ...": the scheme says what the credential is, whatever the key
		s.authorization(vs, ve)
		return
	}
	switch cls {
	case kPassword:
		if len(v) < 3 || len(v) > 256 || v[len(v)-1] == ':' || (v[0] == '/' || v[0] == '~') && bytes.Contains(bytes.ToLower(key), []byte("pwd")) {
			return
		}
		if !quoted && bytes.IndexByte(v, ':') > 0 && bytes.Contains(v, []byte("//")) {
			return // a URL: url_credentials looks inside it
		}
		s.add(vs, ve, s.e.det(idPassword), 0.85, nil)
	case kAWSSecret:
		if len(v) == 40 && allB64(v) && looksRandom(v, 40, 4.0) {
			s.add(vs, ve, s.e.det(idAWSSecret), 0.95, nil)
			return
		}
		s.secret(vs, ve, 0.8)
	case kAzureKey:
		if len(v) == 88 && allB64(v[:86]) && string(v[86:]) == "==" {
			s.add(vs, ve, s.e.det(idAzure), 0.95, nil)
			return
		}
		s.secret(vs, ve, 0.8)
	case kGCPKeyID:
		if len(v) == 40 && allHex(v) {
			conf := 0.8
			if bytes.Contains(b[max(0, vs-2048):min(len(b), ve+2048)], []byte("service_account")) {
				conf = 0.95
			}
			s.add(vs, ve, s.e.det(idGCPServiceAccount), conf, nil)
		}
	case kSession:
		// a session id is machine-made: letters and digits with some entropy,
		// 16+ hex or a UUID; a bare counter (Session: 30546173_4261722401) is not one
		if len(v) >= 8 && len(v) <= 1024 && !hexLiteral(v) && !counterLike(v) && bytes.IndexByte(v, ' ') < 0 && (looksRandom(v, 8, 2.5) || allHex(v) && len(v) >= 16 || isUUID(v)) {
			s.add(vs, ve, s.e.det(idSession), 0.85, nil)
		}
	case kGitHubToken:
		// Before 2021 GitHub tokens were 40 hex digits, a shape every git
		// SHA shares: only the key tells them apart.
		if len(v) == 40 && allHex(v) {
			s.add(vs, ve, s.e.det(idGitHub), 0.85, nil)
			return
		}
		s.secret(vs, ve, 0.8)
	case kSecret:
		s.secret(vs, ve, 0.8)
	case kAuthCode:
		// error and exit codes are numbers or words (ResourceNotFound); an
		// authorization code is a long machine-made mix of letters and digits
		lower, _, digit, _ := charClasses(v)
		if lower && digit && len(v) >= 16 && len(v) <= 512 && !isUUID(v) && !bytes.Contains(v, []byte("://")) && !looksLikeIdentifier(v) && !looksLikePath(v) && (looksRandom(v, 16, 3.3) || len(v) >= 20 && allHex(v)) {
			s.add(vs, ve, s.e.det(idGeneric), 0.75, nil)
		}
	case kBearer:
		if len(v) >= 8 && len(v) <= 4096 && !looksLikeIdentifier(v) && (looksRandom(v, 8, 2.5) || allHex(v) && hasLetter(v)) {
			s.add(vs, ve, s.e.det(idBearer), 0.85, nil)
		}
	case kWeak:
		if len(v) >= 16 && len(v) <= 1024 && !isUUID(v) && !allHex(v) && !hexLiteral(v) && !wordIdentifier(v) && !bytes.Contains(v, []byte("://")) && !looksLikeIdentifier(v) && !looksLikePath(v) && looksRandom(v, 16, 3.2) {
			s.add(vs, ve, s.e.det(idGeneric), 0.7, nil)
		}
	}
}

// wordIdentifier: a name made of words, not a machine-made secret:
// snake_case of three or more word parts (gnutls_x509_crt_verify_data2), or
// letters-only camelCase with few humps (ifdProductString).
func wordIdentifier(v []byte) bool {
	if allAlpha(v) {
		humps := 0
		for _, c := range v[1:] {
			if isUpper(c) {
				humps++
			}
		}
		return humps*4 <= len(v)
	}
	parts := bytes.Split(v, []byte("_"))
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		// a word part: letters, then digits (x509, data2), or a number
		l := 0
		for l < len(p) && isAlpha(p[l]) {
			l++
		}
		if len(p) == 0 || l < len(p) && !allDigits(p[l:]) {
			return false
		}
	}
	return true
}

// hexLiteral: 0x7EC2DBB6F4DBF434, a number or a GnuPG key id, not a secret
// under a bare "key".
func hexLiteral(v []byte) bool {
	return len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && allHex(v[2:])
}

func (s *scanner) secret(vs, ve int, conf float64) {
	v := s.b[vs:ve]
	if len(v) == 88 && allB64(v[:86]) && string(v[86:]) == "==" {
		s.add(vs, ve, s.e.det(idAzure), 0.9, nil) // an Azure storage key under any secret name
		return
	}
	if len(v) < 8 || len(v) > 1024 || counterLike(v) || looksLikeIdentifier(v) || looksLikePath(v) || bytes.Contains(v, []byte("://")) {
		return // a URL's credentials are url_credentials' business
	}
	lower, upper, digit, other := charClasses(v)
	kinds := 0
	for _, k := range []bool{lower, upper, digit, other} {
		if k {
			kinds++
		}
	}
	if kinds < 2 && entropy(v) < 3.0 {
		return
	}
	s.add(vs, ve, s.e.det(idGeneric), conf, nil)
}

func allB64(v []byte) bool {
	for _, c := range v {
		if !b64Tab[c] && c != '=' {
			return false
		}
	}
	return true
}

// authorization reads "Scheme credentials" from a header value.
func (s *scanner) authorization(vs, ve int) {
	b := s.b
	sch := vs
	for sch < ve && (isAlnum(b[sch]) || b[sch] == '-') {
		sch++
	}
	if sch < ve && b[sch] == ' ' {
		scheme := b[vs:sch]
		cs := sch + 1
		for cs < ve && b[cs] == ' ' {
			cs++
		}
		ce := runOf(b[:ve], cs, &credTab)
		cred := b[cs:ce]
		if len(cred) == 0 || isPlaceholder(cred) {
			return
		}
		var nb [32]byte
		ns := normKey(scheme, nb[:])
		switch {
		case string(ns) == "bearer":
			if len(cred) >= 8 {
				s.add(cs, ce, s.e.det(idBearer), 0.9, nil)
			}
		case string(ns) == "basic":
			// "user:" with an empty password is still a credential under
			// Authorization: API keys are often sent as the user name
			if basicCredentials(cred, true) {
				s.add(cs, ce, s.e.det(idBasicAuth), 0.95, nil)
			}
		case bytes.Contains(ns, []byte("token")) || bytes.Contains(ns, []byte("key")) || string(ns) == "ssws" || string(ns) == "auth":
			// Token, Api-Token, ApiKey, SSWS (Okta), GenieKey, DSN-Key ...
			s.secret(cs, ce, 0.85)
		}
		return
	}
	ce := runOf(b[:ve], vs, &credTab)
	if ce == ve && !isPlaceholder(b[vs:ve]) {
		s.secret(vs, ve, 0.75)
	}
}

var sessionCookieNames = []string{"session", "sess", "sid", "token", "auth", "jwt", "remember", "login", "identity", "csrf", "xsrf", "ticket"}

// cookies flags cookie values that are session identifiers: by name, or by
// looking machine-random. Set-Cookie carries one cookie before its attributes.
func (s *scanner) cookies(vs, ve int, set bool) {
	b := s.b
	i := vs
	for i < ve {
		for i < ve && (b[i] == ' ' || b[i] == ';') {
			i++
		}
		ne := i
		for ne < ve && b[ne] != '=' && b[ne] != ';' {
			ne++
		}
		if ne >= ve || b[ne] != '=' {
			return
		}
		name := bytes.ToLower(bytes.TrimSpace(b[i:ne]))
		cs := ne + 1
		ce := cs
		for ce < ve && b[ce] != ';' {
			ce++
		}
		val := bytes.TrimSpace(b[cs:ce])
		valStart := cs + bytes.Index(b[cs:ce], val)
		if hasPrefix(val, "eyJ") {
			before := len(s.out)
			s.jwt(valStart) // a JWT keeps its own type inside a cookie
			if len(s.out) > before {
				val = nil
			}
		}
		if len(val) > 0 && !isPlaceholder(val) {
			named := false
			for _, w := range sessionCookieNames {
				if bytes.Contains(name, []byte(w)) {
					named = true
					break
				}
			}
			if (named && len(val) >= 8 && !allAlpha(val) && !counterLike(val)) || (looksRandom(val, 16, 3.2) && !mostlyNumeric(val)) {
				s.add(valStart, valStart+len(val), s.e.det(idSession), 0.85, nil)
			}
		}
		if set {
			return
		}
		i = ce + 1
	}
}

// mostlyNumeric: analytics and timestamp cookies (GA1.2.123456789.1700000000).
func mostlyNumeric(v []byte) bool {
	n := 0
	for _, c := range v {
		if isDigit(c) || c == '.' {
			n++
		}
	}
	return n*5 >= len(v)*4
}

func allAlpha(v []byte) bool {
	for _, c := range v {
		if !isAlpha(c) {
			return false
		}
	}
	return true
}

// urlCreds flags the password in scheme://user:password@host. Real logs
// print connection strings raw, with reserved characters left unescaped in
// the password (`pa55word?@`, `Welcome2004#@`, `p@ss/w:rd@`), so the
// userinfo is read the way database drivers read it, not RFC-strictly: the
// authority runs to the first '/' after the first '@', and the userinfo
// ends at the last '@' in it. A path holding '@' (npm's `/@scope/pkg`,
// `medium.com/@author`) is past that '/', so it is not taken for userinfo.
func (s *scanner) urlCreds(p int) {
	b := s.b
	k := p
	for k > 0 && p-k < 32 && (isAlnum(b[k-1]) || b[k-1] == '+' || b[k-1] == '.' || b[k-1] == '-') {
		k--
	}
	if p-k < 2 {
		return
	}
	us := p + 3
	// the URL token: up to white space, a quote, an angle bracket or a backslash
	te := us
	firstAt := -1
	for te < len(b) && te-us < 512 {
		c := b[te]
		if c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == '`' {
			break
		}
		if c == '@' && firstAt < 0 {
			firstAt = te
		}
		te++
	}
	if firstAt < 0 {
		return
	}
	ae := te // authority end: the first '/' after the first '@'
	if sl := bytes.IndexByte(b[firstAt:te], '/'); sl >= 0 {
		ae = firstAt + sl
	}
	at := firstAt + bytes.LastIndexByte(b[firstAt:ae], '@')
	colon := bytes.IndexByte(b[us:at], ':')
	if colon < 0 {
		return
	}
	user := b[us : us+colon]
	if bytes.ContainsAny(user, "/?#[]") {
		return // "http://example.com/a:b@c", "?next=a:b@c": a path or query, not userinfo
	}
	ps := us + colon + 1
	pw := b[ps:at]
	if len(pw) < 2 || isPlaceholder(pw) || portThenPath(pw) || !hostAfter(b, at+1, te) {
		return
	}
	s.add(ps, at, s.e.det(idURLCredentials), 0.9, nil)
}

// portThenPath: "8080/docs/" is host:port followed by a path that holds an
// '@' ("https://host:8080/docs/@user"), not a password.
func portThenPath(pw []byte) bool {
	d := runDigits(pw, 0)
	return d > 0 && d <= 5 && d < len(pw) && pw[d] == '/'
}

// hostAfter: the text at i starts with a host name, an IPv4 address or a
// bracketed IPv6 address (or a driver's protocol: tcp(…), unix(…)).
func hostAfter(b []byte, i, end int) bool {
	if i >= end {
		return false
	}
	if b[i] == '[' {
		return true
	}
	h := i
	for h < end && (isAlnum(b[h]) || b[h] == '-' || b[h] == '.' || b[h] == '_') {
		h++
	}
	if h == i || !isAlnum(b[i]) {
		return false
	}
	// '(' for the Go MySQL driver's "user:pw@tcp(10.8.1.4:3306)/db"
	return h == end || bytes.IndexByte([]byte(":/?#,;)]("), b[h]) >= 0
}

// placeholderWords are values that stand in for a secret rather than being one.
var placeholderWords = map[string]bool{
	"null": true, "nil": true, "none": true, "true": true, "false": true, "undefined": true, "empty": true,
	"redacted": true, "masked": true, "hidden": true, "removed": true, "filtered": true, "omitted": true,
	"secret": true, "password": true, "passwd": true, "changeme": true, "change_me": true, "changeit": true,
	"example": true, "sample": true, "dummy": true, "placeholder": true, "your_password": true,
	"yourpassword": true, "your-password": true, "mypassword": true, "your_token": true, "your_api_key": true,
	"token": true, "apikey": true, "api_key": true, "value": true, "string": true, "required": true,
	"optional": true, "invalid": true, "incorrect": true, "missing": true, "provided": true, "set": true,
	"unset": true, "n/a": true, "na": true, "expired": true, "reset": true, "changed": true, "updated": true,
	"accepted": true, "rejected": true, "failed": true, "ok": true, "success": true, "mismatch": true,
	"wrong": true, "yes": true, "no": true, "on": true, "off": true, "default": true, "xxx": true,
	"bearer": true, "basic": true, "pass": true, "secret_key": true, "not_set": true, "notset": true,
	"unknown": true, "anonymous": true, "prompt": true, "stdin": true, "env": true,
}

var secretRefs = []string{"vault:", "secretsmanager:", "arn:aws:secretsmanager", "arn:aws:ssm", "ssm:", "ref+", "file:", "env:", "secret:", "op://", "azurekeyvault:", "gcp-secret:", "projects/"}

// isPlaceholder: masked, templated, formatted or stand-in values.
func isPlaceholder(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	switch v[0] {
	case '$', '%', '<', '[', '{', '(', '@', '`': // `pwd`: a shell command's output
		return true
	}
	if bytes.Contains(v, []byte("{{")) || bytes.Contains(v, []byte("${")) || bytes.Contains(v, []byte("$(")) {
		return true
	}
	// references to a secret store, not the secret
	for _, ref := range secretRefs {
		if hasPrefixFold(v, ref) {
			return true
		}
	}
	same := true
	for _, c := range v {
		if c != v[0] {
			same = false
			break
		}
	}
	if same && bytes.IndexByte([]byte("*xX#.-_?•0"), v[0]) >= 0 {
		return true
	}
	if bytes.Contains(v, []byte("****")) || bytes.Contains(v, []byte("xxxx")) || bytes.Contains(v, []byte("XXXX")) || bytes.Contains(v, []byte("•")) {
		return true
	}
	if len(v) > 32 {
		return false
	}
	var buf [32]byte
	low := buf[:0]
	for _, c := range v {
		if isUpper(c) {
			c |= 0x20
		}
		low = append(low, c)
	}
	if placeholderWords[string(low)] {
		return true
	}
	return bytes.Contains(low, []byte("redacted")) || bytes.Contains(low, []byte("example")) || bytes.Contains(low, []byte("placeholder"))
}
