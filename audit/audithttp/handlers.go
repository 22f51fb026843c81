// Package audithttp serves the audit trail over HTTP: the customer's
// self-service view (GET /api/v1/audit, GET /api/v1/audit/export) and the
// checkpoint public key (GET /api/v1/audit/public-key). It depends only on
// package audit: who is asking comes from a Scope the caller (the portal)
// resolves from its own authentication. Queries and exports by staff
// (security, admin) of a tenant's trail are themselves recorded in that
// tenant's chain before anything is answered (no audit, no data).
package audithttp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logtriage/logtriage/audit"
)

// Scope is who is asking and what they may read.
type Scope struct {
	Actor audit.Actor
	// Tenant is the caller's own tenant (a customer); they read only it.
	Tenant string
	// AllTenants: security and admin read every tenant's trail, and each
	// such read is recorded in every tenant it returned.
	AllTenants bool
	// Reason is the caller's justification (ticket id or text), recorded
	// with the staff read events.
	Reason     string
	SourceAddr string
	RequestID  string
}

// ScopeFunc resolves the scope of an authenticated request; false means the
// caller may not read any audit trail (answered 404, as out-of-scope routes are).
type ScopeFunc func(r *http.Request) (Scope, bool)

// Options configure the handlers. Store, Recorder and Scope are required.
type Options struct {
	Store    audit.Store
	Recorder audit.Recorder
	Scope    ScopeFunc
	// Signer's public key is served at /api/v1/audit/public-key; nil: 404.
	Signer *audit.Signer
	Now    func() time.Time
	Log    *slog.Logger
}

// Handlers are the three routes; mount them under the paths in their names.
type Handlers struct {
	Events    http.Handler // GET /api/v1/audit
	Export    http.Handler // GET /api/v1/audit/export
	PublicKey http.Handler // GET /api/v1/audit/public-key
	o         Options
}

