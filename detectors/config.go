package detectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Config is the user's rule file: extra rules, allow-lists, modes. The file
// format is JSON (docs/detectors.md); unknown fields are errors so a typo is
// caught at start-up rather than silently ignored.
type Config struct {
	Rules         []RuleSpec      `json:"rules,omitempty"`
	Allow         AllowSpec       `json:"allow,omitempty"`
	Modes         map[string]Mode `json:"modes,omitempty"`
	Disabled      []string        `json:"disabled,omitempty"`
	MinConfidence float64         `json:"min_confidence,omitempty"`

	rules    []*customRule
	kw       *keywordMatcher // every rule's keywords, one automaton; nil when no rule has any
	allow    allowList
	compiled bool // by ParseConfig/LoadConfig; New compiles a Config built in code
}

// RuleSpec is one custom rule as written in the config file.
type RuleSpec struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`               // finding type; defaults to the id
	Category    Category `json:"category,omitempty"` // pii or secret (default secret)
	Description string   `json:"description,omitempty"`
	Keywords    []string `json:"keywords,omitempty"` // literal prefilter, any case: the regex runs only on lines holding one
	Regex       string   `json:"regex"`              // RE2; capture group 1, when present, is the secret part
	Validator   string   `json:"validator,omitempty"`
	Confidence  float64  `json:"confidence,omitempty"` // default 0.8
	Priority    int      `json:"priority,omitempty"`   // overlap rank; default 85 (above built-ins except private keys)
}

// AllowSpec lists what is never a finding.
type AllowSpec struct {
	Values       []string `json:"values,omitempty"`       // exact values
	Regexes      []string `json:"regexes,omitempty"`      // RE2 matched against the value
	Paths        []string `json:"paths,omitempty"`        // globs of files scan skips (** for any depth)
	Fingerprints []string `json:"fingerprints,omitempty"` // fingerprints (or 8+ hex prefixes) from earlier scans
}

// LoadConfig reads and compiles a JSON config file. A bad rule fails with
// the rule id and the reason.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(data)
}

// ParseConfig compiles a config from JSON.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.compile(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) compile() error {
	seen := map[string]bool{}
	for _, d := range builtins {
		seen[d.id] = true
	}
	for i, rs := range c.Rules {
		if rs.ID == "" {
			return fmt.Errorf("config: rule #%d: id is required", i+1)
		}
		if seen[rs.ID] {
			return fmt.Errorf("config: rule %q: duplicate id (built-in or earlier rule)", rs.ID)
		}
		seen[rs.ID] = true
		r, err := compileRule(rs)
		if err != nil {
			return fmt.Errorf("config: rule %q: %w", rs.ID, err)
		}
		c.rules = append(c.rules, r)
	}
	var words [][]byte
	var ids []int32
	for i, r := range c.rules {
		for _, k := range r.keywords {
			words, ids = append(words, k), append(ids, int32(i))
		}
	}
	if len(words) > 0 {
		c.kw = newKeywordMatcher(words, ids)
	}
	for t, m := range c.Modes {
		if !m.valid() {
			return fmt.Errorf("config: modes: type %q: unknown mode %q", t, m)
		}
	}
	if c.MinConfidence < 0 || c.MinConfidence > 1 {
		return fmt.Errorf("config: min_confidence %v outside 0..1", c.MinConfidence)
	}
	a := &c.allow
	a.values = map[string]bool{}
	for _, v := range c.Allow.Values {
		a.values[v] = true
	}
	for _, p := range c.Allow.Regexes {
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("config: allow regex %q: %w", p, err)
		}
		a.regexes = append(a.regexes, re)
	}
	for _, p := range c.Allow.Paths {
		if _, err := filepath.Match(strings.ReplaceAll(p, "**", "*"), ""); err != nil {
			return fmt.Errorf("config: allow path %q: %w", p, err)
		}
		a.paths = append(a.paths, p)
	}
	for _, f := range c.Allow.Fingerprints {
		f = strings.ToLower(f)
		if len(f) < 8 || strings.Trim(f, hexd) != "" {
			return fmt.Errorf("config: allow fingerprint %q: want at least 8 hex characters", f)
		}
		a.fingerprints = append(a.fingerprints, f)
	}
	c.compiled = true
	return nil
}

type customRule struct {
	det      *detector
	keywords [][]byte
	re       *regexp.Regexp
	group    bool
	validate func([]byte) bool
	conf     float64
}

func compileRule(rs RuleSpec) (*customRule, error) {
	if rs.Regex == "" {
		return nil, errors.New("regex is required")
	}
	re, err := regexp.Compile(rs.Regex)
	if err != nil {
		return nil, fmt.Errorf("regex: %v", err)
	}
	if re.NumSubexp() > 1 {
		return nil, fmt.Errorf("regex has %d capture groups; use at most one (the secret part) and (?:...) for the rest", re.NumSubexp())
	}
	if re.Match(nil) {
		return nil, errors.New("regex matches the empty string")
	}
	cat := rs.Category
	switch cat {
	case "":
		cat = CategorySecret
	case CategoryPII, CategorySecret:
	default:
		return nil, fmt.Errorf("category %q: want pii or secret", cat)
	}
	conf := rs.Confidence
	if conf == 0 {
		conf = 0.8
	}
	if conf < 0 || conf > 1 {
		return nil, fmt.Errorf("confidence %v outside 0..1", conf)
	}
	v, err := validatorByName(rs.Validator)
	if err != nil {
		return nil, err
	}
	typ := rs.Type
	if typ == "" {
		typ = rs.ID
	}
	prio := rs.Priority
	if prio == 0 {
		prio = 85
	}
	r := &customRule{
		det:      &detector{id: rs.ID, typ: typ, cat: cat, desc: rs.Description, prio: prio, upper: placeholderName(typ), custom: true, validator: validatorLabel(rs.Validator)},
		re:       re,
		group:    re.NumSubexp() == 1,
		validate: v,
		conf:     conf,
	}
	for _, k := range rs.Keywords {
		if k == "" {
			return nil, errors.New("empty keyword")
		}
		r.keywords = append(r.keywords, bytes.ToLower([]byte(k))) // matched ignoring case
		r.det.keywords = append(r.det.keywords, k)
	}
	return r, nil
}

func validatorLabel(name string) string {
	if name == "" {
		return "none (custom rule)"
	}
	return name + " (custom rule)"
}

// validatorByName maps a config validator name to its check.
func validatorByName(name string) (func([]byte) bool, error) {
	switch {
	case name == "" || name == "none":
		return nil, nil
	case name == "luhn":
		return func(v []byte) bool {
			d := digitsOf(v)
			return len(d) >= 12 && luhn(d)
		}, nil
	case name == "card":
		return func(v []byte) bool { d := digitsOf(v); return len(d) >= 12 && validCard(d) }, nil
	case name == "mod97" || name == "iban":
		return func(v []byte) bool {
			var c []byte
			for _, x := range v {
				if isLower(x) {
					x -= 'a' - 'A'
				}
				if isAlnum(x) {
					c = append(c, x)
				}
			}
			return ibanMod97(c)
		}, nil
	case name == "jwt":
		return validJWT, nil
	case name == "basic":
		return func(v []byte) bool { return basicCredentials(v, false) }, nil
	case name == "ssn":
		return func(v []byte) bool { d := digitsOf(v); return len(d) == 9 && validSSN(d[:3], d[3:5], d[5:]) }, nil
	case strings.HasPrefix(name, "entropy>="):
		x, err := strconv.ParseFloat(strings.TrimPrefix(name, "entropy>="), 64)
		if err != nil || x < 0 || x > 8 {
			return nil, fmt.Errorf("validator %q: want entropy>=N with N in 0..8", name)
		}
		return func(v []byte) bool { return entropy(v) >= x }, nil
	}
	return nil, fmt.Errorf("unknown validator %q (want luhn, card, mod97, jwt, basic, ssn, entropy>=N or none)", name)
}

func digitsOf(v []byte) []byte {
	var d []byte
	for _, c := range v {
		if isDigit(c) {
			d = append(d, c)
		}
	}
	return d
}

// scanCustom runs the custom rules over a block: those without keywords on
// all of it, the others only on the lines where the keyword automaton saw
// one of their keywords, each such line once per rule.
func (e *Engine) scanCustom(s *scanner, b []byte) {
	for _, r := range e.rules {
		if len(r.keywords) == 0 {
			r.match(s, b, 0)
		}
	}
	if e.kw == nil {
		return
	}
	done := make([]int, len(e.rules)) // per rule: end of the last line matched, +1
	ls, le := 0, -1                   // the line of the last hit
	e.kw.scan(b, func(id int32, end int) {
		if end-1 >= le { // a hit on another line
			ls = bytes.LastIndexByte(b[:end], '\n') + 1
			le = len(b)
			if nl := bytes.IndexByte(b[end-1:], '\n'); nl >= 0 {
				le = end - 1 + nl
			}
		}
		if done[id] > ls {
			return
		}
		done[id] = le + 1
		e.rules[id].match(s, b[ls:le], ls)
	})
}

func (r *customRule) match(s *scanner, line []byte, base int) {
	for _, m := range r.re.FindAllSubmatchIndex(line, -1) {
		st, en := m[0], m[1]
		if r.group && m[2] >= 0 {
			st, en = m[2], m[3]
		}
		if en <= st {
			continue
		}
		if r.validate != nil && !r.validate(line[st:en]) {
			continue
		}
		s.add(base+st, base+en, r.det, r.conf, nil)
	}
}

type allowList struct {
	values       map[string]bool
	regexes      []*regexp.Regexp
	paths        []string
	fingerprints []string
}

func (a *allowList) value(v []byte) bool {
	if a.values[string(v)] {
		return true
	}
	for _, re := range a.regexes {
		if re.Match(v) {
			return true
		}
	}
	return false
}

func (a *allowList) fingerprint(fp string) bool {
	for _, f := range a.fingerprints {
		if strings.HasPrefix(fp, f) || strings.HasPrefix(f, fp) {
			return true
		}
	}
	return false
}

// PathAllowed reports whether the config's allow-list exempts path from
// scanning. A pattern matches the whole path or its base name; "**" spans
// directories ("testdata/**", "**/*.golden").
func (e *Engine) PathAllowed(path string) bool {
	path = filepath.ToSlash(path)
	for _, p := range e.allow.paths {
		if globMatch(p, path) || globMatch(p, filepath.Base(path)) {
			return true
		}
	}
	return false
}

func globMatch(pattern, path string) bool {
	if !strings.Contains(pattern, "**") {
		ok, _ := filepath.Match(pattern, path)
		return ok
	}
	i := strings.Index(pattern, "**")
	prefix, rest := pattern[:i], strings.TrimPrefix(pattern[i+2:], "/")
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	tail := path[len(prefix):]
	if rest == "" {
		return true
	}
	for {
		if globMatch(rest, tail) {
			return true
		}
		j := strings.IndexByte(tail, '/')
		if j < 0 {
			return false
		}
		tail = tail[j+1:]
	}
}
