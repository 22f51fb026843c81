// Package prompts holds the versioned LLM prompt templates, embedded in the
// binary so a case can always name the exact prompt that judged it.
//
// A prompt is a pair of text/template files, <name>/<version>.system.tmpl and
// <name>/<version>.user.tmpl. Versions are never edited once released: a
// change is a new version, so eval runs can compare them side by side.
package prompts

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"text/template"
)

//go:embed classify/*.tmpl pii/*.tmpl
var files embed.FS

// ClassifyLatest is the classify prompt version used when none is configured.
const ClassifyLatest = "v2"

// Classify is the current classify prompt.
var Classify = mustLoad("classify", ClassifyLatest)

// Template is one version of a prompt.
type Template struct {
	Name    string // "classify"
	Version string // "classify-v1": what a case records as its prompt version
	system  *template.Template
	user    *template.Template
}

// Load returns version (e.g. "v1") of the named prompt.
func Load(name, version string) (*Template, error) {
	if name == "" || version == "" || strings.ContainsAny(name+version, "/\\.") {
		return nil, fmt.Errorf("prompts: invalid prompt %q version %q", name, version)
	}
	system, err := parse(name + "/" + version + ".system.tmpl")
	if err != nil {
		return nil, err
	}
	user, err := parse(name + "/" + version + ".user.tmpl")
	if err != nil {
		return nil, err
	}
	return &Template{Name: name, Version: name + "-" + version, system: system, user: user}, nil
}

// Versions lists the available versions of the named prompt, oldest first.
func Versions(name string) []string {
	paths, _ := fs.Glob(files, name+"/*.system.tmpl")
	var out []string
	for _, p := range paths {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(p, name+"/"), ".system.tmpl"))
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

// versionLess orders "v2" before "v10".
func versionLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func mustLoad(name, version string) *Template {
	t, err := Load(name, version)
	if err != nil {
		panic(err) // the templates are embedded: this is a build defect, caught by the tests
	}
	return t
}

func parse(path string) (*template.Template, error) {
	src, err := files.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("prompts: no template %s", path)
	}
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	t, err := template.New(path).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("prompts: parse %s: %w", path, err)
	}
	return t, nil
}

// ClassifyData is what the classify prompt is rendered from. It mirrors
// triage.ClassifyInput without importing it (triage depends on prompts).
type ClassifyData struct {
	FileName   string
	Excerpt    []string // redacted lines, rendered verbatim inside the fence
	TotalLines int
	Levels     []LevelCount
	Findings   []FindingCount // types and counts only: never locations or fingerprints
	// Signals are fatal signatures (code-defined names) with counts.
	Signals     []SignalCount
	StackTraces int
	// Log-derived facts, fenced like the excerpt: the first and last
	// timestamps as written, and the most telling line templates.
	FirstTime, LastTime string
	Templates           []TemplateCount
	Severities          []string
	Categories          []Category
	// Examples are resolved cases like this one with the labels agents
	// gave them (classify v2 and later), fenced like the excerpt.
	Examples []Example
	Skills   []string
	// Boundary is the fence id around untrusted data. Leave it empty to get
	// a fresh random one per render; set it only for reproducible output.
	Boundary string
}

// LevelCount is how many lines of the log have a level.
type LevelCount struct {
	Level string
	Count int
}

// FindingCount is how many sensitive values of a type were redacted.
type FindingCount struct {
	Type  string
	Count int
}

// SignalCount is how often a fatal signature (panic, OOM, ...) occurred.
type SignalCount struct {
	Name  string
	Count int
}

// TemplateCount is a redacted line template with its level and frequency.
type TemplateCount struct {
	Template string
	Level    string
	Count    int
}

// Example is a resolved case shown as precedent: its redacted summary and
// key lines, and the labels an agent confirmed or corrected.
type Example struct {
	N          int // 1-based position, set by Render
	Similarity float64
	Severity   string
	Category   string
	Summary    string
	KeyLines   []string
}

// Category is one allowed category with the description the model chooses by.
type Category struct {
	Name        string
	Description string
}

