package detectset

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"math/big"
	"math/rand/v2"
	"strings"
)

// Fake but format-valid values: right prefixes and lengths, valid Luhn and
// mod-97 checksums, GitHub/npm CRC32 checksums, parseable JWTs and PEM keys.
// Every value is drawn from the generator's seeded source, so none of them is
// anybody's real secret.

const (
	digits   = "0123456789"
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower    = "abcdefghijklmnopqrstuvwxyz"
	hexLower = "0123456789abcdef"
	base62   = digits + upper + lower
	urlSafe  = base62 + "-_"
	b64chars = base62 + "+/"
	base32   = upper + "234567"
)

type gen struct{ r *rand.Rand }

func (g gen) n(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g gen) chance(p float64) bool { return g.r.Float64() < p }

func (g gen) str(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return b
}

// --- PII ---

var (
	firstNames = []string{"jane", "john", "maria", "wei", "aisha", "lucas", "olga", "pedro", "fatima", "noah", "emma", "raj", "chloe", "omar", "yuki", "lena"}
	lastNames  = []string{"doe", "smith", "garcia", "chen", "okafor", "muller", "ivanova", "silva", "khan", "brown", "martin", "patel", "dubois", "haddad", "tanaka", "novak"}
	mailHosts  = []string{"example.com", "example.org", "example.net", "mail.example.co.uk", "corp.example.io", "customers.example.de"}
)

func (g gen) email() string {
	f, l := g.pick(firstNames...), g.pick(lastNames...)
	local := g.pick(f+"."+l, f+l[:1], f[:1]+l, f+"_"+l+fmt.Sprint(g.n(1, 99)), f+"+"+g.pick("billing", "test", "alerts"), l+"."+f)
	return local + "@" + g.pick(mailHosts...)
}

// phone uses fictional ranges (NANP 555-01xx, Ofcom drama numbers).
func (g gen) phone() string {
	area := fmt.Sprint(g.n(201, 989))
	sub := fmt.Sprintf("01%02d", g.n(0, 99))
	switch g.r.IntN(7) {
	case 0:
		return "+1 " + area + " 555 " + sub
	case 1:
		return "(" + area + ") 555-" + sub
	case 2:
		return area + "-555-" + sub
	case 3:
		return "+1" + area + "555" + sub
	case 4:
		return "+44 20 7946 0" + fmt.Sprintf("%03d", g.n(0, 999))
	case 5:
		return "+1-" + area + "-555-" + sub
	default:
		return "+44 7700 900" + fmt.Sprintf("%03d", g.n(0, 999))
	}
}

// msisdn is an international number without '+', as SMS gateways log it
// (fictional ranges: UK 7700 900xxx, Brazil 11 9xxxx-xxxx).
func (g gen) msisdn() string {
	if g.chance(0.5) {
		return "447700900" + fmt.Sprintf("%03d", g.n(0, 999))
	}
	return "55119" + g.str(digits, 8)
}

