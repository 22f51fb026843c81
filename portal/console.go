package portal

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

//go:embed templates/*.html static/*
var assets embed.FS

type pages struct {
	byName map[string]*template.Template
	static http.Handler
}

var funcs = template.FuncMap{
	"age": func(t time.Time, now time.Time) string { return human(now.Sub(t)) },
	"due": func(t time.Time, now time.Time) string {
		if t.IsZero() {
			return "—"
		}
		if d := t.Sub(now); d > 0 {
			return "due in " + human(d)
		}
		return "breached " + human(now.Sub(t)) + " ago"
	},
	"breached": func(t time.Time, now time.Time) bool { return !t.IsZero() && now.After(t) },
	"date":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"join":     strings.Join,
	"pct":      func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"inc":      func(n int) int { return n + 1 },
	"short":    shorten,
	"sevs":     func() []string { return severities },
	"states":   func() []string { return []string{triage.WorkOpen, triage.WorkTaken, triage.WorkResolved} },
}

// shorten cuts a summary for a list row at a word, near 160 characters.
func shorten(s string) string {
	const limit = 160
	if len(s) <= limit {
		return s
	}
	cut := strings.LastIndexByte(s[:limit], ' ')
	if cut < limit/2 {
		cut = limit
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " …"
}

func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("portal: template %s: %w", n, err)
		}
		p.byName[base] = t
	}
	static, _ := fs.Sub(assets, "static")
	p.static = http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	return p, nil
}

// view is what every page template gets.
type view struct {
	Title string
	Me    Principal
	CSRF  string
	Now   time.Time
	Nav   []navItem
	Data  any
}

type navItem struct{ Href, Label string }

func navFor(p Principal) []navItem {
	switch p.Role {
	case RoleCustomer:
		return []navItem{{"/uploads", "Uploads"}, {"/cases", "Cases"}, {"/access-log", "Access log"}}
	case RoleAgent:
		return []navItem{{"/queue", "Queue"}, {"/queue?status=taken", "Taken"}}
	case RoleSecurity:
		return []navItem{{"/alerts", "Alerts"}}
	case RoleML:
		return []navItem{{"/evals", "Eval reports"}}
	case RoleAdmin:
		return []navItem{{"/accounts", "Accounts"}}
	}
	return nil
}

var titles = map[string]string{"login": "Sign in", "totp": "Second factor", "queue": "Queue", "case": "Case",
	"alerts": "PII alerts", "uploads": "Uploads", "evals": "Eval reports", "eval": "Eval report",
	"accounts": "Accounts", "account": "Your account", "device": "Sign in a device", "accesslog": "Access log", "notfound": "Not found"}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, page string, p Principal, csrf string, data any) {
	t := s.pages.byName[page]
	var b strings.Builder
	v := view{Title: titles[page], Me: p, CSRF: csrf, Now: s.o.Now().UTC(), Nav: navFor(p), Data: data}
	if err := t.Execute(&b, v); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprint(w, b.String())
}

func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request, p Principal, csrf string) {
	s.render(w, r, http.StatusNotFound, "notfound", p, csrf, nil)
}