// Render renders the system and user messages. The untrusted parts (file
// name and excerpt) are fenced by a boundary that does not occur in them.
func (t *Template) Render(data ClassifyData) (system, user string, err error) {
	return t.render(data, rand.Reader)
}

// boundaryAttempts bounds regeneration; a 96-bit random id colliding with
// the data more than once means the data was built to contain it.
const boundaryAttempts = 4

func (t *Template) render(data ClassifyData, random io.Reader) (system, user string, err error) {
	data.FileName = oneLine(data.FileName)
	data.FirstTime, data.LastTime = oneLine(data.FirstTime), oneLine(data.LastTime)
	if len(data.Templates) > 0 {
		templates := make([]TemplateCount, len(data.Templates))
		for i, t := range data.Templates {
			templates[i] = TemplateCount{Template: oneLine(t.Template), Level: oneLine(t.Level), Count: t.Count}
		}
		data.Templates = templates
	}
	if len(data.Examples) > 0 {
		examples := make([]Example, len(data.Examples))
		for i, e := range data.Examples {
			keys := make([]string, len(e.KeyLines))
			for j, k := range e.KeyLines {
				keys[j] = oneLine(k)
			}
			examples[i] = Example{N: i + 1, Similarity: e.Similarity, Severity: oneLine(e.Severity), Category: oneLine(e.Category),
				Summary: oneLine(e.Summary), KeyLines: keys}
		}
		data.Examples = examples
	}
	data.Boundary, err = pickBoundary(data.Boundary, func(b string) bool { return fenceCollides(data, b) }, random)
	if err != nil {
		return "", "", err
	}
	return t.execute(data, excerptSize(data.Excerpt)+1024)
}

// pickBoundary keeps a given boundary if the data does not contain it (an
// error otherwise), or draws random ones until one is absent from the data.
func pickBoundary(given string, collides func(string) bool, random io.Reader) (string, error) {
	if given != "" {
		if collides(given) {
			return "", errors.New("prompts: boundary occurs in the data")
		}
		return given, nil
	}
	for range boundaryAttempts {
		b, err := newBoundary(random)
		if err != nil {
			return "", err
		}
		if !collides(b) {
			return b, nil
		}
	}
	return "", errors.New("prompts: could not find a boundary absent from the data")
}

// execute renders the system and the user template over view; userSize is
// a guess of the user message's size.
func (t *Template) execute(view any, userSize int) (system, user string, err error) {
	var sb strings.Builder
	if err := t.system.Execute(&sb, view); err != nil {
		return "", "", fmt.Errorf("prompts: render %s system: %w", t.Version, err)
	}
	system = sb.String()
	sb.Reset()
	sb.Grow(userSize)
	if err := t.user.Execute(&sb, view); err != nil {
		return "", "", fmt.Errorf("prompts: render %s user: %w", t.Version, err)
	}
	return system, sb.String(), nil
}

func newBoundary(random io.Reader) (string, error) {
	var b [12]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("prompts: boundary: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// fenceCollides reports whether the boundary id appears in any untrusted text;
// checking the bare id covers every marker built from it.
func fenceCollides(data ClassifyData, boundary string) bool {
	for _, s := range []string{data.FileName, data.FirstTime, data.LastTime} {
		if strings.Contains(s, boundary) {
			return true
		}
	}
	for _, line := range data.Excerpt {
		if strings.Contains(line, boundary) {
			return true
		}
	}
	for _, t := range data.Templates {
		if strings.Contains(t.Template, boundary) || strings.Contains(t.Level, boundary) {
			return true
		}
	}
	for _, e := range data.Examples {
		if strings.Contains(e.Summary+e.Severity+e.Category, boundary) {
			return true
		}
		for _, k := range e.KeyLines {
			if strings.Contains(k, boundary) {
				return true
			}
		}
	}
	return false
}

// oneLine keeps a value on its line: a newline in a file name or a
// template could fake a marker or a prompt line outside the fence.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func excerptSize(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	return n
}
