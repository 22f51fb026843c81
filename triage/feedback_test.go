package triage_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/detectors"
	"github.com/logtriage/logtriage/internal/openaitest"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/embed"
	"github.com/logtriage/logtriage/triage/llm"
	"github.com/logtriage/logtriage/triage/rules"
	"github.com/logtriage/logtriage/triage/store/embedded"
)

// poolLog is one rendering of a connection-pool outage; two renderings with
// different seeds are near-duplicates: the same failure at other times,
// hosts and request ids.
func poolLog(seed int) []byte {
	var b strings.Builder
	t0 := time.Date(2026, 3, 1, 9, seed%60, 0, 0, time.UTC)
	fmt.Fprintf(&b, "%s INFO  [main] com.shop.Application: Started shop-api on host api-%d\n", t0.Format("2006-01-02 15:04:05,000"), seed)
	for i := 0; i < 6; i++ {
		ts := t0.Add(time.Duration(i+1) * time.Second).Format("2006-01-02 15:04:05,000")
		fmt.Fprintf(&b, "%s ERROR [http-nio-8080-exec-%d] com.zaxxer.hikari.pool.HikariPool: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=%d, active=%d, idle=0, waiting=%d)\n", ts, i+seed, 10, 10, 40+i*seed)
		fmt.Fprintf(&b, "%s ERROR [http-nio-8080-exec-%d] com.shop.web.OrderController: GET /api/orders/%d failed: org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection\n", ts, i+seed, 1000+i*seed)
	}
	return []byte(b.String())
}

// tlsLog is an unrelated failure: an expired upstream certificate.
func tlsLog() []byte {
	var b strings.Builder
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "2026-03-02T10:00:0%dZ error upstream connect error: x509: certificate has expired or is not yet valid: current time 2026-03-02T10:00:0%dZ is after 2026-02-28T00:00:00Z host=billing.internal\n", i, i)
	}
	return []byte(b.String())
}

type feedbackRig struct {
	store *embedded.Store
	pipe  *triage.Pipeline
}

func newFeedbackRig(t *testing.T, store *embedded.Store, fb triage.FeedbackOptions) *feedbackRig {
	return newFeedbackRigWith(t, store, fb, nil)
}

func newFeedbackRigWith(t *testing.T, store *embedded.Store, fb triage.FeedbackOptions, cls triage.Classifier) *feedbackRig {
	t.Helper()
	if store == nil {
		var err error
		if store, err = embedded.Open(t.TempDir(), embedded.Options{NoSync: true}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
	}
	eng, err := detectors.New(detectors.Options{FingerprintKey: []byte("test-fingerprint-key-not-secret")})
	if err != nil {
		t.Fatal(err)
	}
	emb, err := embed.NewLocal(embed.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: eng, Router: router.Default(), Rules: rules.New(router.Default()), Embedder: emb, Store: store, Feedback: fb, Classifier: cls})
	if err != nil {
		t.Fatal(err)
	}
	return &feedbackRig{store: store, pipe: p}
}

// triage runs one upload and persists it, as the worker does.
func (r *feedbackRig) triage(t *testing.T, tenant, upload string, content []byte) *triage.Case {
	t.Helper()
	ctx := context.Background()
	c, emb, err := r.pipe.Run(ctx, triage.Input{Tenant: tenant, Upload: triage.Upload{ID: upload, Name: upload + ".log"}, Content: bytes.NewReader(content)})
	if err != nil {
		t.Fatalf("Run(%s): %v", upload, err)
	}
	if err := r.store.PutCase(ctx, c, emb); err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *feedbackRig) resolve(t *testing.T, c *triage.Case, severity, category, queue string) {
	t.Helper()
	res := triage.Resolution{Tenant: c.Tenant, CaseID: c.ID, Agent: "ana", Severity: severity, Category: category, Queue: queue}
	if err := r.store.Resolve(context.Background(), res); err != nil {
		t.Fatal(err)
	}
}

