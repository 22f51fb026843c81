package triage

import (
	"strings"
	"testing"

	"github.com/logtriage/logtriage/triage/anomaly"
)

func TestApplyAnomalySeverity(t *testing.T) {
	sig := func(w float64) anomaly.Signal { return anomaly.Signal{Kind: "k", Reason: "r", Weight: w} }
	for _, tc := range []struct {
		name      string
		in        Score
		signals   []anomaly.Signal
		wantLabel string
		wantScore float64
	}{
		{"no signals", Score{Label: "low", Score: 20}, nil, "low", 20},
		{"weightless signals", Score{Label: "low", Score: 20}, []anomaly.Signal{sig(0)}, "low", 20},
		{"within the band", Score{Label: "low", Score: 20}, []anomaly.Signal{sig(10)}, "low", 30},
		{"capped at 20 points", Score{Label: "medium", Score: 40}, []anomaly.Signal{sig(10), sig(10), sig(10)}, "medium", 60},
		{"past the band: one label up", Score{Label: "low", Score: 35}, []anomaly.Signal{sig(10)}, "medium", 45},
		{"from info up to low", Score{Label: "info", Score: 10}, []anomaly.Signal{sig(8)}, "low", 18},
		{"never critical on their own", Score{Label: "high", Score: 80}, []anomaly.Signal{sig(20)}, "high", 84},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in
			applyAnomalySeverity(&got, tc.signals)
			if got.Label != tc.wantLabel || got.Score != tc.wantScore {
				t.Errorf("%s %.0f, want %s %.0f (reasons %q)", got.Label, got.Score, tc.wantLabel, tc.wantScore, got.Reasons)
			}
			weighted := 0
			for _, s := range tc.signals {
				if s.Weight > 0 {
					weighted++
				}
			}
			n := 0
			for _, r := range got.Reasons {
				if strings.HasPrefix(r, "anomaly k: r: +") {
					n++
				}
			}
			if n != weighted {
				t.Errorf("%d signal reasons, want one per weighted signal (%d): %q", n, weighted, got.Reasons)
			}
		})
	}
}
