package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/internal/keyring"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/llm"
	"github.com/logtriage/logtriage/triage/rules"
)

func init() {
	register("eval", command{summary: "run a labelled eval set through the pipeline and report metrics", run: runEval})
}

// Exit codes of eval: a regression is not an error, and CI tells them apart.
const (
	evalOK         = 0
	evalError      = 2
	evalRegression = 3
)

func runEval(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "eval", "usage: logtriage eval --dataset PATH [--format text|json|html] [--out FILE] [--baseline RUN.json] [--tolerance T] [--save RUN.json] [--llm-pii]", "\nWith OPENAI_API_KEY or OPENAI_BASE_URL set (model: LOGTRIAGE_LLM_MODEL) the LLM classifies, rules otherwise.", "Exit status: 0 ran (no regression), 2 error, 3 a metric dropped past its tolerance against --baseline.")
	datasetPath := fs.String("dataset", "", "labelled dataset (JSONL, docs/eval-datasets.md)")
	format := fs.String("format", "text", "report format: text, json or html")
	outPath := fs.String("out", "", "write the report to FILE instead of stdout")
	baselinePath := fs.String("baseline", "", "compare with a saved run (JSON); exit 3 when a metric drops past its tolerance")
	tolerance := fs.String("tolerance", "", "allowed drop per metric: 0.02 for all, or name=0.05,*=0.01 (default 0.02)")
	savePath := fs.String("save", "", "also save the JSON run record to FILE (the input of --baseline)")
	k := fs.Int("k", 5, "k of similar-incident recall@k")
	parallel := fs.Int("parallel", 1, "cases in flight at once (raise it against a remote LLM; latencies then include contention)")
	seed := fs.Int("seed", 0, "seed sent with every LLM request; recorded in the run")
	rulesOnly := fs.Bool("rules", false, "use the rules classifier even when an LLM is configured (and no LLM PII pass unless --llm-pii is given)")
	llmPII := llmPIIFlag(fs, os.Getenv)
	routingPath := fs.String("routing", "", "routing config JSON (default: the built-in config)")
	detectorsPath := fs.String("detectors", "", "detector rule file, as scan --config (custom rules, allow-lists, modes)")
	pricesPath := fs.String("prices", "", `JSON {"model": {"prompt_per_million": 0.15, "completion_per_million": 0.6}} for cost estimates`)
	cv := fs.Bool("cv", false, "leave-one-set-out cross-validation over every labelled triage set under --sets (rules mode; text or json)")
	cvSets := fs.String("sets", defaultTriageSets, "with --cv: labelled triage sets, directories (searched recursively) or dataset files, comma-separated")
	cvGateFlag := fs.Bool("gate", false, "with --cv: exit 3 when the shipped scorer's CV mean falls below the recorded gate (docs/eval.md)")
	var rp replayFlags
	rp.register(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return evalOK
		}
		return evalError
	}
	if *cv {
		if *format == "html" || *datasetPath != "" || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "logtriage eval: --cv takes --sets, --format text|json, --parallel and --gate only")
			return evalError
		}
		var gate *cvGate
		if *cvGateFlag {
			gate = &shippedGate
		}
		return runCV(ctx, *cvSets, *format, *parallel, gate, stdout, stderr)
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage eval:", err)
		return evalError
	}
	if code := usageProblem(fs, stderr, problem{*datasetPath == "", "--dataset is required: the labelled set to run"},
		argsProblem(fs.Args(), fs.NArg() == 0, "no arguments (the set is --dataset)")); code >= 0 {
		return evalError
	}
	if *format != "text" && *format != "json" && *format != "html" {
		return fail(fmt.Errorf("unknown --format %q (text, json or html)", *format))
	}
	tol, err := eval.ParseTolerances(*tolerance)
	if err != nil {
		return fail(err)
	}
	var baseline *eval.Run
	if *baselinePath != "" {
		if baseline, err = eval.LoadRun(*baselinePath); err != nil {
			return fail(err)
		}
	}
	ds, err := eval.LoadDataset(*datasetPath)
	if err != nil {
		return fail(err)
	}

	rt, routingJSON := router.Default(), router.DefaultConfigJSON()
	if *routingPath != "" {
		if routingJSON, err = os.ReadFile(*routingPath); err != nil {
			return fail(err)
		}
		if rt, err = router.Load(*routingPath); err != nil {
			return fail(err)
		}
	}
	det, detectorConfig, err := evalDetector(*detectorsPath)
	if err != nil {
		return fail(err)
	}
	prices := eval.DefaultPrices
	if *pricesPath != "" {
		if prices, err = loadPrices(*pricesPath); err != nil {
			return fail(err)
		}
	}

	meta := eval.Meta{Seed: int64(*seed), ConfigHash: eval.HashConfig(routingJSON, detectorConfig), GitCommit: gitCommit(ctx)}
	llmOpts, haveLLM := llm.OptionsFromEnv(os.Getenv)
	useLLM := haveLLM && !*rulesOnly
	// Rules mode stays offline and reproducible: the local embedder. Otherwise
	// the embedder the worker would use (LOGTRIAGE_EMBEDDER and friends).
	var embedder triage.Embedder
	if useLLM {
		embedder, err = embed.FromEnv(os.Getenv)
	} else {
		embedder, err = embed.NewLocal(embed.LocalOptions{})
	}
	if err != nil {
		return fail(err)
	}
	popts := triage.PipelineOptions{Detector: det, Router: rt, Rules: rules.New(rt), Embedder: embedder}
	if useLLM {
		llmOpts.Seed = *seed
		cls, err := llm.New(llmOpts)
		if err != nil {
			return fail(err)
		}
		popts.Classifier = cls
		meta.Model, meta.PromptVersion = cls.Model(), cls.PromptVersion()
		fmt.Fprintf(stderr, "logtriage eval: LLM classifier %s at %s\n", meta.Model, llmOpts.BaseURL)
	} else {
		fmt.Fprintln(stderr, "logtriage eval: rules classifier (no LLM configured, or --rules)")
	}
	// --rules keeps a run offline: LOGTRIAGE_LLM_PII from the environment is
	// ignored then, an explicit --llm-pii is not.
	piiOn := *llmPII && (!*rulesOnly || flagGiven(fs, "llm-pii"))
	pii, note, err := newLLMPII(piiOn, os.Getenv)
	if err != nil {
		return fail(err)
	}
	if note != "" {
		fmt.Fprintln(stderr, "logtriage eval:", note)
	}
	if pii != nil {
		popts.PII = pii
		meta.PIIModel, meta.PIIPromptVersion = pii.Model(), pii.PromptVersion()
	}
	if rp.on {
		return runReplay(ctx, ds, popts, rp, *format, *outPath, stdout, stderr)
	}
	pipeline, err := triage.NewPipeline(popts)
	if err != nil {
		return fail(err)
	}
	var price *eval.Price
	if p, ok := prices[meta.Model]; ok {
		price = &p
	}

	run, err := eval.Evaluate(ctx, ds, eval.Options{
		Triage:   eval.PipelineTriage(pipeline),
		Detect:   eval.EngineDetect(det),
		Redact:   eval.EngineRedact(det),
		K:        *k,
		Parallel: *parallel,
		LLM:      useLLM,
		Price:    price,
		Meta:     meta,
	})
	if err != nil {
		return fail(err)
	}

	var cmp *eval.Comparison
	if baseline != nil {
		c := eval.Compare(baseline, run, tol)
		cmp = &c
	}
	if *savePath != "" {
		if err := writeFileWith(*savePath, func(w io.Writer) error { return eval.WriteJSON(w, run) }); err != nil {
			return fail(err)
		}
	}
	report := func(w io.Writer) error {
		switch *format {
		case "json":
			return eval.WriteJSON(w, run)
		case "html":
			return eval.WriteHTML(w, run, cmp)
		}
		if err := eval.WriteText(w, run); err != nil {
			return err
		}
		if cmp != nil {
			fmt.Fprintf(w, "\nagainst baseline %s\n", *baselinePath)
			return eval.WriteComparison(w, *cmp)
		}
		return nil
	}
	if *outPath != "" {
		err = writeFileWith(*outPath, report)
	} else {
		err = report(stdout)
	}
	if err != nil {
		return fail(err)
	}
	if cmp != nil {
		if *format != "text" || *outPath != "" {
			// The deltas always reach a human, whatever the report format.
			eval.WriteComparison(stderr, *cmp)
		}
		if cmp.Regressed() {
			fmt.Fprintf(stderr, "logtriage eval: regression against %s\n", *baselinePath)
			return evalRegression
		}
	}
	return evalOK
}