// consoleAuth: a page needs a full session (password and, when enrolled,
// TOTP); otherwise it goes to the sign-in page. Out of scope: the 404 page.
// Posts must carry the session's CSRF token and come from this site.
func (s *Server) consoleAuth(who access, h func(http.ResponseWriter, *http.Request, Principal, session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, ok := s.session(r)
		if !ok || !ss.mfaDone {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !safeMethod(r.Method) && !s.csrfOK(r, ss) {
			writeError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		acct, err := s.accounts.Store.GetAccount(r.Context(), ss.account)
		if errors.Is(err, triage.ErrNotFound) || (err == nil && acct.Disabled) {
			s.sessions.delete(ss.id)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		p := principalOf(acct, "session")
		if !who.allows(p.Role) {
			s.notFoundPage(w, r, p, ss.csrf)
			return
		}
		h(w, r.WithContext(withPrincipal(r.Context(), p)), p, ss)
	})
}

func (s *Server) consoleRoutes() {
	page := func(pattern string, who access, h func(http.ResponseWriter, *http.Request, Principal, session)) {
		s.mux.Handle(pattern, s.consoleAuth(who, h))
	}
	s.mux.Handle("GET /static/", s.pages.static)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("GET /login/totp", s.totpForm)
	s.mux.HandleFunc("POST /login/totp", s.loginTOTP)
	s.mux.HandleFunc("POST /logout", s.logout)
	page("GET /{$}", anyone, s.home)
	page("GET /device", anyone, s.deviceForm)
	page("POST /device", anyone, s.deviceApprove)
	page("GET /account", anyone, s.enrollTOTPForm)
	page("POST /account", anyone, s.enrollTOTP)
	page("GET /queue", access{RoleAgent}, s.queuePage)
	page("GET /cases", caseReaders, s.queuePage)
	page("GET /cases/{id}", caseReaders, s.casePage)
	page("POST /cases/{id}/take", agents, s.takeForm)
	page("POST /cases/{id}/resolve", agents, s.resolveForm)
	page("POST /cases/{id}/comments", agents, s.commentForm)
	page("GET /alerts", securityOnly, s.alertsPage)
	page("POST /alerts/{id}/ack", securityOnly, s.ackForm)
	page("GET /uploads", customers, s.uploadsPage)
	page("GET /access-log", customers, s.accessLogPage)
	page("GET /evals", mlOnly, s.evalsPage)
	page("GET /evals/{name}", mlOnly, s.evalPage)
	page("GET /accounts", admins, s.accountsPage)
	page("POST /accounts", admins, s.accountsForm)
	page("/", anyone, func(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
		s.notFoundPage(w, r, p, ss.csrf)
	})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, p Principal, _ session) {
	target := "/account"
	if nav := navFor(p); len(nav) > 0 {
		target = nav[0].Href
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type queueData struct {
	Query      CaseQuery
	Customer   bool
	Cases      []StaffCase
	Mine       []CustomerCase
	Prev, Next string
	Queues     []string
}

func pageLink(path string, q CaseQuery, offset int) string {
	v := url.Values{}
	for k, x := range map[string]string{"queue": q.Queue, "tenant": q.Tenant, "status": q.Status} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	if q.Limit != defaultPage {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	q, err := parseCaseQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if p.Role == RoleAgent && !r.URL.Query().Has("status") && r.URL.Path == "/queue" {
		q.Status = triage.WorkOpen
	}
	rows, more, err := s.scopedCases(r.Context(), p, q)
	if err == nil {
		err = s.recordList(r, p, rows)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d := queueData{Query: q, Customer: p.Role == RoleCustomer, Queues: p.Queues}
	for _, row := range rows {
		if d.Customer {
			d.Mine = append(d.Mine, customerView(row.c, row.w))
		} else {
			d.Cases = append(d.Cases, s.staffView(row.c, row.w))
		}
	}
	if q.Offset > 0 {
		d.Prev = pageLink(r.URL.Path, q, max(0, q.Offset-q.Limit))
	}
	if more {
		d.Next = pageLink(r.URL.Path, q, q.Offset+q.Limit)
	}
	s.render(w, r, http.StatusOK, "queue", p, ss.csrf, d)
}

type caseData struct {
	Staff     StaffCase
	Customer  *CustomerCase
	CanWork   bool
	Similar   []triage.SimilarCase
	BySection []findingGroup
	Notice    string
}

type findingGroup struct {
	Category string
	Findings []triage.FindingSummary
}

func groupFindings(fs []triage.FindingSummary) []findingGroup {
	var secrets, pii, other []triage.FindingSummary
	for _, f := range fs {
		switch f.Category {
		case "secret":
			secrets = append(secrets, f)
		case "pii":
			pii = append(pii, f)
		default:
			other = append(other, f)
		}
	}
	var out []findingGroup
	for _, g := range []findingGroup{{"Secrets", secrets}, {"Personal data", pii}, {"Other", other}} {
		if len(g.Findings) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	c, work, err := s.loadCase(r.Context(), p, r.PathValue("id"))
	if errors.Is(err, triage.ErrNotFound) {
		s.notFoundPage(w, r, p, ss.csrf)
		return
	}
	if err == nil {
		err = auditErr(s.record(r, p, c.Tenant, audit.ActionCaseViewed, "case/"+c.ID, audit.Success, nil))
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d := caseData{Notice: r.FormValue("notice")}
	if p.Role == RoleCustomer {
		cv := customerView(c, work)
		d.Customer = &cv
	} else {
		d.Staff = s.staffView(c, work)
		d.CanWork = p.canWorkCase(c)
		d.Similar = s.similarTo(r.Context(), p, c)
		d.BySection = groupFindings(c.Findings)
	}
	s.render(w, r, http.StatusOK, "case", p, ss.csrf, d)
}

// takeForm takes the case and goes back to its page with a notice.
func (s *Server) takeForm(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	c, _, err := s.loadCase(r.Context(), p, r.PathValue("id"))
	if errors.Is(err, triage.ErrNotFound) || (err == nil && !p.canWorkCase(c)) {
		s.notFoundPage(w, r, p, ss.csrf)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	_, err = s.work.TakeCase(r.Context(), triage.CaseWork{Tenant: c.Tenant, CaseID: c.ID, Queue: c.Queue, TakenBy: p.Name, TakenAt: s.o.Now().UTC()})
	notice := "You took this case."
	if errors.Is(err, triage.ErrTaken) {
		notice = "Another agent has taken this case."
	} else if err != nil {
		s.internal(w, r, err)
		return
	} else if err := s.record(r, p, c.Tenant, audit.ActionCaseTaken, "case/"+c.ID, audit.Success, nil); err != nil {
		s.internal(w, r, auditErr(err))
		return
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(c.ID)+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (s *Server) resolveForm(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	rr := ResolveRequest{Severity: r.PostFormValue("severity"), Category: strings.TrimSpace(r.PostFormValue("category")),
		Queue: strings.TrimSpace(r.PostFormValue("queue")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	if _, _, err := s.loadCase(r.Context(), p, r.PathValue("id")); errors.Is(err, triage.ErrNotFound) {
		s.notFoundPage(w, r, p, ss.csrf)
		return
	}
	s.resolve(w, r, p, rr, func(c *triage.Case, _ triage.CaseWork) {
		http.Redirect(w, r, "/cases/"+url.PathEscape(c.ID)+"?notice="+url.QueryEscape("Resolved. Thank you."), http.StatusSeeOther)
	})
}

func (s *Server) commentForm(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	if _, _, err := s.loadCase(r.Context(), p, r.PathValue("id")); errors.Is(err, triage.ErrNotFound) {
		s.notFoundPage(w, r, p, ss.csrf)
		return
	}
	s.comment(w, r, p, r.PostFormValue("text"), func(c *triage.Case, _ triage.CaseWork) {
		http.Redirect(w, r, "/cases/"+url.PathEscape(c.ID)+"?notice="+url.QueryEscape("Comment added."), http.StatusSeeOther)
	})
}

type alertsData struct {
	Alerts     []Alert
	Prev, Next string
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	q, err := parseCaseQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	as, more, err := s.alerts(r, p, q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d := alertsData{Alerts: as}
	if q.Offset > 0 {
		d.Prev = pageLink("/alerts", q, max(0, q.Offset-q.Limit))
	}
	if more {
		d.Next = pageLink("/alerts", q, q.Offset+q.Limit)
	}
	s.render(w, r, http.StatusOK, "alerts", p, ss.csrf, d)
}

func (s *Server) ackForm(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	c, work, err := s.loadCase(r.Context(), p, r.PathValue("id"))
	if errors.Is(err, triage.ErrNotFound) {
		s.notFoundPage(w, r, p, ss.csrf)
		return
	}
	if err == nil && work.AlertAckedBy == "" {
		work.Tenant, work.CaseID, work.Queue = c.Tenant, c.ID, c.Queue
		work.AlertAckedBy, work.AlertAckedAt = p.Name, s.o.Now().UTC()
		err = s.work.PutCaseWork(r.Context(), work)
	}
	if err == nil {
		err = auditErr(s.record(r, p, c.Tenant, audit.ActionAlertAcked, "alert/"+c.ID, audit.Success, nil))
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/alerts", http.StatusSeeOther)
}

type uploadsData struct {
	RetentionDays int
	MaxSize       int64
	Cases         []CustomerCase
}

func (s *Server) uploadsPage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	rows, _, err := s.scopedCases(r.Context(), p, CaseQuery{Limit: 20})
	if err == nil {
		err = s.recordList(r, p, rows)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d := uploadsData{RetentionDays: s.retentionDays(p.Tenant), MaxSize: s.o.MaxUploadSize}
	for _, row := range rows {
		d.Cases = append(d.Cases, customerView(row.c, row.w))
	}
	s.render(w, r, http.StatusOK, "uploads", p, ss.csrf, d)
}

func (s *Server) evalsPage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	rs, err := s.evalReports()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "evals", p, ss.csrf, rs)
}

// evalView picks the headline metrics out of an eval report for the page;
// the whole report is shown below them as JSON.
type evalView struct {
	Name    string
	Metrics []metricRow
	Raw     string
}

type metricRow struct {
	Name  string
	Value string
}

func (s *Server) evalPage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	rep, ok, err := s.evalReport(r.PathValue("name"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		s.notFoundPage(w, r, p, ss.csrf)
		return
	}
	s.render(w, r, http.StatusOK, "eval", p, ss.csrf, evalView{Name: rep.Name, Metrics: headline(rep.Report), Raw: indentJSON(rep.Report)})
}

// accountsForm adds an account or disables one from the accounts page.
func (s *Server) accountsForm(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	var err error
	notice := ""
	if name := r.PostFormValue("disable"); name != "" {
		_, err = s.disable(r, p, name)
		notice = "Disabled " + name + "."
	} else {
		var queues []string
		for _, q := range strings.Split(r.PostFormValue("queues"), ",") {
			if q = strings.TrimSpace(q); q != "" {
				queues = append(queues, q)
			}
		}
		req := AccountRequest{Name: strings.TrimSpace(r.PostFormValue("name")), Role: Role(r.PostFormValue("role")),
			Tenant: strings.TrimSpace(r.PostFormValue("tenant")), Queues: queues, Password: r.PostFormValue("password")}
		_, err = s.addAccount(r, p, req)
		notice = "Saved " + req.Name + "."
	}
	switch {
	case triage.KindOf(err) == triage.KindInvalid, errors.Is(err, errSelfDisable), errors.Is(err, triage.ErrNotFound):
		s.accountsView(w, r, p, ss, http.StatusBadRequest, "", err.Error())
	case err != nil:
		s.internal(w, r, err)
	default:
		s.accountsView(w, r, p, ss, http.StatusOK, notice, "")
	}
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request, p Principal, ss session) {
	s.accountsView(w, r, p, ss, http.StatusOK, "", "")
}

func (s *Server) accountsView(w http.ResponseWriter, r *http.Request, p Principal, ss session, code int, notice, problem string) {
	as, err := s.accounts.Store.ListAccounts(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var out []AccountView
	for _, a := range as {
		out = append(out, accountView(a))
	}
	s.render(w, r, code, "accounts", p, ss.csrf, map[string]any{"Accounts": out, "RetentionDays": s.retentionDays(""),
		"Roles": Roles, "Notice": notice, "Error": problem})
}
