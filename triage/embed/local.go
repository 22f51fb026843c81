// Package embed turns redacted incident signatures into vectors: a local
// embedder (feature hashing, no network, no model file) and an
// OpenAI-compatible one, chosen from the environment by FromEnv.
package embed

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/logtriage/logtriage/triage"
)

var _ triage.Embedder = (*Local)(nil)

// LocalOptions configure the local embedder.
type LocalOptions struct {
	// Dimensions of every vector; 256 when 0.
	Dimensions int
}

// Local embeds text by feature hashing: words, word pairs and character
// n-grams of the normalized text are hashed into signed buckets (so
// collisions cancel out on average instead of piling up), weighted by
// sublinear term frequency and L2-normalized. Two uploads of the same failure
// differ in timestamps, ids, hosts and counts, which normalization masks;
// reworded messages still share most character n-grams.
type Local struct {
	dims int
}

// NewLocal returns the local embedder.
func NewLocal(opts LocalOptions) (*Local, error) {
	if opts.Dimensions == 0 {
		opts.Dimensions = 256
	}
	if opts.Dimensions < 16 || opts.Dimensions > 4096 {
		return nil, fmt.Errorf("embed: local dimensions %d out of range 16..4096", opts.Dimensions)
	}
	return &Local{dims: opts.Dimensions}, nil
}

// ID names the space: the feature set's version and the dimension, so a
// change to either starts a new space instead of mixing vectors.
func (l *Local) ID() string { return fmt.Sprintf("local-ngram-v2-%d", l.dims) }

// evidenceShare is the part of a vector that the evidence line makes (see
// vector): what broke weighs as much as how the log words it. Chosen before
// measuring, not fitted: 0.5 means two reports of the same failure kind,
// role and category are at least 0.5 alike whatever their wording, and a
// near-duplicate (cosine 0.90 and up) still needs text nearly as alike.
const evidenceShare = 0.5

// Dimensions is the length of every vector.
func (l *Local) Dimensions() int { return l.dims }

// Embed returns one unit vector per text.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = l.vector(t)
	}
	return out, nil
}

// Feature weights: whole words and word pairs say more than fragments.
const (
	wordWeight  = 1.0
	pairWeight  = 0.8
	gramWeight  = 0.35
	gramMin     = 3
	gramMax     = 5
	maxFeatures = 1 << 14 // a signature is short; this only bounds a pathological input
)

// vector embeds a signature. When its first line is an evidence line
// (triage.IncidentEvidence.Line), the evidence is embedded apart, as whole
// named values (a kind, a role, a category), and mixed with the text's
// vector at evidenceShare: the words differ from system to system, the
// evidence does not.
func (l *Local) vector(text string) []float32 {
	first, rest, _ := strings.Cut(text, "\n")
	ev, ok := triage.ParseEvidenceLine(first)
	if !ok {
		return unit(l.textVector(text))
	}
	textVec := unitF64(l.textVector(rest))
	evVec := unitF64(l.evidenceVector(ev))
	if evVec == nil || textVec == nil {
		return unit(l.textVector(text))
	}
	mixed := make([]float64, l.dims)
	for i := range mixed {
		mixed[i] = evidenceShare*evVec[i] + (1-evidenceShare)*textVec[i]
	}
	return unit(mixed)
}

// evidenceVector hashes each named value as one feature; nil when the
// evidence is empty.
func (l *Local) evidenceVector(ev triage.IncidentEvidence) []float64 {
	var vec []float64
	for _, f := range [][2]string{{"kind", ev.FailureKind}, {"role", ev.Role}, {"category", ev.Category}} {
		if f[1] == "" {
			continue
		}
		if vec == nil {
			vec = make([]float64, l.dims)
		}
		h := fnvString(fnvString(fnvOffset, "e:"+f[0]+"="), strings.ToLower(f[1]))
		w := 1.0
		if h>>63 == 1 {
			w = -w
		}
		vec[h%uint64(l.dims)] += w
	}
	return vec
}

// unitF64 scales v to length 1; nil for nil or a zero vector.
func unitF64(v []float64) []float64 {
	var sq float64
	for _, x := range v {
		sq += x * x
	}
	if sq == 0 {
		return nil
	}
	n := math.Sqrt(sq)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / n
	}
	return out
}

// textVector is the feature-hashed text, not yet normalized.
func (l *Local) textVector(text string) []float64 {
	tokens := Tokens(text)
	// Term frequencies by feature hash: the kind of feature is part of the
	// hashed bytes, so a word and a gram with the same letters differ.
	tf := make(map[uint64]int32, 16*len(tokens))
	weight := make(map[uint64]float64, 16*len(tokens))
	add := func(h uint64, w float64) {
		if len(tf) < maxFeatures {
			tf[h]++
			weight[h] = w
		}
	}
	prev := ""
	for _, tok := range tokens {
		add(fnvString(fnvString(fnvOffset, "w:"), tok), wordWeight)
		if prev != "" {
			add(fnvString(fnvString(fnvString(fnvString(fnvOffset, "p:"), prev), " "), tok), pairWeight)
		}
		prev = tok
		if tok[0] == '<' { // masks have no useful spelling
			continue
		}
		r := []rune("^" + tok + "$")
		for n := gramMin; n <= gramMax; n++ {
			for i := 0; i+n <= len(r); i++ {
				h := fnvString(fnvOffset, "c:")
				for _, c := range r[i : i+n] {
					h = fnvRune(h, c)
				}
				add(h, gramWeight)
			}
		}
	}
	if len(tf) == 0 {
		// Empty (or all-noise) text still gets a unit vector, the same one
		// every time: empty signatures are alike, and stores need a norm.
		add(fnvString(fnvOffset, "empty"), 1)
	}
	vec := make([]float64, l.dims)
	for h, n := range tf {
		w := weight[h] * (1 + math.Log(float64(n)))
		if h>>63 == 1 {
			w = -w
		}
		vec[h%uint64(l.dims)] += w
	}
	return vec
}

