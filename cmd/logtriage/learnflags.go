package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/logtriage/logtriage/triage"
)

// learnFlags are serve's settings for learning from agents
// (docs/feedback.md): resolved cases label their near-duplicates.
type learnFlags struct {
	off, crossTenant bool
	threshold        float64
}

func (f *learnFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	envBool := func(key string) bool { b, _ := strconv.ParseBool(getenv(key)); return b }
	envFloat := func(key string) float64 { v, _ := strconv.ParseFloat(getenv(key), 64); return v }
	fs.BoolVar(&f.off, "no-learning", envBool("LOGTRIAGE_NO_LEARNING"), "do not let resolved cases label new ones (env LOGTRIAGE_NO_LEARNING)")
	fs.BoolVar(&f.crossTenant, "learn-cross-tenant", envBool("LOGTRIAGE_LEARN_CROSS_TENANT"),
		"let one tenant's resolutions label another tenant's cases; labels only, never text (env LOGTRIAGE_LEARN_CROSS_TENANT)")
	fs.Float64Var(&f.threshold, "learn-threshold", envFloat("LOGTRIAGE_LEARN_THRESHOLD"),
		"cosine similarity from which a resolved case labels a new one (default 0.90; env LOGTRIAGE_LEARN_THRESHOLD)")
}

// apply sets the pipeline's feedback options.
func (f *learnFlags) apply(o *triage.PipelineOptions) {
	o.Feedback.Off, o.Feedback.CrossTenant = f.off, f.crossTenant
	if f.threshold > 0 {
		o.Feedback.MinSimilarity = f.threshold
	}
}

// check refuses a threshold outside (0, 1]: cosine similarity above 1 never
// happens, so such a setting would silently turn learning off.
func (f *learnFlags) check() error {
	if f.threshold < 0 || f.threshold > 1 {
		return fmt.Errorf("--learn-threshold %g: a cosine similarity in (0, 1]", f.threshold)
	}
	return nil
}