// A corrected case changes the labels of its near-duplicate, with the
// neighbour named in the reasons, and not those of an unrelated case.
func TestCorrectionRelabelsNearDuplicateOnly(t *testing.T) {
	rig := newFeedbackRig(t, nil, triage.FeedbackOptions{})
	base := newFeedbackRig(t, nil, triage.FeedbackOptions{Off: true}) // the classifier alone, for comparison

	first := rig.triage(t, "acme", "up-1", poolLog(1))
	alone := base.triage(t, "acme", "up-2", poolLog(2))
	unrelatedAlone := base.triage(t, "acme", "up-3", tlsLog())
	// The correction must differ from what the classifier says, or the
	// test could not tell feedback from the classifier agreeing.
	wantSeverity, wantCategory, wantQueue := "low", "network", "network"
	if alone.Severity.Label == wantSeverity || alone.Category == wantCategory || alone.Queue == wantQueue {
		t.Fatalf("the classifier alone already says %s/%s/%s; pick another correction", alone.Severity.Label, alone.Category, alone.Queue)
	}
	rig.resolve(t, first, wantSeverity, wantCategory, wantQueue)

	dup := rig.triage(t, "acme", "up-2", poolLog(2))
	if dup.Severity.Label != wantSeverity || dup.Category != wantCategory || dup.Queue != wantQueue {
		t.Errorf("near-duplicate: %s/%s/%s, want the correction %s/%s/%s", dup.Severity.Label, dup.Category, dup.Queue, wantSeverity, wantCategory, wantQueue)
	}
	if !strings.Contains(strings.Join(dup.Severity.Reasons, "\n"), first.ID) {
		t.Errorf("severity reasons do not name the neighbour %s: %q", first.ID, dup.Severity.Reasons)
	}
	if !strings.Contains(strings.Join(dup.RouteReasons, "\n"), first.ID) {
		t.Errorf("route reasons do not name the neighbour %s: %q", first.ID, dup.RouteReasons)
	}
	if !strings.Contains(dup.Classifier.Feedback, first.ID) || !strings.Contains(dup.Classifier.Feedback, "severity low") {
		t.Errorf("classifier info does not say the labels came from %s: %q", first.ID, dup.Classifier.Feedback)
	}

	unrelated := rig.triage(t, "acme", "up-3", tlsLog())
	if unrelated.Severity.Label != unrelatedAlone.Severity.Label || unrelated.Category != unrelatedAlone.Category || unrelated.Queue != unrelatedAlone.Queue {
		t.Errorf("unrelated case: %s/%s/%s, want the classifier's own %s/%s/%s", unrelated.Severity.Label, unrelated.Category, unrelated.Queue,
			unrelatedAlone.Severity.Label, unrelatedAlone.Category, unrelatedAlone.Queue)
	}
	if unrelated.Classifier.Feedback != "" {
		t.Errorf("unrelated case consulted neighbours: %q", unrelated.Classifier.Feedback)
	}
}

// A correction from tenant A never influences tenant B, unless cross-tenant
// learning is switched on.
func TestCorrectionStaysInItsTenant(t *testing.T) {
	for _, tc := range []struct {
		name        string
		crossTenant bool
		wantLearned bool
	}{
		{"default", false, false},
		{"cross-tenant learning on", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := newFeedbackRig(t, nil, triage.FeedbackOptions{CrossTenant: tc.crossTenant})
			first := rig.triage(t, "tenant-a", "up-1", poolLog(1))
			rig.resolve(t, first, "low", "network", "")
			other := rig.triage(t, "tenant-b", "up-2", poolLog(2))
			learned := other.Severity.Label == "low" && other.Category == "network"
			if learned != tc.wantLearned {
				t.Errorf("tenant-b's near-duplicate: %s/%s (feedback %q); learned from tenant-a = %v, want %v",
					other.Severity.Label, other.Category, other.Classifier.Feedback, learned, tc.wantLearned)
			}
			// And tenant-a itself always learns.
			own := rig.triage(t, "tenant-a", "up-3", poolLog(3))
			if own.Severity.Label != "low" || own.Category != "network" {
				t.Errorf("tenant-a's own near-duplicate: %s/%s, want low/network", own.Severity.Label, own.Category)
			}
		})
	}
}

// Neighbours that disagree on a label leave it to the classifier.
func TestVote(t *testing.T) {
	ex := func(sev, cat, queue string) triage.Example {
		return triage.Example{Severity: sev, Category: cat, Queue: queue}
	}
	for _, tc := range []struct {
		name          string
		xs            []triage.Example
		sev, cat, que string
	}{
		{"none", nil, "", "", ""},
		{"one", []triage.Example{ex("low", "network", "network")}, "low", "network", "network"},
		{"all agree", []triage.Example{ex("high", "database", "database"), ex("high", "database", "database")}, "high", "database", "database"},
		{"severity split", []triage.Example{ex("high", "database", "database"), ex("medium", "database", "database")}, "", "database", "database"},
		{"everything split", []triage.Example{ex("high", "database", "database"), ex("low", "network", "network")}, "", "", ""},
	} {
		v := triage.Vote(tc.xs)
		if v.Severity != tc.sev || v.Category != tc.cat || v.Queue != tc.que {
			t.Errorf("%s: Vote = %s/%s/%s, want %s/%s/%s", tc.name, v.Severity, v.Category, v.Queue, tc.sev, tc.cat, tc.que)
		}
	}
}