// FNV-1a, 64 bit, inlined so hashing a feature allocates nothing.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvRune(h uint64, r rune) uint64 {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, b := range buf[:n] {
		h ^= uint64(b)
		h *= fnvPrime
	}
	return h
}

func unit(v []float64) []float32 {
	var sq float64
	for _, x := range v {
		sq += x * x
	}
	out := make([]float32, len(v))
	if sq == 0 {
		// Features cancelled out exactly: fall back to a fixed direction.
		out[0] = 1
		return out
	}
	inv := 1 / math.Sqrt(sq)
	for i, x := range v {
		out[i] = float32(x * inv)
	}
	return out
}

// Tokens normalizes redacted log text into the words that identify a
// failure: lower case; placeholders ([EMAIL:3f2a9c1e], <EMAIL>, <*>) reduced
// to their type; numbers, hex, UUIDs and IP addresses masked; level words and
// filler dropped. Exported so evaluations and tools see what is embedded.
func Tokens(text string) []string {
	// Placeholders anywhere (user=[EMAIL:3f2a9c1e]) become their type alone.
	text = placeholder.ReplaceAllStringFunc(text, func(m string) string {
		typ, _, _ := strings.Cut(m[1:len(m)-1], ":")
		return " <" + strings.ToLower(typ) + "> "
	})
	var out []string
	for _, field := range strings.FieldsFunc(text, isSpace) {
		for _, tok := range splitField(field) {
			if tok != "" && !stopWords[tok] {
				out = append(out, tok)
			}
		}
	}
	return out
}

// placeholder matches redaction placeholders: [EMAIL], [EMAIL:3f2a9c1e], <EMAIL>.
var placeholder = regexp.MustCompile(`\[[A-Z][A-Z0-9_]+(?::[0-9a-f]+)?\]|<[A-Z][A-Z0-9_]+>`)

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// splitField turns one whitespace-separated field into tokens.
func splitField(f string) []string {
	if len(f) > 2 && f[0] == '<' && f[len(f)-1] == '>' && isPlaceholderName(f[1:len(f)-1]) {
		return []string{f} // a placeholder the pre-pass made
	}
	var out []string
	for _, part := range strings.FieldsFunc(f, isSeparator) {
		out = append(out, maskWord(strings.ToLower(part))...)
	}
	return out
}

func isPlaceholderName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// isSeparator splits a field into words. '.' and ':' stay inside a field
// until maskWord has seen it whole (IP addresses, versions, durations).
func isSeparator(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == ':' || r == '_' || r == '-')
}

// maskWord masks variable words and splits the rest into letter runs.
func maskWord(w string) []string {
	w = strings.Trim(w, ".:-_")
	switch {
	case w == "":
		return nil
	case isIPv4(w) || (strings.Count(w, ":") >= 2 && isHexish(strings.ReplaceAll(w, ":", ""))):
		return []string{"<ip>"}
	case isUUID(w):
		return []string{"<id>"}
	}
	var out []string
	for _, part := range strings.FieldsFunc(w, func(r rune) bool { return r == '.' || r == ':' || r == '_' || r == '-' }) {
		switch {
		case isNumber(part):
			out = append(out, "<num>")
		case len(part) >= 8 && isHexish(part) && hasDigit(part):
			out = append(out, "<hex>")
		default:
			// Letters only: "web03" and "web07" are the same kind of host.
			letters := strings.Map(func(r rune) rune {
				if unicode.IsDigit(r) {
					return -1
				}
				return r
			}, part)
			if len([]rune(letters)) >= 2 {
				out = append(out, letters)
			}
		}
	}
	return out
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func hasDigit(s string) bool { return strings.IndexAny(s, "0123456789") >= 0 }

func isHexish(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return s != ""
}

func isIPv4(s string) bool {
	host, _, _ := strings.Cut(s, ":") // 10.0.0.1:5432
	parts := strings.Split(host, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if !isNumber(p) || len(p) > 3 {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	return len(s) == 36 && strings.Count(s, "-") == 4 && isHexish(strings.ReplaceAll(s, "-", ""))
}

// stopWords carry no failure identity: levels, filler and log boilerplate.
var stopWords = map[string]bool{
	"info": true, "debug": true, "error": true, "fatal": true, "trace": true, "warn": true, "warning": true, "notice": true,
	"the": true, "a": true, "an": true, "of": true, "to": true, "in": true, "on": true, "for": true,
	"and": true, "or": true, "is": true, "was": true, "be": true, "by": true, "with": true, "at": true,
	"from": true, "as": true, "this": true, "that": true, "it": true, "<num>": true, "<*>": true,
}
