package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/logtriage/logtriage/audit"
)

// Someone with write access to the database edits or deletes audit rows:
// verification names the event.
func TestAuditTamperingInDatabase(t *testing.T) {
	url := databaseURL(t)
	tests := []struct {
		name string
		sql  string
		kind audit.ProblemKind
		seq  uint64
	}{
		{"edit reason", `UPDATE {s}.audit_events SET doc = jsonb_set(doc, '{reason}', '"routine"') WHERE tenant = 'acme' AND seq = 3`, audit.ProblemModified, 3},
		{"delete row", `DELETE FROM {s}.audit_events WHERE tenant = 'acme' AND seq = 3`, audit.ProblemMissing, 3},
		{"delete tail", `DELETE FROM {s}.audit_events WHERE tenant = 'acme' AND seq >= 4`, audit.ProblemTruncated, 4},
		{"renumber", `UPDATE {s}.audit_events SET seq = seq + 100, doc = jsonb_set(doc, '{seq}', to_jsonb(seq + 100)) WHERE tenant = 'acme' AND seq = 5`, audit.ProblemModified, 105},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, url, freshSchema(t, url))
			defer s.Close()
			sg, _ := audit.GenerateSigner()
			c := audit.NewChain(s, sg, audit.Options{})
			ctx := context.Background()
			var es []audit.Event
			for i := 1; i <= 5; i++ {
				e, err := c.Record(ctx, audit.Event{Tenant: "acme", Actor: audit.Actor{Kind: audit.ActorUser, Name: "dana"},
					Action: audit.ActionCaseViewed, Resource: fmt.Sprintf("case/%d", i), Reason: "TICKET-1"})
				if err != nil {
					t.Fatal(err)
				}
				es = append(es, e)
			}
			if _, err := c.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.pool.Exec(ctx, s.auditSQL(tc.sql)); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.VerifyStore(ctx, s, audit.VerifyOptions{PublicKey: sg.PublicKey()})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.First.Kind != tc.kind || rep.First.Seq != tc.seq {
				t.Fatalf("first problem %v, want %s at seq %d", rep.First, tc.kind, tc.seq)
			}
			if tc.kind == audit.ProblemModified && tc.seq == 3 && rep.First.EventID != es[2].ID {
				t.Fatalf("names %s, want %s", rep.First.EventID, es[2].ID)
			}
		})
	}
}
