package portal

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logtriage/logtriage/triage"
)

// The API and the console show when retention deletes a case and an upload.
func TestDeleteAfterShown(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	c := *f.acmeCase
	c.DeleteAfter = time.Date(2026, 8, 28, 11, 0, 0, 0, time.UTC)
	must(t, f.store.PutCase(ctx, &c, nil))
	raw := time.Date(2026, 3, 31, 11, 0, 0, 0, time.UTC)
	must(t, f.store.SetStatus(ctx, triage.UploadStatus{Tenant: "acme", UploadID: c.Upload.ID, CaseID: c.ID, Status: triage.StatusTriaged, DeleteAfter: raw}))

	for _, tc := range []struct{ path, account, want string }{
		{"/api/v1/cases/" + c.ID, "cust-acme", `"delete_after":"2026-08-28T11:00:00Z"`},
		{"/api/v1/cases/" + c.ID, "agent-db", `"delete_after":"2026-08-28T11:00:00Z"`},
		{"/api/v1/uploads/" + c.Upload.ID, "cust-acme", `"delete_after":"2026-03-31T11:00:00Z"`},
	} {
		resp := f.api(http.MethodGet, tc.path, tc.account, "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s as %s: %d %s; want %s", tc.path, tc.account, resp.StatusCode, body, tc.want)
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			t.Errorf("%s: not JSON", tc.path)
		}
	}
	for _, p := range []Principal{
		{Name: "agent-db", Role: RoleAgent, Queues: []string{"db-oncall"}, Via: "session"},
		{Name: "cust-acme", Role: RoleCustomer, Tenant: "acme", Via: "session"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/cases/"+c.ID, nil)
		req.SetPathValue("id", c.ID)
		f.srv.casePage(rec, req, p, session{csrf: "test-csrf"})
		page := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(page, "Deleted after") || !strings.Contains(page, "2026-08-28 11:00 UTC") {
			t.Errorf("the console's case page for %s does not show the deletion date (%d):\n%s", p.Role, rec.Code, page)
		}
	}
}
