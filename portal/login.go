package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/portal/totp"
)

// Cookie names. Under TLS the __Host- prefix pins them to this host, path /
// and Secure, so a sibling subdomain cannot plant one.
func (s *Server) cookieName(base string) string {
	if s.o.Secure {
		return "__Host-" + base
	}
	return base
}

func (s *Server) setCookie(w http.ResponseWriter, base, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.o.Secure, SameSite: http.SameSiteStrictMode})
}

const (
	sessionCookie = "lt_session"
	loginCookie   = "lt_login" // pre-session CSRF token of the login form (double submit)
)

func (s *Server) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil {
		return session{}, false
	}
	return s.sessions.get(c.Value)
}

// stepLog remembers the last TOTP step each account used, so a code seen
// over a shoulder cannot be replayed within its window.
type stepLog struct {
	mu   sync.Mutex
	last map[string]uint64
}

func newStepLog() *stepLog { return &stepLog{last: map[string]uint64{}} }

func (l *stepLog) use(account string, step uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if step <= l.last[account] {
		return false
	}
	l.last[account] = step
	return true
}

type loginPage struct {
	CSRF, Error, Next string
}

func safeNext(next string) string {
	// Only local paths: an open redirect after login is a phishing aid.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/"
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	// Keep the token of a form already open in another tab (or of a second
	// load of this page), so submitting either still works.
	tok := randomID()
	if c, err := r.Cookie(s.cookieName(loginCookie)); err == nil && len(c.Value) == len(tok) {
		tok = c.Value
	}
	s.setCookie(w, loginCookie, tok, 600)
	s.render(w, r, http.StatusOK, "login", Principal{}, "", loginPage{CSRF: tok, Next: safeNext(r.FormValue("next"))})
}

func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, code int, msg string) {
	tok := randomID()
	s.setCookie(w, loginCookie, tok, 600)
	s.render(w, r, code, "login", Principal{}, "", loginPage{CSRF: tok, Error: msg, Next: safeNext(r.FormValue("next"))})
}