func luhnDigit(payload string) byte {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// LuhnValid reports whether a digit string passes the Luhn check.
func LuhnValid(s string) bool {
	return len(s) > 1 && luhnDigit(s[:len(s)-1]) == s[len(s)-1]
}

func (g gen) cardDigits() string {
	var prefix string
	n := 16
	switch g.r.IntN(5) {
	case 0, 1:
		prefix = "4" + g.str(digits, 5)
	case 2:
		prefix = fmt.Sprint(g.n(51, 55)) + g.str(digits, 4)
	case 3:
		prefix, n = g.pick("34", "37")+g.str(digits, 4), 15
	default:
		prefix = "6011" + g.str(digits, 2)
	}
	body := prefix + g.str(digits, n-1-len(prefix))
	return body + string(luhnDigit(body))
}

// card renders a PAN compact, in groups of four, or with dashes.
func (g gen) card() string {
	d := g.cardDigits()
	sep := g.pick("", "", " ", "-")
	if sep == "" {
		return d
	}
	if len(d) == 15 {
		return d[:4] + sep + d[4:10] + sep + d[10:]
	}
	return d[:4] + sep + d[4:8] + sep + d[8:12] + sep + d[12:]
}

func (g gen) ssnParts() (string, string, string) {
	area := g.n(1, 899)
	for area == 666 {
		area = g.n(1, 899)
	}
	return fmt.Sprintf("%03d", area), fmt.Sprintf("%02d", g.n(1, 99)), fmt.Sprintf("%04d", g.n(1, 9999))
}

func (g gen) ssn() string {
	a, b, c := g.ssnParts()
	return a + "-" + b + "-" + c
}

var ibanCountries = []struct {
	cc   string
	bban func(g gen) string
}{
	{"DE", func(g gen) string { return g.str(digits, 18) }},
	{"GB", func(g gen) string { return g.pick("NWBK", "BARC", "MIDL") + g.str(digits, 14) }},
	{"FR", func(g gen) string { return g.str(digits, 10) + g.str(upper+digits, 11) + g.str(digits, 2) }},
	{"NL", func(g gen) string { return g.pick("ABNA", "INGB", "RABO") + g.str(digits, 10) }},
	{"ES", func(g gen) string { return g.str(digits, 20) }},
	{"IT", func(g gen) string { return g.str(upper, 1) + g.str(digits, 10) + g.str(upper+digits, 12) }},
	{"CH", func(g gen) string { return g.str(digits, 5) + g.str(upper+digits, 12) }},
	{"BE", func(g gen) string { return g.str(digits, 12) }},
}

// ibanCheck computes the two mod-97 check digits of cc+bban.
func ibanCheck(cc, bban string) string {
	var num strings.Builder
	for _, ch := range bban + cc + "00" {
		if ch >= 'A' && ch <= 'Z' {
			fmt.Fprint(&num, int(ch-'A'+10))
		} else {
			num.WriteRune(ch)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	rem := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("%02d", 98-rem)
}

func (g gen) ibanCompact() string {
	c := ibanCountries[g.r.IntN(len(ibanCountries))]
	bban := c.bban(g)
	return c.cc + ibanCheck(c.cc, bban) + bban
}

func group4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

func (g gen) iban() string {
	s := g.ibanCompact()
	if g.chance(0.35) {
		return group4(s)
	}
	return s
}

func (g gen) ipv4() string {
	switch g.r.IntN(6) {
	case 0, 1:
		return fmt.Sprintf("10.%d.%d.%d", g.n(0, 255), g.n(0, 255), g.n(1, 254))
	case 2:
		return fmt.Sprintf("172.%d.%d.%d", g.n(16, 31), g.n(0, 255), g.n(1, 254))
	case 3:
		return fmt.Sprintf("192.168.%d.%d", g.n(0, 255), g.n(1, 254))
	case 4:
		return g.pick("192.0.2", "198.51.100", "203.0.113") + fmt.Sprintf(".%d", g.n(1, 254))
	default:
		return fmt.Sprintf("%d.%d.%d.%d", g.pick18(), g.n(0, 255), g.n(0, 255), g.n(1, 254))
	}
}

func (g gen) pick18() int {
	return []int{34, 35, 52, 54, 81, 85, 91, 104, 141, 151, 185, 212}[g.r.IntN(12)]
}

func (g gen) ipv6() string {
	h := func() string { return fmt.Sprintf("%x", g.r.IntN(0x10000)) }
	switch g.r.IntN(4) {
	case 0:
		return "2001:db8:" + h() + ":" + h() + "::" + h()
	case 1:
		return "fe80::" + h() + ":" + h() + ":" + h() + ":" + h()
	case 2:
		return fmt.Sprintf("2a02:%x:%x:%x:%x:%x:%x:%x", g.r.IntN(0x10000), g.r.IntN(0x10000), g.r.IntN(0x10000), g.r.IntN(0x10000), g.r.IntN(0x10000), g.r.IntN(0x10000), g.r.IntN(0x10000))
	default:
		return "2600:1f18:" + h() + ":" + h() + "::" + h() + ":" + h()
	}
}

func (g gen) ip() string {
	if g.chance(0.2) {
		return g.ipv6()
	}
	return g.ipv4()
}

// --- secrets ---

func (g gen) awsKeyID() string {
	return g.pick("AKIA", "AKIA", "AKIA", "ASIA") + g.str(base32, 16)
}

func (g gen) awsSecret() string { return g.str(b64chars, 40) }

func (g gen) gcpAPIKey() string { return "AIza" + g.str(urlSafe, 35) }

func (g gen) azureKey() string { return base64.StdEncoding.EncodeToString(g.bytes(64)) }

// checksummed is GitHub's (and npm's) token layout: 30 random base62
// characters and the CRC32 of them in base62, left-padded to 6.
func (g gen) checksummed(prefix string) string {
	body := g.str(base62, 30)
	return prefix + body + base62Pad(crc32.ChecksumIEEE([]byte(body)), 6)
}

func base62Pad(v uint32, width int) string {
	out := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out)
}

func (g gen) githubToken() string {
	if g.chance(0.2) {
		return "github_pat_" + g.str(base62, 22) + "_" + g.str(base62, 59)
	}
	return g.checksummed(g.pick("ghp_", "ghp_", "gho_", "ghs_", "ghu_", "ghr_"))
}

func (g gen) gitlabToken() string {
	return g.pick("glpat-", "glpat-", "glpat-", "gldt-", "glrt-") + g.str(urlSafe, 20)
}

func (g gen) slackToken() string {
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("xoxb-%s-%s-%s", g.str(digits, 12), g.str(digits, 13), g.str(base62, 24))
	case 1:
		return fmt.Sprintf("xoxp-%s-%s-%s-%s", g.str(digits, 12), g.str(digits, 12), g.str(digits, 13), g.str(hexLower, 32))
	default:
		return fmt.Sprintf("xapp-1-A%s-%s-%s", g.str(upper+digits, 10), g.str(digits, 13), g.str(hexLower, 64))
	}
}

func (g gen) slackWebhook() string {
	return "https://hooks.slack.com/services/T" + g.str(upper+digits, 8) + "/B" + g.str(upper+digits, 10) + "/" + g.str(base62, 24)
}

func (g gen) stripeKey() string {
	p := g.pick("sk_live_", "sk_live_", "rk_live_", "sk_test_")
	return p + g.str(base62, g.pick2(24, 99))
}

func (g gen) pick2(a, b int) int {
	if g.chance(0.5) {
		return a
	}
	return b
}

func (g gen) openAIKey() string {
	switch g.r.IntN(3) {
	case 0:
		return "sk-" + g.str(base62, 20) + "T3BlbkFJ" + g.str(base62, 20)
	case 1:
		return "sk-proj-" + g.str(urlSafe, 74) + "T3BlbkFJ" + g.str(urlSafe, 74)
	default:
		return "sk-svcacct-" + g.str(urlSafe, 74) + "T3BlbkFJ" + g.str(urlSafe, 74)
	}
}

func (g gen) anthropicKey() string {
	return g.pick("sk-ant-api03-", "sk-ant-api03-", "sk-ant-admin01-") + g.str(urlSafe, 93) + "AA"
}

func (g gen) sendgridKey() string { return "SG." + g.str(urlSafe, 22) + "." + g.str(urlSafe, 43) }

func (g gen) npmToken() string { return g.checksummed("npm_") }

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (g gen) jwt() string {
	var header string
	switch g.r.IntN(3) {
	case 0:
		header = `{"alg":"HS256","typ":"JWT"}`
	case 1:
		header = fmt.Sprintf(`{"alg":"RS256","kid":"%s","typ":"JWT"}`, g.str(hexLower, 16))
	default:
		header = `{"typ":"JWT","alg":"ES256"}`
	}
	iat := 1790000000 + g.r.IntN(10000000)
	payload := fmt.Sprintf(`{"sub":"%s","iss":"https://auth.example.com/","aud":"%s","iat":%d,"exp":%d,"scope":"%s"}`,
		g.str(digits, 9), g.pick("api", "billing", "web"), iat, iat+3600, g.pick("read", "read write", "admin"))
	sig := g.bytes(g.pick2(32, 256))
	return b64url([]byte(header)) + "." + b64url([]byte(payload)) + "." + b64url(sig)
}

// privateKey returns a PEM block (no trailing newline). Ed25519 and P-256
// keys are real keys derived from seeded bytes; RSA and OpenSSH bodies are
// random after a plausible DER / openssh-key-v1 prefix.
func (g gen) privateKey() string {
	var block *pem.Block
	switch g.r.IntN(4) {
	case 0:
		der, _ := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(g.bytes(32)))
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	case 1:
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), g.bytes(32))
		if err != nil { // out-of-range scalar: astronomically unlikely, fall back
			k, _ = ecdsa.ParseRawPrivateKey(elliptic.P256(), append(make([]byte, 31), 1))
		}
		if g.chance(0.5) { // SEC 1, as openssl ecparam writes it
			der, _ := x509.MarshalECPrivateKey(k)
			block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
			break
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	case 2:
		body := append([]byte{0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00}, g.bytes(1180)...)
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: body}
	default:
		body := append([]byte("openssh-key-v1\x00"), g.bytes(380)...)
		block = &pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: body}
	}
	return strings.TrimSuffix(string(pem.EncodeToMemory(block)), "\n")
}

