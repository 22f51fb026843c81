package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/audit/audittest"
)

// tamperCase is one attack on a stored or exported chain of ten acme events
// (checkpoints signed at seq 5 and 10) and what verification must say.
type tamperCase struct {
	name     string
	mutate   func(es []audit.Event) []audit.Event
	wrongKey bool
	kind     audit.ProblemKind
	seq      uint64 // the seq the first problem names
	idOfSeq  uint64 // the original event whose id the problem names (0: none)
}

func rehash(es []audit.Event, from int) {
	for i := from; i < len(es); i++ {
		if i > 0 {
			es[i].PrevHash = es[i-1].Hash
		}
		es[i].Hash = audit.ComputeHash(&es[i])
	}
}

var tamperCases = []tamperCase{
	{name: "edit", kind: audit.ProblemModified, seq: 4, idOfSeq: 4,
		mutate: func(es []audit.Event) []audit.Event { es[3].Reason = "nothing to see"; return es }},
	{name: "edit actor, own hash recomputed", kind: audit.ProblemBrokenLink, seq: 5, idOfSeq: 5,
		mutate: func(es []audit.Event) []audit.Event {
			es[3].Actor.Name = "someone-else"
			es[3].Hash = audit.ComputeHash(&es[3])
			return es
		}},
	{name: "edit and rewrite the rest of the chain", kind: audit.ProblemCheckpoint, seq: 5,
		mutate: func(es []audit.Event) []audit.Event {
			es[3].Resource = "case/innocent"
			rehash(es, 3)
			return es
		}},
	{name: "delete", kind: audit.ProblemMissing, seq: 4, idOfSeq: 5,
		mutate: func(es []audit.Event) []audit.Event { return slices.Delete(es, 3, 4) }},
	{name: "delete first", kind: audit.ProblemStart, seq: 2, idOfSeq: 2,
		mutate: func(es []audit.Event) []audit.Event { return es[1:] }},
	// The seq is hashed: renumbering without rehashing is an edit.
	{name: "delete and renumber", kind: audit.ProblemModified, seq: 4, idOfSeq: 5,
		mutate: func(es []audit.Event) []audit.Event {
			es = slices.Delete(es, 3, 4)
			for i := 3; i < len(es); i++ {
				es[i].Seq--
			}
			return es
		}},
	{name: "insert", kind: audit.ProblemOrder, seq: 4, idOfSeq: 4,
		mutate: func(es []audit.Event) []audit.Event {
			forged := es[3]
			forged.ID, forged.Resource = "forged", "case/forged"
			forged.Hash = audit.ComputeHash(&forged)
			return slices.Insert(es, 3, forged)
		}},
	{name: "reorder", kind: audit.ProblemMissing, seq: 4, idOfSeq: 5,
		mutate: func(es []audit.Event) []audit.Event { es[3], es[4] = es[4], es[3]; return es }},
	{name: "truncate tail", kind: audit.ProblemTruncated, seq: 8,
		mutate: func(es []audit.Event) []audit.Event { return es[:7] }},
	{name: "wrong public key", wrongKey: true, kind: audit.ProblemSignature, seq: 5,
		mutate: func(es []audit.Event) []audit.Event { return es }},
}

// tamperFixture records ten acme events (and a few of globex, which must
// not matter) with checkpoints at acme seq 5 and 10.
func tamperFixture(t *testing.T) (*audittest.MemStore, *audit.Signer, []audit.Event) {
	t.Helper()
	c, st, sg, _ := newChain(t)
	var es []audit.Event
	for i := 1; i <= 10; i++ {
		es = append(es, record(t, c, event("acme", audit.ActionCaseViewed, fmt.Sprintf("case/c-%d", i))))
		record(t, c, event("globex", audit.ActionCaseViewed, "case/g"))
		if i == 5 || i == 10 {
			if _, err := c.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, sg, es
}

func checkProblem(t *testing.T, tc tamperCase, rep audit.Report, orig []audit.Event) {
	t.Helper()
	if rep.OK || rep.First == nil {
		t.Fatalf("tampering not detected: %+v", rep)
	}
	p := rep.First
	if p.Tenant != "acme" || p.Kind != tc.kind || p.Seq != tc.seq {
		t.Fatalf("first problem = %v, want %s at seq %d", p, tc.kind, tc.seq)
	}
	if tc.idOfSeq > 0 && p.EventID != orig[tc.idOfSeq-1].ID {
		t.Fatalf("problem names event %q, want %q (seq %d)", p.EventID, orig[tc.idOfSeq-1].ID, tc.idOfSeq)
	}
	for _, tr := range rep.Tenants {
		if tr.Tenant == "globex" && len(tr.Problems) > 0 && !tc.wrongKey {
			t.Fatalf("untouched tenant reported: %v", tr.Problems)
		}
	}
}

func TestTamperingInStoreIsDetected(t *testing.T) {
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			st, sg, orig := tamperFixture(t)
			pub := sg.PublicKey()
			if tc.wrongKey {
				other, _ := audit.GenerateSigner()
				pub = other.PublicKey()
			}
			st.Tamper("acme", func(es []audit.Event) []audit.Event { return tc.mutate(es) })
			rep, err := audit.VerifyStore(context.Background(), st, audit.VerifyOptions{PublicKey: pub})
			if err != nil {
				t.Fatal(err)
			}
			checkProblem(t, tc, rep, orig)
		})
	}
}

