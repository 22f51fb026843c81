package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/logtriage/logtriage/eval"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// replayFlags are `eval --replay`'s: measure learning from agents by
// replaying the set in order, resolving each case with its gold labels.
type replayFlags struct {
	on          bool
	shuffle     int
	crossTenant bool
	threshold   float64
	k           int
}

func (f *replayFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "replay", false, "measure learning from agents: replay the set in order, resolving each case with its gold labels; second half with vs without (docs/feedback.md)")
	fs.IntVar(&f.shuffle, "replay-orders", 0, "with --replay: replay N seeded random orders instead of the dataset's, and report their mean and worst")
	fs.BoolVar(&f.crossTenant, "replay-cross-tenant", false, "with --replay: let one tenant's resolutions label another's cases")
	fs.Float64Var(&f.threshold, "replay-threshold", 0, "with --replay: neighbour similarity threshold (default the pipeline's, 0.90)")
	fs.IntVar(&f.k, "replay-k", 0, "with --replay: neighbours consulted (default the pipeline's, 3)")
}

// runReplay replays ds against fresh embedded stores in a temporary
// directory, with the pipeline options eval built.
func runReplay(ctx context.Context, ds *eval.Dataset, popts triage.PipelineOptions, f replayFlags, format, outPath string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "logtriage eval --replay:", err)
		return evalError
	}
	if format == "html" {
		return fail(fmt.Errorf("--format html is not available with --replay (text or json)"))
	}
	dir, err := os.MkdirTemp("", "logtriage-replay-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	res, err := eval.Replay(ctx, ds, eval.ReplayOptions{
		Pipeline: func(store triage.Store, fb triage.FeedbackOptions) (*triage.Pipeline, error) {
			o := popts
			o.Store, o.Feedback = store, fb
			return triage.NewPipeline(o)
		},
		Store: func() (triage.Store, error) {
			sub, err := os.MkdirTemp(dir, "store-")
			if err != nil {
				return nil, err
			}
			return embedded.Open(sub, embedded.Options{NoSync: true}) // scratch state: durability buys nothing
		},
		Feedback: triage.FeedbackOptions{CrossTenant: f.crossTenant, MinSimilarity: f.threshold, K: f.k},
		Shuffle:  f.shuffle,
	})
	if err != nil {
		return fail(err)
	}
	report := func(w io.Writer) error {
		if format == "json" {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		}
		return writeReplayText(w, res)
	}
	if outPath != "" {
		err = writeFileWith(outPath, report)
	} else {
		err = report(stdout)
	}
	if err != nil {
		return fail(err)
	}
	return evalOK
}

func writeReplayText(w io.Writer, r *eval.ReplayResult) error {
	fmt.Fprintf(w, "replay of %s (%d order(s)): second half, without vs with learning from resolutions\n\n", r.Dataset, r.Orders)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASES\tSET\tSEVERITY EXACT\tWITHIN ONE\tCATEGORY\tROUTING")
	row := func(name string, h eval.ReplayHalf) {
		if h.With.Cases == 0 {
			return
		}
		fmt.Fprintf(tw, "%d\t%s\t%.3f -> %.3f\t%.3f -> %.3f\t%.3f -> %.3f\t%.3f -> %.3f\n", h.With.Cases, name,
			h.Without.SeverityExact, h.With.SeverityExact, h.Without.SeverityWithinOne, h.With.SeverityWithinOne,
			h.Without.Category, h.With.Category, h.Without.Routing, h.With.Routing)
	}
	row("second half", r.SecondHalf)
	row("  family seen earlier (near-duplicates)", r.SeenFamily)
	row("  family not seen earlier", r.NewFamily)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nrelabelled by resolved neighbours: %d (severity onto gold %d, off gold %d; summed over %d order(s)); worst order's severity exact with learning: %.3f\n",
		r.Relabelled, r.Helped, r.Hurt, r.Orders, r.WorstWithSeverityExact)
	return err
}
