package eval

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/triage"
)

// TriageFunc runs the real pipeline on one upload. cmd wires it to
// (*triage.Pipeline).Run; tests can wire a pipeline built with other parts.
type TriageFunc func(ctx context.Context, tenant string, up triage.Upload, content []byte) (*triage.Case, *triage.Embedding, error)

// DetectFunc runs the detectors on the content and returns every finding's
// type and byte span. It must be the engine the pipeline uses, so detection
// figures describe what the pipeline redacts.
type DetectFunc func(ctx context.Context, content []byte) ([]Span, error)

// RedactFunc returns the redacted content; predicted key lines must be exact
// lines of it.
type RedactFunc func(ctx context.Context, content []byte) ([]byte, error)

// PipelineTriage runs uploads through p, the pipeline `triage` and `serve` use.
func PipelineTriage(p *triage.Pipeline) TriageFunc {
	return func(ctx context.Context, tenant string, up triage.Upload, content []byte) (*triage.Case, *triage.Embedding, error) {
		return p.Run(ctx, triage.Input{Tenant: tenant, Upload: up, Content: bytes.NewReader(content)})
	}
}

// EngineDetect scans the whole content with e. Spans come from the engine,
// not from a case's finding locations, which the pipeline caps per type.
func EngineDetect(e *detectors.Engine) DetectFunc {
	return func(_ context.Context, content []byte) ([]Span, error) {
		fs := e.ScanBytes(content)
		spans := make([]Span, len(fs))
		for i, f := range fs {
			spans[i] = Span{Type: f.Type, Start: f.Start, End: f.End}
		}
		return spans, nil
	}
}

// EngineRedact redacts the content with e, as the pipeline's redact step does.
func EngineRedact(e *detectors.Engine) RedactFunc {
	return func(ctx context.Context, content []byte) ([]byte, error) {
		var out bytes.Buffer
		_, err := e.Redact(ctx, bytes.NewReader(content), &out)
		return out.Bytes(), err
	}
}

// Options configure one evaluation.
type Options struct {
	Triage TriageFunc // required
	Detect DetectFunc // nil: no detection metrics
	Redact RedactFunc // nil: no key-line validity
	// SeverityLabels is the scale, most severe first (default triage.SeverityLabels).
	SeverityLabels []string
	// Parallel cases run at once (default 1: latencies are then per case,
	// uncontended). Worth raising against a remote LLM endpoint.
	Parallel int
	// K is the k of similar-incident recall@k (default 5).
	K int
	// LLM says an LLM classifier is configured: rules answers count as fallbacks.
	LLM bool
	// Price, when known for the model, turns token counts into a cost estimate.
	Price *Price
	// Meta is copied into the run; Evaluate fills the dataset fields and time.
	Meta Meta
}

// Meta makes a run reproducible and comparable.
type Meta struct {
	Dataset       string    `json:"dataset"`
	DatasetHash   string    `json:"dataset_hash"`
	Cases         int       `json:"cases"`
	Mode          string    `json:"mode"` // "rules" | "llm"
	ConfigHash    string    `json:"config_hash"`
	PromptVersion string    `json:"prompt_version,omitempty"`
	Model         string    `json:"model,omitempty"`
	Seed          int64     `json:"seed"`
	Embedder      string    `json:"embedder,omitempty"`
	K             int       `json:"k"`
	GitCommit     string    `json:"git_commit,omitempty"`
	Time          time.Time `json:"time"`
	DurationMS    float64   `json:"duration_ms"`
	// PIIModel and PIIPromptVersion are the LLM PII pass's, when it ran.
	PIIModel         string `json:"pii_model,omitempty"`
	PIIPromptVersion string `json:"pii_prompt_version,omitempty"`
}

// Run is one evaluation: what was run, the figures, and every case.
type Run struct {
	Meta    Meta         `json:"meta"`
	Metrics Metrics      `json:"metrics"`
	Cases   []CaseResult `json:"cases"`
}

