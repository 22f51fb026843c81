package main

import (
	"io"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

// serve's learning settings reach the pipeline's feedback options, from
// flags or the environment; a threshold outside (0, 1] is a usage error.
func TestServeLearningFlags(t *testing.T) {
	for _, key := range []string{"LOGTRIAGE_NO_LEARNING", "LOGTRIAGE_LEARN_CROSS_TENANT", "LOGTRIAGE_LEARN_THRESHOLD"} {
		t.Setenv(key, "")
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want triage.FeedbackOptions
	}{
		{"defaults", nil, nil, triage.FeedbackOptions{}},
		{"flags", []string{"--learn-cross-tenant", "--learn-threshold", "0.95"}, nil, triage.FeedbackOptions{CrossTenant: true, MinSimilarity: 0.95}},
		{"env", nil, map[string]string{"LOGTRIAGE_NO_LEARNING": "1", "LOGTRIAGE_LEARN_THRESHOLD": "0.85"}, triage.FeedbackOptions{Off: true, MinSimilarity: 0.85}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, code, ok := parseServe(tc.args, io.Discard)
			if !ok {
				t.Fatalf("parseServe(%v): exit %d", tc.args, code)
			}
			var o triage.PipelineOptions
			cfg.learn.apply(&o)
			if o.Feedback != tc.want {
				t.Errorf("feedback options %+v, want %+v", o.Feedback, tc.want)
			}
		})
	}
	for _, bad := range []string{"1.5", "-0.1"} {
		if _, code, ok := parseServe([]string{"--learn-threshold", bad}, io.Discard); ok || code != 2 {
			t.Errorf("--learn-threshold %s: ok %v exit %d, want a usage error", bad, ok, code)
		}
	}
}
