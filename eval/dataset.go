package eval

//go:generate go run ./gen/cmd/gendetect -out datasets/detection

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/logtriage/logtriage/detectors"
)

// Span is one labelled (or predicted) finding: a type and a byte range into
// the case content, end exclusive.
type Span struct {
	Type  string `json:"type"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
}

// Case is one labelled example. The format is documented in
// docs/eval-datasets.md; every field but ID and one of File/Text is optional.
type Case struct {
	ID string `json:"id"`
	// File is relative to the dataset file; Text is the content inline.
	// Exactly one of them is set.
	File   string `json:"file,omitempty"`
	Text   string `json:"text,omitempty"`
	Tenant string `json:"tenant,omitempty"`
	// Findings non-nil (even empty) means the case is fully labelled for
	// detection: every other prediction is a false positive. nil (the field
	// absent from the JSON) means detection is not scored on this case.
	Findings  []Span   `json:"findings"`
	Severity  string   `json:"severity,omitempty"`
	Category  string   `json:"category,omitempty"`
	Queue     string   `json:"queue,omitempty"`
	Skills    []string `json:"skills,omitempty"`
	KeyLines  []string `json:"key_lines,omitempty"`
	Family    string   `json:"family,omitempty"`
	Injection bool     `json:"injection,omitempty"`
	NoProblem bool     `json:"no_problem,omitempty"`
	Notes     string   `json:"notes,omitempty"`
}

// DetectionLabelled reports whether the case's findings are a complete label
// set, so detection can be scored on it.
func (c Case) DetectionLabelled() bool { return c.Findings != nil }

// Content returns the case's content: Text, or the file (relative to dir,
// the dataset file's directory). A ".gz" file is decompressed: spans index
// the decompressed bytes, as the detectors see them after the open step.
func (c Case) Content(dir string) ([]byte, error) {
	if c.File == "" {
		return []byte(c.Text), nil
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(c.File)))
	if err != nil || !strings.HasSuffix(c.File, ".gz") {
		return data, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %w", c.File, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxContent+1))
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %w", c.File, err)
	}
	if len(out) > maxContent {
		return nil, fmt.Errorf("%s: decompresses to more than %d bytes", c.File, maxContent)
	}
	return out, nil
}

// maxContent caps a decompressed case: eval logs are small, a bomb is a bug.
const maxContent = 256 << 20

// Dataset is a loaded, validated dataset.
type Dataset struct {
	Path  string // as given to LoadDataset
	Dir   string // directory File paths are relative to
	Cases []Case
	hash  string
}

// Content returns a case's content.
func (d *Dataset) Content(c Case) ([]byte, error) { return c.Content(d.Dir) }

// Hash is the hex sha256 over the dataset file and every file it references
// (each length-prefixed, in case order), so a run can say exactly what data
// it measured.
func (d *Dataset) Hash() string { return d.hash }

// KnownFindingType reports whether a dataset may label typ: the canonical ids
// of design.md. A label outside this set is a typo, not a new type.
func KnownFindingType(typ string) bool { return knownFindingTypes[typ] }

var knownFindingTypes = map[string]bool{
	detectors.TypeEmail: true, detectors.TypePhone: true, detectors.TypeCreditCard: true,
	detectors.TypeUSSSN: true, detectors.TypeIBAN: true, detectors.TypeIPAddress: true,
	detectors.TypePersonName: true, detectors.TypeStreetAddress: true,
	detectors.TypeAWSAccessKeyID: true, detectors.TypeAWSSecretKey: true,
	detectors.TypeGCPAPIKey: true, detectors.TypeGCPServiceAcct: true,
	detectors.TypeAzureStorage: true, detectors.TypeGitHubToken: true,
	detectors.TypeGitLabToken: true, detectors.TypeSlackToken: true,
	detectors.TypeSlackWebhook: true, detectors.TypeStripeKey: true,
	detectors.TypeOpenAIKey: true, detectors.TypeAnthropicKey: true,
	detectors.TypeSendGridKey: true, detectors.TypeNPMToken: true,
	detectors.TypeJWT: true, detectors.TypePrivateKey: true,
	detectors.TypePassword: true, detectors.TypeURLCredentials: true,
	detectors.TypeBasicAuth: true, detectors.TypeBearerToken: true,
	detectors.TypeSessionToken: true, detectors.TypeGenericSecret: true,
}

// maxLine bounds one JSONL line; inline texts can be large, but not unbounded.
const maxLine = 64 << 20

// LoadDataset reads and validates a JSONL dataset: unknown fields, duplicate
// ids, a case with both or neither of file/text, unknown finding types and
// spans outside the content are errors naming the line.
func LoadDataset(path string) (*Dataset, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: dataset: %w", err)
	}
	d := &Dataset{Path: path, Dir: filepath.Dir(path)}
	h := sha256.New()
	hashPart(h, raw)
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		c, err := parseCase(line)
		if err != nil {
			return nil, fmt.Errorf("eval: %s:%d: %w", path, n, err)
		}
		if prev, dup := seen[c.ID]; dup {
			return nil, fmt.Errorf("eval: %s:%d: duplicate id %q (first on line %d)", path, n, c.ID, prev)
		}
		seen[c.ID] = n
		content, err := c.Content(d.Dir)
		if err != nil {
			return nil, fmt.Errorf("eval: %s:%d: case %s: %w", path, n, c.ID, err)
		}
		if c.File != "" {
			hashPart(h, []byte(c.File))
			hashPart(h, content)
		}
		if err := checkSpans(c.Findings, int64(len(content))); err != nil {
			return nil, fmt.Errorf("eval: %s:%d: case %s: %w", path, n, c.ID, err)
		}
		d.Cases = append(d.Cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	if len(d.Cases) == 0 {
		return nil, fmt.Errorf("eval: %s: no cases", path)
	}
	d.hash = hex.EncodeToString(h.Sum(nil))
	return d, nil
}

func parseCase(line []byte) (Case, error) {
	var c Case
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return c, errors.New("trailing data after the case object")
	}
	switch {
	case c.ID == "":
		return c, errors.New("case without an id")
	case (c.File == "") == (c.Text == ""):
		return c, fmt.Errorf("case %s: exactly one of file and text must be set", c.ID)
	case c.File != "" && (filepath.IsAbs(c.File) || escapes(c.File)):
		return c, fmt.Errorf("case %s: file %q must be relative and inside the dataset directory", c.ID, c.File)
	}
	return c, nil
}

// escapes reports whether a relative path leaves its directory.
func escapes(p string) bool {
	p = filepath.ToSlash(filepath.Clean(p))
	return p == ".." || strings.HasPrefix(p, "../")
}

// checkSpans rejects unknown types, empty or out-of-range spans and the same
// span labelled twice.
func checkSpans(spans []Span, size int64) error {
	sorted := append([]Span(nil), spans...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Start != sorted[j].Start {
			return sorted[i].Start < sorted[j].Start
		}
		return sorted[i].Type < sorted[j].Type
	})
	for i, s := range sorted {
		if !KnownFindingType(s.Type) {
			return fmt.Errorf("unknown finding type %q", s.Type)
		}
		if s.Start < 0 || s.End <= s.Start || s.End > size {
			return fmt.Errorf("%s span [%d,%d) outside content of %d bytes", s.Type, s.Start, s.End, size)
		}
		if i > 0 && sorted[i-1] == s {
			return fmt.Errorf("%s span [%d,%d) labelled twice", s.Type, s.Start, s.End)
		}
	}
	return nil
}

func hashPart(w io.Writer, p []byte) {
	fmt.Fprintf(w, "%d:", len(p))
	w.Write(p)
}
