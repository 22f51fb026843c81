// Package detectset generates the labelled detection corpus
// (eval/datasets/detection): logs of many formats with planted PII and
// secrets of every finding type, each labelled with its exact byte span,
// among look-alike decoys that must not be found. Output is a pure function
// of the seed, so the committed corpus can be checked byte for byte.
package detectset

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Options size the corpus.
type Options struct {
	Seed  uint64
	Cases int
	// CleanShare is the share of cases with decoys only (no finding at all).
	CleanShare float64
}

// DefaultOptions produce the committed corpus.
var DefaultOptions = Options{Seed: 20261123, Cases: 448, CleanShare: 0.12}

// File is one generated file, path relative to the dataset directory.
type File struct {
	Path string
	Data []byte
}

var tenants = []string{"acme", "globex", "initech", "umbrella", "hooli"}

// Generate returns the dataset (dataset.jsonl first) and its log files.
func Generate(opt Options) ([]File, error) {
	r := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	g := gen{r: r}
	counts := map[string]int{}
	var (
		files []File
		index bytes.Buffer
	)
	for i := 0; i < opt.Cases; i++ {
		f := formats[i%len(formats)]
		var (
			items []item
			err   error
		)
		if !g.chance(opt.CleanShare) {
			items = plan(g, f, g.n(2, 6), counts)
		}
		c := &ctx{g: g, d: &doc{crlf: i%9 == 4}, t: time.Date(2026, time.Month(g.n(1, 11)), g.n(1, 28), g.n(0, 23), g.n(0, 59), g.n(0, 59), 0, time.UTC), host: g.pick(services...)}
		f.render(c, items)
		id := fmt.Sprintf("det-%04d", i+1)
		path := "logs/" + id + "-" + f.name + ".log"
		data := c.d.buf.Bytes()
		if i%37 == 17 { // a few compressed uploads: spans index the decompressed bytes
			path += ".gz"
			if data, err = gzipped(data); err != nil {
				return nil, err
			}
		}
		files = append(files, File{Path: path, Data: data})
		spans := c.d.spans
		if spans == nil {
			spans = []Span{}
		}
		planted := make([]string, 0, len(items))
		for _, it := range items {
			planted = append(planted, it.typ)
		}
		notes := f.name + "; clean (decoys only)"
		if len(items) > 0 {
			notes = f.name + "; planted " + strings.Join(planted, ",")
		}
		if c.d.crlf {
			notes += "; CRLF line endings"
		}
		line, err := marshalCase(dataCase{ID: id, File: path, Tenant: tenants[i%len(tenants)], Findings: spans, Family: "detect-" + f.name, Notes: notes})
		if err != nil {
			return nil, err
		}
		index.Write(line)
		index.WriteByte('\n')
	}
	return append([]File{{Path: "dataset.jsonl", Data: index.Bytes()}}, files...), nil
}

func marshalCase(c dataCase) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// plan picks n items the format can host, favouring the types planted least
// so far, so every type ends up with a similar count across contexts.
func plan(g gen, f format, n int, counts map[string]int) []item {
	order := append([]string(nil), types...)
	g.r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	sort.SliceStable(order, func(i, j int) bool { return counts[order[i]] < counts[order[j]] })
	var items []item
	for _, typ := range order {
		if len(items) == n {
			break
		}
		vs := variants[typ]
		for _, k := range g.r.Perm(len(vs)) {
			if it := vs[k](g); f.accepts(it) {
				items = append(items, it)
				counts[typ]++
				break
			}
		}
	}
	return items
}

// Span and dataCase mirror eval.Span and eval.Case (the dataset format in
// docs/eval-datasets.md) without importing eval, so the generator does not
// depend on the code the corpus measures.
type Span struct {
	Type  string `json:"type"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
}

type dataCase struct {
	ID       string `json:"id"`
	File     string `json:"file"`
	Tenant   string `json:"tenant,omitempty"`
	Findings []Span `json:"findings"`
	Family   string `json:"family,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

// Write writes the files under dir, creating directories.
func Write(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// gzipped compresses with a zero header (no name, no time), so output
// depends only on the data and the compress/flate version.
func gzipped(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decompressed returns a file's content as the dataset's spans index it.
func (f File) Decompressed() ([]byte, error) {
	if !strings.HasSuffix(f.Path, ".gz") {
		return f.Data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(f.Data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