// login checks the password. Failures count against the account and the
// client address; at the limit both are locked for the window, and a locked
// attempt is refused before the password is even checked.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(s.cookieName(loginCookie))
	if err != nil || !equalToken(r.PostFormValue("csrf"), c.Value) || !s.sameSite(r) {
		s.loginFailed(w, r, http.StatusForbidden, "The form expired. Please sign in again.")
		return
	}
	name, pw := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	addr := clientAddr(r)
	if lockedA, _ := s.byName.locked("acct:" + name); lockedA {
		s.loginFailed(w, r, http.StatusTooManyRequests, "Too many failed sign-ins. Try again later.")
		return
	}
	if lockedB, _ := s.byAddr.locked("addr:" + addr); lockedB {
		s.loginFailed(w, r, http.StatusTooManyRequests, "Too many failed sign-ins. Try again later.")
		return
	}
	acct, err := s.accounts.checkPassword(r.Context(), name, pw)
	if errors.Is(err, errBadCredentials) {
		s.byName.fail("acct:" + name)
		s.byAddr.fail("addr:" + addr)
		s.recordLoginFailure(r, name, "password")
		s.loginFailed(w, r, http.StatusUnauthorized, "Wrong account name or password.")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// A new session id at every sign-in: whatever id the browser had
	// before (possibly planted) is dropped.
	if old, ok := s.session(r); ok {
		s.sessions.delete(old.id)
	}
	ss := s.sessions.create(acct.Name, acct.TOTPSecret == "")
	s.setCookie(w, sessionCookie, ss.id, 0)
	s.setCookie(w, loginCookie, "", -1)
	next := safeNext(r.PostFormValue("next"))
	if !ss.mfaDone {
		http.Redirect(w, r, "/login/totp?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	s.byName.reset("acct:" + name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) recordLoginFailure(r *http.Request, name, why string) {
	tenant := PortalTenant
	if a, err := s.accounts.Store.GetAccount(r.Context(), name); err == nil && a.Tenant != "" {
		tenant = a.Tenant
	}
	if name == "" {
		name = "(empty)"
	}
	// Best effort: a failed sign-in reads no tenant data, so a recorder
	// outage must not turn into a way to hide guessing.
	if err := s.record(r, Principal{Name: name}, tenant, audit.ActionLoginFailed, "account/"+name, audit.Failure,
		map[string]string{"factor": why}); err != nil {
		s.o.Log.Warn("portal: audit of a failed sign-in", "err", err)
	}
}

// sameSite refuses a form posted from another site (Origin or Fetch
// metadata say so) even before the token is compared.
func (s *Server) sameSite(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
		return false
	}
	fs := r.Header.Get("Sec-Fetch-Site")
	return fs == "" || fs == "same-origin" || fs == "none"
}

func (s *Server) totpForm(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.session(r)
	if !ok || ss.mfaDone {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "totp", Principal{}, ss.csrf, loginPage{CSRF: ss.csrf, Next: safeNext(r.FormValue("next"))})
}

// loginTOTP checks the second factor and rotates the session id again.
func (s *Server) loginTOTP(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.session(r)
	if !ok || ss.mfaDone {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !s.sameSite(r) || !equalToken(r.PostFormValue("csrf"), ss.csrf) {
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	next := safeNext(r.PostFormValue("next"))
	addr := clientAddr(r)
	if l, _ := s.byName.locked("acct:" + ss.account); l {
		s.sessions.delete(ss.id)
		s.loginFailed(w, r, http.StatusTooManyRequests, "Too many failed sign-ins. Try again later.")
		return
	}
	acct, err := s.accounts.Store.GetAccount(r.Context(), ss.account)
	if err != nil {
		s.sessions.delete(ss.id)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	step, ok := totp.Verify(acct.TOTPSecret, strings.TrimSpace(r.PostFormValue("code")), s.o.Now())
	if !ok || !s.totpUsed.use(acct.Name, step) {
		s.byName.fail("acct:" + acct.Name)
		s.byAddr.fail("addr:" + addr)
		s.recordLoginFailure(r, acct.Name, "totp")
		s.render(w, r, http.StatusUnauthorized, "totp", Principal{}, ss.csrf, loginPage{CSRF: ss.csrf, Error: "Wrong or reused code.", Next: next})
		return
	}
	ns, ok := s.sessions.rotate(ss.id, true)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.byName.reset("acct:" + acct.Name)
	s.setCookie(w, sessionCookie, ns.id, 0)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if ss, ok := s.session(r); ok {
		if !equalToken(r.PostFormValue("csrf"), ss.csrf) {
			writeError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		s.sessions.delete(ss.id)
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type totpEnrollPage struct {
	Enrolled      bool
	Secret, URI   string
	CanDisable    bool
	Error, Notice string
}

// enrollTOTP shows a new secret (kept in the session until a code proves
// the authenticator has it) or the enrolled state.
func (s *Server) enrollTOTPForm(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	acct, err := s.accounts.Store.GetAccount(r.Context(), p.Name)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	page := totpEnrollPage{Enrolled: acct.TOTPSecret != "", CanDisable: !p.Role.needsTOTP()}
	if !page.Enrolled {
		secret := ss.pendingTOTP
		if secret == "" {
			if secret, err = totp.NewSecret(); err != nil {
				s.internal(w, r, err)
				return
			}
			s.sessions.update(ss.id, func(x *session) { x.pendingTOTP = secret })
		}
		page.Secret, page.URI = secret, totp.URI("logtriage", p.Name, secret)
	}
	s.render(w, r, http.StatusOK, "account", p, ss.csrf, page)
}

func (s *Server) enrollTOTP(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	acct, err := s.accounts.Store.GetAccount(r.Context(), p.Name)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if r.PostFormValue("action") == "disable" {
		if p.Role.needsTOTP() || acct.TOTPSecret == "" {
			notFound(w)
			return
		}
		if step, ok := totp.Verify(acct.TOTPSecret, code, s.o.Now()); !ok || !s.totpUsed.use(acct.Name, step) {
			s.render(w, r, http.StatusUnauthorized, "account", p, ss.csrf, totpEnrollPage{Enrolled: true, CanDisable: true, Error: "Wrong or reused code."})
			return
		}
		acct.TOTPSecret = ""
	} else {
		if acct.TOTPSecret != "" || ss.pendingTOTP == "" {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return
		}
		step, ok := totp.Verify(ss.pendingTOTP, code, s.o.Now())
		if !ok || !s.totpUsed.use(acct.Name, step) {
			s.render(w, r, http.StatusUnauthorized, "account", p, ss.csrf, totpEnrollPage{Secret: ss.pendingTOTP,
				URI: totp.URI("logtriage", p.Name, ss.pendingTOTP), CanDisable: !p.Role.needsTOTP(), Error: "Wrong code; check the clock of your device."})
			return
		}
		acct.TOTPSecret = ss.pendingTOTP
	}
	acct.UpdatedAt = s.o.Now().UTC()
	if err := s.accounts.Store.PutAccount(r.Context(), acct); err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.record(r, p, tenantOrPortal(acct.Tenant), audit.ActionAccountChanged, "account/"+acct.Name, audit.Success,
		map[string]string{"totp": map[bool]string{true: "enrolled", false: "removed"}[acct.TOTPSecret != ""]}); err != nil {
		s.o.Log.Warn("portal: audit of a second-factor change", "err", err)
	}
	s.sessions.update(ss.id, func(x *session) { x.pendingTOTP = "" })
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
