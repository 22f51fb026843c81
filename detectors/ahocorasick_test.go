package detectors

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type kwHit struct {
	id  int32
	end int
}

// bruteHits is the reference: every occurrence of every word, ignoring ASCII case.
func bruteHits(b []byte, words []string) []kwHit {
	low := make([]byte, len(b)) // ASCII only: bytes.ToLower rewrites invalid UTF-8
	for i, c := range b {
		low[i] = lowerASCII(c)
	}
	var out []kwHit
	for id, w := range words {
		lw := []byte(w)
		for i := range lw {
			lw[i] = lowerASCII(lw[i])
		}
		if len(lw) == 0 {
			continue
		}
		for i := 0; i+len(lw) <= len(low); i++ {
			if bytes.Equal(low[i:i+len(lw)], lw) {
				out = append(out, kwHit{int32(id), i + len(lw)})
			}
		}
	}
	return out
}

func matcherHits(m *keywordMatcher, b []byte) []kwHit {
	var out []kwHit
	m.scan(b, func(id int32, end int) { out = append(out, kwHit{id, end}) })
	return out
}

func sortHits(h []kwHit) {
	slices.SortFunc(h, func(a, b kwHit) int {
		if a.end != b.end {
			return a.end - b.end
		}
		return int(a.id - b.id)
	})
}

func TestKeywordMatcher(t *testing.T) {
	cases := []struct {
		name  string
		words []string
		text  string
	}{
		{"overlapping suffixes", []string{"he", "she", "his", "hers"}, "ushers and his HERS"},
		{"prefix of another", []string{"acme_", "acme_key", "key"}, "xxACME_key=1 acme_KEY"},
		{"repeats", []string{"aa", "a"}, "aaaa"},
		{"case", []string{"Token", "TOKEN"}, "token ToKeN"},
		{"no hit", []string{"zzz"}, "abc abc"},
		{"empty word skipped", []string{"", "b"}, "abc"},
		{"bytes outside keywords", []string{"ab"}, "a\xffb ab\n\x00ab"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			words := make([][]byte, len(c.words))
			ids := make([]int32, len(c.words))
			for i, w := range c.words {
				words[i], ids[i] = []byte(w), int32(i)
			}
			got := matcherHits(newKeywordMatcher(words, ids), []byte(c.text))
			want := bruteHits([]byte(c.text), c.words)
			sortHits(got)
			sortHits(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestKeywordMatcherRandom compares the automaton with the brute-force
// search on random keyword sets and texts over a small alphabet, where
// overlaps and shared prefixes and suffixes are frequent.
func TestKeywordMatcherRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alpha = "abAB_-c\n"
	word := func(n int) string {
		var sb strings.Builder
		for range n {
			sb.WriteByte(alpha[r.IntN(len(alpha))])
		}
		return sb.String()
	}
	for round := range 300 {
		nw := 1 + r.IntN(12)
		words := make([]string, nw)
		bw := make([][]byte, nw)
		ids := make([]int32, nw)
		for i := range words {
			words[i] = word(1 + r.IntN(5))
			bw[i], ids[i] = []byte(words[i]), int32(i)
		}
		text := []byte(word(r.IntN(200)))
		got := matcherHits(newKeywordMatcher(bw, ids), text)
		want := bruteHits(text, words)
		sortHits(got)
		sortHits(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: words %q text %q: got %v want %v", round, words, text, got, want)
		}
	}
}

func FuzzKeywordMatcher(f *testing.F) {
	f.Add("acme_,key,tok", "xxACME_key=1 token")
	f.Add("a,aa,aaa", "aaaaa")
	f.Fuzz(func(t *testing.T, list, text string) {
		words := strings.Split(list, ",")
		if len(words) > 64 {
			words = words[:64]
		}
		bw := make([][]byte, len(words))
		ids := make([]int32, len(words))
		for i, w := range words {
			bw[i], ids[i] = []byte(w), int32(i)
		}
		got := matcherHits(newKeywordMatcher(bw, ids), []byte(text))
		want := bruteHits([]byte(text), words)
		sortHits(got)
		sortHits(want)
		if !slices.Equal(got, want) {
			t.Fatalf("got %v want %v", got, want)
		}
	})
}

// customPrefix is rule i's token prefix: three letters that vary from rule
// to rule (so the keywords start with every letter, as real vendor prefixes
// do), the rule number and '_'.
func customPrefix(i int) string {
	return fake("kw"+strconv.Itoa(i), 3, "abcdefghijklmnopqrstuvwxyz") + strconv.Itoa(i) + "_"
}

// customRules makes n custom rules with distinct vendor-style keywords, as a
// deployment adding its own token formats would.
func customRules(n int) *Config {
	cfg := &Config{}
	for i := range n {
		p := customPrefix(i)
		cfg.Rules = append(cfg.Rules, RuleSpec{ID: "rule" + strconv.Itoa(i), Keywords: []string{p},
			Regex: `\b` + p + `[A-Za-z0-9]{24}\b`, Validator: "entropy>=3"})
	}
	return cfg
}

// TestCustomRulesPrefilter: with many rules, each still finds its own token,
// on the line holding its keyword only, and a line holding two keywords is
// matched by both rules.
func TestCustomRulesPrefilter(t *testing.T) {
	e, err := New(Options{FingerprintKey: []byte("k"), Config: customRules(200)})
	if err != nil {
		t.Fatal(err)
	}
	tok := func(i int) string { return customPrefix(i) + fake("cr"+strconv.Itoa(i), 24, alnum) }
	text := "start\nkey " + tok(7) + " end\nnothing here\nboth " + tok(199) + " and " + strings.ToUpper(customPrefix(0)) + " " + tok(0) + "\n"
	got := map[string]int{}
	for _, f := range e.ScanBytes([]byte(text)) {
		got[f.Type]++
	}
	if got["rule7"] != 1 || got["rule199"] != 1 || got["rule0"] != 1 || len(got) != 3 {
		t.Errorf("findings by rule: %v", got)
	}
}

// BenchmarkKeywordMatcher: the custom rules' one-pass prefilter over 8 MB of
// generated logs, with 10 and 200 rules' keywords; bytes.Index of one
// keyword is the yardstick measured beside it.
func BenchmarkKeywordMatcher(b *testing.B) {
	data := make([]byte, 8<<20)
	n, _ := newLogGen(int64(len(data))).Read(data)
	for n < len(data) {
		k, _ := newLogGen(int64(len(data) - n)).Read(data[n:])
		n += k
	}
	for _, rules := range []int{10, 200} {
		cfg := customRules(rules)
		var words [][]byte
		var ids []int32
		for i, r := range cfg.Rules {
			words, ids = append(words, []byte(r.Keywords[0])), append(ids, int32(i))
		}
		m := newKeywordMatcher(words, ids)
		b.Run(strconv.Itoa(rules)+"keywords", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			hits := 0
			for i := 0; i < b.N; i++ {
				m.scan(data, func(int32, int) { hits++ })
			}
		})
	}
	b.Run("bytes.Index", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			bytes.Index(data, []byte(customPrefix(0)))
		}
	})
}
