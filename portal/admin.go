package portal

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/logtriage/logtriage/audit"
	"github.com/logtriage/logtriage/triage"
)

// AccountView is an account without its secrets.
type AccountView struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Tenant    string    `json:"tenant,omitempty"`
	Queues    []string  `json:"queues,omitempty"`
	TOTP      bool      `json:"totp"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func accountView(a triage.Account) AccountView {
	return AccountView{Name: a.Name, Role: a.Role, Tenant: a.Tenant, Queues: a.Queues, TOTP: a.TOTPSecret != "",
		Disabled: a.Disabled, CreatedAt: a.CreatedAt}
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, p Principal) {
	as, err := s.accounts.Store.ListAccounts(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]AccountView, 0, len(as))
	for _, a := range as {
		out = append(out, accountView(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out, "retention_days": s.retentionDays("")})
}

// EvalReport is one eval run's report file (`logtriage eval --format json`).
type EvalReport struct {
	Name     string          `json:"name"`
	Modified time.Time       `json:"modified"`
	Report   json.RawMessage `json:"report,omitempty"`
}

const maxReportSize = 32 << 20

func (s *Server) evalReports() ([]EvalReport, error) {
	if s.o.EvalDir == "" {
		return nil, nil
	}
	ents, err := os.ReadDir(s.o.EvalDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []EvalReport
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, EvalReport{Name: strings.TrimSuffix(e.Name(), ".json"), Modified: info.ModTime().UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Modified.After(out[j].Modified) })
	return out, nil
}

// evalReport reads one report by name; names are file names in EvalDir,
// never paths.
func (s *Server) evalReport(name string) (EvalReport, bool, error) {
	if s.o.EvalDir == "" || name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return EvalReport{}, false, nil
	}
	path := filepath.Join(s.o.EvalDir, name+".json")
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return EvalReport{}, false, nil
	}
	if err != nil || info.Size() > maxReportSize {
		return EvalReport{}, false, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return EvalReport{}, false, err
	}
	if !json.Valid(b) {
		return EvalReport{}, false, errors.New("eval report " + name + " is not JSON")
	}
	return EvalReport{Name: name, Modified: info.ModTime().UTC(), Report: b}, true, nil
}

func (s *Server) listEvals(w http.ResponseWriter, r *http.Request, p Principal) {
	rs, err := s.evalReports()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if rs == nil {
		rs = []EvalReport{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": rs})
}

func (s *Server) getEval(w http.ResponseWriter, r *http.Request, p Principal) {
	rep, ok, err := s.evalReport(r.PathValue("name"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// AccountRequest creates or replaces an account through the API (admin).
type AccountRequest struct {
	Name     string   `json:"name"`
	Role     Role     `json:"role"`
	Tenant   string   `json:"tenant,omitempty"`
	Queues   []string `json:"queues,omitempty"`
	Password string   `json:"password"`
}

// POST /api/v1/accounts: an admin adds or replaces an account; the
// account's sessions end (a new password or role applies at once).
func (s *Server) putAccount(w http.ResponseWriter, r *http.Request, p Principal) {
	var req AccountRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a, err := s.addAccount(r, p, req)
	if triage.KindOf(err) == triage.KindInvalid {
		writeError(w, http.StatusBadRequest, errors.Unwrap(err).Error())
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, accountView(a))
}

// addAccount is shared by the API and the console form.
func (s *Server) addAccount(r *http.Request, p Principal, req AccountRequest) (triage.Account, error) {
	a, err := s.accounts.Add(r.Context(), NewAccount(req))
	if err != nil {
		return a, err
	}
	s.sessions.deleteAccount(a.Name)
	return a, auditErr(s.record(r, p, tenantOrPortal(a.Tenant), audit.ActionAccountChanged, "account/"+a.Name, audit.Success,
		map[string]string{"role": a.Role}))
}

// POST /api/v1/accounts/{name}/disable: sign-in, tokens and sessions stop.
func (s *Server) disableAccount(w http.ResponseWriter, r *http.Request, p Principal) {
	a, err := s.disable(r, p, r.PathValue("name"))
	switch {
	case errors.Is(err, triage.ErrNotFound):
		notFound(w)
	case errors.Is(err, errSelfDisable):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		s.internal(w, r, err)
	default:
		writeJSON(w, http.StatusOK, accountView(a))
	}
}

var errSelfDisable = errors.New("an admin cannot disable their own account")

func (s *Server) disable(r *http.Request, p Principal, name string) (triage.Account, error) {
	a, err := s.accounts.Store.GetAccount(r.Context(), name)
	if err != nil {
		return a, err
	}
	if a.Name == p.Name {
		return a, errSelfDisable
	}
	a.Disabled, a.UpdatedAt = true, s.o.Now().UTC()
	if err := s.accounts.Store.PutAccount(r.Context(), a); err != nil {
		return a, err
	}
	s.sessions.deleteAccount(a.Name)
	return a, auditErr(s.record(r, p, tenantOrPortal(a.Tenant), audit.ActionAccountChanged, "account/"+a.Name, audit.Success,
		map[string]string{"disabled": "true"}))
}