// New builds the handlers.
func New(o Options) (*Handlers, error) {
	if o.Store == nil || o.Recorder == nil || o.Scope == nil {
		return nil, errors.New("audithttp: Store, Recorder and Scope are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	h := &Handlers{o: o}
	h.Events = http.HandlerFunc(h.events)
	h.Export = http.HandlerFunc(h.export)
	h.PublicKey = http.HandlerFunc(h.publicKey)
	return h, nil
}

// Page is the answer of GET /api/v1/audit.
type Page struct {
	Events     []audit.Event `json:"events"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func (h *Handlers) events(w http.ResponseWriter, r *http.Request) {
	sc, ok := h.o.Scope(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	qv := r.URL.Query()
	q := audit.Query{Actor: qv.Get("actor"), Action: qv.Get("action"), Resource: qv.Get("resource")}
	tenant, ok := tenantOf(sc, qv.Get("tenant"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	q.Tenant, q.AllTenants = tenant, tenant == ""
	var err error
	if q.Since, err = timeParam(qv, "since"); err == nil {
		q.Until, err = timeParam(qv, "until")
	}
	if err == nil && qv.Get("limit") != "" {
		q.Limit, err = strconv.Atoi(qv.Get("limit"))
		if err == nil && (q.Limit <= 0 || q.Limit > audit.MaxQueryLimit) {
			err = fmt.Errorf("limit: 1..%d", audit.MaxQueryLimit)
		}
	}
	if err == nil && qv.Get("cursor") != "" {
		q.After, err = decodeCursor(qv.Get("cursor"))
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	events, err := h.o.Store.QueryAudit(r.Context(), q)
	if err != nil {
		h.o.Log.Error("audit query", "err", err)
		httpError(w, http.StatusServiceUnavailable, "audit trail unavailable")
		return
	}
	if staff(sc) {
		affected := tenantsOf(events)
		if tenant != "" && len(affected) == 0 {
			affected = []string{tenant} // an empty answer about one tenant is still a look at it
		}
		detail := map[string]string{"filter": filterSummary(q), "returned": strconv.Itoa(len(events))}
		if err := h.recordStaff(r, sc, affected, audit.ActionAuditQueried, detail); err != nil {
			h.o.Log.Error("audit: record staff query", "err", err)
			httpError(w, http.StatusServiceUnavailable, "cannot record this access; nothing was shown")
			return
		}
	}
	page := Page{Events: events}
	if page.Events == nil {
		page.Events = []audit.Event{}
	}
	if len(events) == q.EffectiveLimit() {
		page.NextCursor = encodeCursor(audit.CursorOf(events[len(events)-1]))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(page)
}

func (h *Handlers) export(w http.ResponseWriter, r *http.Request) {
	sc, ok := h.o.Scope(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	qv := r.URL.Query()
	tenant, ok := tenantOf(sc, qv.Get("tenant"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	since, err := timeParam(qv, "since")
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if f := qv.Get("format"); f != "" && f != "jsonl" && f != "ocsf" {
		httpError(w, http.StatusBadRequest, "format: jsonl (default) or ocsf")
		return
	}
	q := audit.ExportQuery{Tenant: tenant, AllTenants: tenant == "", Since: since}
	if staff(sc) {
		affected := []string{tenant}
		if tenant == "" {
			if affected, err = h.o.Store.AuditTenants(r.Context()); err != nil {
				httpError(w, http.StatusServiceUnavailable, "audit trail unavailable")
				return
			}
		}
		detail := map[string]string{"since": qv.Get("since")}
		if err := h.recordStaff(r, sc, affected, audit.ActionAuditExported, detail); err != nil {
			h.o.Log.Error("audit: record staff export", "err", err)
			httpError(w, http.StatusServiceUnavailable, "cannot record this access; nothing was shown")
			return
		}
	}
	if f := qv.Get("format"); f == "ocsf" {
		// For a SIEM: OCSF API Activity lines; the chain fields ride in
		// unmapped, but verification needs the native export.
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		if err := h.o.Store.ExportAudit(r.Context(), q, func(e audit.Event) error { return enc.Encode(audit.ToOCSF(e)) }); err != nil {
			h.o.Log.Error("audit export", "err", err)
		}
		return
	}
	hdr := audit.ExportHeader{Created: h.o.Now().UTC()}
	if h.o.Signer != nil {
		hdr.KeyID = h.o.Signer.KeyID()
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	name := "audit-all-tenants.jsonl"
	if tenant != "" {
		name = "audit-" + safeName(tenant) + ".jsonl"
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := audit.WriteExport(r.Context(), h.o.Store, w, q, hdr); err != nil {
		// Headers are gone: the cut shows as a file that does not verify
		// (its last checkpoint beyond its last event, or a torn line).
		h.o.Log.Error("audit export", "err", err)
	}
}

func (h *Handlers) publicKey(w http.ResponseWriter, r *http.Request) {
	if h.o.Signer == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("X-Key-Id", h.o.Signer.KeyID())
	w.Write(h.o.Signer.PublicKeyPEM())
}

// recordStaff writes one event per affected tenant, before the answer.
func (h *Handlers) recordStaff(r *http.Request, sc Scope, tenants []string, action string, detail map[string]string) error {
	for _, t := range tenants {
		_, err := h.o.Recorder.Record(r.Context(), audit.Event{
			Tenant: t, Actor: sc.Actor, Action: action, Resource: "audit/" + t,
			Reason: sc.Reason, SourceAddr: sc.SourceAddr, RequestID: sc.RequestID, Detail: detail,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// staff reads are those of anyone but the tenant itself.
func staff(sc Scope) bool { return sc.AllTenants }

// tenantOf resolves the tenant a request reads: a customer only its own
// (another is out of scope); staff the one asked, or every tenant ("").
func tenantOf(sc Scope, asked string) (string, bool) {
	if sc.AllTenants {
		return asked, true
	}
	if sc.Tenant == "" || (asked != "" && asked != sc.Tenant) {
		return "", false
	}
	return sc.Tenant, true
}

func tenantsOf(events []audit.Event) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range events {
		if !seen[e.Tenant] {
			seen[e.Tenant] = true
			out = append(out, e.Tenant)
		}
	}
	sort.Strings(out)
	return out
}

func filterSummary(q audit.Query) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("tenant", q.Tenant)
	add("actor", q.Actor)
	add("action", q.Action)
	add("resource", q.Resource)
	if !q.Since.IsZero() {
		add("since", q.Since.Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		add("until", q.Until.Format(time.RFC3339))
	}
	return strings.Join(parts, " ")
}

func timeParam(qv map[string][]string, name string) (time.Time, error) {
	v := ""
	if vs := qv[name]; len(vs) > 0 {
		v = vs[0]
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: want an RFC 3339 time (2026-01-02T15:04:05Z)", name)
	}
	return t, nil
}

func encodeCursor(c *audit.Cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*audit.Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c audit.Cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Time.IsZero() {
		return nil, errors.New("cursor: not one this server gave out")
	}
	return &c, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, s)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
