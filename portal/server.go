// Package portal is the HTTP API and the server-rendered console in front of
// the store: accounts and roles, sessions and API tokens, uploads streamed to
// the intake, and case, alert and report views. Every route resolves who is
// asking, checks the role and the tenant before touching the store, records
// the access through an audit.Recorder, and answers 404 for anything out of
// scope (never 403: whether another tenant's case exists is not disclosed).
// Everything it shows comes from the store, which holds only redacted data;
// no route returns a raw upload.
package portal

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/portal/password"
	"github.com/logtriage/logtriage/router"
	"github.com/logtriage/logtriage/triage"
	"github.com/logtriage/logtriage/triage/worker"
)

// AuditAPI holds the handlers of the audit routes, built by package audit's
// HTTP side. The portal authenticates the request (PrincipalFrom gives the
// principal to the handler) and allows customer, security and admin through;
// the handler applies its own tenant scope. A nil handler answers 404.
type AuditAPI struct {
	Events    http.Handler // GET /api/v1/audit
	Export    http.Handler // GET /api/v1/audit/export
	PublicKey http.Handler // GET /api/v1/audit/public-key
}

// Options configure a Server. Store and Recorder are required.
type Options struct {
	// Store holds cases; it must also implement triage.AccountStore and
	// triage.CaseWorkStore (both stores do). triage.Resolver is used for
	// resolutions when the store implements it.
	Store triage.Store
	// Recorder records every access to tenant data; an access whose event
	// cannot be recorded is refused (503).
	Recorder audit.Recorder
	// JS is where uploads go (payload bucket and uploads stream); nil
	// disables uploads (503).
	JS jetstream.JetStream
	// Secure is true when the listener is TLS: cookies get the Secure flag
	// and the __Host- prefix.
	Secure bool
	// Password is the argon2id cost for new hashes; zero: password.Default.
	Password password.Params
	// SessionIdle ends a session after this long without a request; default 30 min.
	SessionIdle time.Duration
	// LoginMaxFailures per account and per address within LoginWindow lock
	// further attempts; defaults 5 (account), 20 (address) in 15 min.
	LoginMaxFailures, LoginMaxFailuresPerAddr int
	LoginWindow                               time.Duration
	// GrantTTL is how long an upload grant may be used; default 15 min.
	GrantTTL time.Duration
	// MaxUploadSize caps one upload; default worker.DefaultMaxUploadSize.
	MaxUploadSize int64
	// RetentionDays is told to customers: "logs are deleted N days after
	// upload", when RetentionFor is nil; default 30 (the raw-upload window).
	RetentionDays int
	// RetentionFor, when set, is the tenant's own raw-upload window in
	// days (serve passes its retention policy), so the notice a customer
	// reads is the window the purge applies to its uploads.
	RetentionFor func(tenant string) int
	// Router, when set, holds agents' corrections to the routing config's
	// categories and queues (triage.ValidateResolution); without it only
	// the severity is checked.
	Router *router.Router
	// SLA is the first-response target per priority (P1..P4); defaults 1h, 4h, 24h, 72h.
	SLA map[string]time.Duration
	// EvalDir holds eval reports (`eval --format json` output, *.json) the
	// ml role reads; empty: none.
	EvalDir string
	// Audit mounts the audit API.
	Audit AuditAPI
	Now   func() time.Time
	Log   *slog.Logger
}

// Server is the portal's http.Handler.
type Server struct {
	o        Options
	accounts Accounts
	work     triage.CaseWorkStore
	sessions *sessions
	byName   *limiter
	byAddr   *limiter
	totpUsed *stepLog
	grants   *grants
	devices  *devices
	mux      *http.ServeMux
	pages    *pages
}

