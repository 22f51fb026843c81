package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/llm"
	"github.com/logtriage/logtriage/triage/rules"
)

func init() {
	register("triage", command{
		summary: "run the whole pipeline on one file, no queue; print the case",
		run:     runTriage,
	})
}

func runTriage(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "triage", "usage: logtriage triage [--format text|json] [--config routing.json] [--detectors FILE] [--llm-pii] FILE|- (gzip, zip, tar, tar.gz opened; - is stdin)", "\nWith OPENAI_API_KEY or OPENAI_BASE_URL set (model: LOGTRIAGE_LLM_MODEL) an LLM classifies, rules otherwise.")
	format := fs.String("format", "text", "output format: text or json")
	config := fs.String("config", "", "routing config (JSON); default: the embedded router/default.json")
	tenant := fs.String("tenant", "local", "tenant the case belongs to (selects the tier in the routing config)")
	tokens := fs.Int("excerpt-tokens", 3000, "token budget of the excerpt the classifier sees")
	llmPII := llmPIIFlag(fs, os.Getenv)
	quiet := fs.Bool("quiet", false, "no progress line on a terminal's stderr")
	var ef engineFlags // --detectors, --mode, --disable, --min-confidence, --fingerprint-key-file
	ef.register(fs)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if code := usageProblem(fs, stderr, argsProblem(files, len(files) == 1, "one FILE (or - for stdin)"), formatProblem(*format, "text", "json")); code >= 0 {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage triage:", err)
		return 2
	}

	rt := router.Default()
	if *config != "" {
		var err error
		if rt, err = router.Load(*config); err != nil {
			return fail(err)
		}
	}
	det, err := ef.engine(stderr)
	if err != nil {
		return fail(err)
	}
	var classifier triage.Classifier // nil: rules
	if opts, ok := llm.OptionsFromEnv(os.Getenv); ok {
		c, err := llm.New(opts)
		if err != nil {
			return fail(fmt.Errorf("LLM settings: %w", err))
		}
		classifier = c
		fmt.Fprintf(stderr, "logtriage triage: classifying with %s at %s (rules on failure)\n", c.Model(), opts.BaseURL)
	} else {
		fmt.Fprintln(stderr, "logtriage triage: rules classifier (set OPENAI_API_KEY or OPENAI_BASE_URL to use an LLM)")
	}
	popts := triage.PipelineOptions{Detector: det, Classifier: classifier, Rules: rules.New(rt), Router: rt, ExcerptTokens: *tokens}
	pii, note, err := newLLMPII(*llmPII, os.Getenv)
	if err != nil {
		return fail(err)
	}
	if note != "" {
		fmt.Fprintln(stderr, "logtriage triage:", note)
	}
	if pii != nil {
		popts.PII = pii
	}
	p, err := triage.NewPipeline(popts)
	if err != nil {
		return fail(err)
	}

	f, name, err := fileOrStdin(files[0], stdin)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	up, err := describe(f, name)
	if err != nil {
		return fail(err)
	}
	prog := startProgress(stderr, *quiet, "triage "+name, up.Size)
	c, _, err := p.Run(ctx, triage.Input{Tenant: *tenant, Upload: up, Content: prog.reader(f)})
	prog.finish()
	if err != nil {
		return fail(err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(c)
	} else {
		err = triage.RenderText(stdout, c)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// describe fills the upload as an intake event would. The content hash is
// the upload id, so triaging the same bytes twice gives the same case id.
func describe(f *os.File, path string) (triage.Upload, error) {
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return triage.Upload{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return triage.Upload{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return triage.Upload{ID: "sha256:" + sum, Name: filepath.Base(path), SHA256: sum, Size: n}, nil
}
