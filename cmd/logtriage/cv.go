package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/rules"
)

func init() {
	register("train", command{summary: "re-fit the learned severity scorer on every labelled triage set and write its weights file", run: runTrain})
}

// defaultTriageSets is where the labelled triage sets live in the repository.
const defaultTriageSets = "eval/datasets/triage"

// cvGate is the least CV mean the shipped scorer must reach (eval --cv
// --gate): figures measured when it was chosen, less a small margin; and
// the least severity exact any one set may fall to.
type cvGate struct{ exact, within, routing, worstExact float64 }

// below names what of the report falls under the gate, "" when nothing.
func (g cvGate) below(mean, worst eval.CVScores) string {
	switch {
	case mean.Exact < g.exact || mean.WithinOne < g.within || mean.Routing < g.routing:
		return fmt.Sprintf("CV mean %.3f/%.3f/%.3f below the gate %.3f/%.3f/%.3f (exact/within-one/routing)",
			mean.Exact, mean.WithinOne, mean.Routing, g.exact, g.within, g.routing)
	case worst.Exact < g.worstExact:
		return fmt.Sprintf("a set's severity exact %.3f below the per-set floor %.3f", worst.Exact, g.worstExact)
	}
	return ""
}

// rulesPipeline builds the offline pipeline eval uses in rules mode, with
// a rules classifier made from opts.
func rulesPipeline(rt *router.Router) (eval.BuildFunc, error) {
	det, _, err := evalDetector("")
	if err != nil {
		return nil, err
	}
	emb, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		return nil, err
	}
	return func(opts rules.Options) (eval.TriageFunc, error) {
		p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: rt, Rules: rules.NewWithOptions(rt, opts), Embedder: emb})
		if err != nil {
			return nil, err
		}
		return eval.PipelineTriage(p), nil
	}, nil
}

// runCV is eval --cv: leave-one-set-out over every labelled triage set.
func runCV(ctx context.Context, root, format string, parallel int, gate *cvGate, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage eval --cv:", err)
		return evalError
	}
	sets, err := findSets(root)
	if err != nil {
		return fail(err)
	}
	build, err := rulesPipeline(router.Default())
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "logtriage eval --cv: %d labelled sets in %s, rules mode\n", len(sets), root)
	rep, err := eval.CrossValidate(ctx, eval.CVOptions{Sets: sets, Build: build, Parallel: parallel})
	if err != nil {
		return fail(err)
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail(err)
		}
	} else {
		writeCV(stdout, rep)
	}
	if gate != nil {
		if why := gate.below(rep.Mean[shippedScorer], rep.Worst[shippedScorer]); why != "" {
			fmt.Fprintf(stderr, "logtriage eval --cv: %s %s\n", shippedScorer, why)
			return evalRegression
		}
	}
	return evalOK
}

func writeCV(w io.Writer, rep *eval.CVReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "held-out set\tcases\tpolicy exact\twithin1\trouting\tlearned exact\twithin1\trouting\tmajority exact\twithin1\trouting\t")
	row := func(name, n string, p, l, m eval.CVScores) {
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", name, n,
			p.Exact, p.WithinOne, p.Routing, l.Exact, l.WithinOne, l.Routing, m.Exact, m.WithinOne, m.Routing)
	}
	for _, s := range rep.Sets {
		row(s.Set, fmt.Sprint(s.Cases), s.Policy, s.Learned, s.Majority)
	}
	row("MEAN", "", rep.Mean["policy"], rep.Mean["learned"], rep.Mean["majority"])
	row("WORST", "", rep.Worst["policy"], rep.Worst["learned"], rep.Worst["majority"])
	tw.Flush()
	fmt.Fprintf(w, "\npolicy: the shipped table, written with every set in view (not blind). learned: trained on the other sets only. majority: the other sets' most common severity and queue.\nshipped scorer: %s\n", shippedScorer)
}

func runTrain(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(stderr, "train", "usage: logtriage train [--sets DIR] [--out FILE]", "\nRuns every labelled triage set under --sets through the rules pipeline, fits the learned severity scorer on all of them and writes its weights (the file shipped as triage/rules/model.json).")
	root := fs.String("sets", defaultTriageSets, "labelled triage sets: directories (searched recursively) or dataset files, comma-separated")
	out := fs.String("out", filepath.Join("triage", "rules", "model.json"), "weights file to write")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage train:", err)
		return 2
	}
	sets, err := findSets(*root)
	if err != nil {
		return fail(err)
	}
	build, err := rulesPipeline(router.Default())
	if err != nil {
		return fail(err)
	}
	cases, _, err := eval.Collect(ctx, eval.CVOptions{Sets: sets, Build: build})
	if err != nil {
		return fail(err)
	}
	examples := eval.TrainExamples(cases)
	m, err := rules.Train(examples, rules.TrainOptions{})
	if err != nil {
		return fail(err)
	}
	var names []string
	for _, s := range sets {
		names = append(names, eval.SetName(s))
	}
	m.About = fmt.Sprintf("multinomial logistic regression over the rules' evidence features and the policy's label, trained by logtriage train on %d cases of %v", len(examples), names)
	b, err := m.Marshal()
	if err != nil {
		return fail(err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d examples from %d sets\n", *out, len(examples), len(sets))
	return 0
}

// shippedScorer is the column of the CV report that ships (docs/eval.md
// says why), and shippedGate the least CV mean it must keep.
var (
	shippedScorer = "policy"
	// Measured 0.844/0.987/0.922, worst set 0.667 (docs/eval.md); the means
	// less about 0.02, the per-set floor the 0.65.
	shippedGate = cvGate{exact: 0.82, within: 0.965, routing: 0.90, worstExact: 0.65}
)

// findSets reads --sets: comma-separated directories (searched for
// labelled sets) or dataset files.
func findSets(arg string) ([]string, error) {
	var sets []string
	for _, part := range strings.Split(arg, ",") {
		if strings.HasSuffix(part, ".jsonl") {
			sets = append(sets, part)
			continue
		}
		found, err := eval.FindTriageSets(part)
		if err != nil {
			return nil, err
		}
		sets = append(sets, found...)
	}
	return sets, nil
}