// With an LLM, the nearest resolved cases of the case's own tenant go into
// the prompt (classify v2) as examples: redacted key lines and the agents'
// labels. Another tenant's text never does, even with cross-tenant learning.
func TestFewShotExamplesInPrompt(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Model: "test-model"})
	cls, err := llm.New(llm.Options{BaseURL: srv.URL, Model: "test-model", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	store, err := embedded.Open(t.TempDir(), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rules := newFeedbackRig(t, store, triage.FeedbackOptions{}) // resolved cases judged by the rules
	email := "mara.lindqvist" + "@" + "example.org"
	withEmail := append(poolLog(1), []byte("2026-03-01 09:01:09,000 ERROR [http-nio-8080-exec-9] com.shop.web.OrderController: order for "+email+" failed: pool exhausted\n")...)
	first := rules.triage(t, "acme", "up-1", withEmail)
	rules.resolve(t, first, "medium", "database", "")

	rig := newFeedbackRigWith(t, store, triage.FeedbackOptions{CrossTenant: true}, cls)
	dup := rig.triage(t, "acme", "up-2", poolLog(2))
	if dup.Classifier.PromptVersion != "classify-v2" {
		t.Fatalf("prompt version %q, want classify-v2", dup.Classifier.PromptVersion)
	}
	reqs := srv.Requests()
	user := reqs[len(reqs)-1].Message("user")
	_, cases, ok := strings.Cut(user, "Resolved cases like this one")
	if !ok {
		t.Fatalf("the prompt carries no resolved cases:\n%s", user)
	}
	cases, _, _ = strings.Cut(cases, "Excerpt (")
	if !strings.Contains(cases, "severity=medium category=database") {
		t.Errorf("the example lacks the agent's labels:\n%s", cases)
	}
	if !strings.Contains(cases, first.KeyLines[0]) {
		t.Errorf("the example lacks the resolved case's key line %q:\n%s", first.KeyLines[0], cases)
	}
	if strings.Contains(user, email) {
		t.Error("a raw email from the resolved case reached the prompt")
	}

	// Tenant globex, cross-tenant learning on: acme's text stays out.
	before := len(srv.Requests())
	rig.triage(t, "globex", "up-3", poolLog(3))
	reqs = srv.Requests()
	if len(reqs) == before {
		t.Fatal("the model was not asked for globex's case")
	}
	if user := reqs[len(reqs)-1].Message("user"); strings.Contains(user, "Resolved cases like this one") || strings.Contains(user, first.KeyLines[0]) {
		t.Errorf("acme's resolved case reached globex's prompt:\n%s", user)
	}
}

// The signature starts with the evidence the rules read, unless the
// pipeline is told to keep signatures plain.
func TestSignatureCarriesEvidence(t *testing.T) {
	c := newFeedbackRig(t, nil, triage.FeedbackOptions{}).triage(t, "acme", "up-1", poolLog(1))
	first, _, _ := strings.Cut(c.Signature, "\n")
	ev, ok := triage.ParseEvidenceLine(first)
	if !ok || ev.FailureKind != "resource exhausted" || ev.Role != "database" || ev.Category != c.Category {
		t.Errorf("signature's first line %q: evidence %+v, want resource exhausted / database / %s", first, ev, c.Category)
	}
	eng, err := detectors.New(detectors.Options{FingerprintKey: []byte("test-fingerprint-key-not-secret")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := triage.NewPipeline(triage.PipelineOptions{Detector: eng, Router: router.Default(), Rules: rules.New(router.Default()), PlainSignature: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := p.Run(context.Background(), triage.Input{Tenant: "acme", Upload: triage.Upload{ID: "u"}, Content: bytes.NewReader(poolLog(1))})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(plain.Signature, triage.EvidencePrefix) || !strings.HasSuffix(c.Signature, plain.Signature) {
		t.Errorf("plain signature %q; with evidence %q", plain.Signature, c.Signature)
	}
}

// Corrected labels must come from the severity scale and the routing
// config, or the example would teach a label no case can be given.
func TestValidateResolution(t *testing.T) {
	ok := triage.Resolution{Tenant: "acme", CaseID: "c1", Severity: "low", Category: "network", Queue: "network", Note: "n"}
	for _, tc := range []struct {
		name  string
		edit  func(*triage.Resolution)
		valid bool
	}{
		{"valid", func(*triage.Resolution) {}, true},
		{"confirmation only", func(r *triage.Resolution) { r.Severity, r.Category, r.Queue = "", "", "" }, true},
		{"severity off the scale", func(r *triage.Resolution) { r.Severity = "urgent" }, false},
		{"category not configured", func(r *triage.Resolution) { r.Category = "astrology" }, false},
		{"queue not configured", func(r *triage.Resolution) { r.Queue = "nowhere" }, false},
		{"no case", func(r *triage.Resolution) { r.CaseID = "" }, false},
		{"no tenant", func(r *triage.Resolution) { r.Tenant = " " }, false},
		{"note too long", func(r *triage.Resolution) { r.Note = strings.Repeat("x", triage.MaxResolutionNote+1) }, false},
	} {
		r := ok
		tc.edit(&r)
		err := triage.ValidateResolution(r, router.Default())
		if (err == nil) != tc.valid || (err != nil && triage.KindOf(err) != triage.KindInvalid) {
			t.Errorf("%s: %v, want valid %v (and an invalid-kind error otherwise)", tc.name, err, tc.valid)
		}
	}
}