// HashConfig fingerprints the configuration that shapes answers (routing
// config, detector config, ...): sha256 over the parts, each length-prefixed.
func HashConfig(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Evaluate runs every case of the dataset through the pipeline; results keep
// dataset order whatever Parallel is.
func Evaluate(ctx context.Context, ds *Dataset, opt Options) (*Run, error) {
	if opt.Triage == nil {
		return nil, fmt.Errorf("eval: no pipeline to run")
	}
	if opt.SeverityLabels == nil {
		opt.SeverityLabels = triage.SeverityLabels
	}
	if opt.K <= 0 {
		opt.K = 5
	}
	start := time.Now()
	run := &Run{Meta: opt.Meta}
	run.Meta.Dataset = ds.Path
	run.Meta.DatasetHash = ds.Hash()
	run.Meta.Cases = len(ds.Cases)
	run.Meta.K = opt.K
	run.Meta.Time = start.UTC()
	if run.Meta.Mode == "" {
		run.Meta.Mode = "rules"
		if opt.LLM {
			run.Meta.Mode = "llm"
		}
	}
	embeddings := make([]*triage.Embedding, len(ds.Cases))
	run.Cases = make([]CaseResult, len(ds.Cases))
	if err := forEachCase(ctx, ds, opt.Parallel, func(i int, c Case, content []byte) {
		run.Cases[i], embeddings[i] = evalCase(ctx, c, content, opt)
	}); err != nil {
		return nil, err
	}
	for i, res := range run.Cases {
		if run.Meta.Embedder == "" && embeddings[i] != nil {
			run.Meta.Embedder = embeddings[i].EmbedderID
		}
		if run.Meta.PromptVersion == "" {
			run.Meta.PromptVersion = res.PromptVersion
		}
		if run.Meta.Model == "" {
			run.Meta.Model = res.Model
		}
	}
	similarHits(ds.Cases, embeddings, opt.K, run.Cases)
	run.Metrics = Compute(run.Cases, opt.SeverityLabels, opt.LLM, opt.K, opt.Price)
	run.Meta.DurationMS = ms(time.Since(start))
	return run, nil
}

// forEachCase calls fn for every case with its content, from up to parallel
// goroutines (at least one). Reading a case's content is an error for the
// whole run: the dataset, not the pipeline, is broken.
func forEachCase(ctx context.Context, ds *Dataset, parallel int, fn func(i int, c Case, content []byte)) error {
	parallel = max(parallel, 1)
	next := make(chan int)
	errs := make(chan error, parallel)
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				content, err := ds.Content(ds.Cases[i])
				if err != nil {
					errs <- fmt.Errorf("eval: case %s: %w", ds.Cases[i].ID, err)
					return
				}
				fn(i, ds.Cases[i], content)
			}
		}()
	}
	var err error
