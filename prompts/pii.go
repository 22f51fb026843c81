package prompts

import (
	"crypto/rand"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// PIILatest is the pii prompt version used when none is configured.
const PIILatest = "v1"

// PII is the current pii prompt: it asks for the person names and street
// addresses in already pattern-redacted log lines.
var PII = mustLoad("pii", PIILatest)

// PIIData is what the pii prompt is rendered from.
type PIIData struct {
	// Lines are the pattern-redacted log lines, rendered inside the fence,
	// each after its 1-based number and ": ".
	Lines []string
	// Types are the entity types to report, with what each covers.
	Types []EntityType
	// Boundary is the fence id; leave it empty for a fresh random one.
	Boundary string
}

// EntityType is one kind of entity the model is asked for.
type EntityType struct {
	Name        string // "person_name"
	Description string
}

// NumberedLine is one fenced line as the template sees it.
type NumberedLine struct {
	Number int
	Text   string
}

// RenderPII renders the system and user messages of a pii template. A
// line is kept on its own numbered line inside the fence: control
// characters become spaces, so no line can fake a number or a marker.
func (t *Template) RenderPII(data PIIData) (system, user string, err error) {
	return t.renderPII(data, rand.Reader)
}

func (t *Template) renderPII(data PIIData, random io.Reader) (system, user string, err error) {
	if t.Name != "pii" {
		return "", "", fmt.Errorf("prompts: RenderPII on the %s prompt", t.Name)
	}
	view := struct {
		Lines    []NumberedLine
		Types    []EntityType
		Boundary string
	}{Lines: make([]NumberedLine, len(data.Lines)), Types: data.Types, Boundary: data.Boundary}
	size := 0
	for i, l := range data.Lines {
		view.Lines[i] = NumberedLine{Number: i + 1, Text: oneLine(l)}
		size += len(l) + 8
	}
	collides := func(b string) bool {
		for _, l := range view.Lines {
			if strings.Contains(l.Text, b) {
				return true
			}
		}
		return false
	}
	if view.Boundary, err = pickBoundary(view.Boundary, collides, random); err != nil {
		return "", "", err
	}
	return t.execute(view, size+512)
}

// CutLineNumber splits a fenced pii line into its number and text: the
// inverse of the rendering, for servers and tests that read the prompt.
func CutLineNumber(fenced string) (number int, text string, ok bool) {
	num, text, ok := strings.Cut(fenced, ": ")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return 0, "", false
	}
	return n, text, true
}
