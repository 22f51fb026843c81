package audit_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/logtriage/logtriage/audit"
)

func TestToOCSF(t *testing.T) {
	e := audit.Event{ID: "e1", Seq: 9, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Tenant: "acme",
		Actor: audit.Actor{Kind: audit.ActorUser, Name: "sam", Role: "security"}, Action: audit.ActionCaseViewed,
		Resource: "case/c-1", Outcome: audit.Success, Reason: "INC-7", SourceAddr: "192.0.2.4", RequestID: "r1",
		PrevHash: "aa", Hash: "bb"}
	b, _ := json.Marshal(audit.ToOCSF(e))
	var got struct {
		ClassUID   int    `json:"class_uid"`
		ActivityID int    `json:"activity_id"`
		TypeUID    int    `json:"type_uid"`
		Time       int64  `json:"time"`
		StatusID   int    `json:"status_id"`
		Message    string `json:"message"`
		Actor      struct {
			User struct {
				Name   string `json:"name"`
				TypeID int    `json:"type_id"`
			} `json:"user"`
		} `json:"actor"`
		API struct {
			Operation string               `json:"operation"`
			Request   struct{ UID string } `json:"request"`
		} `json:"api"`
		Resources   []struct{ Type, UID string } `json:"resources"`
		SrcEndpoint struct{ IP string }          `json:"src_endpoint"`
		Metadata    struct {
			UID       string `json:"uid"`
			TenantUID string `json:"tenant_uid"`
			Sequence  uint64 `json:"sequence"`
		} `json:"metadata"`
		Unmapped struct {
			Hash string `json:"hash"`
		} `json:"unmapped"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.ClassUID != 6003 || got.ActivityID != 2 || got.TypeUID != 600302 || got.Time != e.Time.UnixMilli() ||
		got.StatusID != 1 || got.Message != "INC-7" || got.Actor.User.Name != "sam" || got.Actor.User.TypeID != 1 ||
		got.API.Operation != "case.viewed" || got.API.Request.UID != "r1" || len(got.Resources) != 1 ||
		got.Resources[0].Type != "case" || got.Resources[0].UID != "c-1" || got.SrcEndpoint.IP != "192.0.2.4" ||
		got.Metadata.UID != "e1" || got.Metadata.TenantUID != "acme" || got.Metadata.Sequence != 9 || got.Unmapped.Hash != "bb" {
		t.Fatalf("OCSF: %s", b)
	}
	for action, want := range map[string]int{audit.ActionPurge: 4, audit.ActionUploadReceived: 1, audit.ActionCaseTaken: 3, audit.ActionCaseCommented: 3, audit.ActionLLMSent: 99, "made.up": 99} {
		if got := audit.OCSFActivity(action); got != want {
			t.Errorf("%s: activity %d, want %d", action, got, want)
		}
	}
	failed := e
	failed.Outcome, failed.Actor.Kind = audit.Denied, audit.ActorService
	m := audit.ToOCSF(failed)
	if m["status_id"] != 2 || m["status_detail"] != "INC-7" || m["message"] != nil {
		t.Fatalf("denied: %v", m)
	}
}