// evalDetector is the detectors engine with its default configuration, or
// the rule file scan --config takes. The fingerprint key is random per
// run: fingerprints never enter a metric, and no built-in key exists. The config hash covers the rule file
// and the detector set (types and their rules), so adding or changing a
// detector changes it.
func evalDetector(rulesPath string) (*detectors.Engine, []byte, error) {
	opts := detectors.Options{FingerprintKey: keyring.Random(keyring.KeySize)}
	var rules []byte
	if rulesPath != "" {
		var err error
		if rules, err = os.ReadFile(rulesPath); err != nil {
			return nil, nil, err
		}
		if opts.Config, err = detectors.LoadConfig(rulesPath); err != nil {
			return nil, nil, err
		}
	}
	det, err := detectors.New(opts)
	if err != nil {
		return nil, nil, err
	}
	types, err := json.Marshal(det.Types())
	return det, append(types, rules...), err
}

func loadPrices(path string) (map[string]eval.Price, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var prices map[string]eval.Price
	if err := json.Unmarshal(data, &prices); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return prices, nil
}

// writeFileWith writes an output file safely (see writeOutput).
func writeFileWith(path string, write func(io.Writer) error) error {
	return writeOutput(path, write)
}

// gitCommit is best effort: a run outside a checkout records none.
func gitCommit(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		commit += "-dirty"
	}
	return commit
}
