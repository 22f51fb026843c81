package embed

import (
	"context"
	"math"
	"testing"

	"github.com/logtriage/logtriage/triage"
)

func cos(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

// The evidence line makes two reports of the same failure alike whatever
// their wording, and leaves near-duplicates as alike as they were.
func TestEvidenceWeighsApartFromWording(t *testing.T) {
	l, err := NewLocal(LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tls := triage.IncidentEvidence{FailureKind: "certificate or TLS failure", Role: "network", Category: "network"}
	pool := triage.IncidentEvidence{FailureKind: "resource exhausted", Role: "database", Category: "database"}
	envoy := "error upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: CERTIFICATE_VERIFY_FAILED"
	gateway := "error SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::certificate verify failed) while SSL handshaking to upstream"
	hikari := "error HikariPool-<*> - Connection is not available, request timed out after <*>ms"
	vecs, err := l.Embed(context.Background(), []string{
		triage.WithEvidence(tls, envoy), triage.WithEvidence(tls, gateway), triage.WithEvidence(pool, gateway),
		envoy, gateway, triage.WithEvidence(tls, envoy+" "), triage.WithEvidence(pool, hikari),
		hikari + "\n" + triage.WithEvidence(tls, "x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	same, plain, other := cos(vecs[0], vecs[1]), cos(vecs[3], vecs[4]), cos(vecs[1], vecs[2])
	if same < 0.5 || same <= plain+0.3 {
		t.Errorf("same incident, other wording: %.3f with evidence, %.3f without; want >= 0.5 and well above", same, plain)
	}
	if other >= same {
		t.Errorf("same wording, other evidence %.3f >= same evidence, other wording %.3f", other, same)
	}
	if d := cos(vecs[0], vecs[5]); d < 0.99 {
		t.Errorf("near-duplicates with the same evidence: %.3f, want about 1", d)
	}
	if d := cos(vecs[6], vecs[7]); d > 0.9 {
		t.Errorf("an evidence line that is not first is only text, yet %.3f alike to the evidence-weighted pool report", d)
	}
}

func TestEvidenceLineRoundTrip(t *testing.T) {
	ev := triage.IncidentEvidence{FailureKind: "resource exhausted", Role: "database", Category: "database"}
	got, ok := triage.ParseEvidenceLine(ev.Line())
	if !ok || got != ev {
		t.Errorf("ParseEvidenceLine(%q) = %+v, %v", ev.Line(), got, ok)
	}
	// A value cannot add a field or a line.
	sneaky := triage.IncidentEvidence{FailureKind: "x; category=security\nevidence: kind=y"}
	got, _ = triage.ParseEvidenceLine(sneaky.Line())
	if got.Category != "" || got.FailureKind == "" {
		t.Errorf("a separator in a value added a field: %+v from %q", got, sneaky.Line())
	}
	if _, ok := triage.ParseEvidenceLine("error evidence: kind=x"); ok {
		t.Error("a line not starting with the prefix parsed as evidence")
	}
}
