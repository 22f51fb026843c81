package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/logtriage/logtriage/detectors"
)

// engineFlags are the detector settings of every command that detects
// (scan, redact, triage, serve), under one set of names: --detectors FILE
// (env LOGTRIAGE_DETECTORS) for the rule file, --mode, --disable,
// --min-confidence and --key-file. The routing config keeps its own flag
// (--routes, triage's --config).
type engineFlags struct {
	config  string
	keyFile string
	modes   string
	disable string
	minConf float64
}

func (f *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "detectors", os.Getenv("LOGTRIAGE_DETECTORS"), "detector config JSON: custom rules, allow-lists, modes (env LOGTRIAGE_DETECTORS; docs/detectors.md)")
	fs.StringVar(&f.keyFile, "key-file", "", "file holding the fingerprint HMAC key (default env LOGTRIAGE_FINGERPRINT_KEY)")
	fs.StringVar(&f.modes, "mode", "", "redaction modes, e.g. credit_card=partial,email=mask (fingerprint, mask, partial, drop)")
	fs.StringVar(&f.disable, "disable", "", "comma-separated finding types to skip (logtriage types lists them)")
	fs.Float64Var(&f.minConf, "min-confidence", 0, "drop findings below this confidence (0..1)")
}

// registerConfigAlias keeps scan's and redact's original --config for the
// detector file; triage's --config is its routing config, so the name that
// works everywhere is --detectors.
func (f *engineFlags) registerConfigAlias(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", f.config, "same as --detectors")
}

// options turns the flags into engine options. An unknown finding type in
// --mode or --disable (or in the file) is an error from detectors.New
// naming the valid ones.
func (f *engineFlags) options(stderr io.Writer) (detectors.Options, error) {
	key, err := resolveKey(f.keyFile, stderr)
	if err != nil {
		return detectors.Options{}, err
	}
	opts := detectors.Options{FingerprintKey: key, MinConfidence: f.minConf, Modes: map[string]detectors.Mode{}}
	if f.config != "" {
		if opts.Config, err = detectors.LoadConfig(f.config); err != nil {
			return opts, err
		}
	}
	for _, kv := range splitList(f.modes) {
		t, m, ok := strings.Cut(kv, "=")
		if !ok {
			return opts, fmt.Errorf("--mode %q: want type=mode", kv)
		}
		opts.Modes[t] = detectors.Mode(m)
	}
	opts.DisabledTypes = splitList(f.disable)
	return opts, nil
}

func (f *engineFlags) engine(stderr io.Writer) (*detectors.Engine, error) {
	opts, err := f.options(stderr)
	if err != nil {
		return nil, err
	}
	return detectors.New(opts)
}
