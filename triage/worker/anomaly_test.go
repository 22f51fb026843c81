package worker

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/anomaly"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/rules"
)

// anomalyPipeline is e.pipeline with anomaly signals on, over the env's store.
func (e *env) anomalyPipeline() *triage.Pipeline {
	e.t.Helper()
	det, err := detectors.New(detectors.Options{FingerprintKey: e.key})
	if err != nil {
		e.t.Fatal(err)
	}
	embedder, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: det, Router: router.Default(), Rules: rules.New(router.Default()),
		Embedder: embedder, Store: e.store, Anomalies: &triage.AnomalyOptions{}})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// authLog is an sshd log: routine logins by deploy from one address, and
// extra lines appended.
func authLog(extra ...string) []byte {
	var b bytes.Buffer
	for i := range 30 {
		fmt.Fprintf(&b, "Mar  2 10:%02d:%02d bastion sshd[%d]: Accepted publickey for deploy from 10.20.30.40 port %d ssh2\n", i/2, (i%2)*30, 4000+i, 50000+i)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

func TestAnomalyAlertOnNewAdminCarriesFingerprintsOnly(t *testing.T) {
	e := newEnv(t)
	e.startWorker(e.anomalyPipeline(), nil)
	first := e.submit("acme", "auth-1.log", authLog())
	if out := e.outcome(first.Event.UploadID); out.Case == nil || len(out.Case.Anomalies) != 0 {
		t.Fatalf("first upload: %+v", out)
	}
	// The worker records the history after the case; the next upload must see it.
	var hs triage.HistoryStore = e.store
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := hs.History(t.Context(), triage.HistoryQuery{Tenant: "acme"})
		if err == nil && len(h) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history not recorded: %v, %v", h, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	const intruder = "mallory"
	second := e.submit("acme", "auth-2.log", authLog(
		"Mar  2 11:00:00 bastion sudo:  "+intruder+" : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/bash",
		"Mar  2 11:00:09 bastion sshd[5001]: Accepted password for deploy from 198.51.100.77 port 40022 ssh2"))
	out := e.outcome(second.Event.UploadID)
	if out.Case == nil {
		t.Fatalf("outcome %+v", out)
	}
	alerts := e.messages(AlertsStream, AnomalyAlertSubject)
	if len(alerts) != 1 {
		t.Fatalf("%d anomaly alerts, want 1 (case anomalies %+v)", len(alerts), out.Case.Anomalies)
	}
	a := decode[triage.Alert](t, alerts[0].Data())
	got := map[string]string{}
	for _, s := range a.Anomalies {
		got[s.Kind] = s.Fingerprint
		if s.Template != "" || s.Fingerprint == "" {
			t.Errorf("alert signal %+v: want a fingerprint and no template", s)
		}
	}
	if a.Kind != "anomaly" || a.CaseID != out.Case.ID || got[anomaly.KindNewAdmin] == "" || got[anomaly.KindNewSource] == "" {
		t.Errorf("alert %+v: want new_admin_actor and new_source for case %s", a, out.Case.ID)
	}
	for _, raw := range []string{intruder, "198.51.100.77"} {
		if strings.Contains(string(alerts[0].Data()), raw) {
			t.Errorf("anomaly alert carries the raw value %q", raw)
		}
	}
	// The PII subject is not used for it.
	if n := len(e.messages(AlertsStream, DefaultAlertSubject)); n != 0 {
		t.Errorf("%d PII alerts for a log without PII risk", n)
	}
}
