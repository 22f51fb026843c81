package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/keyring"
)

// engineFlags are the detector settings of every command that detects
// (scan, redact, triage, serve), under one set of names: --detectors FILE
// (env LOGTRIAGE_DETECTORS) for the rule file, --mode, --disable and
// --min-confidence; the one-shot commands also take the fingerprint key
// file (serve has its keyring). The routing config keeps its own flag
// (--routes, triage's --config).
type engineFlags struct {
	config  string
	keyFile string
	modes   string
	disable string
	minConf float64
}

func (f *engineFlags) register(fs *flag.FlagSet) {
	f.registerRules(fs)
	fs.StringVar(&f.keyFile, "fingerprint-key-file", "", "file holding the fingerprint HMAC key (env LOGTRIAGE_FINGERPRINT_KEY_FILE or LOGTRIAGE_FINGERPRINT_KEY; a random key per run when none)")
	fs.StringVar(&f.keyFile, "key-file", "", "the same as --fingerprint-key-file")
}

// registerRules registers what the detectors find and how they render it,
// without the key.
func (f *engineFlags) registerRules(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "detectors", os.Getenv("LOGTRIAGE_DETECTORS"), "detector config JSON: custom rules, allow-lists, modes (env LOGTRIAGE_DETECTORS; docs/detectors.md)")
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

// ruleOptions turns the flags into engine options without a key. An
// unknown finding type in --mode or --disable (or in the file) is an error
// from detectors.New naming the valid ones; checkRules reports it early.
func (f *engineFlags) ruleOptions() (detectors.Options, error) {
	var err error
	opts := detectors.Options{MinConfidence: f.minConf, Modes: map[string]detectors.Mode{}}
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

// checkRules builds the options once with a throw-away random key, so a
// bad file or an unknown type fails at start-up, before any key or service
// is opened.
func (f *engineFlags) checkRules() (detectors.Options, error) {
	opts, err := f.ruleOptions()
	if err != nil {
		return opts, err
	}
	check := opts
	check.FingerprintKey = keyring.Random(keyring.KeySize)
	if _, err := detectors.New(check); err != nil {
		return opts, err
	}
	return opts, nil
}

// engine is the engine of a one-shot command: the rules and the key from
// --fingerprint-key-file or the environment.
func (f *engineFlags) engine(stderr io.Writer) (*detectors.Engine, error) {
	opts, err := f.ruleOptions()
	if err != nil {
		return nil, err
	}
	if opts.FingerprintKey, err = oneShotFingerprintKey(f.keyFile, os.Getenv, stderrLogger(stderr)); err != nil {
		return nil, err
	}
	return detectors.New(opts)
}