var words = []string{"hunter", "dragon", "sunset", "orchid", "falcon", "winter", "copper", "maple", "rocket", "velvet", "tiger", "harbor"}

// password looks like what people and generators actually set; never
// contains characters that would need escaping in a URL userinfo.
func (g gen) password() string {
	switch g.r.IntN(4) {
	case 0:
		return strings.ToUpper(g.pick(words...)[:1]) + g.pick(words...)[1:] + fmt.Sprint(g.n(1, 2099)) + g.pick("!", "*", "~", ".", "-")
	case 1:
		return g.str(base62, g.n(16, 32))
	case 2:
		return g.pick(words...) + "-" + g.pick(words...) + "-" + g.pick(words...) + fmt.Sprint(g.n(1, 99))
	default:
		return g.str(base62+"!*-_.~", g.n(10, 20))
	}
}

func (g gen) opaqueToken() string {
	switch g.r.IntN(4) {
	case 0:
		return "ya29.a0" + g.str(urlSafe, 150)
	case 1:
		return g.str(hexLower, 40)
	case 2:
		return g.str(urlSafe, 43)
	default:
		return "at_" + g.str(base62, 32)
	}
}

func (g gen) sessionValue(cookie string) string {
	switch cookie {
	case "JSESSIONID":
		return g.str(digits+"ABCDEF", 32)
	case "PHPSESSID":
		return g.str(lower+digits, 26)
	case "connect.sid":
		return "s%3A" + g.str(urlSafe, 32) + "." + g.str(base62, 43)
	case "AWS_SESSION_TOKEN":
		return "FwoGZXIvYXdzE" + g.str(b64chars, 300)
	default:
		return g.str(urlSafe, g.n(32, 48))
	}
}

func (g gen) genericSecret() string {
	switch g.r.IntN(3) {
	case 0:
		return g.str(hexLower, 64)
	case 1:
		return g.str(base62, 32)
	default:
		return g.str(urlSafe, 40)
	}
}
