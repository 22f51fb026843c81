package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audittest"
)

// benchChain records n realistic events over 10 tenants, checkpointed every 1000.
func benchChain(b *testing.B, n int) (*audittest.MemStore, *audit.Signer) {
	b.Helper()
	c, st, sg, _ := newChain(b)
	for i := 0; i < n; i++ {
		e := event(fmt.Sprintf("tenant-%d", i%10), audit.ActionLLMSent, fmt.Sprintf("upload/u-%d", i))
		e.SourceAddr, e.RequestID = "10.0.0.7", fmt.Sprintf("req-%08d", i)
		e.Detail = map[string]string{"endpoint": "api.openai.com", "model": "gpt-4o-mini", "prompt_tokens": "1834", "completion_tokens": "212"}
		record(b, c, e)
		if i%1000 == 999 {
			c.Checkpoint(context.Background())
		}
	}
	return st, sg
}

func collect(b *testing.B, st *audittest.MemStore) []audit.Event {
	var es []audit.Event
	st.ExportAudit(context.Background(), audit.ExportQuery{AllTenants: true}, func(e audit.Event) error {
		es = append(es, e)
		return nil
	})
	return es
}

// BenchmarkVerifyChain is the verifier over decoded events (what `audit
// verify` does with a store); Baseline_SHA256 hashes the same canonical forms
// and checks nothing, the floor any verifier pays.
func BenchmarkVerifyChain(b *testing.B) {
	const n = 50_000
	st, sg := benchChain(b, n)
	es := collect(b, st)
	b.Run("Baseline_SHA256", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			for i := range es {
				buf = audit.AppendCanonical(buf[:0], &es[i])
				_ = sha256.Sum256(buf)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("Verifier", func(b *testing.B) {
		for b.Loop() {
			v := audit.NewVerifier(audit.VerifyOptions{PublicKey: sg.PublicKey()})
			for i := range es {
				v.Add(&es[i], 0)
			}
			if rep := v.Finish(); !rep.OK {
				b.Fatal(rep.First)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkVerifyExport is the offline path: parse the JSONL export and verify.
func BenchmarkVerifyExport(b *testing.B) {
	const n = 50_000
	st, sg := benchChain(b, n)
	var buf bytes.Buffer
	if err := audit.WriteExport(context.Background(), st, &buf, audit.ExportQuery{AllTenants: true}, audit.ExportHeader{}); err != nil {
		b.Fatal(err)
	}
	b.Run("VerifyExport", func(b *testing.B) {
		b.SetBytes(int64(buf.Len()))
		for b.Loop() {
			rep, err := audit.VerifyExport(bytes.NewReader(buf.Bytes()), audit.VerifyOptions{PublicKey: sg.PublicKey()})
			if err != nil || !rep.OK || rep.Events != n {
				b.Fatal(err, rep.First)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	})
	// The same lines decoded with encoding/json, as the verifier did before
	// its fast path: the baseline of the ratio.
	b.Run("Baseline_encodingJSON", func(b *testing.B) {
		b.SetBytes(int64(buf.Len()))
		for b.Loop() {
			v := audit.NewVerifier(audit.VerifyOptions{PublicKey: sg.PublicKey()})
			for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
				var l struct {
					audit.Event
					Checkpoint *audit.Checkpoint `json:"checkpoint"`
				}
				if len(line) == 0 || json.Unmarshal(line, &l) != nil {
					continue
				}
				if l.Checkpoint != nil {
					v.AddCheckpoint(*l.Checkpoint, 0)
				} else if l.Tenant != "" {
					v.Add(&l.Event, 0)
				}
			}
			if rep := v.Finish(); !rep.OK || rep.Events != n {
				b.Fatal(rep.First)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