// New checks the options and builds the routes.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Recorder == nil {
		return nil, errors.New("portal: a store and an audit recorder are required")
	}
	as, ok := o.Store.(triage.AccountStore)
	if !ok {
		return nil, fmt.Errorf("portal: store %T cannot keep accounts", o.Store)
	}
	ws, ok := o.Store.(triage.CaseWorkStore)
	if !ok {
		return nil, fmt.Errorf("portal: store %T cannot keep the case workflow", o.Store)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 30 * time.Minute
	}
	if o.LoginMaxFailures <= 0 {
		o.LoginMaxFailures = 5
	}
	if o.LoginMaxFailuresPerAddr <= 0 {
		o.LoginMaxFailuresPerAddr = 20
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
	if o.GrantTTL <= 0 {
		o.GrantTTL = 15 * time.Minute
	}
	if o.MaxUploadSize <= 0 {
		o.MaxUploadSize = worker.DefaultMaxUploadSize
	}
	if o.RetentionDays <= 0 {
		o.RetentionDays = 30
	}
	if o.SLA == nil {
		o.SLA = map[string]time.Duration{"P1": time.Hour, "P2": 4 * time.Hour, "P3": 24 * time.Hour, "P4": 72 * time.Hour}
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		o:        o,
		accounts: Accounts{Store: as, Password: o.Password, Now: o.Now},
		work:     ws,
		sessions: newSessions(o.SessionIdle, o.Now),
		byName:   newLimiter(o.LoginMaxFailures, o.LoginWindow, o.Now),
		byAddr:   newLimiter(o.LoginMaxFailuresPerAddr, o.LoginWindow, o.Now),
		totpUsed: newStepLog(),
		grants:   newGrants(o.Now),
		devices:  newDevices(),
		mux:      http.NewServeMux(),
		pages:    pg,
	}
	s.routes()
	return s, nil
}

// ServeHTTP adds the security headers every answer carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	if s.o.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// access is what a route may ask for: a role set; nil means any signed-in principal.
type access []Role

func (a access) allows(r Role) bool {
	if a == nil {
		return true
	}
	for _, x := range a {
		if x == r {
			return true
		}
	}
	return false
}

var (
	anyone       access
	customers    = access{RoleCustomer}
	caseReaders  = access{RoleCustomer, RoleAgent, RoleSecurity}
	agents       = access{RoleAgent}
	securityOnly = access{RoleSecurity}
	mlOnly       = access{RoleML}
	auditors     = access{RoleCustomer, RoleSecurity, RoleAdmin}
	admins       = access{RoleAdmin}
)

