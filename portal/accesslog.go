package portal

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/logtriage/logtriage/audit"
)

type accessLogData struct {
	Mounted bool
	Events  []audit.Event
	Next    string
}

// accessLogPage shows a customer who read their tenant's data: the page
// asks the mounted audit handler (the same GET /api/v1/audit the API
// serves, with the same scope) and renders its answer.
func (s *Server) accessLogPage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	d := accessLogData{Mounted: s.o.Audit.Events != nil}
	if d.Mounted {
		q := url.Values{"limit": {"50"}}
		if c := r.FormValue("cursor"); c != "" {
			q.Set("cursor", c)
		}
		req := r.Clone(r.Context())
		req.Method, req.URL = http.MethodGet, &url.URL{Path: "/api/v1/audit", RawQuery: q.Encode()}
		rec := httptest.NewRecorder()
		s.o.Audit.Events.ServeHTTP(rec, req)
		var page struct {
			Events     []audit.Event `json:"events"`
			NextCursor string        `json:"next_cursor"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
			s.o.Log.Error("portal: access log", "status", rec.Code)
			writeError(w, http.StatusServiceUnavailable, "the access log is unavailable; try again")
			return
		}
		d.Events = page.Events
		if page.NextCursor != "" {
			d.Next = "/access-log?cursor=" + url.QueryEscape(page.NextCursor)
		}
	}
	s.render(w, r, http.StatusOK, "accesslog", p, ss.csrf, d)
}
