package vocab

import (
	"slices"
	"strings"
	"testing"
)

// Every entry matches each of its match examples and none of its no-match
// examples, as the text is seen: lower-cased unless the entry is case-sensitive.
func TestVocabularyExamples(t *testing.T) {
	v := Default()
	for _, id := range v.IDs() {
		e, p := v.Entry(id), v.Pattern(id)
		seen := func(ex string) string {
			if e.CaseSensitive {
				return ex
			}
			return strings.ToLower(ex)
		}
		for _, ex := range e.Match {
			if len(e.Prefilter) > 0 && !slices.ContainsFunc(e.Prefilter, func(n string) bool { return strings.Contains(seen(ex), n) }) {
				t.Errorf("%s: example %q holds none of the prefilter's substrings", id, ex)
			}
			if !p.MatchString(seen(ex)) {
				t.Errorf("%s: does not match its example %q", id, ex)
			}
		}
		for _, ex := range e.NoMatch {
			if p.MatchString(seen(ex)) {
				t.Errorf("%s: matches its no-match example %q", id, ex)
			}
		}
	}
}

// One phrase lives in one place: a phrase two entries need is an entry
// they both include.
func TestPhraseLivesInOnePlace(t *testing.T) {
	v := Default()
	where := map[string]string{}
	for _, id := range v.IDs() {
		for _, ph := range v.Entry(id).Phrases {
			if other, dup := where[ph]; dup {
				t.Errorf("phrase %q is in both %s and %s", ph, other, id)
			}
			where[ph] = id
		}
	}
}

// The injection lines the issue names as failures, not instructions.
func TestInjectionIsNotAFailureLine(t *testing.T) {
	p := Default().Group(Injection)
	for _, line := range []string{
		"dial tcp 10.1.2.3:9092: connect: no route to host",
		"Redis is in read-only mode",
		"failed to mark it as processed",
	} {
		if p.MatchString(strings.ToLower(line)) {
			t.Errorf("injection lines match the failure line %q", line)
		}
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"no examples":  `{"entries":[{"id":"a","phrases":["x"],"match":["x"],"no_match":[]}]}`,
		"unknown incl": `{"entries":[{"id":"a","phrases":["x"],"include":["b"],"match":["x"],"no_match":["y"]}]}`,
		"self include": `{"entries":[{"id":"a","phrases":["x"],"include":["a"],"match":["x"],"no_match":["y"]}]}`,
		"bad regexp":   `{"entries":[{"id":"a","phrases":["(x"],"match":["x"],"no_match":["y"]}]}`,
		"unknown key":  `{"entries":[{"id":"a","phrase":["x"],"match":["x"],"no_match":["y"]}]}`,
		"mixed case":   `{"entries":[{"id":"a","phrases":["x"],"include":["b"],"match":["x"],"no_match":["y"]},{"id":"b","case_sensitive":true,"phrases":["Z"],"match":["Z"],"no_match":["y"]}]}`,
	} {
		if _, err := Load(mapFS(map[string]string{"f.json": body})); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// FuzzPrefilter: the literal prefilter never changes an answer.
func FuzzPrefilter(f *testing.F) {
	v := Default()
	for _, id := range v.IDs() {
		for _, ex := range v.Entry(id).Match {
			f.Add(ex)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		lower := strings.ToLower(s)
		for _, id := range v.IDs() {
			p := v.Pattern(id)
			if p.MatchString(lower) != p.MatchRaw(lower) || p.MatchBytes([]byte(lower)) != p.MatchRaw(lower) {
				t.Fatalf("prefilter of %s disagrees on %q", id, lower)
			}
		}
	})
}

// Fatal signals run on every line of every upload: each must have a literal
// prefilter, so most lines never reach the regular expression.
func TestSignalsArePrefiltered(t *testing.T) {
	v := Default()
	for _, e := range v.Entries(Signals) {
		if !v.Pattern(e.ID).Prefiltered() {
			t.Errorf("signal %s has no literal prefilter: start each phrase with a literal of two bytes or more", e.ID)
		}
	}
}