// splitExport separates an export's acme event lines from the other lines.
func splitExport(t *testing.T, b []byte) (others [][]byte, acme []audit.Event) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := slices.Clone(sc.Bytes())
		var e audit.Event
		if bytes.HasPrefix(line, []byte(`{"id"`)) && json.Unmarshal(line, &e) == nil && e.Tenant == "acme" {
			acme = append(acme, e)
			continue
		}
		others = append(others, line)
	}
	return others, acme
}

func TestTamperingInExportIsDetected(t *testing.T) {
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			st, sg, orig := tamperFixture(t)
			var buf bytes.Buffer
			if err := audit.WriteExport(context.Background(), st, &buf, audit.ExportQuery{AllTenants: true}, audit.ExportHeader{}); err != nil {
				t.Fatal(err)
			}
			pub := sg.PublicKey()
			if tc.wrongKey {
				other, _ := audit.GenerateSigner()
				pub = other.PublicKey()
			}
			others, acme := splitExport(t, buf.Bytes())
			if len(acme) != 10 {
				t.Fatalf("export has %d acme events, want 10", len(acme))
			}
			var out bytes.Buffer
			for _, l := range others {
				out.Write(l)
				out.WriteByte('\n')
			}
			for _, e := range tc.mutate(acme) {
				b, _ := json.Marshal(e)
				out.Write(b)
				out.WriteByte('\n')
			}
			rep, err := audit.VerifyExport(&out, audit.VerifyOptions{PublicKey: pub})
			if err != nil {
				t.Fatal(err)
			}
			checkProblem(t, tc, rep, orig)
			if rep.First.Line == 0 && tc.kind != audit.ProblemTruncated {
				t.Fatalf("problem in a file names no line: %v", rep.First)
			}
		})
	}
}

// Editing the file as text (one character of one line) is found too, and
// a line that is not JSON is reported with its number, not skipped.
func TestTamperingExportText(t *testing.T) {
	st, sg, orig := tamperFixture(t)
	var buf bytes.Buffer
	if err := audit.WriteExport(context.Background(), st, &buf, audit.ExportQuery{Tenant: "acme"}, audit.ExportHeader{}); err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(buf.String(), `"case/c-7"`, `"case/c-8"`, 1)
	rep, _ := audit.VerifyExport(strings.NewReader(edited), audit.VerifyOptions{PublicKey: sg.PublicKey()})
	if rep.OK || rep.First.Kind != audit.ProblemModified || rep.First.EventID != orig[6].ID {
		t.Fatalf("text edit: %v", rep.First)
	}
	broken := strings.Replace(buf.String(), `{"id"`, `{"id`, 1)
	rep, _ = audit.VerifyExport(strings.NewReader(broken), audit.VerifyOptions{PublicKey: sg.PublicKey()})
	if rep.OK || rep.First.Kind != audit.ProblemMalformed || rep.First.Line == 0 {
		t.Fatalf("malformed line: %v", rep.First)
	}
	// --tenant picks one chain out of a file.
	rep, _ = audit.VerifyExport(strings.NewReader(edited), audit.VerifyOptions{PublicKey: sg.PublicKey(), Tenant: "globex"})
	if !rep.OK || rep.Events != 0 {
		t.Fatalf("other tenant's view of the file: %+v", rep)
	}
}
