package vocab

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Entry is one named pattern: phrases (regular expressions over
// lower-cased text, each a whole alternative), entries it includes by id
// (so a phrase shared by two meanings lives in one place), and the
// examples it must and must not match.
type Entry struct {
	ID    string `json:"id"`
	About string `json:"about"`
	// Weight is a failure kind's strength: hard, soft, request or minor.
	Weight string `json:"weight,omitempty"`
	// Reason is a fatal signal's human wording.
	Reason string `json:"reason,omitempty"`
	// CaseSensitive entries are matched against the line as written, not
	// lower-cased: Go's "panic: " is a crash, PostgreSQL's "PANIC:" a level.
	// Their includes must be case-sensitive too.
	CaseSensitive bool `json:"case_sensitive,omitempty"`
	// Prefilter, when set, replaces the literal prefilter derived from the
	// phrases: substrings one of which every match contains. Entries run on
	// every line (fatal signals) set it when their phrases start with
	// common words ("all ", "no ", "over"); every match example must
	// contain one (TestVocabularyExamples) and FuzzPrefilter checks it.
	Prefilter []string `json:"prefilter,omitempty"`
	Phrases   []string `json:"phrases"`
	Include   []string `json:"include,omitempty"`
	Match     []string `json:"match"`
	NoMatch   []string `json:"no_match"`
}

// File is one vocabulary file: a list of entries in order.
type File struct {
	About   string  `json:"about"`
	Entries []Entry `json:"entries"`
}

// The vocabulary files.
const (
	Kinds     = "kinds"
	Modifiers = "modifiers"
	Signals   = "signals"
	Security  = "security"
	Injection = "injection"
)

// Vocabulary is the loaded, compiled vocabulary.
type Vocabulary struct {
	files    map[string]*File
	byID     map[string]*Entry
	patterns map[string]*Pattern
	groups   map[string]*Pattern
}

//go:embed data/*.json
var embedded embed.FS

// Load reads every *.json file of fsys (one File each, named by its base
// name) and compiles each entry with its includes. Entry ids are unique
// across files; every entry needs a phrase (or an include) and at least
// one match and one no-match example.
func Load(fsys fs.FS) (*Vocabulary, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	v := &Vocabulary{files: map[string]*File{}, byID: map[string]*Entry{}, patterns: map[string]*Pattern{}, groups: map[string]*Pattern{}}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f := &File{}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(f); err != nil {
			return nil, fmt.Errorf("vocab: %s: %w", name, err)
		}
		v.files[strings.TrimSuffix(path.Base(name), ".json")] = f
		for i := range f.Entries {
			e := &f.Entries[i]
			switch {
			case e.ID == "":
				return nil, fmt.Errorf("vocab: %s: entry %d has no id", name, i)
			case v.byID[e.ID] != nil:
				return nil, fmt.Errorf("vocab: %s: id %q is defined twice", name, e.ID)
			case len(e.Phrases)+len(e.Include) == 0:
				return nil, fmt.Errorf("vocab: %s: %q has no phrases", name, e.ID)
			case len(e.Match) == 0 || len(e.NoMatch) == 0:
				return nil, fmt.Errorf("vocab: %s: %q needs match and no_match examples", name, e.ID)
			}
			v.byID[e.ID] = e
		}
	}
	for id := range v.byID {
		phrases, err := v.phrases(id, map[string]bool{})
		if err != nil {
			return nil, err
		}
		p, err := compile(strings.Join(phrases, "|"))
		if err != nil {
			return nil, fmt.Errorf("vocab: %q: %w", id, err)
		}
		if pre := v.byID[id].Prefilter; len(pre) > 0 {
			p = p.withNeedles(pre)
		}
		v.patterns[id] = p
	}
	for name, f := range v.files {
		var all []string
		for _, e := range f.Entries {
			ps, _ := v.phrases(e.ID, map[string]bool{})
			all = append(all, ps...)
		}
		if len(all) > 0 {
			if v.groups[name], err = compile(strings.Join(all, "|")); err != nil {
				return nil, fmt.Errorf("vocab: %s: %w", name, err)
			}
		}
	}
	return v, nil
}

// phrases are an entry's own phrases and those of the entries it includes.
func (v *Vocabulary) phrases(id string, seen map[string]bool) ([]string, error) {
	e := v.byID[id]
	if e == nil {
		return nil, fmt.Errorf("vocab: unknown id %q", id)
	}
	if seen[id] {
		return nil, fmt.Errorf("vocab: %q includes itself", id)
	}
	seen[id] = true
	defer delete(seen, id)
	out := append([]string(nil), e.Phrases...)
	for _, inc := range e.Include {
		if in := v.byID[inc]; in != nil && in.CaseSensitive != e.CaseSensitive {
			return nil, fmt.Errorf("vocab: %q includes %q, which is matched %s", id, inc, map[bool]string{true: "as written", false: "lower-cased"}[in.CaseSensitive])
		}
		more, err := v.phrases(inc, seen)
		if err != nil {
			return nil, fmt.Errorf("%w (included by %q)", err, id)
		}
		out = append(out, more...)
	}
	return out, nil
}

func compile(expr string) (p *Pattern, err error) {
	if _, err := regexp.Compile(expr); err != nil {
		return nil, err
	}
	return Lower(expr), nil
}

var (
	defaultOnce sync.Once
	defaultVoc  *Vocabulary
	defaultErr  error
)

// Default is the embedded vocabulary. The data is part of the binary and
// TestEmbeddedVocabulary loads it, so a failure here is a build defect.
func Default() *Vocabulary {
	defaultOnce.Do(func() {
		sub, err := fs.Sub(embedded, "data")
		if err == nil {
			defaultVoc, err = Load(sub)
		}
		defaultErr = err
	})
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultVoc
}

// Pattern is the compiled entry id (its phrases and includes); it panics
// on an unknown id, which only a programming error can cause.
func (v *Vocabulary) Pattern(id string) *Pattern {
	p, ok := v.patterns[id]
	if !ok {
		panic(fmt.Sprintf("vocab: unknown entry %q", id))
	}
	return p
}

// Group is one pattern over every entry of a file (e.g. all injection lines).
func (v *Vocabulary) Group(file string) *Pattern {
	p, ok := v.groups[file]
	if !ok {
		panic(fmt.Sprintf("vocab: unknown file %q", file))
	}
	return p
}

// Entries are a file's entries in order.
func (v *Vocabulary) Entries(file string) []Entry {
	if f := v.files[file]; f != nil {
		return f.Entries
	}
	return nil
}

// IDs are every entry id, sorted.
func (v *Vocabulary) IDs() []string {
	ids := make([]string, 0, len(v.byID))
	for id := range v.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Entry is the entry of id, nil when unknown.
func (v *Vocabulary) Entry(id string) *Entry { return v.byID[id] }