feed:
	for i := range ds.Cases {
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

func evalCase(ctx context.Context, c Case, content []byte, opt Options) (CaseResult, *triage.Embedding) {
	res := CaseResult{
		ID: c.ID, Family: c.Family, Injection: c.Injection, NoProblem: c.NoProblem,
		GoldSeverity: c.Severity, GoldCategory: c.Category, GoldQueue: c.Queue, GoldSkills: c.Skills,
	}
	if opt.Detect != nil {
		spans, err := opt.Detect(ctx, content)
		if err != nil {
			res.Error = "detect: " + err.Error()
		} else {
			res.Detection = ScoreSpans(c.Findings, spans)
		}
	}
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	up := triage.Upload{ID: c.ID, Name: uploadName(c, sha), SHA256: sha, Size: int64(len(content))}
	tenant := c.Tenant
	if tenant == "" {
		tenant = "eval"
	}
	began := time.Now()
	tc, emb, err := opt.Triage(ctx, tenant, up, content)
	res.LatencyMS = ms(time.Since(began))
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	res.Severity, res.Category, res.Queue, res.Skills = tc.Severity.Label, tc.Category, tc.Queue, tc.Skills
	info := tc.Classifier
	res.Classifier, res.Model, res.PromptVersion, res.FallbackReason = info.Kind, info.Model, info.PromptVersion, info.FallbackReason
	res.PromptTokens, res.OutputTokens = info.Tokens.Prompt, info.Tokens.Completion
	res.PIIPass, res.PIITokens = info.PIIPass, info.PIITokens.Total
	res.ClassifyMS = tc.Timings.ClassifyMS
	res.KeyLines = len(tc.KeyLines)
	if opt.Redact != nil {
		redacted, err := opt.Redact(ctx, content)
		if err != nil {
			res.Error = "redact: " + err.Error()
		} else {
			res.InvalidKeyLines = invalidKeyLines(tc.KeyLines, redacted)
		}
	}
	if len(c.KeyLines) > 0 {
		hit := false
		for _, k := range tc.KeyLines {
			for _, g := range c.KeyLines {
				hit = hit || strings.TrimRight(k, "\r") == strings.TrimRight(g, "\r")
			}
		}
		res.GoldKeyLineHit = &hit
	}
	return res, emb
}

// uploadName is what the pipeline (and an LLM prompt) sees as the file name:
// neutral, from the content hash, keeping the extension for sniffing. Dataset
// ids and file names carry labels ("tri-005-dns-nxdomain") and must not leak.
func uploadName(c Case, sha string) string {
	return "upload-" + sha[:12] + filepath.Ext(c.File)
}

// invalidKeyLines returns the key lines that are not an exact line of the
// redacted log. A CR before the LF belongs to the line ending, not the line.
// The redacted log is the detectors' output; the LLM PII pass replaces names
// and addresses beyond it, so a [PERSON_NAME:…] or [STREET_ADDRESS:…]
// placeholder in a key line stands for the non-empty text it replaced.
func invalidKeyLines(keyLines []string, redacted []byte) []string {
	lines := map[string]bool{}
	for _, l := range bytes.Split(redacted, []byte("\n")) {
		lines[string(bytes.TrimSuffix(l, []byte("\r")))] = true
	}
	var bad []string
	for _, k := range keyLines {
		if !lines[k] && !matchesWithPIIPlaceholders(k, lines) {
			bad = append(bad, k)
		}
	}
	return bad
}

// llmPIIPlaceholder is a placeholder of the LLM PII pass (triage.ApplyPII).
var llmPIIPlaceholder = regexp.MustCompile(`\[(?:PERSON_NAME|STREET_ADDRESS)(?::[0-9a-f]{8})?\]`)

// matchesWithPIIPlaceholders reports whether some line equals k with each
// LLM PII placeholder standing for a non-empty text the pass could have
// replaced: at most 200 bytes, not crossing another placeholder.
func matchesWithPIIPlaceholders(k string, lines map[string]bool) bool {
	at := llmPIIPlaceholder.FindAllStringIndex(k, -1)
	if len(at) == 0 {
		return false
	}
	var pattern strings.Builder
	pattern.WriteString("^")
	pos := 0
	for _, a := range at {
		pattern.WriteString(regexp.QuoteMeta(k[pos:a[0]]) + "[^\\[\\]\\n]{1,200}")
		pos = a[1]
	}
	pattern.WriteString(regexp.QuoteMeta(k[pos:]) + "$")
	re, err := regexp.Compile(pattern.String())
	if err != nil {
		return false
	}
	for l := range lines {
		if strings.HasPrefix(l, k[:at[0][0]]) && re.MatchString(l) {
			return true
		}
	}
	return false
}

// similarHits measures leave-one-out recall@k: for each case whose family
// has another member, rank every other case by cosine similarity of their
// embeddings (same embedder only) and count a hit when a same-family case is
// in the top k. Independent of the store, so it measures the embedder and
// signature, not index tuning.
func similarHits(cases []Case, embs []*triage.Embedding, k int, out []CaseResult) {
	family := map[string]int{}
	for _, c := range cases {
		if c.Family != "" {
			family[c.Family]++
		}
	}
	type scored struct {
		i   int
		sim float64
	}
	for i, c := range cases {
		if c.Family == "" || family[c.Family] < 2 || embs[i] == nil {
			continue
		}
		var ranked []scored
		for j := range cases {
			if j == i || embs[j] == nil || embs[j].EmbedderID != embs[i].EmbedderID {
				continue
			}
			ranked = append(ranked, scored{j, cosine(embs[i].Vector, embs[j].Vector)})
		}
		sort.SliceStable(ranked, func(a, b int) bool { return ranked[a].sim > ranked[b].sim })
		hit := false
		for _, s := range ranked[:min(k, len(ranked))] {
			hit = hit || cases[s.i].Family == c.Family
		}
		out[i].SimilarHit = &hit
	}
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(-1)
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Price is a model's list price in USD per million tokens.
type Price struct {
	PromptPerM     float64 `json:"prompt_per_million"`
	CompletionPerM float64 `json:"completion_per_million"`
}

// Cost is an estimate: list prices, no discounts, caching or batch rates.
func (p Price) Cost(prompt, completion int) float64 {
	return (float64(prompt)*p.PromptPerM + float64(completion)*p.CompletionPerM) / 1e6
}

// DefaultPrices are public list prices (USD per 1M tokens) of common models
// as published by their vendors; override with --prices for yours.
var DefaultPrices = map[string]Price{
	"gpt-4o":       {PromptPerM: 2.50, CompletionPerM: 10.00},
	"gpt-4o-mini":  {PromptPerM: 0.15, CompletionPerM: 0.60},
	"gpt-4.1":      {PromptPerM: 2.00, CompletionPerM: 8.00},
	"gpt-4.1-mini": {PromptPerM: 0.40, CompletionPerM: 1.60},
	"gpt-4.1-nano": {PromptPerM: 0.10, CompletionPerM: 0.40},
}
