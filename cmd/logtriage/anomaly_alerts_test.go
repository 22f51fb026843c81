package main

import (
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
)

func TestRenderAnomalyAlert(t *testing.T) {
	a := &triage.Alert{Kind: "anomaly", CaseID: "case_9", Tenant: "acme", Upload: triage.Upload{Name: "auth.log"}, Time: time.Unix(0, 0),
		Anomalies: []anomaly.Signal{{Kind: anomaly.KindNewAdmin, Reason: "administrator action by an actor never seen for this tenant, first at line 31",
			Lines: []int{31}, Fingerprint: "fp-77aa", Security: true, Weight: 10}}}
	var b strings.Builder
	if err := renderAlert(&b, a); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"ALERT case_9", "anomaly new_admin_actor", "lines 31", "fingerprint fp-77aa"} {
		if !strings.Contains(out, want) {
			t.Errorf("alert rendering lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "why") {
		t.Errorf("an anomaly alert rendered PII risk reasons:\n%s", out)
	}
}