func (s *Server) routes() {
	api := func(pattern string, who access, h func(http.ResponseWriter, *http.Request, Principal)) {
		s.mux.Handle(pattern, s.apiAuth(who, h))
	}
	api("POST /api/v1/uploads", customers, s.createUpload)
	api("PUT /api/v1/uploads/{id}", customers, s.putUploadBody)
	api("GET /api/v1/uploads/{id}", access{RoleCustomer, RoleSecurity}, s.getUpload)
	api("GET /api/v1/cases", caseReaders, s.listCases)
	api("GET /api/v1/cases/{id}", caseReaders, s.getCase)
	api("GET /api/v1/cases/{id}/similar", agents, s.similarCases)
	api("POST /api/v1/cases/{id}/take", agents, s.takeCase)
	api("POST /api/v1/cases/{id}/resolve", agents, s.resolveCase)
	api("POST /api/v1/cases/{id}/comments", agents, s.commentCase)
	api("GET /api/v1/alerts", securityOnly, s.listAlerts)
	api("POST /api/v1/alerts/{id}/ack", securityOnly, s.ackAlert)
	api("GET /api/v1/evals", mlOnly, s.listEvals)
	api("GET /api/v1/evals/{name}", mlOnly, s.getEval)
	api("GET /api/v1/accounts", admins, s.listAccounts)
	api("POST /api/v1/accounts", admins, s.putAccount)
	api("POST /api/v1/accounts/{name}/disable", admins, s.disableAccount)
	api("GET /api/v1/me", anyone, s.me)
	mount := func(pattern string, h http.Handler) {
		api(pattern, auditors, func(w http.ResponseWriter, r *http.Request, _ Principal) {
			if h == nil {
				notFound(w)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	mount("GET /api/v1/audit", s.o.Audit.Events)
	mount("GET /api/v1/audit/export", s.o.Audit.Export)
	mount("GET /api/v1/audit/public-key", s.o.Audit.PublicKey)
	s.mux.HandleFunc("POST /api/v1/device/code", s.deviceCode)
	s.mux.HandleFunc("POST /api/v1/device/token", s.deviceToken)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { notFound(w) })
	s.consoleRoutes()
}

// apiAuth authenticates (bearer token, or session cookie plus CSRF token on
// anything that is not a read), then checks the role. Unauthenticated: 401;
// authenticated but out of scope: 404.
func (s *Server) apiAuth(who access, h func(http.ResponseWriter, *http.Request, Principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := s.authenticate(w, r)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="logtriage"`)
			writeError(w, http.StatusUnauthorized, "authentication required")
			return
		}
		if !who.allows(p.Role) {
			notFound(w)
			return
		}
		h(w, r.WithContext(withPrincipal(r.Context(), p)), p)
	})
}

// authenticate resolves the request's principal. A session-authenticated
// request that changes state must carry the session's CSRF token
// (X-CSRF-Token header or csrf form field) and, when the browser sends one,
// an Origin of this host: a cross-site form post has neither.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool, error) {
	if authz := r.Header.Get("Authorization"); authz != "" {
		tok, ok := strings.CutPrefix(authz, "Bearer ")
		if !ok {
			return Principal{}, false, nil
		}
		acct, err := s.accounts.checkToken(r.Context(), strings.TrimSpace(tok))
		if errors.Is(err, errBadCredentials) {
			return Principal{}, false, nil
		}
		if err != nil {
			return Principal{}, false, err
		}
		return principalOf(acct, "token"), true, nil
	}
	ss, ok := s.session(r)
	if !ok || !ss.mfaDone {
		return Principal{}, false, nil
	}
	if !safeMethod(r.Method) && !s.csrfOK(r, ss) {
		return Principal{}, false, nil
	}
	acct, err := s.accounts.Store.GetAccount(r.Context(), ss.account)
	if errors.Is(err, triage.ErrNotFound) || (err == nil && acct.Disabled) {
		s.sessions.delete(ss.id)
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, false, err
	}
	return principalOf(acct, "session"), true, nil
}

func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

func (s *Server) csrfOK(r *http.Request, ss session) bool {
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
		return false
	}
	if fs := r.Header.Get("Sec-Fetch-Site"); fs != "" && fs != "same-origin" && fs != "none" {
		return false
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		tok = r.PostFormValue("csrf")
	}
	return equalToken(tok, ss.csrf)
}

func sameOrigin(origin string, r *http.Request) bool {
	_, hostport, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(hostport, r.Host)
}

// record writes one audit event; the caller answers only if it succeeded.
func (s *Server) record(r *http.Request, p Principal, tenant, action, resource string, outcome audit.Outcome, detail map[string]string) error {
	_, err := s.o.Recorder.Record(r.Context(), audit.Event{
		Time: s.o.Now().UTC(), Tenant: tenant,
		Actor:  audit.Actor{Kind: audit.ActorUser, Name: p.Name, Role: string(p.Role)},
		Action: action, Resource: resource, Outcome: outcome,
		SourceAddr: clientAddr(r), RequestID: r.Header.Get("X-Request-Id"), Detail: detail,
	})
	return err
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func notFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "not found") }

// internal logs the cause and answers without it: store errors may name
// internals. An unrecordable access is a 503, like a store that is down.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.o.Log.Error("portal: "+err.Error(), "method", r.Method, "path", r.URL.Path)
	if triage.KindOf(err) == triage.KindTransient || errors.Is(err, errAudit) {
		writeError(w, http.StatusServiceUnavailable, "temporarily unavailable; try again")
		return
	}
	writeError(w, http.StatusInternalServerError, "internal error")
}

var errAudit = errors.New("audit recorder failed")

func auditErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", errAudit, err)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p Principal) {
	writeJSON(w, http.StatusOK, p)
}

// retentionDays is the notice's N for a tenant ("" for the default window).
func (s *Server) retentionDays(tenant string) int {
	if s.o.RetentionFor != nil {
		if n := s.o.RetentionFor(tenant); n > 0 {
			return n
		}
	}
	return s.o.RetentionDays
}
